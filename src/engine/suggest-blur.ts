/**
 * Suggest the blur u of a photo to upscale: the blur estimator (networks/blur-estimator.ts, trained on
 * T91 + BSD400 patches degraded exactly as the SR models' training data) rates every u of a 0.1 grid, and
 * bicubic downscaling, on each of the photo's 32 most textured crops (48 px, on a 16-px grid; flat crops
 * say nothing about blur); the crops' mean log-probability is the photo's posterior (the curve the app
 * draws). The suggestion is bicubic (u = 0) when that holds at least the scale's share of the posterior,
 * else the posterior mean of the Gaussian u less a shift; both per scale (SUGGEST_DECISION), chosen for
 * the PSNR the suggested u keeps, which punishes a bicubic / Gaussian mix-up (the output is shifted) and
 * an over-estimate (over-sharpening) far more than an under-estimate.
 *
 * Loads TensorFlow.js: reach it through loadCompute().
 */
import { BLUR_RANGE } from '../base/limits.js';
import { splitLuma } from './color.js';
import { cropImage, UserError, type Image } from './image.js';
import { loadWeights } from './model-file.js';
import { findModel } from './models.js';
import { BlurEstimator } from './networks/blur-estimator.js';

export interface SuggestBlurOptions {
  readonly scale: 2 | 3 | 4;
  /** Textured crops to rate (default 32). */
  readonly crops?: number;
  /** Crop side in photo pixels (default 48, what the estimator was trained on). */
  readonly cropSize?: number;
  readonly signal?: AbortSignal;
}

/** One point of the curve: a Gaussian u and its posterior probability. */
export interface BlurCurvePoint {
  readonly u: number;
  readonly probability: number;
}

export interface BlurSuggestion {
  /** The suggested u (0 = bicubic downscaling), rounded to 0.05. */
  readonly blur: number;
  /** Posterior probability of every Gaussian u of the estimator's grid, in order of u. */
  readonly curve: readonly BlurCurvePoint[];
  /** Posterior probability of bicubic downscaling (u = 0). */
  readonly bicubicProbability: number;
  /** The crops rated, in photo pixels. */
  readonly crops: readonly { readonly x: number; readonly y: number; readonly width: number; readonly height: number }[];
}

/**
 * Per scale: the posterior share from which bicubic is suggested, and the shift subtracted from the
 * posterior mean u. Chosen on photos neither the estimator nor the SR models trained on (never Set14) by
 * training/reports/calibrate_suggest_blur.mts: the most cases within 0.3 dB of the true u's PSNR.
 */
export const SUGGEST_DECISION: Readonly<Record<2 | 3 | 4, { readonly bicubicShare: number; readonly shift: number }>> = {
  // training/reports/suggest_blur_calibration.json (10 held-out BSD400 and 10 scene photos × 8 u): within
  // 0.3 dB in 138/160, 155/160 and 159/160 cases. ×2 loses most between bicubic and Gaussian u ≈ 0.8, which
  // look alike but sample the photo half a pixel apart.
  2: { bicubicShare: 0.5, shift: 0 },
  3: { bicubicShare: 0.6, shift: 0.05 },
  4: { bicubicShare: 0.5, shift: 0 },
};

/** The luma plane of an image as a 1-channel Image (the SR networks see only luma). */
function lumaImage(image: Image): Image {
  const { y } = splitLuma(image);
  return { width: image.width, height: image.height, channels: 1, data: y };
}

/** Grid positions along an axis of n pixels for crops of `size`: every `stride`, the last flush with the edge. */
function gridStarts(n: number, size: number, stride: number): number[] {
  const starts: number[] = [];
  for (let p = 0; p + size <= n; p += stride) starts.push(p);
  if (starts[starts.length - 1] !== n - size) starts.push(n - size);
  return starts;
}

/**
 * The `count` most textured size × size crops (Laplacian energy) on a grid of `stride` (crops may
 * overlap: a small photo — ×4 input of a 500-px output — holds only a few disjoint ones), the most
 * textured first; the whole photo if it is smaller than a crop.
 */
