/**
 * A pool of batch worker threads (one TensorFlow.js instance each: the WebAssembly backend is
 * single-threaded in Node, so parallelism is one worker per core). Files wait in a FIFO until a
 * worker is free. A worker that dies (a native crash, out of memory) fails only the file it was
 * processing and is replaced; cancellation sets each busy worker's shared flag, and terminate()
 * stops the threads outright.
 *
 * Under tsx (tests, development) the worker runs from its .ts source with tsx's loader; built, from
 * dist/engine/batch/worker.js. The workers' own stdout / stderr (TensorFlow.js prints warnings
 * there) go to `output` when given, and are dropped otherwise.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { spawnModuleWorker, untilAnswered } from '../parallel/spawn.js';
import type { BackendPreference } from '../backend.js';
import { UserError } from '../image.js';
import type { FileJob, FileOutcome } from './process-file.js';
import type { FromBatchWorker, ToBatchWorker } from './protocol.js';
import type { BackendInfo } from './types.js';

export interface WorkerPoolOptions {
  readonly size: number;
  readonly backend: BackendPreference;
  readonly modelDirs: string[];
  /** Receives the workers' stdout and stderr (default: dropped). */
  readonly output?: NodeJS.WritableStream;
}

interface Pending {
  readonly job: FileJob;
  readonly onProgress: (fraction: number) => void;
  readonly resolve: (outcome: FileOutcome) => void;
}

interface Slot {
  readonly worker: Worker;
  readonly flag: Int32Array;
  readonly shared: SharedArrayBuffer;
  ready: boolean;
  current: Pending | null;
}

/** Consecutive worker deaths without a finished file after which no replacement is started. */
const MAX_CONSECUTIVE_CRASHES = 3;

/**
 * On onnxruntime, how long terminate() lets a busy worker answer its cancelled file first: a thread
 * terminated inside an onnxruntime run aborts the whole process (parallel/close.ts), and a run part
 * ends well within this.
 */
const ONNX_STOP_WAIT_MS = 15_000;

function spawnWorker(): Worker {
  return spawnModuleWorker(import.meta.url, 'worker', { stdout: true, stderr: true });
}

