/**
 * Interpolation with a fully convolutional model at the photo's own resolution: the photo is cut into
 * tiles of TILE_CORE px, each computed with as much of its surroundings as x̂_K depends on (the network's
 * reach after K steps: 20 px at K = 5 for the shipped model), and each tile's core is written into the
 * result. DL-Net's Adam steps act element by element through a 3×3 head, so the tiles give what the whole
 * photo at once would. Several tiles go to the worker threads; a photo of one tile streams its frames
 * x̂_1 … x̂_K.
 *
 * fillPieces fills the pieces of any masked restoration (these tiles, restore-masked.ts's batches of 64×64
 * crops): one piece here with its frames streamed, several on the executors (this thread or workers) through
 * fillInOrder, the one loop that adds their results in input order, so the result does not depend on which
 * thread finished first.
 */
import type { DLNetSettings } from './dlnet.js';
import { cropImage, type Image, type Mask } from './image.js';
import { fillBatch, type BatchInput, type BatchStep, type MaskedExecutor } from './masked-batch.js';
import { Canvas, rgbOf } from './masked-canvas.js';
import type { MaskedNetwork } from './networks/masked-network.js';
import { settleAll } from './parallel/close.js';
import { fillImage, FRAME_LIMIT, regionInput, type HoleRegion } from './restore-holes.js';
import type { RestoreOptions } from './restore-types.js';

export const TILE_CORE = 512;
/** Context around a tile's core for a network that does not state its reach. */
const DEFAULT_MARGIN = 32;

export interface FillJob {
  input(): BatchInput;
  add(out: Float32Array): void;
}

/** One DL-Net input of a masked restoration (a batch of crops, a tile) and where its output goes. */
export interface MaskedPiece {
  input(): BatchInput;
  /** Adds the piece's output (0..1) onto a whole-photo canvas: at missing pixels, or with `known` at known ones. */
  add(canvas: Canvas, out: Float32Array, known?: boolean): void;
}

/**
 * Runs every job on the executors, adding results in job order; progress after each. While a job runs,
 * this thread makes the next job's input and adds the results that are ready, so an executor that frees
 * up starts its next job at once (between two tiles on one worker, 10–50 ms went by before).
 */
export async function fillInOrder(
  jobs: FillJob[],
  executors: MaskedExecutor[],
  settings: DLNetSettings,
  seamCorrection: boolean,
  options: RestoreOptions,
): Promise<void> {
  const ready = new Map<number, Float32Array>();
  const inputs = new Map<number, BatchInput>();
  let added = 0;
  let next = 0;
  let failed = false;
  const addReady = () => {
    for (let out = ready.get(added); out !== undefined; out = ready.get(added)) {
      ready.delete(added);
      jobs[added].add(out);
      added++;
      options.onEvent?.({ type: 'progress', fraction: added / jobs.length });
    }
  };
  try {
    // Every worker's job in hand settles before the restoration does (parallel/close.ts settleAll).
    await settleAll(
      executors.map(async (ex) => {
        try {
          while (next < jobs.length && !failed) {
            options.signal?.throwIfAborted();
            const i = next++;
            const input = inputs.get(i) ?? jobs[i].input();
            inputs.delete(i);
            const result = ex.fill(input, settings, seamCorrection, options.signal);
            if (next < jobs.length && !inputs.has(next)) inputs.set(next, jobs[next].input());
            addReady();
            ready.set(i, await result);
          }
          addReady();
        } catch (error) {
          failed = true;
          throw error;
        }
      }),
    );
  } catch (error) {
    options.signal?.throwIfAborted(); // a job a worker gave up on reads as the cancellation it is
    throw error;
  }
}

/**
 * Fills the pieces of a masked restoration into the whole photo and returns the composite of x̂_K. A photo
 * of one piece (up to FRAME_LIMIT px) is filled on this thread, and with options.onEvent each x̂_k is sent
 * as an 'iteration' of the whole photo: the composite, and the raw estimate at the known pixels the piece
 * covers (where W x̂_k disagrees with y). Otherwise the worker threads (this thread without them) fill the
 * pieces, progress after each.
 */
