/**
 * The arguments of every request, as valibot schemas; their types are inferred from the schemas, so a
 * message is declared once. The backend parses every incoming argument with these (./requests.ts).
 * Each refusal is one sentence that names the field as the UI labels it.
 */
import * as v from 'valibot';
import { MAX_BATCH_JOBS, MAX_PIXELS } from '../base/limits.js';
import {
  bytes,
  describe,
  dimension,
  fileName,
  flag,
  fraction,
  gamma,
  id,
  numberParsedBy,
  oneOf,
  parsedBy,
  path,
  record,
  suffix,
  variants,
  wholeNumber,
} from './fields.js';
import { BATCH_FORMATS, OUTPUT_FORMATS } from './limits.js';
import {
  parseBlur,
  parseBlurOrAuto,
  parseIterations,
  parseMissingRate,
  parseModelId,
  parseOutputSize,
  parseQuality,
  parseScale,
  parseTask,
  ValidationError,
} from './validate.js';

const scale = numberParsedBy(parseScale, 'Scale');
/** Any output size (src/base/output-size.ts); absent: the model scale as is. */
const outputSize = v.exactOptional(parsedBy(parseOutputSize, 'Output size'));
const blur = numberParsedBy(parseBlur, 'Blur u');
/**
 * A batch's blur: u, or exactly "auto" — each photo's u suggested from it by the engine before it is
 * upscaled (engine/suggest-blur.ts, as `dlnet batch --blur auto`). Like every number here, a form's "1.3" is refused.
 */
const batchBlur = parsedBy((value, label) => {
  if (typeof value !== 'number' && value !== 'auto') {
    throw new ValidationError(`${label} must be a number from 0 to 3 or auto, not ${describe(value)}.`, label);
  }
  return parseBlurOrAuto(value, label);
}, 'Blur u');
const iterations = numberParsedBy(parseIterations, 'Iterations K');
const quality = numberParsedBy(parseQuality, 'Quality');
const modelId = parsedBy(parseModelId, 'Model');
const imageId = id('Image id');
const jobId = id('Job id');

/** Every byte 0 or 1 (a loop: masks reach 100 million bytes). */
function binary(fill: Uint8Array): boolean {
  for (let i = 0; i < fill.length; i++) if (fill[i] > 1) return false;
  return true;
}

/**
 * A mask at image resolution: 1 = pixel to fill (painted / white in a mask PNG), 0 = keep. Its size
 * is checked before its data, so a huge mask is refused before anything is read of it.
 */
export const FillMaskSchema = v.pipe(
  record('Mask', { width: dimension('Mask width'), height: dimension('Mask height'), fill: v.unknown() }),
  v.check(
    ({ width, height }) => width * height <= MAX_PIXELS,
    ({ input }) => `Mask is too large (${input.width} × ${input.height}; at most ${MAX_PIXELS / 1e6} megapixels).`,
  ),
  v.object({ width: v.number(), height: v.number(), fill: bytes('Mask data', MAX_PIXELS) }),
  v.check(
    ({ width, height, fill }) => fill.length === width * height,
    ({ input: { width, height, fill } }) =>
      `Mask data has ${fill.length} values but ${width} × ${height} needs ${width * height}.`,
  ),
  v.check(({ fill }) => binary(fill), 'Mask data must hold only 0 (keep) and 1 (fill).'),
);
export type FillMask = v.InferOutput<typeof FillMaskSchema>;

const anySetting = v.exactOptional(v.unknown());

