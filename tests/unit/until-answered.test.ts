/** untilAnswered: what stopping a busy onnxruntime worker waits for — its answer, its exit, or the time limit. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnModuleWorker, untilAnswered } from '../../src/engine/index.js';

const echo = () => spawnModuleWorker(new URL('../helpers/index.ts', import.meta.url).href, 'echo-worker');
type Reply = { id: number; ok: boolean };

test('resolves on the first accepted message, not on others', async () => {
  const worker = echo();
  try {
    const seen: number[] = [];
    worker.on('message', (m: Reply) => seen.push(m.id));
    const waiting = untilAnswered<Reply>(worker, 60_000, (m) => m.id === 2);
    worker.postMessage({ id: 1, text: 'a' });
    worker.postMessage({ id: 2, text: 'b' });
    await waiting;
    assert.deepEqual(seen, [1, 2]);
  } finally {
    await worker.terminate();
  }
});

test('resolves when the worker exits, and after the time limit when it never answers', async () => {
  const dying = echo();
  const onExit = untilAnswered<Reply>(dying, 60_000, () => false);
  dying.postMessage({ id: 1, text: 'die' });
  await onExit;
  const silent = echo();
  let exited = false;
  silent.on('exit', () => (exited = true));
  try {
    await untilAnswered<Reply>(silent, 200, () => false);
    assert.equal(exited, false, 'the time limit, not an exit, ended the wait');
  } finally {
    await silent.terminate();
  }
});
