/**
 * The fully convolutional interpolation network (backbone "fconv-masked"; beyond the paper, for
 * photos of any size), mirroring training/inpaint_model.py FConvMasked:
 *   b = normalized convolution of y with M (Gaussian 7×7, σ = 1.5: mean of the known pixels nearby)
 *   g: [y, M, b] → depth × conv3×3 (ReLU between) → z (last hidden map, no activation)
 *   h: ReLU(z) → conv3×3 to 3 channels → + b
 * Tensors are NHWC on the [−1, 1] scale; y has missing pixels set to 0; M is 1 where observed.
 */
import { tf } from '../backend.js';
import type { LoadedWeights } from '../model-file.js';
import type { ReusedBuffer } from '../release-buffer.js';
import { ConvHead } from './conv-head.js';
import type { BoundMaskedNetwork, MaskedNetwork } from './masked-network.js';

type K4 = tf.Tensor4D;

const FIRST_GUESS_RADIUS = 3;

/**
 * How far x̂_K depends on y and M: the first guess's radius, one pixel per layer of g and for h, and two
 * per DL-Net step after the first (the step's gradient goes through h and back through its adjoint).
 */
export function fconvMaskedReach(depth: number, K: number): number {
  return FIRST_GUESS_RADIUS + depth + 1 + 2 * (K - 1);
}

/** The 1-D Gaussian (σ = 1.5) over −radius…radius normalised to sum 1: the 7×7 one is its outer product. */
function gaussian1d(radius = FIRST_GUESS_RADIUS, sigma = 1.5): Float64Array {
  const g = Float64Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const sum = g.reduce((a, b) => a + b, 0);
  return g.map((v) => v / sum);
}

/**
 * firstGuess on arrays: y (NHWC × 3) and mask (NHWC × 1) of n images h × w, the Gaussian applied as two
 * 1-D passes ('same', zero outside), summed in double precision. It gives the tfjs version's result to
 * float precision at a fraction of its time (two transposes and two 7×7 convolutions on tfjs-wasm).
 */
export function firstGuessArrays(
  y: Float32Array,
  mask: Float32Array,
  n: number,
  h: number,
  w: number,
  /** Where the row sums go (h·w·4 doubles), kept by the caller from call to call; else a fresh array. */
  scratch?: ReusedBuffer,
): Float32Array {
  const g = gaussian1d();
  const r = FIRST_GUESS_RADIUS;
  const rows = scratch ? new Float64Array(scratch.reused(8 * h * w * 4), 0, h * w * 4) : new Float64Array(h * w * 4);
  const out = new Float32Array(n * h * w * 3);
  for (let img = 0; img < n; img++) {
    const base = img * h * w;
    // Along x: the three channels of y and the mask, 4 values per pixel.
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let sm = 0;
        for (let d = Math.max(-r, -j); d <= Math.min(r, w - 1 - j); d++) {
          const p = base + i * w + j + d;
          const k = g[d + r];
          s0 += k * y[p * 3];
          s1 += k * y[p * 3 + 1];
          s2 += k * y[p * 3 + 2];
          sm += k * mask[p];
        }
        const o = (i * w + j) * 4;
        rows[o] = s0;
        rows[o + 1] = s1;
        rows[o + 2] = s2;
        rows[o + 3] = sm;
      }
    // Along y, then num / max(den, 1e-4).
    for (let i = 0; i < h; i++)
      for (let j = 0; j < w; j++) {
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let sm = 0;
        for (let d = Math.max(-r, -i); d <= Math.min(r, h - 1 - i); d++) {
          const q = ((i + d) * w + j) * 4;
          const k = g[d + r];
          s0 += k * rows[q];
          s1 += k * rows[q + 1];
          s2 += k * rows[q + 2];
          sm += k * rows[q + 3];
        }
        const den = Math.max(Math.fround(sm), 1e-4);
        const o = (base + i * w + j) * 3;
        out[o] = s0 / den;
        out[o + 1] = s1 / den;
        out[o + 2] = s2 / den;
      }
  }
  return out;
}

