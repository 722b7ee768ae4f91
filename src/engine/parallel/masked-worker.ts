/**
 * A worker thread of the inpainting / interpolation pool (masked-pool.ts): its own tfjs instance
 * and copy of the network; fills batches of 64×64 crops (restore-masked.ts fillBatch).
 */
import { parentPort } from 'node:worker_threads';
import { initBackend, type BackendPreference } from '../backend.js';
import { setOrtThreads } from '../backends/onnx-runtime.js';
import type { DLNetSettings } from '../dlnet.js';
import type { LoadedWeights } from '../model-file.js';
import { maskedNetwork, type MaskedNetwork } from '../networks/index.js';
import { fillBatch, type BatchInput } from '../masked-batch.js';
import { flagCheck } from './cancel-flag.js';
import { serveUntilClosed } from './close.js';
import { FConvMaskedOnnx } from '../networks/fconv-masked-onnx.js';

export type ToMaskedWorker =
  /** onnxThreads: intra-op threads of this worker's onnxruntime sessions (the pool: cores / workers). */
  | { type: 'init'; backend: BackendPreference; weights: LoadedWeights; onnxThreads?: number }
  | { type: 'fill'; id: number; input: BatchInput; settings: DLNetSettings; seamCorrection: boolean; cancel: Int32Array };

export type FromMaskedWorker =
  | { type: 'ready'; backend: string }
  | { type: 'done'; id: number; out: Float32Array }
  | { type: 'error'; id: number; message: string };

const port = parentPort;
if (port === null) throw new Error('parallel/masked-worker.ts must run in a worker thread.');
let net: MaskedNetwork | undefined;

// `close` (pool.close): finish the batch in hand, then release the onnxruntime sessions (close.ts).
serveUntilClosed<ToMaskedWorker>(port, handle, async () => {
  if (net instanceof FConvMaskedOnnx) await net.close();
  net = undefined;
});

async function handle(message: ToMaskedWorker): Promise<void> {
  const id = message.type === 'fill' ? message.id : -1;
  try {
    if (message.type === 'init') {
      setOrtThreads(message.onnxThreads);
      const report = await initBackend(message.backend);
      net = maskedNetwork(message.weights); // fconv-masked: g through onnxruntime where that backend is active
      if (net instanceof FConvMaskedOnnx) await net.warm();
      port!.postMessage({ type: 'ready', backend: report.name } satisfies FromMaskedWorker);
      return;
    }
    const out = await fillBatch(net!, message.input, message.settings, message.seamCorrection, flagCheck(message.cancel));
    port!.postMessage({ type: 'done', id, out } satisfies FromMaskedWorker, [out.buffer as ArrayBuffer]);
  } catch (error) {
    port!.postMessage({
      type: 'error',
      id,
      message: error instanceof Error ? error.message : String(error),
    } satisfies FromMaskedWorker);
  }
}
