/**
 * The SR degradation W and its transpose on LR windows of a band (docs/protocols.md §1.1): separable bicubic or
 * Gaussian taps per axis with the tile's own symmetric / replicated borders, as degradations-tf.ts, and Wᵀ as a
 * gather over the transposed tap lists. Used by the DL-Net steps of sr-compute.ts, which pass the step arena's
 * WebAssembly row pass (single precision, kernels/rows.wat); the JS row loop (in doubles) runs elsewhere.
 */
import { bicubicDownTaps, clampIndex, gaussianTaps, mirrorIndex } from '../degradations.js';
import type { RowPass } from '../kernels/step-arena.js';

/**
 * Separable W along one axis of a given HR length: tap j of output o reads input idx[o·n + j] with
 * weight weights[j]; the transposed lists give, for input q, the (output, weight) pairs that read it
 * (entries tStart[q] .. tStart[q + 1]), so Wᵀ gathers instead of scattering.
 */
export interface AxisTaps {
  n: number;
  weights: Float64Array;
  idx: Int32Array;
  /** Output o reads inputs start[o] .. start[o] + n − 1 in order (no border), or start[o] = −1. */
  start: Int32Array;
  tStart: Int32Array;
  tOut: Int32Array;
  tWeight: Float64Array;
}

export function axisTaps(inLen: number, t: number, blur: number): AxisTaps {
  const outLen = inLen / t;
  let first: number;
  let w: number[];
  let map: (j: number, n: number) => number;
  if (blur === 0) {
    const taps = bicubicDownTaps(t);
    first = taps.first;
    w = taps.weights;
    map = mirrorIndex;
  } else {
    first = -7;
    w = gaussianTaps(blur);
    map = clampIndex;
  }
  const n = w.length;
  const idx = new Int32Array(outLen * n);
  const start = new Int32Array(outLen);
  const tStart = new Int32Array(inLen + 1);
  for (let o = 0; o < outLen; o++) {
    const s = t * o + first;
    start[o] = s >= 0 && s + n <= inLen ? s : -1;
    for (let j = 0; j < n; j++) {
      const q = map(s + j, inLen);
      idx[o * n + j] = q;
      tStart[q + 1]++;
    }
  }
  for (let q = 0; q < inLen; q++) tStart[q + 1] += tStart[q];
  const fill = tStart.slice(0, inLen);
  const tOut = new Int32Array(outLen * n);
  const tWeight = new Float64Array(outLen * n);
  for (let o = 0; o < outLen; o++)
    for (let j = 0; j < n; j++) {
      const e = fill[idx[o * n + j]]++;
      tOut[e] = o;
      tWeight[e] = w[j];
    }
  return { n, weights: Float64Array.from(w), idx, start, tStart, tOut, tWeight };
}

/** dst[d + p] = Σ_i w[i] · src[s[i] + p] for p < len, over up to four rows at a time (fewer read-modify-writes). */
function weightedRows(...[src, s, w, count, dst, d, len]: Parameters<RowPass>): void {
  if (count === 0) {
    dst.fill(0, d, d + len);
    return;
  }
  for (let i = 0; i < count; i += 4) {
    const k = Math.min(4, count - i);
    const s0 = s[i];
    const w0 = w[i];
    const fresh = i === 0;
    if (k === 1) {
      if (fresh) for (let p = 0; p < len; p++) dst[d + p] = w0 * src[s0 + p];
      else for (let p = 0; p < len; p++) dst[d + p] += w0 * src[s0 + p];
    } else if (k === 2) {
      const s1 = s[i + 1];
      const w1 = w[i + 1];
      if (fresh) for (let p = 0; p < len; p++) dst[d + p] = w0 * src[s0 + p] + w1 * src[s1 + p];
      else for (let p = 0; p < len; p++) dst[d + p] += w0 * src[s0 + p] + w1 * src[s1 + p];
    } else {
      const s1 = s[i + 1];
      const s2 = s[i + 2];
      const w1 = w[i + 1];
      const w2 = w[i + 2];
      const s3 = k === 4 ? s[i + 3] : s2;
      const w3 = k === 4 ? w[i + 3] : 0;
      if (fresh)
        for (let p = 0; p < len; p++) dst[d + p] = w0 * src[s0 + p] + w1 * src[s1 + p] + w2 * src[s2 + p] + w3 * src[s3 + p];
      else for (let p = 0; p < len; p++) dst[d + p] += w0 * src[s0 + p] + w1 * src[s1 + p] + w2 * src[s2 + p] + w3 * src[s3 + p];
    }
  }
}

