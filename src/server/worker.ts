/**
 * A restoration worker thread: one tfjs instance, one job at a time. It loads the engine, runs
 * `restore`, and posts each x̂_k as display-size patches (super-resolution: band by band, in the
 * order the engine streams them) with its residual |W x̂_k − y|, all computed here so the server
 * thread never does pixel work; x̂_1..x̂_{K−1} at full size go to files on disk for saving, x̂_K is
 * the result. Nothing here holds K full-size images.
 */
import { parentPort } from 'node:worker_threads';
import {
  cropToMultiple,
  frameSide,
  type FrameUpdate,
  type Image,
  IterationSink,
  iterationSamples,
  iterationScore,
  IterationStore,
  plainIterationStrips,
  splitLuma,
  srIterationStrips,
  type StoredIterations,
  loadCompute,
  resampleImage,
  type RestoreEvent,
  type RestoreRequest,
  setModelDirs,
} from '../engine/index.js';
import { residualMap, shrinkMap, toFrame, type FloatImage } from './pixels.js';
import type { FromWorker, ToWorker, WorkerRequest } from './worker-protocol.js';
import type { IterationMetrics } from '../api/api.js';

const { initBackendReply, restore } = await loadCompute();
const port = parentPort;
if (port === null) throw new Error('worker.ts must run in a worker thread.');

function post(message: FromWorker, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

/** A copy whose buffer the image fills alone (so it can be transferred). */
function owned(image: FloatImage): FloatImage {
  return { width: image.width, height: image.height, channels: image.channels, data: Float32Array.from(image.data) };
}

/**
 * Posts a message carrying a finished image without a second full-size copy of it (288 MB at ×4 on
 * 24 MP): a shared buffer is shared as it is, a plain one that the image fills alone is handed over
 * (restore() keeps no reference to its result). Anything else, or a buffer that cannot be detached
 * (the wasm heap), travels as a copy.
 */
function postDone(message: Extract<FromWorker, { type: 'done' }>, transfer: ArrayBuffer[]): void {
  const data = message.image.data;
  if (typeof SharedArrayBuffer !== 'undefined' && data.buffer instanceof SharedArrayBuffer) return post(message, transfer);
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) {
    try {
      return post(message, [data.buffer as ArrayBuffer, ...transfer]);
    } catch {
      // not detachable: copied below
    }
  }
  const image = owned(message.image);
  post({ ...message, image }, [image.data.buffer as ArrayBuffer, ...transfer]);
}

