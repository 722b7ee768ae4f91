/**
 * Decodes opened images off the server's thread: sharp's decode, the conversion to float, the preview's
 * box filter and the transparency scan of a 100 MP photo take seconds of JavaScript, which on the
 * server's thread (Electron's main process) would freeze the window and every other request.
 */
import { parentPort } from 'node:worker_threads';
import { UserError } from '../base/errors.js';
import { readImage } from '../engine/index.js';
import type { DecodeReply, DecodeRequest } from './decoder.js';
import { toFrame, type FloatImage } from './pixels.js';

function hasTransparency(image: FloatImage): boolean {
  if (image.channels !== 2 && image.channels !== 4) return false;
  for (let p = image.channels - 1; p < image.data.length; p += image.channels) if (image.data[p] === 0) return true;
  return false;
}

async function decode({ id, file, previewMaxSide }: DecodeRequest): Promise<void> {
  try {
    const { image, bitDepth, format, metadata } = await readImage(file);
    const preview = toFrame(image, previewMaxSide);
    const reply: DecodeReply = {
      id,
      ok: true,
      image,
      bitDepth,
      format,
      metadata,
      preview,
      hasTransparency: hasTransparency(image),
    };
    parentPort!.postMessage(reply, [image.data.buffer as ArrayBuffer, preview.rgba.buffer as ArrayBuffer]);
  } catch (error) {
    const user = error instanceof UserError;
    const message = error instanceof Error ? error.message : String(error);
    parentPort!.postMessage({ id, ok: false, message, ...(user ? { code: error.code } : {}) } satisfies DecodeReply);
  }
}

parentPort!.on('message', (request: DecodeRequest) => void decode(request));
