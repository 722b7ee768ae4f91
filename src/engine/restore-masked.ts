/**
 * Inpainting and interpolation of photos of any size. Fully convolutional models (they set
 * `multiple`) work at the photo's own resolution: holes in restore-holes.ts, interpolation tiles in
 * restore-tiles.ts. The context encoder works on 64×64 crops, here:
 *
 * Inpainting (crop around each hole): every connected hole gets a square crop with enough context
 * that the hole covers at most what the model was trained on (side ≤ 30 of 64 px), resized to
 * 64×64; all crops go through DL-Net as one batch; each fill is resized back and written into its
 * hole only. Interpolation (tiles): 64×64 tiles with 16 px overlap cover the photo; their outputs
 * are blended with feathered weights. Known pixels are always kept exactly (composite).
 */
import type { DLNetSettings } from './dlnet.js';
import { UserError, type Image, type Mask } from './image.js';
import { rgbOf, TILE_STRIDE } from './masked-canvas.js';
import { restoreHoles } from './restore-holes.js';
import { fillPieces, restoreTiles, type MaskedPiece } from './restore-tiles.js';
import type { MaskedNetwork } from './networks/masked-network.js';
import type { RestoreOptions } from './restore-types.js';
import {
  batchInput,
  fillBatch,
  makeBatch,
  maskedEstimates,
  maskedProblem,
  correctResidual,
  SIZE,
  type Crop,
  type MaskedExecutor,
} from './masked-batch.js';

export { batchInput, correctResidual, fillBatch, makeBatch, maskedEstimates, maskedProblem };
export type { Batch, BatchInput, BatchStep, Crop, MaskedExecutor } from './masked-batch.js';

/**
 * A hole may span this fraction of its crop. Chosen by measurement on held-out photos
 * (training/reports/inpaint_strategies.md); training holes span at most 30 of 64 px.
 */
export const DEFAULT_HOLE_FRACTION = 30 / 64;

export interface MaskedTuning {
  /** The hole's share of its crop side (inpainting). */
  holeFraction: number;
  /** Spread the residual at known pixels into the fill (see correctResidual). */
  seamCorrection: boolean;
}

export const DEFAULT_TUNING: MaskedTuning = { holeFraction: DEFAULT_HOLE_FRACTION, seamCorrection: true };
/** Crops per DL-Net batch: bounds memory (each 64×64 crop needs ~3 MB of activations). */
const BATCH = 32;

/** Connected components (4-neighbour) of the missing pixels: labels (0 = known) and bounding boxes. */
export function holeComponents(mask: Mask): { labels: Int32Array; boxes: { x0: number; y0: number; x1: number; y1: number }[] } {
  const { width, height, data } = mask;
  const labels = new Int32Array(width * height);
  const boxes: { x0: number; y0: number; x1: number; y1: number }[] = [];
  const stack: number[] = [];
  for (let start = 0; start < data.length; start++) {
    if (data[start] !== 0 || labels[start] !== 0) continue;
    const label = boxes.length + 1;
    const box = { x0: width, y0: height, x1: -1, y1: -1 };
    labels[start] = label;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!;
      const x = p % width;
      const y = (p - x) / width;
      box.x0 = Math.min(box.x0, x);
      box.x1 = Math.max(box.x1, x);
      box.y0 = Math.min(box.y0, y);
      box.y1 = Math.max(box.y1, y);
      for (const q of [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, y > 0 ? p - width : -1, y < height - 1 ? p + width : -1]) {
        if (q >= 0 && data[q] === 0 && labels[q] === 0) {
          labels[q] = label;
          stack.push(q);
        }
      }
    }
    boxes.push(box);
  }
  return { labels, boxes };
}

function placeCrop(cx: number, cy: number, size: number, width: number, height: number): { x: number; y: number; size: number } {
  const s = Math.min(size, width, height);
  const x = Math.min(Math.max(Math.round(cx - s / 2), 0), width - s);
  const y = Math.min(Math.max(Math.round(cy - s / 2), 0), height - s);
  return { x, y, size: s };
}

function inpaintCrops(mask: Mask, holeFraction: number): { crops: Crop[]; labels: Int32Array } {
  const { labels, boxes } = holeComponents(mask);
  const crops = boxes.map((b, i) => {
    const side = Math.max(b.x1 - b.x0 + 1, b.y1 - b.y0 + 1);
    const size = Math.max(SIZE, Math.ceil(side / holeFraction));
    return { ...placeCrop((b.x0 + b.x1 + 1) / 2, (b.y0 + b.y1 + 1) / 2, size, mask.width, mask.height), component: i + 1 };
  });
  return { crops, labels };
}

/** Starts of `size`-px tiles covering `length` px, every TILE_STRIDE/SIZE of a tile, the last flush with the end. */
function tileStarts(length: number, size: number): number[] {
  if (length <= size) return [0];
  const stride = Math.round((size * TILE_STRIDE) / SIZE);
  const starts: number[] = [];
  for (let s = 0; s + size < length; s += stride) starts.push(s);
  starts.push(length - size);
  return starts;
}

function interpolationCrops(width: number, height: number): Crop[] {
  // A photo narrower than 64 px gets square tiles of its short side, resized to 64 for the model.
  const size = Math.min(SIZE, width, height);
  return tileStarts(height, size).flatMap((y) => tileStarts(width, size).map((x) => ({ x, y, size })));
}

export async function restoreMasked(
  net: MaskedNetwork,
  task: 'inpaint' | 'interpolate',
  image: Image,
  mask: Mask,
  settings: DLNetSettings,
  options: RestoreOptions,
  tuning: MaskedTuning = DEFAULT_TUNING,
  /** Worker threads for runs of several batches, started on first need (single-batch runs stay here and stream frames). */
  executors?: () => Promise<MaskedExecutor[]>,
): Promise<Image> {
  const holeFraction = tuning.holeFraction;
  if (mask.width !== image.width || mask.height !== image.height) {
    throw new UserError(
      `The mask is ${mask.width}×${mask.height} but the image is ${image.width}×${image.height}; they must match.`,
    );
  }
  if (net.multiple !== undefined) {
    // A network that works at the photo's own resolution: no 64×64 crops.
    if (task === 'interpolate') return restoreTiles(net, image, mask, settings, options, tuning.seamCorrection, executors);
    const components = holeComponents(mask);
    if (components.boxes.length === 0) return image;
    const native = net as MaskedNetwork & { multiple: number };
    return restoreHoles(native, image, mask, components, settings, options, tuning.seamCorrection);
  }
  const rgb = rgbOf(image);
  const { crops, labels } =
    task === 'inpaint'
      ? inpaintCrops(mask, holeFraction)
      : { crops: interpolationCrops(image.width, image.height), labels: undefined };
  if (crops.length === 0) return image;
  const batches: Crop[][] = [];
  for (let i = 0; i < crops.length; i += BATCH) batches.push(crops.slice(i, i + BATCH));
  const pieces = batches.map((cropsOfBatch): MaskedPiece => ({
    input: () => batchInput(rgb, mask, cropsOfBatch),
    add: (canvas, out, known = false) =>
      cropsOfBatch.forEach((c, b) =>
        canvas.add(c, out.subarray(b * SIZE * SIZE * 3, (b + 1) * SIZE * SIZE * 3), mask, labels, known),
      ),
  }));
  // fillPieces: a single batch runs here and streams its frames; several go to the workers.
  return fillPieces(net, pieces, image, mask, settings, tuning.seamCorrection, options, executors);
}