const srSettings = record('Settings', {
  task: v.literal('sr'),
  scale,
  /** The final size: the smallest model scale that reaches it runs (`scale` is then that), then Lanczos-3 down. */
  output: outputSize,
  blur,
  /** True when the blur came from the Suggest button (recorded in the output's recipe). */
  blurSuggested: v.exactOptional(flag('Blur suggested')),
  iterations,
  gamma: gamma(),
  modelId: v.exactOptional(modelId),
});
/** Missing fields are reported in the order task, iterations, gamma, mask; the fields checked mask first. */
const maskedSettings = v.pipe(
  record('Settings', {
    task: v.picklist(['inpaint', 'interpolate']),
    iterations: v.unknown(),
    gamma: v.unknown(),
    mask: v.unknown(),
    modelId: anySetting,
  }),
  v.object({
    task: v.picklist(['inpaint', 'interpolate']),
    mask: FillMaskSchema,
    iterations,
    gamma: gamma(),
    modelId: v.exactOptional(modelId),
  }),
);

/** A job's settings: the task first (every field any task has is known), then that task's fields. */
export const JobSettingsSchema = variants(
  record('Settings', {
    task: parsedBy(parseTask, 'Task'),
    scale: anySetting,
    output: anySetting,
    blur: anySetting,
    blurSuggested: anySetting,
    iterations: anySetting,
    gamma: anySetting,
    modelId: anySetting,
    mask: anySetting,
  }),
  (settings) => (settings.task === 'sr' ? srSettings : maskedSettings),
);
export type JobSettings = v.InferOutput<typeof JobSettingsSchema>;

/** app.info takes nothing (an empty object, or no argument at all). */
export const AppInfoArgsSchema = v.pipe(
  v.nullish(record('Arguments', {}), {}),
  v.transform((): Record<string, never> => ({})),
);
export type AppInfoArgs = v.InferOutput<typeof AppInfoArgsSchema>;

export const OpenArgsSchema = record('Arguments', { path: path() });
export type OpenArgs = v.InferOutput<typeof OpenArgsSchema>;

export const UploadArgsSchema = record('Arguments', { name: fileName(), bytes: bytes('The file') });
export type UploadArgs = v.InferOutput<typeof UploadArgsSchema>;

export const ImageRefSchema = record('Arguments', { imageId });
export type ImageRef = v.InferOutput<typeof ImageRefSchema>;

export const PreviewArgsSchema = record('Arguments', { imageId, scale, blur });
export type PreviewArgs = v.InferOutput<typeof PreviewArgsSchema>;

/** Suggest u for upscaling an open image ×scale (the blur estimator on its textured crops). */
export const BlurSuggestArgsSchema = record('Arguments', { imageId, scale });
export type BlurSuggestArgs = v.InferOutput<typeof BlurSuggestArgsSchema>;

const labSr = record('Degradation', { task: v.literal('sr'), scale, blur });
const labInpaint = record('Degradation', { task: v.literal('inpaint'), mask: FillMaskSchema });
const labInterpolate = record('Degradation', {
  task: v.literal('interpolate'),
  missing: numberParsedBy(parseMissingRate, 'Missing share'),
  seed: wholeNumber('Seed must be a whole number from 0 to 4294967295', 0, 2 ** 32 - 1),
});

/**
 * Lab mode: degrade an open (clean) image as the task's W does — ×scale with blur u, a painted mask, or a
 * share of pixels missing at random — into a new open image to restore and measure against the original.
 */
export const LabDegradeArgsSchema = record('Arguments', {
  imageId,
  degradation: variants(
    record('Degradation', {
      task: parsedBy(parseTask, 'Task'),
      scale: anySetting,
      blur: anySetting,
      mask: anySetting,
      missing: anySetting,
      seed: anySetting,
    }),
    (d) => (d.task === 'sr' ? labSr : d.task === 'inpaint' ? labInpaint : labInterpolate),
  ),
});
export type LabDegradeArgs = v.InferOutput<typeof LabDegradeArgsSchema>;

const maskFromPath = record('Arguments', { imageId: v.string(), path: path('Mask path') });
const maskFromBytes = record('Arguments', { imageId: v.string(), name: fileName(), bytes: bytes('The mask file') });

