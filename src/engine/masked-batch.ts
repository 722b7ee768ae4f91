/**
 * One batch of 64×64 crops through a masked DL-Net model: the crops as plain arrays (what a worker thread
 * is sent), the DL-Net problem on them, the seam correction of the residual at the crop's known pixels, and
 * fillBatch, which runs it here or in a worker (parallel/masked-worker.ts). Below restoration: both
 * restore-masked.ts and the worker pool use it.
 */
import { tf } from './backend.js';
import { resizeImage } from './degradations.js';
import { runDLNet, type CancelCheck, type DLNetProblem, type DLNetSettings } from './dlnet.js';
import { createImage, cropImage, type Image, type Mask } from './image.js';
import { convHeadSteps, type MaskedEstimate, type MaskedStepsInput } from './masked-steps.js';
import type { BoundMaskedNetwork, MaskedNetwork } from './networks/masked-network.js';
import { ReusedBuffer } from './release-buffer.js';

export const SIZE = 64;

export interface Crop {
  x: number;
  y: number;
  size: number;
  /** Which missing pixels this crop fills: the component's pixels (inpaint) or feather weights (interpolate). */
  component?: number;
}

/** The crop's mask at 64×64: a pixel counts as observed only if everything it covers is observed. */
export function cropMask64(mask: Mask, c: Crop): Float32Array {
  const m = createImage(c.size, c.size, 1);
  for (let y = 0; y < c.size; y++)
    for (let x = 0; x < c.size; x++) m.data[y * c.size + x] = mask.data[(c.y + y) * mask.width + c.x + x];
  if (c.size === SIZE) return m.data;
  const r = resizeImage(m, SIZE, SIZE).data;
  for (let i = 0; i < r.length; i++) r[i] = r[i] > 0.999 ? 1 : 0;
  return r;
}

/** A batch of crops as plain arrays (what a worker thread is sent): 64×64, or one crop at its own size. */
export interface BatchInput {
  n: number;
  width: number;
  height: number;
  /** Known pixels on −1..1 (0 where missing), NHWC ×3. */
  y: Float32Array;
  /** 1 = observed, NHWC ×1. */
  mask: Float32Array;
  /** The mask times each crop's 1/sqrt(observed entries). */
  observed: Float32Array;
  /** Known pixels on 0..1 (0 where missing), for seam correction. */
  known: Float32Array;
  /**
   * What turns the weighted L into the mean over observed entries, when `observed` is not weighted by
   * 1/sqrt(observed entries) (a crop at the photo's own resolution, restore-holes.ts); 1 otherwise.
   */
  likelihoodScale?: number;
}

export function batchInput(rgb: Image, mask: Mask, crops: Crop[]): BatchInput {
  const n = crops.length;
  const ys = new Float32Array(n * SIZE * SIZE * 3);
  const ms = new Float32Array(n * SIZE * SIZE);
  const obs = new Float32Array(n * SIZE * SIZE);
  crops.forEach((c, b) => {
    const img = cropImage(rgb, c.x, c.y, c.size, c.size);
    const small = c.size === SIZE ? img : resizeImage(img, SIZE, SIZE);
    const m = cropMask64(mask, c);
    let count = 0;
    for (let p = 0; p < SIZE * SIZE; p++) count += m[p];
    // Per-crop mean in L (as in training): weight each crop's residual by 1/sqrt(observed entries).
    const w = 1 / Math.sqrt(Math.max(1, count * 3));
    for (let p = 0; p < SIZE * SIZE; p++) {
      ms[b * SIZE * SIZE + p] = m[p];
      obs[b * SIZE * SIZE + p] = m[p] * w;
      for (let k = 0; k < 3; k++) ys[(b * SIZE * SIZE + p) * 3 + k] = m[p] ? 2 * small.data[p * 3 + k] - 1 : 0;
    }
  });
  return knownOf({ n, width: SIZE, height: SIZE, y: ys, mask: ms, observed: obs });
}

/** Completes an input with its known pixels on 0..1 (for seam correction). */
export function knownOf(input: Omit<BatchInput, 'known'>): BatchInput {
  const { y, mask } = input;
  const known = new Float32Array(y.length);
  for (let p = 0; p < mask.length; p++) if (mask[p]) for (let c = 0; c < 3; c++) known[p * 3 + c] = (y[p * 3 + c] + 1) / 2;
  return { ...input, known };
}

