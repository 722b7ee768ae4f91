/** Small synthetic photos and masks for the tests: in memory for the engine, as PNG files for the app and the browser suites. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
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

/**
 * photo-1.png: seeded grey noise, sharp; photo-2.png: the same, blurred — two photos that call for
 * different u (side × side each, written into `folder`).
 */
export async function writeSharpAndBlurred(folder: string, side: number): Promise<void> {
  mkdirSync(folder, { recursive: true });
  let seed = 7;
  const raw = Buffer.alloc(side * side * 3);
  for (let i = 0; i < raw.length; i += 3) raw.fill((seed = (seed * 16807) % 2147483647) % 256, i, i + 3);
  const noise = sharp(raw, { raw: { width: side, height: side, channels: 3 } });
  await noise.clone().png().toFile(path.join(folder, 'photo-1.png'));
  await noise.clone().blur(2).png().toFile(path.join(folder, 'photo-2.png'));
}

/** A smooth synthetic photo: gradients, a disc and stripes. Returns its RGB pixels. */
export async function writePhoto(file: string, width: number, height: number): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const disc = (x - width * 0.6) ** 2 + (y - height * 0.45) ** 2 < (Math.min(width, height) * 0.22) ** 2;
      raw[o] = disc ? 230 : Math.round(40 + (180 * x) / width);
      raw[o + 1] = disc ? 180 : Math.round(60 + (140 * y) / height);
      raw[o + 2] = Math.round(120 + 60 * Math.sin(x / 5) * Math.cos(y / 7));
    }
  }
  await sharp(raw, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(file);
  return raw;
}

/** `count` different gradient-and-stripes images photo-1.png … photo-<count>.png in `folder`. */
export async function writeImages(folder: string, count: number, width: number, height: number): Promise<void> {
  mkdirSync(folder, { recursive: true });
  for (let i = 0; i < count; i++) {
    const raw = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = (y * width + x) * 3;
        raw[o] = (40 + 4 * x + 30 * i) % 256;
        raw[o + 1] = (60 + 3 * y) % 256;
        raw[o + 2] = Math.round(128 + 90 * Math.sin((x + i) / 4));
      }
    }
    await sharp(raw, { raw: { width, height, channels: 3 } })
      .png()
      .toFile(path.join(folder, `photo-${i + 1}.png`));
  }
}
