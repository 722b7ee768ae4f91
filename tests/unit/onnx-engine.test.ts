/**
 * The engine on the onnxruntime backend: the band engine's g tasks through onnxruntime give the
 * same x̂ as tfjs (parity level) and stay exact across bands and chunks; the worker pool equals the
 * in-process run; a cancelled job ends and the pool closes cleanly (terminating a thread mid-run
 * used to abort the process); a damaged ONNX file or a model without any falls back to tfjs g with a
 * sentence; interpolation (fconv-masked g and the steps' head products through onnxruntime) equals the wasm run.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import sharp from 'sharp';
import { planBatch, startBatch } from '../../src/engine/batch/index.js';
import { initBackend } from '../../src/engine/backend.js';
import { ONNX_SLAB_BYTES } from '../../src/engine/networks/onnx-g.js';
import { lastOnnxFallback, onnxGLayout, OnnxSrExecutor, srExecutor } from '../../src/engine/backends/onnx-sr.js';
import { createImage, type Image } from '../../src/engine/image.js';
import { loadWeights } from '../../src/engine/model-file.js';
import { findModel, getModelDirs, setModelDirs } from '../../src/engine/models.js';
import { SrWorkerPool } from '../../src/engine/parallel/pool.js';
import { SrCompute, srWeightsData } from '../../src/engine/parallel/sr-compute.js';
import { gChunks, LocalExecutor, planSrJob } from '../../src/engine/parallel/sr-engine.js';
import { restore, unloadModels } from '../../src/engine/restore.js';
import { releaseCompute, superResolve, superResolveOnPool } from '../../src/engine/restore-sr.js';
import { maxDiff } from '../helpers/arrays.js';
import { writeSrModel } from '../helpers/models.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'onnx-engine-'));
after(async () => {
  await unloadModels();
  rmSync(tmp, { recursive: true, force: true });
});

function photo(width: number, height: number, channels: Image['channels'] = 1): Image {
  const img = createImage(width, height, channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++)
        img.data[(y * width + x) * channels + c] = 0.5 + 0.4 * Math.sin(x * 0.31 + y * 0.17 + c) * Math.cos(y * 0.23 - c);
  return img;
}

const settings = { K: 5, gamma: 1e-3, beta1: 0.9, beta2: 0.999 };

async function onnx(): Promise<void> {
  const report = await initBackend('onnxruntime');
  assert.equal(report.name, 'onnxruntime', `onnxruntime is not available: ${report.skipped.map((s) => s.reason).join(' ')}`);
}

test('SR ×2 on onnxruntime: equals tfjs within 1e-4, bands and chunks stay exact, the pool equals this thread', async () => {
  const weights = await loadWeights((await findModel('sr', 2)).dir);
  const image = photo(70, 52);
  const run = { scale: 2 as const, blur: 1.3, settings };
  await initBackend('wasm');
  const wasm = await superResolve(weights, image, run, { tileSize: 4096 });
  await onnx();
  const whole = await superResolve(weights, image, run, { tileSize: 4096 });
  assert.ok(maxDiff(whole.data, wasm.data) < 1e-4, `onnxruntime vs wasm: ${maxDiff(whole.data, wasm.data)}`);
  const banded = await superResolve(weights, image, run, { bandRows: 20, chunkWidth: 24 });
  assert.ok(maxDiff(whole.data, banded.data) < 1e-5, `bands: ${maxDiff(whole.data, banded.data)}`);
  // The steps on wider chunks than g's (as on onnxruntime by default): still the untiled result.
  const wideSteps = await superResolve(weights, image, run, { bandRows: 20, chunkWidth: 12, stepChunkWidth: 40 });
  assert.ok(maxDiff(whole.data, wideSteps.data) < 1e-5, `wider step chunks: ${maxDiff(whole.data, wideSteps.data)}`);
  const pool = await SrWorkerPool.start(weights, { workers: 2, backend: 'onnxruntime' });
  try {
    assert.match(pool.backend, /^onnxruntime/);
    const pooled = await superResolveOnPool(pool, image, run, { bandRows: 20, chunkWidth: 24 });
    assert.ok(maxDiff(whole.data, pooled.data) < 1e-5, `pool: ${maxDiff(whole.data, pooled.data)}`);
  } finally {
    await pool.close();
  }
  releaseCompute(weights);
});

test('a cancelled onnxruntime job ends, the pool keeps working, and closing it mid-run does not abort the process', async () => {
  await onnx();
  const weights = await loadWeights((await findModel('sr', 2)).dir);
  const pool = await SrWorkerPool.start(weights, { workers: 2, backend: 'onnxruntime' });
  const image = photo(400, 300);
  const controller = new AbortController();
  const t0 = performance.now();
  setTimeout(() => controller.abort(), 300);
  await assert.rejects(superResolveOnPool(pool, image, { scale: 2, blur: 0, settings }, { signal: controller.signal }));
  const ms = performance.now() - t0 - 300;
  assert.ok(ms < 5000, `the cancelled job took ${ms.toFixed(0)} ms to end`);
  const small = photo(40, 30);
  const again = await superResolveOnPool(pool, small, { scale: 2, blur: 0, settings });
  assert.equal(again.width, 80);
  // Close while a job runs: the workers finish their part, release their sessions, then stop.
  const running = superResolveOnPool(pool, image, { scale: 2, blur: 0, settings }).catch(() => 'stopped');
  await new Promise((r) => setTimeout(r, 300));
  await pool.close();
  await running;
});

test('a damaged ONNX file or a model without ONNX files runs g on tfjs, with a sentence', async () => {
  await onnx();
  const dir = path.join(tmp, 'sr-x2-damaged');
  cpSync((await findModel('sr', 2)).dir, dir, { recursive: true });
  writeFileSync(path.join(dir, 'g.1.onnx'), 'not onnx');
  const damaged = new SrCompute(srWeightsData(await loadWeights(dir)));
  const executor = await srExecutor(damaged);
  assert.ok(executor instanceof LocalExecutor);
  assert.match(lastOnnxFallback ?? '', /the sha256 of g\.1\.onnx does not match model\.json; its g runs on tfjs-wasm\.$/);
  damaged.dispose();
  const plain = writeSrModel(tmp, { id: 'no-onnx', scale: 2, depth: 3, width: 8, K: 3 });
  const weights = await loadWeights(plain);
  assert.equal(weights.json.onnx, undefined);
  const compute = new SrCompute(srWeightsData(weights));
  assert.ok((await srExecutor(compute)) instanceof LocalExecutor);
  assert.match(lastOnnxFallback ?? '', /lists no ONNX files/);
  compute.dispose();
  const out = await superResolve(weights, photo(30, 20), { scale: 2, blur: 0, settings: { ...settings, K: 3 } }, {});
  assert.equal(out.width, 60);
  const shipped = new SrCompute(srWeightsData(await loadWeights((await findModel('sr', 2)).dir)));
  const e = await srExecutor(shipped);
  assert.ok(e instanceof OnnxSrExecutor);
  await e.net.release();
  shipped.dispose();
});

test('interpolation with g and the DL-Net head on onnxruntime equals the wasm run (in-process and on two workers)', async () => {
  const image = photo(330, 250, 3); // 35 crops of 64 px: two batches of at most 32
  const mask = { width: 330, height: 250, data: new Uint8Array(330 * 250).map((_, i) => ((i * 7919) % 10 < 4 ? 0 : 1)) };
  const results: Record<string, Image[]> = {};
  for (const backend of ['wasm', 'onnxruntime'] as const) {
    await unloadModels();
    await initBackend(backend);
    results[backend] = [
      await restore(image, { task: 'interpolate', mask }, {}), // both batches on this thread
      await restore(image, { task: 'interpolate', mask }, { workers: 2 }),
    ];
  }
  await unloadModels();
  for (let i = 0; i < 2; i++) {
    const d = maxDiff(results.wasm[i].data, results.onnxruntime[i].data);
    assert.ok(d < 1e-4, `${i === 0 ? 'in-process' : 'two workers'}: onnxruntime vs wasm ${d}`);
  }
});

test('a batch on onnxruntime cancelled mid-file ends as cancelled, and its workers stop without aborting the process', async () => {
  await onnx();
  const input = path.join(tmp, 'batch-in');
  const out = path.join(tmp, 'batch-out');
  rmSync(input, { recursive: true, force: true });
  const { mkdirSync } = await import('node:fs');
  mkdirSync(input, { recursive: true });
  for (const name of ['a.png', 'b.png']) {
    const data = Buffer.alloc(400 * 300 * 3);
    for (let j = 0; j < data.length; j++) data[j] = (j * 7 + name.charCodeAt(0)) % 256;
    await sharp(data, { raw: { width: 400, height: 300, channels: 3 } })
      .png()
      .toFile(path.join(input, name));
  }
  const shippedX2 = path.dirname((await findModel('sr', 2)).dir);
  const saved = getModelDirs();
  setModelDirs([shippedX2]);
  try {
    const plan = await planBatch({ inputDir: input, outputDir: out, request: { task: 'sr', scale: 2, blur: 0 } });
    let cancelled = false;
    const run = startBatch(plan, {
      jobs: 2,
      backend: 'onnxruntime',
      onEvent: (event) => {
        if (!cancelled && event.type === 'file-progress') {
          cancelled = true;
          setTimeout(() => run.cancel(), 200); // inside g, most likely in an onnxruntime run
        }
      },
    });
    const result = await run.done;
    assert.ok(cancelled);
    assert.equal(result.summary.wasCancelled, true);
    assert.deepEqual(
      result.files.map((f) => f.status),
      ['cancelled', 'cancelled'],
    );
  } finally {
    setModelDirs(saved);
  }
});

test('onnxruntime chunks keep every g slab activation under ONNX_SLAB_BYTES (the shipped 16 × 64 g, K = 5)', () => {
  for (const t of [2, 3, 4]) {
    const [radius, C, K] = [16, 64, 5];
    const layout = onnxGLayout(t, C);
    assert.ok(layout.chunkWidth <= Math.round(1024 / t), `×${t}: ${layout.chunkWidth} columns`);
    const plan = planSrJob(Math.round(4000 / t), Math.round(3000 / t), {
      radius,
      C,
      scale: t,
      K,
      ...layout,
      stepChunkWidth: 2048 / t,
      parallel: 2,
    });
    // The row ranges g runs on: a whole band with its margins (the first band, or one a viewer looks at
    // first) and the rows a later band adds below the cache.
    const ranges = plan.bands.flatMap((b) => [
      [Math.max(0, b.r0 - plan.kMargin), Math.min(plan.height, b.r1 + plan.kMargin)],
      [Math.min(plan.height, b.r0 + plan.kMargin), Math.min(plan.height, b.r1 + plan.kMargin)],
    ]);
    for (const [y0, y1] of ranges) {
      const chunks = gChunks(plan, y0, y1);
      const rows = Math.min(plan.height, y1 + plan.gContext) - Math.max(0, y0 - plan.gContext);
      const cols = Math.max(...chunks.map((c) => c.c1 - c.c0)) + 2 * plan.gContext;
      assert.ok(
        rows * cols * C * 4 <= ONNX_SLAB_BYTES,
        `×${t}: a ${rows} × ${cols} slab is ${rows * cols * C * 4} bytes per activation`,
      );
      assert.equal(chunks.length % 2, 0);
      assert.equal(chunks[0].c0, 0);
      assert.equal(chunks.at(-1)!.c1, plan.width);
    }
    // Fewer rows, wider slabs: the rows band 1 adds below the cache take fewer chunks than the whole band 1 (the
    // band a viewer looks at first).
    const [whole, later] = [gChunks(plan, ...(ranges[2] as [number, number])), gChunks(plan, ...(ranges[3] as [number, number]))];
    assert.ok(later.length < whole.length, `×${t}: ${whole.length} chunks for a whole band, ${later.length} for its new rows`);
    // The steps keep their own, wider chunks (each step region recomputes kMargin columns on both sides).
    assert.ok(plan.stepChunks.length < whole.length, `×${t}: ${plan.stepChunks.length} step chunks`);
    assert.equal(plan.stepChunks.length % 2, 0);
  }
});
