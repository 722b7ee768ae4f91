/**
 * Inpainting with a fully convolutional model at the photo's own resolution (backbone "fconv-inpaint").
 *
 * Every hole (connected component of missing pixels) gets a crop of its bounding box plus CONTEXT px of
 * surroundings on each side, padded (as unknown pixels) to the network's multiple. A crop over
 * MAX_CROP_PIXELS is computed downscaled and its fill resized back, so memory stays bounded for any
 * mask. Each crop is its own DL-Net problem; its fill is written into its own hole only and the known
 * pixels are kept exactly. The frames x̂_1 … x̂_K of the whole photo are sent once every hole is done;
 * L(z_k) is the sum of the crops' per-crop means, as in the 64×64 path.
 */
import { resizeImage } from './degradations.js';
import type { DLNetSettings } from './dlnet.js';
import { createImage, cropImage, type Image, type Mask } from './image.js';
import { fillBatch, knownOf, type BatchInput } from './masked-batch.js';
import { Canvas, rgbOf } from './masked-canvas.js';
import type { MaskedNetwork } from './networks/masked-network.js';
import type { RestoreOptions } from './restore-types.js';

/** Known pixels around a hole's bounding box that its crop includes (the network sees ~±150 px). */
export const CONTEXT = 64;
/** Crops larger than this are computed downscaled (activations stay under ~0.5 GB). */
export const MAX_CROP_PIXELS = 1024 * 1024;
/** Whole-photo frames are sent up to this many pixels (beyond, progress only); restore-tiles.ts too. */
export const FRAME_LIMIT = 16_000_000;

export interface HoleRegion {
  /** The crop in the photo. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** The crop as computed (downscaled when over MAX_CROP_PIXELS), before padding. */
  innerWidth: number;
  innerHeight: number;
  /** The padded size the network runs on (multiples of the network's multiple). */
  modelWidth: number;
  modelHeight: number;
  component: number;
}

const roundUp = (v: number, m: number) => Math.ceil(v / m) * m;

/** The crop of each hole (bounding box + CONTEXT, inside the photo) and the size it is computed at. */
export function holeRegions(
  boxes: { x0: number; y0: number; x1: number; y1: number }[],
  width: number,
  height: number,
  multiple: number,
): HoleRegion[] {
  return boxes.map((b, i) => {
    const x = Math.max(0, b.x0 - CONTEXT);
    const y = Math.max(0, b.y0 - CONTEXT);
    const w = Math.min(width, b.x1 + 1 + CONTEXT) - x;
    const h = Math.min(height, b.y1 + 1 + CONTEXT) - y;
    const shrink = Math.max(1, Math.sqrt((w * h) / MAX_CROP_PIXELS));
    const innerWidth = Math.max(1, Math.round(w / shrink));
    const innerHeight = Math.max(1, Math.round(h / shrink));
    return {
      x,
      y,
      width: w,
      height: h,
      innerWidth,
      innerHeight,
      modelWidth: roundUp(innerWidth, multiple),
      modelHeight: roundUp(innerHeight, multiple),
      component: i + 1,
    };
  });
}

/**
 * How L is weighted: per crop (the mean over its observed entries, as in training on fixed-size crops),
 * or, with `trainingArea`, per that many pixels at the observed `density` (of the crop unless given),
 * which keeps DL-Net's steps independent of the crop size.
 */
export interface LikelihoodWeighting {
  trainingArea?: number;
  density?: number;
}

