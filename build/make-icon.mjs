#!/usr/bin/env node
// Renders the app icon from build/icon.svg with sharp; run after editing the SVG:
//   build/icon.png   512 × 512 (Linux: AppImage, deb)
//   build/icon.ico   16–256 px, PNG entries (Windows: NSIS, the .exe)
//   build/icon.icns  16–1024 px, PNG entries (macOS: the .app, DMG)
// ICO and ICNS are written here (both are small containers of PNGs), so no other tool is needed.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const dir = path.dirname(fileURLToPath(import.meta.url));
const svg = path.join(dir, 'icon.svg');
const png = (size) =>
  sharp(svg, { density: Math.max(72, Math.ceil((72 * size) / 512)) })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toBuffer();

/** ICO: 6-byte header, one 16-byte directory entry per image, then the PNGs (Windows Vista and later). */
export function ico(images) {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // 1 = icon
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, data }, i) => {
    const e = 6 + 16 * i;
    header.writeUInt8(size >= 256 ? 0 : size, e); // 0 means 256
    header.writeUInt8(size >= 256 ? 0 : size, e + 1);
    header.writeUInt8(0, e + 2); // no palette
    header.writeUInt8(0, e + 3);
    header.writeUInt16LE(1, e + 4); // colour planes
    header.writeUInt16LE(32, e + 6); // bits per pixel
    header.writeUInt32LE(data.length, e + 8);
    header.writeUInt32LE(offset, e + 12);
    offset += data.length;
  });
  return Buffer.concat([header, ...images.map((i) => i.data)]);
}

/** ICNS: 'icns' + total length (big-endian), then (type, length including its 8-byte header, PNG) per image. */
export function icns(images) {
  const chunks = images.map(({ type, data }) => {
    const head = Buffer.alloc(8);
    head.write(type, 0, 'ascii');
    head.writeUInt32BE(data.length + 8, 4);
    return Buffer.concat([head, data]);
  });
  const head = Buffer.alloc(8);
  head.write('icns', 0, 'ascii');
  head.writeUInt32BE(8 + chunks.reduce((n, c) => n + c.length, 0), 4);
  return Buffer.concat([head, ...chunks]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(path.join(dir, 'icon.png'), await png(512));
  const icoSizes = [16, 24, 32, 48, 64, 128, 256];
  await writeFile(
    path.join(dir, 'icon.ico'),
    ico(await Promise.all(icoSizes.map(async (size) => ({ size, data: await png(size) })))),
  );
  const icnsTypes = [
    ['icp4', 16],
    ['icp5', 32],
    ['icp6', 64],
    ['ic07', 128],
    ['ic08', 256],
    ['ic09', 512],
    ['ic10', 1024],
  ];
  await writeFile(
    path.join(dir, 'icon.icns'),
    icns(await Promise.all(icnsTypes.map(async ([type, size]) => ({ type, data: await png(size) })))),
  );
}