export class BatchWorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #slots = new Set<Slot>();
  readonly #waiting: Pending[] = [];
  #closed = false;
  #cancelling = false;
  #crashes = 0;
  #backendName: string | undefined;
  #started: Promise<BackendInfo> | null = null;
  #resolveStart: ((info: BackendInfo) => void) | null = null;
  #rejectStart: ((error: Error) => void) | null = null;

  constructor(options: WorkerPoolOptions) {
    if (!Number.isInteger(options.size) || options.size < 1)
      throw new Error(`A worker pool needs at least one worker, not ${options.size}.`);
    this.#options = options;
  }

  get size(): number {
    return this.#options.size;
  }

  /** Starts every worker; resolves with the backend of the first that is ready, rejects if none starts. */
  start(): Promise<BackendInfo> {
    if (this.#started) return this.#started;
    this.#started = new Promise<BackendInfo>((resolve, reject) => {
      this.#resolveStart = resolve;
      this.#rejectStart = reject;
    });
    this.#started.catch(() => {});
    for (let i = 0; i < this.#options.size; i++) this.#spawn();
    return this.#started;
  }

  /** Queues a file; resolves with its outcome (never rejects). */
  run(job: FileJob, onProgress: (fraction: number) => void = () => {}): Promise<FileOutcome> {
    if (this.#closed || this.#cancelling) return Promise.resolve({ status: 'cancelled' });
    return new Promise<FileOutcome>((resolve) => {
      this.#waiting.push({ job, onProgress, resolve });
      this.#dispatch();
    });
  }

  /** Asks every busy worker to stop its file (they answer 'cancelled'); queued files are cancelled now. */
  cancelAll(): void {
    this.#cancelling = true;
    for (const pending of this.#waiting.splice(0)) pending.resolve({ status: 'cancelled' });
    for (const slot of this.#slots) if (slot.current) Atomics.store(slot.flag, 0, 1);
  }

  /** Stops every worker now; files still running resolve as cancelled. */
  async terminate(): Promise<void> {
    this.#closed = true;
    this.cancelAll();
    const slots = [...this.#slots];
    this.#slots.clear();
    // On onnxruntime a busy worker answers its (cancelled) file before it is terminated.
    const settling =
      this.#backendName === 'onnxruntime'
        ? slots
            .filter((slot) => slot.current !== null)
            .map((slot) => untilAnswered<FromBatchWorker>(slot.worker, ONNX_STOP_WAIT_MS, (m) => m.type === 'outcome'))
        : [];
    for (const slot of slots) {
      slot.current?.resolve({ status: 'cancelled' });
      slot.current = null;
    }
    this.#rejectStart?.(new Error('The batch workers were stopped.'));
    await Promise.all(settling);
    await Promise.all(slots.map((slot) => slot.worker.terminate().catch(() => 0)));
  }

  #spawn(): void {
    const worker = spawnWorker();
    const shared = new SharedArrayBuffer(4);
    const slot: Slot = { worker, shared, flag: new Int32Array(shared), ready: false, current: null };
    this.#slots.add(slot);
    const sink = this.#options.output;
    for (const stream of [worker.stdout, worker.stderr]) {
      if (sink) stream.on('data', (chunk: Buffer) => sink.write(chunk));
      else stream.resume();
    }
    let lastError = '';
    worker.on('message', (message: FromBatchWorker) => this.#onMessage(slot, message));
    worker.on('error', (error) => {
      lastError = error.message.split('\n')[0];
    });
    worker.on('exit', (code) => this.#onExit(slot, lastError || `exit code ${code}`));
    this.#post(slot, {
      type: 'init',
      backend: this.#options.backend,
      modelDirs: this.#options.modelDirs,
      // onnxruntime: the cores shared out among the workers (each runs g in its own sessions)
      onnxThreads: Math.max(1, Math.floor(availableParallelism() / this.#options.size)),
    });
  }

  #post(slot: Slot, message: ToBatchWorker): void {
    slot.worker.postMessage(message);
  }

  #onMessage(slot: Slot, message: FromBatchWorker): void {
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        this.#backendName = message.backend.name;
        this.#resolveStart?.(message.backend);
        this.#resolveStart = null;
        this.#rejectStart = null;
        this.#dispatch();
        break;
      case 'init-failed':
        this.#slots.delete(slot);
        void slot.worker.terminate();
        if (this.#slots.size === 0) this.#failAll(new UserError(message.message, 'backend'));
        break;
      case 'progress':
        if (slot.current?.job.index === message.index) slot.current.onProgress(message.fraction);
        break;
      case 'outcome': {
        const current = slot.current;
        if (current?.job.index !== message.index) break;
        slot.current = null;
        Atomics.store(slot.flag, 0, 0);
        this.#crashes = 0;
        current.resolve(message.outcome);
        this.#dispatch();
        break;
      }
    }
  }

  #onExit(slot: Slot, why: string): void {
    if (!this.#slots.delete(slot) || this.#closed) return;
    const current = slot.current;
    slot.current = null;
    if (current) {
      this.#crashes++;
      current.resolve(
        Atomics.load(slot.flag, 0) !== 0
          ? { status: 'cancelled' }
          : {
              status: 'failed',
              code: 'worker-crash',
              reason: `${current.job.rel} stopped its compute worker (${why.replace(/\.$/, '')}); the other files go on.`,
            },
      );
    }
    if (!slot.ready && this.#slots.size === 0 && this.#resolveStart !== null) {
      this.#failAll(new UserError(`The batch worker could not start (${why.replace(/\.$/, '')}).`, 'backend'));
      return;
    }
    if (this.#crashes < MAX_CONSECUTIVE_CRASHES && slot.ready) this.#spawn();
    else if (this.#slots.size === 0)
      this.#failAll(new UserError(`The batch workers keep stopping (${why.replace(/\.$/, '')}).`, 'worker-crash'));
    this.#dispatch();
  }

  /** No worker left: the start fails, and queued files fail with the reason. */
  #failAll(error: UserError): void {
    this.#rejectStart?.(error);
    this.#rejectStart = null;
    this.#resolveStart = null;
    for (const pending of this.#waiting.splice(0)) {
      pending.resolve({ status: 'failed', code: error.code, reason: `${pending.job.rel} was not processed: ${error.message}` });
    }
  }

  #dispatch(): void {
    if (this.#closed) return;
    for (const slot of this.#slots) {
      if (this.#waiting.length === 0) return;
      if (!slot.ready || slot.current !== null) continue;
      const pending = this.#waiting.shift()!;
      slot.current = pending;
      Atomics.store(slot.flag, 0, 0);
      this.#post(slot, { type: 'run', job: pending.job, cancel: slot.shared });
    }
  }
}