export interface Batch {
  y: tf.Tensor4D;
  mask: tf.Tensor4D;
  observed: tf.Tensor4D;
}

/** The batch as tensors (the parity test builds its DL-Net problem from these). */
export function makeBatch(rgb: Image, mask: Mask, crops: Crop[]): Batch {
  return batchTensors(batchInput(rgb, mask, crops));
}

export function batchTensors(input: BatchInput): Batch {
  const { n, width, height } = input;
  return {
    y: tf.tensor4d(input.y, [n, height, width, 3]),
    mask: tf.tensor4d(input.mask, [n, height, width, 1]),
    observed: tf.tensor4d(input.observed, [n, height, width, 1]),
  };
}

/**
 * DL-Net problem for a batch of 64×64 crops: W = M ⊙ x; each crop's residual is weighted by
 * 1/sqrt(its observed entries) so L is the sum of per-crop means, as in training.
 */
export type MaskedProblem = DLNetProblem &
  Pick<BoundMaskedNetwork, 'head' | 'release' | 'zArray'> & { mask: tf.Tensor4D; observed: tf.Tensor4D };

export function maskedProblem(net: MaskedNetwork, batch: Batch): MaskedProblem {
  const bound = net.bind(batch.y, batch.mask);
  return {
    head: bound.head,
    zArray: bound.zArray,
    mask: batch.mask,
    g: () => bound.g(),
    h: (z: tf.Tensor) => bound.h(z as tf.Tensor4D),
    W: (x: tf.Tensor) => tf.mul(x, batch.mask),
    y: batch.y,
    observed: batch.observed,
    normalizer: 1,
    release: () => bound.release(),
  };
}

/**
 * Seam removal: the model's output disagrees with the known pixels by a residual r = y − x̂ there;
 * r is spread into the missing pixels by harmonic (membrane) interpolation and added to x̂, so the
 * fill meets its surroundings without a step (the idea of Poisson image editing). In place; 64×64
 * unless told.
 */
export function correctResidual(
  out64: Float32Array,
  y64: Float32Array,
  mask64: Float32Array,
  iterations = 300,
  width = SIZE,
  height = SIZE,
): void {
  const n = width * height;
  let m = 0;
  for (let p = 0; p < n; p++) if (!mask64[p]) m++;
  if (m === 0 || m === n) return;
  // r, and a flat neighbour table (4 slots, −1 = none) so the sweeps below are plain typed-array loops:
  // in memory kept for the next crop (a tile's arrays are megabytes; fresh ones cost garbage collections).
  const work = seamWork.reused(4 * (3 * n + 5 * m));
  const r = new Float32Array(work, 0, 3 * n).fill(0);
  const missing = new Int32Array(work, 12 * n, m);
  const nb = new Int32Array(work, 12 * n + 4 * m, 4 * m);
  for (let p = 0; p < n; p++) if (mask64[p]) for (let c = 0; c < 3; c++) r[p * 3 + c] = y64[p * 3 + c] - out64[p * 3 + c];
  for (let p = 0, i = 0; p < n; p++) {
    if (mask64[p]) continue;
    const x = p % width;
    const y = (p - x) / width;
    missing[i] = p;
    nb[4 * i] = x > 0 ? p - 1 : -1;
    nb[4 * i + 1] = x < width - 1 ? p + 1 : -1;
    nb[4 * i + 2] = y > 0 ? p - width : -1;
    nb[4 * i + 3] = y < height - 1 ? p + width : -1;
    i++;
  }
  // Beyond 64×64, SOR alone would need thousands of sweeps to reach a hole's middle: start it from a
  // pyramid fill of the residual (smooth, right at the border) and smooth that for a few sweeps.
  let sweeps = iterations;
  if (n > SIZE * SIZE) {
    pyramidFill(r, mask64, width, height);
    sweeps = Math.min(iterations, LARGE_CROP_SWEEPS);
  }
  // Successive over-relaxation: converges to the same membrane as Jacobi, in far fewer sweeps.
  const omega = sorOmega(mask64, width, height);
  for (let it = 0; it < sweeps; it++) {
    let change = 0;
    for (let i = 0; i < m; i++) {
      // The three channels share the neighbour lookups (each channel's sums in the same order as alone).
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let count = 0;
      for (let k = 0; k < 4; k++) {
        const q = nb[4 * i + k];
        if (q >= 0) {
          s0 += r[q * 3];
          s1 += r[q * 3 + 1];
          s2 += r[q * 3 + 2];
          count++;
        }
      }
      const o = missing[i] * 3;
      const d0 = omega * (s0 / count - r[o]);
      const d1 = omega * (s1 / count - r[o + 1]);
      const d2 = omega * (s2 / count - r[o + 2]);
      r[o] += d0;
      r[o + 1] += d1;
      r[o + 2] += d2;
      change = Math.max(change, Math.abs(d0), Math.abs(d1), Math.abs(d2));
    }
    if (change < 1e-6) break;
  }
  for (let i = 0; i < m; i++) for (let c = 0; c < 3; c++) out64[missing[i] * 3 + c] += r[missing[i] * 3 + c];
}