/** Scratch for weightedRows' row offsets and weights (taps per row are few). */
const rowOffsets = new Int32Array(256);
const rowWeights = new Float64Array(256);

/** out (h/t × w/t) = W x (x: h × w, h given by the row taps); tmp: (h/t) × w scratch; `pass`: runs the row pass where it can. */
export function applyW(
  x: Float32Array,
  w: number,
  rows: AxisTaps,
  cols: AxisTaps,
  tmp: Float32Array,
  out: Float32Array,
  pass?: RowPass,
): void {
  const oh = rows.start.length;
  const ow = cols.start.length;
  const rn = rows.n;
  for (let o = 0; o < oh; o++) {
    for (let j = 0; j < rn; j++) {
      rowOffsets[j] = rows.idx[o * rn + j] * w;
      rowWeights[j] = rows.weights[j];
    }
    if (!pass?.(x, rowOffsets, rowWeights, rn, tmp, o * w, w)) weightedRows(x, rowOffsets, rowWeights, rn, tmp, o * w, w);
  }
  const cn = cols.n;
  const cw = cols.weights;
  for (let o = 0; o < oh; o++) {
    const src = o * w;
    const dst = o * ow;
    for (let p = 0; p < ow; p++) {
      let s = 0;
      const base = cols.start[p];
      if (base >= 0 && cn === 8) {
        // Bicubic ×2 away from the borders: the same sum, unrolled.
        const b = src + base;
        s = cw[0] * tmp[b] + cw[1] * tmp[b + 1] + cw[2] * tmp[b + 2] + cw[3] * tmp[b + 3];
        s = s + cw[4] * tmp[b + 4] + cw[5] * tmp[b + 5] + cw[6] * tmp[b + 6] + cw[7] * tmp[b + 7];
      } else if (base >= 0) {
        const b = src + base;
        for (let j = 0; j < cn; j++) s += cw[j] * tmp[b + j];
      } else {
        for (let j = 0; j < cn; j++) s += cw[j] * tmp[src + cols.idx[p * cn + j]];
      }
      out[dst + p] = s;
    }
  }
}

/** x (h × w) = scale · Wᵀ r (r: h/t × w/t); tmp: (h/t) × w scratch; `pass`: runs the row pass where it can. */
export function applyWT(
  r: Float32Array,
  h: number,
  w: number,
  rows: AxisTaps,
  cols: AxisTaps,
  scale: number,
  tmp: Float32Array,
  x: Float32Array,
  pass?: RowPass,
): void {
  const oh = rows.start.length;
  const ow = cols.start.length;
  const { tStart, tOut, tWeight } = cols;
  for (let o = 0; o < oh; o++) {
    const src = o * ow;
    const dst = o * w;
    for (let q = 0; q < w; q++) {
      const e0 = tStart[q];
      const e1 = tStart[q + 1];
      let s: number;
      if (e1 - e0 === 4)
        // Four outputs read this column (bicubic ×2 and ×4 away from the borders): the same sum, unrolled.
        s =
          tWeight[e0] * r[src + tOut[e0]] +
          tWeight[e0 + 1] * r[src + tOut[e0 + 1]] +
          tWeight[e0 + 2] * r[src + tOut[e0 + 2]] +
          tWeight[e0 + 3] * r[src + tOut[e0 + 3]];
      else {
        s = 0;
        for (let e = e0; e < e1; e++) s += tWeight[e] * r[src + tOut[e]];
      }
      tmp[dst + q] = s * scale;
    }
  }
  for (let q = 0; q < h; q++) {
    const e0 = rows.tStart[q];
    const count = rows.tStart[q + 1] - e0;
    for (let i = 0; i < count; i++) {
      rowOffsets[i] = rows.tOut[e0 + i] * w;
      rowWeights[i] = rows.tWeight[e0 + i];
    }
    if (!pass?.(tmp, rowOffsets, rowWeights, count, x, q * w, w)) weightedRows(tmp, rowOffsets, rowWeights, count, x, q * w, w);
  }
}
