/**
 * Inpainting and interpolation at the photo's own resolution with fully convolutional models
 * (restore-holes.ts, restore-tiles.ts), run with the tiny fixture models.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../src/engine/backend.js';
import { type Mask } from '../../src/engine/image.js';
import { setModelDirs } from '../../src/engine/models.js';
import { fillBatch } from '../../src/engine/masked-batch.js';
import { loadWeights } from '../../src/engine/model-file.js';
import { maskedNetwork } from '../../src/engine/networks/index.js';
import { FConvMaskedNet, firstGuessArrays } from '../../src/engine/networks/fconv-masked.js';
import { tf } from '../../src/engine/backend.js';
import { CONTEXT, holeRegions, MAX_CROP_PIXELS, regionInput } from '../../src/engine/restore-holes.js';
import { interpolationTiles } from '../../src/engine/restore-tiles.js';
import { restore, unloadModels } from '../../src/engine/restore.js';
import type { RestoreEvent } from '../../src/engine/restore-types.js';
import { maskWith, photo } from '../helpers/images.js';

const MODEL = 'fconv-inpaint-tiny';

before(async () => {
  await initBackend('wasm');
  setModelDirs([fileURLToPath(new URL('../fixtures/models/', import.meta.url))]);
});

after(async () => {
  await unloadModels();
});

test('hole regions: bounding box plus context inside the photo, padded to the multiple; big ones downscaled', () => {
  const [small, edge, big] = holeRegions(
    [
      { x0: 100, y0: 80, x1: 139, y1: 99 },
      { x0: 0, y0: 0, x1: 9, y1: 9 },
      { x0: 0, y0: 0, x1: 1499, y1: 999 },
    ],
    1500,
    1000,
    32,
  );
  assert.deepEqual([small.x, small.y, small.width, small.height], [100 - CONTEXT, 80 - CONTEXT, 40 + 2 * CONTEXT, 20 + 2 * CONTEXT]);
  assert.deepEqual([small.innerWidth, small.modelWidth, small.modelHeight], [small.width, 192, 160]);
  assert.deepEqual([edge.x, edge.y, edge.width, edge.height], [0, 0, 10 + CONTEXT, 10 + CONTEXT]);
  assert.ok(big.innerWidth * big.innerHeight <= MAX_CROP_PIXELS * 1.01, 'a big crop is computed downscaled');
  assert.ok(big.innerWidth < big.width && big.modelWidth % 32 === 0 && big.modelHeight % 32 === 0);
});

test('every hole is filled at full resolution, known pixels kept exactly, frames of the whole photo', async () => {
  const image = photo(300, 200);
  const mask = maskWith(300, 200, [
    [20, 30, 40, 25],
    [200, 120, 60, 50],
  ]);
  const events: RestoreEvent[] = [];
  const out = await restore(image, { task: 'inpaint', mask, modelId: MODEL }, { onEvent: (e) => events.push(e) });
  let filled = 0;
  for (let p = 0; p < mask.data.length; p++)
    for (let c = 0; c < 3; c++) {
      const i = p * 3 + c;
      assert.ok(out.data[i] >= 0 && out.data[i] <= 1);
      if (mask.data[p]) assert.equal(out.data[i], image.data[i]);
      else if (Math.abs(out.data[i] - image.data[i]) > 1e-6) filled++;
    }
  assert.ok(filled > 0.9 * 3 * (40 * 25 + 60 * 50), 'the holes were not filled');
  const frames = events.filter((e) => e.type === 'iteration');
  assert.deepEqual(
    frames.map((e) => e.type === 'iteration' && [e.k, e.K, e.image.width, e.image.height]),
    [1, 2, 3].map((k) => [k, 3, 300, 200]),
  );
  const last = frames[2];
  assert.ok(last.type === 'iteration');
  assert.deepEqual(last.image.data, out.data, 'the last frame is the result');
  for (const e of frames) assert.ok(e.type === 'iteration' && Number.isFinite(e.likelihood) && e.likelihood >= 0);
  const progress = events.filter((e) => e.type === 'progress').map((e) => e.type === 'progress' && e.fraction);
  assert.deepEqual(progress, [0.5, 1]);
});

test('a hole larger than the crop limit is filled downscaled, known pixels still exact', async () => {
  const image = photo(1200, 1000);
  const mask = maskWith(1200, 1000, [[100, 80, 1000, 840]]);
  const out = await restore(image, { task: 'inpaint', mask, modelId: MODEL });
  let changed = 0;
  for (let p = 0; p < mask.data.length; p++)
    for (let c = 0; c < 3; c++) {
      const i = p * 3 + c;
      if (mask.data[p]) assert.equal(out.data[i], image.data[i]);
      else if (out.data[i] !== 0) changed++;
    }
  assert.ok(changed > 0.9 * 3 * 1000 * 840);
});

test('a cancelled inpainting stops with an abort', async () => {
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    restore(photo(200, 150), { task: 'inpaint', mask: maskWith(200, 150, [[50, 50, 30, 30]]), modelId: MODEL }, { signal: controller.signal }),
    (error: Error) => error.name === 'AbortError',
  );
});

for (const K of [1, 4]) {
  test(`interpolation tiles with the network's reach as context give what the whole photo at once gives (K = ${K})`, async () => {
    const width = 1100;
    const height = 90;
    const image = photo(width, height);
    const mask: Mask = { width, height, data: new Uint8Array(width * height).map((_, i) => ((i * 7919) % 10 < 4 ? 0 : 1)) };
    const weights = await loadWeights(fileURLToPath(new URL('../fixtures/models/fconv-tiny/', import.meta.url)));
    const net = maskedNetwork(weights)!;
    const settings = { K, gamma: 1e-2, beta1: 0.9, beta2: 0.999 };
    // First guess 3 px, g's 3 layers, h, and 2 px per step after the first.
    assert.equal(net.reach!(K), 3 + 3 + 1 + 2 * (K - 1));
    const tiles = interpolationTiles(width, height, net.reach!(K));
    assert.equal(tiles.length, 3);
    const whole = { x: 0, y: 0, width, height, innerWidth: width, innerHeight: height, modelWidth: width, modelHeight: height, component: 0 };
    let known = 0;
    for (const v of mask.data) known += v;
    const weighting = { trainingArea: 64 * 64, density: known / mask.data.length };
    const all = await fillBatch(net, regionInput(image, mask, whole, weighting), settings, false);
    const worstOf = async (margin: number) => {
      let worst = 0;
      for (const t of interpolationTiles(width, height, margin)) {
        const out = await fillBatch(net, regionInput(image, mask, t.region, weighting), settings, false);
        for (let y = t.core.y; y < t.core.y + t.core.height; y++)
          for (let x = t.core.x; x < t.core.x + t.core.width; x++)
            for (let c = 0; c < 3; c++) {
              const inTile = ((y - t.region.y) * t.region.width + (x - t.region.x)) * 3 + c;
              worst = Math.max(worst, Math.abs(out[inTile] - all[(y * width + x) * 3 + c]));
            }
      }
      return worst;
    };
    const exact = await worstOf(net.reach!(K));
    assert.ok(exact < 1e-5, `max difference ${exact} with the reach as margin`);
    if (K === 1) {
      // One pixel less context shows at the seams (after more steps, their spread falls below float precision).
      const short = await worstOf(net.reach!(K) - 1);
      assert.ok(short > 1e-5, `max difference ${short} with 1 px less`);
    }
    net.dispose();
  });
}

test('the first guess on arrays (two 1-D passes) gives the tfjs 7×7 normalised convolution', async () => {
  const [n, h, w] = [2, 23, 31];
  const y = Float32Array.from({ length: n * h * w * 3 }, (_, i) => Math.sin(i * 0.71) * 0.9);
  // Scattered known pixels, and a block with none within the Gaussian's reach (the 1e-4 floor).
  const mask = Float32Array.from({ length: n * h * w }, (_, p) => {
    const x = p % w;
    const row = Math.floor(p / w) % h;
    return x > 18 && row > 10 ? 0 : (p * 7919) % 10 < 6 ? 1 : 0;
  });
  for (let p = 0; p < mask.length; p++) if (!mask[p]) y.fill(0, p * 3, p * 3 + 3);
  const weights = await loadWeights(fileURLToPath(new URL('../fixtures/models/fconv-tiny/', import.meta.url)));
  const net = new FConvMaskedNet(weights);
  const yt = tf.tensor4d(y, [n, h, w, 3]);
  const mt = tf.tensor4d(mask, [n, h, w, 1]);
  const expected = net.firstGuess(yt, mt).dataSync() as Float32Array;
  const actual = firstGuessArrays(y, mask, n, h, w);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst < 1e-5, `max difference ${worst}`);
  assert.ok(expected.some((v) => Math.abs(v) > 0.1), 'the guess is not all zero');
  tf.dispose([yt, mt]);
  net.dispose();
});

test('a fconv-inpaint model whose backbone.sweeps is not a whole number from 0 to 1000 is refused with one sentence', async () => {
  const weights = await loadWeights(fileURLToPath(new URL(`../fixtures/models/${MODEL}/`, import.meta.url)));
  for (const sweeps of [-1, 2.5, 5000]) {
    const damaged = { ...weights, json: { ...weights.json, backbone: { ...weights.json.backbone, sweeps } } };
    assert.throws(
      () => maskedNetwork(damaged as typeof weights),
      (e: Error) => e.name === 'UserError' && /cannot be used: backbone\.sweeps must be a whole number from 0 to 1000\.$/.test(e.message),
    );
  }
});
