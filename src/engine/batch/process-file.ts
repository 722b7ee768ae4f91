/**
 * One file of a batch, as a worker thread runs it: read (EXIF orientation applied, depth and
 * metadata kept), restore (tiled by the engine, so memory per tile is bounded), write to a hidden
 * temporary in the output folder and link it to its final name (never replacing a file). Every
 * failure becomes one sentence naming the file; cancellation leaves no file behind. This module
 * loads TensorFlow.js (through restore.js): import it only where inference runs.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { UserError, type Image } from '../image.js';
import { readImage, writeImage, type OutputFormat } from '../image-io.js';
import { restore } from '../restore.js';
import { findModel } from '../models.js';
import { resampleImage } from '../resample.js';
import { planOutputSize, type OutputSizePlan } from '../../base/output-size.js';
import type { SrScale } from '../../base/limits.js';
import { modelScaleFixed } from './options.js';
import { buildRecipe, recipeXmp, type Recipe } from '../recipe.js';
import { suggestBlur } from '../suggest-blur.js';
import { DEFAULT_SR_TILE } from '../restore-sr.js';
import type { RestoreEvent } from '../restore-types.js';
import { commitTemp, removeTempsFor, tempPathFor } from './temp.js';
import type { BatchRequest, FileTimings } from './types.js';

/** What a worker needs to process one file. */
export interface FileJob {
  readonly index: number;
  readonly input: string;
  readonly rel: string;
  readonly output: string;
  readonly outputRel: string;
  readonly format: OutputFormat;
  readonly quality?: number;
  readonly request: BatchRequest;
  readonly skipExisting: boolean;
  /** Largest tile side in input pixels (default: the engine's). */
  readonly tileSize?: number;
}

export type FileOutcome =
  | {
      readonly status: 'done';
      readonly timings: FileTimings;
      readonly size: { width: number; height: number };
      readonly outputSize: { width: number; height: number };
      readonly warnings: string[];
      /** L(z_k) of the whole image for k = 1..K (DL-Net models; the report lists them). */
      readonly likelihoods?: number[];
      /** What made the output (written into it as XMP too). */
      readonly recipe?: Recipe;
    }
  | { readonly status: 'skipped'; readonly reason: string; readonly code: string }
  | { readonly status: 'failed'; readonly reason: string; readonly code: string; readonly timings?: FileTimings }
  | { readonly status: 'cancelled' };

export interface ProcessFileOptions {
  readonly signal?: AbortSignal;
  /** Progress of this file, 0..1 (monotonic). */
  readonly onProgress?: (fraction: number) => void;
}

const READ_SHARE = 0.05;
const WRITE_SHARE = 0.1;

function isCancel(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted === true) return true;
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'CancelledError');
}

/** A message as one sentence ending in a full stop. */
function sentence(text: string): string {
  const line = text.split('\n')[0].trim();
  return /[.!?)]$/.test(line) ? line : `${line}.`;
}

/** The engine names files by base name; in a batch the path relative to the input folder is clearer. */
function withRel(message: string, name: string, rel: string): string {
  return name !== rel && message.startsWith(`${name} `) ? `${rel}${message.slice(name.length)}` : message;
}

export function failureReason(
  error: unknown,
  job: Pick<FileJob, 'input' | 'rel'>,
  stage: 'read' | 'restore' | 'write',
): { reason: string; code: string } {
  const name = path.basename(job.input);
  if (error instanceof UserError) {
    if (stage === 'read' && error.code === 'not-found') {
      return { reason: `${job.rel} disappeared before it could be read (moved or deleted during the batch).`, code: 'vanished' };
    }
    const reason = withRel(sentence(error.message), name, job.rel);
    return { reason: reason.includes(job.rel) || reason.includes(name) ? reason : `${job.rel}: ${reason}`, code: error.code };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    reason: `${job.rel} could not be processed (internal error: ${sentence(message).replace(/\.$/, '')}).`,
    code: 'internal',
  };
}

/**
 * The model scale and final size of one file: the request's scale as is, or (`output`) the smallest model
 * scale that reaches the size asked; a model named with a width or height runs at its own scale when that
 * reaches the size.
 */
async function sizePlan(request: BatchRequest, size: { width: number; height: number }): Promise<OutputSizePlan> {
  if (request.output === undefined) return { modelScale: request.scale, ...scaled(size, request.scale), resampled: false };
  const plan = planOutputSize(size, request.output);
  if (modelScaleFixed(request) || request.modelId === undefined) return plan;
  const model = await findModel('sr', undefined, request.modelId);
  const t = (model.scale ?? 0) as SrScale;
  if (t < plan.modelScale) {
    throw new UserError(
      `Model "${model.id}" (×${t}) cannot reach ${plan.width} × ${plan.height}; it needs ×${plan.modelScale}.`,
      'bad-size',
    );
  }
  const full = scaled(size, t);
  return { ...plan, modelScale: t, resampled: full.width !== plan.width || full.height !== plan.height };
}

function scaled(size: { width: number; height: number }, t: number): { width: number; height: number } {
  return { width: size.width * t, height: size.height * t };
}

