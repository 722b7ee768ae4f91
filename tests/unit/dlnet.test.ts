import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { initBackend, tf } from '../../src/engine/backend.js';
import { bicubicUpscaleImage } from '../../src/engine/degradations.js';
import { srOperatorTf } from '../../src/engine/degradations-tf.js';
import { CancelledError, runDLNet, type DLNetProblem } from '../../src/engine/dlnet.js';
import { createImage } from '../../src/engine/image.js';
import { loadWeights } from '../../src/engine/model-file.js';
import { SrNet } from '../../src/engine/networks/sr-net.js';
import { writeSrModel } from '../helpers/models.js';

let dir: string;
let net: SrNet;

before(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(path.join(tmpdir(), 'dlnet-test-'));
  net = new SrNet(await loadWeights(writeSrModel(dir, { scale: 2, depth: 3, width: 8 })));
});

after(() => {
  net.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function problemFor(blur: number): DLNetProblem & { dispose(): void } {
  const lr = createImage(10, 12, 1);
  for (let i = 0; i < lr.data.length; i++) lr.data[i] = 0.5 + 0.4 * Math.sin(i * 0.7);
  const y = tf.tensor4d(lr.data, [1, 12, 10, 1]);
  const skip = tf.tensor4d(bicubicUpscaleImage(lr, 2).data, [1, 24, 20, 1]);
  return {
    g: () => net.g(y, blur),
    h: (z) => net.h(z as tf.Tensor4D, skip),
    W: (x) => srOperatorTf(x as tf.Tensor4D, 2, blur),
    y,
    dispose: () => tf.dispose([y, skip]),
  };
}

async function collect(problem: DLNetProblem, K: number, gamma = 1e-2) {
  const steps: { k: number; likelihood: number; image: Float32Array }[] = [];
  for await (const s of runDLNet(problem, { K, gamma, beta1: 0.9, beta2: 0.999 })) {
    steps.push({ k: s.k, likelihood: s.likelihood, image: (await s.image.data()) as Float32Array });
    s.image.dispose();
  }
  return steps;
}

test('DL-Net lowers L(z_k) over k, for bicubic and Gaussian W', async () => {
  for (const blur of [0, 1.3]) {
    const p = problemFor(blur);
    const steps = await collect(p, 5);
    p.dispose();
    assert.deepEqual(
      steps.map((s) => s.k),
      [1, 2, 3, 4, 5],
    );
    for (let k = 1; k < 5; k++)
      assert.ok(
        steps[k].likelihood < steps[k - 1].likelihood,
        `u=${blur}: L rose at k=${k + 1}: ${steps.map((s) => s.likelihood)}`,
      );
    assert.ok(
      steps[4].likelihood < 0.99 * steps[0].likelihood,
      `u=${blur}: too little progress ${steps.map((s) => s.likelihood)}`,
    );
  }
});

test('K = 1 is the plain network h(g(y)), and x̂_1 of a K = 5 run is the same image', async () => {
  const p = problemFor(0);
  const [only] = await collect(p, 1);
  const first = (await collect(p, 5))[0];
  const plain = tf.tidy(() => {
    const z = p.g();
    return p.h(z);
  });
  const want = await plain.data();
  plain.dispose();
  p.dispose();
  assert.deepEqual(Array.from(only.image), Array.from(want));
  assert.deepEqual(Array.from(first.image), Array.from(want));
  // L(z_1) by hand: ½ mean (W x̂ − y)²
  assert.ok(only.likelihood > 0);
});

test('cancelling between steps stops the run and frees every tensor', async () => {
  const p = problemFor(0);
  const before = tf.memory().numTensors;
  const controller = new AbortController();
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const s of runDLNet(p, { K: 5, gamma: 1e-3, beta1: 0.9, beta2: 0.999 }, controller.signal)) {
      seen.push(s.k);
      s.image.dispose();
      if (s.k === 2) controller.abort();
    }
  }, CancelledError);
  assert.deepEqual(seen, [1, 2]);
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
  // a full run leaks nothing either
  await collect(p, 5);
  assert.equal(tf.memory().numTensors, before, 'tensors leaked by a full run');
  p.dispose();
});
