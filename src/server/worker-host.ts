/**
 * Owns one restoration worker thread: starts it (initialising the compute backend there),
 * forwards its messages, restarts it after a crash or a forced stop. Under tsx (tests, dev) the
 * worker runs from its .ts source with tsx's loader; built, from dist/server/worker.js.
 */
import type { Worker } from 'node:worker_threads';
import { initWorker, spawnModuleWorker } from '../engine/index.js';
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

export class WorkerHost {
  #worker: Worker | null = null;
  #ready: Promise<BackendReportMessage> | null = null;
  #stopping = false;
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
    this.#ready.catch(() => {});
    worker.on('message', (message: FromWorker) => this.#options.onMessage(message));
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
    this.#worker.postMessage(message, transfer);
  }

  /** Stops the worker now (a job that ignores cancellation); the next start() makes a new one. */
  async stop(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    this.#stopping = true;
    this.#worker = null;
    this.#ready = null;
    await worker.terminate();
  }
}
