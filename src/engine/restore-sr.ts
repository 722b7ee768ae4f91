/**
 * Super-resolution of a whole photo (DESIGN §4, §5, §7): luma through the DL-Net model, tile by
 * tile with exact overlap; chroma and alpha bicubic-upscaled.
 */
import { tf } from './backend.js';
import { splitLuma, mergeLuma, type LumaPlanes } from './color.js';
import { bicubicUpscaleImage, checkSrParams, type Scale } from './degradations.js';
import { srOperatorTf } from './degradations-tf.js';
import { runDLNet, type DLNetProblem, type DLNetSettings } from './dlnet.js';
import { createImage, type Image } from './image.js';
import type { LoadedWeights } from './model-file.js';
import { type SrNet } from './networks/sr-net.js';
import type { RestoreOptions } from './restore-types.js';
import { planTiles, runTiled, type Tile } from './tiling.js';

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

async function tensorToImage(t: tf.Tensor): Promise<Image> {
  const [, h, w, c] = t.shape;
  return { width: w, height: h, channels: c as Image['channels'], data: (await t.data()) as Float32Array };
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

export async function superResolve(
  weights: LoadedWeights,
  net: SrNet,
  image: Image,
  run: SrRun,
  options: RestoreOptions,
): Promise<Image> {
  const { scale: t, blur, settings } = run;
  checkSrParams(t, blur);
  const planes = splitLuma(image);
  const extras = upscaleExtras(planes, t);
  const luma: Image = { width: planes.width, height: planes.height, channels: 1, data: planes.y };
  const overlap = run.overlap ?? srOverlap(net.backbone.depth, t, settings.K);
  const tileSize = Math.max(options.tileSize ?? DEFAULT_SR_TILE, 2 * overlap + 32);
  const normalizer = luma.width * luma.height;
  const single = luma.width <= tileSize && luma.height <= tileSize;
  let tilesDone = 0;

  const runTile = async (tile: Image, rect: Tile): Promise<Image> => {
    const problem = srProblem(net, tile, t, blur, normalizer, rect);
    const likelihoods: number[] = [];
    let last: Image | null = null;
    try {
      for await (const step of runDLNet(problem, settings, options.signal)) {
        likelihoods.push(step.likelihood);
        const out = await tensorToImage(step.image);
        step.image.dispose();
        if (single) {
          options.onEvent?.({
            type: 'iteration',
            k: step.k,
            K: step.K,
            image: withLuma(extras, clamp01(Float32Array.from(out.data))),
            likelihood: step.likelihood,
          });
        }
        last = out;
      }
    } finally {
      problem.dispose();
    }
    tilesDone++;
    if (!single) options.onEvent?.({ type: 'tile', tile: tilesDone, tiles: tileCount, likelihoods });
    return last!;
  };

  const tileCount = planTiles(luma.width, luma.height, tileSize, overlap).length;
  const onProgress = (done: number, total: number) => options.onEvent?.({ type: 'progress', fraction: done / total });
  const out = await runTiled(luma, { tileSize, overlap, scale: t, signal: options.signal, onProgress }, runTile);
  return withLuma(extras, clamp01(out.data));
}
