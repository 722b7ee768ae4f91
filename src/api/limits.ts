/**
 * What may cross the wire at all (the backend also enforces its own limits), and the defaults of
 * the UI's forms. The limits every layer shares are declared once in src/base and re-exported here.
 */
import type { Task } from './validate.js';

export { MAX_BATCH_JOBS, MAX_PIXELS, MAX_SUFFIX_LENGTH } from '../base/limits.js';
export { BATCH_FORMATS, FORMAT_EXTENSIONS, OUTPUT_FORMATS, type BatchFormat, type OutputFormat } from '../base/formats.js';

/** Largest uploaded file (image or mask bytes). */
export const MAX_UPLOAD_BYTES = 256 * 1024 * 1024;
/** Longest side of the previews sent to the UI (frames, input, residuals). */
export const PREVIEW_MAX_SIDE = 2048;
export const MAX_PATH_LENGTH = 4096;
export const MAX_NAME_LENGTH = 255;
/** Most planned files a batch.plan result lists (the counts always cover every file). */
export const MAX_PLAN_FILES = 20_000;

/** The DL-Net defaults (docs/protocols.md §2), for the UI's form. */
export const DEFAULT_ITERATIONS = 5;
export const DEFAULT_GAMMA: Readonly<Record<Task, number>> = { sr: 1e-3, inpaint: 1e-3, interpolate: 1e-2 };
