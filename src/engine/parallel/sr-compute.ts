/**
 * The super-resolution compute kernels used by the band engine (sr-engine.ts), in one tfjs
 * instance (the main thread or one worker):
 *
 * - `g`: z = g(y) on a slab of LR luma (every conv disposed as soon as the next exists, so a slab
 *   holds two activations, not `depth`).
 * - `steps`: the K DL-Net steps (docs/protocols.md §2) on a region of z, with the adjoints of h and W written
 *   by hand instead of tf.valueAndGrad. Measured on wasm (256² LR tile, depth 16 × 64, ×2): an
 *   autodiff step cost ≈ 460 ms, 17 % of g, although h's two convs are < 1 % of g's FLOPs; the
 *   bookkeeping of the slice/concat borders, transposes and the taped graph was the cost. Here a
 *   step is two convs (h's 64→t² conv and its adjoint, the same conv with the kernel rotated
 *   180° and in/out swapped: tf convs, or on onnxruntime matrix products plus tap sums, head-taps.ts)
 *   and three passes over Float32Arrays: pixel shuffle + skip (JS), W and Wᵀ (separable, the tile's own
 *   symmetric / replicated borders, as degradations-tf.ts; their row passes in WebAssembly SIMD, the
 *   column passes in JS), and Adam fused with ReLU′ and the next ReLU (WebAssembly SIMD).
 *
 *   L(z) = ½ Σ (W h(z) − y)² / N,   h(z) = shuffle(conv(ReLU z)) + skip
 *   ∂L/∂z = ReLU′(z) ⊙ convᵀ(unshuffle(Wᵀ (W h(z) − y) / N))
 *
 * tests/unit/perf-adjoint.test.ts checks the gradient against tf autodiff through srProblem.
 */
import { lowerBound } from '../active-adam.js';
import { activeSetFloats, activeSetViews, StepArena } from '../kernels/step-arena.js';
import { readFloat32, tf } from '../backend.js';
import { bicubicDownTaps, bicubicUpscaleImage } from '../degradations.js';
import { applyW, applyWT, axisTaps, type AxisTaps } from './sr-operator.js';
import { CancelledError, type CancelCheck, type DLNetSettings } from '../dlnet.js';
import { gFlopsPerPixel, gRadius, gTensorNames, runG, zChannels, type SrGBackbone, type SrGTensors } from '../networks/sr-g.js';
import type { LoadedWeights } from '../model-file.js';
import { onnxSource, type OnnxSource } from '../networks/onnx-g.js';
import { headAdjointSlab, headForward, headSlabRows, headTapsFloats, type HeadProducts } from './head-taps.js';
import {
  addSparseForward,
  rowTaps,
  sparseCapacity,
  sparseGradients,
  sparseRows,
  splitChannels,
  splitSpaceFloats,
  type ChannelSplit,
} from './channel-split.js';

export interface StepsOptions {
  /** Sees every x̂_k and the residual W x̂_k − y over the region's LR pixels (valid during the call). */
  onFrame?: (k: number, xhat: Float32Array, likelihood: number, residual: Float32Array) => void;
  signal?: CancelCheck;
  /** Tests: sees ∂L/∂z at z_k (before the Adam step). */
  onGradient?: (k: number, grad: Float32Array) => void;
  /** h's conv and adjoint as matrix products (onnxruntime) instead of tfjs convs. */
  head?: HeadProducts;
}

/** Plain-array copy of an SR model's weights: what a worker needs to build its own SrCompute. */
export interface SrWeightsData {
  backbone: SrGBackbone;
  /** g's receptive-field radius in LR pixels (the y context a z slab needs). */
  radius: number;
  /** Channels of z. */
  C: number;
  scale: number;
  conditioned: boolean;
  /** g's kernels and biases in gTensorNames order. */
  kernels: { shape: number[]; data: Float32Array }[];
  biases: Float32Array[];
  outKernel: { shape: number[]; data: Float32Array };
  outBias: Float32Array;
  /** The model's ONNX parts of g, for the onnxruntime backend (backends/onnx-sr.ts). */
  onnx?: OnnxSource;
}

