/**
 * The engine's in-memory image: interleaved HWC float32, values on the 0..1 scale
 * (8-bit value / 255, 16-bit value / 65535). Channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.
 */
export interface Image {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
  readonly data: Float32Array;
}

export function createImage(width: number, height: number, channels: Image['channels']): Image {
  return { width, height, channels, data: new Float32Array(width * height * channels) };
}

/**
 * The width × height rectangle of `image` whose top-left pixel is (x0, y0), as a new image with the same
 * channels. The rectangle must lie inside the image: nothing is padded or clamped.
 */
export function cropImage(image: Image, x0: number, y0: number, width: number, height: number): Image {
  const ch = image.channels;
  const out = createImage(width, height, ch);
  for (let y = 0; y < height; y++) {
    const from = ((y0 + y) * image.width + x0) * ch;
    out.data.set(image.data.subarray(from, from + width * ch), y * width * ch);
  }
  return out;
}

/** A single-channel mask, 1 = observed (known) pixel, 0 = missing pixel (docs/protocols.md §1). */
export interface Mask {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export { UserError } from '../base/errors.js';
