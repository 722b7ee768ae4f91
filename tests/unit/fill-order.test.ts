import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchInput, MaskedExecutor } from '../../src/engine/masked-batch.js';
import { fillInOrder } from '../../src/engine/restore-tiles.js';

const settings = { K: 5, gamma: 0.01, beta1: 0.9, beta2: 0.999 };

/** A job's input: its index in `n`, nothing else read by the executors below. */
function inputOf(i: number): BatchInput {
  const empty = new Float32Array(0);
  return { n: i, width: 1, height: 1, y: empty, mask: empty, observed: empty, known: empty } as BatchInput;
}

test('fillInOrder makes each input once, the next one while a job runs, and adds the results in job order', async () => {
  const events: string[] = [];
  const count = 7;
  // Job 0 ends only once job 2 has: the other executor runs jobs 1 and 2 meanwhile.
  let job2Ended = () => {};
  const afterJob2 = new Promise<void>((resolve) => (job2Ended = resolve));
  const jobs = Array.from({ length: count }, (_, i) => ({
    input: () => {
      events.push(`input ${i}`);
      return inputOf(i);
    },
    add: (out: Float32Array) => events.push(`add ${i} ${out[0]}`),
  }));
  const executors: MaskedExecutor[] = [0, 1].map((e) => ({
    async fill(input) {
      const i = input.n;
      events.push(`start ${i} on ${e}`);
      await (i === 0 ? afterJob2 : sleep(1));
      events.push(`end ${i}`);
      if (i === 2) job2Ended();
      return Float32Array.of(10 * i);
    },
  }));
  const progress: number[] = [];
  await fillInOrder(jobs, executors, settings, false, {
    onEvent: (e) => {
      if (e.type === 'progress') progress.push(e.fraction);
    },
  });

  for (let i = 0; i < jobs.length; i++)
    assert.equal(events.filter((e) => e === `input ${i}`).length, 1, `input ${i} is made exactly once`);
  const adds = events.filter((e) => e.startsWith('add '));
  assert.deepEqual(
    adds,
    jobs.map((_, i) => `add ${i} ${10 * i}`),
    'results are added in job order, each with its own output',
  );
  assert.deepEqual(
    progress,
    jobs.map((_, i) => (i + 1) / jobs.length),
  );
  // Job 2's input exists before job 1 (the short one, on the second executor) ends: that executor then
  // starts job 2 at once instead of making its input first.
  assert.ok(events.indexOf('input 2') < events.indexOf('end 1'), events.join(', '));
  // Jobs 1 and 2 end before job 0, but nothing is added before job 0 is.
  assert.ok(events.indexOf('add 1 10') > events.indexOf('add 0 0'), events.join(', '));
  assert.ok(events.indexOf('end 2') < events.indexOf('end 0'), events.join(', '));
});

test('fillInOrder stops handing out jobs after a failure and reports it', async () => {
  const made: number[] = [];
  const jobs = Array.from({ length: 6 }, (_, i) => ({
    input: () => {
      made.push(i);
      return inputOf(i);
    },
    add: () => {},
  }));
  const executors: MaskedExecutor[] = [0, 1].map(() => ({
    async fill(input) {
      await sleep(2);
      if (input.n === 1) throw new Error('the worker stopped');
      return new Float32Array(1);
    },
  }));
  await assert.rejects(fillInOrder(jobs, executors, settings, false, {}), /the worker stopped/);
  assert.ok(made.length < jobs.length, `only ${made.length} of ${jobs.length} inputs were made`);
});
