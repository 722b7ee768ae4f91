/**
 * The job queue: restorations run one at a time in the worker thread (WorkerHost), in order of
 * submission. Each job has its own AbortController and cancellation flag; cancelling a queued job
 * removes it, cancelling the running one sets its flag (the engine stops within one step) and, if
 * the worker has not answered within CANCEL_GRACE_MS, stops the worker outright so that every
 * cancellation completes within a second. Events go to the job's own sink (its requester).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Frame, IterationMetrics, JobEvent, JobSettings } from '../api/api.js';
import { FrameStore, type StoredIterations } from '../engine/index.js';
import type { Logger } from './log.js';
import type { FloatImage } from './pixels.js';
import { WorkerHost } from './worker-host.js';
import type { BackendChoice, BackendReportMessage, FromWorker, WorkerRequest } from './worker-protocol.js';

export const CANCEL_GRACE_MS = 700;
/** Finished jobs whose results stay available for saving and scrubbing. */
const KEEP_FINISHED = 4;

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface Job {
  readonly id: string;
  readonly imageId: string;
  readonly settings: JobSettings;
  readonly input: FloatImage;
  state: JobState;
  readonly controller: AbortController;
  readonly emit: (event: JobEvent) => void;
  /** x̂_k and its residual at display size, as streamed (bounded by the frame size, not the photo). */
  readonly frames: FrameStore;
  /** L(z_k) over what has streamed of x̂_k, and the fraction of the image that is. */
  readonly likelihoods: number[];
  readonly coverage: number[];
  /** x̂_1..x̂_{K−1} at full size on disk (done jobs), removed with the job. */
  stored?: StoredIterations;
  /** Super-resolution: the fraction of the height to restore first. */
  readonly focus?: number;
  /** Lab mode: the clean original every x̂_k is measured against. */
  readonly reference?: FloatImage;
  /** Lab mode: PSNR and SSIM of x̂_1..x̂_K (done jobs). */
  metrics?: IterationMetrics[];
  result?: FloatImage;
  resultFrame?: Frame;
  K: number;
  startedAt: number;
}

export interface JobQueueOptions {
  backend: BackendChoice;
  modelDirs: string[];
  restoreWorkers: number;
  log: Logger;
  previewMaxSide: number;
}

export class JobQueue {
  readonly #jobs = new Map<string, Job>();
  readonly #waiting: Job[] = [];
  #running: { job: Job; cancel: Int32Array; watchdog?: ReturnType<typeof setTimeout> } | null = null;
  readonly #host: WorkerHost;
  readonly #options: JobQueueOptions;
  readonly #finished: string[] = [];
  /** Where workers put full-size iterates: one folder for this queue, removed by dispose(). */
  readonly #tempDir: string;