export function srWeightsData(weights: LoadedWeights): SrWeightsData {
  const backbone = weights.json.backbone as SrGBackbone;
  const get = (name: string) => weights.tensors.get(name)!;
  const names = gTensorNames(backbone);
  return {
    backbone,
    radius: gRadius(backbone),
    C: zChannels(backbone),
    scale: weights.json.scale!,
    conditioned: backbone.conditioned,
    kernels: names.map((n) => get(`${n}.kernel`)),
    biases: names.map((n) => get(`${n}.bias`).data),
    outKernel: get('out.kernel'),
    outBias: get('out.bias').data,
    onnx: onnxSource(weights),
  };
}

/** FLOPs (2 per multiply-add) per LR pixel of g, and of one h forward conv. */
export function srFlopsPerPixel(d: Pick<SrWeightsData, 'backbone' | 'C' | 'scale'>): { g: number; h: number } {
  return { g: gFlopsPerPixel(d.backbone), h: 2 * 9 * d.C * d.scale * d.scale };
}

/**
 * W's radius in LR pixels for a blur u: how far from its own pixel an LR output of W reads (and so how far
 * one step of W∘h carries a value). The Gaussian kernel (u > 0) reaches 7 HR pixels either way; the
 * bicubic one (u = 0) 2t (2 LR pixels at every scale). Without a blur, the larger of the two.
 */
export function wRadiusLr(scale: number, blur?: number): number {
  const radius = (first: number, count: number) => Math.max(-Math.floor(first / scale), Math.floor((first + count - 1) / scale));
  const taps = bicubicDownTaps(scale);
  const bicubic = radius(taps.first, taps.weights.length);
  const gaussian = radius(-7, 15);
  return blur === undefined ? Math.max(bicubic, gaussian) : blur === 0 ? bicubic : gaussian;
}

/**
 * LR pixels of context a tile needs so its owned region equals the untiled result: g's receptive
 * radius, then per DL-Net step twice the radius of W∘h (W's kernel in LR pixels plus h's 3×3 conv),
 * plus the bicubic skip's 2 pixels.
 */
export function srOverlap(gRadius: number, scale: number, K: number, blur?: number): number {
  return gRadius + (K - 1) * 2 * (wRadiusLr(scale, blur) + 1) + 2;
}

export interface StepsRegion {
  /** Region size in LR pixels. */
  rh: number;
  rw: number;
  /**
   * z = g(y) over the region, NHWC, read only: row r of the region starts at float
   * zOffset + r·zStride (default 0 and rw·C), so the z cache can be passed without a copy.
   */
  z: Float32Array;
  zOffset?: number;
  zStride?: number;
  /** LR luma over the region, rh × rw. */
  y: Float32Array;
  /** The owned part (region coordinates): the reported L sums over it. */
  own: { x: number; y: number; width: number; height: number };
  /** Count of LR pixels of the whole image (the mean's 1/N is global). */
  normalizer: number;
}

export interface StepsTimes {
  h: number;
  adjoint: number;
  js: number;
}

/**
 * One HR row of x̂ = shuffle(r) + skip: x̂[row + j·t + q] = r[src + j·pxStride + q·chStride] + skip[row + j·t + q]
 * for j < rw, q < t, written left to right (at t = 2 two values per pixel, the common case).
 */
function shuffleRow(
  xhat: Float32Array,
  skip: Float32Array,
  row: number,
  r: Float32Array,
  src: number,
  pxStride: number,
  chStride: number,
  rw: number,
  t: number,
): void {
  if (t === 2) {
    for (let j = 0, o = row, s = src; j < rw; j++, o += 2, s += pxStride) {
      xhat[o] = r[s] + skip[o];
      xhat[o + 1] = r[s + chStride] + skip[o + 1];
    }
    return;
  }
  for (let j = 0, o = row, s = src; j < rw; j++, o += t, s += pxStride)
    for (let q = 0; q < t; q++) xhat[o + q] = r[s + q * chStride] + skip[o + q];
}

