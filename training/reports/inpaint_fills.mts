/**
 * Baseline fills and measurement helpers for inpaint_strategies.mts: seeded square holes, ring-mean
 * and membrane fills, OpenCV Telea / Navier–Stokes through classical_fills.py, PSNR over a pixel set,
 * and the before/after PNGs. Images are RGB, 0..1, HWC; masks are 1 = known, 0 = missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { createImage, type Image, type Mask } from '../../src/engine/image.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PYTHON = process.env.DLNET_REPORT_PYTHON || '/usr/bin/python3';

export function holeMask(width: number, height: number, side: number, rand: () => number): { mask: Mask; x: number; y: number } {
  const x = Math.floor(rand() * (width - side));
  const y = Math.floor(rand() * (height - side));
  const data = new Uint8Array(width * height).fill(1);
  for (let r = y; r < y + side; r++) data.fill(0, r * width + x, r * width + x + side);
  return { mask: { width, height, data }, x, y };
}

const copyOf = (image: Image) => {
  const out = createImage(image.width, image.height, 3);
  out.data.set(image.data);
  return out;
};

/** Every hole pixel set to the mean colour of the known pixels 4-adjacent to the hole. */
export function ringMeanFill(image: Image, mask: Mask): Image {
  const { width, height } = image;
  const out = copyOf(image);
  const sum = [0, 0, 0];
  let n = 0;
  for (let p = 0; p < mask.data.length; p++) {
    if (mask.data[p] === 0) continue;
    const x = p % width;
    const y = (p - x) / width;
    const near = (x > 0 && !mask.data[p - 1]) || (x < width - 1 && !mask.data[p + 1]) || (y > 0 && !mask.data[p - width]) || (y < height - 1 && !mask.data[p + width]);
    if (!near) continue;
    for (let c = 0; c < 3; c++) sum[c] += image.data[p * 3 + c];
    n++;
  }
  for (let p = 0; p < mask.data.length; p++) if (mask.data[p] === 0) for (let c = 0; c < 3; c++) out.data[p * 3 + c] = sum[c] / n;
  return out;
}

