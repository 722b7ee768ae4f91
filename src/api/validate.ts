/**
 * Validators for user-supplied settings, shared by the CLI, the main process (IPC arguments) and
 * the renderer's forms. Pure functions; this file imports only the limits of src/base. Each parser accepts the raw value (a command-line string or a number from a form)
 * and returns the typed value, or throws a ValidationError whose message is one sentence that
 * starts with `label` (the flag or field name the user sees, e.g. "--scale" or "Scale").
 */
import { BACKENDS, type BackendChoice } from '../base/backend.js';
import { BLUR_RANGE, MAX_ITERATIONS, MISSING_RATE_RANGE, SR_SCALES, type SrScale } from '../base/limits.js';
import type { OutputSizeRequest } from '../base/output-size.js';

export class ValidationError extends Error {
  constructor(
    message: string,
    /** The label of the offending setting, as given to the parser. */
    readonly field: string,
  ) {
    super(message);
    this.name = 'ValidationError';
  }
}

export { BACKENDS, BLUR_RANGE, MAX_ITERATIONS, MISSING_RATE_RANGE, SR_SCALES, type BackendChoice, type SrScale };
export type Task = 'sr' | 'inpaint' | 'interpolate';

export const TASKS: readonly Task[] = ['sr', 'inpaint', 'interpolate'];

/** How a rejected value is quoted back: numbers as typed, other text in quotes; at most 60 characters. */
function shown(value: unknown): string {
  const cut = (text: string) => (text.length > 60 ? `${text.slice(0, 60)}…` : text);
  if (typeof value === 'string') {
    if (value.trim() === '') return 'empty';
    return toNumber(value) !== undefined ? cut(value.trim()) : `"${cut(value)}"`;
  }
  return cut(String(value));
}

/** A finite number from a number or a numeric string ("1.3", " 2 "), else undefined. */
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

function integerIn(value: unknown, label: string, min: number, max: number, what: string): number {
  const n = toNumber(value);
  if (n === undefined || !Number.isInteger(n) || n < min || n > max) {
    throw new ValidationError(`${label} must be ${what}, not ${shown(value)}.`, label);
  }
  return n;
}

/** Super-resolution scale: 2, 3 or 4. */
export function parseScale(value: unknown, label = 'scale'): SrScale {
  const n = toNumber(value);
  if (n !== 2 && n !== 3 && n !== 4) throw new ValidationError(`${label} must be 2, 3 or 4, not ${shown(value)}.`, label);
  return n;
}

/**
 * An output factor: above 1 and at most 4 (src/base/output-size.ts: 2, 3 and 4 run their model as is,
 * any other factor the smallest model that reaches it, then Lanczos-3 down).
 */
export function parseOutputScale(value: unknown, label = 'scale'): number {
  const n = toNumber(value);
  if (n === undefined || !(n > 1 && n <= 4))
    throw new ValidationError(`${label} must be a number above 1 and at most 4, not ${shown(value)}.`, label);
  return n;
}

/** An output width or height in pixels: a whole number from 1 to 1000000. */
export function parsePixels(value: unknown, label = 'width'): number {
  return integerIn(value, label, 1, 1_000_000, 'a whole number of pixels from 1 to 1000000');
}

/**
 * An output size (src/base/output-size.ts): an object with exactly one of `scale` (above 1, at most 4),
 * `width` or `height` (whole pixels).
 */
export function parseOutputSize(value: unknown, label = 'Output size'): OutputSizeRequest {
  const keys = typeof value === 'object' && value !== null ? Object.keys(value) : [];
  if (keys.length !== 1 || !['scale', 'width', 'height'].includes(keys[0])) {
    throw new ValidationError(`${label} must have exactly one of scale, width or height.`, label);
  }
  const n = (value as Record<string, unknown>)[keys[0]];
  if (typeof n !== 'number') throw new ValidationError(`${label}: ${keys[0]} must be a number, not ${shown(n)}.`, label);
  if (keys[0] === 'scale') return { scale: parseOutputScale(n, `${label}: scale`) };
  const px = parsePixels(n, `${label}: ${keys[0]}`);
  return keys[0] === 'width' ? { width: px } : { height: px };
}

/** Blur width u of the Gaussian kernel, 0 (bicubic) to 3. */
export function parseBlur(value: unknown, label = 'blur'): number {
  const n = toNumber(value);
  if (n === undefined || n < BLUR_RANGE.min || n > BLUR_RANGE.max) {
    throw new ValidationError(`${label} must be a number from 0 to 3, not ${shown(value)}.`, label);
  }
  return n;
}