/** Processes one file; never throws (failures and cancellation are outcomes). */
export async function processFile(job: FileJob, options: ProcessFileOptions = {}): Promise<FileOutcome> {
  const { signal } = options;
  const t0 = performance.now();
  let reported = 0;
  const progress = (fraction: number): void => {
    const f = Math.min(1, Math.max(reported, fraction));
    if (f > reported) {
      reported = f;
      options.onProgress?.(f);
    }
  };
  const timings = (t1: number, t2: number, t3: number): FileTimings => ({
    readMs: t1 - t0,
    restoreMs: t2 - t1,
    writeMs: t3 - t2,
    totalMs: t3 - t0,
  });

  let stage: 'read' | 'restore' | 'write' = 'read';
  let t1 = t0;
  let t2 = t0;
  const temp = tempPathFor(job.output);
  try {
    const input = await readImage(job.input);
    t1 = performance.now();
    signal?.throwIfAborted();
    progress(READ_SHARE);
    const { width, height } = input.image;

    // The model scale and the final size: the request's scale, or the smallest that reaches the size asked.
    const plan = await sizePlan(job.request, { width, height });

    stage = 'restore';
    const single = Math.max(width, height) <= (job.tileSize ?? DEFAULT_SR_TILE);
    let tiles = single
      ? 1
      : Math.ceil(width / ((job.tileSize ?? DEFAULT_SR_TILE) * 0.75)) *
        Math.ceil(height / ((job.tileSize ?? DEFAULT_SR_TILE) * 0.75));
    let tilesDone = 0;
    const restoreShare = 1 - READ_SHARE - WRITE_SHARE;
    const likelihoods: number[] = [];
    const onEvent = (event: RestoreEvent): void => {
      if (signal?.aborted) return;
      let f: number | undefined;
      if (event.type === 'tile') {
        tiles = event.tiles;
        tilesDone = event.tile;
        f = event.tile / event.tiles;
      } else if (event.type === 'progress') {
        f = event.fraction;
      } else if (event.type === 'iteration') {
        f = (tilesDone + event.k / event.K) / Math.max(tiles, tilesDone + 1);
      } else if (event.type === 'band') {
        likelihoods[event.k - 1] = event.likelihood; // whole once the last band of x̂_k is in
      }
      if (f !== undefined) progress(READ_SHARE + restoreShare * Math.min(1, f));
    };
    const { output: _size, ...asked } = job.request;
    // --blur auto: u suggested from this photo by the blur estimator (its textured crops), then restored with it.
    const request = {
      ...asked,
      blur:
        asked.blur === 'auto'
          ? (await suggestBlur(input.image, { scale: plan.modelScale, ...(signal ? { signal } : {}) })).blur
          : asked.blur,
    };
    let result: Image | null = await restore(
      input.image,
      { ...request, scale: plan.modelScale },
      {
        ...(signal ? { signal } : {}),
        onEvent,
        transientBands: true, // only each band's likelihood is read
        ...(job.tileSize !== undefined ? { tileSize: job.tileSize } : {}),
      },
    );
    signal?.throwIfAborted();
    if (plan.resampled) result = await resampleImage(result, plan.width, plan.height);
    t2 = performance.now();
    signal?.throwIfAborted();
    progress(READ_SHARE + restoreShare);

    stage = 'write';
    const outputSize = { width: result.width, height: result.height };
    const model = await findModel('sr', plan.modelScale, request.modelId);
    const recipe = await buildRecipe({
      task: 'sr',
      model,
      ...outputSize,
      modelScale: plan.modelScale,
      ...(plan.resampled && job.request.output !== undefined ? { requestedSize: job.request.output } : {}),
      blur: request.blur,
      blurSuggested: asked.blur === 'auto',
      ...(request.iterations !== undefined ? { iterations: request.iterations } : {}),
    });
    const recipeWarnings: string[] = [];
    const xmp = Buffer.from(recipeXmp(recipe, input.metadata.xmp, recipeWarnings), 'utf8');
    await rm(temp, { force: true });
    const written = await writeImage(temp, result, {
      format: job.format,
      ...(job.quality !== undefined ? { quality: job.quality } : {}),
      bitDepth: input.bitDepth,
      metadata: { ...input.metadata, xmp },
    });
    written.warnings.push(...recipeWarnings);
    result = null;
    signal?.throwIfAborted();
    if (!(await commitTemp(temp, job.output))) {
      const reason = `${job.outputRel} appeared while the batch was running and dlnet never overwrites files.`;
      return job.skipExisting
        ? { status: 'skipped', reason, code: 'exists' }
        : { status: 'failed', reason, code: 'exists', timings: timings(t1, t2, performance.now()) };
    }
    progress(1);
    return {
      status: 'done',
      timings: timings(t1, t2, performance.now()),
      size: { width, height },
      outputSize,
      warnings: written.warnings,
      ...(likelihoods.length > 0 ? { likelihoods } : {}),
      recipe,
    };
  } catch (error) {
    await removeTempsFor(job.output).catch(() => {});
    if (isCancel(error, signal)) return { status: 'cancelled' };
    const { reason, code } = failureReason(error, job, stage);
    const now = performance.now();
    return { status: 'failed', reason, code, timings: timings(stage === 'read' ? now : t1, stage === 'write' ? t2 : now, now) };
  }
}
