/**
 * Resampling a model's result down to the size the user asked for (src/base/output-size.ts): sharp's
 * lanczos3 (libvips reduce, Lanczos with a = 3), on 16-bit samples so the 8-bit output is not rounded
 * twice; alpha is handled premultiplied by sharp, so transparent pixels do not bleed into their
 * neighbours. Values are clipped to 0..1 (Lanczos overshoots at edges).
 */
import sharp from 'sharp';
import { createImage, type Image } from './image.js';
import { encodeSamplesInto, type Samples, type SamplesShape } from './image-io.js';

function colourspace(channels: number, depth: 8 | 16): 'b-w' | 'grey16' | 'srgb' | 'rgb16' {
  return channels <= 2 ? (depth === 16 ? 'grey16' : 'b-w') : depth === 16 ? 'rgb16' : 'srgb';
}

/** Samples (8 or 16 bits, interleaved) resized to width × height with lanczos3, same depth and channels. */
export async function resampleSamples(
  samples: Samples,
  shape: SamplesShape,
  width: number,
  height: number,
  depth: 8 | 16,
): Promise<Samples> {
  if (width === shape.width && height === shape.height) return samples;
  const { data, info } = await sharp(samples, {
    raw: { width: shape.width, height: shape.height, channels: shape.channels },
    limitInputPixels: false,
  })
    .resize(width, height, { kernel: 'lanczos3', fit: 'fill' })
    .toColourspace(colourspace(shape.channels, depth))
    .raw(depth === 16 ? { depth: 'ushort' } : {})
    .toBuffer({ resolveWithObject: true });
  if (info.width !== width || info.height !== height || info.channels !== shape.channels) {
    throw new Error(
      `resampleSamples: sharp returned ${info.width}×${info.height}×${info.channels}, not ${width}×${height}×${shape.channels}.`,
    );
  }
  return depth === 16
    ? new Uint16Array(data.buffer, data.byteOffset, data.length / 2)
    : new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/** An image (0..1) resized to width × height with lanczos3, through 16-bit samples. */
export async function resampleImage(image: Image, width: number, height: number): Promise<Image> {
  if (width === image.width && height === image.height) return image;
  const samples = new Uint16Array(image.data.length);
  encodeSamplesInto(image.data, 16, samples);
  const out = await resampleSamples(samples, image, width, height, 16);
  const result = createImage(width, height, image.channels);
  for (let i = 0; i < out.length; i++) result.data[i] = out[i] / 65535;
  return result;
}
