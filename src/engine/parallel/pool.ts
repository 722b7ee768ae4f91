/**
 * A pool of SR worker threads for ONE image at a time (docs/architecture.md §4: the wasm backend is
 * single-threaded in Node, so parallelism is one tfjs per worker). Each worker holds its own
 * backend and model; the band engine (sr-engine.ts) deals g and step tasks out to them, and they
 * read and write the job's SharedArrayBuffers in place (no copies of y, z, the output or the streamed
 * iterates).
 *
 * Under tsx (tests, development) workers run the .ts source through tsx's loader; built, the .js.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { BackendPreference } from '../backend.js';
import type { LoadedWeights } from '../model-file.js';
import { srWeightsData, type SrCompute, type SrWeightsData } from './sr-compute.js';
import type { ColourTask, FrameSink, GTask, JobConst, SrExecutor, SrJobBuffers, StepResult, StepTask } from './sr-engine.js';
import type { FromSrWorker, ToSrWorker } from './sr-worker.js';
import { closeWorker } from './close.js';
import { rejectPendingOnDeath, spawnEngineWorker, startWorkers } from './spawn.js';

class WorkerExecutor implements SrExecutor {
  #next = 0;
  readonly #pending = new Map<
    number,
    { resolve: (r: StepResult | undefined) => void; reject: (e: Error) => void; onFrame?: FrameSink }
  >();
  times: SrCompute['times'] = { g: 0, h: 0, adjoint: 0, js: 0 };

  constructor(readonly worker: Worker) {
    worker.on('message', (m: FromSrWorker) => {
      if (m.type === 'ready') return;
      const p = this.#pending.get(m.id);
      if (!p) return;
      if (m.type === 'frame') {
        p.onFrame?.(m.k, m.likelihood);
        return;
      }
      this.#pending.delete(m.id);
      if (m.type === 'done') {
        this.times = m.times;
        p.resolve(m.result);
      } else p.reject(new Error(m.message));
    });
    rejectPendingOnDeath(worker, this.#pending, 'A super-resolution worker thread stopped.');
  }

  #call(message: ToSrWorker & { id: number }, onFrame?: FrameSink): Promise<StepResult | undefined> {
    return new Promise((resolve, reject) => {
      this.#pending.set(message.id, { resolve, reject, onFrame });
      this.worker.postMessage(message);
    });
  }

  async ceiling(size: number, channels: number, layers: number, repeats: number, native = false): Promise<number> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const onMessage = (m: FromSrWorker) => {
        if (m.type !== 'ready' && m.id === id) {
          this.worker.off('message', onMessage);
          if (m.type === 'done') resolve(m.gflops ?? 0);
          else if (m.type === 'error') reject(new Error(m.message));
        }
      };
      this.worker.on('message', onMessage);
      this.worker.postMessage({ type: 'ceiling', id, size, channels, layers, repeats, native } satisfies ToSrWorker);
    });
  }

  async g(job: JobConst, bufs: SrJobBuffers, task: GTask): Promise<void> {
    await this.#call({ type: 'g', id: this.#next++, job, bufs, task });
  }

  async steps(job: JobConst, bufs: SrJobBuffers, task: StepTask, onFrame?: FrameSink): Promise<StepResult> {
    return (await this.#call({ type: 'steps', id: this.#next++, job, bufs, task }, onFrame))!;
  }

  async colour(task: ColourTask): Promise<void> {
    await this.#call({ type: 'colour', id: this.#next++, task });
  }
}

export interface SrPoolOptions {
  workers: number;
  backend?: BackendPreference;
  /** onnxruntime: intra-op threads per worker session (default cores / workers). */
  onnxThreads?: number;
}

export class SrWorkerPool {
  readonly executors: WorkerExecutor[];
  readonly weights: SrWeightsData;
  readonly backend: string;

  private constructor(executors: WorkerExecutor[], weights: SrWeightsData, backend: string) {
    this.executors = executors;
    this.weights = weights;
    this.backend = backend;
  }

  /** Starts `workers` threads, each with its own backend and a copy of the model. */
  static async start(weights: LoadedWeights, options: SrPoolOptions): Promise<SrWorkerPool> {
    const data = srWeightsData(weights);
    const { workers, ready } = await startWorkers<Extract<FromSrWorker, { type: 'ready' }>>(
      options.workers,
      () => spawnEngineWorker('sr-worker'),
      (count) =>
        ({
          type: 'init',
          backend: options.backend ?? 'auto',
          weights: data,
          // onnxruntime: the cores shared out among the workers (each runs g in its own session)
          onnxThreads: options.onnxThreads ?? Math.max(1, Math.floor(availableParallelism() / count)),
        }) satisfies ToSrWorker,
    );
    const first = ready[0];
    return new SrWorkerPool(
      workers.map((w) => new WorkerExecutor(w)),
      data,
      first.details ? `${first.backend} (${first.details})` : first.backend,
    );
  }

  get size(): number {
    return this.executors.length;
  }

  /** Conv ceiling (GFLOP/s) of each worker, all running at once (bench); native: through onnxruntime. */
  ceiling(size = 192, channels = 64, layers = 8, repeats = 3, native = false): Promise<number[]> {
    return Promise.all(this.executors.map((e) => e.ceiling(size, channels, layers, repeats, native)));
  }

  /** Summed phase times (ms) over the workers since they started. */
  times(): SrCompute['times'] {
    const sum = { g: 0, h: 0, adjoint: 0, js: 0 };
    for (const e of this.executors) for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += e.times[k];
    return sum;
  }

  /** Lets each worker finish its task and release onnxruntime's sessions, then stops it (close.ts). */
  async close(): Promise<void> {
    await Promise.all(this.executors.map((e) => closeWorker(e.worker)));
  }
}
