import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { initBackend, tf } from '../../src/engine/backend.js';
import { runDLNet } from '../../src/engine/dlnet.js';
import { createImage, type Image } from '../../src/engine/image.js';
import { loadWeights, type LoadedWeights } from '../../src/engine/model-file.js';
import { SrNet } from '../../src/engine/networks/sr-net.js';
import { SrCompute, srWeightsData } from '../../src/engine/parallel/sr-compute.js';
import { srProblem, superResolve } from '../../src/engine/restore-sr.js';
import { writeSrModel } from '../helpers/models.js';

let dir: string;

before(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(path.join(tmpdir(), 'perf-adjoint-'));
  writeSrModel(dir, { id: 'a2', scale: 2, depth: 3, width: 8, K: 3 });
  writeSrModel(dir, { id: 'a3', scale: 3, depth: 2, width: 4, K: 3 });
  writeSrModel(dir, { id: 'a4', scale: 4, depth: 2, width: 6, K: 3 });
  writeSrModel(dir, { id: 'd3', scale: 3, depth: 4, width: 8, backbone: 'drrn-lr', K: 3 });
});

after(() => rmSync(dir, { recursive: true, force: true }));

function luma(width: number, height: number): Image {
  const img = createImage(width, height, 1);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      img.data[y * width + x] = 0.5 + 0.4 * Math.sin(x * 0.37 + y * 0.21) * Math.cos(y * 0.19 - x * 0.05);
  return img;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** ∂L/∂z by tf autodiff through srProblem (the DLNet module's own route). */
function autodiffGradient(
  weights: LoadedWeights,
  net: SrNet,
  y: Image,
  t: number,
  blur: number,
): { z: Float32Array; grad: Float32Array } {
  const problem = srProblem(net, y, t, blur, 1);
  const z = problem.g();
  const f = (zk: tf.Tensor) =>
    tf.div(tf.mul(tf.sum(tf.square(tf.sub(problem.W(problem.h(zk)), problem.y))), 0.5), 1) as tf.Scalar;
  const grad = tf.grad(f)(z);
  const out = { z: z.dataSync() as Float32Array, grad: grad.dataSync() as Float32Array };
  tf.dispose([z, grad]);
  problem.dispose();
  void weights;
  return out;
}

test('hand-written adjoints of h and W equal tf autodiff (×2, ×3, ×4; bicubic and Gaussian W)', async () => {
  for (const [id, t] of [
    ['a2', 2],
    ['a3', 3],
    ['a4', 4],
  ] as const) {
    const weights = await loadWeights(path.join(dir, id));
    const net = new SrNet(weights);
    const compute = new SrCompute(srWeightsData(weights));
    const y = luma(23, 17);
    for (const blur of [0, 1.3, 2.6]) {
      const ref = autodiffGradient(weights, net, y, t, blur);
      let hand: Float32Array | null = null;
      await compute.steps(
        {
          rh: y.height,
          rw: y.width,
          z: Float32Array.from(ref.z),
          y: y.data,
          own: { x: 0, y: 0, width: y.width, height: y.height },
          normalizer: 1,
        },
        blur,
        { K: 2, gamma: 1e-3, beta1: 0.9, beta2: 0.999 },
        {
          onGradient: (k, g) => {
            if (k === 1) hand = Float32Array.from(g);
          },
        },
      );
      // Normalizer 1 (L = ½ Σ r², not the mean) keeps the gradient O(1), so 1e-5 is a real bound.
      const scale = maxAbs(ref.grad);
      assert.ok(scale > 1e-5, `the gradient should not vanish (${scale})`);
      const diff = maxAbs(ref.grad.map((g, i) => g - hand![i]));
      assert.ok(
        diff <= 1e-5 && diff <= 1e-3 * scale,
        `×${t}, u=${blur}: hand-written gradient differs by ${diff} (scale ${scale})`,
      );
    }
    compute.dispose();
    net.dispose();
  }
});

for (const [id, t] of [
  ['a2', 2],
  ['d3', 3],
] as const)
  test(`the band engine with hand-written steps equals the autodiff DL-Net module on the untiled image (${id})`, async () => {
    const weights = await loadWeights(path.join(dir, id));
    const net = new SrNet(weights);
    const y = luma(40, 30);
    const settings = { K: 3, gamma: 1e-3, beta1: 0.9, beta2: 0.999 };
    for (const blur of [0, 1.3]) {
      const problem = srProblem(net, y, t, blur, y.width * y.height);
      let last: Float32Array | null = null;
      for await (const step of runDLNet(problem, settings)) {
        last = step.image.dataSync() as Float32Array;
        step.image.dispose();
      }
      problem.dispose();
      const ref = last!.map((v) => Math.min(1, Math.max(0, v)));
      const out = await superResolve(weights, y, { scale: t, blur, settings }, { tileSize: 4096 });
      const diff = maxAbs(ref.map((v, i) => v - out.data[i]));
      // Adam normalises each entry's step, so rounding in a near-zero gradient entry can move it by
      // up to 2γ; docs/protocols.md §2 asks autodiff and explicit adjoints to agree within 1e-4.
      assert.ok(diff < 1e-4, `u=${blur}: band engine differs from autodiff by ${diff}`);
    }
    net.dispose();
  });
