/** Any output size (src/base/output-size.ts): the plan, the CLI/API parsers, and the Lanczos-3 resampling. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planOutputSize, outputSizeSuffix } from '../../src/base/output-size.js';
import { parseOutputScale, parseOutputSize, ValidationError } from '../../src/api/validate.js';
import { createImage } from '../../src/engine/image.js';
import { resampleImage } from '../../src/engine/resample.js';

test('planOutputSize: the smallest model scale that reaches the size, aspect kept', () => {
  const photo = { width: 400, height: 300 };
  assert.deepEqual(planOutputSize(photo, { width: 1000 }), { modelScale: 3, width: 1000, height: 750, resampled: true });
  assert.deepEqual(planOutputSize(photo, { height: 600 }), { modelScale: 2, width: 800, height: 600, resampled: false });
  assert.deepEqual(planOutputSize(photo, { scale: 1.5 }), { modelScale: 2, width: 600, height: 450, resampled: true });
  assert.deepEqual(planOutputSize(photo, { scale: 3 }), { modelScale: 3, width: 1200, height: 900, resampled: false });
  assert.deepEqual(planOutputSize(photo, { scale: 3.01 }).modelScale, 4);
  assert.deepEqual(planOutputSize({ width: 1920, height: 1080 }, { width: 3840 }), {
    modelScale: 2,
    width: 3840,
    height: 2160,
    resampled: false,
  });
  // a rounded side never needs a larger model than the named one
  assert.equal(planOutputSize({ width: 7, height: 5 }, { width: 20 }).modelScale, 3);
  assert.throws(() => planOutputSize(photo, { width: 400 }), /400 px wide \(400 × 300\) is not larger than the 400 × 300 photo/);
  assert.throws(() => planOutputSize(photo, { height: 1201 }), /more than ×4 the 400 × 300 photo/);
  assert.equal(outputSizeSuffix({ scale: 1.5 }), '.x1.5');
  assert.equal(outputSizeSuffix({ width: 3840 }), '.w3840');
  assert.equal(outputSizeSuffix({ height: 2160 }), '.h2160');
});

test('parseOutputSize / parseOutputScale: one sentence for each bad value', () => {
  assert.deepEqual(parseOutputSize({ width: 1000 }), { width: 1000 });
  assert.deepEqual(parseOutputSize({ scale: 2.5 }), { scale: 2.5 });
  assert.throws(() => parseOutputSize({ width: 10, height: 10 }), /exactly one of scale, width or height/);
  assert.throws(() => parseOutputSize({ scale: 1 }), /scale must be a number above 1 and at most 4, not 1\./);
  assert.throws(() => parseOutputSize({ width: 10.5 }), ValidationError);
  assert.throws(
    () => parseOutputScale('5', '--scale'),
    /^ValidationError: --scale must be a number above 1 and at most 4, not 5\.$/,
  );
  assert.equal(parseOutputScale('1.5'), 1.5);
});

test("resampleImage: exact size, sharp's lanczos3 keeps flat areas and a ramp, alpha without bleeding", async () => {
  const flat = createImage(30, 20, 3);
  flat.data.fill(0.4);
  const down = await resampleImage(flat, 17, 11);
  assert.deepEqual([down.width, down.height, down.channels], [17, 11, 3]);
  for (const v of down.data) assert.ok(Math.abs(v - 0.4) < 2e-3, `flat stays flat (${v})`);
  const ramp = createImage(60, 4, 1);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 60; x++) ramp.data[y * 60 + x] = x / 59;
  const r = await resampleImage(ramp, 40, 4);
  for (let x = 5; x < 35; x++) assert.ok(Math.abs(r.data[x] - (((x + 0.5) * 60) / 40 - 0.5) / 59) < 4e-3, `ramp at ${x}`);
  // transparent red next to opaque black: no red bleeds into the black
  const rgba = createImage(20, 2, 4);
  for (let p = 0; p < 40; p++) {
    const x = p % 20;
    if (x < 10) rgba.data.set([1, 0, 0, 0], p * 4);
    else rgba.data.set([0, 0, 0, 1], p * 4);
  }
  const a = await resampleImage(rgba, 14, 2);
  for (let x = 0; x < 14; x++) {
    const [red, , , alpha] = a.data.subarray(x * 4, x * 4 + 4);
    if (alpha > 0.5) assert.ok(red < 0.02, `opaque pixel ${x} stays black (red ${red})`);
  }
});
