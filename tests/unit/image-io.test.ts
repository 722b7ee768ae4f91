import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { createImage, UserError } from '../../src/engine/image.js';
import { readImage, writeFileAtomic, writeImage } from '../../src/engine/image-io.js';
import { alphaMask, readMask, writeMask } from '../../src/engine/mask-io.js';
import { crc32 } from '../../src/engine/exif.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dlnet-io-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});
const p = (name: string): string => path.join(dir, name);

async function rejectsUser(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
}

async function noTempFiles(): Promise<void> {
  const left = (await readdir(dir)).filter((f) => f.endsWith('.tmp'));
  assert.deepEqual(left, []);
}

test('16-bit PNG keeps its depth: values / 65535', async () => {
  const words = new Uint16Array([0, 1000, 65535, 300, 40000, 12345, 7, 8, 9, 65000, 1, 2]);
  await sharp(words, { raw: { width: 2, height: 2, channels: 3 } })
    .toColourspace('rgb16')
    .png()
    .toFile(p('deep.png'));
  const { image, bitDepth, format } = await readImage(p('deep.png'));
  assert.equal(bitDepth, 16);
  assert.equal(format, 'png');
  assert.equal(image.channels, 3);
  assert.deepEqual(
    [...image.data],
    [...words].map((w) => Math.fround(w / 65535)),
  );
  // round trip at 16 bits, and the output is 16-bit again
  await writeImage(p('deep-out.png'), image, { bitDepth: 16 });
  const again = await readImage(p('deep-out.png'));
  assert.equal(again.bitDepth, 16);
  assert.deepEqual(again.image.data, image.data);
  await writeImage(p('deep-out.tif'), image, { bitDepth: 16 });
  const tiff = await readImage(p('deep-out.tif'));
  assert.equal(tiff.bitDepth, 16);
  assert.deepEqual(tiff.image.data, image.data);
});

test('grey JPEG stays one channel, 8-bit', async () => {
  const levels = Buffer.from([0, 50, 100, 150, 200, 250, 10, 20, 30, 40, 50, 60]);
  await sharp(levels, { raw: { width: 4, height: 3, channels: 1 } })
    .toColourspace('b-w')
    .jpeg({ quality: 100 })
    .toFile(p('grey.jpg'));
  const { image, bitDepth, format } = await readImage(p('grey.jpg'));
  assert.equal(format, 'jpeg');
  assert.equal(bitDepth, 8);
  assert.equal(image.channels, 1);
  assert.equal(image.width, 4);
  for (let i = 0; i < levels.length; i++) assert.ok(Math.abs(image.data[i] * 255 - levels[i]) <= 2);
  await writeImage(p('grey-out.png'), image);
  const meta = await sharp(p('grey-out.png')).metadata();
  assert.equal(meta.channels, 1);
});

test('EXIF orientation 6 is applied on load and reset to 1 on output', async () => {
  // A 4 wide × 2 tall image, left half black, right half white; orientation 6 = rotate 90° clockwise.
  const raw = Buffer.from([0, 0, 255, 255, 0, 0, 255, 255]);
  await sharp(raw, { raw: { width: 4, height: 2, channels: 1 } })
    .toColourspace('b-w')
    .withMetadata({ orientation: 6 })
    .withExif({ IFD0: { Make: 'TestCam', Copyright: 'Test 2025' } })
    .jpeg({ quality: 100 })
    .toFile(p('rotated.jpg'));
  const { image, metadata } = await readImage(p('rotated.jpg'));
  assert.equal(metadata.orientation, 6);
  assert.equal(image.width, 2);
  assert.equal(image.height, 4);
  // rotated 90° clockwise: black (left) goes to the top two rows, white to the bottom two
  const c = image.channels;
  const column = [0, 1, 2, 3].map((row) => Math.round(image.data[row * 2 * c] * 255));
  assert.deepEqual(column, [0, 0, 255, 255]);
  for (const ext of ['jpg', 'png', 'webp']) {
    await writeImage(p(`rotated-out.${ext}`), image, { metadata });
    const out = await sharp(p(`rotated-out.${ext}`)).metadata();
    assert.equal(out.width, 2, ext);
    assert.equal(out.orientation, 1, `${ext}: orientation reset`);
    assert.ok(out.exif?.toString('latin1').includes('TestCam'), `${ext}: EXIF carried`);
  }
});

