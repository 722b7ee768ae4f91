/**
 * Worker threads for inpainting and interpolation of large photos: each holds its own tfjs (the
 * wasm backend is single-threaded) and a copy of the context encoder, and fills whole batches of
 * crops; restoreMasked deals the batches out and blends the results in batch order, so the result
 * equals the one-thread run.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { BackendPreference } from '../backend.js';
import type { DLNetSettings } from '../dlnet.js';
import type { LoadedWeights } from '../model-file.js';
import type { BatchInput, MaskedExecutor } from '../masked-batch.js';
import type { FromMaskedWorker, ToMaskedWorker } from './masked-worker.js';
import { cancelFlag, raiseOnAbort } from './cancel-flag.js';
import { closeWorker } from './close.js';
import { rejectPendingOnDeath, spawnEngineWorker, startWorkers } from './spawn.js';

class MaskedWorkerExecutor implements MaskedExecutor {
  #next = 0;
  readonly #pending = new Map<number, { resolve: (out: Float32Array) => void; reject: (e: Error) => void }>();

  constructor(readonly worker: Worker) {
    worker.on('message', (m: FromMaskedWorker) => {
      if (m.type === 'ready') return;
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.type === 'done') p.resolve(m.out);
      else p.reject(new Error(m.message));
    });
    rejectPendingOnDeath(worker, this.#pending, 'An inpainting worker thread stopped.');
  }

  async fill(input: BatchInput, settings: DLNetSettings, seamCorrection: boolean, signal?: AbortSignal): Promise<Float32Array> {
    const id = this.#next++;
    const cancel = cancelFlag();
    const stopListening = raiseOnAbort(cancel, signal);
    try {
      return await new Promise((resolve, reject) => {
        this.#pending.set(id, { resolve, reject });
        // The input's arrays move to the worker (a tile's are megabytes: no copy on this thread, no
        // external memory for the worker's garbage collector to chase); the caller made them for this fill.
        const arrays = [input.y, input.mask, input.observed, input.known].map((a) => a.buffer as ArrayBuffer);
        this.worker.postMessage({ type: 'fill', id, input, settings, seamCorrection, cancel } satisfies ToMaskedWorker, [
          ...new Set(arrays),
        ]);
      });
    } finally {
      stopListening();
    }
  }
}

export class MaskedWorkerPool {
  private constructor(readonly executors: MaskedWorkerExecutor[]) {}

  /** Starts `workers` threads, each with its own backend and a copy of the model. */
  static async start(
    weights: LoadedWeights,
    options: { workers: number; backend?: BackendPreference },
  ): Promise<MaskedWorkerPool> {
    const { workers } = await startWorkers<FromMaskedWorker>(
      options.workers,
      () => spawnEngineWorker('masked-worker'),
      (count) =>
        ({
          type: 'init',
          backend: options.backend ?? 'auto',
          weights,
          // onnxruntime: the cores shared out among the workers (each runs g in its own session)
          onnxThreads: Math.max(1, Math.floor(availableParallelism() / count)),
        }) satisfies ToMaskedWorker,
    );
    return new MaskedWorkerPool(workers.map((w) => new MaskedWorkerExecutor(w)));
  }

  /** Lets each worker finish its batch and release onnxruntime's sessions, then stops it (close.ts). */
  async close(): Promise<void> {
    await Promise.all(this.executors.map((e) => closeWorker(e.worker)));
  }
}
