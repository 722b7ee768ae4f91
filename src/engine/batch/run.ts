/**
 * Running a planned batch: N worker threads, per-file events, overall progress with ETA and
 * throughput, pause / resume / cancel. Knows nothing about the CLI or the app: both drive it
 * through `startBatch` and its events.
 *
 * Safety: before any work, temporaries left by dead runs in the output folders are removed; each
 * output appears only complete (see temp.ts); on cancel, busy workers are asked to stop, and after
 * `cancelGraceMs` are terminated, and every temporary of an unfinished file is removed; folders the
 * run created and left empty are removed at the end. A run killed outright leaves hidden
 * temporaries only, which the next run removes; rerun with skipExisting to complete it.
 */
import { mkdir, rmdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BackendPreference } from '../backend.js';
import { UserError } from '../image.js';
import { getModelDirs } from '../models.js';
import { outputDirsOf } from './plan.js';
import { modelScaleFixed } from './options.js';
import { BatchWorkerPool } from './pool.js';
import type { FileJob, FileOutcome } from './process-file.js';
import { cleanStaleTemps, removeTempsFor } from './temp.js';
import type {
  BackendInfo,
  BatchEvent,
  BatchPlan,
  BatchProgress,
  BatchResult,
  BatchSummary,
  FileRecord,
  PlannedFile,
} from './types.js';

export interface RunBatchOptions {
  /** Worker threads (default: defaultJobs(), never more than the files to process). */
  readonly jobs?: number;
  /** Compute backend each worker initialises (default 'auto'). */
  readonly backend?: BackendPreference;
  readonly onEvent?: (event: BatchEvent) => void;
  /** Aborting it cancels the run (like cancel()). */
  readonly signal?: AbortSignal;
  /** How long busy workers get to stop cooperatively before they are terminated (default 300 ms). */
  readonly cancelGraceMs?: number;
  /** Interval of 'progress' events while files run (default 250 ms); one is also sent at every status change. */
  readonly progressIntervalMs?: number;
  /** Largest tile side the engine processes at once (default: the engine's). */
  readonly tileSize?: number;
  /** Where the workers' stdout / stderr go (default: dropped). */
  readonly workerOutput?: NodeJS.WritableStream;
}

export interface BatchRun {
  /** Resolves when every file is done, skipped, failed or cancelled; rejects only when the run cannot start at all. */
  readonly done: Promise<BatchResult>;
  /** No new file starts; files already running finish. */
  pause(): void;
  resume(): void;
  /** Stops within about a second; unfinished files leave nothing behind. */
  cancel(): void;
  readonly paused: boolean;
  progress(): BatchProgress;
  /** The current record of every planned file, in plan order. */
  files(): FileRecord[];
}

const GIB = 1024 ** 3;

/** One worker per core, but no more than one per 1.5 GiB of memory (a worker holds a whole image and its result). */
export function defaultJobs(): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(cores, Math.floor(os.totalmem() / (1.5 * GIB))));
}

function initialRecord(file: PlannedFile): FileRecord {
  const base = { index: file.index, rel: file.rel, outputRel: file.outputRel };
  if (file.action === 'process') return { ...base, status: 'queued' };
  return {
    ...base,
    status: file.action === 'skip' ? 'skipped' : 'failed',
    ...(file.reason !== undefined ? { reason: file.reason } : {}),
    ...(file.code !== undefined ? { code: file.code } : {}),
  };
}

class Runner implements BatchRun {
  readonly done: Promise<BatchResult>;
  readonly #plan: BatchPlan;
  readonly #options: RunBatchOptions;
  readonly #records: FileRecord[];
  readonly #queue: PlannedFile[];
  readonly #running = new Map<number, number>(); // index → fraction
  readonly #weights: number[];
  readonly #totalWeight: number;
  readonly #createdDirs = new Set<string>();
  #finishedWeight = 0;
  #pool: BatchWorkerPool | null = null;
  #jobs = 0;
  #backend: BackendInfo | undefined;
  #paused = false;
  #cancelling = false;
  #finished = false;
  #stopReason: { code: string; why: string } | null = null;
  #t0 = performance.now();
  #idleSince: number | null = null;
  #idleMs = 0;
  #timer: ReturnType<typeof setInterval> | null = null;
  #graceTimer: ReturnType<typeof setTimeout> | null = null;
  #resolve!: (result: BatchResult) => void;