test('RGBA PNG round trip keeps alpha, ICC profile, EXIF and XMP', async () => {
  const w = 5;
  const h = 3;
  const raw = Buffer.alloc(w * h * 4);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 37) % 256;
  for (let px = 0; px < w * h; px++) raw[px * 4 + 3] = px % 3 === 0 ? 0 : 200;
  const xmp =
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">' +
    '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="image/png"/></rdf:RDF></x:xmpmeta>';
  await sharp(raw, { raw: { width: w, height: h, channels: 4 } })
    .withIccProfile('p3')
    .withExif({ IFD0: { Make: 'RoundTrip' } })
    .withXmp(xmp)
    .png()
    .toFile(p('rgba.png'));
  const input = await readImage(p('rgba.png'));
  assert.equal(input.image.channels, 4);
  assert.ok(input.metadata.icc && input.metadata.exif && input.metadata.xmp);
  await writeImage(p('rgba-out.png'), input.image, { metadata: input.metadata });
  const out = await sharp(p('rgba-out.png')).metadata();
  assert.equal(out.channels, 4);
  assert.equal(out.hasAlpha, true);
  assert.ok(out.icc?.equals(input.metadata.icc), 'same ICC profile');
  assert.ok(out.exif?.toString('latin1').includes('RoundTrip'));
  assert.match(out.xmp?.toString('utf8') ?? '', /dc:format="image\/png"/);
  // The P3 pixels themselves survive (sRGB in the engine, converted back on output) within 1 level.
  const original = await sharp(p('rgba.png'), { ignoreIcc: true }).raw().toBuffer();
  const written = await sharp(p('rgba-out.png'), { ignoreIcc: true }).raw().toBuffer();
  for (let i = 0; i < original.length; i++) assert.ok(Math.abs(original[i] - written[i]) <= 1, `byte ${i}`);
  const again = await readImage(p('rgba-out.png'));
  for (let px = 0; px < w * h; px++) assert.equal(again.image.data[px * 4 + 3], input.image.data[px * 4 + 3]);
});

test('grey + alpha PNG stays two channels, exactly', async () => {
  const raw = Buffer.from([0, 255, 50, 0, 100, 128, 150, 255]);
  await sharp(raw, { raw: { width: 2, height: 2, channels: 2 } })
    .toColourspace('b-w')
    .png()
    .toFile(p('ga.png'));
  const { image, bitDepth } = await readImage(p('ga.png'));
  assert.equal(bitDepth, 8);
  assert.equal(image.channels, 2);
  assert.deepEqual(
    [...image.data],
    [...raw].map((v) => Math.fround(v / 255)),
  );
  await writeImage(p('ga-out.png'), image);
  assert.deepEqual([...(await sharp(p('ga-out.png')).raw().toBuffer())].length, 16); // sharp itself expands to RGBA
  const again = await readImage(p('ga-out.png'));
  assert.deepEqual(again.image.data, image.data);
});

