/**
 * Interpolation of real photos with scattered missing pixels: the models as the engine runs them on
 * photos (fully convolutional: 512-px tiles at the photo's resolution; context encoder: blended 64-px tiles), with and without seam correction, against membrane (harmonic) interpolation of
 * the known pixels. Held-out photos: train/scenes files 41–80 (sorted), shrunk to 512 px wide;
 * Bernoulli masks r = 25 / 50 / 75 %. PSNR over the missing pixels (8-bit RGB). Peak RSS is read
 * from the process. Writes interpolate_strategies.md and a before/after PNG.
 *   npx tsx training/reports/interpolate_strategies.mts [--photos 6] [--models interpolate,other-id]
 */
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { initBackend } from '../../src/engine/backend.js';
import { bernoulliMask } from '../../src/engine/degradations.js';
import { createImage, type Image, type Mask } from '../../src/engine/image.js';
import { loadWeights } from '../../src/engine/model-file.js';
import { findModel } from '../../src/engine/models.js';
import { maskedNetwork } from '../../src/engine/networks/index.js';
import { restoreMasked } from '../../src/engine/restore-masked.js';
import { dataPath, requireFolder } from './data-root.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SCENES = requireFolder(dataPath('train', 'scenes'));
const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const PHOTOS = Number(arg('--photos') ?? 6);
const MODELS = (arg('--models') ?? 'interpolate').split(',');
const RATES = [0.25, 0.5, 0.75];

async function load(file: string): Promise<Image> {
  const { data, info } = await sharp(file).resize({ width: 512 }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: 3, data: Float32Array.from(data, (v) => v / 255) };
}

function membrane(image: Image, mask: Mask, iterations = 400): Image {
  const { width, height } = image;
  const out = createImage(width, height, 3);
  out.data.set(image.data);
  const missing: number[] = [];
  for (let p = 0; p < mask.data.length; p++) if (!mask.data[p]) missing.push(p);
  for (const p of missing) out.data.fill(0.5, p * 3, p * 3 + 3);
  for (let it = 0; it < iterations; it++) {
    for (const p of missing) {
      const x = p % width;
      const y = (p - x) / width;
      const nb = [x > 0 ? p - 1 : -1, x < width - 1 ? p + 1 : -1, y > 0 ? p - width : -1, y < height - 1 ? p + width : -1].filter((q) => q >= 0);
      for (let c = 0; c < 3; c++) out.data[p * 3 + c] = nb.reduce((s, q) => s + out.data[q * 3 + c], 0) / nb.length;
    }
  }
  return out;
}

function psnrMissing(a: Image, b: Image, mask: Mask): number {
  let se = 0;
  let n = 0;
  for (let p = 0; p < mask.data.length; p++) {
    if (mask.data[p]) continue;
    for (let c = 0; c < 3; c++) se += (Math.round(a.data[p * 3 + c] * 255) - Math.round(b.data[p * 3 + c] * 255)) ** 2;
    n += 3;
  }
  return 10 * Math.log10((255 * 255) / (se / n));
}

const toPng = (img: Image) =>
  sharp(Buffer.from(Uint8Array.from(img.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255))), { raw: { width: img.width, height: img.height, channels: 3 } })
    .extract({ left: 160, top: 80, width: 200, height: 150 })
    .resize({ width: 400, kernel: 'nearest' })
    .png()
    .toBuffer();

await initBackend('wasm');
const nets = await Promise.all(
  MODELS.map(async (id) => ({ id, net: maskedNetwork(await loadWeights((await findModel('interpolate', undefined, id)).dir))! })),
);
const label = (method: string, id: string) => (MODELS.length > 1 ? `${method} (${id})` : method);
const settings = { K: 5, gamma: 1e-2, beta1: 0.9, beta2: 0.999 };
const files = readdirSync(SCENES).sort().slice(40, 40 + PHOTOS);
const scores: Record<string, number[]> = {};
const add = (k: string, v: number) => (scores[k] ??= []).push(v);
for (const [i, file] of files.entries()) {
  const image = await load(path.join(SCENES, file));
  for (const [j, r] of RATES.entries()) {
    const mask = bernoulliMask(image.width, image.height, r, 100 * i + j);
    const holed = createImage(image.width, image.height, 3);
    holed.data.set(image.data);
    for (let p = 0; p < mask.data.length; p++) if (!mask.data[p]) holed.data.fill(0, p * 3, p * 3 + 3);
    add(`membrane r=${r}`, psnrMissing(membrane(holed, mask), image, mask));
    let corrected = holed;
    for (const { id, net } of nets) {
      const plain = await restoreMasked(net, 'interpolate', holed, mask, settings, {}, { holeFraction: 30 / 64, seamCorrection: false });
      add(`${label('tiles', id)} r=${r}`, psnrMissing(plain, image, mask));
      const fixed = await restoreMasked(net, 'interpolate', holed, mask, settings, {}, { holeFraction: 30 / 64, seamCorrection: true });
      add(`${label('tiles + residual', id)} r=${r}`, psnrMissing(fixed, image, mask));
      if (id === MODELS[0]) corrected = fixed;
    }
    if (i === 0 && r === 0.5) {
      const parts = await Promise.all([toPng(holed), toPng(corrected), toPng(image)]);
      await sharp({ create: { width: 1220, height: 300, channels: 3, background: 'white' } })
        .composite(parts.map((input, k) => ({ input, left: k * 410, top: 0 })))
        .png()
        .toFile(path.join(HERE, 'interpolate_photo_r50.png'));
    }
  }
  console.error(`${file} done`);
}
const avg = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const lines = [
  '# Interpolating real photos: strategy measurements', '',
  `Generated by \`npx tsx training/reports/interpolate_strategies.mts --photos ${PHOTOS}\`: ${files.length} held-out photos (train/scenes files 41–80, ` +
    `shrunk to 512 px wide), seeded Bernoulli masks, model${MODELS.length > 1 ? 's' : ''} ${MODELS.map((m) => `\`${m}\``).join(', ')}, K = 5, γ = 1e-2. PSNR (dB) over the missing pixels. ` +
    '"tiles": how the engine runs the model on a photo — a fully convolutional model (`interpolate`) on 512-px tiles at the photo\'s own resolution, each with 32 px of context and written back by its core (equal to the whole photo at once); the 64×64 context encoder on 64×64 tiles every 48 px, blended with feathered weights. "+ residual": seam correction; "membrane": harmonic interpolation of the known pixels (baseline).', '',
  `| method | ${RATES.map((r) => `r = ${r * 100} %`).join(' | ')} |`, `|---|${RATES.map(() => '---:').join('|')}|`,
  ...['membrane', ...MODELS.flatMap((id) => [label('tiles', id), label('tiles + residual', id)])].map((m) => `| ${m} | ${RATES.map((r) => avg(scores[`${m} r=${r}`]).toFixed(2)).join(' | ')} |`),
  '', `Peak resident memory of this process: ${Math.round(process.resourceUsage().maxRSS / 1024)} MB.`,
  '', `Before / after (${MODELS[0]}, tiles + residual) / original (r = 50 %, 2× nearest zoom): [interpolate_photo_r50.png](interpolate_photo_r50.png)`, '',
];
writeFileSync(path.join(HERE, 'interpolate_strategies.md'), lines.join('\n'));
console.log(lines.join('\n'));
for (const { net } of nets) net.dispose();
