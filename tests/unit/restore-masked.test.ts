import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { initBackend } from '../../src/engine/backend.js';
import { type Mask } from '../../src/engine/image.js';
import { alphaMask } from '../../src/engine/mask-io.js';
import { setModelDirs } from '../../src/engine/models.js';
import { loadWeights } from '../../src/engine/model-file.js';
import { MaskedWorkerPool } from '../../src/engine/parallel/masked-pool.js';
import { sorOmega } from '../../src/engine/masked-batch.js';
import { batchInput, correctResidual, holeComponents } from '../../src/engine/restore-masked.js';
import { poolThreads, restore, unloadModels } from '../../src/engine/restore.js';
import { maskWith, photo } from '../helpers/images.js';
import { writeMaskedModel } from '../helpers/models.js';

let dir: string;

before(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(path.join(tmpdir(), 'restore-masked-'));
  writeMaskedModel(dir, 'inpaint');
  writeMaskedModel(dir, 'interpolate', 4);
  setModelDirs([dir]);
});

after(async () => {
  await unloadModels();
  rmSync(dir, { recursive: true, force: true });
});

test('hole components: two separate holes give two boxes', () => {
  const { boxes, labels } = holeComponents(
    maskWith(50, 40, [
      [2, 3, 5, 4],
      [30, 20, 10, 10],
    ]),
  );
  assert.deepEqual(boxes, [
    { x0: 2, y0: 3, x1: 6, y1: 6 },
    { x0: 30, y0: 20, x1: 39, y1: 29 },
  ]);
  assert.equal(labels[3 * 50 + 2], 1);
  assert.equal(labels[25 * 50 + 35], 2);
  assert.equal(labels[0], 0);
});

test('seam correction removes a constant offset of the fill exactly', () => {
  const n = 64 * 64;
  const truth = new Float32Array(n * 3).map((_, i) => 0.3 + 0.001 * (i % 97));
  const mask = new Float32Array(n).fill(1);
  for (let y = 20; y < 40; y++) mask.fill(0, y * 64 + 20, y * 64 + 40);
  const known = truth.map((v, i) => (mask[Math.floor(i / 3)] ? v : 0));
  const out = truth.map((v) => v + 0.2);
  correctResidual(out, known, mask, 2000);
  for (let i = 0; i < out.length; i++) if (!mask[Math.floor(i / 3)]) assert.ok(Math.abs(out[i] - truth[i]) < 1e-4, `pixel ${i}`);
});

/** The membrane through the known values of `r` (plain Jacobi, run far past convergence): what correctResidual adds. */
function membrane(r: Float32Array, mask: Float32Array, width: number, height: number, sweeps: number): Float32Array {
  let cur = Float32Array.from(r);
  let next = Float32Array.from(r);
  for (let s = 0; s < sweeps; s++) {
    for (let p = 0; p < width * height; p++) {
      if (mask[p]) continue;
      const x = p % width;
      const y = (p - x) / width;
      const around = [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, y > 0 ? p - width : -1, y < height - 1 ? p + width : -1];
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        let count = 0;
        for (const q of around)
          if (q >= 0) {
            sum += cur[q * 3 + c];
            count++;
          }
        next[p * 3 + c] = sum / count;
      }
    }
    [cur, next] = [next, cur];
  }
  return cur;
}

test('seam correction of an interpolation tile (scattered missing pixels, larger than 64×64) reaches the membrane', () => {
  const [width, height] = [160, 120];
  const n = width * height;
  let s = 7;
  const mask = new Float32Array(n).map(() => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 < 0.45 ? 1 : 0));
  // Scattered gaps relax at a small factor; a 60-px hole keeps SOR's 1.85.
  assert.ok(sorOmega(mask, width, height) < 1.6, `ω ${sorOmega(mask, width, height)} for scattered gaps`);
  const hole = new Float32Array(n).fill(1);
  for (let y = 30; y < 90; y++) hole.fill(0, y * width + 50, y * width + 110);
  assert.equal(sorOmega(hole, width, height), 1.85);

  const out = new Float32Array(n * 3).map((_, i) => 0.5 + 0.3 * Math.sin(i * 0.001));
  const known = new Float32Array(n * 3);
  const residual = new Float32Array(n * 3);
  for (let p = 0; p < n; p++)
    if (mask[p])
      for (let c = 0; c < 3; c++) {
        const x = p % width;
        residual[p * 3 + c] = 0.05 * Math.sin(x / 9 + c) + 0.02 * Math.cos(p / width / 7);
        known[p * 3 + c] = out[p * 3 + c] + residual[p * 3 + c];
      }
  const want = membrane(residual, mask, width, height, 400);
  const corrected = Float32Array.from(out);
  correctResidual(corrected, known, mask, 300, width, height);
  let worst = 0;
  for (let i = 0; i < n * 3; i++)
    if (!mask[Math.floor(i / 3)]) worst = Math.max(worst, Math.abs(corrected[i] - out[i] - want[i]));
  assert.ok(worst < 5e-6, `the correction is ${worst} from the membrane`);
});