/** The 7×7 Gaussian (σ = 1.5) normalised to sum 1, as [7, 7, 1, 1]. */
function gaussianKernel(radius = FIRST_GUESS_RADIUS, sigma = 1.5): K4 {
  const side = 2 * radius + 1;
  const k = new Float64Array(side * side);
  let sum = 0;
  for (let i = 0; i < side; i++)
    for (let j = 0; j < side; j++) {
      const v = Math.exp(-((i - radius) ** 2 + (j - radius) ** 2) / (2 * sigma * sigma));
      k[i * side + j] = v;
      sum += v;
    }
  return tf.tensor4d(
    Float32Array.from(k, (v) => v / sum),
    [side, side, 1, 1],
  );
}

export class FConvMaskedNet implements MaskedNetwork {
  /** Fully convolutional: photos are computed at their own resolution, in tiles of any size. */
  readonly multiple: number = 1;
  /** It was trained on 64×64 crops. */
  readonly trainingArea: number = 64 * 64;
  private readonly kernels: K4[] = [];
  private readonly biases: tf.Tensor1D[] = [];
  protected readonly head: ConvHead;
  private readonly gaussian = gaussianKernel();

  constructor(weights: LoadedWeights) {
    const depth = (weights.json.backbone as { depth: number }).depth;
    const get = (name: string) => weights.tensors.get(name)!;
    const kernel = (name: string) => tf.tensor4d(get(name).data, get(name).shape as [number, number, number, number]);
    for (let i = 0; i < depth; i++) {
      this.kernels.push(kernel(`g.${i}.kernel`));
      this.biases.push(tf.tensor1d(get(`g.${i}.bias`).data));
    }
    this.head = new ConvHead(kernel('out.kernel'), tf.tensor1d(get('out.bias').data));
  }

  /** Gaussian-weighted mean of the known pixels around each pixel (0 where none is within reach). */
  firstGuess(y: K4, mask: K4): K4 {
    return tf.tidy(() => {
      const [n, h, w, c] = y.shape;
      const perChannel = tf.reshape(tf.transpose(y, [0, 3, 1, 2]), [n * c, h, w, 1]) as K4;
      const num = tf.transpose(tf.reshape(tf.conv2d(perChannel, this.gaussian, 1, 'same'), [n, c, h, w]), [0, 2, 3, 1]);
      const den = tf.maximum(tf.conv2d(mask, this.gaussian, 1, 'same'), 1e-4);
      return tf.div(num, den) as K4;
    });
  }

  g(y: K4, mask: K4, base: K4): K4 {
    return tf.tidy(() => {
      let a = tf.concat([y, mask, base], 3) as K4;
      const last = this.kernels.length - 1;
      for (let i = 0; i <= last; i++) {
        a = tf.fused.conv2d({
          x: a,
          filter: this.kernels[i],
          strides: 1,
          pad: 'same',
          bias: this.biases[i],
          activation: i < last ? 'relu' : 'linear',
        });
      }
      return a;
    });
  }

  reach(K: number): number {
    return fconvMaskedReach(this.kernels.length, K);
  }

  /** g's receptive radius (one pixel per 3×3 layer) and its widest activation (channels). */
  protected get gShape(): { radius: number; channels: number } {
    return { radius: this.kernels.length, channels: Math.max(...this.kernels.map((k) => k.shape[3])) };
  }

  /** h(z) = conv(ReLU z) + b; differentiable in z. */
  h(z: K4, base: K4): K4 {
    return this.head.h(z, base);
  }

  bind(y: K4, mask: K4): BoundMaskedNetwork {
    const base = this.firstGuess(y, mask);
    return {
      g: () => this.g(y, mask, base),
      h: (z) => this.h(z, base),
      head: { conv: this.head, base },
      release: () => base.dispose(),
    };
  }

  dispose(): void {
    tf.dispose([...this.kernels, ...this.biases, this.gaussian]);
    this.head.dispose();
  }
}
