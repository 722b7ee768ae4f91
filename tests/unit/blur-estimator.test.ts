/**
 * The blur suggestion: the estimator network reproduces PyTorch (training/export_blur_estimator.py's fixture)
 * on the shipped model, and the posterior → u decision (engine/suggest-blur.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { initBackend } from '../../src/engine/backend.js';
import { loadWeights } from '../../src/engine/model-file.js';
import { findModel } from '../../src/engine/models.js';
import { BlurEstimator } from '../../src/engine/networks/blur-estimator.js';
import { decideBlur, posterior } from '../../src/engine/suggest-blur.js';
import { decodeFloat32, maxDiff } from '../helpers/arrays.js';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/parity-blur-estimator.json', import.meta.url), 'utf8')) as {
  crops: string;
  count: number;
  side: number;
  classes: number;
  logProbabilities: Record<string, string>;
};

test('the shipped blur estimator reproduces PyTorch within 1e-4 at every scale', async () => {
  await initBackend('wasm');
  const estimator = new BlurEstimator(await loadWeights((await findModel('blur')).dir));
  const all = decodeFloat32(fixture.crops);
  const n = fixture.side * fixture.side;
  const crops = Array.from({ length: fixture.count }, (_, i) => all.slice(i * n, (i + 1) * n));
  for (const scale of [2, 3, 4]) {
    const got = estimator.logProbabilities(crops, fixture.side, fixture.side, scale);
    const want = decodeFloat32(fixture.logProbabilities[`x${scale}`]);
    const flat = new Float32Array(got.length * fixture.classes);
    got.forEach((row, i) => flat.set(row, i * fixture.classes));
    assert.ok(maxDiff(flat, want) < 1e-4, `×${scale}: ${maxDiff(flat, want)}`);
  }
  estimator.dispose();
});

test("the posterior is the softmax of the crops' mean log-probability", () => {
  const a = Float32Array.from([Math.log(0.5), Math.log(0.25), Math.log(0.25)]);
  const b = Float32Array.from([Math.log(0.125), Math.log(0.5), Math.log(0.375)]);
  const p = posterior([a, b]);
  const raw = [Math.sqrt(0.5 * 0.125), Math.sqrt(0.25 * 0.5), Math.sqrt(0.25 * 0.375)];
  const sum = raw.reduce((x, y) => x + y);
  raw.forEach((r, i) => assert.ok(Math.abs(p[i] - r / sum) < 1e-7, `${p[i]} vs ${r / sum}`)); // float32 inputs
});

test('the decision: bicubic from its share of the posterior, else the Gaussian mean less the shift, on the 0.05 grid', () => {
  const p = new Float64Array(31);
  p[0] = 0.5;
  p[13] = 0.5;
  assert.equal(decideBlur(p, 0.1, { bicubicShare: 0.5, shift: 0 }), 0);
  assert.equal(decideBlur(p, 0.1, { bicubicShare: 0.6, shift: 0 }), 1.3);
  p[0] = 0.4;
  p[13] = 0.3;
  p[15] = 0.3; // Gaussian mean (1.3 + 1.5) / 2
  assert.equal(decideBlur(p, 0.1, { bicubicShare: 0.5, shift: 0 }), 1.4);
  assert.equal(decideBlur(p, 0.1, { bicubicShare: 0.5, shift: 0.12 }), 1.3); // 1.28 on the 0.05 grid
  p.fill(0);
  p[30] = 1;
  assert.equal(decideBlur(p, 0.1, { bicubicShare: 0.5, shift: -0.5 }), 3); // never past the slider's range
});
