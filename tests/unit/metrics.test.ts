import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createImage, type Image } from '../../src/engine/image.js';
import { l1, l2, mean, psnr8, psnrLuma, psnrPlane } from '../../src/engine/metrics.js';

function grey(width: number, height: number, levels: number[]): Image {
  const image = createImage(width, height, 1);
  image.data.set(levels.map((v) => v / 255));
  return image;
}

test('psnrPlane on a hand-checkable array', () => {
  // One value differs by 10 out of 4: MSE = 100 / 4 = 25, PSNR = 10 log10(65025 / 25) = 34.151 dB.
  const a = new Float32Array([10, 20, 30, 40]);
  const b = new Float32Array([10, 20, 30, 50]);
  assert.ok(Math.abs(psnrPlane(a, b, 2, 2) - 10 * Math.log10(65025 / 25)) < 1e-9);
  assert.equal(psnrPlane(a, a, 2, 2), Infinity);
});

test('psnrLuma shaves the border and rounds to 8 bits first', () => {
  // 4×4 grey; the errors sit on the 1-pixel border, the centre 2×2 differs by 2 in one pixel.
  const ref = grey(4, 4, Array(16).fill(100));
  const test = grey(4, 4, [0, 0, 0, 0, 0, 102, 100, 0, 0, 100, 100.4, 0, 0, 0, 0, 0]);
  // centre: one pixel off by 2 → MSE = 4/4 = 1 → 48.13 dB; 100.4 rounds to 100.
  assert.ok(Math.abs(psnrLuma(ref, test, 1) - 10 * Math.log10(65025)) < 1e-9);
  assert.ok(psnrLuma(ref, test, 0) < 20);
  assert.throws(() => psnrLuma(ref, test, 2), /leaves nothing/);
});

test('psnrLuma on colour uses Y, not RGB', () => {
  const a = createImage(1, 1, 3);
  const b = createImage(1, 1, 3);
  b.data.set([1, 0, 0]); // Y = 16 vs round(16 + 65.481) = 81 → MSE = 65²
  assert.ok(Math.abs(psnrLuma(a, b) - 10 * Math.log10(65025 / 65 ** 2)) < 1e-9);
});

test('psnr8 over colour channels, alpha ignored', () => {
  const a = createImage(2, 1, 4);
  const b = createImage(2, 1, 4);
  b.data.set([3 / 255, 0, 0, 1, 0, 0, 0, 0.5]); // one channel off by 3 of 6 → MSE = 9/6
  assert.ok(Math.abs(psnr8(a, b) - 10 * Math.log10(65025 / 1.5)) < 1e-9);
});

test('l1 and l2 on the [-1, 1] scale', () => {
  const a = grey(2, 1, [0, 255]);
  const b = grey(2, 1, [255, 255]);
  // differences on [-1, 1]: 2 and 0 → l1 = 1, l2 = 2
  assert.ok(Math.abs(l1(a, b) - 1) < 1e-6);
  assert.ok(Math.abs(l2(a, b) - 2) < 1e-6);
  assert.throws(() => l1(a, grey(1, 1, [0])), /differ in shape/);
  assert.equal(mean([1, 2, 3]), 2);
});
