/**
 * Measures how to inpaint holes in real photos with the 64×64 model: the crop-around-the-
 * hole strategy at several context ratios (the hole's share of its crop side), against filling with
 * the mean colour of the hole's border ring. Held-out photos: train/scenes files 41–80 in sorted
 * order (GPU training used only the first 40). One square hole per run, sizes 15–300 px, seeded
 * positions. Metrics over the hole: PSNR (8-bit RGB), and the same in its 3-px boundary band (where
 * a seam would show). Writes inpaint_strategies.md and before/after PNGs.
 *   npx tsx training/reports/inpaint_strategies.mts [--photos 10]
 */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { initBackend } from '../../src/engine/backend.js';
import { seededRandom } from '../../src/engine/degradations.js';
import { createImage, type Image, type Mask } from '../../src/engine/image.js';
import { readImage } from '../../src/engine/image-io.js';
import { loadWeights } from '../../src/engine/model-file.js';
import { findModel } from '../../src/engine/models.js';
import { ContextEncoderNet } from '../../src/engine/networks/context-encoder.js';
import { restoreMasked } from '../../src/engine/restore-masked.js';
import { dataPath, requireFolder } from './data-root.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCENES = requireFolder(dataPath('train', 'scenes'));
const PHOTOS = Number(process.argv[process.argv.indexOf('--photos') + 1] || 10);
const SIDES = [15, 40, 100, 200, 300];
const STRATEGIES = [
  { label: 'crop 20/64', tuning: { holeFraction: 20 / 64, seamCorrection: false } },
  { label: 'crop 30/64', tuning: { holeFraction: 30 / 64, seamCorrection: false } },
  { label: 'crop 40/64', tuning: { holeFraction: 40 / 64, seamCorrection: false } },
  { label: 'crop 20/64 + residual', tuning: { holeFraction: 20 / 64, seamCorrection: true } },
  { label: 'crop 30/64 + residual', tuning: { holeFraction: 30 / 64, seamCorrection: true } },
];
const SHOWN = 'crop 30/64 + residual';

function holeMask(width: number, height: number, side: number, rand: () => number): { mask: Mask; x: number; y: number } {
  const x = Math.floor(rand() * (width - side));
  const y = Math.floor(rand() * (height - side));
  const data = new Uint8Array(width * height).fill(1);
  for (let r = y; r < y + side; r++) data.fill(0, r * width + x, r * width + x + side);
  return { mask: { width, height, data }, x, y };
}

function ringMeanFill(image: Image, mask: Mask): Image {
  const out = createImage(image.width, image.height, 3);
  out.data.set(image.data);
  const sum = [0, 0, 0];
  let n = 0;
  for (let p = 0; p < mask.data.length; p++) {
    if (mask.data[p] === 0) continue;
    const x = p % image.width;
    const y = (p - x) / image.width;
    const near = [p - 1, p + 1, p - image.width, p + image.width].some((q) => q >= 0 && q < mask.data.length && mask.data[q] === 0 && Math.abs((q % image.width) - x) <= 1 && Math.abs(Math.floor(q / image.width) - y) <= 1);
    if (near) {
      for (let c = 0; c < 3; c++) sum[c] += image.data[p * 3 + c];
      n++;
    }
  }
  for (let p = 0; p < mask.data.length; p++) if (mask.data[p] === 0) for (let c = 0; c < 3; c++) out.data[p * 3 + c] = sum[c] / n;
  return out;
}

function psnr(a: Image, b: Image, pixels: number[]): number {
  let se = 0;
  for (const p of pixels) for (let c = 0; c < 3; c++) se += (Math.round(a.data[p * 3 + c] * 255) - Math.round(b.data[p * 3 + c] * 255)) ** 2;
  return 10 * Math.log10((255 * 255) / Math.max(se / (pixels.length * 3), 1e-10));
}

function regions(mask: Mask, x: number, y: number, side: number) {
  const hole: number[] = [];
  const band: number[] = [];
  for (let r = y; r < y + side; r++) {
    for (let c = x; c < x + side; c++) {
      const p = r * mask.width + c;
      hole.push(p);
      if (r - y < 3 || y + side - 1 - r < 3 || c - x < 3 || x + side - 1 - c < 3) band.push(p);
    }
  }
  return { hole, band };
}

