import type { LumaPlanes } from './color.js';
import type { Image, Mask } from './image.js';

/** What the user asks for. The degradation they name enters DL-Net only through W. */
export type RestoreRequest =
  | { task: 'sr'; scale: 2 | 3 | 4; blur: number; modelId?: string; iterations?: number; gamma?: number }
  | { task: 'inpaint'; mask: Mask; modelId?: string; iterations?: number; gamma?: number }
  | { task: 'interpolate'; mask: Mask; modelId?: string; iterations?: number; gamma?: number };

/** Streamed while a restoration runs; `image` is the whole current estimate x̂_k (0..1, same channels as the input). */
export type RestoreEvent =
  | { type: 'progress'; fraction: number; message?: string }
  | {
      type: 'iteration';
      k: number;
      K: number;
      image: Image;
      likelihood: number;
      /**
       * Inpainting / interpolation: the network's estimate before known pixels are put back (the input
       * where no crop reaches), so W x̂_k − y can be shown; `image` is the composite.
       */
      raw?: Image;
    }
  /**
   * Super-resolution streams x̂_k band by band at every size: full-width rows of the output, every k
   * of a band as soon as the band's steps give it (the band holding RestoreOptions.focus first).
   * `likelihood` and `coverage` accumulate over the bands of x̂_k seen so far.
   */
  | {
      type: 'band';
      k: number;
      K: number;
      band: SrBand;
      /**
       * L(z_k) over the bands of x̂_k seen so far: the sum of their squared residuals, halved, over the
       * image's LR pixel count (the mean of docs/protocols.md §2, exact once `coverage` is 1).
       */
      likelihood: number;
      /** Fraction of the image's LR pixels those bands hold; 1 when x̂_k is whole. */
      coverage: number;
    }
  /**
   * Super-resolution of a region that fits one band: sent before the first iteration, as soon as the
   * top `rows` output rows of x̂_1 exist; the rows below are the bicubic upscale. Not an iterate.
   */
  | { type: 'preview'; image: Image; rows: number }
  /** A multi-tile run: tile `tile` of `tiles` finished; its output region (x̂_K) is final. */
  | { type: 'tile'; tile: number; tiles: number; likelihoods: number[] };

/**
 * One band of a super-resolution iterate x̂_k (RestoreEvent 'band'); valid after the event too, unless
 * the restoration was asked for transientBands.
 */
export interface SrBand {
  /** Output size and scale. */
  readonly width: number;
  readonly height: number;
  readonly scale: number;
  /** Output rows [y0, y1) the band covers, full width (LR rows [y0/scale, y1/scale)). */
  readonly y0: number;
  readonly y1: number;
  /** x̂_k's luma on those rows, (y1 − y0) × width, clipped to 0..1 (grey images: the grey value). */
  readonly luma: Float32Array;
  /** W x̂_k − y on the band's LR luma pixels, (y1 − y0)/scale × width/scale: what L(z_k) measures. */
  readonly residual: Float32Array;
  /** The band's share of L(z_k) (its squared residuals, halved, over the image's LR pixel count). */
  readonly likelihood: number;
  /** The input's planes (LR luma, chroma, alpha): what a preview needs for colour. */
  readonly planes: LumaPlanes;
  /**
   * The band's rows of x̂_k in colour (chroma and alpha bicubic-upscaled, alpha kept), a few rows at a
   * time, with exactly the values of the final result when k = K. Computed on demand (costly).
   */
  colourStrips(): Iterable<{ y: number; image: Image }>;
}

export interface RestoreOptions {
  signal?: AbortSignal;
  onEvent?: (event: RestoreEvent) => void;
  /** Largest tile side (input pixels) processed at once; bounds memory. */
  tileSize?: number;
  /**
   * Run on this many worker threads (one tfjs each; the wasm backend is single-threaded): super-
   * resolution always, inpainting / interpolation when the photo needs more than one batch of crops.
   * Same result as one thread. The pool stays up for later calls until unloadModels().
   */
  workers?: number;
  /**
   * Super-resolution: the part of the image to restore first, as a fraction of its height (0 = top,
   * the default; an app passes the middle of what is in view). Same result in any order.
   */
  focus?: number;
  /**
   * Super-resolution: 'band' events' arrays (luma, residual, colourStrips) are read during the event only,
   * so the engine may reuse them for the next band instead of filling fresh memory for every band (a
   * streaming consumer that copies or writes out what it keeps).
   */
  transientBands?: boolean;
}
