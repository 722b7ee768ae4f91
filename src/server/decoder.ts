/**
 * Opens images in a worker thread (decode-worker.ts), one at a time in arrival order; the pixels come
 * back as transferred buffers, so the server's thread only files them. The worker starts on the first
 * open and is replaced if it dies (every open waiting on it then fails with a sentence).
 */
import type { Worker } from 'node:worker_threads';
import { UserError } from '../base/errors.js';
import type { Frame } from '../api/api.js';
import { type ImageMetadata, type InputFormat, rejectPendingOnDeath, spawnModuleWorker } from '../engine/index.js';
import type { FloatImage } from './pixels.js';

export interface DecodeRequest {
  readonly id: number;
  readonly file: string;
  readonly previewMaxSide: number;
}

export interface DecodedImage {
  readonly image: FloatImage;
  readonly bitDepth: 8 | 16;
  readonly format: InputFormat;
  readonly metadata: ImageMetadata;
  readonly preview: Frame;
  readonly hasTransparency: boolean;
}

export type DecodeReply =
  | ({ readonly id: number; readonly ok: true } & DecodedImage)
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string };

/** Structured cloning turns Buffers into plain Uint8Arrays; sharp's writers want Buffers back. */
function asBuffers(metadata: ImageMetadata): ImageMetadata {
  const buffer = (bytes?: Uint8Array) => (bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : undefined);
  return {
    ...metadata,
    ...(metadata.icc ? { icc: buffer(metadata.icc) } : {}),
    ...(metadata.exif ? { exif: buffer(metadata.exif) } : {}),
    ...(metadata.xmp ? { xmp: buffer(metadata.xmp) } : {}),
  };
}

export class ImageDecoder {
  #worker: Worker | null = null;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (d: DecodedImage) => void; reject: (e: Error) => void }>();

  decode(file: string, previewMaxSide: number): Promise<DecodedImage> {
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise<DecodedImage>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, file, previewMaxSide } satisfies DecodeRequest);
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    await worker?.terminate();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = spawnModuleWorker(import.meta.url, 'decode-worker');
    worker.unref();
    rejectPendingOnDeath(worker, this.#pending, 'The image decoder stopped (out of memory?); try opening the image again.');
    worker.on('exit', () => {
      if (this.#worker === worker) this.#worker = null;
    });
    worker.on('message', (reply: DecodeReply) => {
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      this.#pending.delete(reply.id);
      if (reply.ok) pending.resolve({ ...reply, metadata: asBuffers(reply.metadata) });
      else pending.reject(reply.code ? new UserError(reply.message, reply.code) : new Error(reply.message));
    });
    this.#worker = worker;
    return worker;
  }
}