/** The adjoint of shuffleRow's shuffle on one HR row: dr[dst + j·drPx + q·drCh] = dx[row + j·t + q]. */
function unshuffleRow(
  dr: Float32Array,
  dst: number,
  drPx: number,
  drCh: number,
  dx: Float32Array,
  row: number,
  rw: number,
  t: number,
): void {
  if (t === 2) {
    for (let j = 0, o = row, d = dst; j < rw; j++, o += 2, d += drPx) {
      dr[d] = dx[o];
      dr[d + drCh] = dx[o + 1];
    }
    return;
  }
  for (let j = 0, o = row, d = dst; j < rw; j++, o += t, d += drPx) for (let q = 0; q < t; q++) dr[d + q * drCh] = dx[o + q];
}

export class SrCompute {
  readonly d: SrWeightsData;
  /** The steps' work arrays (x̂ among them), their Adam step and W's row pass. */
  readonly #work = new StepArena();
  private readonly gTensors: SrGTensors;
  private readonly outKernel: tf.Tensor4D;
  private readonly outKernelT: tf.Tensor4D;
  private readonly outBias: tf.Tensor1D;
  /** h's kernel row by row, for the entries the steps carry one by one (channel-split.ts rowTaps). */
  readonly #rowTaps: Float32Array;
  /** Phase times in ms, summed since construction (for the bench's profile). */
  readonly times = { g: 0, h: 0, adjoint: 0, js: 0 };

