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
  /** Outputs [wFrom, wTo) read no border (start[o] ≥ 0): W's column pass runs them with its taps unrolled. */
  wFrom: number;
  wTo: number;
  /**
   * Wᵀ away from the borders, polyphase: input q = t·m + φ for m in [tFrom, tTo) gathers outputs m + rel[i]
   * with weights weight[i] of its phase φ (the transposed lists' entries, in their order).
   */
  tFrom: number;
  tTo: number;
  phases: { rel: Int32Array; weight: Float64Array }[];
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
  let wFrom = 0;
  while (wFrom < outLen && start[wFrom] < 0) wFrom++;
  let wTo = wFrom;
  while (wTo < outLen && start[wTo] >= 0) wTo++;
  return {
    n,
    weights: Float64Array.from(w),
    idx,
    start,
    tStart,
    tOut,
    tWeight,
    wFrom,
    wTo,
    ...transposedPhases(tStart, tOut, tWeight, t),
  };
}

/**
 * The phases of Wᵀ (AxisTaps.phases) read off the middle of the axis, and the widest range of m around it
 * where every input's transposed entries are its phase's, shifted by m.
 */
function transposedPhases(
  tStart: Int32Array,
  tOut: Int32Array,
  tWeight: Float64Array,
  t: number,
): Pick<AxisTaps, 'tFrom' | 'tTo' | 'phases'> {
  const M = (tStart.length - 1) / t;
  const mid = Math.floor(M / 2);
  const phases = Array.from({ length: t }, (_, f) => {
    const e0 = tStart[mid * t + f];
    const e1 = tStart[mid * t + f + 1];
    return { rel: tOut.slice(e0, e1).map((o) => o - mid), weight: tWeight.slice(e0, e1) };
  });
  const regular = (m: number) =>
    phases.every(({ rel, weight }, f) => {
      const e0 = tStart[m * t + f];
      if (tStart[m * t + f + 1] - e0 !== rel.length) return false;
      return rel.every((r, i) => tOut[e0 + i] === m + r && tWeight[e0 + i] === weight[i]);
    });
  if (M === 0) return { tFrom: 0, tTo: 0, phases };
  // The middle holds its own phases by construction: the range grows from there.
  let tFrom = mid;
  while (tFrom > 0 && regular(tFrom - 1)) tFrom--;
  let tTo = mid + 1;
  while (tTo < M && regular(tTo)) tTo++;
  return { tFrom, tTo, phases };
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
  for (let o = 0; o < oh; o++) {
    const src = o * w;
    const dst = o * ow;
    wColumns(tmp, src, cols, out, dst, 0, cols.wFrom);
    wColumns(tmp, src, cols, out, dst, cols.wTo, ow);
  }
  wInterior(tmp, w, oh, cols, out, ow);
}

/** W's column pass on outputs [p0, p1) of one row, through the tap lists (any output, borders included). */
function wColumns(tmp: Float32Array, src: number, cols: AxisTaps, out: Float32Array, dst: number, p0: number, p1: number): void {
  const { n, weights, idx } = cols;
  for (let p = p0; p < p1; p++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += weights[j] * tmp[src + idx[p * n + j]];
    out[dst + p] = s;
  }
}

/**
 * W's column pass on the outputs that read no border (AxisTaps.wFrom..wTo: each reads t further on) of every
 * row, the weights in locals: up to sixteen taps unrolled (zero weights after the last add nothing), the sum
 * in tap order as wColumns adds it.
 */
