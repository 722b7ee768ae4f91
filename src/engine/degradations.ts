/**
 * The degradations of docs/protocols.md §1 on plain float arrays: used to synthesise degraded inputs, to upsample
 * (the SR network's bicubic skip), and as the reference the tf operators (degradations-tf.ts) are
 * tested against. Everything is separable and linear; rounding to 8 bits happens only in degradeSr.
 */
import { BLUR_RANGE, isBlurWidth, MISSING_RATE_RANGE } from '../base/limits.js';
import { createImage, UserError, type Image, type Mask } from './image.js';

export type Scale = 2 | 3 | 4;

/** Keys cubic convolution kernel, a = −0.5 (MATLAB imresize). */
export function cubic(x: number): number {
  const a = -0.5;
  const s = Math.abs(x);
  if (s <= 1) return (a + 2) * s ** 3 - (a + 3) * s ** 2 + 1;
  if (s < 2) return a * s ** 3 - 5 * a * s ** 2 + 8 * a * s - 4 * a;
  return 0;
}

export interface Taps {
  /** Offset of the first tap from t·i (downscale) or from m (upscale). */
  first: number;
  weights: number[];
}

/** imresize(x, 1/t) along one axis: output i reads inputs t·i + first + n, n = 0..len−1. */
export function bicubicDownTaps(t: number): Taps {
  const centre = 0.5 * t - 0.5;
  let lo = Math.ceil(centre - 2 * t);
  let hi = Math.floor(centre + 2 * t);
  // Zero taps are dropped only at the ends: for odd t the kernel has interior zeros.
  while (cubic((centre - lo) / t) === 0) lo++;
  while (cubic((centre - hi) / t) === 0) hi--;
  const weights: number[] = [];
  for (let j = lo; j <= hi; j++) weights.push(cubic((centre - j) / t) / t);
  const sum = weights.reduce((a, b) => a + b, 0);
  return { first: lo, weights: weights.map((w) => w / sum) };
}

/** imresize(x, t) along one axis: output t·m + p reads inputs m−2..m+2 with phases[p]. */
export function bicubicUpPhases(t: number): number[][] {
  const phases: number[][] = [];
  for (let p = 0; p < t; p++) {
    const d = (p + 0.5) / t - 0.5;
    const w = [-2, -1, 0, 1, 2].map((k) => cubic(d - k));
    const sum = w.reduce((a, b) => a + b, 0);
    phases.push(w.map((v) => v / sum));
  }
  return phases;
}

/** 1-D factor of the 15×15 Gaussian of standard deviation u, normalised to sum 1. */
export function gaussianTaps(u: number): number[] {
  const g: number[] = [];
  for (let k = -7; k <= 7; k++) g.push(Math.exp(-(k * k) / (2 * u * u)));
  const sum = g.reduce((a, b) => a + b, 0);
  return g.map((v) => v / sum);
}

/** Symmetric border that repeats the edge pixel (…, x1, x0 | x0, x1, …), periodic with 2n. */
export function mirrorIndex(j: number, n: number): number {
  const period = 2 * n;
  const m = ((j % period) + period) % period;
  return m < n ? m : period - 1 - m;
}

export function clampIndex(j: number, n: number): number {
  return j < 0 ? 0 : j >= n ? n - 1 : j;
}

type IndexMap = (j: number, n: number) => number;

/**
 * out(o) = Σ_n w[phase][n] · in(map(stride·base(o) + first + n)), along rows (axis 0) or columns.
 * `phases` has one weight list per output phase (one for downscaling); output length outLen.
 *
 * Each output sums its taps in order, rounding to single precision after every tap (as a Float32Array
 * accumulated with `+=` does), in a register: one write per output instead of one read-modify-write
 * per tap.
 */
