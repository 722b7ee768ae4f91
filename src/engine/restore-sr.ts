/**
 * Super-resolution of a whole photo (docs/protocols.md §2, §3, §5): luma through the DL-Net model on the band
 * engine of parallel/ (exact to the untiled run); chroma and alpha bicubic-upscaled. srProblem keeps
 * the plain autodiff formulation that the parity and adjoint tests check the engine against.
 */
import { tf } from './backend.js';
import { splitLuma, type LumaPlanes } from './color.js';
import { bicubicUpscaleImage, checkSrParams, type Scale } from './degradations.js';
import { srOperatorTf } from './degradations-tf.js';
import { type DLNetProblem, type DLNetSettings } from './dlnet.js';
import type { Image } from './image.js';
import type { LoadedWeights } from './model-file.js';
import { type SrNet } from './networks/sr-net.js';
import {
  clamp01,
  colourRows,
  mergedChannels,
  mergeInPlace,
  mergeStrips,
  mergeWaves,
  mergeWithUpscaledChroma,
  upscaleExtras,
  withLuma,
} from './sr-colour.js';
import { settleAll } from './parallel/close.js';
import type { RestoreOptions, SrBand } from './restore-types.js';
import { type Tile } from './tiling.js';
import { SrCompute, srOverlap, srWeightsData, wRadiusLr, type SrWeightsData } from './parallel/sr-compute.js';
import { cancelFlag } from './parallel/cancel-flag.js';
import { cachedSrExecutor, onnxGLayout, OnnxSrExecutor, releaseSrExecutor } from './backends/onnx-sr.js';
import { planSrJob, runBands, type BandFrame, type SrExecutor, type SrPlanOptions } from './parallel/sr-engine.js';

export { colourRows, mergeWithUpscaledChroma };

export const DEFAULT_SR_TILE = 384;

/** Band and chunk sizes a caller may force (tests): planSrJob's options of the same names. */
export type BandLayout = Pick<SrPlanOptions, 'bandRows' | 'chunkWidth' | 'stepChunkWidth'>;

export { srOverlap, wRadiusLr };

/**
 * The DL-Net problem for one LR luma tile: g on y, h with the bicubic skip, W = the SR operator.
 * `normalizer` is the whole image's LR pixel count; `rect` (when tiled) limits the reported L to
 * the tile's owned region.
 */
export function srProblem(
  net: SrNet,
  tile: Image,
  t: number,
  blur: number,
  normalizer: number,
  rect?: Tile,
): DLNetProblem & { dispose(): void } {
  const y = tf.tensor4d(tile.data, [1, tile.height, tile.width, 1]);
  const skip = tf.tensor4d(bicubicUpscaleImage(tile, t).data, [1, tile.height * t, tile.width * t, 1]);
  const own = rect
    ? tf.tidy(() => {
        const ox = rect.own.x - rect.x;
        const oy = rect.own.y - rect.y;
        return tf.pad(tf.ones([1, rect.own.height, rect.own.width, 1]), [
          [0, 0],
          [oy, tile.height - oy - rect.own.height],
          [ox, tile.width - ox - rect.own.width],
          [0, 0],
        ]);
      })
    : undefined;
  return {
    g: () => net.g(y, blur),
    h: (z: tf.Tensor) => net.h(z as tf.Tensor4D, skip),
    W: (x: tf.Tensor) => srOperatorTf(x as tf.Tensor4D, t, blur),
    y,
    normalizer,
    reportWeights: own,
    dispose: () => tf.dispose([y, skip, ...(own ? [own] : [])]),
  };
}

export interface SrRun {
  scale: Scale;
  blur: number;
  settings: DLNetSettings;
  /** Tile context in LR pixels; default srOverlap(...), which makes tiled = untiled. */
  overlap?: number;
}

/**
 * Super-resolves `image` on this thread: the band engine of parallel/sr-engine.ts (z = g(y) once
 * per LR pixel in a row-band cache, hand-written DL-Net adjoints), exact to the untiled run.
 * SrWorkerPool (parallel/pool.ts) runs the same plan on worker threads.
 */
