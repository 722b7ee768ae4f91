/**
 * A minimal Windows BMP decoder (sharp's prebuilt libvips cannot read BMP, and the T91 training
 * set is 24-bit BMP). Supports uncompressed 1/4/8-bit palette, 16-bit (5-5-5 or bit fields),
 * 24-bit and 32-bit images, bottom-up or top-down. RLE-compressed files are refused.
 * Output: the engine's Image (HWC float32, 0..1); grey palettes give 1 channel, 32-bit images
 * with a non-trivial alpha give 4.
 */
import { createImage, type Image } from './image.js';

export interface BmpHeader {
  width: number;
  height: number;
  bitsPerPixel: number;
  compression: number;
  topDown: boolean;
  dataOffset: number;
  headerSize: number;
}

export class BmpError extends Error {}

/** True when the bytes start like a BMP file ("BM"). */
export function isBmp(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x42 && head[1] === 0x4d;
}

/** Parses the BMP headers without touching pixel data (for the size check before decoding). */
export function readBmpHeader(file: Buffer): BmpHeader {
  if (file.length < 26 || !isBmp(file)) throw new BmpError('not a BMP file');
  const dataOffset = file.readUInt32LE(10);
  const headerSize = file.readUInt32LE(14);
  if (headerSize === 12) {
    return {
      width: file.readUInt16LE(18),
      height: file.readUInt16LE(20),
      bitsPerPixel: file.readUInt16LE(24),
      compression: 0,
      topDown: false,
      dataOffset,
      headerSize,
    };
  }
  if (headerSize < 40 || file.length < 14 + 40) throw new BmpError('truncated BMP header');
  const rawHeight = file.readInt32LE(22);
  return {
    width: file.readInt32LE(18),
    height: Math.abs(rawHeight),
    bitsPerPixel: file.readUInt16LE(28),
    compression: file.readUInt32LE(30),
    topDown: rawHeight < 0,
    dataOffset,
    headerSize,
  };
}

function maskShift(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

/** Decodes a whole BMP file. Throws BmpError with a short reason on anything it cannot read. */
export function decodeBmp(file: Buffer): Image {
  const h = readBmpHeader(file);
  const { width, height, bitsPerPixel: bpp } = h;
  if (width <= 0 || height <= 0) throw new BmpError(`invalid size ${width}×${height}`);
  const BI_RGB = 0;
  const BI_BITFIELDS = 3;
  const BI_ALPHABITFIELDS = 6;
  if (h.compression !== BI_RGB && h.compression !== BI_BITFIELDS && h.compression !== BI_ALPHABITFIELDS) {
    throw new BmpError(`compression type ${h.compression} (RLE or embedded JPEG/PNG) is not supported`);
  }
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) throw new BmpError(`${bpp} bits per pixel is not supported`);
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (h.dataOffset + stride * height > file.length) throw new BmpError('the pixel data is truncated');

  // Palette (bpp <= 8): BGRX quads (BGR triples for the old 12-byte header).
  let palette: number[][] = [];
  if (bpp <= 8) {
    const entrySize = h.headerSize === 12 ? 3 : 4;
    const colorsUsed = h.headerSize >= 40 ? file.readUInt32LE(46) : 0;
    const count = colorsUsed || 1 << bpp;
    const start = 14 + h.headerSize;
    if (start + count * entrySize > file.length) throw new BmpError('the palette is truncated');
    palette = Array.from({ length: count }, (_, i) => {
      const o = start + i * entrySize;
      return [file[o + 2], file[o + 1], file[o]];
    });
  }

  // Bit-field masks (16/32-bit): in the header for V4/V5, after a 40-byte header otherwise.
  let masks = bpp === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0x00ff0000, 0x0000ff00, 0x000000ff, 0xff000000];
  if (h.compression === BI_BITFIELDS || h.compression === BI_ALPHABITFIELDS) {
    const o = 14 + 40;
    masks = [file.readUInt32LE(o), file.readUInt32LE(o + 4), file.readUInt32LE(o + 8), 0];
    if (h.headerSize >= 56 || h.compression === BI_ALPHABITFIELDS) masks[3] = file.readUInt32LE(o + 12);
  } else if (bpp === 32 && h.headerSize < 56) {
    masks[3] = 0xff000000; // BI_RGB 32-bit: the fourth byte is alpha if any pixel uses it
  }
  const fields = masks.map(maskShift);

  const grey = bpp <= 8 && palette.every(([r, g, b]) => r === g && g === b);
  const rgba = new Float32Array(width * height * 4);
  let alphaUsed = false;
  for (let row = 0; row < height; row++) {
    const y = h.topDown ? row : height - 1 - row;
    const line = h.dataOffset + row * stride;
    for (let x = 0; x < width; x++) {
      let r: number;
      let g: number;
      let b: number;
      let a = 1;
      if (bpp <= 8) {
        const bit = x * bpp;
        const byte = file[line + (bit >> 3)];
        const index = (byte >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        const colour = palette[index] ?? [0, 0, 0];
        [r, g, b] = colour.map((v) => v / 255);
      } else if (bpp === 24) {
        const o = line + x * 3;
        [b, g, r] = [file[o] / 255, file[o + 1] / 255, file[o + 2] / 255];
      } else {
        const value = bpp === 16 ? file.readUInt16LE(line + x * 2) : file.readUInt32LE(line + x * 4);
        const channel = (i: number): number => {
          const f = fields[i];
          return f.max === 0 ? 0 : ((value & masks[i]) >>> f.shift) / f.max;
        };
        [r, g, b] = [channel(0), channel(1), channel(2)];
        if (fields[3].max !== 0) {
          a = channel(3);
          if (a !== 0) alphaUsed = true;
        }
      }
      const o = (y * width + x) * 4;
      rgba[o] = r;
      rgba[o + 1] = g;
      rgba[o + 2] = b;
      rgba[o + 3] = a;
    }
  }
  // A 32-bit file whose fourth byte is zero everywhere is opaque (the byte is padding).
  const hasAlpha = fields[3].max !== 0 && alphaUsed;
  const channels = grey ? 1 : hasAlpha ? 4 : 3;
  const image = createImage(width, height, channels);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < channels; c++) image.data[p * channels + c] = rgba[p * 4 + c];
  }
  return image;
}
