/**
 * Opens images in a worker thread (decode-worker.ts), one at a time in arrival order; the pixels come
 * back as transferred buffers, so the server's thread only files them. The worker starts on the first
 * open and is replaced if it dies (every open waiting on it then fails with a sentence).
 */
import type { Frame } from '../api/api.js';
import type { ImageMetadata, InputFormat } from '../engine/index.js';
import type { FloatImage } from './pixels.js';
import { RequestWorker, type WorkerReply } from './request-worker.js';

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

export type DecodeReply = WorkerReply<DecodedImage>;

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
  readonly #worker = new RequestWorker<Omit<DecodeRequest, 'id'>, DecodedImage, DecodedImage>(
    import.meta.url,
    'decode-worker',
    'The image decoder stopped (out of memory?); try opening the image again.',
    ({ id: _id, ok: _ok, ...decoded }) => ({ ...decoded, metadata: asBuffers(decoded.metadata) }),
  );

  decode(file: string, previewMaxSide: number): Promise<DecodedImage> {
    return this.#worker.request({ file, previewMaxSide });
  }

  close(): Promise<void> {
    return this.#worker.close();
  }
}