/** A mask file to load for an image: by path, or its bytes (uploads). */
export const MaskLoadArgsSchema = variants(
  record('Arguments', { imageId, path: anySetting, name: anySetting, bytes: anySetting }),
  (args) => (args.path !== undefined ? maskFromPath : maskFromBytes),
);
export type MaskLoadArgs = v.InferOutput<typeof MaskLoadArgsSchema>;

export const MaskSaveArgsSchema = record('Arguments', { path: path('Mask path'), mask: FillMaskSchema });
export type MaskSaveArgs = v.InferOutput<typeof MaskSaveArgsSchema>;

export const JobStartArgsSchema = record('Arguments', {
  imageId,
  settings: JobSettingsSchema,
  /**
   * Super-resolution: the part to restore first, as a fraction of the image's height (the middle of
   * the view); iterates then fill in from there. Default 0 (top).
   */
  focus: v.exactOptional(fraction('Focus')),
  /**
   * Lab mode: the clean image this one was degraded from (lab.degrade); the job then reports PSNR and SSIM
   * of every x̂_k against it in job.done.
   */
  reference: v.exactOptional(id('Reference image id')),
});
export type JobStartArgs = v.InferOutput<typeof JobStartArgsSchema>;

export const JobRefSchema = record('Arguments', { jobId });
export type JobRef = v.InferOutput<typeof JobRefSchema>;

export const JobFrameRefSchema = record('Arguments', { jobId, k: numberParsedBy(parseIterations, 'Iteration k') });
export type JobFrameRef = v.InferOutput<typeof JobFrameRefSchema>;

export const JobSaveArgsSchema = record('Arguments', {
  jobId,
  path: path('Output path'),
  format: oneOf(OUTPUT_FORMATS, 'Format must be png, jpeg, webp or tiff'),
  /** Which x̂_k to save (default: the last). */
  k: v.exactOptional(numberParsedBy(parseIterations, 'Iteration k')),
  quality: v.exactOptional(quality),
});
export type JobSaveArgs = v.InferOutput<typeof JobSaveArgsSchema>;

const filePurpose = oneOf(['image', 'mask'], 'Purpose must be "image" or "mask"');

export const DialogOpenArgsSchema = record('Arguments', { purpose: filePurpose });
export type DialogOpenArgs = v.InferOutput<typeof DialogOpenArgsSchema>;

export const DialogSaveArgsSchema = record('Arguments', { purpose: filePurpose, defaultPath: path('Default path') });
export type DialogSaveArgs = v.InferOutput<typeof DialogSaveArgsSchema>;

export const DialogFolderArgsSchema = record('Arguments', {
  purpose: oneOf(['batch-input', 'batch-output'], 'Purpose must be "batch-input" or "batch-output"'),
  defaultPath: v.exactOptional(path('Default path')),
});
export type DialogFolderArgs = v.InferOutput<typeof DialogFolderArgsSchema>;

/** Fields of a batch's settings shared with the batch panel's remembered options (below). */
const outputDir = path('Output folder');
const recursive = flag('Recursive');
/** 'keep': the input's own format (PNG for BMP, GIF and AVIF inputs). */
const batchFormat = oneOf(BATCH_FORMATS, 'Format must be keep, png, jpeg, webp or tiff');
/** Appended to each output's base name ('' for none; required when the output is inside the input). */
const batchSuffix = suffix();
const skipExisting = flag('Skip existing');
/** Worker threads (default: one per core, bounded by memory). */
const batchJobs = wholeNumber(`Jobs must be a whole number from 1 to ${MAX_BATCH_JOBS}`, 1, MAX_BATCH_JOBS);