  constructor(plan: BatchPlan, options: RunBatchOptions) {
    this.#plan = plan;
    this.#options = options;
    this.#records = plan.files.map(initialRecord);
    this.#queue = plan.files.filter((f) => f.action === 'process');
    this.#weights = plan.files.map((f) => Math.max(f.bytes, 1));
    this.#totalWeight = this.#queue.reduce((sum, f) => sum + this.#weights[f.index], 0);
    this.done = new Promise<BatchResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#start().catch(async (error: unknown) => {
        this.#finished = true;
        this.#stopTimers();
        await this.#pool?.terminate();
        reject(error);
      });
    });
    options.signal?.addEventListener('abort', () => this.cancel(), { once: true });
    if (options.signal?.aborted) queueMicrotask(() => this.cancel());
  }

  get paused(): boolean {
    return this.#paused;
  }

  files(): FileRecord[] {
    return [...this.#records];
  }

  pause(): void {
    if (this.#paused || this.#finished || this.#cancelling) return;
    this.#paused = true;
    if (this.#running.size === 0) this.#idleSince = performance.now();
    this.#emit({ type: 'paused' });
    this.#emitProgress();
  }

  resume(): void {
    if (!this.#paused || this.#finished) return;
    this.#paused = false;
    if (this.#idleSince !== null) this.#idleMs += performance.now() - this.#idleSince;
    this.#idleSince = null;
    this.#emit({ type: 'resumed' });
    this.#emitProgress();
    this.#pump();
  }

  cancel(): void {
    if (this.#cancelling || this.#finished) return;
    this.#cancelling = true;
    this.#emit({ type: 'cancelling' });
    for (const file of this.#queue.splice(0))
      this.#update(file.index, { status: 'cancelled', reason: `${file.rel} was not started (the batch was cancelled).` });
    this.#pool?.cancelAll();
    if (this.#running.size === 0) {
      void this.#finish();
      return;
    }
    this.#graceTimer = setTimeout(() => void this.#pool?.terminate(), this.#options.cancelGraceMs ?? 300);
  }

  progress(): BatchProgress {
    const counts = { done: 0, skipped: 0, failed: 0, cancelled: 0, running: 0, queued: 0 };
    for (const r of this.#records) counts[r.status]++;
    let weight = this.#finishedWeight;
    for (const [index, fraction] of this.#running) weight += this.#weights[index] * fraction;
    const fraction = this.#totalWeight === 0 ? 1 : Math.min(1, weight / this.#totalWeight);
    const now = performance.now();
    const elapsedMs = Math.max(0, now - this.#t0 - this.#idleMs - (this.#idleSince !== null ? now - this.#idleSince : 0));
    const etaMs = this.#finished ? 0 : fraction > 0 && fraction < 1 ? (elapsedMs * (1 - fraction)) / fraction : null;
    return {
      total: this.#records.length,
      ...counts,
      fraction,
      elapsedMs,
      etaMs,
      imagesPerSecond: elapsedMs > 0 ? counts.done / (elapsedMs / 1000) : 0,
      paused: this.#paused,
    };
  }

  #emit(event: BatchEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch {
      // a listener's bug must not break the batch
    }
  }

  #emitProgress(): void {
    this.#emit({ type: 'progress', progress: this.progress() });
  }

  #update(index: number, patch: Partial<FileRecord>): void {
    const record = { ...this.#records[index], ...patch } as FileRecord;
    this.#records[index] = record;
    this.#emit({ type: 'file', file: record });
  }

  #stopTimers(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    if (this.#graceTimer !== null) clearTimeout(this.#graceTimer);
    this.#timer = null;
    this.#graceTimer = null;
  }

  async #mkdir(dir: string): Promise<void> {
    const first = await mkdir(dir, { recursive: true });
    if (first === undefined) return;
    for (let d = dir; ; d = path.dirname(d)) {
      this.#createdDirs.add(d);
      if (d === path.resolve(first) || path.dirname(d) === d) break;
    }
  }

  async #start(): Promise<void> {
    for (const record of this.#records) this.#emit({ type: 'file', file: record });
    const { outputDir } = this.#plan.options;
    const toProcess = this.#queue.length;
    let staleTempsRemoved = 0;
    if (toProcess > 0) {
      try {
        await this.#mkdir(outputDir);
      } catch (error) {
        const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
        const why = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'permission denied' : code || String(error);
        throw new UserError(`Cannot create the output folder ${outputDir} (${why}).`, 'permission');
      }
      staleTempsRemoved = await cleanStaleTemps(
        outputDirsOf(this.#plan),
        this.#queue.map((f) => f.output),
      );
    }
    if (this.#finished) return; // cancelled while preparing
    this.#jobs = Math.max(0, Math.min(this.#options.jobs ?? defaultJobs(), toProcess));
    this.#t0 = performance.now();
    this.#emit({ type: 'started', total: this.#records.length, toProcess, jobs: this.#jobs, staleTempsRemoved });
    if (toProcess === 0 || this.#cancelling) {
      await this.#finish();
      return;
    }
    this.#pool = new BatchWorkerPool({
      size: this.#jobs,
      backend: this.#options.backend ?? 'auto',
      modelDirs: getModelDirs(),
      ...(this.#options.workerOutput ? { output: this.#options.workerOutput } : {}),
    });
    this.#timer = setInterval(() => {
      if (this.#running.size > 0) this.#emitProgress();
    }, this.#options.progressIntervalMs ?? 250);
    this.#pump(); // files wait in the pool's queue until a worker is ready
    try {
      this.#backend = await this.#pool.start();
    } catch (error) {
      if (this.#cancelling || this.#finished) return;
      throw error;
    }
    this.#emit({ type: 'backend', backend: this.#backend });
  }

  #pump(): void {
    if (this.#pool === null) return;
    while (!this.#paused && !this.#cancelling && this.#queue.length > 0 && this.#running.size < this.#jobs) {
      const file = this.#queue.shift()!;
      if (this.#stopReason !== null) {
        this.#update(file.index, {
          status: 'failed',
          code: this.#stopReason.code,
          reason: `${file.rel} was not started: ${this.#stopReason.why}`,
        });
        continue;
      }
      this.#running.set(file.index, 0);
      void this.#runOne(file);
    }
    if (this.#stopReason !== null && this.#queue.length === 0 && this.#running.size === 0) void this.#finish();
  }

  async #runOne(file: PlannedFile): Promise<void> {
    const startedMs = performance.now() - this.#t0;
    this.#update(file.index, { status: 'running', startedMs });
    this.#emitProgress();
    let outcome: FileOutcome;
    try {
      await this.#mkdir(path.dirname(file.output));
      const job: FileJob = {
        index: file.index,
        input: file.input,
        rel: file.rel,
        output: file.output,
        outputRel: file.outputRel,
        format: file.format ?? 'png',
        ...(this.#plan.options.quality !== undefined ? { quality: this.#plan.options.quality } : {}),
        request: modelScaleFixed(this.#plan.options.request)
          ? { ...this.#plan.options.request, modelId: this.#plan.modelId }
          : this.#plan.options.request, // per file: the model for its size (or the one named)
        skipExisting: this.#plan.options.skipExisting,
        ...(this.#options.tileSize !== undefined ? { tileSize: this.#options.tileSize } : {}),
      };
      outcome = await this.#pool!.run(job, (fraction) => {
        if (!this.#running.has(file.index) || this.#cancelling) return;
        this.#running.set(file.index, fraction);
        this.#emit({ type: 'file-progress', index: file.index, fraction });
      });
    } catch (error) {
      const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
      const why = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? 'permission denied' : code || String(error);
      outcome = {
        status: 'failed',
        code: 'permission',
        reason: `Cannot create the folder ${path.dirname(file.outputRel) || '.'} for ${file.rel} (${why}).`,
      };
    }
    this.#running.delete(file.index);
    this.#finishedWeight += this.#weights[file.index];
    if (this.#paused && this.#running.size === 0 && this.#idleSince === null) this.#idleSince = performance.now();
    const finishedMs = performance.now() - this.#t0;
    switch (outcome.status) {
      case 'done':
        this.#update(file.index, {
          status: 'done',
          finishedMs,
          timings: outcome.timings,
          size: outcome.size,
          outputSize: outcome.outputSize,
          ...(outcome.warnings.length > 0 ? { warnings: outcome.warnings } : {}),
          ...(outcome.likelihoods ? { likelihoods: outcome.likelihoods } : {}),
          ...(outcome.recipe ? { recipe: outcome.recipe } : {}),
        });
        break;
      case 'skipped':
        this.#update(file.index, { status: 'skipped', finishedMs, reason: outcome.reason, code: outcome.code });
        break;
      case 'failed':
        this.#update(file.index, {
          status: 'failed',
          finishedMs,
          reason: outcome.reason,
          code: outcome.code,
          ...(outcome.timings ? { timings: outcome.timings } : {}),
        });
        if (outcome.code === 'no-space') this.#stopReason = { code: 'no-space', why: 'the disk is full.' };
        break;
      case 'cancelled':
        await removeTempsFor(file.output).catch(() => {});
        this.#update(file.index, {
          status: 'cancelled',
          finishedMs,
          reason: `${file.rel} was stopped before it finished (the batch was cancelled).`,
        });
        break;
    }
    this.#emitProgress();
    if (this.#queue.length === 0 && this.#running.size === 0) await this.#finish();
    else this.#pump();
  }

  async #finish(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    this.#stopTimers();
    await this.#pool?.terminate();
    // Files that were running when the workers were terminated: their temporaries go too.
    for (const record of this.#records) {
      if (record.status === 'running' || record.status === 'queued') {
        const file = this.#plan.files[record.index];
        await removeTempsFor(file.output).catch(() => {});
        this.#update(record.index, {
          status: 'cancelled',
          reason: `${file.rel} was stopped before it finished (the batch was cancelled).`,
        });
      }
    }
    const dirs = [...this.#createdDirs].sort((a, b) => b.length - a.length);
    for (const dir of dirs) await rmdir(dir).catch(() => {});
    const progress = this.progress();
    const seconds = (performance.now() - this.#t0) / 1000;
    const summary: BatchSummary = {
      total: progress.total,
      done: progress.done,
      skipped: progress.skipped,
      failed: progress.failed,
      cancelled: progress.cancelled,
      wasCancelled: this.#cancelling,
      seconds,
      imagesPerSecond: seconds > 0 ? progress.done / seconds : 0,
      jobs: this.#jobs,
      ...(this.#backend ? { backend: this.#backend } : {}),
    };
    this.#emitProgress();
    this.#emit({ type: 'finished', summary });
    this.#resolve({ summary, files: [...this.#records] });
  }
}

/** Starts running `plan`; control it through the returned handle. */
export function startBatch(plan: BatchPlan, options: RunBatchOptions = {}): BatchRun {
  if (options.jobs !== undefined && !(Number.isInteger(options.jobs) && options.jobs >= 1)) {
    throw new UserError(`The number of jobs must be a whole number of at least 1, not ${options.jobs}.`, 'bad-option');
  }
  return new Runner(plan, options);
}

/** Runs `plan` to the end. */
export function runBatch(plan: BatchPlan, options: RunBatchOptions = {}): Promise<BatchResult> {
  return startBatch(plan, options).done;
}
