import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { initBackend } from '../../src/engine/backend.js';
import { createImage, type Image } from '../../src/engine/image.js';
import { loadWeights } from '../../src/engine/model-file.js';
import { setModelDirs } from '../../src/engine/models.js';
import { mergeWithUpscaledChroma, srOverlap, superResolve } from '../../src/engine/restore-sr.js';
import { splitLuma } from '../../src/engine/color.js';
import { bicubicUpscaleImage } from '../../src/engine/degradations.js';
import { poolThreads, restore, unloadModels } from '../../src/engine/restore.js';
import type { RestoreEvent } from '../../src/engine/restore-types.js';
import { writeSrModel } from '../helpers/models.js';
import { maxDiff } from '../helpers/arrays.js';

let dir: string;

before(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(path.join(tmpdir(), 'restore-sr-'));
  writeSrModel(dir, { scale: 2, depth: 3, width: 8, K: 3 });
  writeSrModel(dir, { scale: 3, depth: 2, width: 4, K: 5 });
  writeSrModel(dir, { id: 'drrn-x2', scale: 2, depth: 4, width: 8, backbone: 'drrn-lr', K: 3 });
  writeSrModel(dir, { id: 'idn-x2', scale: 2, depth: 2, width: 64, backbone: 'idn-lr', K: 3 });
  setModelDirs([dir]);
});

after(async () => {
  await unloadModels();
  rmSync(dir, { recursive: true, force: true });
});

function photo(width: number, height: number, channels: Image['channels']): Image {
  const img = createImage(width, height, channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++)
        img.data[(y * width + x) * channels + c] = 0.5 + 0.4 * Math.sin(x * 0.31 + y * 0.17 + c) * Math.cos(y * 0.23 - c);
    }
  }
  return img;
}

test('tiled super-resolution equals the untiled run (DL-Net steps included), and too little overlap does not', async () => {
  const weights = await loadWeights(path.join(dir, 'sr-x2'));
  const image = photo(90, 70, 1);
  const settings = { K: 3, gamma: 1e-2, beta1: 0.9, beta2: 0.999 };
  for (const blur of [0, 1.3]) {
    const run = { scale: 2 as const, blur, settings };
    const whole = await superResolve(weights, image, run, { tileSize: 4096 });
    const events: RestoreEvent[] = [];
    const tiled = await superResolve(weights, image, run, {
      tileSize: 2 * srOverlap(3, 2, 3) + 32,
      onEvent: (e) => events.push(e),
    });
    assert.ok(events.filter((e) => e.type === 'tile').length > 1, 'the run was not tiled');
    assert.equal(tiled.width, 180);
    assert.ok(maxDiff(whole.data, tiled.data) < 1e-5, `u=${blur}: tiled differs by ${maxDiff(whole.data, tiled.data)}`);
    const short = await superResolve(weights, image, { ...run, overlap: 4 }, { tileSize: 40 });
    assert.ok(maxDiff(whole.data, short.data) > 1e-4, 'a 4-pixel overlap should show seams');
  }
});

// g's receptive radius: DRRN 1 + 2·4 = 9 LR pixels, IDN 2 + 6·2 = 14 (a plain stack of 3 would need 3).
for (const [id, radius] of [
  ['drrn-x2', 9],
  ['idn-x2', 14],
] as const)
  test(`${id}: tiled equals untiled at the backbone's own receptive radius, and two threads equal one`, async () => {
    const weights = await loadWeights(path.join(dir, id));
    const image = photo(90, 70, 1);
    const run = { scale: 2 as const, blur: 1.3, settings: { K: 3, gamma: 1e-2, beta1: 0.9, beta2: 0.999 } };
    const whole = await superResolve(weights, image, run, { tileSize: 4096 });
    const events: RestoreEvent[] = [];
    const tileSize = 2 * srOverlap(radius, 2, 3) + 32;
    const tiled = await superResolve(weights, image, run, { tileSize, onEvent: (e) => events.push(e) });
    assert.ok(events.filter((e) => e.type === 'tile').length > 1, 'the run was not tiled');
    assert.ok(maxDiff(whole.data, tiled.data) < 1e-5, `tiled differs by ${maxDiff(whole.data, tiled.data)}`);
    const short = await superResolve(weights, image, { ...run, overlap: 6 }, { tileSize: 44 });
    assert.ok(maxDiff(whole.data, short.data) > 1e-4, "less context than g's radius should show seams");
    const colour = photo(50, 40, 3);
    const one = await restore(colour, { task: 'sr', scale: 2, blur: 0, modelId: id });
    const two = await restore(colour, { task: 'sr', scale: 2, blur: 0, modelId: id }, { workers: 2 });
    assert.ok(maxDiff(one.data, two.data) < 1e-5);
    await unloadModels();
  });

test('restore upscales colour with alpha: ×3 dimensions, iteration frames streamed, alpha kept', async () => {
  const image = photo(20, 14, 4);
  const frames: { k: number; likelihood: number }[] = [];
  const out = await restore(
    image,
    { task: 'sr', scale: 3, blur: 1.3 },
    {
      onEvent: (e) => {
        if (e.type === 'iteration') {
          assert.equal(e.image.width, 60);
          assert.equal(e.image.channels, 4);
          frames.push({ k: e.k, likelihood: e.likelihood });
        }
      },
    },
  );
  assert.equal(out.width, 60);
  assert.equal(out.height, 42);
  assert.equal(out.channels, 4);
  assert.deepEqual(
    frames.map((f) => f.k),
    [1, 2, 3, 4, 5],
  );
  for (const v of out.data) assert.ok(v >= 0 && v <= 1);
  const alphaIn = image.data[3];
  assert.ok(Math.abs(out.data[3] - alphaIn) < 0.05);
});