function wInterior(tmp: Float32Array, w: number, oh: number, cols: AxisTaps, out: Float32Array, ow: number): void {
  const { n, weights, start, wFrom, wTo } = cols;
  if (wTo <= wFrom) return;
  if (n > 16 || n < 4) {
    for (let o = 0; o < oh; o++) wColumns(tmp, o * w, cols, out, o * ow, wFrom, wTo);
    return;
  }
  const t = cols.phases.length;
  // Taps past the last read the first with weight 0 (reading past the row could run off the array).
  const [w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15] = Array.from({ length: 16 }, (_, j) =>
    j < n ? weights[j] : 0,
  );
  const [j4, j5, j6, j7, j8, j9, j10, j11, j12, j13, j14, j15] = Array.from({ length: 12 }, (_, i) => (i + 4 < n ? i + 4 : 0));
  for (let o = 0; o < oh; o++) {
    const src = o * w + start[wFrom];
    const dst = o * ow;
    if (n <= 8)
      for (let p = wFrom, b = src; p < wTo; p++, b += t) {
        const s = w0 * tmp[b] + w1 * tmp[b + 1] + w2 * tmp[b + 2] + w3 * tmp[b + 3];
        out[dst + p] = s + w4 * tmp[b + j4] + w5 * tmp[b + j5] + w6 * tmp[b + j6] + w7 * tmp[b + j7];
      }
    else
      for (let p = wFrom, b = src; p < wTo; p++, b += t) {
        let s = w0 * tmp[b] + w1 * tmp[b + 1] + w2 * tmp[b + 2] + w3 * tmp[b + 3];
        s = s + w4 * tmp[b + j4] + w5 * tmp[b + j5] + w6 * tmp[b + j6] + w7 * tmp[b + j7];
        s = s + w8 * tmp[b + j8] + w9 * tmp[b + j9] + w10 * tmp[b + j10] + w11 * tmp[b + j11];
        out[dst + p] = s + w12 * tmp[b + j12] + w13 * tmp[b + j13] + w14 * tmp[b + j14] + w15 * tmp[b + j15];
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
  const q0 = cols.tFrom * cols.phases.length;
  const q1 = cols.tTo * cols.phases.length;
  for (let o = 0; o < oh; o++) {
    wtColumns(r, o * ow, cols, scale, tmp, o * w, 0, q0);
    wtColumns(r, o * ow, cols, scale, tmp, o * w, q1, w);
  }
  wtInterior(r, ow, oh, cols, scale, tmp, w);
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

/** Wᵀ's column pass on inputs [q0, q1) of one row, through the transposed lists (borders included). */
function wtColumns(
  r: Float32Array,
  src: number,
  cols: AxisTaps,
  scale: number,
  tmp: Float32Array,
  dst: number,
  q0: number,
  q1: number,
): void {
  const { tStart, tOut, tWeight } = cols;
  for (let q = q0; q < q1; q++) {
    let s = 0;
    for (let e = tStart[q]; e < tStart[q + 1]; e++) s += tWeight[e] * r[src + tOut[e]];
    tmp[dst + q] = s * scale;
  }
}

/**
 * Wᵀ's column pass away from the borders (AxisTaps.tFrom..tTo) of every row, phase by phase with the phase's
 * offsets and weights in locals: contiguous reads instead of the lists' gathers (bicubic: four taps a
 * phase), the sum in the lists' order as wtColumns adds it.
 */
function wtInterior(r: Float32Array, ow: number, oh: number, cols: AxisTaps, scale: number, tmp: Float32Array, w: number): void {
  const { tFrom, tTo, phases } = cols;
  const t = phases.length;
  if (phases.some(({ rel }) => rel.length > 8)) {
    for (let o = 0; o < oh; o++) wtColumns(r, o * ow, cols, scale, tmp, o * w, tFrom * t, tTo * t);
    return;
  }
  phases.forEach(({ rel, weight }, f) => {
    const n = rel.length;
    // Offsets and weights apart: an array mixing them would hand the offsets out as doubles.
    const [d0, d1, d2, d3, d4, d5, d6, d7] = Array.from({ length: 8 }, (_, i) => (i < n ? rel[i] : (rel[0] ?? 0)));
    const [w0, w1, w2, w3, w4, w5, w6, w7] = Array.from({ length: 8 }, (_, i) => (i < n ? weight[i] : 0));
    for (let o = 0; o < oh; o++) {
      const src = o * ow;
      const dst = o * w + f;
      if (n <= 4)
        for (let m = tFrom, b = src + tFrom, q = dst + tFrom * t; m < tTo; m++, b++, q += t)
          tmp[q] = (w0 * r[b + d0] + w1 * r[b + d1] + w2 * r[b + d2] + w3 * r[b + d3]) * scale;
      else
        for (let m = tFrom, b = src + tFrom, q = dst + tFrom * t; m < tTo; m++, b++, q += t) {
          const s = w0 * r[b + d0] + w1 * r[b + d1] + w2 * r[b + d2] + w3 * r[b + d3];
          tmp[q] = (s + w4 * r[b + d4] + w5 * r[b + d5] + w6 * r[b + d6] + w7 * r[b + d7]) * scale;
        }
    }
  });
}
