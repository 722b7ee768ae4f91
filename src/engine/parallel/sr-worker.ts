/**
 * A worker thread of the SR pool (pool.ts): its own tfjs instance and SrCompute; runs g and step
 * tasks of sr-engine.ts on the job's SharedArrayBuffers (y, z cache, output), in place.
 */
import { parentPort } from 'node:worker_threads';
import { initBackend, type BackendPreference } from '../backend.js';
import { SrCompute, type SrWeightsData } from './sr-compute.js';
import { LocalExecutor, type GTask, type JobConst, type SrJobBuffers, type StepTask } from './sr-engine.js';

export type ToSrWorker =
  | { type: 'init'; backend: BackendPreference; weights: SrWeightsData }
  | { type: 'g'; id: number; job: JobConst; bufs: SrJobBuffers; task: GTask }
  | { type: 'steps'; id: number; job: JobConst; bufs: SrJobBuffers; task: StepTask };

export type FromSrWorker =
  | { type: 'ready'; backend: string; details?: string }
  | { type: 'done'; id: number; result?: { likelihoods: number[]; frames?: Float32Array[] }; times: SrCompute['times'] }
  | { type: 'error'; id: number; message: string };

const port = parentPort;
if (port === null) throw new Error('parallel/sr-worker.ts must run in a worker thread.');

let executor: LocalExecutor | null = null;
let compute: SrCompute | null = null;

port.on('message', (message: ToSrWorker) => {
  void handle(message);
});

async function handle(message: ToSrWorker): Promise<void> {
  if (message.type === 'init') {
    try {
      const report = await initBackend(message.backend);
      compute = new SrCompute(message.weights);
      executor = new LocalExecutor(compute);
      port!.postMessage({ type: 'ready', backend: report.name, details: report.details } satisfies FromSrWorker);
    } catch (error) {
      port!.postMessage({ type: 'error', id: -1, message: error instanceof Error ? error.message : String(error) } satisfies FromSrWorker);
    }
    return;
  }
  try {
    if (message.type === 'g') {
      await executor!.g(message.job, message.bufs, message.task);
      port!.postMessage({ type: 'done', id: message.id, times: compute!.times } satisfies FromSrWorker);
    } else {
      const result = await executor!.steps(message.job, message.bufs, message.task);
      const transfer = (result.frames ?? []).map((f) => f.buffer as ArrayBuffer);
      port!.postMessage({ type: 'done', id: message.id, result, times: compute!.times } satisfies FromSrWorker, transfer);
    }
  } catch (error) {
    port!.postMessage({ type: 'error', id: message.id, message: error instanceof Error ? error.message : String(error) } satisfies FromSrWorker);
  }
}