test('restore refuses a missing model, bad iterations and a bad scale with one sentence', async () => {
  const image = photo(8, 8, 3);
  await assert.rejects(restore(image, { task: 'sr', scale: 4, blur: 0 }), /No super-resolution ×4 model is installed/);
  await assert.rejects(
    restore(image, { task: 'sr', scale: 2, blur: 0, iterations: 0 }),
    /number of iterations must be a whole number/,
  );
  await assert.rejects(restore(image, { task: 'sr', scale: 2, blur: 4 }), /blur width must be between 0 and 3/);
  await assert.rejects(
    restore(image, { task: 'inpaint', mask: { width: 8, height: 8, data: new Uint8Array(64) } }),
    /No inpainting model is installed/,
  );
});

test('restore on two worker threads gives the single-thread result', async () => {
  const image = photo(40, 30, 3);
  const one = await restore(image, { task: 'sr', scale: 2, blur: 1.3 });
  const frames: number[] = [];
  const two = await restore(
    image,
    { task: 'sr', scale: 2, blur: 1.3 },
    { workers: 2, onEvent: (e) => e.type === 'iteration' && frames.push(e.k) },
  );
  assert.deepEqual(frames, [1, 2, 3]);
  assert.ok(maxDiff(one.data, two.data) < 1e-5, `workers differ by ${maxDiff(one.data, two.data)}`);
  await unloadModels(); // closes the pool's threads: the test process can exit
});

test('the final colour merge upscales chroma and alpha strip by strip, equal to the whole-plane upscale', () => {
  for (const channels of [1, 2, 3, 4] as const)
    for (const t of [2, 3, 4]) {
      const planes = splitLuma(photo(13, 17, channels));
      const luma = new Float32Array(13 * t * 17 * t).map((_, i) => (i % 97) / 97);
      const whole = mergeWithUpscaledChroma(planes, luma, t, 1000);
      const strips = mergeWithUpscaledChroma(planes, luma, t, 2);
      assert.equal(strips.channels, channels);
      assert.equal(strips.width, 13 * t);
      assert.deepEqual(strips.data, whole.data, `${channels} channels, ×${t}`);
      // Colour: red is not the luma alone, so the chroma took part.
      if (channels >= 3)
        assert.ok(
          maxDiff(
            whole.data.filter((_, i) => i % channels === 0),
            luma,
          ) > 0.01,
        );
    }
});

test('a region of 64+ LR rows streams a preview first: x̂_1 in its top rows, the bicubic upscale below', async () => {
  const image = photo(30, 70, 3);
  for (const workers of [undefined, 2]) {
    const events: RestoreEvent[] = [];
    const out = await restore(
      image,
      { task: 'sr', scale: 2, blur: 0 },
      { workers, onEvent: (e) => e.type !== 'progress' && events.push(e) },
    );
    assert.deepEqual(
      events.map((e) => e.type),
      ['preview', 'iteration', 'iteration', 'iteration'],
    );
    const preview = events[0] as Extract<RestoreEvent, { type: 'preview' }>;
    const first = events[1] as Extract<RestoreEvent, { type: 'iteration' }>;
    assert.equal(preview.rows, 2 * 16); // max(16, 70 / 5) LR rows
    assert.equal(preview.image.width, 60);
    const rowLen = 60 * 3;
    const top = preview.rows * rowLen;
    // The top rows are x̂_1 exactly as the first iteration has them, and differ from bicubic.
    assert.ok(maxDiff(preview.image.data.subarray(0, top), first.image.data.subarray(0, top)) < 1e-6, `workers ${workers}`);
    const bicubic = restoreBicubic(image, 2);
    assert.ok(maxDiff(preview.image.data.subarray(0, top), bicubic.subarray(0, top)) > 1e-3);
    // Below them: the bicubic upscale, which the network has not touched yet.
    assert.ok(maxDiff(preview.image.data.subarray(top), bicubic.subarray(top)) < 1e-6);
    assert.equal(out.height, 140);
  }
  await unloadModels();
});

/** Bicubic upscaling of a colour image as the engine does it (luma and chroma each bicubic). */
function restoreBicubic(image: Image, t: number): Float32Array {
  const planes = splitLuma(image);
  const luma = bicubicUpscaleImage({ width: image.width, height: image.height, channels: 1, data: planes.y }, t).data;
  return mergeWithUpscaledChroma(
    planes,
    luma.map((v) => Math.min(1, Math.max(0, v))),
    t,
  ).data;
}

test('a pool whose thread died is retired: the next restoration starts a fresh pool with the same result', async () => {
  const image = photo(40, 30, 3);
  const run = { task: 'sr', scale: 2, blur: 0 } as const;
  const first = await restore(image, run, { workers: 2 });
  const [dead, other] = await poolThreads();
  assert.ok(dead && other, 'two pool threads');
  await dead.terminate();
  await new Promise((resolve) => setImmediate(resolve)); // the 'exit' listeners run
  const second = await restore(image, run, { workers: 2 });
  const fresh = await poolThreads();
  assert.equal(fresh.length, 2);
  assert.ok(!fresh.includes(dead) && !fresh.includes(other), 'both threads are new');
  assert.ok(maxDiff(first.data, second.data) < 1e-6);
  await unloadModels();
});