/**
 * SOR's relaxation factor for the membrane over the missing pixels: the optimum for the Laplacian on a
 * region as wide as the widest gap, 2 / (1 + sin(π / (d + 1))), d = twice the largest city-block distance
 * from a missing pixel to a known one; at most 1.85 (the factor for holes of ~40 px and more). Scattered
 * missing pixels (interpolation) take ~1.4 and converge in ~17 sweeps where 1.85 had not in 40 (an
 * over-relaxed sweep overshoots every isolated pixel); large holes keep 1.85.
 */
export function sorOmega(mask: Float32Array, width: number, height: number): number {
  const far = 1 << 30;
  const dist = new Int32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      if (mask[p]) continue;
      const left = x > 0 ? dist[p - 1] : far;
      const up = y > 0 ? dist[p - width] : far;
      dist[p] = Math.min(far, Math.min(left, up) + 1);
    }
  let widest = 0;
  for (let y = height - 1; y >= 0; y--)
    for (let x = width - 1; x >= 0; x--) {
      const p = y * width + x;
      if (mask[p]) continue;
      const right = x < width - 1 ? dist[p + 1] : far;
      const down = y < height - 1 ? dist[p + width] : far;
      dist[p] = Math.min(dist[p], right + 1, down + 1);
      if (dist[p] > widest) widest = dist[p];
    }
  const d = 2 * Math.min(widest, width + height);
  return Math.min(1.85, 2 / (1 + Math.sin(Math.PI / (d + 1))));
}

/** correctResidual's work arrays, kept per thread. */
const seamWork = new ReusedBuffer();

/** SOR sweeps after the pyramid start on crops larger than 64×64. */
const LARGE_CROP_SWEEPS = 40;

/**
 * Fills the missing pixels of an RGB array (known where `known` is 1) from a pyramid of 2×2 means of
 * the known values: each missing pixel takes the value of the finest level whose cell has any known pixel.
 */
export function pyramidFill(values: Float32Array, known: Float32Array, width: number, height: number): void {
  const levels: { w: number; h: number; sum: Float32Array; weight: Float32Array }[] = [];
  let w = width;
  let h = height;
  let sum = new Float32Array(values.length);
  let weight = Float32Array.from(known);
  for (let p = 0; p < w * h; p++) if (known[p]) for (let c = 0; c < 3; c++) sum[p * 3 + c] = values[p * 3 + c];
  levels.push({ w, h, sum, weight });
  while (w > 1 || h > 1) {
    const nw = Math.ceil(w / 2);
    const nh = Math.ceil(h / 2);
    const nsum = new Float32Array(nw * nh * 3);
    const nweight = new Float32Array(nw * nh);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const p = y * w + x;
        const q = (y >> 1) * nw + (x >> 1);
        nweight[q] += weight[p];
        for (let c = 0; c < 3; c++) nsum[q * 3 + c] += sum[p * 3 + c];
      }
    [w, h, sum, weight] = [nw, nh, nsum, nweight];
    levels.push({ w, h, sum, weight });
  }
  for (let p = 0; p < width * height; p++) {
    if (known[p]) continue;
    let x = p % width;
    let y = (p - x) / width;
    for (const level of levels) {
      const q = y * level.w + x;
      if (level.weight[q] > 0) {
        for (let c = 0; c < 3; c++) values[p * 3 + c] = level.sum[q * 3 + c] / level.weight[q];
        break;
      }
      x >>= 1;
      y >>= 1;
    }
  }
}