test('24-bit BMP is decoded by our reader', async () => {
  // 3×2 bottom-up BMP, rows padded to 12 bytes.
  const width = 3;
  const height = 2;
  const stride = 12;
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + stride * height, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(width, 18);
  header.writeInt32LE(height, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  const pixels = Buffer.alloc(stride * height);
  // bottom row (y = 1): blue, green, red in BGR order; top row (y = 0): white, black, grey
  pixels.set([255, 0, 0, 0, 255, 0, 0, 0, 255], 0);
  pixels.set([255, 255, 255, 0, 0, 0, 128, 128, 128], stride);
  await writeFile(p('t.bmp'), Buffer.concat([header, pixels]));
  const { image, format } = await readImage(p('t.bmp'));
  assert.equal(format, 'bmp');
  assert.equal(image.channels, 3);
  const levels = [...image.data].map((v) => Math.round(v * 255));
  assert.deepEqual(levels, [255, 255, 255, 0, 0, 0, 128, 128, 128, 0, 0, 255, 0, 255, 0, 255, 0, 0]);
  await writeFile(p('short.bmp'), Buffer.concat([header, pixels.subarray(0, 10)]));
  await rejectsUser(readImage(p('short.bmp')), /short\.bmp .*truncated/);
});

test('bad inputs give one clear sentence before any decoding', async () => {
  await rejectsUser(readImage(p('missing.png')), /^missing\.png does not exist\.$/);
  await writeFile(p('empty.png'), Buffer.alloc(0));
  await rejectsUser(readImage(p('empty.png')), /^empty\.png is empty \(0 bytes\)\.$/);
  await writeFile(p('notes.png'), 'hello, this is not an image\n');
  await rejectsUser(readImage(p('notes.png')), /^notes\.png is a text file, not an image\.$/);
  await writeFile(p('noise.png'), Buffer.from([0, 1, 2, 3, 250, 251, 252, 0, 0, 9]));
  await rejectsUser(readImage(p('noise.png')), /not in a supported image format/);
  await rejectsUser(readImage(dir), /is a folder/);

  const good = await sharp(Buffer.alloc(64 * 64 * 3, 90), { raw: { width: 64, height: 64, channels: 3 } })
    .png()
    .toBuffer();
  await writeFile(p('cut.png'), good.subarray(0, Math.floor(good.length / 2)));
  await rejectsUser(readImage(p('cut.png')), /^cut\.png is corrupt or truncated/);
  const jpeg = await sharp(Buffer.alloc(64 * 64 * 3, 90), { raw: { width: 64, height: 64, channels: 3 } })
    .jpeg()
    .toBuffer();
  await writeFile(p('cut.jpg'), jpeg.subarray(0, Math.floor(jpeg.length * 0.6)));
  await rejectsUser(readImage(p('cut.jpg')), /^cut\.jpg is corrupt or truncated/);

  // A valid PNG header claiming 50000 × 50000 pixels (2.5 GP) with almost no data: refused from the header.
  const huge = Buffer.from(good);
  huge.writeUInt32BE(50000, 16);
  huge.writeUInt32BE(50000, 20);
  huge.writeUInt32BE(crc32(huge.subarray(12, 29)), 29);
  await writeFile(p('huge.png'), huge);
  await rejectsUser(readImage(p('huge.png')), /^huge\.png is 50000 × 50000 pixels \(2500 MP\), above the 100 MP limit\.$/);
  await rejectsUser(
    readImage(p('deep.png'), { maxPixels: 3 }),
    /^deep\.png is 2 × 2 pixels \(0\.0 MP\), above the 3-pixel limit\.$/,
  );
});

test('writeImage is atomic and refuses to overwrite', async () => {
  const image = createImage(3, 3, 3);
  image.data.fill(0.5);
  await writeImage(p('once.png'), image);
  const before = await readFile(p('once.png'));
  await rejectsUser(writeImage(p('once.png'), image), /^once\.png already exists/);
  assert.ok((await readFile(p('once.png'))).equals(before));
  image.data.fill(0.25);
  await writeImage(p('once.png'), image, { overwrite: true });
  assert.ok(!(await readFile(p('once.png'))).equals(before));
  await rejectsUser(writeImage(p('no/such/folder/x.png'), image), /does not exist/);
  await rejectsUser(writeImage(p('x.bmpx'), image), /Cannot tell the output format/);
  await rejectsUser(writeFileAtomic(p('once.png'), Buffer.from('x')), /already exists/);
  await noTempFiles();
});

test('JPEG output flattens alpha and says so; 16-bit request falls back to 8', async () => {
  const image = createImage(2, 2, 4);
  image.data.fill(0.5);
  const result = await writeImage(p('flat.jpg'), image, { bitDepth: 16 });
  assert.equal(result.bitDepth, 8);
  assert.equal(result.warnings.length, 2);
  assert.equal((await sharp(p('flat.jpg')).metadata()).channels, 3);
});

test('readMask: white = missing, threshold 50 %, wrong size is a UserError naming both sizes', async () => {
  const levels = Buffer.from([255, 0, 128, 127, 200, 30]);
  await sharp(levels, { raw: { width: 3, height: 2, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toFile(p('mask.png'));
  const mask = await readMask(p('mask.png'), 3, 2);
  assert.deepEqual([...mask.data], [0, 1, 0, 1, 0, 1]);
  await rejectsUser(readMask(p('mask.png'), 4, 4), /^The mask mask\.png is 3 × 2 pixels but the image is 4 × 4/);
  await writeMask(p('mask-out.png'), mask);
  const back = await readMask(p('mask-out.png'), 3, 2);
  assert.deepEqual(back.data, mask.data);
});

test('alphaMask: fully transparent pixels are missing', () => {
  const image = createImage(3, 1, 4);
  image.data.set([0, 0, 0, 0, 0, 0, 0, 0.01, 0, 0, 0, 1]);
  assert.deepEqual([...alphaMask(image).data], [0, 1, 1]);
  assert.throws(() => alphaMask(createImage(1, 1, 3)), UserError);
});
