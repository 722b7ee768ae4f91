/**
 * The K DL-Net steps of a masked restoration whose head is a ConvHead (the fully convolutional
 * inpainting and interpolation networks), with h's two convolutions on tfjs (or as onnxruntime's
 * matrix products plus tap sums, parallel/head-taps.ts) and everything else in plain JS over arrays
 * kept from step to step:
 *
 *   L(z) = ½ Σ ((M ⊙ h(z) − y) ⊙ O)²,   h(z) = conv(ReLU z) + bias + b
 *   ∂L/∂z = ReLU′(z) ⊙ convᵀ((M ⊙ h(z) − y) ⊙ O²)
 *
 * (O = M times each crop's weight, so O² ⊙ M = O²). It computes what runDLNet (dlnet.ts) computes
 * with tf ops, where each Adam step is a dozen elementwise passes over z's 48 channels, each into a
 * fresh tensor (scratch timing, 1 MP interpolation on one thread at K = 5: 16.75 s that way, 10.3–10.8 s
 * with these steps and g in row slabs).
 */
import { lowerBound } from './active-adam.js';
import { activeSetFloats, activeSetViews } from './kernels/step-arena.js';
import { readFloat32, tf } from './backend.js';
import { CancelledError, type CancelCheck, type DLNetSettings } from './dlnet.js';
import type { ConvHead } from './networks/conv-head.js';
import type { ZArray } from './networks/masked-network.js';
import { headAdjointSlab, headForward, headSlabRows, headTapsFloats, type HeadProducts } from './parallel/head-taps.js';

export interface MaskedEstimate {
  k: number;
  K: number;
  /** x̂_k on −1..1, NHWC × 3: valid until the generator resumes. */
  xhat: Float32Array;
  likelihood: number;
}

export interface MaskedStepsInput {
  /** Known pixels on −1..1 (0 where missing), NHWC × 3. */
  y: Float32Array;
  /** 1 = observed, NHWC × 1. */
  mask: Float32Array;
  /** The mask times each crop's weight in L, NHWC × 1. */
  observed: Float32Array;
}

/**
 * Runs the K steps from z = g(y, M) (a tensor is disposed here) with the first guess `base`, yielding
 * each x̂_k; h's conv and its adjoint on `products` where given, else tfjs convs.
 */