/** A folder of images through src/engine/batch, the engine behind `dlnet batch` (super-resolution). */
export const BatchSettingsSchema = record('Batch settings', {
  inputDir: path('Input folder'),
  outputDir,
  scale,
  /** Any output size; with a width or height each file gets the model scale its size needs. */
  output: outputSize,
  /** u for every photo, or 'auto': suggested per photo (each file's recipe, in its output and the report, has the u used). */
  blur: batchBlur,
  recursive,
  format: batchFormat,
  suffix: batchSuffix,
  skipExisting,
  quality: v.exactOptional(quality),
  modelId: v.exactOptional(modelId),
  iterations: v.exactOptional(iterations),
});
export type BatchSettings = v.InferOutput<typeof BatchSettingsSchema>;

/** A JSON report to write at the end (checked now, so a dry run shows problems with it). */
const report = v.exactOptional(path('Report file'));

export const BatchPlanArgsSchema = record('Arguments', { settings: BatchSettingsSchema, report });
export type BatchPlanArgs = v.InferOutput<typeof BatchPlanArgsSchema>;

export const BatchStartArgsSchema = record('Arguments', {
  settings: BatchSettingsSchema,
  report,
  jobs: v.exactOptional(batchJobs),
});
export type BatchStartArgs = v.InferOutput<typeof BatchStartArgsSchema>;

/**
 * The batch panel's last-used options, kept between sessions (settings.get / settings.set): every field
 * of a batch's settings and its jobs but the input folder (which photos), the model and the report (one
 * run's file). Each field is checked by the same schema as in a batch request; any may be absent (the
 * panel's default). `fixedBlur`: the slider's u while the blur is suggested per photo ('auto'), so that
 * switching back to Fixed finds it.
 */
const outputSizeField = parsedBy(parseOutputSize, 'Output size');

export const BatchOptionsSchema = record('Batch options', {
  outputDir: v.exactOptional(outputDir),
  scale: v.exactOptional(scale),
  output: v.exactOptional(outputSizeField),
  blur: v.exactOptional(batchBlur),
  fixedBlur: v.exactOptional(blur),
  recursive: v.exactOptional(recursive),
  format: v.exactOptional(batchFormat),
  suffix: v.exactOptional(batchSuffix),
  skipExisting: v.exactOptional(skipExisting),
  quality: v.exactOptional(quality),
  iterations: v.exactOptional(iterations),
  jobs: v.exactOptional(batchJobs),
});
export type BatchOptions = v.InferOutput<typeof BatchOptionsSchema>;

/**
 * Batch options as read back from a settings file: each field its schema accepts is kept, any other
 * (stale after an update, edited by hand, unknown) is left out, so the panel shows its default for
 * that field and keeps the rest. Anything but a plain object reads as no options. Never throws.
 */
export function readBatchOptions(stored: unknown): BatchOptions {
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return {};
  // The same schema as each field of BatchOptionsSchema (kept here, inside the function, so that bundles
  // which use only the types leave valibot out).
  const fields: Record<keyof BatchOptions, v.GenericSchema> = {
    outputDir,
    scale,
    output: outputSizeField,
    blur: batchBlur,
    fixedBlur: blur,
    recursive,
    format: batchFormat,
    suffix: batchSuffix,
    skipExisting,
    quality,
    iterations,
    jobs: batchJobs,
  };
  const out: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(fields)) {
    if (!Object.prototype.hasOwnProperty.call(stored, key)) continue;
    const parsed = v.safeParse(schema, (stored as Record<string, unknown>)[key], { abortEarly: true });
    if (parsed.success) out[key] = parsed.output;
  }
  return out as BatchOptions;
}

/** settings.get takes nothing, as app.info. */
export const SettingsGetArgsSchema = AppInfoArgsSchema;
export type SettingsGetArgs = AppInfoArgs;

/** settings.set: the options to remember (they replace those remembered before). */
export const SettingsSetArgsSchema = record('Arguments', { batch: BatchOptionsSchema });
export type SettingsSetArgs = v.InferOutput<typeof SettingsSetArgsSchema>;

export const BatchRefSchema = record('Arguments', { batchId: id('Batch id') });
export type BatchRef = v.InferOutput<typeof BatchRefSchema>;
