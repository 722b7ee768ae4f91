/** The limits every layer checks against, declared once. */

/** Largest image (input or result) the app and the CLI accept, in pixels. */
export const MAX_PIXELS = 100_000_000;
/** Blur width u of super-resolution: 0 = bicubic downscaling, up to 3 = Gaussian of that width. */
export const BLUR_RANGE = { min: 0, max: 3 } as const;
/** Share of missing pixels interpolation is trained for. */
export const MISSING_RATE_RANGE = { min: 0, max: 0.75 } as const;
/** Most DL-Net iterations K a user may ask for. */
export const MAX_ITERATIONS = 50;
/** Super-resolution scales with a model. */
export const SR_SCALES = [2, 3, 4] as const;
export type SrScale = (typeof SR_SCALES)[number];
/** Most files one batch request may name. */
export const MAX_BATCH_JOBS = 256;
/** Longest output-name suffix a batch accepts. */
export const MAX_SUFFIX_LENGTH = 64;
/** JPEG / WebP quality used when the user names none. */
export const DEFAULT_QUALITY = 92;

export function isBlurWidth(value: number): boolean {
  return Number.isFinite(value) && value >= BLUR_RANGE.min && value <= BLUR_RANGE.max;
}
