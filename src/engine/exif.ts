/**
 * Small binary helpers for carrying metadata: patching an EXIF block and adding chunks to a PNG.
 *
 * sharp can keep the EXIF of an *encoded* input but cannot attach an EXIF blob to raw pixels
 * (`withExif` only takes string fields). image-io therefore encodes the pixels as an uncompressed
 * PNG "carrier", inserts the original EXIF as an eXIf chunk, and lets sharp `keepExif()` from
 * that carrier into the real output format.
 */

/** The "Exif\0\0" prefix sharp's metadata().exif carries before the TIFF structure. */
const EXIF_HEADER = Buffer.from('Exif\0\0', 'latin1');

/** The TIFF structure of an EXIF block, with or without the "Exif\0\0" prefix. */
export function exifTiff(exif: Buffer): Buffer {
  return exif.subarray(0, 6).equals(EXIF_HEADER) ? exif.subarray(6) : exif;
}

const TAG_ORIENTATION = 0x0112;
const TYPE_SHORT = 3;

/**
 * A copy of an EXIF block (with or without its "Exif\0\0" prefix, kept as given) whose IFD0
 * orientation is 1 (the pixels were rotated upright on reading) and whose IFD1 (the embedded
 * thumbnail of the *original* pixels) is unlinked, so viewers cannot show a stale thumbnail.
 * Returns undefined when the block is not valid TIFF, so callers drop it rather than write garbage.
 */
export function resetExifOrientation(exif: Buffer): Buffer | undefined {
  const out = Buffer.from(exif);
  const tiff = exifTiff(out);
  if (tiff.length < 8) return undefined;
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const le = order === 'II';
  const u16 = (o: number): number => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
  const u32 = (o: number): number => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
  if (u16(2) !== 42) return undefined;
  const ifd0 = u32(4);
  if (ifd0 + 2 > tiff.length) return undefined;
  const count = u16(ifd0);
  const end = ifd0 + 2 + count * 12;
  if (end + 4 > tiff.length) return undefined;
  for (let i = 0; i < count; i++) {
    const entry = ifd0 + 2 + i * 12;
    if (u16(entry) === TAG_ORIENTATION && u16(entry + 2) === TYPE_SHORT) {
      // A single SHORT sits left-justified in the 4-byte value field.
      if (le) tiff.writeUInt16LE(1, entry + 8);
      else tiff.writeUInt16BE(1, entry + 8);
    }
  }
  if (le) tiff.writeUInt32LE(0, end);
  else tiff.writeUInt32BE(0, end);
  return out;
}

/** The IFD0 orientation (1–8) of an EXIF block, or undefined. */
export function exifOrientation(exif: Buffer): number | undefined {
  const tiff = exifTiff(exif);
  if (tiff.length < 8) return undefined;
  const le = tiff.toString('latin1', 0, 2) === 'II';
  const u16 = (o: number): number => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
  const u32 = (o: number): number => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
  const ifd0 = u32(4);
  if (ifd0 + 2 > tiff.length) return undefined;
  const count = u16(ifd0);
  for (let i = 0; i < count; i++) {
    const entry = ifd0 + 2 + i * 12;
    if (entry + 12 > tiff.length) return undefined;
    if (u16(entry) === TAG_ORIENTATION) return u16(entry + 8);
  }
  return undefined;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (the PNG / zlib polynomial). */
export function crc32(data: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Inserts an eXIf chunk (the TIFF structure of `exif`) right after the IHDR chunk of a PNG. */
export function insertPngExif(png: Buffer, exif: Buffer): Buffer {
  if (!png.subarray(0, 8).equals(PNG_SIGNATURE) || png.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error('insertPngExif: not a PNG with a leading IHDR chunk.');
  }
  const afterIhdr = 8 + 12 + png.readUInt32BE(8);
  return Buffer.concat([png.subarray(0, afterIhdr), pngChunk('eXIf', exifTiff(exif)), png.subarray(afterIhdr)]);
}
