/**
 * Any output size for super-resolution: the user names a factor (`--scale 1.5`), a width or a height
 * (the aspect is kept); the smallest model scale t ∈ {2, 3, 4} that reaches that size runs, and its
 * result is resampled down to it with Lanczos-3 (engine/resample.ts, sharp's lanczos3). Factors 2, 3
 * and 4 run their model as is, with no resampling. Pure: the CLI, the batch engine, the server and the
 * app's forms plan with this one function.
 */
import { UserError } from './errors.js';
import { SR_SCALES, type SrScale } from './limits.js';

/** What the user asks for: one of a factor, a width or a height. */
export type OutputSizeRequest = { readonly scale: number } | { readonly width: number } | { readonly height: number };

export interface OutputSizePlan {
  /** The model scale that runs (the smallest of 2, 3, 4 whose output covers the size). */
  readonly modelScale: SrScale;
  /** The final size. */
  readonly width: number;
  readonly height: number;
  /** True when the model's output (input × modelScale) is resampled down to width × height. */
  readonly resampled: boolean;
}

/** Largest factor a model reaches. */
export const MAX_OUTPUT_FACTOR = 4;

/** Every way of asking, as the CLI's flags name it. */
export function describeOutputSize(request: OutputSizeRequest): string {
  if ('scale' in request) return `×${+request.scale.toFixed(4)}`;
  if ('width' in request) return `${request.width} px wide`;
  return `${request.height} px high`;
}

/** The suffix an output name gets by default: `.x2`, `.x1.5`, `.w3840`, `.h2160`. */
export function outputSizeSuffix(request: OutputSizeRequest): string {
  if ('scale' in request) return `.x${+request.scale.toFixed(4)}`;
  if ('width' in request) return `.w${request.width}`;
  return `.h${request.height}`;
}

/** The request is well formed: a factor above 1 and at most 4, or a whole number of pixels ≥ 1. */
export function isOutputSizeRequest(value: unknown): value is OutputSizeRequest {
  if (typeof value !== 'object' || value === null) return false;
  const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined);
  if (keys.length !== 1) return false;
  const n = (value as Record<string, unknown>)[keys[0]];
  if (typeof n !== 'number' || !Number.isFinite(n)) return false;
  if (keys[0] === 'scale') return n > 1 && n <= MAX_OUTPUT_FACTOR;
  return (keys[0] === 'width' || keys[0] === 'height') && Number.isInteger(n) && n >= 1 && n <= 1_000_000;
}

/**
 * The final size and the model scale for an input of `input.width × input.height` (upright). A factor
 * s gives round(W·s) × round(H·s); a width W′ gives W′ × round(H·W′/W), a height likewise. Throws a
 * one-sentence UserError (code 'bad-size') when the named factor, width or height is not larger than the
 * input's, or the size needs more than ×4.
 */
export function planOutputSize(input: { width: number; height: number }, request: OutputSizeRequest): OutputSizePlan {
  const { width: w, height: h } = input;
  let width: number;
  let height: number;
  if ('scale' in request) {
    width = Math.max(1, Math.round(w * request.scale));
    height = Math.max(1, Math.round(h * request.scale));
  } else if ('width' in request) {
    width = request.width;
    height = Math.max(1, Math.round((h * request.width) / w));
  } else {
    height = request.height;
    width = Math.max(1, Math.round((w * request.height) / h));
  }
  const asked = describeOutputSize(request);
  const factor = 'scale' in request ? request.scale : 'width' in request ? width / w : height / h;
  if (!(factor > 1)) {
    throw new UserError(
      `${asked} (${width} × ${height}) is not larger than the ${w} × ${h} photo; upscaling only enlarges.`,
      'bad-size',
    );
  }
  const modelScale = SR_SCALES.find((t) => t * w >= width && t * h >= height);
  if (modelScale === undefined) {
    throw new UserError(
      `${asked} (${width} × ${height}) is more than ×${MAX_OUTPUT_FACTOR} the ${w} × ${h} photo, the most the models reach.`,
      'bad-size',
    );
  }
  return { modelScale, width, height, resampled: width !== w * modelScale || height !== h * modelScale };
}

/** The plan of a plain model scale (no resampling). */
export function modelScalePlan(input: { width: number; height: number }, scale: SrScale): OutputSizePlan {
  return { modelScale: scale, width: input.width * scale, height: input.height * scale, resampled: false };
}
