/**
 * Calibrates the blur suggestion (src/engine/suggest-blur.ts) on held-out training photos, never on the
 * evaluation sets: BSD400 photos (sorted, every 60th from the 7th, 302003.jpg left out) degraded at ×2/×3/×4
 * with bicubic downscaling and Gaussian u ∈ {0.4, 0.8, …, 2.8}; for each, the likelihood curve of the
 * shipped model and its threshold crossings. Fits, per scale, u = a + Σ b_τ·crossing(τ) by least squares on
 * the Gaussian cases, and the knee band and bicubic-likelihood bound that best tell bicubic cases from
 * Gaussian ones. Writes training/reports/suggest_blur_calibration.json (cases and fit); the fit is then
 * copied into SUGGEST_CALIBRATION.
 *   nohup npx tsx training/reports/calibrate_suggest_blur.mts [--photos 6] > training/reports/logs/calibrate_suggest_blur.log 2>&1 &
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../src/engine/backend.js';
import { quantize8 } from '../../src/engine/color.js';
import { cropToMultiple, degradeSr } from '../../src/engine/degradations.js';
import { readImage } from '../../src/engine/image-io.js';
import { SUGGEST_THRESHOLDS, suggestBlur } from '../../src/engine/suggest-blur.js';
import { dataPath, requireFolder } from './data-root.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BSD = requireFolder(dataPath('train', 'BSD400'));
const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const PHOTOS = Number(arg('--photos') ?? 6);
/** Every n-th photo of the sorted folder (from the 7th): 60 gives the calibration's 6; 30 takes twice as many. */
const EVERY = Number(arg('--every') ?? 60);
const OUT_FILE = arg('--out') ?? 'suggest_blur_calibration.json';
/** Scales to run (default all); the cases of the others are kept from the output file (a model of one scale changed). */
const SCALES = (arg('--scales') ?? '2,3,4').split(',').map(Number) as (2 | 3 | 4)[];
const TRUE_U = [0, 0.4, 0.8, 1.2, 1.6, 2.0, 2.4, 2.8];
const OUT = path.join(HERE, OUT_FILE);

interface Case {
  photo: string;
  scale: 2 | 3 | 4;
  u: number;
  crossings: number[];
  bicubicRatio: number;
  /** ln(L(u) / L(u_0)) at the coarse grid's u (0.25 … 3), for other fits. */
  curve: number[];
}

/** Least squares x minimising |A x − b|² (normal equations, small systems). */
function leastSquares(rows: number[][], b: number[]): number[] {
  const n = rows[0].length;
  const m = Array.from({ length: n }, () => new Array<number>(n + 1).fill(0));
  rows.forEach((r, k) => {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) m[i][j] += r[i] * r[j];
      m[i][n] += r[i] * b[k];
    }
  });
  for (let i = 0; i < n; i++) m[i][i] += 1e-6; // keeps a collinear system solvable
  for (let i = 0; i < n; i++) {
    let p = i;
    for (let r = i + 1; r < n; r++) if (Math.abs(m[r][i]) > Math.abs(m[p][i])) p = r;
    [m[i], m[p]] = [m[p], m[i]];
    for (let r = 0; r < n; r++) {
      if (r === i) continue;
      const f = m[r][i] / m[i][i];
      for (let c = i; c <= n; c++) m[r][c] -= f * m[i][c];
    }
  }
  return m.map((row, i) => row[n] / row[i]);
}

function fit(cases: Case[], scale: 2 | 3 | 4) {
  const mine = cases.filter((c) => c.scale === scale);
  const gauss = mine.filter((c) => c.u > 0);
  const coef = leastSquares(
    gauss.map((c) => [1, ...c.crossings]),
    gauss.map((c) => c.u),
  );
  const predict = (c: Case) => coef[0] + c.crossings.reduce((s, x, i) => s + coef[i + 1] * x, 0);
  // The bicubic band: the knee (τ = 1) interval and ratio bound that classify the most cases right.
  const knees = [...new Set(mine.map((c) => c.crossings[1]))].sort((a, b) => a - b);
  const ratios = [...new Set(mine.map((c) => c.bicubicRatio))].sort((a, b) => a - b);
  let best = { correct: -1, band: [0, 0, 0] as [number, number, number] };
  for (const lo of knees) {
    for (const hi of knees) {
      if (hi < lo) continue;
      for (const r of ratios) {
        const correct = mine.filter((c) => {
          const bic = c.crossings[1] >= lo && c.crossings[1] <= hi && c.bicubicRatio <= r;
          return bic === (c.u === 0);
        }).length;
        if (correct > best.correct) best = { correct, band: [lo, hi, r] };
      }
    }
  }
  const errors = gauss.map((c) => Math.abs(predict(c) - c.u));
  return {
    coef: coef.map((v) => +v.toFixed(4)),
    bicubic: best.band.map((v) => +v.toFixed(4)) as [number, number, number],
    classified: `${best.correct}/${mine.length}`,
    meanAbsError: +(errors.reduce((a, b) => a + b, 0) / errors.length).toFixed(3),
  };
}

async function main(): Promise<void> {
  await initBackend('auto');
  const photos = readdirSync(BSD)
    .filter((f) => /\.jpg$/i.test(f) && f !== '302003.jpg')
    .sort()
    .filter((_, i) => i % EVERY === 6)
    .slice(0, PHOTOS);
  const kept = existsSync(OUT) ? (JSON.parse(readFileSync(OUT, 'utf8')) as { cases: Case[] }).cases : [];
  const cases: Case[] = kept.filter((c) => !SCALES.includes(c.scale));
  const started = Date.now();
  for (const photo of photos) {
    const hr8 = quantize8((await readImage(path.join(BSD, photo))).image);
    for (const scale of SCALES) {
      const hr = cropToMultiple(hr8, scale);
      for (const u of TRUE_U) {
        const s = await suggestBlur(degradeSr(hr, scale, u), { scale });
        const c: Case = {
          photo,
          scale,
          u,
          crossings: s.crossings.map((x) => x.u),
          bicubicRatio: Math.log(s.bicubicLikelihood / s.curve[0].likelihood),
          curve: s.curve.filter((p) => Math.abs(p.u * 4 - Math.round(p.u * 4)) < 1e-9).map((p) => Math.log(p.likelihood / s.curve[0].likelihood)),
        };
        cases.push(c);
        console.log(
          `${photo} x${scale} u=${u}: crossings ${c.crossings.map((x) => x.toFixed(2)).join(' ')}, ` +
            `bicubic ${c.bicubicRatio.toFixed(2)} (${((Date.now() - started) / 1000).toFixed(0)} s)`,
        );
      }
    }
    const calibration = Object.fromEntries(([2, 3, 4] as const).map((t) => [t, fit(cases, t)]));
    writeFileSync(OUT, `${JSON.stringify({ thresholds: SUGGEST_THRESHOLDS, photos, calibration, cases }, null, 1)}\n`);
    console.log(JSON.stringify(calibration));
  }
}

await main();