/** SOR sweeps over the missing pixels of a w×h grid (Neumann at the grid's edges) until the largest change is below tol. */
function sor(v: Float64Array, known: Uint8Array, w: number, h: number, tol: number): number {
  const missing: number[] = [];
  let x0 = w, y0 = h, x1 = 0, y1 = 0;
  for (let p = 0; p < w * h; p++) {
    if (known[p]) continue;
    missing.push(p);
    const x = p % w, y = (p - x) / w;
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  const m = missing.length;
  if (m === 0) return 0;
  const nb = new Int32Array(4 * m).fill(-1); // neighbour table, −1 = outside the grid
  missing.forEach((p, i) => {
    const x = p % w;
    if (x > 0) nb[4 * i] = p - 1;
    if (x < w - 1) nb[4 * i + 1] = p + 1;
    if (p >= w) nb[4 * i + 2] = p - w;
    if (p < w * (h - 1)) nb[4 * i + 3] = p + w;
  });
  const omega = 2 / (1 + Math.sin(Math.PI / (Math.max(x1 - x0, y1 - y0) + 2))); // optimal for a square of that side
  for (let sweep = 1; sweep <= 20000; sweep++) {
    let change = 0;
    for (let i = 0; i < m; i++) {
      const p = missing[i];
      for (let c = 0; c < 3; c++) {
        let s = 0, n = 0;
        for (let k = 0; k < 4; k++) {
          const q = nb[4 * i + k];
          if (q >= 0) { s += v[q * 3 + c]; n++; }
        }
        const d = omega * (s / n - v[p * 3 + c]);
        v[p * 3 + c] += d;
        if (Math.abs(d) > change) change = Math.abs(d);
      }
    }
    if (change < tol) return sweep;
  }
  return 20000;
}

/**
 * Membrane (harmonic) fill: the hole's values solve Laplace's equation with the known pixels around
 * it as boundary values. Solved coarse to fine on the hole's bounding box (+1 px): each level halves
 * the grid (a coarse pixel is known if any of its 2×2 is, with their mean), the coarsest is solved by
 * SOR, and each finer level starts from the coarser solution and runs SOR to a change below 1e-7.
 */
export function membraneFill(image: Image, mask: Mask, tol = 1e-7): Image {
  const { width, height } = image;
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let p = 0; p < mask.data.length; p++) {
    if (mask.data[p]) continue;
    const x = p % width, y = (p - x) / width;
    x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
  }
  const out = copyOf(image);
  if (x1 < 0) return out;
  x0 = Math.max(0, x0 - 1); y0 = Math.max(0, y0 - 1); x1 = Math.min(width - 1, x1 + 1); y1 = Math.min(height - 1, y1 + 1);
  const levels: { v: Float64Array; known: Uint8Array; w: number; h: number }[] = [];
  let w = x1 - x0 + 1, h = y1 - y0 + 1;
  let v = new Float64Array(w * h * 3);
  let known = new Uint8Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const p = (y0 + y) * width + x0 + x;
      known[y * w + x] = mask.data[p];
      if (mask.data[p]) for (let c = 0; c < 3; c++) v[(y * w + x) * 3 + c] = image.data[p * 3 + c];
    }
  levels.push({ v, known, w, h });
  while (Math.max(w, h) > 8 && known.includes(0)) {
    const cw = Math.ceil(w / 2), ch = Math.ceil(h / 2);
    const cv = new Float64Array(cw * ch * 3), ck = new Uint8Array(cw * ch);
    for (let y = 0; y < ch; y++)
      for (let x = 0; x < cw; x++) {
        let n = 0;
        for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
          const fx = 2 * x + dx, fy = 2 * y + dy;
          if (fx >= w || fy >= h || !known[fy * w + fx]) continue;
          for (let c = 0; c < 3; c++) cv[(y * cw + x) * 3 + c] += v[(fy * w + fx) * 3 + c];
          n++;
        }
        if (n) {
          ck[y * cw + x] = 1;
          for (let c = 0; c < 3; c++) cv[(y * cw + x) * 3 + c] /= n;
        }
      }
    [v, known, w, h] = [cv, ck, cw, ch];
    levels.push({ v, known, w, h });
  }
  for (let l = levels.length - 1; l >= 0; l--) {
    const L = levels[l];
    if (l < levels.length - 1) {
      const C = levels[l + 1]; // start from the coarser solution (nearest parent)
      for (let p = 0; p < L.w * L.h; p++) {
        if (L.known[p]) continue;
        const x = p % L.w, y = (p - x) / L.w;
        for (let c = 0; c < 3; c++) L.v[p * 3 + c] = C.v[((y >> 1) * C.w + (x >> 1)) * 3 + c];
      }
    } else {
      const mean = [0, 1, 2].map((c) => { let s = 0, n = 0; for (let p = 0; p < L.w * L.h; p++) if (L.known[p]) { s += L.v[p * 3 + c]; n++; } return n ? s / n : 0.5; });
      for (let p = 0; p < L.w * L.h; p++) if (!L.known[p]) for (let c = 0; c < 3; c++) L.v[p * 3 + c] = mean[c];
    }
    sor(L.v, L.known, L.w, L.h, tol);
  }
  const top = levels[0];
  for (let y = 0; y < top.h; y++)
    for (let x = 0; x < top.w; x++) {
      const p = (y0 + y) * width + x0 + x;
      if (!mask.data[p]) for (let c = 0; c < 3; c++) out.data[p * 3 + c] = top.v[(y * top.w + x) * 3 + c];
    }
  return out;
}

/** PNG of a region of an image (8-bit RGB). */
function regionPng(image: Image, left: number, top: number, width: number, height: number) {
  const bytes = Buffer.from(Uint8Array.from(image.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)));
  return sharp(bytes, { raw: { width: image.width, height: image.height, channels: 3 } }).extract({ left, top, width, height }).png();
}

export const CV_RADIUS = { telea: 5, ns: 3 } as const;
export type CvMethod = keyof typeof CV_RADIUS;
/** Known pixels around the hole in the crop sent to OpenCV: more than 2 × radius + 2, so the fill equals a whole-photo cv2.inpaint. */
const CV_MARGIN = 16;

/**
 * cv2.inpaint (Telea and Navier–Stokes) of each square hole of one photo, through classical_fills.py
 * in one Python call: 8-bit crops of the holed photo go out, their fills are pasted into copies of it.
 */