test('inpainting a larger photo keeps every known pixel and alpha, fills each hole, streams K frames', async () => {
  const image = photo(300, 200, 4);
  const mask = maskWith(300, 200, [
    [10, 10, 12, 12],
    [150, 60, 90, 70],
  ]);
  const frames: number[] = [];
  const out = await restore(image, { task: 'inpaint', mask }, { onEvent: (e) => e.type === 'iteration' && frames.push(e.k) });
  assert.deepEqual(frames, [1, 2, 3, 4, 5]);
  assert.equal(out.channels, 4);
  let changed = 0;
  for (let p = 0; p < mask.data.length; p++) {
    for (let c = 0; c < 4; c++) {
      const a = image.data[p * 4 + c];
      const b = out.data[p * 4 + c];
      if (mask.data[p]) assert.equal(b, a, `known pixel ${p} changed`);
      else if (c < 3 && a !== b) changed++;
    }
  }
  assert.ok(changed > 0.9 * 3 * (144 + 6300), `only ${changed} hole values were filled`);
});

test('interpolation covers a whole photo with blended tiles; a wrong-size mask is refused', async () => {
  const image = photo(150, 90);
  const mask: Mask = { width: 150, height: 90, data: new Uint8Array(150 * 90).map((_, i) => ((i * 7919) % 10 < 5 ? 0 : 1)) };
  const out = await restore(image, { task: 'interpolate', mask });
  for (let p = 0; p < mask.data.length; p++)
    if (mask.data[p]) for (let c = 0; c < 3; c++) assert.equal(out.data[p * 3 + c], image.data[p * 3 + c]);
  await assert.rejects(
    restore(image, { task: 'interpolate', mask: maskWith(10, 10, []) }),
    /mask is 10×10 but the image is 150×90/,
  );
});

test('a fully convolutional (fconv-masked) model interpolates a photo in tiles at its own resolution, on one thread or two', async () => {
  setModelDirs([dir, fileURLToPath(new URL('../fixtures/models/', import.meta.url))]);
  const image = photo(700, 300); // two tiles: the two-thread run uses the worker pool
  const mask: Mask = { width: 700, height: 300, data: new Uint8Array(700 * 300).map((_, i) => ((i * 7919) % 10 < 5 ? 0 : 1)) };
  const request = { task: 'interpolate' as const, mask, modelId: 'fconv-tiny' };
  const one = await restore(image, request);
  const two = await restore(image, request, { workers: 2 });
  const contextEncoder = await restore(image, { task: 'interpolate', mask });
  let differs = 0;
  for (let p = 0; p < mask.data.length; p++)
    for (let c = 0; c < 3; c++) {
      const i = p * 3 + c;
      if (mask.data[p]) assert.equal(one.data[i], image.data[i]);
      else if (Math.abs(one.data[i] - contextEncoder.data[i]) > 1e-3) differs++;
      assert.ok(one.data[i] >= 0 && one.data[i] <= 1);
      assert.ok(Math.abs(one.data[i] - two.data[i]) < 1e-6, 'two threads differ from one');
    }
  assert.ok(differs > 0.25 * mask.data.length, "the fill is not the requested model's");
  await unloadModels();
  setModelDirs([dir]);
});

