/**
 * Parity with training: for each committed fixture (training/make_fixtures.py), the engine runs the
 * same exported model on the same input and must reproduce PyTorch's x̂_1..x̂_K and L(z_k) within 1e-4.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { initBackend, tf } from '../../src/engine/backend.js';
import { runDLNet } from '../../src/engine/dlnet.js';
import type { Image, Mask } from '../../src/engine/image.js';
import { loadWeights } from '../../src/engine/model-file.js';
import { listModels } from '../../src/engine/models.js';
import { maskedNetwork, type MaskedNetwork } from '../../src/engine/networks/index.js';
import { SrNet } from '../../src/engine/networks/sr-net.js';
import { batchTensors } from '../../src/engine/masked-batch.js';
import { regionInput } from '../../src/engine/restore-holes.js';
import { makeBatch, maskedEstimates, maskedProblem } from '../../src/engine/restore-masked.js';
import { srProblem } from '../../src/engine/restore-sr.js';
import { dlnetSettings } from '../../src/engine/restore.js';
import { decodeFloat32 as decode, maxDiff } from '../helpers/arrays.js';

const FIXTURES = new URL('../fixtures/', import.meta.url);
const fixtures = readdirSync(FIXTURES).filter((f) => f.startsWith('parity-'));

test('every shipped model has a parity fixture', async () => {
  const covered = new Set(fixtures.map((f) => JSON.parse(readFileSync(new URL(f, FIXTURES), 'utf8')).model as string));
  const shipped = (await listModels()).filter((m) => m.shipped);
  assert.ok(shipped.length > 0, 'no shipped models found');
  for (const m of shipped) assert.ok(covered.has(m.id), `shipped model ${m.id} has no parity fixture`);
});

// The blur estimator's fixture (a classifier, not a restoration) is checked in blur-estimator.test.ts.
for (const file of fixtures.filter((f) => f !== 'parity-blur-estimator.json')) {
  test(`engine reproduces PyTorch within 1e-4: ${file}`, async () => {
    await initBackend('wasm');
    const fixture = JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8'));
    // A fixture of a backbone no shipped model uses yet brings its own small model (modelDir).
    const dir = fixture.modelDir
      ? fileURLToPath(new URL(fixture.modelDir, FIXTURES))
      : (await listModels()).find((m) => m.id === fixture.model)?.dir;
    assert.ok(dir, `model ${fixture.model} of ${file} is not installed`);
    const weights = await loadWeights(dir);
    assert.equal(weights.json.weights.sha256, fixture.sha256, 'the fixture was made for other weights');
    for (const c of fixture.cases) {
      const [, h, w, ch] = c.input.shape;
      let problem;
      let net: SrNet | MaskedNetwork;
      if (weights.json.task === 'sr') {
        net = new SrNet(weights);
        const tile: Image = { width: w, height: h, channels: 1, data: decode(c.input.data) };
        problem = srProblem(net, tile, weights.json.scale!, c.blur, w * h);
      } else {
        net = maskedNetwork(weights)!;
        const y = decode(c.input.data);
        const m = decode(c.mask.data);
        const rgb: Image = { width: w, height: h, channels: 3, data: y.map((v) => (v + 1) / 2) };
        const mask: Mask = { width: w, height: h, data: Uint8Array.from(m) };
        // A network that works at the photo's own resolution gets the crop as it is; others, 64×64.
        const region = { x: 0, y: 0, width: w, height: h, innerWidth: w, innerHeight: h, modelWidth: w, modelHeight: h, component: 1 };
        const batch = net.multiple ? batchTensors(regionInput(rgb, mask, region)) : makeBatch(rgb, mask, [{ x: 0, y: 0, size: w }]);
        const masked = maskedProblem(net, batch);
        problem = {
          ...masked,
          dispose: () => {
            masked.release();
            tf.dispose([batch.y, batch.mask, batch.observed]);
          },
        };
      }
      const settings = dlnetSettings(
        weights,
        weights.json.task === 'sr'
          ? { task: 'sr', scale: 2, blur: 0 }
          : { task: weights.json.task, mask: { width: 1, height: 1, data: new Uint8Array(1) } },
      );
      // The masked models run as the app runs them (maskedEstimates: plain-JS steps around a ConvHead).
      const estimates =
        'head' in problem
          ? maskedEstimates(problem, settings)
          : (async function* () {
              for await (const step of runDLNet(problem, settings)) {
                const xhat = (await step.image.data()) as Float32Array;
                const size = step.image.size;
                step.image.dispose();
                assert.equal(size, xhat.length);
                yield { ...step, xhat };
              }
            })();
      let k = 0;
      for await (const step of estimates) {
        const want = c.steps[k];
        assert.equal(step.k, want.k);
        assert.equal(step.xhat.length, want.shape.reduce((a: number, b: number) => a * b, 1), 'x̂ has the fixture\'s size');
        const diff = maxDiff(step.xhat, decode(want.data));
        assert.ok(diff < 1e-4, `${file} case ${JSON.stringify(c.blur ?? '')} k=${step.k}: max |Δx̂| = ${diff}`);
        assert.ok(
          Math.abs(step.likelihood - want.likelihood) < 1e-4 * Math.max(1e-3, want.likelihood) + 1e-8,
          `k=${step.k}: L ${step.likelihood} vs ${want.likelihood}`,
        );
        k++;
      }
      assert.equal(k, c.steps.length, `${file}: ${k} steps where the fixture has ${c.steps.length}`);
      problem.dispose();
      net.dispose();
      void ch;
    }
  });
}