export async function superResolve(
  weights: LoadedWeights,
  image: Image,
  run: SrRun,
  options: RestoreOptions & BandLayout,
): Promise<Image> {
  const compute = localCompute(weights);
  const executor = await cachedSrExecutor(compute); // g on onnxruntime where that backend is active
  return superResolveWith(
    compute.d,
    image,
    run,
    { ...options, onnx: executor instanceof OnnxSrExecutor },
    () => [executor],
    () => ArrayBuffer,
  );
}

const computes = new WeakMap<LoadedWeights, SrCompute>();

function localCompute(weights: LoadedWeights): SrCompute {
  let c = computes.get(weights);
  if (!c) {
    c = new SrCompute(srWeightsData(weights));
    computes.set(weights, c);
  }
  return c;
}

/** Frees the tensors of the in-process compute kept for `weights` (models being unloaded). */
export function releaseCompute(weights: LoadedWeights): void {
  const c = computes.get(weights);
  if (c) void releaseSrExecutor(c);
  c?.dispose();
  computes.delete(weights);
}

/** What superResolveOnPool needs of a worker pool (parallel/pool.ts SrWorkerPool). */
export interface SrPool {
  readonly weights: SrWeightsData;
  readonly size: number;
  readonly backend: string;
  readonly executors: readonly SrExecutor[];
}

/**
 * superResolve on a worker pool: same plan and result, tasks spread over its workers. The result's
 * samples lie on a SharedArrayBuffer (the workers' output plane, merged into colour in place).
 */
export function superResolveOnPool(
  pool: SrPool,
  image: Image,
  run: SrRun,
  options: RestoreOptions & BandLayout = {},
): Promise<Image> {
  return superResolveWith(
    pool.weights,
    image,
    run,
    { ...options, parallel: pool.size, onnx: pool.backend.startsWith('onnxruntime') },
    () => [...pool.executors],
    () => SharedArrayBuffer,
  );
}

