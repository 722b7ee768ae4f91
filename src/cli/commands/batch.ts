/**
 * `dlnet batch <in-dir> --out <out-dir> --scale <t>`: super-resolve a whole folder with the batch
 * engine (src/engine/batch): worker threads, one sentence per bad file, resumable with
 * --skip-existing, a JSON report on request. The plan (--dry-run) goes to stdout; progress,
 * per-file lines and the summary go to stderr.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_QUALITY } from '../../base/limits.js';
import * as engine from '../../engine/index.js';
import {
  type BatchEvent,
  type BatchFormat,
  type BatchPlan,
  type BatchResult,
  type FileRecord,
  UserError,
} from '../../engine/index.js';
import {
  parseBackend,
  parseBlurOrAuto,
  parseIterations,
  parseModelId,
  parseQuality,
  ValidationError,
} from '../../api/validate.js';
import { info, type CliContext } from '../context.js';
import { debugEnabled, UsageError } from '../errors.js';
import { createProgress, wantsBars, type Progress } from '../progress.js';
import { addOutputSizeOptions, OUTPUT_SIZE_HELP, parseOutputSizeFlags, type RawSizeFlags } from '../output-size.js';
import { outputSizeSuffix } from '../../base/output-size.js';

interface BatchFlags extends RawSizeFlags {
  out: string;
  blur: string;
  recursive?: boolean;
  format: string;
  quality?: string;
  suffix: string;
  jobs?: string;
  dryRun?: boolean;
  skipExisting?: boolean;
  report?: string;
  model?: string;
  iterations?: string;
  backend: string;
  progress?: boolean;
}

const FORMAT_NAMES: Record<string, BatchFormat> = {
  keep: 'keep',
  png: 'png',
  jpeg: 'jpeg',
  jpg: 'jpeg',
  webp: 'webp',
  tiff: 'tiff',
  tif: 'tiff',
};

export const MAX_JOBS = 256;

export function parseFormat(value: string, label = '--format'): BatchFormat {
  const format = FORMAT_NAMES[value.trim().toLowerCase()];
  if (format === undefined) throw new ValidationError(`${label} must be keep, png, jpeg, webp or tiff, not "${value}".`, label);
  return format;
}

export function parseJobs(value: string, label = '--jobs'): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_JOBS) {
    throw new ValidationError(`${label} must be a whole number from 1 to ${MAX_JOBS}, not ${JSON.stringify(value)}.`, label);
  }
  return n;
}

/** Plan-level errors that are about the flags, not the files: usage errors (exit 2). */
const USAGE_CODES = new Set(['bad-option', 'output-in-input', 'not-a-folder', 'report-is-input']);

function asUsage(error: unknown, raw: BatchFlags, suffix: string): unknown {
  if (!(error instanceof UserError) || !USAGE_CODES.has(error.code)) return error;
  if (error.code === 'output-in-input') {
    return new UsageError(
      `--out ${raw.out} is the input folder or inside it; add a suffix (e.g. --suffix ${suffix}) so outputs cannot be ` +
        'mistaken for inputs, or choose another --out.',
    );
  }
  return new UsageError(error.message);
}

