/**
 * Suggest the blur u of a photo by the likelihood (docs/protocols.md §8): the SR model for the scale runs
 * on a few textured crops of the photo's luma for a grid of u (K = 1, the plain network, so each try
 * costs one pass of g), and L(z_1) = ½·mean (W_u x̂ − y)² says how well each restoration explains the
 * crop. L rises with u: slowly while u is at most the true blur (a restoration that assumes less blur
 * than there was is still consistent with the photo), steeply beyond it (no natural image blurred by
 * W_u gives back the photo's detail). The suggestion is read off that knee: the curve, normalised to
 * its value at the smallest u, is compared with thresholds, and the points where it crosses them are
 * mapped to u by a linear calibration fitted on held-out training photos (BSD400, never Set14) with
 * training/reports/calibrate_suggest_blur.mts. The grid is coarse (0.25) and refined (0.05) around the
 * crossings. The bicubic degradation (u = 0) differs from a Gaussian of similar width mostly in where
 * it samples — which no restoration can see — so u = 0 is suggested only when the knee lies where
 * bicubic downscaling puts it and the bicubic model explains the crops at least as well.
 *
 * Loads TensorFlow.js (through restore.js): reach it through loadCompute().
 */
import { BLUR_RANGE } from '../base/limits.js';
import { splitLuma } from './color.js';
import { createImage, UserError, type Image } from './image.js';
import { restore } from './restore.js';

export interface SuggestBlurOptions {
  readonly scale: 2 | 3 | 4;
  readonly modelId?: string;
  /** Textured crops to try (default 3). */
  readonly crops?: number;
  /** Crop side in photo pixels (default 48). */
  readonly cropSize?: number;
  readonly signal?: AbortSignal;
  /** Progress of the search, 0..1. */
  readonly onProgress?: (fraction: number) => void;
}

/** One point of the curve: the blur tried and the likelihood of its restorations (geometric mean over the crops). */
export interface BlurCurvePoint {
  readonly u: number;
  readonly likelihood: number;
}

export interface BlurSuggestion {
  /** The suggested u (0 = bicubic downscaling), rounded to 0.05. */
  readonly blur: number;
  /** L(z_1) for every Gaussian u tried, in order of u (coarse grid and refinement). */
  readonly curve: readonly BlurCurvePoint[];
  /** L(z_1) of the bicubic model (u = 0). */
  readonly bicubicLikelihood: number;
  /** Where the curve, normalised to its first point, crosses each threshold (log units). */
  readonly crossings: readonly { readonly threshold: number; readonly u: number }[];
  /** The crops, in photo pixels. */
  readonly crops: readonly { readonly x: number; readonly y: number; readonly width: number; readonly height: number }[];
}

/** Thresholds on ln(L(u) / L(u_0)) whose crossings feed the calibration. */
export const SUGGEST_THRESHOLDS = [0.5, 1, 2] as const;
const COARSE = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75, 3];

/**
 * The calibration per scale: u = a + b·c(0.5) + c·c(1) + d·c(2) from the crossings c(τ); and the band
 * [lo, hi] of the Gaussian knee (crossing of τ = 1) where bicubic downscaling puts it, with the largest
 * ln(L_bicubic / L(u_0)) still taken as bicubic. Fitted by
 * training/reports/calibrate_suggest_blur.mts (its output: training/reports/suggest_blur_calibration.json).
 */
export const SUGGEST_CALIBRATION: Readonly<
  Record<2 | 3 | 4, { coef: readonly number[]; bicubic: readonly [number, number, number] }>
> = {
  // training/reports/suggest_blur_calibration.json: 6 BSD400 photos × 8 degradations per scale; in-sample mean
  // |error| of the Gaussian cases ×2 0.144, ×3 0.148, ×4 0.173; bicubic told apart in 46/48, 46/48, 45/48.
  // Fitted for the 16 × 64 models shipped on 2026-12-04 (GPU run 3).
  2: { coef: [-1.0922, 0.1666, -1.1303, 2.1332], bicubic: [0.9414, 1.1888, -1] },
  3: { coef: [-3.1963, -0.6683, 1.89, 0.6782], bicubic: [1.9647, 2.0766, -1.3781] },
  4: { coef: [-3.1366, 1.4945, 0.713, -0.2875], bicubic: [1.9434, 2.5825, -1.3002] },
};

/** The luma plane of an image as a 1-channel Image (the SR networks see only luma). */
function lumaImage(image: Image): Image {
  const { y } = splitLuma(image);
  return { width: image.width, height: image.height, channels: 1, data: y };
}

