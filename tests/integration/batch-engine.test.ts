/**
 * The batch engine driven in-process, as the app will drive it: per-file events, pause and resume,
 * progress with ETA and throughput, a file that disappears while the batch runs, and the bench
 * entry point (--jobs 1 vs 2).
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { getModelDirs, setModelDirs } from '../../src/engine/models.js';
import { benchmarkBatch, planBatch, startBatch, type BatchEvent, type BatchProgress } from '../../src/engine/batch/index.js';
import { buildBatchReport } from '../../src/engine/batch/report.js';
import { writeSrModel } from '../helpers/models.js';

let dir = '';
let savedDirs: string[] = [];
const sr = { task: 'sr', scale: 2, blur: 0 } as const;

async function images(folder: string, names: string[], size = 24): Promise<void> {
  await mkdir(folder, { recursive: true });
  for (const [i, name] of names.entries()) {
    const data = Buffer.alloc(size * size * 3);
    for (let j = 0; j < data.length; j++) data[j] = (j * (7 + i)) % 256;
    await sharp(data, { raw: { width: size, height: size, channels: 3 } })
      .png()
      .toFile(path.join(folder, name));
  }
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dlnet-batch-engine-'));
  savedDirs = getModelDirs();
  writeSrModel(path.join(dir, 'models'), { scale: 2, depth: 2, width: 4, K: 2 });
  setModelDirs([path.join(dir, 'models')]);
});

after(async () => {
  setModelDirs(savedDirs);
  await rm(dir, { recursive: true, force: true });
});

test('events, pause / resume, and a file that disappears during the batch', async () => {
  const input = path.join(dir, 'in');
  const out = path.join(dir, 'out');
  await images(input, ['a.png', 'b.png', 'c.png']);
  const plan = await planBatch({ inputDir: input, outputDir: out, request: sr });
  assert.deepEqual(
    plan.files.map((f) => f.action),
    ['process', 'process', 'process'],
  );

  const events: BatchEvent[] = [];
  const progress: BatchProgress[] = [];
  let bStatusWhilePaused = '';
  const run = startBatch(plan, {
    jobs: 1,
    backend: 'wasm',
    progressIntervalMs: 20,
    onEvent: (event) => {
      events.push(event);
      if (event.type === 'progress') progress.push(event.progress);
      if (event.type !== 'file') return;
      const { rel, status } = event.file;
      if (rel === 'a.png' && status === 'running') {
        rmSync(path.join(input, 'c.png')); // planned, then gone before a worker reads it
        run.pause();
      }
      if (rel === 'a.png' && status === 'done') {
        // The engine starts the next file in the same turn as it reports one done; by the next
        // macrotask b.png would be running if the pause were ignored (no fixed sleep needed).
        setImmediate(() => {
          bStatusWhilePaused = run.files()[1].status;
          assert.equal(run.paused, true);
          run.resume();
        });
      }
    },
  });
  const result = await run.done;

  assert.equal(bStatusWhilePaused, 'queued', 'no file starts while paused');
  assert.deepEqual(
    result.files.map((f) => [f.rel, f.status, f.code]),
    [
      ['a.png', 'done', undefined],
      ['b.png', 'done', undefined],
      ['c.png', 'failed', 'vanished'],
    ],
  );
  assert.equal(result.files[2].reason, 'c.png disappeared before it could be read (moved or deleted during the batch).');
  assert.deepEqual(result.files[0].outputSize, { width: 48, height: 48 });
  assert.ok(result.files[0].timings!.restoreMs > 0);
  // The report's per-iteration likelihood: L(z_k) of the whole image for k = 1..K (K = 2 here).
  const L = result.files[0].likelihoods!;
  assert.equal(L.length, 2);
  assert.ok(
    L.every((v) => Number.isFinite(v) && v > 0),
    `${L}`,
  );
  assert.equal(buildBatchReport(plan, result, new Date()).files[0].likelihoods, L);
  assert.deepEqual(
    [result.summary.done, result.summary.failed, result.summary.skipped, result.summary.wasCancelled, result.summary.jobs],
    [2, 1, 0, false, 1],
  );
  assert.equal(result.summary.backend?.name, 'wasm');
  assert.deepEqual((await readdir(out)).sort(), ['a.png', 'b.png']);

  // the order of the stream: every file queued first, then started, backend, ..., finished last
  const types = events.map((e) => e.type);
  assert.deepEqual(types.slice(0, 4), ['file', 'file', 'file', 'started']);
  assert.ok(types.includes('backend') && types.includes('paused') && types.includes('resumed'));
  assert.equal(types.at(-1), 'finished');
  const statuses = (rel: string): string[] =>
    events.flatMap((e) => (e.type === 'file' && e.file.rel === rel ? [e.file.status] : []));
  assert.deepEqual(statuses('a.png'), ['queued', 'running', 'done']);
  assert.deepEqual(statuses('c.png'), ['queued', 'running', 'failed']);
  const last = progress.at(-1)!;
  assert.deepEqual([last.fraction, last.done, last.failed, last.running, last.queued], [1, 2, 1, 0, 0]);
  assert.ok(last.imagesPerSecond > 0);
  assert.ok(progress.some((p) => p.paused));
  assert.ok(
    progress.some((p) => p.etaMs !== null && p.etaMs > 0),
    'an ETA while running',
  );
});

test('cancel() during a run: resolves as cancelled and leaves no temporaries', async () => {
  const input = path.join(dir, 'cancel-in');
  const out = path.join(dir, 'cancel-out');
  await images(input, ['x.png', 'y.png'], 500);
  const plan = await planBatch({ inputDir: input, outputDir: out, request: sr });
  // Cancelled while both files are being computed (at the first progress of a file). How fast it
  // stops (≤ 1 s) is `dlnet bench`'s cancel_ms_batch, on a quiet machine.
  let cancelled = false;
  const run = startBatch(plan, {
    jobs: 2,
    backend: 'wasm',
    onEvent: (event) => {
      if (!cancelled && event.type === 'file-progress') {
        cancelled = true;
        run.cancel();
      }
    },
  });
  const result = await run.done;
  assert.ok(cancelled, 'the run was cancelled while a file was being computed');
  assert.equal(result.summary.wasCancelled, true);
  assert.deepEqual(
    result.files.map((f) => f.status),
    ['cancelled', 'cancelled'],
  );
  const left = await readdir(out).catch(() => []);
  assert.deepEqual(left, [], 'no temporaries, and the empty output folder made by the run is removed');
});

test('benchmarkBatch times the same folder with 1 and 2 workers', async () => {
  const input = path.join(dir, 'bench');
  await images(input, ['p.png', 'q.png', 'r.png']);
  const results = await benchmarkBatch({ inputDir: input, request: sr, jobs: [1, 2], backend: 'wasm', scratchDir: dir });
  assert.deepEqual(
    results.map((r) => [r.jobs, r.images, r.failed]),
    [
      [1, 3, 0],
      [2, 3, 0],
    ],
  );
  for (const r of results) assert.ok(r.imagesPerSecond > 0 && r.steadyImagesPerSecond >= r.imagesPerSecond);
  assert.deepEqual(
    (await readdir(dir)).filter((f) => f.startsWith('dlnet-batch-bench-')),
    [],
    'scratch outputs removed',
  );
});
