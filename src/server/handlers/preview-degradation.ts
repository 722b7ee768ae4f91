/**
 * What a degradation means, shown live while the user moves the scale and blur controls: a centre
 * crop of the image, and the same crop after W (blur u, ↓t, 8-bit) and bicubic ↑t back.
 */
import { bicubicUpscaleImage, degradeSr, type Image } from '../../engine/index.js';
import type { Channels } from '../../api/api.js';
import { toFrame } from '../pixels.js';
import type { Handler } from './context.js';

/** Crop side in pixels: small enough to compute on the server thread in a few milliseconds. */
const CROP = 192;

export const previewDegradation: Handler<typeof Channels.previewDegradation> = async (
  { imageId, scale, blur },
  { workspace },
) => {
  const { image } = workspace.image(imageId);
  const side = (n: number) => Math.max(scale, Math.floor(Math.min(n, CROP) / scale) * scale);
  const w = Math.min(side(image.width), image.width);
  const h = Math.min(side(image.height), image.height);
  const x0 = Math.floor((image.width - w) / 2);
  const y0 = Math.floor((image.height - h) / 2);
  const C = image.channels;
  const crop = new Float32Array(w * h * C);
  for (let y = 0; y < h; y++)
    crop.set(image.data.subarray(((y0 + y) * image.width + x0) * C, ((y0 + y) * image.width + x0 + w) * C), y * w * C);
  const original: Image = { width: w, height: h, channels: C, data: crop };
  if (w < scale || h < scale) return { original: toFrame(original, CROP), degraded: toFrame(original, CROP) };
  const degraded = bicubicUpscaleImage(degradeSr(original, scale, blur), scale);
  return { original: toFrame(original, CROP), degraded: toFrame(degraded, CROP) };
};
