/**
 * The SR steps' channel split (parallel/channel-split.ts): the least active channels of z carried entry
 * by entry, the rest through h's products restricted to them. Checked against the products over every
 * channel (forward and adjoint), in JS and in the WebAssembly kernels of the steps' arena, and through
 * SrCompute.steps against the tfjs convs of the same steps.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { initBackend } from '../../src/engine/backend.js';
import { StepArena } from '../../src/engine/kernels/step-arena.js';
import { loadWeights } from '../../src/engine/model-file.js';
import {
  addSparseForward,
  rowTaps,
  sparseGradients,
  sparseRows,
  SPARSE_FRACTION,
  splitChannels,
  splitSpaceFloats,
} from '../../src/engine/parallel/channel-split.js';
import { headAdjointSlab, headForward } from '../../src/engine/parallel/head-taps.js';
import { SrCompute, srWeightsData } from '../../src/engine/parallel/sr-compute.js';
import { maxDiff } from '../helpers/arrays.js';
import { jsProducts, seeded } from '../helpers/head-products.js';
import { writeSrModel } from '../helpers/models.js';

let dir: string;

before(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(path.join(tmpdir(), 'channel-split-'));
  writeSrModel(dir, { id: 'a2', scale: 2, depth: 3, width: 8, K: 3 });
});

after(() => rmSync(dir, { recursive: true, force: true }));

const [rh, rw] = [12, 9];
const P = rh * rw;

/**
 * z over the region: channels 0–2 active at about half the pixels, 3–5 at a few (below SPARSE_FRACTION),
 * any others nowhere.
 */
function regionZ(C: number): Float32Array {
  const z = seeded(P * C, 11);
  for (let p = 0; p < P; p++)
    for (let c = 3; c < C; c++) {
      const rare = c <= 5 && (p % 53 === c || p === 9 * c); // 3 pixels each, one at the left edge
      z[p * C + c] = rare ? 0.25 + 0.1 * c : -Math.abs(z[p * C + c]) - 0.01;
    }
  return z;
}

interface Layout {
  index: Int32Array;
  z: Float32Array;
  a: Float32Array;
  space: Parameters<typeof splitChannels>[5];
  taps: Float32Array;
  out: Float32Array;
  u: Float32Array;
  cols: Float32Array;
  grad: Float32Array;
  dr: Float32Array;
}

/** The split's arrays on `buffer` (a plain ArrayBuffer, or an arena's WebAssembly memory). */
function layout(buffer: ArrayBuffer, C: number, count: number, T: number, slabRows: number): Layout {
  let at = 0;
  const f32 = (n: number) => ((at += 4 * n), new Float32Array(buffer, at - 4 * n, n));
  const i32 = (n: number) => ((at += 4 * n), new Int32Array(buffer, at - 4 * n, n));
  const capacity = (splitSpaceFloats(P, C) - 2 * C) / 3;
  return {
    index: i32(count),
    z: f32(count),
    a: f32(P * C),
    space: { where: i32(capacity), aSparse: f32(capacity), gradSparse: f32(capacity), counts: i32(C), roles: i32(C) },
    taps: f32(C * 3 * T * 4),
    out: f32(P * T),
    u: f32(slabRows * rw * 9 * T),
    cols: f32(slabRows * rw * 9 * T),
    grad: f32(slabRows * rw * C),
    dr: f32(T * P),
  };
}

function layoutFloats(C: number, count: number, T: number, slabRows: number): number {
  return 2 * count + P * C + splitSpaceFloats(P, C) + C * 12 * T + P * T + 2 * slabRows * rw * 9 * T + slabRows * rw * C + T * P;
}