/** Crop outputs x̂_k (0..1, seam-corrected, clamped), n × 64 × 64 × 3; `out` is valid during the call only. */
export type BatchStep = (k: number, K: number, out: Float32Array, likelihood: number) => void;

/**
 * DL-Net on one batch of crops; returns x̂_K of every crop (0..1, seam-corrected, clamped). With
 * `onStep`, every x̂_k is read back and corrected too (streamed frames); without, only x̂_K is.
 */
export async function fillBatch(
  net: MaskedNetwork,
  input: BatchInput,
  settings: DLNetSettings,
  seamCorrection: boolean,
  signal?: CancelCheck,
  onStep?: BatchStep,
): Promise<Float32Array> {
  const batch = batchTensors(input);
  const problem = maskedProblem(net, batch);
  const span = input.width * input.height;
  let last: Float32Array = new Float32Array(0);
  try {
    for await (const step of maskedEstimates(problem, settings, signal, onStep !== undefined, input)) {
      if (step.k < step.K && !onStep) continue; // nobody sees this x̂_k: no seam correction
      const out = new Float32Array(step.xhat.length);
      for (let i = 0; i < out.length; i++) out[i] = (step.xhat[i] + 1) / 2;
      if (seamCorrection)
        for (let b = 0; b < input.n; b++)
          correctResidual(
            out.subarray(b * span * 3, (b + 1) * span * 3),
            input.known.subarray(b * span * 3, (b + 1) * span * 3),
            input.mask.subarray(b * span, (b + 1) * span),
            300,
            input.width,
            input.height,
          );
      for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, out[i]));
      onStep?.(step.k, step.K, out, step.likelihood * (input.likelihoodScale ?? 1));
      last = out;
    }
  } finally {
    problem.release();
    tf.dispose([batch.y, batch.mask, batch.observed]);
  }
  return last;
}

/**
 * The DL-Net estimates x̂_1 … x̂_K of a masked problem as arrays: by the plain-JS steps where the network's
 * head is a ConvHead (masked-steps.ts), else by runDLNet; with `every` false, x̂_k for k < K may be left out.
 */
export async function* maskedEstimates(
  problem: MaskedProblem,
  settings: DLNetSettings,
  signal?: CancelCheck,
  every = true,
  /** The batch's arrays where the caller has them (else read back from the problem's tensors). */
  arrays?: MaskedStepsInput,
): AsyncGenerator<MaskedEstimate> {
  if (!problem.head) return yield* tfEstimates(problem, settings, signal, every);
  const input = arrays ?? {
    y: problem.y.dataSync() as Float32Array,
    mask: problem.mask.dataSync() as Float32Array,
    observed: problem.observed.dataSync() as Float32Array,
  };
  const products = await problem.head.products;
  yield* convHeadSteps(
    problem.head.conv,
    problem.zArray ? await problem.zArray() : ((await problem.g()) as tf.Tensor4D),
    problem.head.base,
    input,
    settings,
    signal,
    products,
  );
}

/** runDLNet's estimates read back as arrays; with `every` false, only x̂_K is read back. */
async function* tfEstimates(
  problem: DLNetProblem,
  settings: DLNetSettings,
  signal: CancelCheck | undefined,
  every: boolean,
): AsyncGenerator<MaskedEstimate> {
  for await (const step of runDLNet(problem, settings, signal)) {
    if (step.k < step.K && !every) {
      step.image.dispose();
      continue;
    }
    const xhat = (await step.image.data()) as Float32Array;
    step.image.dispose();
    yield { k: step.k, K: step.K, xhat, likelihood: step.likelihood };
  }
}

/**
 * Runs fillBatch somewhere: this thread, or a worker thread with its own tfjs (parallel/masked-pool.ts),
 * which takes the input's arrays over (they are empty afterwards here): give each fill an input of its own.
 */
export interface MaskedExecutor {
  fill(input: BatchInput, settings: DLNetSettings, seamCorrection: boolean, signal?: AbortSignal): Promise<Float32Array>;
}
