/**
 * The SR head's products (parallel/head-taps.ts HeadProducts) in plain JS, for tests of the tap sums and
 * of the channel split without onnxruntime; and seeded values in −0.5…0.5.
 */
import type { HeadKernel, HeadProducts } from '../../src/engine/parallel/head-taps.js';

export function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

/**
 * The products in plain JS: forward, plane tap·T + o at pixel p = Σ_c a[p][c]·K[tap][c][o]; adjoint, its
 * transpose (planes in, C values per pixel out). A restricted kernel takes its channels' values per pixel.
 */
export function jsProducts(kernel: Float32Array, C: number, T: number): HeadProducts {
  const all = Array.from({ length: C }, (_, c) => c);
  const list = (k?: HeadKernel) => (k ? (k as HeadKernel & { list: number[] }).list : all);
  return {
    channels: C,
    restrict: (channels) => ({ channels: channels.length, list: Array.from(channels) }),
    forward: async (a, pixels, into, k) => {
      const cs = list(k);
      const u = into.subarray(0, pixels * 9 * T);
      for (let p = 0; p < pixels; p++)
        for (let tap = 0; tap < 9; tap++)
          for (let o = 0; o < T; o++) {
            let sum = 0;
            cs.forEach((c, r) => (sum += a[p * cs.length + r] * kernel[(tap * C + c) * T + o]));
            u[(tap * T + o) * pixels + p] = sum;
          }
      return u;
    },
    adjoint: async (planes, pixels, into, k) => {
      const cs = list(k);
      const g = into.subarray(0, pixels * cs.length);
      for (let p = 0; p < pixels; p++)
        cs.forEach((c, r) => {
          let sum = 0;
          for (let tap = 0; tap < 9; tap++)
            for (let o = 0; o < T; o++) sum += planes[(tap * T + o) * pixels + p] * kernel[(tap * C + c) * T + o];
          g[p * cs.length + r] = sum;
        });
      return g;
    },
  };
}
