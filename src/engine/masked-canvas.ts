/**
 * Where the fills of masked restoration are gathered: per-pixel weighted sums of crop estimates, and the
 * composite (known pixels from the input, missing ones from the fills) or the raw estimate.
 */
import { resizeImage } from './degradations.js';
import { createImage, type Image, type Mask } from './image.js';
import { SIZE, type Crop } from './masked-batch.js';

/** Crops of interpolation overlap by this much of 64 px; their outputs are feathered over it. */
export const TILE_STRIDE = 48;

/** The image as RGB (grey replicated, alpha dropped). */
export function rgbOf(image: Image): Image {
  const { width, height, channels, data } = image;
  if (channels === 3) return image;
  const out = createImage(width, height, 3);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) out.data[p * 3 + c] = channels <= 2 ? data[p * channels] : data[p * channels + c];
  }
  return out;
}

/** Feather weight of a crop pixel: ramps up over the overlap so neighbouring tiles blend without seams. */
function feather(i: number, size: number): number {
  const ramp = SIZE - TILE_STRIDE;
  return Math.min(1, (Math.min(i, size - 1 - i) + 1) / ramp);
}

/** Accumulates crop outputs (0..1) into the missing pixels with per-pixel weights. */
export class Canvas {
  readonly sum: Float32Array;
  readonly weight: Float32Array;
  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.sum = new Float32Array(width * height * 3);
    this.weight = new Float32Array(width * height);
  }

  /** Adds a crop's output at its missing pixels (or, with `known`, at its known pixels: the raw estimate there). */
  add(c: Crop, out64: Float32Array, mask: Mask, labels?: Int32Array, known = false): void {
    const small: Image = { width: SIZE, height: SIZE, channels: 3, data: out64 };
    const full = c.size === SIZE ? small : resizeImage(small, c.size, c.size);
    this.addImage(c.x, c.y, full, mask, labels, c.component, known);
  }

  /**
   * Adds an RGB estimate placed at (x0, y0) at its missing pixels of `component` (all missing pixels
   * without labels, blended by feather weights), or with `known` at its known pixels.
   */
  addImage(x0: number, y0: number, full: Image, mask: Mask, labels?: Int32Array, component?: number, known = false): void {
    for (let y = 0; y < full.height; y++) {
      for (let x = 0; x < full.width; x++) {
        const p = (y0 + y) * this.width + x0 + x;
        if ((mask.data[p] !== 0) !== known) continue;
        if (!known && labels && labels[p] !== component) continue;
        const w = labels ? 1 : feather(x, full.width) * feather(y, full.height);
        this.weight[p] += w;
        for (let k = 0; k < 3; k++) this.sum[p * 3 + k] += w * full.data[(y * full.width + x) * 3 + k];
      }
    }
  }

  /** The input with every pixel that has an accumulated estimate replaced by it (no compositing). */
  estimate(image: Image): Image {
    const out = createImage(image.width, image.height, image.channels);
    out.data.set(image.data);
    const ch = image.channels;
    const colour = ch === 2 || ch === 4 ? ch - 1 : ch;
    for (let p = 0; p < this.weight.length; p++) {
      const w = this.weight[p];
      if (w === 0) continue;
      const r = this.sum[p * 3] / w;
      const g = this.sum[p * 3 + 1] / w;
      const b = this.sum[p * 3 + 2] / w;
      if (colour === 1) out.data[p * ch] = (r + g + b) / 3;
      else {
        out.data[p * ch] = r;
        out.data[p * ch + 1] = g;
        out.data[p * ch + 2] = b;
      }
    }
    return out;
  }

  /** The composite: known pixels from the input, missing ones from the accumulated fills. */
  composite(image: Image, mask: Mask): Image {
    const out = createImage(image.width, image.height, image.channels);
    out.data.set(image.data);
    const ch = image.channels;
    const colour = ch === 2 || ch === 4 ? ch - 1 : ch;
    const unit = (v: number) => Math.min(1, Math.max(0, v));
    for (let p = 0; p < mask.data.length; p++) {
      const w = this.weight[p];
      if (mask.data[p] !== 0 || w === 0) continue;
      const r = unit(this.sum[p * 3] / w);
      const g = unit(this.sum[p * 3 + 1] / w);
      const b = unit(this.sum[p * 3 + 2] / w);
      if (colour === 1) out.data[p * ch] = (r + g + b) / 3;
      else {
        out.data[p * ch] = r;
        out.data[p * ch + 1] = g;
        out.data[p * ch + 2] = b;
      }
      if (ch === 2 || ch === 4) out.data[p * ch + ch - 1] = 1; // a filled pixel is opaque
    }
    return out;
  }
}