function resampleAxis(
  src: Image,
  axis: 0 | 1,
  outLen: number,
  taps: (o: number) => { start: number; weights: number[] },
  map: IndexMap,
  /** Where to write the result (at least its size), instead of a fresh image. */
  into?: Float32Array,
): Image {
  const { width, height, channels: c } = src;
  const outW = axis === 1 ? outLen : width;
  const outH = axis === 0 ? outLen : height;
  const n = outW * outH * c;
  const dst =
    into && into.length >= n
      ? { width: outW, height: outH, channels: c, data: into.subarray(0, n) }
      : createImage(outW, outH, src.channels);
  const inLen = axis === 0 ? height : width;
  // Tap n of output o: input index idx[first[o] + n] (already mapped at the borders), weight w[first[o] + n].
  const first = new Int32Array(outLen + 1);
  for (let o = 0; o < outLen; o++) first[o + 1] = first[o] + taps(o).weights.length;
  const idx = new Int32Array(first[outLen]);
  const w = new Float64Array(first[outLen]);
  for (let o = 0; o < outLen; o++) {
    const { start, weights } = taps(o);
    for (let j = 0; j < weights.length; j++) {
      idx[first[o] + j] = map(start + j, inLen);
      w[first[o] + j] = weights[j];
    }
  }
  const out = dst.data;
  const input = src.data;
  let maxTaps = 0;
  let fiveTaps = true;
  for (let o = 0; o < outLen; o++) {
    maxTaps = Math.max(maxTaps, first[o + 1] - first[o]);
    fiveTaps &&= first[o + 1] - first[o] === 5;
  }
  if (axis === 0) {
    const rowLen = width * c;
    const rows = new Int32Array(maxTaps);
    for (let o = 0; o < outLen; o++) {
      const f = first[o];
      const count = first[o + 1] - f;
      for (let j = 0; j < count; j++) rows[j] = idx[f + j] * rowLen;
      sumRows(input, rows, w, f, count, out, o * rowLen, rowLen);
    }
    return dst;
  }
  for (let y = 0; y < height; y++) {
    const srcRow = y * width * c;
    if (c === 1 && fiveTaps) {
      sumColumns5(input, srcRow, idx, w, out, y * outW, outLen);
      continue;
    }
    for (let o = 0; o < outLen; o++) {
      const f = first[o];
      const e = first[o + 1];
      const dstPix = (y * outW + o) * c;
      for (let k = 0; k < c; k++) {
        let acc = 0;
        for (let j = f; j < e; j++) acc = Math.fround(acc + w[j] * input[srcRow + idx[j] * c + k]);
        out[dstPix + k] = acc;
      }
    }
  }
  return dst;
}

/** out[d + i] = Σ_j w[f + j] · input[rows[j] + i] for i < len, rounded to single precision after every tap. */
function sumRows(
  input: Float32Array,
  rows: Int32Array,
  w: Float64Array,
  f: number,
  count: number,
  out: Float32Array,
  d: number,
  len: number,
): void {
  if (count === 5) {
    const [r0, r1, r2, r3, r4] = [rows[0], rows[1], rows[2], rows[3], rows[4]];
    const [w0, w1, w2, w3, w4] = [w[f], w[f + 1], w[f + 2], w[f + 3], w[f + 4]];
    for (let i = 0; i < len; i++) {
      let acc = Math.fround(w0 * input[r0 + i]);
      acc = Math.fround(acc + w1 * input[r1 + i]);
      acc = Math.fround(acc + w2 * input[r2 + i]);
      acc = Math.fround(acc + w3 * input[r3 + i]);
      out[d + i] = acc + w4 * input[r4 + i];
    }
    return;
  }
  for (let i = 0; i < len; i++) {
    let acc = 0;
    for (let j = 0; j < count; j++) acc = Math.fround(acc + w[f + j] * input[rows[j] + i]);
    out[d + i] = acc;
  }
}

/**
 * One row of the column pass on a one-channel image where every output has five taps (bicubic
 * upscaling): out[d + o] = Σ_j w[5o + j] · input[s + idx[5o + j]].
 */