/** The crop as one DL-Net input: known pixels on −1..1, the padding and the downscaled holes unknown. */
export function regionInput(rgb: Image, mask: Mask, r: HoleRegion, weighting: LikelihoodWeighting = {}): BatchInput {
  let pixels = cropImage(rgb, r.x, r.y, r.width, r.height);
  const known = createImage(r.width, r.height, 1);
  for (let y = 0; y < r.height; y++)
    for (let x = 0; x < r.width; x++) known.data[y * r.width + x] = mask.data[(r.y + y) * mask.width + r.x + x] ? 1 : 0;
  let observed = known;
  if (r.innerWidth !== r.width || r.innerHeight !== r.height) {
    pixels = resizeImage(pixels, r.innerWidth, r.innerHeight);
    observed = resizeImage(known, r.innerWidth, r.innerHeight);
    for (let i = 0; i < observed.data.length; i++) observed.data[i] = observed.data[i] > 0.999 ? 1 : 0;
  }
  const span = r.modelWidth * r.modelHeight;
  const y = new Float32Array(span * 3);
  const m = new Float32Array(span);
  let count = 0;
  for (let row = 0; row < r.innerHeight; row++)
    for (let col = 0; col < r.innerWidth; col++) {
      const from = row * r.innerWidth + col;
      if (!observed.data[from]) continue;
      const to = row * r.modelWidth + col;
      m[to] = 1;
      count++;
      for (let c = 0; c < 3; c++) y[to * 3 + c] = 2 * pixels.data[from * 3 + c] - 1;
    }
  const entries = Math.max(1, count * 3);
  const { trainingArea } = weighting;
  const density = weighting.density ?? count / (r.innerWidth * r.innerHeight);
  const perArea = trainingArea ? Math.max(1e-6, 3 * density * trainingArea) : entries;
  const w = 1 / Math.sqrt(perArea);
  return {
    ...knownOf({ n: 1, width: r.modelWidth, height: r.modelHeight, y, mask: m, observed: m.map((v) => v * w) }),
    likelihoodScale: perArea / entries,
  };
}

/** A crop output (0..1, model size) cut to the crop and resized back to the photo's pixels. */
export function fillImage(out: Float32Array, r: HoleRegion): Image {
  const model: Image = { width: r.modelWidth, height: r.modelHeight, channels: 3, data: out };
  const inner = cropImage(model, 0, 0, r.innerWidth, r.innerHeight);
  return r.innerWidth === r.width && r.innerHeight === r.height ? inner : resizeImage(inner, r.width, r.height);
}

interface HoleFills {
  /** Per region, its x̂_k (k = 1 … K) as photo-resolution RGB; only x̂_K unless frames are kept. */
  fills: Image[][];
  likelihoods: number[];
}

async function fillHoles(
  net: MaskedNetwork,
  rgb: Image,
  mask: Mask,
  regions: HoleRegion[],
  settings: DLNetSettings,
  seamCorrection: boolean,
  options: RestoreOptions,
  keepFrames: boolean,
): Promise<HoleFills> {
  const fills: Image[][] = [];
  const likelihoods: number[] = [];
  for (const [i, r] of regions.entries()) {
    options.signal?.throwIfAborted();
    const frames: Image[] = [];
    const onStep = (k: number, _K: number, out: Float32Array, likelihood: number) => {
      frames.push(fillImage(out, r));
      likelihoods[k - 1] = (likelihoods[k - 1] ?? 0) + likelihood;
    };
    const last = await fillBatch(
      net,
      regionInput(rgb, mask, r, { trainingArea: net.trainingArea }),
      settings,
      seamCorrection,
      options.signal,
      keepFrames ? onStep : undefined,
    );
    fills.push(keepFrames ? frames : [fillImage(last, r)]);
    options.onEvent?.({ type: 'progress', fraction: (i + 1) / regions.length });
  }
  return { fills, likelihoods };
}

/** Inpaints every hole of `mask` (1 = observed) with a fully convolutional model; known pixels kept. */
export async function restoreHoles(
  net: MaskedNetwork & { multiple: number },
  image: Image,
  mask: Mask,
  components: { labels: Int32Array; boxes: { x0: number; y0: number; x1: number; y1: number }[] },
  settings: DLNetSettings,
  options: RestoreOptions,
  seamCorrection: boolean,
): Promise<Image> {
  const rgb = rgbOf(image);
  const regions = holeRegions(components.boxes, image.width, image.height, net.multiple);
  const keepFrames = options.onEvent !== undefined && image.width * image.height <= FRAME_LIMIT;
  const { fills, likelihoods } = await fillHoles(net, rgb, mask, regions, settings, seamCorrection, options, keepFrames);
  const canvasAt = (k: number, known = false): Canvas => {
    const canvas = new Canvas(image.width, image.height);
    regions.forEach((r, i) => {
      const fill = fills[i][Math.min(k, fills[i].length - 1)];
      canvas.addImage(r.x, r.y, fill, mask, components.labels, r.component, known);
    });
    return canvas;
  };
  const K = keepFrames ? fills[0].length : 1;
  if (keepFrames)
    for (let k = 0; k < K; k++) {
      const raw = canvasAt(k, true);
      options.onEvent?.({
        type: 'iteration',
        k: k + 1,
        K,
        image: canvasAt(k).composite(image, mask),
        raw: raw.estimate(image),
        likelihood: likelihoods[k],
      });
    }
  return canvasAt(K - 1).composite(image, mask);
}
