/**
 * Evaluation metrics (docs/protocols.md §5). Plain typed-array code, no tf, so numbers do not depend on the
 * compute backend.
 */
import type { Image } from './image.js';
import { evalLuma255, level8 } from './color.js';

function assertSameShape(a: Image, b: Image, what: string): void {
  if (a.width !== b.width || a.height !== b.height || a.channels !== b.channels) {
    throw new Error(
      `${what}: images differ in shape (${a.width}×${a.height}×${a.channels} vs ${b.width}×${b.height}×${b.channels}).`,
    );
  }
}

/**
 * PSNR in dB between two planes of width × height values on a 0..peak scale, ignoring `border`
 * pixels on each side. Identical planes give Infinity.
 */
export function psnrPlane(
  reference: Float32Array,
  test: Float32Array,
  width: number,
  height: number,
  border = 0,
  peak = 255,
): number {
  if (reference.length !== width * height || test.length !== width * height) {
    throw new Error(`psnrPlane: planes must hold ${width}×${height} values.`);
  }
  if (2 * border >= width || 2 * border >= height) {
    throw new Error(`psnrPlane: a border of ${border} leaves nothing of a ${width}×${height} image.`);
  }
  let sum = 0;
  for (let y = border; y < height - border; y++) {
    for (let x = border; x < width - border; x++) {
      const d = reference[y * width + x] - test[y * width + x];
      sum += d * d;
    }
  }
  const mse = sum / ((width - 2 * border) * (height - 2 * border));
  return mse === 0 ? Infinity : 10 * Math.log10((peak * peak) / mse);
}

/**
 * Super-resolution PSNR (docs/protocols.md §5.1): both images rounded and clipped to 8 bits, luma
 * Y = 16 + (65.481 R + 128.553 G + 24.966 B)/255 on 0..255 RGB (grey images: the grey value),
 * `border` pixels (the scale t) shaved from each side, peak 255.
 */
export function psnrLuma(reference: Image, test: Image, border = 0): number {
  assertSameShape(reference, test, 'psnrLuma');
  return psnrPlane(evalLuma255(reference), evalLuma255(test), reference.width, reference.height, border);
}

/**
 * Inpainting / interpolation PSNR (docs/protocols.md §5.2): every colour channel (alpha excluded) of both
 * images rounded and clipped to 8 bits, peak 255.
 */
export function psnr8(reference: Image, test: Image, border = 0): number {
  assertSameShape(reference, test, 'psnr8');
  const { width, height, channels } = reference;
  const colour = channels === 2 ? 1 : channels === 4 ? 3 : channels;
  if (2 * border >= width || 2 * border >= height) {
    throw new Error(`psnr8: a border of ${border} leaves nothing of a ${width}×${height} image.`);
  }
  let sum = 0;
  for (let y = border; y < height - border; y++) {
    for (let x = border; x < width - border; x++) {
      const o = (y * width + x) * channels;
      for (let c = 0; c < colour; c++) {
        const d = level8(reference.data[o + c]) - level8(test.data[o + c]);
        sum += d * d;
      }
    }
  }
  const mse = sum / ((width - 2 * border) * (height - 2 * border) * colour);
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

/** Mean absolute error on the [−1, 1] scale (values mapped v ↦ 2v − 1), over all values of both images. */
export function l1(reference: Image, test: Image): number {
  assertSameShape(reference, test, 'l1');
  const a = reference.data;
  const b = test.data;
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(2 * (a[i] - b[i]));
  return sum / a.length;
}

/** Mean squared error on the [−1, 1] scale (values mapped v ↦ 2v − 1), over all values of both images. */
export function l2(reference: Image, test: Image): number {
  assertSameShape(reference, test, 'l2');
  const a = reference.data;
  const b = test.data;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = 2 * (a[i] - b[i]);
    sum += d * d;
  }
  return sum / a.length;
}

/** Arithmetic mean, the average over images that the tables report. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