for (const [C, T] of [
  [8, 4],
  [8, 9],
  [6, 4],
])
  test(`splitting z's channels leaves h's conv and its adjoint as they are (C = ${C}, T = ${T}, in JS and in the arena's kernels)`, async () => {
    const z0 = regionZ(C);
    const active: number[] = [];
    for (let i = 0; i < z0.length; i++) if (z0[i] > 0) active.push(i);
    const kernel = { shape: [3, 3, C, T], data: seeded(9 * C * T, 12) };
    const products = jsProducts(kernel.data, C, T);
    const bias = seeded(T, 13);
    const [r0, r1, slabRows] = [2, 11, 2];
    const dr = seeded(T * P, 14);
    // Over every channel: h's conv of ReLU(z) and, slab by slab, the adjoint of dr.
    const aFull = z0.map((v) => Math.max(v, 0));
    const full = await headForward(
      products,
      aFull,
      r0,
      r1,
      rw,
      C,
      T,
      bias,
      slabRows,
      new Float32Array(P * T),
      new Float32Array(slabRows * rw * 9 * T),
    );
    const fullGrad = new Float32Array(P * C);
    for (let s0 = r0; s0 < r1; s0 += slabRows) {
      const s1 = Math.min(r1, s0 + slabRows);
      const g = await headAdjointSlab(
        products,
        dr,
        P,
        r0,
        r1,
        rw,
        T,
        s0,
        s1,
        new Float32Array(slabRows * rw * 9 * T),
        new Float32Array(slabRows * rw * C),
      );
      fullGrad.set(g, s0 * rw * C);
    }

    const arena = new StepArena();
    const results: Layout[] = [];
    for (const where of ['js', 'arena'] as const) {
      const floats = layoutFloats(C, active.length, T, slabRows);
      const buffer = where === 'arena' ? arena.zeroed(4 * floats) : new ArrayBuffer(4 * floats);
      const l = layout(buffer, C, active.length, T, slabRows);
      const run = where === 'arena' ? arena : undefined;
      if (run) assert.ok(arena.simd, 'the arena has its WebAssembly memory');
      active.forEach((i, j) => ((l.index[j] = i), (l.z[j] = z0[i])));
      l.a.set(aFull);
      l.taps.set(rowTaps(kernel));
      const split = splitChannels(l.index, l.z, l.a, P, C, l.space, run);
      assert.deepEqual(Array.from(split.dense), [0, 1, 2], 'channels 0–2 stay dense');
      const rare = active.filter((i) => i % C >= 3);
      assert.ok(rare.length > 0 && rare.length < 3 * P * SPARSE_FRACTION);
      assert.deepEqual(Array.from(split.where), rare, 'the sparse entries, in order');
      assert.equal(split.denseCount + rare.length, active.length);
      for (let j = 0; j < split.denseCount; j++) {
        const p = Math.floor(l.index[j] / 3);
        assert.equal(l.a[l.index[j]], z0[p * C + (l.index[j] - 3 * p)], 'a dense entry points at its value in the dense a');
      }

      const kept = products.restrict(split.dense);
      const out = await headForward(products, l.a, r0, r1, rw, 3, T, bias, slabRows, l.out, l.u, run, kept);
      addSparseForward(sparseRows(split, l.taps, C, T, r0, r1, rw), split.aSparse, out, run);
      assert.ok(maxDiff(out, full) < 1e-5, `${where}: h's conv differs by ${maxDiff(out, full)}`);

      l.dr.set(dr);
      const [from, to] = sparseGradients(sparseRows(split, l.taps, C, T, r0, r1, rw), split.gradSparse, l.dr, P, run);
      assert.ok(to - from >= 6, 'the sparse entries on the rows have gradients');
      let worst = 0;
      for (let s = from; s < to; s++) worst = Math.max(worst, Math.abs(split.gradSparse[s] - fullGrad[split.where[s]]));
      for (let s0 = r0; s0 < r1; s0 += slabRows) {
        const s1 = Math.min(r1, s0 + slabRows);
        const g = await headAdjointSlab(products, l.dr, P, r0, r1, rw, T, s0, s1, l.cols, l.grad, kept);
        for (let i = 0; i < (s1 - s0) * rw * 3; i++) {
          const p = s0 * rw + Math.floor(i / 3);
          worst = Math.max(worst, Math.abs(g[i] - fullGrad[p * C + (i % 3)]));
        }
      }
      assert.ok(worst < 1e-5, `${where}: the adjoint differs by ${worst}`);
      results.push(l);
    }
    const [js, wasm] = results;
    assert.deepEqual(wasm.index, js.index, 'the kernels split as the JS does');
    assert.deepEqual(wasm.z, js.z);
    assert.deepEqual(wasm.space.where, js.space.where);
    assert.ok(maxDiff(wasm.space.gradSparse, js.space.gradSparse) < 1e-6, 'the sparse gradients in the kernel and in JS agree');
    // The tap sums themselves round differently in the arena (single precision) and in JS.
    assert.ok(maxDiff(wasm.out, js.out) < 1e-6, `h's conv in the arena and in JS differ by ${maxDiff(wasm.out, js.out)}`);
    arena.release();
  });

test('SrCompute.steps with the channel split (head products) equal the steps on tfjs convs: x̂_k and ∂L/∂z', async () => {
  const weights = await loadWeights(path.join(dir, 'a2'));
  const compute = new SrCompute(srWeightsData(weights));
  const [h, w, Cz] = [17, 23, compute.d.C];
  const y = Float32Array.from({ length: h * w }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.37) * Math.cos(i * 0.011));
  // z with a few channels active at a few pixels only, so that they go entry by entry.
  const z = seeded(h * w * Cz, 21).map((v, i) => {
    const [p, c] = [Math.floor(i / Cz), i % Cz];
    return c < 4 ? v : p % 61 === c ? 0.3 : -Math.abs(v) - 0.01;
  });
  const products = jsProducts(compute.d.outKernel.data, Cz, 4);
  let restricted = 0;
  const head = {
    ...products,
    restrict: (channels: ArrayLike<number>) => ((restricted = channels.length), products.restrict(channels)),
  };
  const run = async (withHead: boolean) => {
    const frames: Float32Array[] = [];
    const grads: Float32Array[] = [];
    await compute.steps(
      { rh: h, rw: w, z: Float32Array.from(z), y, own: { x: 0, y: 0, width: w, height: h }, normalizer: 1 },
      1.3,
      { K: 3, gamma: 1e-2, beta1: 0.9, beta2: 0.999 },
      {
        head: withHead ? head : undefined,
        onFrame: (_k, xhat) => frames.push(Float32Array.from(xhat)),
        onGradient: (_k, g) => grads.push(Float32Array.from(g)),
      },
    );
    return { frames, grads };
  };
  const split = await run(true);
  const tfjs = await run(false);
  assert.ok(restricted > 0 && restricted < Cz, `the products kept ${restricted} of ${Cz} channels`);
  assert.equal(split.frames.length, 3);
  for (let k = 0; k < 3; k++)
    assert.ok(
      maxDiff(split.frames[k], tfjs.frames[k]) < 1e-5,
      `x̂_${k + 1} differs by ${maxDiff(split.frames[k], tfjs.frames[k])}`,
    );
  for (let k = 0; k < 2; k++)
    assert.ok(
      maxDiff(split.grads[k], tfjs.grads[k]) < 1e-5,
      `∂L/∂z at k = ${k + 1} differs by ${maxDiff(split.grads[k], tfjs.grads[k])}`,
    );
  compute.dispose();
});