/** Inpainting / interpolation: a whole x̂_k as a display update, with |x̂_k − y| on the observed pixels. */
function wholeUpdate(
  event: Extract<RestoreEvent, { type: 'iteration' }>,
  input: FloatImage,
  observed: Uint8Array,
  maxSide: number,
): FrameUpdate {
  const frame = toFrame(event.image, maxSide);
  const map = residualMap(event.raw ?? event.image, input, observed);
  let absSum = 0;
  let pixels = 0;
  for (let p = 0; p < map.length; p++)
    if (observed[p] !== 0) {
      absSum += map[p];
      pixels++;
    }
  const shrunk = shrinkMap(map, input.width, input.height, maxSide);
  const frameSize = { width: frame.width, height: frame.height };
  const residualSize = { width: shrunk.width, height: shrunk.height };
  return {
    k: event.k,
    K: event.K,
    likelihood: event.likelihood,
    coverage: 1,
    frameSize,
    residualSize,
    frame: { y: 0, ...frameSize, rgba: frame.rgba },
    residual: { y: 0, ...residualSize, data: shrunk.data === map ? Float32Array.from(map) : shrunk.data },
    absSum,
    pixels,
  };
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
  const frameMax = frameSide(previewMaxSide, request.iterations);
  // Display frames for the UI; x̂_1..x̂_{K−1} at full size to disk as they stream (x̂_K is the
  // result), for saving any k later.
  const sink = new IterationSink({ maxSide: previewMaxSide, tempDir: message.tempDir });
  const postUpdate = (update: FrameUpdate) =>
    post({ type: 'iteration', jobId, update }, [
      update.frame.rgba.buffer as ArrayBuffer,
      update.residual.data.buffer as ArrayBuffer,
    ]);
  const onEvent = (event: RestoreEvent): void => {
    if (Atomics.load(flag, 0) !== 0) {
      controller.abort();
      return;
    }
    if (event.type === 'progress') post({ type: 'progress', jobId, fraction: event.fraction, message: event.message });
    else if (event.type === 'tile')
      post({ type: 'progress', jobId, fraction: event.tile / event.tiles, message: `part ${event.tile} of ${event.tiles}` });
    else if (event.type === 'preview') {
      const frame = toFrame(event.image, previewMaxSide);
      post({ type: 'preview', jobId, rows: event.rows, frame }, [frame.rgba.buffer as ArrayBuffer]);
    } else if (event.type === 'band') {
      postUpdate(sink.add(event)!);
    } else if (event.type === 'iteration' && request.task !== 'sr') {
      if (event.image.width !== image.width || event.image.height !== image.height) return;
      postUpdate(wholeUpdate(event, image, request.mask.data, frameMax));
      const { width, height, channels } = event.image;
      if (event.k < event.K) sink.store(event.K, width, height, channels).write(event.k, 0, event.image.data);
    }
  };
  try {
    let restored = await restore(image as Image, toEngineRequest(request), {
      signal: controller.signal,
      onEvent,
      workers: restoreWorkers,
      transientBands: true, // the sink turns each band into display patches and rows on disk during the event
      ...(message.focus !== undefined ? { focus: message.focus } : {}),
    });
    // Any output size: the model's result resampled down with Lanczos-3 (x̂_k on disk stay at the model's size).
    if (request.task === 'sr' && request.outputSize !== undefined && Atomics.load(flag, 0) === 0) {
      restored = await resampleImage(restored, request.outputSize.width, request.outputSize.height);
    }
    if (Atomics.load(flag, 0) !== 0) {
      sink.dispose();
      post({ type: 'cancelled', jobId });
      return;
    }
    const result = restored;
    const frame = toFrame(result, previewMaxSide);
    const stored = sink.release();
    const metrics = message.reference ? await labMetrics(message.reference, image, result, request, stored) : undefined;
    postDone({ type: 'done', jobId, image: result, frame, ...(stored ? { stored } : {}), ...(metrics ? { metrics } : {}) }, [
      frame.rgba.buffer as ArrayBuffer,
    ]);
  } catch (error) {
    sink.dispose();
    if (controller.signal.aborted || (error instanceof Error && error.name === 'CancelledError')) {
      post({ type: 'cancelled', jobId });
      return;
    }
    const e = error instanceof Error ? error : new Error(String(error));
    const code = e.name === 'UserError' ? String((e as Error & { code?: string }).code ?? 'bad-input') : 'internal';
    post({ type: 'failed', jobId, code, message: e.message, stack: e.stack });
  }
}

/**
 * Lab mode: PSNR and SSIM of x̂_1..x̂_K against the clean original (super-resolution: cropped to a multiple
 * of the scale, as the degradation did), x̂_k read back at 8 bits from the files the sink wrote.
 */
async function labMetrics(
  reference: FloatImage,
  input: FloatImage,
  result: FloatImage,
  request: WorkerRequest,
  stored: StoredIterations | undefined,
): Promise<IterationMetrics[]> {
  const scale = request.task === 'sr' ? request.scale : 1;
  const ref = (request.task === 'sr' ? cropToMultiple(reference as Image, scale) : reference) as Image;
  if (ref.width !== result.width || ref.height !== result.height) return [];
  const shape = { width: result.width, height: result.height, channels: result.channels };
  const metrics: IterationMetrics[] = [];
  const K = request.iterations; // the store holds x̂_1..x̂_{K−1}; x̂_K is the result
  if (stored) {
    const store = new IterationStore({ ...stored, dir: stored.dir });
    try {
      const strips =
        request.task === 'sr' ? srIterationStrips(store, splitLuma(input as Image), scale) : plainIterationStrips(store);
      for (let k = 1; k < K && k <= stored.K; k++) {
        if (!store.complete(k)) continue;
        const samples = await iterationSamples(strips, k, shape, 8);
        const estimate: Image = { ...shape, data: Float32Array.from(samples, (v) => v / 255) };
        metrics.push({ k, ...iterationScore(ref, estimate, request.task, scale) });
      }
    } finally {
      store.release(); // the files stay for saving; the server removes them with the job
    }
  }
  metrics.push({ k: K, ...iterationScore(ref, result as Image, request.task, scale) });
  return metrics;
}

let queue: Promise<void> = Promise.resolve();
let restoreWorkers = 1;
port.on('message', (message: ToWorker) => {
  if (message.type === 'init') {
    setModelDirs(message.modelDirs);
    restoreWorkers = message.restoreWorkers;
    queue = queue.then(async () => post(await initBackendReply(message.backend)));
  } else if (message.type === 'run') {
    queue = queue.then(() => run(message));
  }
});