export function registerBatch(program: Command, ctx: CliContext): void {
  const command = program
    .command('batch')
    .summary('super-resolve every image in a folder')
    .description(
      'Super-resolve every image in a folder (and its subfolders with --recursive) into another folder with the same ' +
        'structure, on several worker threads. Inputs are never written; outputs appear only complete (temporary file, ' +
        'then rename) and never replace an existing file. A bad file is reported by name and the rest go on; the exit ' +
        'code is 1 when any failed. A batch stopped by Ctrl-C or killed can be completed by running the same command ' +
        'with --skip-existing. ' +
        OUTPUT_SIZE_HELP +
        ' With --width or --height each photo gets the model its own size needs.',
    )
    .argument('<in-dir>', 'folder of images (PNG, JPEG, WebP, TIFF, BMP, GIF, AVIF)')
    .requiredOption(
      '--out <out-dir>',
      'output folder (created if missing; not the input folder or inside it, unless --suffix is set)',
    );
  addOutputSizeOptions(command)
    .option('--blur <u>', 'blur width u of the degradation, from 0 to 3, or auto (suggested from each photo)', '0')
    .option('--recursive', 'include subfolders (the output keeps the folder structure)')
    .option('--format <f>', 'output format: keep, png, jpeg, webp or tiff (keep: PNG for BMP, GIF and AVIF inputs)', 'keep')
    .option('--quality <q>', `JPEG / WebP quality, 1 to 100 (default ${DEFAULT_QUALITY})`)
    .option('--suffix <s>', 'appended to each output name before the extension, e.g. .x2', '')
    .option('--jobs <n>', 'worker threads (default: one per core, bounded by memory)')
    .option('--dry-run', 'print what would be done (on stdout) and write nothing')
    .option('--skip-existing', 'skip files whose output already exists (resumes an interrupted batch)')
    .option('--report <file.json>', 'write a JSON report: every file with its status, reason and timings, and a summary')
    .option('--model <id>', 'model id under resources/models (default: the installed model for the scale)')
    .option('--iterations <K>', "DL-Net iterations K, a whole number >= 1 (default: the model's)")
    .option('--backend <name>', 'compute backend of each worker: auto, tensorflow, onnxruntime or wasm', 'auto')
    .option('--progress', 'show a progress bar even when stderr is not a terminal')
    .addHelpText(
      'after',
      '\nExamples:\n  dlnet batch photos --out photos-x2 --scale 2 --recursive\n' +
        '  dlnet batch scans --out scans --suffix .x4 --scale 4 --blur 1.3 --format png --report report.json\n' +
        '  dlnet batch photos --out photos-x2 --scale 2 --recursive --skip-existing   # resume',
    )
    .action(async (inDir: string, raw: BatchFlags) => {
      await batch(ctx, inDir, raw);
    });
}

