/** The server's request worker: answers by id, turns coded failures into UserErrors, survives its worker's death. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../src/base/errors.js';
import { RequestWorker } from '../../src/server/request-worker.js';

const helpers = new URL('../helpers/', import.meta.url).href;

test('answers each request with its own reply, fails with a sentence after a death, then starts afresh', async () => {
  const worker = new RequestWorker<{ text: string }, { text: string }, string>(
    new URL('index.ts', helpers).href,
    'echo-worker',
    'The echo worker stopped.',
    (reply) => reply.text,
  );
  // The worker is unref'd (it never keeps the server's process alive): this timer keeps the test's alive.
  const alive = setInterval(() => {}, 1000);
  try {
    assert.deepEqual(await Promise.all([worker.request({ text: 'a' }), worker.request({ text: 'bc' })]), ['A', 'BC']);
    await assert.rejects(worker.request({ text: 'fail' }), (e: unknown) => e instanceof UserError && e.code === 'bad-text');
    await assert.rejects(worker.request({ text: 'die' }), { message: 'The echo worker stopped.' });
    assert.equal(await worker.request({ text: 'again' }), 'AGAIN');
  } finally {
    clearInterval(alive);
    await worker.close();
  }
});