export async function classicalFills(holes: { holed: Image; x: number; y: number; side: number }[]): Promise<Record<CvMethod, Image>[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'inpaint-cv-'));
  try {
    const boxes = holes.map(({ holed, x, y, side }) => {
      const left = Math.max(0, x - CV_MARGIN), top = Math.max(0, y - CV_MARGIN);
      return { left, top, width: Math.min(holed.width, x + side + CV_MARGIN) - left, height: Math.min(holed.height, y + side + CV_MARGIN) - top };
    });
    const jobs = await Promise.all(
      holes.map(async ({ holed, x, y, side }, i) => {
        const b = boxes[i];
        const input = path.join(dir, `hole${i}.png`);
        await regionPng(holed, b.left, b.top, b.width, b.height).toFile(input);
        const outputs = Object.fromEntries(Object.keys(CV_RADIUS).map((m) => [m, path.join(dir, `hole${i}_${m}.png`)]));
        return { input, hole: [x - b.left, y - b.top, side], outputs };
      }),
    );
    const run = spawnSync(PYTHON, [path.join(HERE, 'classical_fills.py')], { input: JSON.stringify({ radius: CV_RADIUS, jobs }), encoding: 'utf8' });
    if (run.error) throw new Error(`Cannot run ${PYTHON} for the OpenCV baselines (${run.error.message}); it needs python3-opencv (apt-get install -y python3-opencv).`);
    if (run.status !== 0) {
      process.stderr.write(run.stderr);
      process.exit(1);
    }
    return await Promise.all(
      holes.map(async ({ holed }, i) => {
        const b = boxes[i];
        const fills = {} as Record<CvMethod, Image>;
        for (const m of Object.keys(CV_RADIUS) as CvMethod[]) {
          const raw = await sharp(jobs[i].outputs[m]).removeAlpha().toColourspace('srgb').raw().toBuffer();
          const out = copyOf(holed);
          for (let r = 0; r < b.height; r++)
            for (let c = 0; c < b.width * 3; c++) out.data[((b.top + r) * holed.width + b.left) * 3 + c] = raw[r * b.width * 3 + c] / 255;
          fills[m] = out;
        }
        return fills;
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function psnr(a: Image, b: Image, pixels: number[]): number {
  let se = 0;
  for (const p of pixels) for (let c = 0; c < 3; c++) se += (Math.round(a.data[p * 3 + c] * 255) - Math.round(b.data[p * 3 + c] * 255)) ** 2;
  return 10 * Math.log10((255 * 255) / Math.max(se / (pixels.length * 3), 1e-10));
}

/** The hole's pixels, and those within 3 px of its edge (where a seam would show). */
export function regions(width: number, x: number, y: number, side: number) {
  const hole: number[] = [];
  const band: number[] = [];
  for (let r = y; r < y + side; r++) {
    for (let c = x; c < x + side; c++) {
      const p = r * width + c;
      hole.push(p);
      if (r - y < 3 || y + side - 1 - r < 3 || c - x < 3 || x + side - 1 - c < 3) band.push(p);
    }
  }
  return { hole, band };
}

/** Side-by-side crops (hole with 0.75 × side of context): input with the hole, result, original. */
export async function saveBeforeAfter(file: string, photo: Image, holed: Image, filled: Image, x: number, y: number, side: number) {
  const pad = Math.round(side * 0.75);
  const left = Math.max(0, x - pad);
  const top = Math.max(0, y - pad);
  const w = Math.min(photo.width - left, side + 2 * pad);
  const h = Math.min(photo.height - top, side + 2 * pad);
  const png = (img: Image) => regionPng(img, left, top, w, h).resize({ width: Math.min(w, 320), kernel: 'lanczos3' }).toBuffer();
  const parts = await Promise.all([png(holed), png(filled), png(photo)]);
  const meta = await sharp(parts[0]).metadata();
  await sharp({ create: { width: meta.width! * 3 + 20, height: meta.height!, channels: 3, background: 'white' } })
    .composite(parts.map((input, i) => ({ input, left: i * (meta.width! + 10), top: 0 })))
    .png()
    .toFile(file);
}
