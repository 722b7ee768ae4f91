/**
 * What an app does with the iterates of an upscale as they stream (RestoreEvent 'band'): display-size
 * frames and residual maps of every x̂_k (SrFrameStream; their residual maps kept in a FrameStore when asked), and
 * x̂_1..x̂_{K−1} at full size on disk (IterationStore; x̂_K is the result). The app's worker
 * (src/server/worker.ts) runs one per job; `dlnet bench` runs one to measure "with frames".
 */
import { FrameStore, frameSide, SrFrameStream, type FrameUpdate } from './iteration-frames.js';
import { IterationStore, type StoredIterations } from './iteration-store.js';
import type { RestoreEvent } from './restore-types.js';

export interface IterationSinkOptions {
  /** Longest side of the display frames for K ≤ 8 (fewer pixels for more iterations: frameSide). */
  maxSide: number;
  /** Folder for the full-size iterates' temporary folder (default: the system's). */
  tempDir?: string;
  /** Keep the residual maps here too, as an app's server thread does (a worker posts every update instead). */
  keep?: boolean;
}

export class IterationSink {
  readonly frames?: FrameStore;
  #stream?: SrFrameStream;
  #store?: IterationStore;
  readonly #options: IterationSinkOptions;

  constructor(options: IterationSinkOptions) {
    this.#options = options;
    if (options.keep) this.frames = new FrameStore();
  }

  /** Takes a band of x̂_k; returns its display update (undefined for other events). */
  add(event: RestoreEvent): FrameUpdate | undefined {
    if (event.type !== 'band') return undefined;
    const { band } = event;
    this.#stream ??= new SrFrameStream(band.planes, band.scale, frameSide(this.#options.maxSide, event.K));
    const update = this.#stream.add(event);
    this.frames?.apply(update);
    if (event.k < event.K) this.store(event.K, band.width, band.height, 1).write(event.k, band.y0, band.luma);
    return update;
  }

  /** The store of x̂_1..x̂_{K−1} (made on first use): `channels` floats per pixel. */
  store(K: number, width: number, height: number, channels: number): IterationStore {
    this.#store ??= new IterationStore({ K: K - 1, width, height, channels, parent: this.#options.tempDir });
    return this.#store;
  }

  /** Hands the files on disk to whoever reopens them (the run finished); undefined when K = 1. */
  release(): StoredIterations | undefined {
    return this.#store?.release();
  }

  /** Removes the files on disk (a cancelled or failed run, or when nobody needs them). */
  dispose(): void {
    this.#store?.dispose();
    this.frames?.clear();
  }
}
