/**
 * Calibrates the blur suggestion's decision (src/engine/suggest-blur.ts: SUGGEST_DECISION) on photos the blur
 * estimator and the SR models never trained on, never on the evaluation sets: the BSD400 photos they held out
 * (the last 10, sorted) and every 8th of the 80 scene photos (10; the SR and estimator training sets hold
 * none of them), for a second kind of camera and content. The central 360 × 360 of each photo (where these
 * photos hold their subject; for BSD400 a third of the restoration time of the whole photo) is degraded at
 * ×2/×3/×4 with bicubic downscaling and Gaussian u ∈ {0.4, 0.8, …, 2.8}; the estimator's posterior is
 * recorded, and the shipped model restores the photo with the true u and with every u the candidate decisions
 * would suggest (bicubic share thresholds × shifts of the posterior mean). Per scale,
 * the pair is chosen that puts the most cases within 0.3 dB of the true u's PSNR (ties: the least mean loss).
 * Writes training/reports/suggest_blur_calibration.json; the choice is then copied into suggest-blur.ts.
 * A restoration's PSNR depends only on the photo, scale, true and tried u and the SR model: the ones that
 * file already holds for the SR model in use (its weights' sha256) are reused, so a new estimator costs
 * only the restorations its suggestions add.
 *   nohup npx tsx training/reports/calibrate_suggest_blur.mts > training/reports/logs/calibrate_suggest_blur.log 2>&1 &
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../../src/engine/backend.js';
import { quantize8 } from '../../src/engine/color.js';
import { cropToMultiple, degradeSr } from '../../src/engine/degradations.js';
import { cropImage } from '../../src/engine/image.js';
import { readImage } from '../../src/engine/image-io.js';
import { psnrLuma } from '../../src/engine/metrics.js';
import { restore } from '../../src/engine/restore.js';
import { decideBlur, suggestBlur } from '../../src/engine/suggest-blur.js';
import { dataPath, requireFolder } from './data-root.mjs';
import { blurEstimatorUStep, srModelShas } from './installed-models.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BSD = requireFolder(dataPath('train', 'BSD400'));
const SCENES = requireFolder(dataPath('train', 'scenes'));
const HELD_OUT = 10;
const SCENE_STRIDE = 8;
const SIDE = 360; // a multiple of 2, 3 and 4
const TRUE_U = [0, 0.4, 0.8, 1.2, 1.6, 2.0, 2.4, 2.8];
const SHARES = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];
const SHIFTS = [-0.25, -0.2, -0.15, -0.1, -0.05, 0, 0.05, 0.1, 0.15];
const OUT = path.join(HERE, 'suggest_blur_calibration.json');

interface Case {
  photo: string;
  scale: 2 | 3 | 4;
  u: number;
  posterior: number[];
  /** PSNR of the restoration with each u tried, for this estimator or another one (key: u with two decimals). */
  psnr: Record<string, number>;
  /** sha256 of the SR model's weights the PSNRs were measured with. */
  modelSha256: string;
}

const caseKey = (c: { photo: string; scale: number; u: number }) => `${c.photo} ×${c.scale} u=${c.u}`;

/** PSNRs measured before with the SR models in use now, by case. */
function measuredBefore(sha: Record<number, string>): Map<string, Record<string, number>> {
  if (!existsSync(OUT)) return new Map();
  const saved = (JSON.parse(readFileSync(OUT, 'utf8')) as { cases: Case[] }).cases;
  return new Map(saved.filter((c) => c.modelSha256 === sha[c.scale]).map((c) => [caseKey(c), c.psnr]));
}

const key = (u: number) => u.toFixed(2);

function choose(cases: Case[], uStep: number) {
  let best = { share: 0, shift: 0, within: -1, meanLoss: Infinity };
  for (const share of SHARES) {
    for (const shift of SHIFTS) {
      const losses = cases.map((c) => {
        const u = decideBlur(Float64Array.from(c.posterior), uStep, { bicubicShare: share, shift });
        return c.psnr[key(c.u)] - c.psnr[key(u)];
      });
      const within = losses.filter((l) => l <= 0.3).length;
      const meanLoss = losses.reduce((a, b) => a + b, 0) / losses.length;
      if (within > best.within || (within === best.within && meanLoss < best.meanLoss)) best = { share, shift, within, meanLoss };
    }
  }
  return { ...best, cases: cases.length, meanLoss: +best.meanLoss.toFixed(3) };
}

async function main(): Promise<void> {
  await initBackend('auto');
  const uStep = await blurEstimatorUStep();
  const images = (dir: string) =>
    readdirSync(dir)
      .filter((f) => /\.(jpg|png)$/i.test(f))
      .sort()
      .map((f) => path.join(dir, f));
  const photos = [
    ...images(BSD).slice(-HELD_OUT),
    ...images(SCENES).filter((_, i) => i % SCENE_STRIDE === 0),
  ];
  const sha: Record<number, string> = await srModelShas();
  const before = measuredBefore(sha);
  const cases: Case[] = [];
  const started = Date.now();
  let restored = 0;
  for (const photo of photos) {
    const name = path.basename(photo);
    const whole = quantize8((await readImage(photo)).image);
    const side = Math.min(SIDE, whole.width - (whole.width % 12), whole.height - (whole.height % 12));
    const hr8 = cropImage(whole, (whole.width - side) >> 1, (whole.height - side) >> 1, side, side);
    for (const scale of [2, 3, 4] as const) {
      const hr = cropToMultiple(hr8, scale);
      for (const u of TRUE_U) {
        const lr = degradeSr(hr, scale, u);
        const s = await suggestBlur(lr, { scale });
        const posterior = [s.bicubicProbability, ...s.curve.map((p) => p.probability)];
        const tried = new Set<number>([u, 0]);
        const p = Float64Array.from(posterior);
        for (const shift of SHIFTS) tried.add(decideBlur(p, uStep, { bicubicShare: Infinity, shift }));
        // Every PSNR measured before is kept (a later estimator may suggest that u); only new u are restored.
        const psnr: Record<string, number> = { ...before.get(caseKey({ photo: name, scale, u })) };
        for (const t of tried) {
          if (psnr[key(t)] !== undefined) continue;
          psnr[key(t)] = psnrLuma(hr, await restore(lr, { task: 'sr', scale, blur: t }), scale);
          restored++;
        }
        const c = { photo: name, scale, u, posterior: posterior.map((v) => +v.toPrecision(4)), psnr, modelSha256: sha[scale] };
        cases.push(c);
        console.log(`${caseKey(c)}: suggested ${s.blur} (${restored} restorations so far, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
      }
    }
    const calibration = Object.fromEntries(([2, 3, 4] as const).map((t) => [t, choose(cases.filter((c) => c.scale === t), uStep)]));
    writeFileSync(OUT, `${JSON.stringify({ photos: photos.map((p) => path.basename(p)), shares: SHARES, shifts: SHIFTS, calibration, cases }, null, 1)}\n`);
    console.log(JSON.stringify(calibration));
  }
}

await main();