/** The `count` most textured non-overlapping size × size crops (Laplacian energy), or the whole photo if smaller. */
export function texturedCrops(
  luma: Image,
  count: number,
  size: number,
): { x: number; y: number; width: number; height: number }[] {
  const { width: w, height: h, data } = luma;
  if (w <= size || h <= size) return [{ x: 0, y: 0, width: Math.min(w, size), height: Math.min(h, size) }];
  const step = Math.max(1, Math.floor(size / 2));
  const scored: { x: number; y: number; e: number }[] = [];
  for (let y0 = 0; y0 + size <= h; y0 += step) {
    for (let x0 = 0; x0 + size <= w; x0 += step) {
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
  scored.sort((a, b) => b.e - a.e);
  const picked: { x: number; y: number; width: number; height: number }[] = [];
  for (const c of scored) {
    if (picked.every((p) => Math.abs(p.x - c.x) >= size || Math.abs(p.y - c.y) >= size)) {
      picked.push({ x: c.x, y: c.y, width: size, height: size });
      if (picked.length === count) break;
    }
  }
  return picked;
}

function crop(image: Image, r: { x: number; y: number; width: number; height: number }): Image {
  const out = createImage(r.width, r.height, 1);
  for (let y = 0; y < r.height; y++) {
    const from = (r.y + y) * image.width + r.x;
    out.data.set(image.data.subarray(from, from + r.width), y * r.width);
  }
  return out;
}

/** Where ln(L/L0) first rises through `threshold` along the curve (linear between points); the last u if never. */
export function crossing(curve: readonly BlurCurvePoint[], threshold: number): number {
  const l0 = Math.log(curve[0].likelihood);
  for (let i = 1; i < curve.length; i++) {
    const a = Math.log(curve[i - 1].likelihood) - l0;
    const b = Math.log(curve[i].likelihood) - l0;
    if (b >= threshold) {
      if (a >= threshold) return curve[i - 1].u;
      return curve[i - 1].u + ((threshold - a) / (b - a)) * (curve[i].u - curve[i - 1].u);
    }
  }
  return curve[curve.length - 1].u;
}

/** The calibrated u (and whether it is bicubic) from a curve. */
export function calibratedBlur(
  scale: 2 | 3 | 4,
  curve: readonly BlurCurvePoint[],
  bicubicLikelihood: number,
): { blur: number; crossings: { threshold: number; u: number }[] } {
  const crossings = SUGGEST_THRESHOLDS.map((threshold) => ({ threshold, u: crossing(curve, threshold) }));
  const { coef, bicubic } = SUGGEST_CALIBRATION[scale];
  let u = coef[0];
  crossings.forEach((c, i) => (u += coef[i + 1] * c.u));
  const knee = crossings[1].u;
  // ln(L_bicubic / L(u_0)): how well the bicubic model explains the crops, against the first Gaussian.
  const bicubicRatio = Math.log(bicubicLikelihood / curve[0].likelihood);
  if (knee >= bicubic[0] && knee <= bicubic[1] && bicubicRatio <= bicubic[2]) return { blur: 0, crossings };
  const blur = Math.min(BLUR_RANGE.max, Math.max(0.05, Math.round(u * 20) / 20));
  return { blur, crossings };
}

/** Suggests u for super-resolving `image` ×scale (see the module comment). */
export async function suggestBlur(image: Image, options: SuggestBlurOptions): Promise<BlurSuggestion> {
  const size = options.cropSize ?? 48;
  const luma = lumaImage(image);
  if (luma.width < 8 || luma.height < 8)
    throw new UserError('The photo is too small to suggest a blur (at least 8 × 8 pixels).', 'too-small');
  const rects = texturedCrops(luma, options.crops ?? 3, size);
  const crops = rects.map((r) => crop(luma, r));
  const tried = new Map<number, number>();
  const total = COARSE.length + 1 + 6;
  let done = 0;
  /** L(z_1) of the model at u (u = 0: bicubic), geometric mean over the crops. */
  const likelihood = async (u: number): Promise<number> => {
    const key = Math.round(u * 1000) / 1000;
    const known = tried.get(key);
    if (known !== undefined) return known;
    let logSum = 0;
    for (const c of crops) {
      options.signal?.throwIfAborted();
      let l = NaN;
      await restore(
        c,
        { task: 'sr', scale: options.scale, blur: key, iterations: 1, ...(options.modelId ? { modelId: options.modelId } : {}) },
        {
          ...(options.signal ? { signal: options.signal } : {}),
          onEvent: (e) => {
            if ((e.type === 'band' || e.type === 'iteration') && e.k === 1 && (e.type === 'iteration' || e.coverage >= 1))
              l = e.likelihood;
          },
        },
      );
      logSum += Math.log(Math.max(l, 1e-12));
    }
    const value = Math.exp(logSum / crops.length);
    tried.set(key, value);
    options.onProgress?.(Math.min(1, ++done / total));
    return value;
  };
  const curveOf = (): BlurCurvePoint[] =>
    [...tried.entries()]
      .filter(([u]) => u > 0)
      .sort((a, b) => a[0] - b[0])
      .map(([u, l]) => ({ u, likelihood: l }));

  for (const u of COARSE) await likelihood(u);
  const bicubicLikelihood = await likelihood(0);
  // Refine: 0.05 steps on each side of every crossing of the coarse curve.
  for (const threshold of SUGGEST_THRESHOLDS) {
    const c = crossing(curveOf(), threshold);
    for (const u of [c - 0.1, c + 0.1]) {
      const r = Math.round(u * 20) / 20;
      if (r > COARSE[0] && r < BLUR_RANGE.max) await likelihood(r);
    }
  }
  const curve = curveOf();
  const { blur, crossings } = calibratedBlur(options.scale, curve, bicubicLikelihood);
  options.onProgress?.(1);
  return { blur, curve, bicubicLikelihood, crossings, crops: rects };
}