function sumColumns5(
  input: Float32Array,
  s: number,
  idx: Int32Array,
  w: Float64Array,
  out: Float32Array,
  d: number,
  outLen: number,
): void {
  for (let o = 0, f = 0; o < outLen; o++, f += 5) {
    let acc = Math.fround(w[f] * input[s + idx[f]]);
    acc = Math.fround(acc + w[f + 1] * input[s + idx[f + 1]]);
    acc = Math.fround(acc + w[f + 2] * input[s + idx[f + 2]]);
    acc = Math.fround(acc + w[f + 3] * input[s + idx[f + 3]]);
    out[d + o] = acc + w[f + 4] * input[s + idx[f + 4]];
  }
}

export function cropToMultiple(image: Image, t: number): Image {
  const w = image.width - (image.width % t);
  const h = image.height - (image.height % t);
  if (w === image.width && h === image.height) return image;
  if (w === 0 || h === 0) throw new UserError(`The image is smaller than the scale factor ${t}.`);
  const out = createImage(w, h, image.channels);
  const c = image.channels;
  for (let y = 0; y < h; y++) out.data.set(image.data.subarray(y * image.width * c, (y * image.width + w) * c), y * w * c);
  return out;
}

/** Bicubic imresize(x, 1/t); the image must already be a multiple of t. */
export function bicubicDownscale(image: Image, t: number): Image {
  const { first, weights } = bicubicDownTaps(t);
  const taps = (o: number) => ({ start: t * o + first, weights });
  const rows = resampleAxis(image, 0, image.height / t, taps, mirrorIndex);
  return resampleAxis(rows, 1, image.width / t, taps, mirrorIndex);
}

/** (k_u ∗ x)↓t with replicated borders, keeping pixels (t·i, t·j). */
export function gaussianDownscale(image: Image, t: number, u: number): Image {
  const weights = gaussianTaps(u);
  const taps = (o: number) => ({ start: t * o - 7, weights });
  const rows = resampleAxis(image, 0, image.height / t, taps, clampIndex);
  return resampleAxis(rows, 1, image.width / t, taps, clampIndex);
}

/**
 * Bicubic imresize(x, t) (MATLAB semantics, no antialiasing when enlarging). A one-channel image can be
 * upscaled into `into` (the row pass's result, then the output: views on its arrays are returned), so
 * that a caller upscaling strip after strip does not map fresh memory for each (page faults cost the
 * 2-core dev VM about as much as the arithmetic).
 */
export function bicubicUpscaleImage(image: Image, t: number, into?: { rows: Float32Array; out: Float32Array }): Image {
  const phases = bicubicUpPhases(t);
  const taps = (o: number) => ({ start: Math.floor(o / t) - 2, weights: phases[o % t] });
  const rows = resampleAxis(image, 0, image.height * t, taps, mirrorIndex, into?.rows);
  return resampleAxis(rows, 1, image.width * t, taps, mirrorIndex, into?.out);
}

/**
 * MATLAB imresize contributions for an arbitrary output length (bicubic; antialiased when
 * shrinking: kernel stretched by 1/s), symmetric borders, weights normalised.
 */
function resizeTaps(inLen: number, outLen: number): (o: number) => { start: number; weights: number[] } {
  const s = outLen / inLen;
  const stretch = s < 1 ? s : 1;
  const width = 4 / stretch;
  const count = Math.ceil(width) + 2;
  return (o: number) => {
    const u = (o + 0.5) / s - 0.5;
    const start = Math.floor(u - width / 2);
    const weights: number[] = [];
    for (let n = 0; n < count; n++) weights.push(stretch * cubic(stretch * (u - (start + n))));
    const sum = weights.reduce((a, b) => a + b, 0);
    return { start, weights: weights.map((w) => w / sum) };
  };
}

/** Bicubic resize to any size (MATLAB imresize semantics). */
export function resizeImage(image: Image, width: number, height: number): Image {
  const rows = height === image.height ? image : resampleAxis(image, 0, height, resizeTaps(image.height, height), mirrorIndex);
  return width === image.width ? rows : resampleAxis(rows, 1, width, resizeTaps(image.width, width), mirrorIndex);
}

