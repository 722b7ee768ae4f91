/** Lab mode's SSIM and PSNR (engine/lab-metrics.ts) and the blur suggestion's pure parts (engine/suggest-blur.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createImage } from '../../src/engine/image.js';
import { iterationScore, ssimPlane } from '../../src/engine/lab-metrics.js';
import { texturedCrops } from '../../src/engine/suggest-blur.js';

test('SSIM: 1 for identical planes, lower for noise, and it ignores a shaved border', () => {
  const w = 40;
  const h = 30;
  const a = new Float64Array(w * h).map((_, i) => 128 + 60 * Math.sin(i * 0.37) * Math.cos(i * 0.011));
  assert.equal(ssimPlane(a, a, w, h), 1);
  let seed = 1;
  const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 40;
  const b = a.map((v) => v + noise());
  const s = ssimPlane(a, b, w, h);
  assert.ok(s > 0.3 && s < 0.99, String(s));
  const c = Float64Array.from(a);
  for (let x = 0; x < w; x++) c[x] = 0; // the first row differs
  assert.equal(ssimPlane(a, c, w, h, 1), 1);
  assert.ok(Number.isNaN(ssimPlane(a, a, 10, 10))); // smaller than the 11 × 11 window
});

test('iterationScore: luma PSNR with t shaved for SR, every channel for the masked tasks', () => {
  const ref = createImage(24, 24, 3);
  for (let i = 0; i < ref.data.length; i++) ref.data[i] = ((i * 37) % 251) / 255;
  const same = iterationScore(ref, ref, 'sr', 2);
  assert.equal(same.psnr, Infinity);
  assert.equal(same.ssim, 1);
  const off = { ...ref, data: ref.data.map((v) => Math.min(1, v + 2 / 255)) };
  const s = iterationScore(ref, off, 'interpolate');
  assert.ok(s.psnr > 40 && s.psnr < 43, String(s.psnr)); // about 2 levels everywhere: 10·log10(255²/4) = 42.1 dB
});

test('the suggestion rates the most textured crops of a grid, most textured first', () => {
  const luma = createImage(100, 60, 1);
  for (let y = 0; y < 60; y++) for (let x = 60; x < 100; x++) luma.data[y * 100 + x] = (x + y) % 2; // texture on the right
  const crops = texturedCrops(luma, 3, 32, 16);
  assert.equal(crops.length, 3);
  assert.deepEqual(crops[0], { x: 64, y: 0, width: 32, height: 32 }); // wholly in the texture (x = 68, flush with the edge, ties later)
  assert.ok(crops.every((c) => c.x + c.width <= 100 && c.y + c.height <= 60));
  assert.ok(crops[1].x >= 48 && crops[2].x >= 48, JSON.stringify(crops)); // then the other crops that reach the texture most
  assert.deepEqual(texturedCrops(luma, 5, 80), [{ x: 0, y: 0, width: 80, height: 60 }]); // smaller than a crop: the photo
});
