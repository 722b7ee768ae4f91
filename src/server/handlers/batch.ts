/**
 * batch.plan, batch.start, batch.pause, batch.resume and batch.cancel: a folder of images through
 * the same engine as `dlnet batch` (src/engine/batch), on its own worker threads. The engine's
 * events are forwarded unchanged to the requester, with `batch.` before their type and the batch
 * id added. The server checks the folders itself (in `dlnet serve` the browser cannot see the disk).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import {
  type BatchEvent as EngineBatchEvent,
  type BatchPlan,
  buildBatchReport,
  checkReportPath,
  defaultJobs,
  planBatch,
  startBatch,
  UserError,
  writeBatchReport,
} from '../../engine/index.js';
import {
  MAX_PLAN_FILES,
  type BatchEvent,
  type BatchPlanArgs,
  type BatchPlanView,
  type BatchSettings,
  type Channels,
} from '../../api/api.js';
import type { BatchRuns } from './batch-runs.js';
import type { Handler } from './context.js';

/** The output folder may be missing (it is created), but then the folder it goes in must exist. */
function checkOutputFolder(outputDir: string): void {
  let stats;
  try {
    stats = statSync(outputDir);
  } catch {
    const parent = path.dirname(outputDir);
    let parentIsFolder = false;
    try {
      parentIsFolder = statSync(parent).isDirectory();
    } catch {
      // missing
    }
    if (!parentIsFolder) {
      throw new UserError(
        `The output folder ${outputDir} does not exist, and neither does ${parent} to create it in.`,
        'not-found',
      );
    }
    return;
  }
  if (!stats.isDirectory()) throw new UserError(`The output folder ${outputDir} exists and is not a folder.`, 'not-a-folder');
}

function checkInputFolder(inputDir: string): void {
  let stats;
  try {
    stats = statSync(inputDir);
  } catch {
    throw new UserError(`The input folder ${inputDir} does not exist.`, 'not-found');
  }
  if (!stats.isDirectory())
    throw new UserError(`${inputDir} is a file, not a folder; a batch needs a folder of images.`, 'not-a-folder');
}

async function plan({ settings, report }: BatchPlanArgs): Promise<BatchPlan> {
  checkInputFolder(settings.inputDir);
  checkOutputFolder(settings.outputDir);
  const planned = await planBatch(engineOptions(settings));
  if (report !== undefined) {
    if (path.extname(report).toLowerCase() !== '.json') {
      throw new UserError(`The report file ${path.basename(report)} must end in .json.`, 'bad-output');
    }
    await checkReportPath(report, planned);
  }
  return planned;
}

function engineOptions(s: BatchSettings): Parameters<typeof planBatch>[0] {
  return {
    inputDir: s.inputDir,
    outputDir: s.outputDir,
    request: {
      task: 'sr',
      scale: s.scale,
      ...(s.output !== undefined ? { output: s.output } : {}),
      blur: s.blur,
      ...(s.modelId !== undefined ? { modelId: s.modelId } : {}),
      ...(s.iterations !== undefined ? { iterations: s.iterations } : {}),
    },
    recursive: s.recursive,
    format: s.format,
    ...(s.quality !== undefined ? { quality: s.quality } : {}),
    suffix: s.suffix,
    skipExisting: s.skipExisting,
  };
}

export function toPlanView(plan: BatchPlan): BatchPlanView {
  const counts = { process: 0, skip: 0, fail: 0 };
  for (const f of plan.files) counts[f.action]++;
  return {
    inputDir: plan.options.inputDir,
    outputDir: plan.options.outputDir,
    modelId: plan.modelId,
    total: plan.files.length,
    counts,
    files: plan.files.slice(0, MAX_PLAN_FILES).map((f) => ({
      index: f.index,
      rel: f.rel,
      outputRel: f.outputRel,
      action: f.action,
      bytes: f.bytes,
      ...(f.reason !== undefined ? { reason: f.reason } : {}),
      ...(f.code !== undefined ? { code: f.code } : {}),
    })),
    truncated: plan.files.length > MAX_PLAN_FILES,
    subfoldersNotIncluded: plan.subfoldersNotIncluded,
    hiddenIgnored: plan.hiddenIgnored,
    defaultJobs: Math.max(1, Math.min(defaultJobs(), counts.process)),
  };
}