test('interpolating the transparent pixels of an RGBA image fills them opaque (dlnet interpolate --alpha)', async () => {
  // 80×60: a side under 64 px, where the tiles are smaller than the model's input
  for (const [w, h] of [
    [90, 70],
    [80, 60],
  ]) {
    const image = photo(w, h, 4);
    for (let p = 0; p < w * h; p += 3) image.data[p * 4 + 3] = 0;
    const mask = alphaMask(image);
    const out = await restore(image, { task: 'interpolate', mask });
    for (let p = 0; p < mask.data.length; p++) {
      assert.equal(out.data[p * 4 + 3], mask.data[p] ? image.data[p * 4 + 3] : 1, `${w}×${h}: alpha of pixel ${p}`);
    }
  }
});

test('interpolation of a photo of several batches on two worker threads equals the one-thread run', async () => {
  const image = photo(330, 300); // 7 × 6 tiles of 64 px: two batches of up to 32 crops
  const mask: Mask = { width: 330, height: 300, data: new Uint8Array(330 * 300).map((_, i) => ((i * 7919) % 10 < 5 ? 0 : 1)) };
  const progress: number[] = [];
  const one = await restore(image, { task: 'interpolate', mask });
  const two = await restore(
    image,
    { task: 'interpolate', mask },
    { workers: 2, onEvent: (e) => e.type === 'progress' && progress.push(e.fraction) },
  );
  assert.deepEqual(progress, [0.5, 1]);
  let diff = 0;
  let filled = 0;
  for (let i = 0; i < one.data.length; i++) {
    diff = Math.max(diff, Math.abs(one.data[i] - two.data[i]));
    if (one.data[i] !== image.data[i]) filled++;
  }
  assert.ok(filled > 0.3 * one.data.length, 'the missing half was filled');
  assert.ok(diff < 1e-6, `two threads differ from one by ${diff}`);
  await unloadModels(); // closes the pool's threads
});

test('one worker pool is kept at a time: switching task closes the previous pool', async () => {
  const image = photo(330, 300);
  const mask: Mask = { width: 330, height: 300, data: new Uint8Array(330 * 300).map((_, i) => ((i * 7919) % 10 < 5 ? 0 : 1)) };
  await restore(image, { task: 'interpolate', mask }, { workers: 2 });
  const interpolating = await poolThreads();
  assert.equal(interpolating.length, 2);
  const holes = maskWith(330, 300, [
    [20, 20, 30, 30],
    [200, 150, 40, 40],
    [100, 250, 20, 20],
  ]);
  // Enough holes for two batches of crops, so inpainting starts its own pool.
  for (let i = 0; i < 40; i++)
    holes.data.fill(
      0,
      (5 + (i % 8) * 35) * 330 + 10 + Math.floor(i / 8) * 60,
      (5 + (i % 8) * 35) * 330 + 14 + Math.floor(i / 8) * 60,
    );
  await restore(image, { task: 'inpaint', mask: holes }, { workers: 2 });
  const inpainting = await poolThreads();
  assert.equal(inpainting.length, 2);
  assert.ok(
    inpainting.every((t) => !interpolating.includes(t)),
    'the interpolation pool was replaced',
  );
  await unloadModels();
});

test('an inpainting worker polls the cancel flag inside a batch: a cancelled fill rejects, the next one runs', async () => {
  const weights = await loadWeights(path.join(dir, 'interpolate'));
  const pool = await MaskedWorkerPool.start(weights, { workers: 1, backend: 'wasm' });
  try {
    const image = photo(64, 64);
    const input = () => batchInput(image, maskWith(64, 64, [[10, 10, 20, 20]]), [{ x: 0, y: 0, size: 64 }]);
    const settings = { K: 3, gamma: 1e-2, beta1: 0.9, beta2: 0.999 };
    const controller = new AbortController();
    controller.abort(); // the executor raises the shared flag; only the worker's own check can stop the fill
    await assert.rejects(pool.executors[0].fill(input(), settings, true, controller.signal), /cancelled/);
    const given = input();
    const out = await pool.executors[0].fill(given, settings, true);
    assert.equal(given.y.length, 0, "the input's arrays moved to the worker");
    assert.equal(out.length, 64 * 64 * 3);
  } finally {
    await pool.close();
  }
});
