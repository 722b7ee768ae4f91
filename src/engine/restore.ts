/**
 * The engine's one entry point for restorations: picks the model, fills in DL-Net defaults
 * (docs/protocols.md §2), and runs super-resolution, inpainting or interpolation.
 */
import type { Worker } from 'node:worker_threads';
import { MAX_ITERATIONS } from '../base/limits.js';
import { ensureBackend, lastBackendChoice } from './backend.js';
import type { Scale } from './degradations.js';
import { DLNET_DEFAULTS, type DLNetSettings } from './dlnet.js';
import { UserError, type Image } from './image.js';
import { loadWeights, type LoadedWeights } from './model-file.js';
import { findModel, listModels, type ModelInfo } from './models.js';
import { maskedNetwork, type MaskedNetwork } from './networks/index.js';
import { restoreMasked } from './restore-masked.js';
import { MaskedWorkerPool } from './parallel/masked-pool.js';
import { SrWorkerPool } from './parallel/pool.js';
import { releaseCompute, superResolve, superResolveOnPool } from './restore-sr.js';
import type { RestoreOptions, RestoreRequest } from './restore-types.js';

export { listModels, findModel, type ModelInfo };
export type { RestoreRequest, RestoreEvent, RestoreOptions } from './restore-types.js';

export const DEFAULT_GAMMA = { sr: 1e-3, inpaint: 1e-3, interpolate: 1e-2 } as const;
export { MAX_ITERATIONS };

interface Loaded {
  weights: LoadedWeights;
  /** Inpainting / interpolation only: SR runs on the compute kept per weights in restore-sr.ts. */
  net?: MaskedNetwork;
}

const cache = new Map<string, Promise<Loaded>>();
const pools = new Map<string, Promise<SrWorkerPool | MaskedWorkerPool>>();

/**
 * The worker pool kept for a model and a thread count (until unloadModels). One pool is kept at a
 * time: each thread holds a model and a wasm heap of up to a few hundred MB, so an app session that
 * goes through every task would otherwise keep five pools resident. Restorations run one at a time.
 */
function pool<P extends SrWorkerPool | MaskedWorkerPool>(model: ModelInfo, workers: number, start: () => Promise<P>): Promise<P> {
  const key = `${model.dir}\u0000${workers}`;
  const kept = pools.get(key) as Promise<P> | undefined;
  if (kept) return kept;
  for (const [other, p] of pools) {
    pools.delete(other);
    void p.then(
      (ready) => ready.close(),
      () => {},
    );
  }
  const started = start();
  pools.set(key, started);
  started.then(
    (ready) => {
      // A thread that dies (out of memory, a backend crash) retires its pool: the next restoration
      // starts a fresh one instead of failing on the dead thread.
      for (const e of ready.executors)
        e.worker.once('exit', () => {
          if (pools.get(key) !== started) return; // already closed by unloadModels
          pools.delete(key);
          void ready.close();
        });
    },
    () => pools.delete(key),
  );
  return started;
}

/** The worker threads of every pool kept now (diagnostics and tests). */
export async function poolThreads(): Promise<Worker[]> {
  const ready = await Promise.all([...pools.values()].map((p) => p.catch(() => null)));
  return ready.flatMap((p) => (p ? p.executors.map((e) => e.worker) : []));
}

async function load(model: ModelInfo): Promise<Loaded> {
  let entry = cache.get(model.dir);
  if (!entry) {
    entry = (async () => {
      await ensureBackend(); // keeps the backend the CLI or app chose; 'auto' if none yet
      const weights = await loadWeights(model.dir);
      return { weights, net: maskedNetwork(weights) };
    })();
    cache.set(model.dir, entry);
    entry.catch(() => cache.delete(model.dir));
  }
  return entry;
}

/** Frees every loaded network (tests, and the app when memory is tight). */
export async function unloadModels(): Promise<void> {
  const started = [...pools.values()];
  pools.clear();
  for (const p of started) await (await p.catch(() => null))?.close();
  const all = [...cache.values()];
  cache.clear();
  for (const p of all) {
    const loaded = await p.catch(() => null);
    if (!loaded) continue;
    releaseCompute(loaded.weights); // the in-process SR compute kept per weights
    loaded.net?.dispose();
  }
}

export function dlnetSettings(weights: LoadedWeights, request: RestoreRequest): DLNetSettings {
  const K = request.iterations ?? weights.json.dlnet?.K ?? 1;
  if (!Number.isInteger(K) || K < 1 || K > MAX_ITERATIONS) {
    throw new UserError(`The number of iterations must be a whole number from 1 to ${MAX_ITERATIONS}, not ${K}.`);
  }
  const gamma = request.gamma ?? weights.json.dlnet?.gamma ?? DEFAULT_GAMMA[request.task];
  if (!(gamma > 0 && gamma < 1)) throw new UserError(`The step size γ must be between 0 and 1, not ${gamma}.`);
  return {
    K,
    gamma,
    beta1: weights.json.dlnet?.beta1 ?? DLNET_DEFAULTS.beta1,
    beta2: weights.json.dlnet?.beta2 ?? DLNET_DEFAULTS.beta2,
  };
}

/** Restores `image` (0..1, HWC) as the request says; streams events through options.onEvent. */
export async function restore(image: Image, request: RestoreRequest, options: RestoreOptions = {}): Promise<Image> {
  const model = await findModel(request.task, request.task === 'sr' ? request.scale : undefined, request.modelId);
  const { weights, net } = await load(model);
  const settings = dlnetSettings(weights, request);
  if (request.task === 'sr') {
    const run = { scale: request.scale as Scale, blur: request.blur, settings };
    const workers = options.workers ?? 1;
    if (workers > 1) {
      const p = await pool(model, workers, () => SrWorkerPool.start(weights, { workers, backend: lastBackendChoice() }));
      return superResolveOnPool(p, image, run, options);
    }
    return superResolve(weights, image, run, options);
  }
  const workers = options.workers ?? 1;
  const executors =
    workers > 1
      ? async () =>
          (await pool(model, workers, () => MaskedWorkerPool.start(weights, { workers, backend: lastBackendChoice() }))).executors
      : undefined;
  return restoreMasked(net!, request.task, image, request.mask, settings, options, undefined, executors);
}
