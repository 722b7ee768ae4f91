/**
 * Image files ↔ the engine's Image (docs/architecture.md §7), through sharp (libvips).
 *
 * Reading: EXIF orientation is applied (pixels come out upright); 8- and 16-bit depth is kept
 * (values / 255 or / 65535); grey stays 1 channel (2 with alpha); alpha is kept; pixels with an
 * embedded ICC profile are converted to sRGB by sharp (its default), and the profile, EXIF and
 * XMP are returned so the output can carry them. Every check that can refuse a file (missing,
 * empty, text, unsupported, corrupt header, too many pixels) runs before pixels are decoded.
 *
 * Writing: atomic (temporary file in the same folder, then rename; removed on any failure), never
 * over an existing file unless `overwrite` is set. Metadata: the ICC profile is re-applied with
 * sharp's withIccProfile (sRGB → that profile, then attached), XMP with withXmp, and EXIF (with
 * orientation reset to 1 and the stale thumbnail dropped) through an uncompressed PNG carrier
 * and keepExif, because sharp cannot attach an EXIF blob to raw pixels. sharp writes no EXIF to
 * TIFF, so TIFF outputs carry ICC and XMP only.
 */
import { constants as fsConstants } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from './atomic-write.js';
import type { OutputFormat } from '../base/formats.js';
import { DEFAULT_QUALITY, MAX_PIXELS } from '../base/limits.js';
import { BmpError, decodeBmp, isBmp, readBmpHeader } from './bmp.js';
import { exifOrientation, insertPngExif, resetExifOrientation } from './exif.js';
import { createImage, UserError, type Image } from './image.js';

/** Formats readImage accepts ('heif' covers AVIF). */
export type InputFormat = 'png' | 'jpeg' | 'webp' | 'tiff' | 'gif' | 'heif' | 'bmp';
/** Formats writeImage produces (declared in src/base). */
export type { OutputFormat };
export { writeFileAtomic };

export interface ImageMetadata {
  /** The embedded ICC profile; the returned pixels were converted from it to sRGB. */
  readonly icc?: Buffer;
  /** The raw EXIF block ("Exif\0\0" + TIFF structure) as found in the file. */
  readonly exif?: Buffer;
  /** The raw XMP packet. */
  readonly xmp?: Buffer;
  /** EXIF orientation found in the file (1–8); the returned pixels are already upright. */
  readonly orientation?: number;
  /** Pixels per inch, when the file says. */
  readonly density?: number;
}

export interface ReadImageResult {
  readonly image: Image;
  readonly bitDepth: 8 | 16;
  readonly format: InputFormat;
  readonly metadata: ImageMetadata;
}

export interface ReadImageOptions {
  /** Refuse images with more pixels than this (default 100 MP). */
  readonly maxPixels?: number;
}

export interface WriteImageOptions {
  /** Default: from the file extension. */
  readonly format?: OutputFormat;
  /** JPEG / WebP quality 1–100 (default 92). */
  readonly quality?: number;
  /** 8 (default) or 16; JPEG and WebP are always 8-bit. */
  readonly bitDepth?: 8 | 16;
  /** Metadata to carry (usually the input's, from readImage). */
  readonly metadata?: ImageMetadata;
  /** Replace an existing file (default false: refuse). */
  readonly overwrite?: boolean;
}

export interface WriteImageResult {
  readonly path: string;
  readonly format: OutputFormat;
  readonly bitDepth: 8 | 16;
  /** Things the user may want to know, one sentence each (e.g. alpha flattened for JPEG). */
  readonly warnings: string[];
}

const SUPPORTED_INPUT = new Set<string>(['png', 'jpeg', 'webp', 'tiff', 'gif', 'heif', 'bmp']);
const INPUT_LIST = 'PNG, JPEG, WebP, TIFF, BMP, GIF or AVIF';

