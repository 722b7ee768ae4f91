/**
 * A worker thread of the SR pool (pool.ts): its own tfjs instance and SrCompute; runs g and step
 * tasks of sr-engine.ts on the job's SharedArrayBuffers (y, z cache, output), in place.
 */
import { parentPort } from 'node:worker_threads';
import { initBackend, tf, type BackendPreference } from '../backend.js';
import { SrCompute, type SrWeightsData } from './sr-compute.js';
import type { ColourTask, GTask, JobConst, SrExecutor, SrJobBuffers, StepTask } from './sr-engine.js';
import { mergeStrips } from '../sr-colour.js';
import { ortConvGflops, setOrtThreads } from '../backends/onnx-runtime.js';
import { OnnxSrExecutor, srExecutor } from '../backends/onnx-sr.js';
import { serveUntilClosed } from './close.js';

export type ToSrWorker =
  /** onnxThreads: intra-op threads of this worker's onnxruntime sessions (the pool: cores / workers). */
  | { type: 'init'; backend: BackendPreference; weights: SrWeightsData; onnxThreads?: number }
  | { type: 'g'; id: number; job: JobConst; bufs: SrJobBuffers; task: GTask }
  | { type: 'steps'; id: number; job: JobConst; bufs: SrJobBuffers; task: StepTask }
  | { type: 'colour'; id: number; task: ColourTask }
  /** Bench: GFLOP/s of a plain stack of fused 3×3 conv + ReLU (C → C channels) on a size² map. */
  /** native: the same stack through onnxruntime (NCHW) instead of tfjs. */
  | { type: 'ceiling'; id: number; size: number; channels: number; layers: number; repeats: number; native?: boolean };

export type FromSrWorker =
  | { type: 'ready'; backend: string; details?: string }
  /** x̂_k of a step task is in the job's frames buffer (sr-engine.ts writeOwnedFrame). */
  | { type: 'frame'; id: number; k: number; likelihood: number }
  | { type: 'done'; id: number; result?: { likelihoods: number[] }; times: SrCompute['times']; gflops?: number }
  | { type: 'error'; id: number; message: string };

const port = parentPort;
if (port === null) throw new Error('parallel/sr-worker.ts must run in a worker thread.');

let executor: SrExecutor | null = null;
let compute: SrCompute | null = null;

// `close` (pool.close): finish the task in hand, then release the onnxruntime sessions (close.ts).
serveUntilClosed<ToSrWorker>(port, handle, async () => {
  if (executor instanceof OnnxSrExecutor) await executor.release();
  executor = null;
});

async function handle(message: ToSrWorker): Promise<void> {
  if (message.type === 'init') {
    try {
      setOrtThreads(message.onnxThreads);
      const report = await initBackend(message.backend);
      compute = new SrCompute(message.weights);
      executor = await srExecutor(compute); // g through onnxruntime where that backend is active
      if (executor instanceof OnnxSrExecutor) await executor.warm();
      port!.postMessage({ type: 'ready', backend: report.name, details: report.details } satisfies FromSrWorker);
    } catch (error) {
      port!.postMessage({
        type: 'error',
        id: -1,
        message: error instanceof Error ? error.message : String(error),
      } satisfies FromSrWorker);
    }
    return;
  }
  try {
    if (message.type === 'ceiling') {
      const { size, channels, layers, repeats } = message;
      const gflops = message.native
        ? await ortConvGflops(size, channels, layers, repeats)
        : convCeiling(size, channels, layers, repeats);
      port!.postMessage({ type: 'done', id: message.id, times: compute!.times, gflops } satisfies FromSrWorker);
    } else if (message.type === 'colour') {
      const { planes, data, scale, starts } = message.task;
      mergeStrips(planes, data, scale, starts);
      port!.postMessage({ type: 'done', id: message.id, times: compute!.times } satisfies FromSrWorker);
    } else if (message.type === 'g') {
      await executor!.g(message.job, message.bufs, message.task);
      port!.postMessage({ type: 'done', id: message.id, times: compute!.times } satisfies FromSrWorker);
    } else {
      const id = message.id;
      const result = await executor!.steps(message.job, message.bufs, message.task, (k, likelihood) =>
        port!.postMessage({ type: 'frame', id, k, likelihood } satisfies FromSrWorker),
      );
      port!.postMessage({ type: 'done', id, result, times: compute!.times } satisfies FromSrWorker);
    }
  } catch (error) {
    port!.postMessage({
      type: 'error',
      id: message.id,
      message: error instanceof Error ? error.message : String(error),
    } satisfies FromSrWorker);
  }
}

/** The backend's own conv throughput: the best of `repeats` runs of `layers` fused conv + ReLU. */
export function convCeiling(size: number, channels: number, layers: number, repeats: number): number {
  const x = tf.randomNormal([1, size, size, channels]) as tf.Tensor4D;
  const k = tf.randomNormal([3, 3, channels, channels], 0, 0.05) as tf.Tensor4D;
  const b = tf.zeros([channels]) as tf.Tensor1D;
  let best = 0;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    let a = x;
    for (let i = 0; i < layers; i++) {
      const next = tf.fused.conv2d({ x: a, filter: k, strides: 1, pad: 'same', bias: b, activation: 'relu' });
      if (a !== x) a.dispose();
      a = next;
    }
    a.dataSync();
    a.dispose();
    const s = (performance.now() - t0) / 1000;
    best = Math.max(best, (layers * size * size * channels * channels * 9 * 2) / 1e9 / s);
  }
  tf.dispose([x, k, b]);
  return best;
}
