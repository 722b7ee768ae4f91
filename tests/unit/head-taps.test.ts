/**
 * The SR head's 3×3 conv and its adjoint from per-pixel matrix products plus the nine shifted taps
 * (parallel/head-taps.ts, planar on both sides of the products), checked against tfjs's conv2d with the
 * kernel and with its adjoint kernel, on a row range inside a region and in slabs of a few rows (so taps
 * cross slab borders).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { initBackend, tf } from '../../src/engine/backend.js';
import { StepArena } from '../../src/engine/kernels/step-arena.js';
import { headAdjointSlab, headForward } from '../../src/engine/parallel/head-taps.js';
import { maxDiff } from '../helpers/arrays.js';
import { jsProducts, seeded } from '../helpers/head-products.js';

before(async () => {
  await initBackend('wasm');
});

/** Channel-interleaved values (T per pixel) as T planes, and back. */
function planar(x: Float32Array, T: number): Float32Array {
  const n = x.length / T;
  return Float32Array.from({ length: x.length }, (_, i) => x[(i % n) * T + Math.floor(i / n)]);
}

for (const [C, T, rw] of [
  [8, 4, 7],
  [6, 9, 7],
  [5, 16, 7],
  [4, 4, 2],
  [3, 4, 1],
] as const)
  test(`head conv and adjoint from products equal tfjs's convs (C = ${C}, T = ${T}, ${rw} wide, slabs of 2 rows)`, async () => {
    const rh = 11;
    const [r0, r1] = [2, 9];
    const rows = r1 - r0;
    const kernel = seeded(9 * C * T, 1);
    const bias = seeded(T, 2);
    const a = seeded(rh * rw * C, 3);
    const products = jsProducts(kernel, C, T);
    // The products' outputs for slabs of 2 rows (garbage first: every value read must be written).
    const slabTaps = () => seeded(2 * rw * 9 * T, 6);
    const slabGrad = seeded(2 * rw * C, 7);

    const out = await headForward(products, a, r0, r1, rw, C, T, bias, 2, new Float32Array(rows * rw * T), slabTaps());
    const K = tf.tensor4d(kernel, [3, 3, C, T]);
    const want = tf.tidy(() =>
      tf.add(tf.conv2d(tf.tensor4d(a.subarray(r0 * rw * C, r1 * rw * C), [1, rows, rw, C]), K, 1, 'same'), tf.tensor1d(bias)),
    );
    const wantPlanes = planar(want.dataSync() as Float32Array, T);
    assert.ok(maxDiff(out, wantPlanes) < 1e-5, `forward differs by ${maxDiff(out, wantPlanes)}`);
    // With out and the products' buffer in a step arena, its WebAssembly kernel sums the taps.
    const arena = new StepArena();
    const buffer = arena.zeroed(4 * (rows * rw * T + 2 * rw * 9 * T));
    const inArena = new Float32Array(buffer, 0, rows * rw * T);
    const u = new Float32Array(buffer, 4 * inArena.length, 2 * rw * 9 * T);
    await headForward(products, a, r0, r1, rw, C, T, bias, 2, inArena, u, arena);
    assert.ok(maxDiff(inArena, wantPlanes) < 1e-5, `forward in the arena differs by ${maxDiff(inArena, wantPlanes)}`);

    const dr = seeded(rh * rw * T, 4);
    const got = new Float32Array(rows * rw * C);
    // Garbage in the work array: every value the products read must be written first.
    const cols = seeded(2 * rw * 9 * T, 5);
    for (let s0 = r0; s0 < r1; s0 += 2) {
      const s1 = Math.min(r1, s0 + 2);
      got.set(await headAdjointSlab(products, planar(dr, T), rh * rw, r0, r1, rw, T, s0, s1, cols, slabGrad), (s0 - r0) * rw * C);
    }
    const KT = tf.transpose(tf.reverse(K, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    const wantAdj = tf.conv2d(tf.tensor4d(dr.subarray(r0 * rw * T, r1 * rw * T), [1, rows, rw, T]), KT, 1, 'same');
    const diff = maxDiff(got, wantAdj.dataSync() as Float32Array);
    assert.ok(diff < 1e-5, `adjoint differs by ${diff}`);
    // And it is the adjoint: <conv(a), d> = <a, convᵀ(d)> over the row range (bias left out).
    const noBias = await headForward(
      products,
      a,
      r0,
      r1,
      rw,
      C,
      T,
      new Float32Array(T),
      2,
      new Float32Array(rows * rw * T),
      slabTaps(),
    );
    let lhs = 0;
    const drRows = planar(dr.subarray(r0 * rw * T, r1 * rw * T), T);
    for (let i = 0; i < noBias.length; i++) lhs += noBias[i] * drRows[i];
    let rhs = 0;
    for (let i = 0; i < got.length; i++) rhs += a[r0 * rw * C + i] * got[i];
    assert.ok(Math.abs(lhs - rhs) < 1e-4 * Math.max(1, Math.abs(lhs)), `<Fa, d> = ${lhs} but <a, Fᵀd> = ${rhs}`);
    tf.dispose([K, KT, want, wantAdj]);
  });
