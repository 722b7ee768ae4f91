import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { initBackend, tf } from '../../src/engine/backend.js';
import {
  applyMask,
  bernoulliMask,
  bicubicDownTaps,
  bicubicDownscale,
  bicubicUpscaleImage,
  cubic,
  degradeSr,
  gaussianDownscale,
  resizeImage,
  squareHoleMask,
  srOperator,
} from '../../src/engine/degradations.js';
import { srOperatorTf } from '../../src/engine/degradations-tf.js';
import { createImage, type Image } from '../../src/engine/image.js';
import { decodeFloat32 as decode, maxDiff } from '../helpers/arrays.js';

function plane(width: number, height: number, f: (x: number, y: number) => number): Image {
  const img = createImage(width, height, 1);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) img.data[y * width + x] = f(x, y);
  return img;
}

test('cubic kernel and bicubic taps are the hand-computed MATLAB ones', () => {
  assert.equal(cubic(0), 1);
  assert.equal(cubic(1), 0);
  assert.equal(cubic(2), 0);
  assert.equal(cubic(0.5), 0.5625); // 1.5·0.125 − 2.5·0.25 + 1
  assert.equal(cubic(1.5), -0.0625); // −0.5·3.375 + 2.5·2.25 − 4·1.5 + 2
  const t2 = bicubicDownTaps(2);
  assert.equal(t2.first, -3);
  assert.equal(t2.weights.length, 8);
  // unnormalised weights cubic(d/2)/2 at d = 3.5, 2.5, 1.5, 0.5 sum to exactly 1 here
  const expected = [1.75, 1.25, 0.75, 0.25].map((d) => cubic(d) / 2);
  expected.forEach((w, i) => assert.ok(Math.abs(t2.weights[i] - w) < 1e-12 && Math.abs(t2.weights[7 - i] - w) < 1e-12));
  const t3 = bicubicDownTaps(3);
  assert.equal(t3.first, -4);
  assert.equal(t3.weights.length, 11); // contiguous, with interior zeros at distance 3
  assert.equal(t3.weights[2], 0);
  assert.equal(t3.weights[8], 0);
});

test('W keeps constants and samples a ramp where §3 says (bicubic centred, Gaussian at t·i)', () => {
  const flat = plane(24, 24, () => 0.3);
  for (const t of [2, 3, 4]) {
    for (const u of [0, 1.3, 2.6]) for (const v of srOperator(flat, t, u).data) assert.ok(Math.abs(v - 0.3) < 1e-6);
    const ramp = plane(48, 24, (x) => x);
    const bic = bicubicDownscale(ramp, t);
    const gau = gaussianDownscale(ramp, t, 1.3);
    const i = 5; // interior column, far from the borders (Gaussian radius 7)
    assert.ok(Math.abs(bic.data[3 * bic.width + i] - (t * i + (t - 1) / 2)) < 1e-5, `bicubic ×${t}`);
    assert.ok(Math.abs(gau.data[3 * gau.width + i] - t * i) < 1e-5, `gaussian ×${t}`);
    const up = bicubicUpscaleImage(
      plane(12, 12, (x) => x),
      t,
    );
    const o = 5 * t + 1;
    assert.ok(Math.abs(up.data[6 * up.width + o] - ((o + 0.5) / t - 0.5)) < 1e-5, `upscale ×${t}`);
  }
});

test('the plain and tf operators both match the independent PyTorch implementation', async () => {
  await initBackend('wasm');
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/degradations.json', import.meta.url), 'utf8'));
  const [, h, w] = fixture.input.shape;
  const input: Image = { width: w, height: h, channels: 1, data: decode(fixture.input.data) };
  for (const d of fixture.down) {
    const t = d.scale;
    const cropped = plane(w - (w % t), h - (h % t), (x, y) => input.data[y * w + x]);
    const want = decode(d.data);
    assert.ok(maxDiff(srOperator(cropped, t, d.blur).data, want) < 1e-5, `plain ×${t} u=${d.blur}`);
    const x = tf.tensor4d(cropped.data, [1, cropped.height, cropped.width, 1]);
    const y = srOperatorTf(x, t, d.blur);
    assert.deepEqual(y.shape, d.shape);
    assert.ok(maxDiff(await y.data(), want) < 1e-5, `tf ×${t} u=${d.blur}`);
    x.dispose();
    y.dispose();
  }
  for (const d of fixture.up) {
    const small = plane(9, 7, (x, y) => input.data[y * w + x]);
    assert.ok(maxDiff(bicubicUpscaleImage(small, d.scale).data, decode(d.data)) < 1e-5, `up ×${d.scale}`);
  }
});