function seconds(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function printPlan(ctx: CliContext, plan: BatchPlan): void {
  for (const f of plan.files) {
    if (f.action === 'process') ctx.stdout.write(`process  ${f.rel} → ${f.outputRel}\n`);
    else ctx.stdout.write(`${f.action === 'skip' ? 'skip   ' : 'fail   '}  ${f.rel}: ${f.reason ?? ''}\n`);
  }
}

function describePlan(plan: BatchPlan): string {
  const n = (k: 'process' | 'skip' | 'fail') => plan.files.filter((f) => f.action === k).length;
  const parts = [`${n('process')} image${n('process') === 1 ? '' : 's'} to process`];
  if (n('skip') > 0) parts.push(`${n('skip')} skipped`);
  if (n('fail') > 0) parts.push(`${n('fail')} failing`);
  return `batch: ${parts.join(', ')} (${plan.options.inputDir} → ${plan.options.outputDir})`;
}

async function batch(ctx: CliContext, inDir: string, raw: BatchFlags): Promise<void> {
  const size = parseOutputSizeFlags(raw, 'batch');
  const plain = 'scale' in size.request && Number.isInteger(size.request.scale);
  // A width or height: each file's model scale follows its size (the request's scale is then unused).
  const scale = size.fixedScale ?? 2;
  const blur = parseBlurOrAuto(raw.blur, '--blur');
  const format = parseFormat(raw.format);
  const quality = raw.quality === undefined ? undefined : parseQuality(raw.quality, '--quality');
  const jobs = raw.jobs === undefined ? undefined : parseJobs(raw.jobs);
  const modelId = raw.model === undefined ? undefined : parseModelId(raw.model, '--model');
  const iterations = raw.iterations === undefined ? undefined : parseIterations(raw.iterations, '--iterations');
  const backend = parseBackend(raw.backend, '--backend');
  try {
    engine.checkSuffix(raw.suffix);
  } catch (error) {
    throw new ValidationError(`--suffix: ${(error as Error).message}`, '--suffix');
  }

  let plan: BatchPlan;
  try {
    plan = await engine.planBatch({
      inputDir: inDir,
      outputDir: raw.out,
      request: {
        task: 'sr',
        scale,
        ...(plain ? {} : { output: size.request }),
        blur,
        ...(modelId ? { modelId } : {}),
        ...(iterations ? { iterations } : {}),
      },
      recursive: raw.recursive === true,
      format,
      ...(quality !== undefined ? { quality } : {}),
      suffix: raw.suffix,
      skipExisting: raw.skipExisting === true,
    });
    if (raw.report !== undefined) await engine.checkReportPath(raw.report, plan);
  } catch (error) {
    throw asUsage(error, raw, outputSizeSuffix(size.request));
  }
  info(ctx, describePlan(plan));
  if (plan.subfoldersNotIncluded > 0) {
    const n = plan.subfoldersNotIncluded;
    info(
      ctx,
      `batch: ${n} subfolder${n === 1 ? ' is' : 's are'} not included; use --recursive to include ${n === 1 ? 'it' : 'them'}.`,
    );
  }
  if (raw.dryRun === true) {
    printPlan(ctx, plan);
    if (plan.files.some((f) => f.action === 'fail')) ctx.exitCode = 1;
    return;
  }

  const startedAt = new Date();
  const bars = wantsBars(ctx.stderr, raw.progress === true);
  const bar: Progress | null = bars ? createProgress(ctx.stderr, { label: 'batch', force: true }) : null;
  const say = (line: string): void => (bar ? bar.log(line) : info(ctx, line));
  const total = plan.files.length;
  let finishedCount = 0;
  let existing = 0;
  const onEvent = (event: BatchEvent): void => {
    switch (event.type) {
      case 'started':
        if (event.staleTempsRemoved > 0) {
          say(
            `batch: removed ${event.staleTempsRemoved} temporary file${event.staleTempsRemoved === 1 ? '' : 's'} left by an interrupted run.`,
          );
        }
        break;
      case 'backend': {
        const skipped = event.backend.skipped.map((s) => s.reason).join(' ');
        const details = event.backend.details ? ` (${event.backend.details})` : '';
        say(`backend: ${event.backend.name}${details}${skipped === '' ? '' : `; ${skipped}`}`);
        break;
      }
      case 'file':
        reportFile(event.file);
        break;
      case 'progress':
        if (bar) {
          const p = event.progress;
          const eta = p.etaMs === null ? '' : `, ETA ${seconds(p.etaMs)}`;
          bar.update(
            p.fraction,
            `${p.done + p.skipped + p.failed + p.cancelled}/${p.total}${eta}, ${p.imagesPerSecond.toFixed(2)} images/s${p.paused ? ' (paused)' : ''}`,
          );
        }
        break;
      default:
        break;
    }
  };
  const reportFile = (file: FileRecord): void => {
    if (file.status === 'queued' || file.status === 'running' || file.status === 'cancelled') return;
    finishedCount++;
    if (file.status === 'failed') {
      say(`dlnet: ${file.reason ?? `${file.rel} failed.`}`);
      ctx.exitCode = 1;
    } else if (file.status === 'skipped') {
      if (file.code === 'exists') existing++;
      else say(`skipped: ${file.reason ?? file.rel}`);
    } else {
      const time = file.timings ? `, ${(file.timings.totalMs / 1000).toFixed(1)} s` : '';
      say(`[${finishedCount}/${total}] ${file.rel} → ${file.outputRel}${time}`);
      for (const warning of file.warnings ?? []) say(`dlnet: warning: ${file.rel}: ${warning}`);
    }
  };

  let result: BatchResult;
  try {
    result = await engine.runBatch(plan, {
      ...(jobs !== undefined ? { jobs } : {}),
      backend,
      signal: ctx.signal,
      onEvent,
      ...(debugEnabled() ? { workerOutput: ctx.stderr } : {}),
    });
  } finally {
    bar?.stop();
  }
  const s = result.summary;
  if (existing > 0)
    info(
      ctx,
      `batch: ${existing} output${existing === 1 ? '' : 's'} already existed and ${existing === 1 ? 'was' : 'were'} skipped.`,
    );
  info(
    ctx,
    `batch: ${s.done} done, ${s.skipped} skipped, ${s.failed} failed${s.cancelled > 0 ? `, ${s.cancelled} cancelled` : ''} ` +
      `in ${s.seconds.toFixed(1)} s (${s.imagesPerSecond.toFixed(2)} images/s, ${s.jobs} worker${s.jobs === 1 ? '' : 's'})`,
  );
  if (result.files.some((f) => f.status === 'failed' && f.code === 'exists')) {
    info(ctx, 'batch: to keep existing outputs and process the rest, rerun with --skip-existing.');
  }
  if (raw.report !== undefined) {
    await engine.writeBatchReport(raw.report, engine.buildBatchReport(plan, result, startedAt));
    info(ctx, `batch: report written to ${path.resolve(raw.report)}`);
  }
  if (s.wasCancelled) ctx.signal.throwIfAborted();
  if (s.failed > 0) ctx.exitCode = 1;
}