async function saveBeforeAfter(file: string, photo: Image, holed: Image, filled: Image, x: number, y: number, side: number) {
  const pad = Math.round(side * 0.75);
  const left = Math.max(0, x - pad);
  const top = Math.max(0, y - pad);
  const w = Math.min(photo.width - left, side + 2 * pad);
  const h = Math.min(photo.height - top, side + 2 * pad);
  const png = (img: Image) =>
    sharp(Buffer.from(Uint8Array.from(img.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255))), { raw: { width: img.width, height: img.height, channels: 3 } })
      .extract({ left, top, width: w, height: h })
      .resize({ width: Math.min(w, 320), kernel: 'lanczos3' })
      .png()
      .toBuffer();
  const parts = await Promise.all([png(holed), png(filled), png(photo)]);
  const meta = await sharp(parts[0]).metadata();
  await sharp({ create: { width: meta.width! * 3 + 20, height: meta.height!, channels: 3, background: 'white' } })
    .composite(parts.map((input, i) => ({ input, left: i * (meta.width! + 10), top: 0 })))
    .png()
    .toFile(file);
}

await initBackend('wasm');
const net = new ContextEncoderNet(await loadWeights((await findModel('inpaint')).dir));
const settings = { K: 5, gamma: 1e-3, beta1: 0.9, beta2: 0.999 };
const files = readdirSync(SCENES).sort().slice(40, 40 + PHOTOS);
const rand = seededRandom(2024);
const scores: Record<string, { hole: number[]; band: number[] }> = {};
const add = (key: string, h: number, b: number) => {
  scores[key] ??= { hole: [], band: [] };
  scores[key].hole.push(h);
  scores[key].band.push(b);
};
for (const [i, file] of files.entries()) {
  const { image } = await readImage(path.join(SCENES, file));
  for (const side of SIDES) {
    const { mask, x, y } = holeMask(image.width, image.height, side, rand);
    const holed = createImage(image.width, image.height, 3);
    holed.data.set(image.data);
    for (let p = 0; p < mask.data.length; p++) if (mask.data[p] === 0) holed.data.fill(0, p * 3, p * 3 + 3);
    const { hole, band } = regions(mask, x, y, side);
    const mean = ringMeanFill(holed, mask);
    add(`ring-mean s=${side}`, psnr(mean, image, hole), psnr(mean, image, band));
    for (const { label, tuning } of STRATEGIES) {
      const filled = await restoreMasked(net, 'inpaint', holed, mask, settings, {}, tuning);
      add(`${label} s=${side}`, psnr(filled, image, hole), psnr(filled, image, band));
      if (i < 2 && label === SHOWN) await saveBeforeAfter(path.join(HERE, `inpaint_photo${i + 1}_s${side}.png`), image, holed, filled, x, y, side);
    }
  }
  console.error(`${file} done`);
}
const avg = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const methods = ['ring-mean', ...STRATEGIES.map((st) => st.label)];
const lines = [
  '# Inpainting real photos: strategy measurements', '',
  `Generated by \`npx tsx training/reports/inpaint_strategies.mts --photos ${PHOTOS}\`: ${files.length} held-out photos ` +
    '(train/scenes files 41–80 in sorted order, never trained on), one square hole per size at a seeded position, shipped `inpaint` model, K = 5. ' +
    'Cells: PSNR over the hole / over its 3-px boundary band (dB). "crop a/64": crop around the hole so that the hole spans a/64 of the crop side, resized to 64×64. ' +
    '"+ residual": the disagreement with the known pixels is spread into the hole by membrane interpolation and added (seam correction). ' +
    '"ring-mean": every hole pixel set to the mean colour of the pixels bordering the hole (a baseline).', '',
  `| method | ${SIDES.map((s) => `s = ${s}`).join(' | ')} |`, `|---|${SIDES.map(() => '---:').join('|')}|`,
];
for (const m of methods) lines.push(`| ${m} | ${SIDES.map((s) => `${avg(scores[`${m} s=${s}`].hole).toFixed(2)} / ${avg(scores[`${m} s=${s}`].band).toFixed(2)}`).join(' | ')} |`);
lines.push('', `Before / after / original crops (${SHOWN}): ` + SIDES.map((s) => `[s=${s}](inpaint_photo1_s${s}.png)`).join(', '), '');
writeFileSync(path.join(HERE, 'inpaint_strategies.md'), lines.join('\n'));
console.log(lines.join('\n'));
net.dispose();
