/** Masks as files: read one (white = missing, 50 % threshold), write one, or take it from an image's alpha. */
import path from 'node:path';
import { createImage, UserError, type Image, type Mask } from './image.js';
import { readImage, writeImage, type ReadImageOptions, type WriteImageResult } from './image-io.js';

/**
 * Reads a mask image where WHITE marks the pixels to fill: luminance (times alpha, if any)
 * ≥ 50 % means missing. Returns the engine's Mask (1 = observed, 0 = missing). Throws
 * UserError when its size differs from width × height.
 */
export async function readMask(file: string, width: number, height: number, options: ReadImageOptions = {}): Promise<Mask> {
  const { image } = await readImage(file, options);
  if (image.width !== width || image.height !== height) {
    throw new UserError(
      `The mask ${path.basename(file)} is ${image.width} × ${image.height} pixels but the image is ${width} × ${height}; they must be the same size.`,
      'mask-size',
    );
  }
  const { channels, data } = image;
  const mask = new Uint8Array(width * height);
  for (let p = 0; p < mask.length; p++) {
    const o = p * channels;
    const lum = channels <= 2 ? data[o] : 0.299 * data[o] + 0.587 * data[o + 1] + 0.114 * data[o + 2];
    const alpha = channels === 2 ? data[o + 1] : channels === 4 ? data[o + 3] : 1;
    mask[p] = lum * alpha >= 0.5 ? 0 : 1;
  }
  return { width, height, data: mask };
}

/** Writes a mask as an 8-bit grey PNG, white (255) = missing, black = observed. */
export async function writeMask(file: string, mask: Mask, options: { overwrite?: boolean } = {}): Promise<WriteImageResult> {
  const image = createImage(mask.width, mask.height, 1);
  for (let p = 0; p < mask.data.length; p++) image.data[p] = mask.data[p] === 0 ? 1 : 0;
  return writeImage(file, image, { format: 'png', bitDepth: 8, overwrite: options.overwrite });
}

/** The mask of an image's transparency: fully transparent pixels (alpha 0) are missing. */
export function alphaMask(image: Image): Mask {
  const { width, height, channels, data } = image;
  if (channels !== 2 && channels !== 4) {
    throw new UserError('The image has no alpha channel, so transparency cannot mark the pixels to fill.', 'no-alpha');
  }
  const mask = new Uint8Array(width * height);
  for (let p = 0; p < mask.length; p++) mask[p] = data[p * channels + channels - 1] === 0 ? 0 : 1;
  return { width, height, data: mask };
}