export async function* convHeadSteps(
  head: ConvHead,
  zStart: tf.Tensor4D | ZArray,
  base: tf.Tensor4D,
  input: MaskedStepsInput,
  settings: DLNetSettings,
  signal?: CancelCheck,
  products?: HeadProducts,
): AsyncGenerator<MaskedEstimate> {
  const { K } = settings;
  const zTensor = zStart instanceof tf.Tensor ? zStart : undefined;
  if (!Number.isInteger(K) || K < 1) {
    zTensor?.dispose();
    throw new RangeError(`K must be an integer ≥ 1, not ${K}.`);
  }
  const [n, H, W, C] = zStart.shape;
  const P = n * H * W;
  const zRows = { z: zTensor ? readFloat32(zTensor) : (zStart as ZArray).data, rows: n * H, rowLen: W * C };
  // On the products, per image (one of the batch's n): h's output planes, ∂L/∂x̂ as planes, one slab's
  // products (the forward's tap planes, then the adjoint's gathered taps) and one slab's ∂L/∂a (Adam runs
  // slab by slab, on the gradient while it is in cache). The products write into these arrays. On tfjs:
  // ∂L/∂x̂ interleaved.
  const HW = H * W;
  const slabRows = products ? headSlabRows(W, C, 3) : 0;
  const extra = products ? 6 * HW + headTapsFloats(W, 3, slabRows) + (K > 1 ? slabRows * W * C : 0) : 3 * P;
  // z is copied into a's place; at K = 1 no Adam step runs: a = ReLU(z) is all the steps need (no active
  // set, no m and v).
  const { work, count } = head.work.withZ(
    zRows,
    K > 1,
    (count) => 4 * (P * C + activeSetFloats(count) + 2 * count + 2 * P * 3 + extra),
  );
  let at = 0;
  const f32 = (length: number) => {
    const view = new Float32Array(work, at, length);
    at += 4 * length;
    return view;
  };
  const a = f32(P * C); // ReLU(z): h's input
  const { index, z: activeZ, end } = activeSetViews(work, at, count);
  at = end;
  const active = { index, a, z: activeZ, m: f32(count).fill(0), v: f32(count).fill(0) };
  const b = f32(P * 3);
  const xhat = f32(P * 3);
  const dx = f32(products ? 0 : P * 3);
  const hOut = f32(products ? 3 * HW : 0);
  const drPlanes = f32(products ? 3 * HW : 0);
  const cols = f32(products ? headTapsFloats(W, 3, slabRows) : 0);
  const grad = f32(products && K > 1 ? slabRows * W * C : 0);
  const bias = products ? (head.bias.dataSync() as Float32Array) : new Float32Array(0);
  if (K > 1) head.work.fillActive(a, index, active.z);
  else head.work.relu(a);
  zTensor?.dispose();
  b.set(readFloat32(base));
  const { y, mask, observed } = input;
  for (let k = 1; k <= K; k++) {
    // Yield to the event loop so an abort (Ctrl+C, a Cancel message) can land between steps.
    await new Promise((resolve) => setImmediate(resolve));
    if (signal?.aborted) throw new CancelledError();
    let sum = 0;
    if (products)
      // Image by image: h, x̂ and the residual, then (before the last step) ∂L/∂a and Adam on its entries.
      for (let img = 0; img < n; img++) {
        await headForward(
          products,
          a.subarray(img * HW * C, (img + 1) * HW * C),
          0,
          H,
          W,
          C,
          3,
          bias,
          slabRows,
          hOut,
          cols,
          head.work,
        );
        sum += residualPlanes(hOut, b, input, img * HW, HW, xhat, drPlanes);
        if (k === K) continue;
        for (let s0 = 0; s0 < H; s0 += slabRows) {
          const s1 = Math.min(H, s0 + slabRows);
          await headAdjointSlab(products, drPlanes, HW, 0, H, W, 3, s0, s1, cols, grad);
          // The slab holds ∂L/∂a of entries from..to; Adam on the active ones among them.
          const from = (img * HW + s0 * W) * C;
          const to = (img * HW + s1 * W) * C;
          head.work.adam(active, grad, from, lowerBound(index, from), lowerBound(index, to), k, settings);
        }
      }
    else {
      const conv = tf.tidy(() =>
        tf.fused.conv2d({ x: tf.tensor4d(a, [n, H, W, C]), filter: head.kernel, strides: 1, pad: 'same', bias: head.bias }),
      );
      const cv = readFloat32(conv); // a view on the wasm heap: no tf call until conv is disposed
      for (let i = 0; i < xhat.length; i++) xhat[i] = cv[i] + b[i];
      conv.dispose();
      for (let p = 0; p < P; p++) {
        const o = observed[p];
        const known = mask[p];
        for (let c = 0; c < 3; c++) {
          const i = p * 3 + c;
          const r = (xhat[i] * known - y[i]) * o;
          sum += r * r;
          dx[i] = r * o;
        }
      }
      if (k < K) {
        const g = tf.tidy(() => tf.conv2d(tf.tensor4d(dx, [n, H, W, 3]), head.adjointKernel, 1, 'same'));
        head.work.adam(active, readFloat32(g), 0, 0, count, k, settings); // g: read before the next tf call
        g.dispose();
      }
    }
    yield { k, K, xhat, likelihood: 0.5 * sum };
  }
}

/**
 * One image of the batch (pixels `first` … first + HW − 1) from h's output planes: x̂ = h + b
 * (interleaved), and ∂L/∂x̂ = ((M ⊙ x̂ − y) ⊙ O) ⊙ O as planes, in one pass. Returns its Σ r².
 */
function residualPlanes(
  hOut: Float32Array,
  b: Float32Array,
  { y, mask, observed }: MaskedStepsInput,
  first: number,
  HW: number,
  xhat: Float32Array,
  drPlanes: Float32Array,
): number {
  let sum = 0;
  for (let c = 0; c < 3; c++) {
    const plane = c * HW;
    for (let p = 0; p < HW; p++) {
      const q = first + p;
      const i = q * 3 + c;
      const x = hOut[plane + p] + b[i];
      xhat[i] = x;
      const o = observed[q];
      const r = (x * mask[q] - y[i]) * o;
      sum += r * r;
      drPlanes[plane + p] = r * o;
    }
  }
  return sum;
}
