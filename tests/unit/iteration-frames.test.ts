/**
 * Display-resolution iterates (engine/iteration-frames.ts): frames and residual maps built band by
 * band, in any order, equal those of the whole image; they stay close to the exact colour frame.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { initBackend } from '../../src/engine/backend.js';
import { splitLuma } from '../../src/engine/color.js';
import { createImage, type Image } from '../../src/engine/image.js';
import { BandShrinker, FrameStore, SrFrameStream } from '../../src/engine/iteration-frames.js';
import { loadWeights } from '../../src/engine/model-file.js';
import { superResolve } from '../../src/engine/restore-sr.js';
import type { RestoreEvent } from '../../src/engine/restore-types.js';
import { shrinkMap, toFrame } from '../../src/server/pixels.js';
import { maxDiff } from '../helpers/arrays.js';
import { writeSrModel } from '../helpers/models.js';

let dir: string;

before(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(path.join(tmpdir(), 'iteration-frames-'));
  writeSrModel(dir, { scale: 2, depth: 3, width: 8, K: 3 });
});

after(() => rmSync(dir, { recursive: true, force: true }));

function photo(width: number, height: number, channels: Image['channels']): Image {
  const img = createImage(width, height, channels);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < channels; c++)
        img.data[(y * width + x) * channels + c] = 0.5 + 0.4 * Math.sin(x * 0.31 + y * 0.17 + c) * Math.cos(y * 0.23 - c);
  return img;
}

test('BandShrinker: bands in any order give the box means of the whole plane (and of its absolute values)', () => {
  const [W, H] = [173, 131];
  const plane = new Float32Array(W * H).map((_, i) => Math.sin(i * 0.37) * 0.5);
  for (const [maxSide, abs] of [
    [40, true],
    [173, true],
    [40, false],
    [173, false],
    [97, false],
  ] as const) {
    const ref = shrinkMap(abs ? Float32Array.from(plane, Math.abs) : plane, W, H, maxSide);
    const s = new BandShrinker(W, H, ref.width, ref.height);
    const out = new Float32Array(ref.width * ref.height);
    for (const [a, b] of [
      [50, 77],
      [0, 50],
      [120, 131],
      [77, 120],
    ]) {
      const r = s.add(a, plane.subarray(a * W, b * W), abs);
      out.set(r.values, r.y * ref.width);
    }
    assert.ok(maxDiff(out, ref.data) < 1e-6, `maxSide ${maxSide}, abs ${abs}: ${maxDiff(out, ref.data)}`);
  }
});

// Both blurs: the bands' DL-Net margin follows W's reach, shorter for bicubic (u = 0), and every x̂_k stays exact.
for (const blur of [1.3, 0])
  test(`SrFrameStream (u = ${blur}): a run of several bands gives the frames and residual maps of the one-band run, close to the exact colour`, async () => {
    const weights = await loadWeights(path.join(dir, 'sr-x2'));
    const image = photo(90, 70, 4);
    const planes = splitLuma(image);
    const run = { scale: 2 as const, blur, settings: { K: 3, gamma: 1e-2, beta1: 0.9, beta2: 0.999 } };
    const stores: FrameStore[] = [];
    const absMeans: number[][] = [];
    let result: Image | undefined;
    for (const options of [{}, { bandRows: 12, chunkWidth: 30, focus: 0.7 }]) {
      const stream = new SrFrameStream(planes, 2, 64); // 180 × 140 output shown at 64 × 50
      const store = new FrameStore({ rgba: true });
      const plain = new FrameStore(); // what an app's server keeps: residual maps only
      let patches = 0;
      const sums = [0, 0, 0];
      const counts = [0, 0, 0];
      result = await superResolve(weights, image, run, {
        ...options,
        onEvent: (e: RestoreEvent) => {
          if (e.type !== 'band') return;
          for (const v of e.band.residual) sums[e.k - 1] += Math.abs(v);
          counts[e.k - 1] += e.band.residual.length;
          const u = stream.add(e);
          assert.equal(u.frame.rgba.length, u.frame.width * u.frame.height * 4);
          store.apply(u);
          plain.apply(u);
          patches++;
        },
      });
      assert.deepEqual(store.frameSize, { width: 64, height: 50 });
      assert.deepEqual(store.residualSize, { width: 64, height: 50 });
      assert.equal(patches, 'bandRows' in options ? 18 : 3); // 70 rows in bands of 12: 6 bands × K
      stores.push(store);
      for (const k of [1, 2, 3]) {
        assert.equal(plain.frame(k), undefined);
        assert.deepEqual(plain.residual(k), store.residual(k));
      }
      assert.equal(store.bytes - plain.bytes, 3 * 64 * 50 * 4);
      absMeans.push(sums.map((s, i) => s / counts[i]));
    }
    const [whole, banded] = stores;
    for (const k of [1, 2, 3]) {
      assert.ok(maxDiff(whole.frame(k)!.rgba, banded.frame(k)!.rgba) <= 1, `k=${k}: frames differ`);
      const [a, b] = [whole.residual(k)!, banded.residual(k)!];
      assert.ok(maxDiff(a.data, b.data) < 1e-6, `k=${k}: residual maps differ`);
      assert.ok(Math.abs(a.mean - b.mean) < 1e-7 && a.mean > 0);
      assert.ok(Math.abs(b.mean - absMeans[1][k - 1]) < 1e-7, `k=${k}: residual mean ${b.mean} vs ${absMeans[1][k - 1]}`);
      assert.ok(b.rows.every((r) => r === 1) && b.coverage === 1);
    }
    // The display frame of x̂_K against the exact result shrunk: the same picture (chroma averaged
    // before the conversion rather than after differs by a few levels at most).
    const exact = toFrame(result!, 64);
    assert.ok(maxDiff(exact.rgba, banded.frame(3)!.rgba) <= 6, `display vs exact: ${maxDiff(exact.rgba, banded.frame(3)!.rgba)}`);
  });
