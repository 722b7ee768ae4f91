/** Small synthetic photos and masks for the engine's tests. */
import { createImage, type Image, type Mask } from '../../src/engine/image.js';

/** A smoothly varying photo of width × height pixels (values in 0.2..0.8). */
export function photo(width: number, height: number, channels: Image['channels'] = 3): Image {
  const img = createImage(width, height, channels);
  for (let i = 0; i < img.data.length; i++) img.data[i] = 0.5 + 0.3 * Math.sin(i * 0.013) * Math.cos(i * 0.0007);
  return img;
}

/** A mask of width × height, known (1) everywhere but the holes [x, y, w, h] (0). */
export function maskWith(width: number, height: number, holes: [number, number, number, number][]): Mask {
  const data = new Uint8Array(width * height).fill(1);
  for (const [x, y, w, h] of holes) for (let r = y; r < y + h; r++) data.fill(0, r * width + x, r * width + x + w);
  return { width, height, data };
}
