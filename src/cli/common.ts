/** Flags and set-up shared by the restoring subcommands (upscale, inpaint, interpolate, eval --model). */
import type { Command } from 'commander';
import { parseBackend, parseIterations, parseModelId, type BackendChoice } from '../api/validate.js';
import { defaultWorkers, loadCompute } from '../engine/index.js';
import { info, type CliContext } from './context.js';
import { UsageError } from './errors.js';

export interface RawRestoreFlags {
  model?: string;
  iterations?: string;
  backend?: string;
  saveIterations?: string;
  progress?: boolean;
  workers?: string;
}

export interface RestoreFlags {
  readonly modelId?: string;
  readonly iterations?: number;
  readonly backend: BackendChoice;
  readonly saveIterations?: string;
  readonly forceProgress: boolean;
  /** Worker threads for each photo. */
  readonly workers: number;
}

export function addModelOptions(command: Command): Command {
  return command
    .option('--model <id>', 'model id under resources/models (default: the installed model for the task)')
    .option('--iterations <K>', "DL-Net iterations K, a whole number >= 1 (default: the model's; 1 = the plain network)")
    .option('--backend <name>', 'compute backend: auto, tensorflow, onnxruntime or wasm', 'auto');
}

export function addRestoreOptions(command: Command): Command {
  return addModelOptions(command)
    .option('--save-iterations <dir>', 'also write each intermediate estimate x̂_1..x̂_K as PNG into this folder')
    .option('--progress', 'show progress bars even when stderr is not a terminal')
    .option('--workers <n>', 'worker threads for each photo (default: one per CPU core, at most 8)');
}

/** --workers: threads for one photo (default: one per core; each holds a copy of the model). */
export function parseWorkers(value: string | undefined): number {
  if (value === undefined) return defaultWorkers();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64)
    throw new UsageError(`--workers must be a whole number from 1 to 64, not ${value}.`);
  return n;
}

export function parseRestoreFlags(raw: RawRestoreFlags): RestoreFlags {
  return {
    modelId: raw.model === undefined ? undefined : parseModelId(raw.model, '--model'),
    iterations: raw.iterations === undefined ? undefined : parseIterations(raw.iterations, '--iterations'),
    backend: parseBackend(raw.backend ?? 'auto', '--backend'),
    saveIterations: raw.saveIterations,
    forceProgress: raw.progress === true,
    workers: parseWorkers(raw.workers),
  };
}

/** Initialises the compute backend and says on stderr which one runs and why others were skipped. */
export async function startBackend(ctx: CliContext, backend: BackendChoice): Promise<void> {
  const { initBackend, describeBackend } = await loadCompute();
  const report = await initBackend(backend);
  const skipped = report.skipped.map((s) => s.reason).join(' ');
  info(ctx, `backend: ${describeBackend(report)}${skipped === '' ? '' : `; ${skipped}`}`);
}
