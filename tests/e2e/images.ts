/** Synthetic photos for the browser suites, written as PNG. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

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
