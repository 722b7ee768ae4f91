/**
 * Owns one restoration worker thread: starts it (initialising the compute backend there),
 * forwards its messages, restarts it after a crash or a forced stop. Under tsx (tests, dev) the
 * worker runs from its .ts source with tsx's loader; built, from dist/server/worker.js.
 */
import type { Worker } from 'node:worker_threads';
import { initWorker, spawnModuleWorker, untilAnswered } from '../engine/index.js';
import type { Logger } from './log.js';
import type { BackendChoice, BackendReportMessage, FromWorker, ToWorker } from './worker-protocol.js';

export interface WorkerHostOptions {
  backend: BackendChoice;
  modelDirs: string[];
  /** Threads for each restoration job. */
  restoreWorkers: number;
  log: Logger;
  /** Called for every message from the worker. */
  onMessage: (message: FromWorker) => void;
  /** Called when the worker stops without being asked to. */
  onCrash: (reason: string) => void;
}

function spawnWorker(): Worker {
  return spawnModuleWorker(import.meta.url, 'worker');
}

/**
 * On onnxruntime, how long stop() lets a busy worker answer its cancelled job first: terminating a
 * thread (or its pool's threads) inside an onnxruntime run aborts the whole process — here the
 * Electron main process (engine/parallel/close.ts). The job is already reported cancelled meanwhile.
 */
const ONNX_STOP_WAIT_MS = 15_000;

export class WorkerHost {
  #worker: Worker | null = null;
  #ready: Promise<BackendReportMessage> | null = null;
  #stopping = false;
  /** The backend the worker started, and whether it has a job in hand. */
  #backendName: string | undefined;
  #busy = false;
  readonly #options: WorkerHostOptions;

  constructor(options: WorkerHostOptions) {
    this.#options = options;
  }

  /** Starts the worker if needed; resolves with the backend it chose. */
  start(): Promise<BackendReportMessage> {
    if (this.#ready) return this.#ready;
    const worker = spawnWorker();
    this.#worker = worker;
    this.#stopping = false;
    const init: ToWorker = {
      type: 'init',
      backend: this.#options.backend,
      modelDirs: this.#options.modelDirs,
      restoreWorkers: this.#options.restoreWorkers,
    };
    this.#ready = Promise.race([
      initWorker<Extract<FromWorker, { type: 'ready' }>>(worker, init).then((ready) => ready.backend),
      new Promise<never>((_, reject) =>
        worker.once('exit', () => reject(new Error('The compute worker stopped while starting.'))),
      ),
    ]);
    this.#ready.then((backend) => (this.#backendName = backend.name)).catch(() => {});
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'done' || message.type === 'failed' || message.type === 'cancelled') this.#busy = false;
      this.#options.onMessage(message);
    });
    worker.on('error', (error) => this.#options.log.error(`worker error: ${error.message}`, error));
    worker.on('exit', (code) => {
      if (this.#worker !== worker) return;
      this.#worker = null;
      this.#ready = null;
      if (!this.#stopping) this.#options.onCrash(`exit code ${code}`);
    });
    return this.#ready;
  }

  post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (!this.#worker) throw new Error('The compute worker is not running.');
    if (message.type === 'run') this.#busy = true;
    this.#worker.postMessage(message, transfer);
  }

  /**
   * Stops the worker (a job that ignores cancellation); the next start() makes a new one. On
   * onnxruntime a busy worker first answers its job (bounded), since terminating it mid-run would
   * abort the process.
   */
  async stop(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    const settle =
      this.#busy && this.#backendName === 'onnxruntime'
        ? untilAnswered<FromWorker>(
            worker,
            ONNX_STOP_WAIT_MS,
            (m) => m.type === 'done' || m.type === 'failed' || m.type === 'cancelled',
          )
        : undefined;
    this.#stopping = true;
    this.#worker = null;
    this.#ready = null;
    this.#busy = false;
    await settle;
    await worker.terminate();
  }
}
