/**
 * A restoration worker thread: one tfjs instance, one job at a time. It loads the engine, runs
 * `restore`, and posts each x̂_k (full resolution, plus an RGBA preview and the residual heat-map
 * of W x̂_k against the input, both computed here so the server thread never does pixel work).
 */
import { parentPort } from 'node:worker_threads';
import { initBackend } from '../engine/backend.js';
import { srOperator } from '../engine/degradations.js';
import type { Image } from '../engine/image.js';
import { setModelDirs } from '../engine/models.js';
import { restore } from '../engine/restore.js';
import type { RestoreEvent, RestoreRequest } from '../engine/restore-types.js';
import type { Residual } from '../api/api.js';
import { heatFrame, residualMap, residualStats, shrinkMap, toFrame, type FloatImage } from './pixels.js';
import type { FromWorker, ToWorker, WorkerRequest } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('worker.ts must run in a worker thread.');

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

/** An owned copy whose buffer can be transferred without touching the engine's arrays. */
function owned(image: FloatImage): FloatImage {
  return { width: image.width, height: image.height, channels: image.channels, data: Float32Array.from(image.data) };
}

function residualOf(xhat: FloatImage, input: FloatImage, request: WorkerRequest, maxSide: number): Residual {
  let map: Float32Array;
  let observed: Uint8Array | undefined;
  let width = input.width;
  let height = input.height;
  if (request.task === 'sr') {
    const W = srOperator(xhat as Image, request.scale, request.blur);
    width = Math.min(W.width, input.width);
    height = Math.min(W.height, input.height);
    map = residualMap(W, input);
    if (W.width !== input.width || W.height !== input.height) map = new Float32Array(width * height); // cropped input: skip
  } else {
    observed = request.mask.data;
    map = residualMap(xhat, input, observed);
  }
  const stats = residualStats(map, observed);
  return { frame: heatFrame(shrinkMap(map, width, height, maxSide), stats.max), mean: stats.mean, max: stats.max };
}

function toEngineRequest(request: WorkerRequest): RestoreRequest {
  const common = {
    iterations: request.iterations,
    gamma: request.gamma,
    ...(request.modelId ? { modelId: request.modelId } : {}),
  };
  if (request.task === 'sr') return { task: 'sr', scale: request.scale, blur: request.blur, ...common };
  return { task: request.task, mask: request.mask, ...common };
}

async function run(message: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  const { jobId, image, request, previewMaxSide } = message;
  const flag = new Int32Array(message.cancel);
  const controller = new AbortController();
  const expected =
    request.task === 'sr'
      ? { w: image.width * request.scale, h: image.height * request.scale }
      : { w: image.width, h: image.height };
  const onEvent = (event: RestoreEvent): void => {
    if (Atomics.load(flag, 0) !== 0) {
      controller.abort();
      return;
    }
    if (event.type === 'progress') post({ type: 'progress', jobId, fraction: event.fraction, message: event.message });
    else if (event.type === 'tile')
      post({ type: 'progress', jobId, fraction: event.tile / event.tiles, message: `tile ${event.tile} of ${event.tiles}` });
    else if (event.type === 'preview') {
      const frame = toFrame(event.image, previewMaxSide);
      post({ type: 'preview', jobId, rows: event.rows, frame }, [frame.rgba.buffer as ArrayBuffer]);
    } else if (event.type === 'iteration' && event.image.width === expected.w && event.image.height === expected.h) {
      const full = owned(event.image);
      const frame = toFrame(full, previewMaxSide);
      const residual = residualOf(event.raw ?? full, image, request, previewMaxSide);
      post({ type: 'iteration', jobId, k: event.k, K: event.K, likelihood: event.likelihood, frame, image: full, residual }, [
        full.data.buffer as ArrayBuffer,
        frame.rgba.buffer as ArrayBuffer,
        residual.frame.rgba.buffer as ArrayBuffer,
      ]);
    }
  };
  try {
    const result = owned(
      await restore(image as Image, toEngineRequest(request), { signal: controller.signal, onEvent, workers: restoreWorkers }),
    );
    if (Atomics.load(flag, 0) !== 0) {
      post({ type: 'cancelled', jobId });
      return;
    }
    const frame = toFrame(result, previewMaxSide);
    post({ type: 'done', jobId, image: result, frame }, [result.data.buffer as ArrayBuffer, frame.rgba.buffer as ArrayBuffer]);
  } catch (error) {
    if (controller.signal.aborted || (error instanceof Error && error.name === 'CancelledError')) {
      post({ type: 'cancelled', jobId });
      return;
    }
    const e = error instanceof Error ? error : new Error(String(error));
    const code = e.name === 'UserError' ? String((e as Error & { code?: string }).code ?? 'bad-input') : 'internal';
    post({ type: 'failed', jobId, code, message: e.message, stack: e.stack });
  }
}

let queue: Promise<void> = Promise.resolve();
let restoreWorkers = 1;
port.on('message', (message: ToWorker) => {
  if (message.type === 'init') {
    setModelDirs(message.modelDirs);
    restoreWorkers = message.restoreWorkers;
    queue = queue.then(async () => {
      try {
        const report = await initBackend(message.backend);
        post({ type: 'ready', backend: { name: report.name, details: report.details, skipped: report.skipped } });
      } catch (error) {
        post({ type: 'init-failed', message: error instanceof Error ? error.message : String(error) });
      }
    });
  } else if (message.type === 'run') {
    queue = queue.then(() => run(message));
  }
});