  constructor(options: JobQueueOptions) {
    this.#options = options;
    this.#tempDir = mkdtempSync(path.join(os.tmpdir(), 'dlnet-jobs-'));
    this.#host = new WorkerHost({
      backend: options.backend,
      modelDirs: options.modelDirs,
      restoreWorkers: options.restoreWorkers,
      log: options.log,
      onMessage: (m) => this.#onMessage(m),
      onCrash: (reason) => this.#onCrash(reason),
    });
  }

  /** Starts the worker early; resolves with the compute backend it uses. */
  backend(): Promise<BackendReportMessage> {
    return this.#host.start();
  }

  get(jobId: string): Job | undefined {
    return this.#jobs.get(jobId);
  }

  submit(
    imageId: string,
    input: FloatImage,
    settings: JobSettings,
    request: WorkerRequest,
    emit: (event: JobEvent) => void,
    focus?: number,
    reference?: FloatImage,
  ): Job {
    const job: Job = {
      id: `job-${randomBytes(6).toString('hex')}`,
      imageId,
      settings,
      input,
      state: 'queued',
      controller: new AbortController(),
      emit,
      frames: new FrameStore(),
      likelihoods: [],
      coverage: [],
      ...(focus !== undefined ? { focus } : {}),
      ...(reference !== undefined ? { reference } : {}),
      K: settings.iterations,
      startedAt: 0,
    };
    this.#jobs.set(job.id, job);
    this.#requests.set(job.id, request);
    this.#waiting.push(job);
    job.emit({ type: 'job.queued', jobId: job.id, position: this.#waiting.length - 1 + (this.#running ? 1 : 0) });
    queueMicrotask(() => this.#next());
    return job;
  }

  readonly #requests = new Map<string, WorkerRequest>();

  cancel(jobId: string): void {
    const job = this.#jobs.get(jobId);
    if (!job || (job.state !== 'queued' && job.state !== 'running')) return;
    job.controller.abort();
    if (job.state === 'queued') {
      this.#waiting.splice(this.#waiting.indexOf(job), 1);
      this.#finish(job, 'cancelled');
      return;
    }
    const running = this.#running;
    if (running?.job !== job) return;
    Atomics.store(running.cancel, 0, 1);
    running.watchdog ??= setTimeout(() => {
      if (this.#running?.job !== job) return;
      this.#options.log.warn(`job ${job.id} did not stop within ${CANCEL_GRACE_MS} ms; stopping the worker`);
      this.#running = null;
      this.#finish(job, 'cancelled');
      void this.#host.stop().then(() => this.#next());
    }, CANCEL_GRACE_MS);
  }

  /** Cancels everything and stops the worker. */
  async dispose(): Promise<void> {
    for (const job of [...this.#waiting]) this.cancel(job.id);
    if (this.#running) {
      const { job } = this.#running;
      clearTimeout(this.#running.watchdog);
      this.#running = null;
      this.#finish(job, 'cancelled');
    }
    await this.#host.stop();
    for (const job of this.#jobs.values()) discard(job);
    rmSync(this.#tempDir, { recursive: true, force: true });
  }

  #next(): void {
    if (this.#running || this.#waiting.length === 0) return;
    const job = this.#waiting.shift()!;
    const request = this.#requests.get(job.id)!;
    const cancel = new SharedArrayBuffer(4);
    this.#running = { job, cancel: new Int32Array(cancel) };
    job.state = 'running';
    job.startedAt = performance.now();
    job.emit({ type: 'job.started', jobId: job.id });
    this.#host
      .start()
      .then(() => {
        if (this.#running?.job !== job || job.state !== 'running') return;
        // The input stays with the job (for residuals and saving): send the worker a copy.
        const data = Float32Array.from(job.input.data);
        const image = { width: job.input.width, height: job.input.height, channels: job.input.channels, data };
        const transfer: ArrayBuffer[] = [data.buffer];
        // Lab mode: a copy of the clean original too, to measure every x̂_k against.
        const ref = job.reference;
        const reference = ref && {
          width: ref.width,
          height: ref.height,
          channels: ref.channels,
          data: Float32Array.from(ref.data),
        };
        if (reference) transfer.push(reference.data.buffer);
        const common = {
          type: 'run',
          jobId: job.id,
          image,
          cancel,
          previewMaxSide: this.#options.previewMaxSide,
          tempDir: this.#tempDir,
          ...(job.focus !== undefined ? { focus: job.focus } : {}),
          ...(reference !== undefined ? { reference } : {}),
        } as const;
        if (request.task !== 'sr') {
          const mask = { ...request.mask, data: Uint8Array.from(request.mask.data) };
          transfer.push(mask.data.buffer);
          this.#host.post({ ...common, request: { ...request, mask } }, transfer);
        } else {
          this.#host.post({ ...common, request }, transfer);
        }
      })
      .catch((error: unknown) => {
        if (this.#running?.job !== job) return;
        this.#running = null;
        const message = error instanceof Error ? error.message : String(error);
        this.#finish(job, 'failed', {
          code: 'backend',
          message: `The compute backend could not start: ${message.replace(/\.$/, '')}.`,
        });
        this.#next();
      });
  }

  #onMessage(message: FromWorker): void {
    if (message.type === 'ready' || message.type === 'init-failed') return;
    const running = this.#running;
    if (!running || running.job.id !== message.jobId) return; // a job already cancelled by the watchdog
    const job = running.job;
    switch (message.type) {
      case 'progress':
        job.emit({ type: 'job.progress', jobId: job.id, fraction: message.fraction, message: message.message });
        return;
      case 'preview':
        job.emit({ type: 'job.preview', jobId: job.id, rows: message.rows, frame: message.frame });
        return;
      case 'iteration': {
        const u = message.update;
        job.K = u.K;
        job.likelihoods[u.k - 1] = u.likelihood;
        job.coverage[u.k - 1] = u.coverage;
        job.frames.apply(u);
        job.emit({
          type: 'job.iteration',
          jobId: job.id,
          k: u.k,
          K: u.K,
          likelihood: u.likelihood,
          coverage: u.coverage,
          y: u.frame.y,
          width: u.frameSize.width,
          height: u.frameSize.height,
          frame: { width: u.frame.width, height: u.frame.height, rgba: u.frame.rgba },
        });
        return;
      }
      case 'done':
        job.result = message.image;
        job.resultFrame = message.frame;
        if (message.stored) job.stored = message.stored;
        if (message.metrics) job.metrics = message.metrics;
        this.#settle(job, 'done');
        return;
      case 'cancelled':
        this.#settle(job, 'cancelled');
        return;
      case 'failed':
        if (message.code === 'internal')
          this.#options.log.error(`job ${job.id} failed: ${message.message}\n${message.stack ?? ''}`);
        this.#settle(job, 'failed', {
          code: message.code,
          message:
            message.code === 'internal'
              ? `The restoration failed: ${message.message.split('\n')[0].replace(/\.$/, '')}.`
              : message.message,
        });
        return;
    }
  }

  #settle(job: Job, state: JobState, error?: { code: string; message: string }): void {
    if (this.#running?.job === job) {
      clearTimeout(this.#running.watchdog);
      this.#running = null;
    }
    // A job whose cancellation was asked for ends as cancelled even if the worker finished first.
    this.#finish(job, job.controller.signal.aborted && state !== 'failed' ? 'cancelled' : state, error);
    this.#next();
  }

  #onCrash(reason: string): void {
    const running = this.#running;
    this.#options.log.error(`the compute worker stopped unexpectedly (${reason})`);
    if (!running) return;
    clearTimeout(running.watchdog);
    this.#running = null;
    this.#finish(running.job, 'failed', {
      code: 'worker-crashed',
      message: 'The compute worker stopped unexpectedly (perhaps out of memory); try again or use a smaller image.',
    });
    this.#next();
  }

  #finish(job: Job, state: JobState, error?: { code: string; message: string }): void {
    job.state = state;
    this.#requests.delete(job.id);
    if (state === 'done' && job.result) {
      const seconds = (performance.now() - job.startedAt) / 1000;
      job.emit({
        type: 'job.done',
        jobId: job.id,
        K: job.K,
        likelihoods: [...job.likelihoods],
        seconds,
        frame: job.resultFrame!,
        ...(job.metrics ? { metrics: job.metrics } : {}),
      });
    } else if (state === 'cancelled') {
      discard(job);
      job.emit({ type: 'job.cancelled', jobId: job.id });
    } else if (state === 'failed') {
      discard(job);
      job.emit({
        type: 'job.error',
        jobId: job.id,
        code: error?.code ?? 'internal',
        message: error?.message ?? 'The restoration failed.',
      });
    }
    this.#finished.push(job.id);
    while (this.#finished.length > KEEP_FINISHED) {
      const id = this.#finished.shift()!;
      const old = this.#jobs.get(id);
      if (old) discard(old);
      this.#jobs.delete(id);
    }
  }
}

/** Lets go of a job's frames and removes its iterates on disk. */
function discard(job: Job): void {
  job.frames.clear();
  if (job.stored) rmSync(job.stored.dir, { recursive: true, force: true });
  job.stored = undefined;
}