  constructor(d: SrWeightsData) {
    this.d = d;
    this.gTensors = {
      kernels: d.kernels.map((k) => tf.tensor4d(k.data, k.shape as [number, number, number, number])),
      biases: d.biases.map((b) => tf.tensor1d(b)),
    };
    this.outKernel = tf.tensor4d(d.outKernel.data, d.outKernel.shape as [number, number, number, number]);
    // Adjoint of a stride-1 'same' 3×3 conv: conv with the kernel rotated 180° and in/out swapped.
    const [kh, kw, ci, co] = d.outKernel.shape;
    const rot = new Float32Array(d.outKernel.data.length);
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++)
        for (let c = 0; c < ci; c++)
          for (let o = 0; o < co; o++)
            rot[((i * kw + j) * co + o) * ci + c] = d.outKernel.data[(((kh - 1 - i) * kw + (kw - 1 - j)) * ci + c) * co + o];
    this.outKernelT = tf.tensor4d(rot, [kh, kw, co, ci]);
    this.outBias = tf.tensor1d(d.outBias);
    this.#rowTaps = rowTaps(d.outKernel);
  }

  /**
   * z = g(y) on an sh × sw slab of LR luma (zero 'same' padding at the slab's edges, as untiled at
   * the image's edges); the rectangle `crop` (slab coordinates) of z is written to `dst` starting
   * at float `dstOffset`, rows `dstStride` floats apart.
   */
  g(
    y: Float32Array,
    sh: number,
    sw: number,
    blur: number,
    crop: { x: number; y: number; width: number; height: number },
    dst: Float32Array,
    dstOffset: number,
    dstStride: number,
    cancel?: CancelCheck,
  ): void {
    const t0 = performance.now();
    let a: tf.Tensor4D = tf.tensor4d(y, [1, sh, sw, 1]);
    if (this.d.conditioned) {
      const x = tf.tidy(() => tf.concat([a, tf.fill([1, sh, sw, 1], blur / 3), tf.fill([1, sh, sw, 1], blur === 0 ? 1 : 0)], 3));
      a.dispose();
      a = x as tf.Tensor4D;
    }
    a = runG(this.d.backbone, this.gTensors, a, cancel);
    const z = readFloat32(a); // in place on the wasm heap: copied out before the next tf call
    const C = this.d.C;
    const rowLen = crop.width * C;
    for (let r = 0; r < crop.height; r++) {
      const from = ((crop.y + r) * sw + crop.x) * C;
      dst.set(z.subarray(from, from + rowLen), dstOffset + r * dstStride);
    }
    a.dispose();
    this.times.g += performance.now() - t0;
  }

  /**
   * The K DL-Net steps on one region (z already = g(y) there). Returns x̂_K over the region (HR,
   * rh·t × rw·t; this compute's buffer, valid until its next steps() call) and L(z_k) for each k; `onFrame` sees every x̂_k and the residual W x̂_k − y over
   * the region's LR pixels (rh × rw; valid on the rows of step k, which include the owned rows), both
   * valid only during the call.
   */
  async steps(
    region: StepsRegion,
    blur: number,
    settings: DLNetSettings,
    { onFrame, signal, onGradient, head }: StepsOptions = {},
  ): Promise<{ xhat: Float32Array; likelihoods: number[] }> {
    const { rh, rw, y, own, normalizer: N } = region;
    const { K } = settings;
    const t = this.d.scale;
    const C = this.d.C;
    const T2 = t * t;
    const P = rh * rw;
    const H = rh * t;
    const Wd = rw * t;
    let tj = performance.now();
    const colTaps = axisTaps(Wd, t, blur);
    const rowTapsByHeight = new Map<number, AxisTaps>();
    const rowTaps = (height: number) => {
      let taps = rowTapsByHeight.get(height);
      if (!taps) rowTapsByHeight.set(height, (taps = axisTaps(height, t, blur)));
      return taps;
    };
    // Step k only needs rows within (K − k)·R + r_W + 2 of the owned part (R = 2(r_W + 1): how far
    // one step spreads an error). Rows left out of a shrinking range are never read again; the
    // owned x̂_K is what the whole region gives (src/engine/parallel/README.md).
    const rW = wRadiusLr(t, blur);
    const rowsOfStep = (k: number) => {
      const margin = (K - k) * 2 * (rW + 1) + rW + 2;
      return [Math.max(0, own.y - margin), Math.min(rh, own.y + own.height + margin)] as const;
    };
    // a = ReLU(z), dense (h's input); z, m, v: compact over the active entries. The work arrays are
    // views on one zeroed buffer kept from task to task and released with the compute (the arena's
    // WebAssembly memory, where its Adam step runs: kernels/step-arena.ts): at the sizes of a band task
    // (≈ 50 MB at ×4) it is a mapping of its own, where a dozen separate arrays would be chunks of
    // glibc's per-thread arena, kept resident after they are freed (release-buffer.ts).
    const zRows = { z: region.z, rows: rh, rowLen: rw * C, offset: region.zOffset, stride: region.zStride };
    // On the head products: h's output rows, one slab's products (the forward's tap planes, then the
    // adjoint's gathered taps), and one slab's ∂L/∂a (Adam runs slab by slab, on the gradient while it is
    // in cache). The products write into these arrays.
    const slabRows = head ? headSlabRows(rw, C, T2) : 0;
    const hOutFloats = head ? P * T2 : 0;
    const colsFloats = head ? headTapsFloats(rw, T2, slabRows) : 0;
    const gradFloats = head && K > 1 ? slabRows * rw * C : 0;
    // With the products and Adam steps, the least active channels go entry by entry (channel-split.ts).
    const splitting = head !== undefined && K > 1;
    const sparseFloats = splitting ? splitSpaceFloats(P, C) + this.#rowTaps.length : 0;
    // z is copied into a's place; at K = 1 no Adam step runs: a = ReLU(z) is all the steps need (no
    // active set, no m and v).
    const { work, count } = this.#work.withZ(
      zRows,
      K > 1,
      (count) =>
        4 *
        (P * C +
          activeSetFloats(count) +
          2 * count +
          P +
          rh * Wd +
          (K > 1 ? H * Wd + P * T2 : 0) +
          hOutFloats +
          colsFloats +
          gradFloats +
          sparseFloats +
          H * Wd +
          H * rw +
          H * Wd),
    );
    let at = 0;
    const f32 = (n: number) => {
      const view = new Float32Array(work, at, n);
      at += 4 * n;
      return view;
    };
    const a = f32(P * C);
    const { index, z, end } = activeSetViews(work, at, count);
    at = end;
    if (K > 1) this.#work.fillActive(a, index, z);
    else this.#work.relu(a);
    const m = f32(count).fill(0);
    const v = f32(count).fill(0);
    const res = f32(P);
    const tmp = f32(rh * Wd);
    // x̂ in the arena too, where W's row pass reads it (its rows outside the steps' ranges stay 0).
    const xhat = f32(H * Wd).fill(0);
    const dx = K > 1 ? f32(H * Wd) : xhat;
    const dr = K > 1 ? f32(P * T2) : res;
    const hOut = f32(hOutFloats);
    const cols = f32(colsFloats);
    const grad = f32(gradFloats);
    let split: ChannelSplit | undefined;
    // h's kernel per channel, copied into the arena beside the split's arrays for its WebAssembly passes.
    const taps = splitting ? f32(this.#rowTaps.length) : this.#rowTaps;
    if (splitting) {
      taps.set(this.#rowTaps);
      const capacity = sparseCapacity(P);
      const ints = (n: number) => {
        const view = new Int32Array(work, at, n);
        at += 4 * n;
        return view;
      };
      const space = { where: ints(capacity), aSparse: f32(capacity), gradSparse: f32(capacity), counts: ints(C), roles: ints(C) };
      split = splitChannels(index, z, a, P, C, space, this.#work);
    }
    // C, or the dense channels' count: a's values per pixel and the products' channels.
    const Ca = split ? split.dense.length : C;
    const kernel = split && head!.restrict(split.dense);
    const denseIndex = split ? index.subarray(0, split.denseCount) : index;
    // The bicubic skip and its row pass in the arena too: a fresh array of that size (≈ 6 MB at ×2) between
    // two g tasks of this thread breaks up the heap onnxruntime's activations reuse (onnx-g.ts ONNX_SLAB_BYTES).
    const skip = bicubicUpscaleImage({ width: rw, height: rh, channels: 1, data: y }, t, {
      out: f32(H * Wd),
      rows: f32(H * rw),
    }).data;
    const rowPass = this.#work.weightedRows;
    const likelihoods: number[] = [];
    const times = this.times;
    times.js += performance.now() - tj;
    for (let k = 1; k <= K; k++) {
      if (signal?.aborted) throw new CancelledError();
      const [r0, r1] = rowsOfStep(k);
      const rows = r1 - r0;
      const hr = (plane: Float32Array) => plane.subarray(r0 * t * Wd, r1 * t * Wd);
      let th = performance.now();
      const r = head
        ? undefined
        : tf.tidy(() =>
            tf.fused.conv2d({
              x: tf.tensor4d(a.subarray(r0 * rw * C, r1 * rw * C), [1, rows, rw, C]),
              filter: this.outKernel,
              strides: 1,
              pad: 'same',
              bias: this.outBias,
            }),
          );
      // rv: h's conv over rows r0..r1, channel c of pixel px at rv[px·pxStride + c·chStride]: interleaved on
      // tfjs (a view on the wasm heap, no copy: no tf call until r is disposed below), planar from the products.
      const rv = r
        ? readFloat32(r)
        : await headForward(head!, a, r0, r1, rw, Ca, T2, this.d.outBias, slabRows, hOut, cols, this.#work, kernel);
      const on = split && sparseRows(split, taps, C, T2, r0, r1, rw);
      if (on) addSparseForward(on, split!.aSparse, hOut, this.#work);
      const [pxStride, chStride] = r ? [T2, 1] : [1, rows * rw];
      tj = performance.now();
      times.h += tj - th;
      // x̂ = shuffle(r) + skip: x̂[i·t + p, j·t + q] = r[i, j, p·t + q] (r holds rows r0..r1).
      for (let i = r0; i < r1; i++)
        for (let p = 0; p < t; p++) {
          const row = (i * t + p) * Wd;
          const src = (i - r0) * rw * pxStride + p * t * chStride;
          if (!(t === 2 && pxStride === 1 && this.#work.shuffleRow2(xhat, skip, row, rv, src, src + chStride, rw)))
            shuffleRow(xhat, skip, row, rv, src, pxStride, chStride, rw, t);
        }
      r?.dispose();
      applyW(hr(xhat), Wd, rowTaps(rows * t), colTaps, tmp, res.subarray(r0 * rw, r1 * rw), rowPass);
      let sum = 0;
      for (let i = r0 * rw; i < r1 * rw; i++) res[i] -= y[i];
      for (let i = own.y; i < own.y + own.height; i++)
        for (let j = own.x; j < own.x + own.width; j++) {
          const e = res[i * rw + j];
          sum += e * e;
        }
      const likelihood = (0.5 * sum) / N;
      likelihoods.push(likelihood);
      times.js += performance.now() - tj;
      onFrame?.(k, xhat, likelihood, res);
      if (k === K) break;
      tj = performance.now();
      applyWT(res.subarray(r0 * rw, r1 * rw), rows * t, Wd, rowTaps(rows * t), colTaps, 1 / N, tmp, hr(dx), rowPass);
      // dr = unshuffle(dx) over rows r0..r1, indexed by region pixel: interleaved for tfjs, planar
      // (planes of P) for the products.
      const [drPx, drCh] = head ? [1, P] : [T2, 1];
      for (let i = r0; i < r1; i++)
        for (let p = 0; p < t; p++) {
          const dst = i * rw * drPx + p * t * drCh;
          const row = (i * t + p) * Wd;
          if (!(t === 2 && drPx === 1 && this.#work.unshuffleRow2(dr, dst, dst + drCh, dx, row, rw)))
            unshuffleRow(dr, dst, drPx, drCh, dx, row, rw, t);
        }
      th = performance.now();
      times.js += th - tj;
      const dense = onGradient ? new Float32Array(P * C) : undefined;
      // Adam on the active entries of a's entries from..to, whose ∂L/∂a is gv[0 …].
      const step = (gv: Float32Array, from: number, to: number) => {
        const j0 = lowerBound(denseIndex, from);
        const j1 = lowerBound(denseIndex, to);
        if (dense)
          for (let j = j0; j < j1; j++) {
            const px = Math.floor(index[j] / Ca);
            if (z[j] > 0) dense[px * C + (split ? split.dense[index[j] - px * Ca] : index[j] - px * C)] = gv[index[j] - from];
          }
        this.#work.adam({ index, z, m, v, a }, gv, from, j0, j1, k, settings);
      };
      // Adam on the sparse entries s0..s1 (their gradient in split.gradSparse).
      const sparseStep = (sp: ChannelSplit, s0: number, s1: number) => {
        const nd = sp.denseCount;
        if (dense) for (let s = s0; s < s1; s++) if (z[nd + s] > 0) dense[sp.where[s]] = sp.gradSparse[s];
        const at = (x: Float32Array) => x.subarray(nd);
        this.#work.adam(
          { index: index.subarray(nd), z: at(z), m: at(m), v: at(v), a: sp.aSparse },
          sp.gradSparse,
          0,
          s0,
          s1,
          k,
          settings,
        );
      };
      if (split && on) {
        sparseStep(split, ...sparseGradients(on, split.gradSparse, dr, P, this.#work));
        const ts = performance.now();
        times.js += ts - th;
        th = ts;
      }
      if (head) {
        // ∂L/∂a over rows r0..r1 from the head products, slab by slab, each written into the arena.
        for (let s0 = r0; s0 < r1; s0 += slabRows) {
          const s1 = Math.min(r1, s0 + slabRows);
          await headAdjointSlab(head, dr, P, r0, r1, rw, T2, s0, s1, cols, grad, kernel);
          const tg = performance.now();
          times.adjoint += tg - th;
          step(grad, s0 * rw * Ca, s1 * rw * Ca);
          th = performance.now();
          times.js += th - tg;
        }
      } else {
        const ga = tf.tidy(() =>
          tf.conv2d(tf.tensor4d(dr.subarray(r0 * rw * T2, r1 * rw * T2), [1, rows, rw, T2]), this.outKernelT, 1, 'same'),
        );
        tj = performance.now();
        times.adjoint += tj - th;
        step(readFloat32(ga), r0 * rw * C, r1 * rw * C); // a view on the wasm heap: read before the next tf call
        ga.dispose();
        times.js += performance.now() - tj;
      }
      if (dense) onGradient!(k, dense);
    }
    return { xhat, likelihoods };
  }

  dispose(): void {
    this.#work.release();
    tf.dispose([...this.gTensors.kernels, ...this.gTensors.biases, this.outKernel, this.outKernelT, this.outBias]);
  }
}
