/**
 * The JSON report of a batch: options, a summary (done, skipped, failed, time, images/s) and every
 * file's status, reason and timings. Written atomically; an existing file is replaced only when it
 * is itself a dlnet batch report (so a rerun can update its report, but no other file is lost).
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../image.js';
import { writeFileAtomic } from '../image-io.js';
import type { OutputSizeRequest } from '../../base/output-size.js';
import type { Recipe } from '../../base/recipe.js';
import type { BatchPlan, BatchResult, BatchSummary, FileStatus, FileTimings } from './types.js';

export const REPORT_TOOL = 'dlnet batch';
export const REPORT_VERSION = 1;

export interface BatchReportFile {
  readonly input: string;
  readonly output?: string;
  readonly status: FileStatus;
  readonly reason?: string;
  readonly code?: string;
  readonly timings?: FileTimings;
  readonly size?: { readonly width: number; readonly height: number };
  readonly outputSize?: { readonly width: number; readonly height: number };
  readonly warnings?: readonly string[];
  /** L(z_k) of the whole image for k = 1..K (the DL-Net's likelihood per iteration). */
  readonly likelihoods?: readonly number[];
  /** What made the output: task, scale and size, blur, K, γ, model and its sha256, app version (also in the file, as XMP). */
  readonly recipe?: Recipe;
}

export interface BatchReport {
  readonly tool: typeof REPORT_TOOL;
  readonly reportVersion: typeof REPORT_VERSION;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly inputDir: string;
  readonly outputDir: string;
  readonly options: {
    readonly task: string;
    readonly scale: number;
    /** The output size asked for (a factor, width or height), when not the model scale as is. */
    readonly output?: OutputSizeRequest;
    readonly blur: number | 'auto';
    readonly model: string;
    readonly iterations?: number;
    readonly recursive: boolean;
    readonly format: string;
    readonly quality?: number;
    readonly suffix: string;
    readonly skipExisting: boolean;
  };
  readonly summary: BatchSummary;
  readonly files: readonly BatchReportFile[];
}

const ms = (v: number): number => Math.round(v * 10) / 10;

export function buildBatchReport(
  plan: BatchPlan,
  result: BatchResult,
  startedAt: Date,
  finishedAt: Date = new Date(),
): BatchReport {
  const { options } = plan;
  return {
    tool: REPORT_TOOL,
    reportVersion: REPORT_VERSION,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    inputDir: options.inputDir,
    outputDir: options.outputDir,
    options: {
      task: options.request.task,
      scale: options.request.scale,
      ...(options.request.output !== undefined ? { output: options.request.output } : {}),
      blur: options.request.blur,
      model: plan.modelId,
      ...(options.request.iterations !== undefined ? { iterations: options.request.iterations } : {}),
      recursive: options.recursive,
      format: options.format,
      ...(options.quality !== undefined ? { quality: options.quality } : {}),
      suffix: options.suffix,
      skipExisting: options.skipExisting,
    },
    summary: {
      ...result.summary,
      seconds: Math.round(result.summary.seconds * 1000) / 1000,
      imagesPerSecond: Math.round(result.summary.imagesPerSecond * 1000) / 1000,
    },
    files: result.files.map((f) => ({
      input: f.rel,
      ...(f.outputRel !== '' ? { output: f.outputRel } : {}),
      status: f.status,
      ...(f.reason !== undefined ? { reason: f.reason } : {}),
      ...(f.code !== undefined ? { code: f.code } : {}),
      ...(f.timings
        ? {
            timings: {
              readMs: ms(f.timings.readMs),
              restoreMs: ms(f.timings.restoreMs),
              writeMs: ms(f.timings.writeMs),
              totalMs: ms(f.timings.totalMs),
            },
          }
        : {}),
      ...(f.size ? { size: f.size } : {}),
      ...(f.outputSize ? { outputSize: f.outputSize } : {}),
      ...(f.warnings ? { warnings: f.warnings } : {}),
      ...(f.likelihoods ? { likelihoods: f.likelihoods } : {}),
      ...(f.recipe ? { recipe: f.recipe } : {}),
    })),
  };
}

async function isReport(file: string): Promise<boolean> {
  try {
    const info = await stat(file);
    if (!info.isFile() || info.size > 512 * 1024 * 1024) return false;
    const json = JSON.parse(await readFile(file, 'utf8')) as { tool?: unknown };
    return json.tool === REPORT_TOOL;
  } catch {
    return false;
  }
}

/**
 * Checks, before any work, that the report can go to `file`: not an input of the plan, its folder
 * exists, and it is new or a previous batch report. Throws a one-sentence UserError otherwise.
 */
export async function checkReportPath(file: string, plan: BatchPlan): Promise<void> {
  const resolved = path.resolve(file);
  const name = path.basename(file);
  if (plan.files.some((f) => f.input === resolved)) {
    throw new UserError(
      `The report file ${name} is one of the input files; dlnet never writes over its inputs.`,
      'report-is-input',
    );
  }
  try {
    if (!(await stat(path.dirname(resolved))).isDirectory()) throw new Error('not a folder');
  } catch {
    throw new UserError(`The folder for the report file ${file} does not exist.`, 'not-found');
  }
  let exists = true;
  try {
    await stat(resolved);
  } catch {
    exists = false;
  }
  if (exists && !(await isReport(resolved))) {
    throw new UserError(
      `${name} exists and is not a dlnet batch report, so it would not be replaced; choose another report file.`,
      'exists',
    );
  }
}

/** Writes the report atomically (replacing only a previous batch report; see checkReportPath). */
export async function writeBatchReport(file: string, report: BatchReport): Promise<void> {
  const resolved = path.resolve(file);
  let exists = true;
  try {
    await stat(resolved);
  } catch {
    exists = false;
  }
  if (exists && !(await isReport(resolved))) {
    throw new UserError(`${path.basename(file)} exists and is not a dlnet batch report, so it was not replaced.`, 'exists');
  }
  await writeFileAtomic(resolved, Buffer.from(`${JSON.stringify(report, null, 2)}\n`, 'utf8'), true);
}