export function texturedCrops(
  luma: Image,
  count: number,
  size: number,
  stride = 16,
): { x: number; y: number; width: number; height: number }[] {
  const { width: w, height: h, data } = luma;
  if (w <= size || h <= size) return [{ x: 0, y: 0, width: Math.min(w, size), height: Math.min(h, size) }];
  const scored: { x: number; y: number; e: number }[] = [];
  for (const y0 of gridStarts(h, size, stride)) {
    for (const x0 of gridStarts(w, size, stride)) {
      let e = 0;
      for (let y = y0 + 1; y < y0 + size - 1; y++) {
        for (let x = x0 + 1; x < x0 + size - 1; x++) {
          const p = y * w + x;
          const l = 4 * data[p] - data[p - 1] - data[p + 1] - data[p - w] - data[p + w];
          e += l * l;
        }
      }
      scored.push({ x: x0, y: y0, e });
    }
  }
  scored.sort((a, b) => b.e - a.e || a.y - b.y || a.x - b.x);
  return scored.slice(0, count).map(({ x, y }) => ({ x, y, width: size, height: size }));
}

/** Softmax of the crops' mean log-probability: the photo's posterior over the estimator's classes. */
export function posterior(logProbabilities: readonly Float32Array[]): Float64Array {
  const classes = logProbabilities[0].length;
  const mean = new Float64Array(classes);
  for (const row of logProbabilities) for (let c = 0; c < classes; c++) mean[c] += row[c] / logProbabilities.length;
  const top = Math.max(...mean);
  let sum = 0;
  for (let c = 0; c < classes; c++) sum += mean[c] = Math.exp(mean[c] - top);
  return mean.map((v) => v / sum);
}

/** The suggestion a posterior gives (class 0 bicubic, class i a Gaussian of std i·uStep); see the module comment. */
export function decideBlur(p: Float64Array, uStep: number, decision: { bicubicShare: number; shift: number }): number {
  if (p[0] >= decision.bicubicShare) return 0;
  let mass = 0;
  let mean = 0;
  for (let c = 1; c < p.length; c++) {
    mass += p[c];
    mean += p[c] * c * uStep;
  }
  const u = mean / mass - decision.shift;
  return Math.min(BLUR_RANGE.max, Math.max(0.05, Math.round(u * 20) / 20));
}

const estimators = new Map<string, Promise<BlurEstimator>>();

/** The installed blur estimator, loaded once per model folder. */
async function loadEstimator(): Promise<BlurEstimator> {
  const model = await findModel('blur');
  let loaded = estimators.get(model.dir);
  if (!loaded) {
    loaded = loadWeights(model.dir).then((w) => new BlurEstimator(w));
    estimators.set(model.dir, loaded);
    loaded.catch(() => estimators.delete(model.dir));
  }
  return loaded;
}

/** Suggests u for super-resolving `image` ×scale (see the module comment). */
export async function suggestBlur(image: Image, options: SuggestBlurOptions): Promise<BlurSuggestion> {
  const size = options.cropSize ?? 48;
  const luma = lumaImage(image);
  if (luma.width < 8 || luma.height < 8)
    throw new UserError('The photo is too small to suggest a blur (at least 8 × 8 pixels).', 'too-small');
  const estimator = await loadEstimator();
  options.signal?.throwIfAborted();
  const rects = texturedCrops(luma, options.crops ?? 32, size);
  const logProbabilities = estimator.logProbabilities(
    rects.map((r) => cropImage(luma, r.x, r.y, r.width, r.height).data),
    rects[0].width,
    rects[0].height,
    options.scale,
  );
  const p = posterior(logProbabilities);
  const curve = Array.from(p.subarray(1), (probability, i) => ({
    u: Math.round((i + 1) * estimator.uStep * 100) / 100,
    probability,
  }));
  return {
    blur: decideBlur(p, estimator.uStep, SUGGEST_DECISION[options.scale]),
    curve,
    bicubicProbability: p[0],
    crops: rects,
  };
}
