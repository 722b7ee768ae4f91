/**
 * Super-resolution of a whole photo (DESIGN §4, §5, §7): luma through the DL-Net model on the band
 * engine of parallel/ (exact to the untiled run); chroma and alpha bicubic-upscaled. srProblem keeps
 * the plain autodiff formulation that the parity and adjoint tests check the engine against.
 */
import { tf } from './backend.js';
import { splitLuma, mergeLuma, type LumaPlanes } from './color.js';
import { bicubicUpscaleImage, checkSrParams, type Scale } from './degradations.js';
import { srOperatorTf } from './degradations-tf.js';
import { type DLNetProblem, type DLNetSettings } from './dlnet.js';
import { createImage, type Image } from './image.js';
import type { LoadedWeights } from './model-file.js';
import { type SrNet } from './networks/sr-net.js';
import type { RestoreOptions } from './restore-types.js';
import { type Tile } from './tiling.js';
import { SrCompute, srWeightsData, type SrWeightsData } from './parallel/sr-compute.js';
import { LocalExecutor, planSrJob, runBands, type SrExecutor } from './parallel/sr-engine.js';

export const DEFAULT_SR_TILE = 384;

/**
 * LR pixels of context a tile needs so its owned region equals the untiled result: g's receptive
 * radius, then per DL-Net step twice the radius of W∘h (W's kernel in LR pixels plus h's 3×3 conv),
 * plus the bicubic skip's 2 pixels.
 */
export function srOverlap(depth: number, scale: number, K: number): number {
  const wRadius = Math.max(2, Math.ceil(7 / scale));
  return depth + (K - 1) * 2 * (wRadius + 1) + 2;
}

function planeImage(width: number, height: number, planes: (Float32Array | undefined)[]): Image | null {
  const present = planes.filter((p): p is Float32Array => p !== undefined);
  if (present.length === 0) return null;
  const image = createImage(width, height, present.length as Image['channels']);
  for (let p = 0; p < width * height; p++) present.forEach((plane, c) => (image.data[p * present.length + c] = plane[p]));
  return image;
}

function clamp01(a: Float32Array): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = a[i] < 0 ? 0 : a[i] > 1 ? 1 : a[i];
  return a;
}

/** Upscaled chroma and alpha planes, in the order cb, cr, alpha (those present). */
function upscaleExtras(planes: LumaPlanes, t: number): LumaPlanes {
  const extras = planeImage(planes.width, planes.height, [planes.cb, planes.cr, planes.alpha]);
  const W = planes.width * t;
  const H = planes.height * t;
  const out: { y: Float32Array; cb?: Float32Array; cr?: Float32Array; alpha?: Float32Array } = { y: new Float32Array(W * H) };
  if (!extras) return { width: W, height: H, ...out };
  const up = bicubicUpscaleImage(extras, t);
  const take = (c: number) => {
    const plane = new Float32Array(W * H);
    for (let p = 0; p < W * H; p++) plane[p] = up.data[p * up.channels + c];
    return plane;
  };
  let c = 0;
  if (planes.cb) {
    out.cb = take(c++);
    out.cr = take(c++);
  }
  if (planes.alpha) out.alpha = clamp01(take(c));
  return { width: W, height: H, ...out };
}

function withLuma(extras: LumaPlanes, luma: Float32Array): Image {
  const image = mergeLuma({ ...extras, y: luma });
  clamp01(image.data);
  return image;
}

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
export async function superResolve(weights: LoadedWeights, image: Image, run: SrRun, options: RestoreOptions): Promise<Image> {
  const compute = localCompute(weights);
  return superResolveWith(
    compute.d,
    image,
    run,
    options,
    (signal) => [new LocalExecutor(compute, signal)],
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
  computes.get(weights)?.dispose();
  computes.delete(weights);
}

/** Shared by superResolve and the worker pool: colour split, band plan, luma run, colour merge. */
export async function superResolveWith(
  d: SrWeightsData,
  image: Image,
  run: SrRun,
  options: RestoreOptions & { parallel?: number; bandRows?: number; chunkWidth?: number },
  executors: (signal?: AbortSignal) => SrExecutor[],
  bufferType: () => typeof ArrayBuffer | typeof SharedArrayBuffer,
): Promise<Image> {
  const { scale: t, blur, settings } = run;
  checkSrParams(t, blur);
  const planes = splitLuma(image);
  const plan = planSrJob(planes.width, planes.height, {
    depth: d.depth,
    C: d.width,
    scale: t,
    K: settings.K,
    overlap: run.overlap,
    tileSize: options.tileSize,
    bandRows: options.bandRows,
    chunkWidth: options.chunkWidth,
    parallel: options.parallel,
  });
  const Buf = bufferType();
  const alloc = (n: number) => new Float32Array(new Buf(n * 4));
  const y = alloc(planes.width * planes.height);
  y.set(planes.y);
  const bufs = {
    y,
    z: alloc(plan.cacheRows * plan.width * plan.C),
    out: alloc(planes.width * t * planes.height * t),
  };
  const job = { plan, blur, settings, normalizer: planes.width * planes.height };
  // Chroma / alpha first (cheap): iteration frames need them.
  const extras = upscaleExtras(planes, t);
  await runBands(job, bufs, executors(options.signal), {
    signal: options.signal,
    onEvent: options.onEvent,
    onIteration: options.onEvent
      ? (k, K, luma, likelihood) =>
          options.onEvent!({ type: 'iteration', k, K, image: withLuma(extras, clamp01(Float32Array.from(luma))), likelihood })
      : undefined,
  });
  bufs.z = new Float32Array(0);
  return withLuma(extras, clamp01(Float32Array.from(bufs.out)));
}