test('tf W works on colour tensors channel by channel and has a gradient', async () => {
  await initBackend('wasm');
  const img = createImage(12, 12, 3);
  for (let i = 0; i < img.data.length; i++) img.data[i] = ((i * 37) % 101) / 100;
  const x = tf.tensor4d(img.data, [1, 12, 12, 3]);
  const y = srOperatorTf(x, 2, 1.3);
  const plain = gaussianDownscale(img, 2, 1.3);
  assert.ok(maxDiff(await y.data(), plain.data) < 1e-5);
  tf.dispose([x, y]);
});

test('autodiff through W is its adjoint: <W x, r> = <x, Wᵀ r> for every scale and family', async () => {
  await initBackend('wasm');
  for (const [t, u, size] of [
    [2, 0, 12],
    [3, 0, 9],
    [4, 0, 8],
    [2, 1.3, 12],
    [3, 2.6, 6],
  ] as const) {
    const x = tf.randomNormal([1, size, size, 2], 0, 1, 'float32', 11);
    const r = tf.randomNormal([1, size / t, size / t, 2], 0, 1, 'float32', 7);
    const grad = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(srOperatorTf(a as tf.Tensor4D, t, u), r)))(x);
    const lhs = (await tf.sum(tf.mul(srOperatorTf(x, t, u), r)).data())[0];
    const rhs = (await tf.sum(tf.mul(x, grad)).data())[0];
    assert.ok(Math.abs(lhs - rhs) < 1e-4 * Math.max(1, Math.abs(lhs)), `×${t} u=${u}: ${lhs} vs ${rhs}`);
    tf.dispose([x, r, grad]);
  }
});

test('degradeSr crops to a multiple of t and rounds to 8 bits', () => {
  const img = plane(11, 10, (x, y) => (x * 7 + y * 3) / 100);
  const y = degradeSr(img, 3, 0);
  assert.equal(y.width, 3);
  assert.equal(y.height, 3);
  for (const v of y.data) assert.ok(Math.abs(v * 255 - Math.round(v * 255)) < 1e-4);
  assert.throws(() => degradeSr(img, 5 as 2, 0), /scale must be 2, 3 or 4/);
  assert.throws(() => degradeSr(img, 2, -1), /blur width must be between 0 and 3/);
});

test('masks: a seeded square hole of side s inside the image, Bernoulli at rate r', () => {
  const m = squareHoleMask(64, 64, 20, 10, 42);
  const missing = m.data.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);
  assert.equal(missing, 400);
  assert.deepEqual(squareHoleMask(64, 64, 20, 10, 42).data, m.data);
  const corner = squareHoleMask(30, 30, 30, 10, 1);
  assert.equal(
    corner.data.reduce((n, v) => n + v, 0),
    0,
  );
  const b = bernoulliMask(200, 200, 0.45, 9);
  const rate = 1 - b.data.reduce((n, v) => n + v, 0) / b.data.length;
  assert.ok(Math.abs(rate - 0.45) < 0.01, `rate ${rate}`);
  assert.throws(() => bernoulliMask(8, 8, 0.8, 1), /between 0 and 0.75/);
  const img = plane(64, 64, () => 0.5);
  const masked = applyMask(img, m);
  assert.equal(masked.data.filter((v) => v === 0).length, 400);
  assert.throws(
    () =>
      applyMask(
        plane(10, 10, () => 0),
        m,
      ),
    /mask is 64×64 but the image is 10×10/,
  );
});

test('resizeImage matches the integer-scale imresize paths', () => {
  const img = plane(24, 18, (x, y) => Math.sin(x / 3) + Math.cos(y / 4));
  assert.ok(maxDiff(resizeImage(img, 12, 9).data, bicubicDownscale(img, 2).data) < 1e-5);
  assert.ok(maxDiff(resizeImage(img, 72, 54).data, bicubicUpscaleImage(img, 3).data) < 1e-5);
});

test('resizeImage shrinking by more than 4 (over 16 taps per output) keeps a constant and the middle of a ramp', () => {
  const flat = plane(90, 72, () => 0.375);
  const small = resizeImage(flat, 5, 4);
  assert.ok(maxDiff(small.data, new Float32Array(20).fill(0.375)) < 1e-6, 'constant');
  // A ramp along x: the antialiasing kernel is symmetric and sums to 1, so away from the borders each
  // output is the ramp at its centre.
  const ramp = plane(90, 72, (x) => x);
  const out = resizeImage(ramp, 5, 4);
  const centre = (o: number) => (o + 0.5) * (90 / 5) - 0.5;
  for (const y of [1, 2])
    assert.ok(Math.abs(out.data[y * 5 + 2] - centre(2)) < 1e-3, `ramp at the middle: ${out.data[y * 5 + 2]}`);
});
