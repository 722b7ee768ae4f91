import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { planSrJob, runBands, type GTask, type SrExecutor, type StepTask } from '../../src/engine/parallel/sr-engine.js';

interface Interval {
  kind: 'g' | 'steps';
  executor: number;
  start: number;
  end: number;
  x0: number;
  x1: number;
  /** The band's owned first row (steps) or the first row computed (g). */
  y0: number;
  cacheTop: number;
}

/** Executors that compute nothing and record when each task ran; the g of `slowChunk` takes longer. */
function recordingExecutors(count: number, slowChunk: number, log: Interval[]): SrExecutor[] {
  let clock = 0;
  const now = () => ++clock;
  return Array.from({ length: count }, (_, executor) => ({
    async g(_job, _bufs, task: GTask) {
      const start = now();
      await sleep(task.x0 === slowChunk ? 40 : 4);
      log.push({ kind: 'g', executor, start, end: now(), x0: task.x0, x1: task.x1, y0: task.y0, cacheTop: task.cacheTop });
    },
    async steps(_job, _bufs, task: StepTask) {
      const start = now();
      await sleep(2);
      log.push({
        kind: 'steps',
        executor,
        start,
        end: now(),
        x0: task.rx,
        x1: task.rx + task.rw,
        y0: task.own.y,
        cacheTop: task.cacheTop,
      });
      return { likelihoods: [0] };
    },
  }));
}

test('a step task starts once the g tasks under its columns are done, not after the whole band g', async () => {
  const plan = planSrJob(160, 40, {
    radius: 2,
    C: 1,
    scale: 2,
    K: 2,
    bandRows: 20,
    chunkWidth: 20,
    stepChunkWidth: 40,
    parallel: 2,
  });
  assert.equal(plan.chunks.length, 8);
  assert.equal(plan.stepChunks.length, 4);
  const log: Interval[] = [];
  const slowChunk = plan.chunks[7].c0; // the last g chunk of every band is slow
  const job = { plan, blur: 0, settings: { K: 2, gamma: 1e-3, beta1: 0.9, beta2: 0.999 }, normalizer: 160 * 40 };
  const bufs = {
    y: new Float32Array(160 * 40),
    z: new Float32Array(plan.cacheRows * 160),
    out: new Float32Array(320 * 80),
    cancel: new Int32Array(1),
  };
  await runBands(job, bufs, recordingExecutors(2, slowChunk, log));
  const steps = log.filter((e) => e.kind === 'steps');
  assert.equal(steps.length, plan.bands.length * 4);
  let early = 0;
  for (const s of steps) {
    const bandG = log.filter((e) => e.kind === 'g' && e.cacheTop === s.cacheTop);
    for (const g of bandG)
      if (g.x1 > s.x0 && g.x0 < s.x1)
        assert.ok(g.end < s.start, `a step task over columns ${s.x0}–${s.x1} started before g of ${g.x0}–${g.x1} ended`);
    if (bandG.some((g) => g.end > s.start)) early++;
  }
  assert.ok(early > 0, 'some step task ran while the band’s last g task was still running');
});
