/**
 * Adam on the entries of z that the DL-Net steps can move: those with z > 0 at the start. Where z ≤ 0,
 * ReLU′ is 0, so the gradient, m and v stay 0 and z never changes (exactly): a third of z on the shipped
 * models, so Adam runs on compact arrays over this set only (and skips the unpredictable sign branch
 * of a dense loop, which measured ~2.4× slower). Both the SR band steps (parallel/sr-compute.ts) and the
 * masked steps (masked-steps.ts) use it.
 */
import type { DLNetSettings } from './dlnet.js';

/** Where z lies: `rows` rows of `rowLen` floats, row r starting at offset + r·stride. */
export interface ZRows {
  z: Float32Array;
  rows: number;
  rowLen: number;
  offset?: number;
  stride?: number;
}

// The three passes below have no data-dependent branch: about a third of z is > 0, scattered, and a
// branch on it mispredicts often (10 M entries of a tile's z, one thread: count 58 → 13 ms, fill 61 →
// 22 ms, scratch microbenchmark). Where z ≤ 0, a gets z · 0 (+0 or −0: the same to every sum it enters).

/** The count of entries with z > 0. */
export function countActive({ z, rows, rowLen, offset = 0, stride = rowLen }: ZRows): number {
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const from = offset + r * stride;
    for (let i = 0; i < rowLen; i++) count += +(z[from + i] > 0);
  }
  return count;
}

/** Writes a = ReLU(z) densely (rows packed): fillActive without the active set, for K = 1. */
export function reluRows({ z, rows, rowLen, offset = 0, stride = rowLen }: ZRows, a: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const from = offset + r * stride;
    const to = r * rowLen;
    for (let i = 0; i < rowLen; i++) {
      const v = z[from + i];
      a[to + i] = v * +(v > 0);
    }
  }
}

/**
 * Writes a = ReLU(z) densely (rows packed), and the active entries' indices into a and their values
 * (`index` and `active` hold exactly countActive's count).
 */
export function fillActive(
  { z, rows, rowLen, offset = 0, stride = rowLen }: ZRows,
  a: Float32Array,
  index: Int32Array,
  active: Float32Array,
): void {
  let n = 0;
  for (let r = 0; r < rows; r++) {
    const from = offset + r * stride;
    const to = r * rowLen;
    for (let i = 0; i < rowLen; i++) {
      const v = z[from + i];
      const on = +(v > 0);
      a[to + i] = v * on;
      // Written at n whether active or not (n moves on only if it is); past the last active entry the
      // write falls outside the arrays, which typed arrays ignore.
      index[n] = to + i;
      active[n] = v;
      n += on;
    }
  }
}

/** Adam's state over the active entries (compact z, m, v; index: each one's entry of the dense a). */
export interface ActiveAdam {
  index: Int32Array;
  z: Float32Array;
  m: Float32Array;
  v: Float32Array;
  a: Float32Array;
}

/**
 * Adam step k (docs/protocols.md §2) on active entries j0..j1 with ReLU′ folded in: the gradient of
 * entry j is grad[index[j] − gradOffset] where z > 0, else 0; a = ReLU of the new z for the next h.
 */
export function adamActive(
  { index, z, m, v, a }: ActiveAdam,
  grad: Float32Array,
  gradOffset: number,
  j0: number,
  j1: number,
  k: number,
  { gamma, beta1, beta2 }: Pick<DLNetSettings, 'gamma' | 'beta1' | 'beta2'>,
): void {
  const b1 = 1 - beta1;
  const b2 = 1 - beta2;
  const c1 = 1 / (1 - beta1 ** k);
  const c2 = 1 / (1 - beta2 ** k);
  for (let j = j0; j < j1; j++) {
    const i = index[j];
    const zi = z[j];
    const d = zi > 0 ? grad[i - gradOffset] : 0;
    const mk = beta1 * m[j] + b1 * d;
    const vk = beta2 * v[j] + b2 * d * d;
    m[j] = mk;
    v[j] = vk;
    const vh = vk * c2;
    const zn = zi - (gamma * (mk * c1)) / Math.sqrt(vh > 1e-16 ? vh : 1e-16);
    z[j] = zn;
    a[i] = zn > 0 ? zn : 0;
  }
}

/** The first position in the sorted `index` whose value is ≥ `value`. */
export function lowerBound(index: Int32Array, value: number): number {
  let lo = 0;
  let hi = index.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (index[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