/** The linear SR operator W (no rounding): bicubic for u = 0, Gaussian + ↓t otherwise. */
export function srOperator(image: Image, t: number, u: number): Image {
  return u === 0 ? bicubicDownscale(image, t) : gaussianDownscale(image, t, u);
}

export function quantizeTo8(image: Image): Image {
  const out = createImage(image.width, image.height, image.channels);
  for (let i = 0; i < image.data.length; i++) out.data[i] = Math.min(255, Math.max(0, Math.round(image.data[i] * 255))) / 255;
  return out;
}

export function checkSrParams(scale: number, blur: number): asserts scale is Scale {
  if (scale !== 2 && scale !== 3 && scale !== 4) throw new UserError(`The scale must be 2, 3 or 4, not ${scale}.`);
  if (!isBlurWidth(blur))
    throw new UserError(`The blur width must be between ${BLUR_RANGE.min} and ${BLUR_RANGE.max}, not ${blur}.`);
}

/** The super-resolution degradation (docs/protocols.md §1.1): crop to a multiple of t, W, round and clip to 8 bits. */
export function degradeSr(image: Image, scale: Scale, blur: number): Image {
  checkSrParams(scale, blur);
  return quantizeTo8(srOperator(cropToMultiple(image, scale), scale, blur));
}

/** Small, fast, seedable PRNG (mulberry32) so degradations are reproducible from --seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fullMask(width: number, height: number): Mask {
  return { width, height, data: new Uint8Array(width * height).fill(1) };
}

/**
 * One square hole of `side` px centred with a random shift of up to ±maxShift px per axis, kept
 * inside the image (docs/protocols.md §1.2). 1 = observed, 0 = missing.
 */
export function squareHoleMask(width: number, height: number, side: number, maxShift: number, seed: number): Mask {
  if (!(side >= 1) || side > Math.min(width, height)) {
    throw new UserError(`The hole side must be between 1 and ${Math.min(width, height)} px, not ${side}.`);
  }
  const rand = seededRandom(seed);
  const shift = () => Math.floor(rand() * (2 * maxShift + 1)) - maxShift;
  const top = Math.min(Math.max(Math.floor((height - side) / 2) + shift(), 0), height - side);
  const left = Math.min(Math.max(Math.floor((width - side) / 2) + shift(), 0), width - side);
  const mask = fullMask(width, height);
  for (let y = top; y < top + side; y++) mask.data.fill(0, y * width + left, y * width + left + side);
  return mask;
}

/** Each pixel missing independently with probability `rate` (docs/protocols.md §1.3, r in [0, 0.75]). */
export function bernoulliMask(width: number, height: number, rate: number, seed: number): Mask {
  if (!(rate >= MISSING_RATE_RANGE.min && rate <= MISSING_RATE_RANGE.max)) {
    throw new UserError(
      `The missing fraction must be between ${MISSING_RATE_RANGE.min} and ${MISSING_RATE_RANGE.max}, not ${rate}.`,
    );
  }
  const rand = seededRandom(seed);
  const mask = fullMask(width, height);
  for (let i = 0; i < mask.data.length; i++) mask.data[i] = rand() < rate ? 0 : 1;
  return mask;
}

/** y = M ⊙ x: missing pixels set to 0 in every channel except alpha, which is kept. */
export function applyMask(image: Image, mask: Mask): Image {
  if (mask.width !== image.width || mask.height !== image.height) {
    throw new UserError(
      `The mask is ${mask.width}×${mask.height} but the image is ${image.width}×${image.height}; they must match.`,
    );
  }
  const out = createImage(image.width, image.height, image.channels);
  out.data.set(image.data);
  const c = image.channels;
  const colour = c === 2 || c === 4 ? c - 1 : c;
  for (let p = 0; p < mask.data.length; p++) {
    if (mask.data[p] === 0) for (let k = 0; k < colour; k++) out.data[p * c + k] = 0;
  }
  return out;
}
