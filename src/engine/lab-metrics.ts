/**
 * Lab mode's numbers: PSNR and SSIM of an estimate x̂_k against the clean original it was degraded from.
 * Super-resolution: on the evaluation luma (docs/protocols.md §5.1: 8-bit, rounded Y, t pixels shaved);
 * inpainting and interpolation: every colour channel on 8 bits (§5.2), SSIM averaged over the channels.
 * SSIM is Wang et al.'s (2004): an 11 × 11 Gaussian window of σ = 1.5, K1 = 0.01, K2 = 0.03, L = 255, the
 * mean of the SSIM map over the pixels whose window lies inside the (shaved) image.
 */
import { evalLuma255, level8 } from './color.js';
import type { Image } from './image.js';
import { psnr8, psnrLuma } from './metrics.js';

export interface IterationScore {
  readonly psnr: number;
  readonly ssim: number;
}

const RADIUS = 5;
const WINDOW = (() => {
  const g: number[] = [];
  for (let i = -RADIUS; i <= RADIUS; i++) g.push(Math.exp(-(i * i) / (2 * 1.5 * 1.5)));
  const sum = g.reduce((a, b) => a + b, 0);
  return g.map((v) => v / sum);
})();

/** Separable Gaussian filter of a plane, 'valid' region only (output (w − 10) × (h − 10)). */
function filterValid(plane: Float64Array, w: number, h: number): Float64Array {
  const ow = w - 2 * RADIUS;
  const oh = h - 2 * RADIUS;
  const rows = new Float64Array(ow * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < WINDOW.length; k++) s += WINDOW[k] * plane[y * w + x + k];
      rows[y * ow + x] = s;
    }
  }
  const out = new Float64Array(ow * oh);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let s = 0;
      for (let k = 0; k < WINDOW.length; k++) s += WINDOW[k] * rows[(y + k) * ow + x];
      out[y * ow + x] = s;
    }
  }
  return out;
}

/** SSIM of two planes on 0..255 (width × height), `border` pixels shaved first. */
export function ssimPlane(a: ArrayLike<number>, b: ArrayLike<number>, width: number, height: number, border = 0): number {
  const w = width - 2 * border;
  const h = height - 2 * border;
  if (w <= 2 * RADIUS || h <= 2 * RADIUS) return NaN;
  const n = w * h;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      x[r * w + c] = a[(r + border) * width + c + border];
      y[r * w + c] = b[(r + border) * width + c + border];
    }
  }
  const xx = x.map((v) => v * v);
  const yy = y.map((v) => v * v);
  const xy = x.map((v, i) => v * y[i]);
  const [mx, my, sxx, syy, sxy] = [x, y, xx, yy, xy].map((p) => filterValid(p, w, h));
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let sum = 0;
  for (let i = 0; i < mx.length; i++) {
    const vx = sxx[i] - mx[i] * mx[i];
    const vy = syy[i] - my[i] * my[i];
    const cov = sxy[i] - mx[i] * my[i];
    sum += ((2 * mx[i] * my[i] + c1) * (2 * cov + c2)) / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
  }
  return sum / mx.length;
}

/** PSNR and SSIM of `estimate` against `reference` (same shape) for the task (see the module comment). */
export function iterationScore(
  reference: Image,
  estimate: Image,
  task: 'sr' | 'inpaint' | 'interpolate',
  scale = 1,
): IterationScore {
  const { width, height, channels } = reference;
  if (task === 'sr') {
    const border = scale;
    return {
      psnr: psnrLuma(reference, estimate, border),
      ssim: ssimPlane(evalLuma255(reference), evalLuma255(estimate), width, height, border),
    };
  }
  const colour = channels === 2 ? 1 : channels === 4 ? 3 : channels;
  let ssim = 0;
  const pa = new Float64Array(width * height);
  const pb = new Float64Array(width * height);
  for (let c = 0; c < colour; c++) {
    for (let p = 0; p < width * height; p++) {
      pa[p] = level8(reference.data[p * channels + c]);
      pb[p] = level8(estimate.data[p * channels + c]);
    }
    ssim += ssimPlane(pa, pb, width, height);
  }
  return { psnr: psnr8(reference, estimate), ssim: ssim / colour };
}
