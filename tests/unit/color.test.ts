import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createImage } from '../../src/engine/image.js';
import { evalLuma255, level8, mergeLuma, quantize8, rgbToYCbCr, splitLuma, yCbCrToRgb } from '../../src/engine/color.js';

const close = (a: number, b: number, tol: number, what = ''): void =>
  assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b} (tolerance ${tol})`);

test('rgbToYCbCr matches MATLAB rgb2ycbcr on known values', () => {
  // MATLAB: rgb2ycbcr([0 0 0]) = [16 128 128]/255, white = [235 128 128]/255,
  // pure red = [81.481 90.203 240]/255, pure green = [144.553 53.797 34.214]/255.
  const cases: [number[], number[]][] = [
    [
      [0, 0, 0],
      [16, 128, 128],
    ],
    [
      [1, 1, 1],
      [235, 128, 128],
    ],
    [
      [1, 0, 0],
      [81.481, 90.203, 240],
    ],
    [
      [0, 1, 0],
      [144.553, 53.797, 34.214],
    ],
    [
      [0, 0, 1],
      [40.966, 240, 109.786],
    ],
  ];
  for (const [rgb, expected] of cases) {
    const got = rgbToYCbCr(rgb[0], rgb[1], rgb[2]);
    for (let i = 0; i < 3; i++) close(got[i] * 255, expected[i], 1e-9, `${rgb} channel ${i}`);
  }
});

test('yCbCrToRgb is the exact inverse (float64 round trip)', () => {
  for (let i = 0; i < 200; i++) {
    const rgb = [Math.random(), Math.random(), Math.random()];
    const back = yCbCrToRgb(...rgbToYCbCr(rgb[0], rgb[1], rgb[2]));
    for (let c = 0; c < 3; c++) close(back[c], rgb[c], 1e-12);
  }
});

test('splitLuma / mergeLuma round-trip RGBA and keep alpha untouched', () => {
  const image = createImage(5, 4, 4);
  for (let i = 0; i < image.data.length; i++) image.data[i] = ((i * 37) % 256) / 255;
  const planes = splitLuma(image);
  assert.equal(planes.y.length, 20);
  assert.ok(planes.cb && planes.cr && planes.alpha);
  for (let p = 0; p < 20; p++) assert.equal(planes.alpha[p], image.data[p * 4 + 3]);
  const back = mergeLuma(planes);
  assert.equal(back.channels, 4);
  for (let i = 0; i < image.data.length; i++) close(back.data[i], image.data[i], 1e-5);
});

test('grey images: luma is the grey value itself, no chroma', () => {
  const image = createImage(3, 2, 2);
  image.data.set([0.1, 1, 0.2, 0.5, 0.3, 0, 0.4, 1, 0.5, 1, 0.6, 1]);
  const planes = splitLuma(image);
  assert.equal(planes.cb, undefined);
  assert.deepEqual([...planes.y], [...new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])]);
  const back = mergeLuma(planes);
  assert.equal(back.channels, 2);
  assert.deepEqual([...back.data], [...image.data]);
});

test('quantize8 rounds and clips to 8-bit levels', () => {
  const image = createImage(6, 1, 1);
  image.data.set([-0.2, 0, 0.5 / 255, 1.49 / 255, 254.6 / 255, 1.7]);
  const q = quantize8(image);
  assert.deepEqual(
    [...q.data].map((v) => Math.round(v * 255)),
    [0, 0, 1, 1, 255, 255],
  );
  assert.equal(level8(NaN), 0);
});

test('evalLuma255: rounded 8-bit RGB, Y = 16 + (...)/255 rounded like MATLAB uint8 rgb2ycbcr', () => {
  const image = createImage(3, 1, 3);
  image.data.set([1, 1, 1, 100.4 / 255, 50.6 / 255, 0.2 / 255, 0, 0, 1]);
  const y = evalLuma255(image);
  assert.equal(y[0], 235);
  // 16 + (65.481·100 + 128.553·51)/255 = 67.389… → 67
  assert.equal(y[1], Math.round(16 + (65.481 * 100 + 128.553 * 51) / 255));
  assert.equal(y[1], 67);
  assert.equal(y[2], 41); // 16 + 24.966 = 40.966 → 41
});
