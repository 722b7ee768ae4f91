/**
 * The intermediate estimates x̂_1 … x̂_K of one restoration kept on disk instead of in memory: one
 * temporary file of float32 rows per k, written as the engine streams them (super-resolution band by
 * band, luma only: 96 MB a file for a 24 MP output), read back a strip at a time to write each x̂_k as
 * an image file. So saving every iterate of a large photo costs one image's samples at a time, not K
 * float images. The files live in a private temporary folder that dispose() removes.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LumaPlanes } from './color.js';
import type { Image } from './image.js';
import { encodeSamplesInto, type Samples, type SamplesShape } from './image-io.js';
import { colourRows } from './sr-colour.js';

/** Output rows read back at a time for images stored whole (inpainting, interpolation). */
const READ_ROWS = 256;

export interface IterationStoreOptions {
  K: number;
  /** Reopen the files of a store another thread wrote and released (StoredIterations.dir). */
  dir?: string;
  /** Size and channels of what is stored (SR: the output's size, 1 channel of luma). */
  width: number;
  height: number;
  channels: number;
  /** Folder to make the temporary folder in (default: the system's). */
  parent?: string;
}

export class IterationStore {
  readonly dir: string;
  readonly K: number;
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly #fds: number[];
  readonly #rows: number[];
  #closed = false;

  constructor(options: IterationStoreOptions) {
    this.K = options.K;
    this.width = options.width;
    this.height = options.height;
    this.channels = options.channels;
    this.dir = options.dir ?? mkdtempSync(path.join(options.parent ?? os.tmpdir(), 'dlnet-iterations-'));
    this.#fds = [];
    try {
      for (let k = 1; k <= this.K; k++)
        this.#fds.push(openSync(path.join(this.dir, `x${k}.f32`), options.dir === undefined ? 'w+' : 'r', 0o600));
    } catch (error) {
      this.dispose();
      throw error;
    }
    this.#rows = new Array<number>(this.K).fill(options.dir === undefined ? 0 : this.height);
  }

  /** What another thread needs to reopen the files (for reading); this object lets go of them. */
  release(): StoredIterations {
    if (!this.#closed) for (const fd of this.#fds) closeSync(fd);
    this.#closed = true;
    return { dir: this.dir, K: this.K, width: this.width, height: this.height, channels: this.channels };
  }

  /** Stores rows [y0, y0 + n) of x̂_k (n × width × channels floats). */
  write(k: number, y0: number, rows: Float32Array): void {
    const rowFloats = this.width * this.channels;
    const n = rows.length / rowFloats;
    if (!Number.isInteger(n) || y0 < 0 || y0 + n > this.height) throw new Error(`IterationStore: rows ${y0}+${n} do not fit.`);
    const bytes = new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength);
    let done = 0;
    while (done < bytes.length) done += writeSync(this.#fd(k), bytes, done, bytes.length - done, y0 * rowFloats * 4 + done);
    this.#rows[k - 1] += n;
  }

  /** Rows of x̂_k stored so far. */
  rows(k: number): number {
    return this.#rows[k - 1] ?? 0;
  }

  /** True when every row of x̂_k is stored. */
  complete(k: number): boolean {
    return this.rows(k) >= this.height;
  }

  /** Rows [y0, y1) of x̂_k. */
  read(k: number, y0: number, y1: number): Float32Array {
    const rowFloats = this.width * this.channels;
    const out = new Float32Array((y1 - y0) * rowFloats);
    const bytes = new Uint8Array(out.buffer);
    let done = 0;
    while (done < bytes.length) {
      const n = readSync(this.#fd(k), bytes, done, bytes.length - done, y0 * rowFloats * 4 + done);
      if (n === 0) throw new Error(`IterationStore: x̂_${k} ends before row ${y1}.`);
      done += n;
    }
    return out;
  }

  #fd(k: number): number {
    if (this.#closed) throw new Error('IterationStore: already disposed.');
    const fd = this.#fds[k - 1];
    if (fd === undefined) throw new Error(`IterationStore: there is no x̂_${k}.`);
    return fd;
  }

  /** Closes and deletes the files (idempotent). */
  dispose(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const fd of this.#fds) closeSync(fd);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A released store: its folder and shape (IterationStore.release, reopened with { dir }). */
export interface StoredIterations {
  dir: string;
  K: number;
  width: number;
  height: number;
  channels: number;
}

/** A stored iterate as an image, strip by strip (`y`: its first output row). */
export type IterationStrips = (k: number) => Iterable<{ y: number; image: Image }>;

/**
 * Super-resolution: x̂_k in colour from its stored luma, strip by strip exactly as the final merge
 * cuts it, so x̂_K's strips equal the result's values.
 */
export function srIterationStrips(store: IterationStore, planes: LumaPlanes, t: number): IterationStrips {
  return function* (k: number) {
    const rows = 64;
    for (let r0 = 0; r0 < planes.height; r0 += rows) {
      const r1 = Math.min(planes.height, r0 + rows);
      yield* colourRows(planes, t, r0, r1, store.read(k, r0 * t, r1 * t), rows);
    }
  };
}

/** Iterates stored whole (inpainting, interpolation: the composite x̂_k), strip by strip. */
export function plainIterationStrips(store: IterationStore): IterationStrips {
  return function* (k: number) {
    for (let y = 0; y < store.height; y += READ_ROWS) {
      const y1 = Math.min(store.height, y + READ_ROWS);
      const image = {
        width: store.width,
        height: y1 - y,
        channels: store.channels as Image['channels'],
        data: store.read(k, y, y1),
      };
      yield { y, image };
    }
  };
}

/**
 * The samples of a stored iterate at `depth` bits, filled strip by strip (the only full-size buffer:
 * 1 or 2 bytes per value), for image-io's writeSamples.
 */
export async function iterationSamples(strips: IterationStrips, k: number, shape: SamplesShape, depth: 8 | 16): Promise<Samples> {
  const n = shape.width * shape.height * shape.channels;
  const out = depth === 8 ? new Uint8Array(n) : new Uint16Array(n);
  for (const { y, image } of strips(k)) {
    encodeSamplesInto(image.data, depth, out, y * shape.width * shape.channels);
    // Large photos take seconds: let the event loop run (cancellation, IPC) between strips.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return out;
}