/** The engine's event as the app's: the same fields, `batch.` before the type, and the batch id. */
export function toAppEvent(batchId: string, event: EngineBatchEvent): BatchEvent {
  switch (event.type) {
    case 'started':
      return { ...event, type: 'batch.started', batchId };
    case 'backend':
      return { ...event, type: 'batch.backend', batchId };
    case 'file':
      return { ...event, type: 'batch.file', batchId };
    case 'file-progress':
      return { ...event, type: 'batch.file-progress', batchId };
    case 'progress':
      return { ...event, type: 'batch.progress', batchId };
    case 'paused':
      return { type: 'batch.paused', batchId };
    case 'resumed':
      return { type: 'batch.resumed', batchId };
    case 'cancelling':
      return { type: 'batch.cancelling', batchId };
    case 'finished':
      return { ...event, type: 'batch.finished', batchId };
  }
}

function asError(error: unknown): { code: string; message: string } {
  if (error instanceof Error && error.name === 'UserError') {
    return { code: String((error as Error & { code?: unknown }).code ?? 'bad-input'), message: error.message.split('\n')[0] };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: `The batch failed: ${message.split('\n')[0].replace(/\.$/, '')}.` };
}

export interface BatchHandlers {
  plan: Handler<typeof Channels.batchPlan>;
  start: Handler<typeof Channels.batchStart>;
  pause: Handler<typeof Channels.batchPause>;
  resume: Handler<typeof Channels.batchResume>;
  cancel: Handler<typeof Channels.batchCancel>;
}

export function batchHandlers(runs: BatchRuns): BatchHandlers {
  return {
    plan: async (args) => toPlanView(await plan(args)),

    start: async (args, { workspace, emit }) => {
      runs.checkIdle();
      const planned = await plan(args);
      runs.checkIdle(); // planning awaited: another start may have won meanwhile
      const batchId = runs.newId();
      const startedAt = new Date();
      // Events may arrive before this request's answer; the client keeps them until it knows the id.
      const run = startBatch(planned, {
        ...(args.jobs !== undefined ? { jobs: args.jobs } : {}),
        backend: workspace.options.backend,
        onEvent: (event) => emit(toAppEvent(batchId, event)),
      });
      const { inputDir, outputDir } = planned.options;
      workspace.log.info(`${batchId}: ${planned.files.length} files, ${inputDir} → ${outputDir}`);
      const settled = run.done.then(
        async (result) => {
          const s = result.summary;
          workspace.log.info(
            `${batchId}: ${s.done} done, ${s.skipped} skipped, ${s.failed} failed, ${s.cancelled} cancelled in ${s.seconds.toFixed(1)} s`,
          );
          if (args.report === undefined) return;
          try {
            await writeBatchReport(args.report, buildBatchReport(planned, result, startedAt));
            emit({ type: 'batch.report', batchId, path: path.resolve(args.report) });
          } catch (error) {
            emit({ type: 'batch.report', batchId, path: path.resolve(args.report), error: asError(error) });
          }
        },
        (error: unknown) => {
          const e = asError(error);
          if (e.code === 'internal') workspace.log.error(`${batchId} failed`, error);
          emit({ type: 'batch.error', batchId, ...e });
        },
      );
      runs.add({ id: batchId, run, settled });
      return { batchId, plan: toPlanView(planned) };
    },

    pause: async ({ batchId }) => {
      runs.get(batchId).run.pause();
      return null;
    },
    resume: async ({ batchId }) => {
      runs.get(batchId).run.resume();
      return null;
    },
    cancel: async ({ batchId }) => {
      runs.get(batchId).run.cancel();
      return null;
    },
  };
}
