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
