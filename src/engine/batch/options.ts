/** Defaults and validation of BatchOptions in one place; the caller's object is never changed. */
import path from 'node:path';
import { BLUR_RANGE, isBlurWidth, MAX_SUFFIX_LENGTH, SR_SCALES } from '../../base/limits.js';
import { isOutputSizeRequest } from '../../base/output-size.js';
import { UserError } from '../image.js';
import { BATCH_FORMATS, type BatchOptions, type BatchRequest, type ResolvedBatchOptions } from './types.js';

export const BATCH_DEFAULTS = { recursive: false, format: 'keep', suffix: '', skipExisting: false } as const;

export { MAX_SUFFIX_LENGTH };

function bad(message: string): UserError {
  return new UserError(message, 'bad-option');
}

/** Throws a one-sentence UserError when `suffix` could not be part of a file name in any folder. */
export function checkSuffix(suffix: string): void {
  if (suffix.length > MAX_SUFFIX_LENGTH) throw bad(`The suffix must be at most ${MAX_SUFFIX_LENGTH} characters long.`);
  // eslint-disable-next-line no-control-regex
  if (/[/\\:*?"<>|\u0000-\u001f\u007f]/.test(suffix)) {
    throw bad(
      `The suffix "${suffix}" contains a character that is not allowed in file names (/ \\ : * ? " < > | or a control character).`,
    );
  }
  if (suffix.trim() !== suffix) throw bad('The suffix must not start or end with a space.');
}

function checkRequest(request: BatchRequest): BatchRequest {
  if (request.task !== 'sr') throw bad(`Batch processing supports super-resolution only, not ${String(request.task)}.`);
  if (!(SR_SCALES as readonly number[]).includes(request.scale)) {
    throw bad(`The scale must be 2, 3 or 4, not ${String(request.scale)}.`);
  }
  if (request.blur !== 'auto' && !isBlurWidth(request.blur)) {
    throw bad(`The blur width must be a number from ${BLUR_RANGE.min} to ${BLUR_RANGE.max}, not ${String(request.blur)}.`);
  }
  if (request.output !== undefined && !isOutputSizeRequest(request.output)) {
    throw bad('The output size must be one of a factor above 1 and at most 4, a width or a height in whole pixels.');
  }
  if (request.output !== undefined && 'scale' in request.output && request.scale < request.output.scale) {
    throw bad(`The ×${request.scale} model cannot reach ×${request.output.scale}.`);
  }
  if (request.iterations !== undefined && !(Number.isInteger(request.iterations) && request.iterations >= 1)) {
    throw bad(`The number of iterations must be a whole number of at least 1, not ${String(request.iterations)}.`);
  }
  return { ...request };
}

/** True when every file runs the request's model scale (no output size, or a factor); false for a width or height. */
export function modelScaleFixed(request: BatchRequest): boolean {
  return request.output === undefined || 'scale' in request.output;
}

/** Fills in defaults, checks every value, and makes both folders absolute. */
export function resolveBatchOptions(options: BatchOptions): ResolvedBatchOptions {
  if (typeof options.inputDir !== 'string' || options.inputDir === '') throw bad('An input folder is required.');
  if (typeof options.outputDir !== 'string' || options.outputDir === '') throw bad('An output folder is required.');
  const format = options.format ?? BATCH_DEFAULTS.format;
  if (!BATCH_FORMATS.includes(format))
    throw bad(`The output format must be one of ${BATCH_FORMATS.join(', ')}, not ${String(format)}.`);
  const quality = options.quality;
  if (quality !== undefined && !(Number.isInteger(quality) && quality >= 1 && quality <= 100)) {
    throw bad(`The quality must be a whole number from 1 to 100, not ${String(quality)}.`);
  }
  const suffix = options.suffix ?? BATCH_DEFAULTS.suffix;
  checkSuffix(suffix);
  return {
    inputDir: path.resolve(options.inputDir),
    outputDir: path.resolve(options.outputDir),
    request: checkRequest(options.request),
    recursive: options.recursive ?? BATCH_DEFAULTS.recursive,
    format,
    ...(quality !== undefined ? { quality } : {}),
    suffix,
    skipExisting: options.skipExisting ?? BATCH_DEFAULTS.skipExisting,
  };
}
