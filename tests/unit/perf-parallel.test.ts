import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { initBackend } from '../../src/engine/backend.js';
import { createImage, type Image } from '../../src/engine/image.js';
import { loadWeights } from '../../src/engine/model-file.js';
import { cancelFlag } from '../../src/engine/parallel/cancel-flag.js';
import { SrWorkerPool } from '../../src/engine/parallel/pool.js';
import { planSrJob } from '../../src/engine/parallel/sr-engine.js';
import { superResolve, superResolveOnPool } from '../../src/engine/restore-sr.js';
import type { RestoreEvent } from '../../src/engine/restore-types.js';
import { writeSrModel } from '../helpers/models.js';
import { maxDiff } from '../helpers/arrays.js';

let dir: string;

before(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(path.join(tmpdir(), 'perf-parallel-'));
  writeSrModel(dir, { id: 'p2', scale: 2, depth: 3, width: 8, K: 3 });
});

after(() => rmSync(dir, { recursive: true, force: true }));

function photo(width: number, height: number): Image {
  const img = createImage(width, height, 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++)
        img.data[(y * width + x) * 3 + c] = 0.5 + 0.4 * Math.sin(x * 0.31 + y * 0.17 + c) * Math.cos(y * 0.23 - c);
  return img;
}

test('two workers with many bands and chunks give the single-thread untiled result (1e-5)', async () => {
  const weights = await loadWeights(path.join(dir, 'p2'));
  const image = photo(97, 83);
  const pool = await SrWorkerPool.start(weights, { workers: 2, backend: 'wasm' });
  try {
    for (const blur of [0, 1.3]) {
      const run = { scale: 2 as const, blur, settings: { K: 3, gamma: 1e-2, beta1: 0.9, beta2: 0.999 } };
      const whole = await superResolve(weights, image, run, { tileSize: 4096 });
      const events: RestoreEvent[] = [];
      const parallel = await superResolveOnPool(pool, image, run, { bandRows: 20, chunkWidth: 24, onEvent: (e) => events.push(e) });
      assert.ok(events.filter((e) => e.type === 'tile').length >= 8, 'the run was not split');
      assert.equal(parallel.width, 194);
      assert.ok(
        maxDiff(whole.data, parallel.data) < 1e-5,
        `u=${blur}: parallel differs by ${maxDiff(whole.data, parallel.data)}`,
      );
    }
    // A single-band image streams every iteration, assembled from both workers' chunks.
    const small = photo(40, 30);
    const frames: number[] = [];
    const run = { scale: 2 as const, blur: 0, settings: { K: 3, gamma: 1e-2, beta1: 0.9, beta2: 0.999 } };
    const out = await superResolveOnPool(pool, small, run, { onEvent: (e) => e.type === 'band' && frames.push(e.k) });
    assert.deepEqual(frames, [1, 2, 3]);
    const ref = await superResolve(weights, small, run, {});
    assert.ok(maxDiff(ref.data, out.data) < 1e-5);
  } finally {
    await pool.close();
  }
});

test("an SR worker polls the job's cancel flag inside its tasks; a cancelled job leaves the pool exact for the next", async () => {
  const weights = await loadWeights(path.join(dir, 'p2'));
  const pool = await SrWorkerPool.start(weights, { workers: 1, backend: 'wasm' });
  try {
    const plan = planSrJob(40, 30, { radius: 3, C: 8, scale: 2, K: 3 });
    const shared = (n: number) => new Float32Array(new SharedArrayBuffer(n * 4));
    const bufs = { y: shared(40 * 30).fill(0.5), z: shared(plan.cacheRows * 40 * 8), out: shared(80 * 60), cancel: cancelFlag() };
    const job = { plan, blur: 0, settings: { K: 3, gamma: 1e-2, beta1: 0.9, beta2: 0.999 }, normalizer: 40 * 30 };
    const g = { kind: 'g' as const, y0: 0, y1: 30, x0: 0, x1: 40, cacheTop: 0 };
    const steps = {
      kind: 'steps' as const,
      rx: 0,
      ry: 0,
      rw: 40,
      rh: 30,
      own: { x: 0, y: 0, width: 40, height: 30 },
      cacheTop: 0,
      frames: false,
    };
    // The flag is the only thing that tells the worker: the engine's own between-task check is not involved.
    Atomics.store(bufs.cancel, 0, 1);
    await assert.rejects(pool.executors[0].g(job, bufs, g), /cancelled/);
    assert.ok(
      bufs.z.every((v) => v === 0),
      'a cancelled g task wrote z',
    );
    await assert.rejects(pool.executors[0].steps(job, bufs, steps), /cancelled/);
    assert.ok(
      bufs.out.every((v) => v === 0),
      'a cancelled step task wrote the output',
    );
    Atomics.store(bufs.cancel, 0, 0);
    await pool.executors[0].g(job, bufs, g);
    await pool.executors[0].steps(job, bufs, steps);
    assert.ok(bufs.out.some((v) => v !== 0));

    // Through the engine: a job cancelled after its first task rejects as aborted; the next job on
    // the same threads is exact.
    const image = photo(97, 83);
    const run = { scale: 2 as const, blur: 1.3, settings: { K: 3, gamma: 1e-2, beta1: 0.9, beta2: 0.999 } };
    const controller = new AbortController();
    await assert.rejects(
      superResolveOnPool(pool, image, run, {
        bandRows: 20,
        chunkWidth: 24,
        signal: controller.signal,
        onEvent: (e) => e.type === 'tile' && controller.abort(),
      }),
      { name: 'AbortError' },
    );
    const whole = await superResolve(weights, image, run, { tileSize: 4096 });
    const again = await superResolveOnPool(pool, image, run, { bandRows: 20, chunkWidth: 24 });
    assert.ok(maxDiff(whole.data, again.data) < 1e-5);
  } finally {
    await pool.close();
  }
});
