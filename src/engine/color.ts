/**
 * Luma/chroma handling (docs/protocols.md §3, §5.1). Super-resolution networks see only luma; chroma is
 * upsampled bicubically. The conversion is MATLAB's rgb2ycbcr / ycbcr2rgb for double input:
 * R, G, B and Y, Cb, Cr are all on the 0..1 scale (an 8-bit value / 255), so
 *   Y  = (16  +  65.481 R + 128.553 G +  24.966 B) / 255
 *   Cb = (128 −  37.797 R −  74.203 G + 112.000 B) / 255
 *   Cr = (128 + 112.000 R −  93.786 G −  18.214 B) / 255
 * and the inverse is the exact matrix inverse (computed once in float64). Grey images have no
 * conversion: their luma is the grey value itself.
 */
import { createImage, type Image } from './image.js';

/** MATLAB's rgb2ycbcr matrix, rows Y, Cb, Cr, acting on 0..1 RGB and giving 0..255 values. */
const T: readonly (readonly number[])[] = [
  [65.481, 128.553, 24.966],
  [-37.797, -74.203, 112.0],
  [112.0, -93.786, -18.214],
];
const OFFSET = [16, 128, 128] as const;

function invert3(m: readonly (readonly number[])[]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

/** Inverse of T: maps 0..255 (Y−16, Cb−128, Cr−128) back to 0..1 RGB. */
const T_INV = invert3(T);

/** One pixel, 0..1 RGB → 0..1 YCbCr (MATLAB convention). */
export function rgbToYCbCr(r: number, g: number, b: number): [number, number, number] {
  return [
    (OFFSET[0] + T[0][0] * r + T[0][1] * g + T[0][2] * b) / 255,
    (OFFSET[1] + T[1][0] * r + T[1][1] * g + T[1][2] * b) / 255,
    (OFFSET[2] + T[2][0] * r + T[2][1] * g + T[2][2] * b) / 255,
  ];
}

/** One pixel, 0..1 YCbCr → 0..1 RGB, the exact inverse of `rgbToYCbCr` (not clipped). */
export function yCbCrToRgb(y: number, cb: number, cr: number): [number, number, number] {
  const rgb: [number, number, number] = [0, 0, 0];
  yCbCrToRgbAt(y, cb, cr, rgb, 0);
  return rgb;
}

/** yCbCrToRgb written into out[o], out[o + 1], out[o + 2] (no array per pixel in whole-image loops). */
function yCbCrToRgbAt(y: number, cb: number, cr: number, out: { [i: number]: number }, o: number): void {
  const Y = y * 255 - OFFSET[0];
  const Cb = cb * 255 - OFFSET[1];
  const Cr = cr * 255 - OFFSET[2];
  out[o] = T_INV[0][0] * Y + T_INV[0][1] * Cb + T_INV[0][2] * Cr;
  out[o + 1] = T_INV[1][0] * Y + T_INV[1][1] * Cb + T_INV[1][2] * Cr;
  out[o + 2] = T_INV[2][0] * Y + T_INV[2][1] * Cb + T_INV[2][2] * Cr;
}

/** Planar luma/chroma of an image, each plane width × height, row-major, 0..1 scale. */
export interface LumaPlanes {
  readonly width: number;
  readonly height: number;
  /** Luma (colour images) or the grey value itself (grey images). */
  readonly y: Float32Array;
  /** Chroma; absent for grey images. */
  readonly cb?: Float32Array;
  readonly cr?: Float32Array;
  /** Alpha, untouched; absent when the image has none. */
  readonly alpha?: Float32Array;
}

/** Splits an image into luma, chroma (colour images only) and alpha planes, each made by `alloc`. */
export function splitLuma(image: Image, alloc: (n: number) => Float32Array = (n) => new Float32Array(n)): LumaPlanes {
  const { width, height, channels, data } = image;
  const n = width * height;
  const y = alloc(n);
  const hasAlpha = channels === 2 || channels === 4;
  const alpha = hasAlpha ? alloc(n) : undefined;
  if (channels <= 2) {
    for (let p = 0; p < n; p++) {
      y[p] = data[p * channels];
      if (alpha) alpha[p] = data[p * channels + 1];
    }
    return { width, height, y, alpha };
  }
  const cb = alloc(n);
  const cr = alloc(n);
  // rgbToYCbCr's sums, with the matrix in locals (no array per pixel).
  const [[t00, t01, t02], [t10, t11, t12], [t20, t21, t22]] = T;
  const [o0, o1, o2] = OFFSET;
  for (let p = 0; p < n; p++) {
    const o = p * channels;
    const r = data[o];
    const g = data[o + 1];
    const b = data[o + 2];
    y[p] = (o0 + t00 * r + t01 * g + t02 * b) / 255;
    cb[p] = (o1 + t10 * r + t11 * g + t12 * b) / 255;
    cr[p] = (o2 + t20 * r + t21 * g + t22 * b) / 255;
    if (alpha) alpha[p] = data[o + 3];
  }
  return { width, height, y, cb, cr, alpha };
}

/**
 * Inverse of `splitLuma`: grey (+alpha) when there is no chroma, RGB (+alpha) otherwise; with `clip`, every
 * value clipped to 0..1.
 * `into`: the samples are written there (exactly width·height·channels floats) instead of a new image.
 */
export function mergeLuma(planes: LumaPlanes, into?: Float32Array, clip = false): Image {
  const { width, height, y, cb, cr, alpha } = planes;
  const n = width * height;
  const target = (channels: Image['channels']): Image => {
    if (!into) return createImage(width, height, channels);
    if (into.length !== n * channels)
      throw new Error(`mergeLuma: the target holds ${into.length} values, expected ${n * channels}.`);
    return { width, height, channels, data: into };
  };
  for (const [name, plane] of Object.entries({ y, cb, cr, alpha })) {
    if (plane !== undefined && plane.length !== n) {
      throw new Error(`mergeLuma: plane ${name} has ${plane.length} values, expected ${width}×${height}.`);
    }
  }
  if ((cb === undefined) !== (cr === undefined)) throw new Error('mergeLuma: cb and cr must both be given or both omitted.');
  if (cb === undefined || cr === undefined) {
    const image = target(alpha ? 2 : 1);
    const c = image.channels;
    for (let p = 0; p < n; p++) {
      image.data[p * c] = y[p];
      if (alpha) image.data[p * c + 1] = alpha[p];
    }
    if (clip) clamp01(image.data);
    return image;
  }
  const image = target(alpha ? 4 : 3);
  mergeColour(y, cb, cr, alpha, image.data, image.channels, clip);
  return image;
}

/** v clipped to 0..1 as a stored float (NaN stays NaN). */
function clipped(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** dst[to + i] = src[from + i] clipped to 0..1 (NaN stays NaN) for i < len: a copy and clamp01 in one pass. */
export function copyClipped(src: Float32Array, from: number, dst: Float32Array, to: number, len: number): void {
  for (let i = 0; i < len; i++) dst[to + i] = clipped(src[from + i]);
}

/** Every value of `a` clipped to 0..1 in place (NaN stays NaN); returns `a`. */
export function clamp01(a: Float32Array): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = clipped(a[i]);
  return a;
}

/**
 * yCbCrToRgbAt over whole planes into `out` (c channels per pixel, alpha copied into the fourth), with the
 * matrix in locals; `clip`: each stored value clipped to 0..1 in the same pass.
 */
function mergeColour(
  y: Float32Array,
  cb: Float32Array,
  cr: Float32Array,
  alpha: Float32Array | undefined,
  out: Float32Array,
  c: number,
  clip: boolean,
): void {
  const [[a00, a01, a02], [a10, a11, a12], [a20, a21, a22]] = T_INV;
  const [o0, o1, o2] = OFFSET;
  const fround = Math.fround;
  for (let p = 0; p < y.length; p++) {
    const Y = y[p] * 255 - o0;
    const Cb = cb[p] * 255 - o1;
    const Cr = cr[p] * 255 - o2;
    const o = p * c;
    const r = fround(a00 * Y + a01 * Cb + a02 * Cr);
    const g = fround(a10 * Y + a11 * Cb + a12 * Cr);
    const b = fround(a20 * Y + a21 * Cb + a22 * Cr);
    out[o] = clip ? clipped(r) : r;
    out[o + 1] = clip ? clipped(g) : g;
    out[o + 2] = clip ? clipped(b) : b;
    if (alpha) out[o + 3] = clip ? clipped(alpha[p]) : alpha[p];
  }
}

/** The 8-bit level (integer 0..255, rounded and clipped) of a 0..1 value; NaN gives 0. */
export function level8(v: number): number {
  const q = Math.round(v * 255);
  return q > 0 ? (q < 255 ? q : 255) : 0;
}

/** A copy of the image with every value rounded and clipped to 8 bits (still on the 0..1 scale). */
export function quantize8(image: Image): Image {
  const out = createImage(image.width, image.height, image.channels);
  const src = image.data;
  const dst = out.data;
  for (let i = 0; i < src.length; i++) {
    dst[i] = level8(src[i]) / 255; // NaN becomes 0 rather than propagating into files
  }
  return out;
}

/**
 * Evaluation luma on the 0..255 scale (docs/protocols.md §5.1): the image is first rounded and clipped to
 * 8 bits, then Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255 with R, G, B on 0..255, and Y
 * itself rounded to an integer, as MATLAB's rgb2ycbcr does for uint8 images (the evaluation
 * code behind the paper's tables). Measured on Set5 with bicubic ×2/×3/×4: rounded Y gives
 * 33.65 / 30.39 / 28.42 dB, unrounded Y 33.68 / 30.41 / 28.43; the bicubic check (docs/protocols.md §1.1) expects
 * 33.66 / 30.39 / 28.42 ± 0.02, which only the rounded Y meets. Grey images give their 8-bit
 * grey value. Alpha is ignored.
 */
export function evalLuma255(image: Image): Float32Array {
  const { width, height, channels, data } = image;
  const n = width * height;
  const out = new Float32Array(n);
  const q = level8;
  if (channels <= 2) {
    for (let p = 0; p < n; p++) out[p] = q(data[p * channels]);
    return out;
  }
  for (let p = 0; p < n; p++) {
    const o = p * channels;
    out[p] = Math.round(16 + (T[0][0] * q(data[o]) + T[0][1] * q(data[o + 1]) + T[0][2] * q(data[o + 2])) / 255);
  }
  return out;
}