/**
 * Blur u, or 'auto': suggested from each photo by the blur estimator (engine/suggest-blur.ts) before it is
 * upscaled — `dlnet upscale/batch --blur auto` and the batch panel's "Suggest per photo".
 */
export function parseBlurOrAuto(value: unknown, label = 'blur'): number | 'auto' {
  if (typeof value === 'string' && value.trim().toLowerCase() === 'auto') return 'auto';
  const n = toNumber(value);
  if (n === undefined || n < BLUR_RANGE.min || n > BLUR_RANGE.max) {
    throw new ValidationError(`${label} must be a number from 0 to 3 or auto, not ${shown(value)}.`, label);
  }
  return n;
}

/** DL-Net iterations K: an integer ≥ 1 (K = 1 is the plain network). */
export function parseIterations(value: unknown, label = 'iterations'): number {
  return integerIn(value, label, 1, MAX_ITERATIONS, `a whole number from 1 to ${MAX_ITERATIONS}`);
}

/**
 * Fraction of missing pixels r for interpolation, 0 to 0.75. Accepts a fraction (0.45) or a
 * percentage with its sign ("45%"); a bare number above 1 is refused as ambiguous.
 */
export function parseMissingRate(value: unknown, label = 'missing'): number {
  let rate: number | undefined;
  if (typeof value === 'string' && value.trim().endsWith('%')) {
    const percent = toNumber(value.trim().slice(0, -1));
    rate = percent === undefined ? undefined : percent / 100;
  } else {
    rate = toNumber(value);
  }
  if (rate === undefined || rate < MISSING_RATE_RANGE.min || rate > MISSING_RATE_RANGE.max) {
    throw new ValidationError(
      `${label} must be a fraction from 0 to 0.75 or a percentage from 0% to 75%, not ${shown(value)}.`,
      label,
    );
  }
  return rate;
}

/** Side s of the square inpainting hole, in pixels: an integer ≥ 1. */
export function parseHoleSide(value: unknown, label = 'hole'): number {
  return integerIn(value, label, 1, 1_000_000, 'a whole number of pixels, at least 1');
}

/** Largest random shift of the hole centre, in pixels: an integer ≥ 0. */
export function parseShift(value: unknown, label = 'shift'): number {
  return integerIn(value, label, 0, 1_000_000, 'a whole number of pixels, at least 0');
}

/** Random seed: an integer from 0 to 2³² − 1. */
export function parseSeed(value: unknown, label = 'seed'): number {
  return integerIn(value, label, 0, 2 ** 32 - 1, 'a whole number from 0 to 4294967295');
}

/** JPEG / WebP quality: an integer from 1 to 100. */
export function parseQuality(value: unknown, label = 'quality'): number {
  return integerIn(value, label, 1, 100, 'a whole number from 1 to 100');
}

/** Compute backend: auto, tensorflow, onnxruntime or wasm. */
export function parseBackend(value: unknown, label = 'backend'): BackendChoice {
  if (typeof value === 'string' && (BACKENDS as readonly string[]).includes(value)) return value as BackendChoice;
  throw new ValidationError(`${label} must be auto, tensorflow, onnxruntime or wasm, not ${shown(value)}.`, label);
}

/** Restoration task: sr, inpaint or interpolate. */
export function parseTask(value: unknown, label = 'task'): Task {
  if (typeof value === 'string' && (TASKS as readonly string[]).includes(value)) return value as Task;
  throw new ValidationError(`${label} must be sr, inpaint or interpolate, not ${shown(value)}.`, label);
}

/** A model id: letters, digits, '.', '_' and '-' (it names a folder under resources/models). */
export function parseModelId(value: unknown, label = 'model'): string {
  if (typeof value === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(value)) return value;
  throw new ValidationError(`${label} must be a model id made of letters, digits, '.', '_' and '-', not ${shown(value)}.`, label);
}

/**
 * A comma-separated list ("2,3,4"), each item checked by `parse`; duplicates removed, order kept.
 * The error names the offending item.
 */
export function parseList<T>(value: unknown, parse: (item: string, label: string) => T, label: string): T[] {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ValidationError(`${label} must be a comma-separated list, not ${shown(value)}.`, label);
  }
  const items = value.split(',').map((item) => item.trim());
  const out: T[] = [];
  for (const item of items) {
    const parsed = parse(item, label);
    if (!out.includes(parsed)) out.push(parsed);
  }
  return out;
}

/** "2,3,4" → [2, 3, 4]. */
export function parseScales(value: unknown, label = 'scales'): SrScale[] {
  return parseList(value, parseScale, label);
}

/** "0,1.3,2.6" → [0, 1.3, 2.6]. */
export function parseBlurs(value: unknown, label = 'blurs'): number[] {
  return parseList(value, parseBlur, label);
}