function displayName(file: string): string {
  return path.basename(file);
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

/** Heuristic: the first bytes are printable text (ASCII/UTF-8 without control characters). */
function looksLikeText(head: Buffer): boolean {
  if (head.length === 0) return false;
  const text = head.toString('utf8');
  if (text.includes('\uFFFD') && head.length > 4) {
    // Tolerate a multi-byte character cut at the end of the sample.
    const trimmed = head.subarray(0, head.length - 4).toString('utf8');
    if (trimmed.includes('\uFFFD')) return false;
  }
  for (let i = 0; i < head.length; i++) {
    const b = head[i];
    if (b < 0x09 || (b > 0x0d && b < 0x20) || b === 0x7f) return false;
  }
  return true;
}

async function readHead(file: string, bytes: number): Promise<Buffer> {
  const handle = await open(file, fsConstants.O_RDONLY);
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Checks that `file` is a readable, non-empty regular file; returns its size. */
async function checkInputFile(file: string): Promise<number> {
  const name = displayName(file);
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UserError(`${name} does not exist.`, 'not-found');
    if (code === 'EACCES' || code === 'EPERM') throw new UserError(`${name} cannot be read (permission denied).`, 'permission');
    throw error;
  }
  if (info.isDirectory()) throw new UserError(`${name} is a folder, not an image file.`, 'bad-input');
  if (!info.isFile()) throw new UserError(`${name} is not a regular file.`, 'bad-input');
  if (info.size === 0) throw new UserError(`${name} is empty (0 bytes).`, 'empty');
  return info.size;
}

function formatLimit(pixels: number): string {
  return pixels >= 100_000 ? `${+(pixels / 1e6).toFixed(1)} MP` : `${pixels}-pixel`;
}

function checkPixels(name: string, width: number, height: number, maxPixels: number): void {
  if (!(width > 0 && height > 0)) throw new UserError(`${name} has no pixels (${width} × ${height}).`, 'corrupt');
  if (width * height > maxPixels) {
    const mp = (width * height) / 1e6;
    throw new UserError(
      `${name} is ${width} × ${height} pixels (${mp.toFixed(mp < 10 ? 1 : 0)} MP), above the ${formatLimit(maxPixels)} limit.`,
      'too-large',
    );
  }
}

function corrupt(name: string, error: unknown): UserError {
  const reason =
    error instanceof Error
      ? error.message
          .split('\n')[0]
          .replace(/^[A-Za-z_]+: /, '')
          .replace(/\.$/, '')
      : '';
  return new UserError(`${name} is corrupt or truncated and cannot be decoded${reason ? ` (${reason})` : ''}.`, 'corrupt');
}

/** Decodes a uint8/uint16 interleaved buffer into a 0..1 Image. */
function toImage(data: Buffer, width: number, height: number, channels: number, depth: 8 | 16): Image {
  const image = createImage(width, height, channels as Image['channels']);
  const out = image.data;
  if (depth === 8) {
    for (let i = 0; i < out.length; i++) out[i] = data[i] / 255;
  } else {
    const words = new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = words[i] / 65535;
  }
  return image;
}

/**
 * Reads an image file. Throws UserError (one sentence naming the file) for a missing, empty,
 * text, unsupported, corrupt or truncated file, or one with more than `maxPixels` pixels.
 */
export async function readImage(file: string, options: ReadImageOptions = {}): Promise<ReadImageResult> {
  const name = displayName(file);
  const maxPixels = options.maxPixels ?? MAX_PIXELS;
  await checkInputFile(file);
  const head = await readHead(file, 512);

  if (isBmp(head)) {
    const bytes = await readFile(file);
    try {
      const header = readBmpHeader(bytes);
      checkPixels(name, header.width, Math.abs(header.height), maxPixels);
      return { image: decodeBmp(bytes), bitDepth: 8, format: 'bmp', metadata: {} };
    } catch (error) {
      if (error instanceof BmpError) {
        throw new UserError(`${name} is not a BMP file this app can read (${error.message}).`, 'corrupt');
      }
      throw error;
    }
  }

  const sharpOptions: sharp.SharpOptions = { limitInputPixels: maxPixels, failOn: 'error' };
  let meta: sharp.Metadata;
  try {
    meta = await sharp(file, { ...sharpOptions, limitInputPixels: false }).metadata(); // size checked below
  } catch (error) {
    const message = error instanceof Error ? error.message : '';
    if (/unsupported image format/i.test(message)) {
      if (looksLikeText(head)) throw new UserError(`${name} is a text file, not an image.`, 'unsupported');
      throw new UserError(`${name} is not in a supported image format (${INPUT_LIST}).`, 'unsupported');
    }
    throw corrupt(name, error);
  }
  const format = meta.format as string;
  if (!SUPPORTED_INPUT.has(format)) {
    const label = format === 'svg' ? 'SVG (vector)' : format.toUpperCase();
    throw new UserError(`${name} is ${label}, which is not supported; use ${INPUT_LIST}.`, 'unsupported');
  }
  checkPixels(name, meta.width ?? 0, meta.height ?? 0, maxPixels);

  const bitDepth: 8 | 16 = meta.depth === 'uchar' || meta.depth === 'char' || meta.depth === undefined ? 8 : 16;
  const grey = meta.space === 'b-w' || meta.space === 'grey16';
  const hasAlpha = meta.hasAlpha === true;
  // 8-bit grey + alpha goes through grey16 because libvips drops the alpha of 'b-w' output; its
  // 8→16-bit conversion is exact (v·257). 8-bit colour stays 8-bit: libvips' sRGB→RGB16 is not v·257.
  const wide = bitDepth === 16 || (grey && hasAlpha);
  const space = grey ? (wide ? 'grey16' : 'b-w') : wide ? 'rgb16' : 'srgb';
  let decoded: { data: Buffer; info: sharp.OutputInfo };
  try {
    decoded = await sharp(file, sharpOptions)
      .rotate() // EXIF orientation
      .toColourspace(space)
      .raw(wide ? { depth: 'ushort' } : {})
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw corrupt(name, error);
  }
  const { width, height, channels } = decoded.info;
  if (channels < 1 || channels > 4)
    throw new UserError(`${name} has ${channels} channels, which is not supported.`, 'unsupported');
  const image = toImage(decoded.data, width, height, channels, wide ? 16 : 8);
  const orientation = meta.orientation ?? (meta.exif ? exifOrientation(meta.exif) : undefined);
  return {
    image,
    bitDepth,
    format: format as InputFormat,
    metadata: {
      ...(meta.icc ? { icc: meta.icc } : {}),
      ...(meta.exif ? { exif: meta.exif } : {}),
      ...(meta.xmp ? { xmp: meta.xmp } : {}),
      ...(orientation !== undefined ? { orientation } : {}),
      ...(meta.density !== undefined ? { density: meta.density } : {}),
    },
  };
}

/**
 * The upright size of an image from its header alone (EXIF orientations 5–8 swap the sides), with the
 * same refusals as readImage's header checks: to plan an output size before any pixel is decoded.
 */
export async function readImageSize(file: string, options: ReadImageOptions = {}): Promise<{ width: number; height: number }> {
  const name = displayName(file);
  const maxPixels = options.maxPixels ?? MAX_PIXELS;
  await checkInputFile(file);
  const head = await readHead(file, 512);
  if (isBmp(head)) {
    try {
      const header = readBmpHeader(await readFile(file));
      checkPixels(name, header.width, Math.abs(header.height), maxPixels);
      return { width: header.width, height: Math.abs(header.height) };
    } catch (error) {
      if (error instanceof BmpError)
        throw new UserError(`${name} is not a BMP file this app can read (${error.message}).`, 'corrupt');
      throw error;
    }
  }
  let meta: sharp.Metadata;
  try {
    meta = await sharp(file, { limitInputPixels: false, failOn: 'error' }).metadata();
  } catch (error) {
    const message = error instanceof Error ? error.message : '';
    if (/unsupported image format/i.test(message)) {
      if (looksLikeText(head)) throw new UserError(`${name} is a text file, not an image.`, 'unsupported');
      throw new UserError(`${name} is not in a supported image format (${INPUT_LIST}).`, 'unsupported');
    }
    throw corrupt(name, error);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  checkPixels(name, width, height, maxPixels);
  const orientation = meta.orientation ?? (meta.exif ? exifOrientation(meta.exif) : undefined) ?? 1;
  return orientation >= 5 ? { width: height, height: width } : { width, height };
}

/** The output format a file name implies, or undefined. */
export function formatFromPath(file: string): OutputFormat | undefined {
  const ext = path.extname(file).toLowerCase();
  switch (ext) {
    case '.png':
      return 'png';
    case '.jpg':
    case '.jpeg':
      return 'jpeg';
    case '.webp':
      return 'webp';
    case '.tif':
    case '.tiff':
      return 'tiff';
    default:
      return undefined;
  }
}

/** Largest side each output format can store. */
const MAX_SIDE: Record<OutputFormat, number> = { png: 2 ** 31 - 1, jpeg: 65_535, webp: 16_383, tiff: 2 ** 31 - 1 };

/** Samples of the output file: every value rounded and clipped to `depth` bits. */
export type Samples = Uint8Array | Uint16Array;

/** Rounds and clips 0..1 values to `depth`-bit samples, written into `out` from index `offset`. */
export function encodeSamplesInto(src: Float32Array, depth: 8 | 16, out: Samples, offset = 0): void {
  const max = depth === 8 ? 255 : 65535;
  for (let i = 0; i < src.length; i++) {
    const q = Math.round(src[i] * max);
    out[offset + i] = q > 0 ? (q < max ? q : max) : 0; // NaN → 0
  }
}

function encodeSamples(image: Image, depth: 8 | 16): Samples {
  const out = depth === 8 ? new Uint8Array(image.data.length) : new Uint16Array(image.data.length);
  encodeSamplesInto(image.data, depth, out);
  return out;
}

/** The shape of raw samples: width × height × channels, row-major, interleaved. */
export interface SamplesShape {
  width: number;
  height: number;
  channels: Image['channels'];
}

/** The 4-letter colour space of an ICC profile header ('RGB ', 'GRAY', 'CMYK', ...). */
function iccColourSpace(icc: Buffer): string {
  return icc.length >= 20 ? icc.toString('latin1', 16, 20) : '';
}

async function encode(
  samples: Samples,
  shape: SamplesShape,
  format: OutputFormat,
  depth: 8 | 16,
  quality: number,
  metadata: ImageMetadata | undefined,
  warnings: string[],
): Promise<Buffer> {
  const { width, height, channels } = shape;
  const grey = channels <= 2;
  const space = grey ? (depth === 16 ? 'grey16' : 'b-w') : depth === 16 ? 'rgb16' : 'srgb';
  const raw = { width, height, channels };
  let pipeline = sharp(samples, { raw, limitInputPixels: false });

  const exif = metadata?.exif ? resetExifOrientation(metadata.exif) : undefined;
  if (metadata?.exif && exif === undefined) warnings.push('The EXIF block of the input is malformed and was not copied.');
  if (exif !== undefined && format !== 'tiff') {
    // Carrier: uncompressed PNG + eXIf chunk, re-read by sharp, which then keeps the EXIF.
    const carrier = await pipeline.toColourspace(space).png({ compressionLevel: 0 }).toBuffer();
    pipeline = sharp(insertPngExif(carrier, exif), { limitInputPixels: false }).keepExif();
  } else if (exif !== undefined) {
    warnings.push('TIFF output carries no EXIF (sharp does not write it); the ICC profile and XMP are kept.');
  }
  pipeline = pipeline.toColourspace(space);

  let iccDir: string | undefined;
  try {
    const icc = metadata?.icc;
    if (icc !== undefined) {
      const profileSpace = iccColourSpace(icc);
      if ((profileSpace === 'RGB ' && !grey) || (profileSpace === 'GRAY' && grey)) {
        iccDir = await mkdtemp(path.join(os.tmpdir(), 'dlnet-icc-'));
        const iccPath = path.join(iccDir, 'profile.icc');
        await writeFile(iccPath, icc);
        pipeline = pipeline.withIccProfile(iccPath);
      } else {
        warnings.push(
          `The input's ${profileSpace.trim() || 'unknown'} ICC profile does not fit the output's colours and was not copied.`,
        );
      }
    }
    if (metadata?.xmp !== undefined) pipeline = pipeline.withXmp(metadata.xmp.toString('utf8'));

    const hasAlpha = channels === 2 || channels === 4;
    switch (format) {
      case 'png':
        pipeline = pipeline.png({ compressionLevel: 6 });
        break;
      case 'jpeg':
        if (hasAlpha) {
          pipeline = pipeline.flatten({ background: '#ffffff' });
          warnings.push('JPEG has no transparency, so the alpha channel was flattened onto white.');
        }
        pipeline = pipeline.jpeg({ quality, chromaSubsampling: quality >= 90 ? '4:4:4' : '4:2:0' });
        break;
      case 'webp':
        pipeline = pipeline.webp({ quality, alphaQuality: 100, lossless: quality >= 100 });
        break;
      case 'tiff':
        pipeline = pipeline.tiff({ compression: 'deflate', predictor: 'horizontal' });
        break;
    }
    try {
      return await pipeline.toBuffer();
    } catch (error) {
      if (iccDir !== undefined && /icc|profile|lcms/i.test(error instanceof Error ? error.message : '')) {
        // A profile lcms cannot apply: write the image without it rather than fail.
        warnings.push('The ICC profile of the input could not be applied and was not copied.');
        return encode(samples, shape, format, depth, quality, { ...metadata, icc: undefined }, warnings);
      }
      throw error;
    }
  } finally {
    if (iccDir !== undefined) await rm(iccDir, { recursive: true, force: true });
  }
}


/**
 * Encodes and writes an image atomically (see writeFileAtomic). Values are rounded and clipped
 * to the output bit depth. Throws UserError for an unknown extension, an existing file (unless
 * `overwrite`), a size the format cannot store, or a folder that cannot be written.
 */
export async function writeImage(file: string, image: Image, options: WriteImageOptions = {}): Promise<WriteImageResult> {
  if (image.data.length !== image.width * image.height * image.channels || image.width < 1 || image.height < 1) {
    throw new Error(`writeImage: the image data does not match ${image.width}×${image.height}×${image.channels}.`);
  }
  return writeSamples(file, (depth) => encodeSamples(image, depth), image, options);
}

/**
 * writeImage for an image that is already samples (8 or 16 bits, as `depth` asks for the output's
 * depth): `samplesFor(depth)` is called once. Lets a caller build a large image row by row without
 * a float copy of it (saved iterations).
 */
export async function writeSamples(
  file: string,
  samplesFor: (depth: 8 | 16) => Samples | Promise<Samples>,
  shape: SamplesShape,
  options: WriteImageOptions = {},
): Promise<WriteImageResult> {
  const name = displayName(file);
  const format = options.format ?? formatFromPath(file);
  if (format === undefined) {
    throw new UserError(`Cannot tell the output format from the name ${name}; use .png, .jpg, .webp or .tif.`, 'bad-output');
  }
  const image = shape;
  if (Math.max(image.width, image.height) > MAX_SIDE[format]) {
    throw new UserError(
      `${format.toUpperCase()} cannot store a ${image.width} × ${image.height} image (at most ${MAX_SIDE[format]} pixels a side); use PNG or TIFF.`,
      'too-large',
    );
  }
  const quality = options.quality ?? DEFAULT_QUALITY;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new UserError(`The quality must be an integer from 1 to 100, not ${quality}.`, 'bad-option');
  }
  const bitDepth: 8 | 16 = format === 'jpeg' || format === 'webp' ? 8 : (options.bitDepth ?? 8);
  const warnings: string[] = [];
  if (options.bitDepth === 16 && bitDepth === 8)
    warnings.push(`${format.toUpperCase()} stores 8 bits per channel, so the 16-bit data was reduced.`);
  const samples = await samplesFor(bitDepth);
  if (samples.length !== shape.width * shape.height * shape.channels || shape.width < 1 || shape.height < 1) {
    throw new Error(`writeSamples: the samples do not match ${shape.width}×${shape.height}×${shape.channels}.`);
  }
  const data = await encode(samples, shape, format, bitDepth, quality, options.metadata, warnings);
  await writeFileAtomic(file, data, options.overwrite === true);
  return { path: file, format, bitDepth, warnings };
}