/** Shared by superResolve and the worker pool: colour split, band plan, luma run, colour merge. */
export async function superResolveWith(
  d: SrWeightsData,
  image: Image,
  run: SrRun,
  /** onnx: g runs on onnxruntime, whose chunks are narrower (onnxChunkWidth). */
  options: RestoreOptions & BandLayout & { parallel?: number; onnx?: boolean },
  executors: () => SrExecutor[],
  bufferType: () => typeof ArrayBuffer | typeof SharedArrayBuffer,
): Promise<Image> {
  const { scale: t, blur, settings } = run;
  checkSrParams(t, blur);
  const Buf = bufferType();
  const alloc = (n: number) => new Float32Array(new Buf(n * 4));
  // On a pool the planes lie on SharedArrayBuffers: the workers read y, and chroma in the colour merge.
  const planes = splitLuma(image, alloc);
  const plan = planSrJob(planes.width, planes.height, {
    radius: d.radius,
    C: d.C,
    scale: t,
    K: settings.K,
    blur,
    overlap: run.overlap,
    tileSize: options.tileSize,
    bandRows: options.bandRows,
    ...(options.chunkWidth === undefined && options.onnx ? onnxGLayout(t, d.C) : { chunkWidth: options.chunkWidth }),
    // The steps keep the chunks the step buffers were sized for; only g's are narrowed on onnxruntime.
    stepChunkWidth:
      options.stepChunkWidth ?? (options.chunkWidth === undefined && options.onnx ? Math.round(2048 / t) : undefined),
    parallel: options.parallel,
  });
  const y = planes.y;
  // One buffer for the result: the HR luma plane first (the engine's output), then room for the
  // colour samples that the merge fills at the end (mergeInPlace). Until then that room holds the z
  // cache where it fits (×4 colour photos cut into several bands), so the finished run needs no
  // second full-size buffer: at ×4 to 24 MP the 288 MB image used to come on top of the 96 MB plane
  // and the 72–96 MB z cache.
  const outLen = planes.width * t * planes.height * t;
  const zLen = plan.cacheRows * plan.width * plan.C;
  const room = outLen * (mergedChannels(planes) - 1);
  const result = alloc(outLen + room);
  const bufs = {
    y,
    z: zLen <= room ? result.subarray(outLen, outLen + zLen) : alloc(zLen),
    out: result.subarray(0, outLen),
    cancel: cancelFlag(Buf),
  };
  const job = { plan, blur, settings, normalizer: planes.width * planes.height };
  const onEvent = options.onEvent;
  // Preview frames (single-band jobs) need whole chroma / alpha planes during the run.
  const extras = onEvent !== undefined && plan.bands.length === 1 ? upscaleExtras(planes, t) : undefined;
  // L(z_k) and the LR rows seen so far, per k, over the bands that have streamed x̂_k.
  const sums = new Float64Array(settings.K);
  const rowsSeen = new Float64Array(settings.K);
  const runners = executors();
  await runBands(job, bufs, runners, {
    signal: options.signal,
    onEvent,
    firstRow: options.focus === undefined ? 0 : Math.floor(Math.min(1, Math.max(0, options.focus)) * planes.height),
    reuseBandFrames: options.transientBands === true,
    allocFrames: alloc,
    onBand: onEvent
      ? (frame) => {
          sums[frame.k - 1] += frame.likelihood;
          rowsSeen[frame.k - 1] += frame.r1 - frame.r0;
          onEvent({
            type: 'band',
            k: frame.k,
            K: frame.K,
            band: srBand(planes, t, frame),
            likelihood: sums[frame.k - 1],
            coverage: rowsSeen[frame.k - 1] / planes.height,
          });
        }
      : undefined,
    onPreview: extras
      ? (luma, rows) => {
          const plane = bicubicUpscaleImage({ width: planes.width, height: planes.height, channels: 1, data: planes.y }, t).data;
          plane.set(luma.subarray(0, rows * t * planes.width * t));
          onEvent!({ type: 'preview', image: withLuma(extras, clamp01(plane)), rows: rows * t });
        }
      : undefined,
  });
  bufs.z = new Float32Array(0);
  clamp01(bufs.out);
  const helpers = runners.filter((r) => r.colour !== undefined);
  if (helpers.length === 0 || !(result.buffer instanceof SharedArrayBuffer)) return mergeInPlace(planes, result, t);
  await mergeOnPool(planes, result, t, helpers);
  return { width: planes.width * t, height: planes.height * t, channels: mergedChannels(planes), data: result };
}

/**
 * mergeInPlace with the pool's workers: each wave's strips (mergeWaves) shared out between the workers and
 * this thread, the waves one after another. The workers are idle by then; on one thread the merge of a 12 MP
 * result took the better part of a second while they waited.
 */
async function mergeOnPool(planes: LumaPlanes, data: Float32Array, t: number, helpers: SrExecutor[]): Promise<void> {
  for (const wave of mergeWaves(planes.height, mergedChannels(planes))) {
    const shares = helpers.length + 1;
    const part = (i: number) => wave.slice(Math.round((i * wave.length) / shares), Math.round(((i + 1) * wave.length) / shares));
    const jobs = helpers.map((helper, i) => {
      const starts = part(i + 1);
      return starts.length > 0 ? helper.colour!({ planes, data, scale: t, starts }) : Promise.resolve();
    });
    try {
      mergeStrips(planes, data, t, part(0));
    } finally {
      await settleAll(jobs);
    }
  }
}

/** The engine's band frame as a RestoreEvent's SrBand (its luma already clipped to 0..1 by the step tasks). */
function srBand(planes: LumaPlanes, t: number, frame: BandFrame): SrBand {
  const luma = frame.luma;
  return {
    width: planes.width * t,
    height: planes.height * t,
    scale: t,
    y0: frame.r0 * t,
    y1: frame.r1 * t,
    luma,
    residual: frame.residual,
    likelihood: frame.likelihood,
    planes,
    colourStrips: () => colourRows(planes, t, frame.r0, frame.r1, luma),
  };
}