export async function fillPieces(
  net: MaskedNetwork,
  pieces: MaskedPiece[],
  image: Image,
  mask: Mask,
  settings: DLNetSettings,
  seamCorrection: boolean,
  options: RestoreOptions,
  executors?: () => Promise<MaskedExecutor[]>,
): Promise<Image> {
  const final = new Canvas(image.width, image.height);
  if (pieces.length === 1 && image.width * image.height <= FRAME_LIMIT) {
    const [piece] = pieces;
    const onStep: BatchStep = (k, K, out, likelihood) => {
      const canvas = k === K ? final : new Canvas(image.width, image.height);
      piece.add(canvas, out);
      const raw = new Canvas(image.width, image.height);
      piece.add(raw, out, true);
      options.onEvent?.({ type: 'iteration', k, K, image: canvas.composite(image, mask), raw: raw.estimate(image), likelihood });
    };
    const out = await fillBatch(
      net,
      piece.input(),
      settings,
      seamCorrection,
      options.signal,
      options.onEvent ? onStep : undefined,
    );
    if (!options.onEvent) piece.add(final, out);
    options.onEvent?.({ type: 'progress', fraction: 1 });
    return final.composite(image, mask);
  }
  const local: MaskedExecutor = { fill: (input, s, seam, signal) => fillBatch(net, input, s, seam, signal) };
  const workers = executors ? await executors() : [];
  const jobs = pieces.map((p) => ({ input: () => p.input(), add: (out: Float32Array) => p.add(final, out) }));
  await fillInOrder(jobs, workers.length > 0 ? workers : [local], settings, seamCorrection, options);
  return final.composite(image, mask);
}

interface Tile {
  region: HoleRegion;
  core: { x: number; y: number; width: number; height: number };
}

function spans(length: number): [number, number][] {
  const count = Math.max(1, Math.ceil(length / TILE_CORE));
  const size = Math.ceil(length / count);
  return Array.from({ length: count }, (_, i): [number, number] => [i * size, Math.min(length, (i + 1) * size)]);
}

/** Tiles covering the photo, each with `margin` px of context around its core (as far as the photo goes). */
export function interpolationTiles(width: number, height: number, margin: number): Tile[] {
  return spans(height).flatMap(([y0, y1]) =>
    spans(width).map(([x0, x1]) => {
      const x = Math.max(0, x0 - margin);
      const y = Math.max(0, y0 - margin);
      const w = Math.min(width, x1 + margin) - x;
      const h = Math.min(height, y1 + margin) - y;
      const region = { x, y, width: w, height: h, innerWidth: w, innerHeight: h, modelWidth: w, modelHeight: h, component: 0 };
      return { region, core: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 } };
    }),
  );
}

/** The core of a tile's output (0..1) as an RGB image. */
function coreOf(out: Float32Array, t: Tile): Image {
  return cropImage(fillImage(out, t.region), t.core.x - t.region.x, t.core.y - t.region.y, t.core.width, t.core.height);
}

/** Interpolates every missing pixel of `mask` (1 = observed); known pixels kept exactly. */
export async function restoreTiles(
  net: MaskedNetwork,
  image: Image,
  mask: Mask,
  settings: DLNetSettings,
  options: RestoreOptions,
  seamCorrection: boolean,
  executors?: () => Promise<MaskedExecutor[]>,
): Promise<Image> {
  const rgb = rgbOf(image);
  const tiles = interpolationTiles(image.width, image.height, net.reach?.(settings.K) ?? DEFAULT_MARGIN);
  // L weighted per the training crop's area at the photo's density of known pixels: the same weight in
  // every tile, so the tiles add up to the whole photo's result.
  let known = 0;
  for (let p = 0; p < mask.data.length; p++) if (mask.data[p]) known++;
  const weighting = { trainingArea: net.trainingArea, density: known / mask.data.length };
  const pieces = tiles.map((t): MaskedPiece => ({
    input: () => regionInput(rgb, mask, t.region, weighting),
    add: (canvas, out, known = false) => canvas.addImage(t.core.x, t.core.y, coreOf(out, t), mask, undefined, undefined, known),
  }));
  return fillPieces(net, pieces, image, mask, settings, seamCorrection, options, executors);
}
