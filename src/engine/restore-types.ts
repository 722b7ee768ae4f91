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
   * Super-resolution of a region that fits one band: sent before the first iteration, as soon as the
   * top `rows` output rows of x̂_1 exist; the rows below are the bicubic upscale. Not an iterate.
   */
  | { type: 'preview'; image: Image; rows: number }
  /** A multi-tile run: tile `tile` of `tiles` finished; its output region (x̂_K) is final. */
  | { type: 'tile'; tile: number; tiles: number; likelihoods: number[] };

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
}
