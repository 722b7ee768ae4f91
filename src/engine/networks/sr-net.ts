/**
 * The LR-level super-resolution network (backbone "vdsr-lr") split as f = h ∘ g (DESIGN §4, §5),
 * mirroring training/sr_model.py:
 *   g: [y, u/3, bicubic flag] → depth × conv3×3 (ReLU between) → z (last hidden map, no activation)
 *   h: ReLU(z) → conv3×3 to t² channels → pixel shuffle → + bicubic_up(y)
 * Tensors are NHWC, luma on the 0..1 scale. Pixel shuffle is reshape + transpose (DepthToSpace has
 * no gradient in tfjs).
 */
import { tf } from '../backend.js';
import type { LoadedWeights, SrBackbone } from '../model-file.js';

export class SrNet {
  private readonly kernels: tf.Tensor4D[] = [];
  private readonly biases: tf.Tensor1D[] = [];
  private readonly outKernel: tf.Tensor4D;
  private readonly outBias: tf.Tensor1D;
  readonly scale: number;
  readonly backbone: SrBackbone;

  constructor(weights: LoadedWeights) {
    this.backbone = weights.json.backbone as SrBackbone;
    this.scale = weights.json.scale!;
    const get = (name: string) => weights.tensors.get(name)!;
    for (let i = 0; i < this.backbone.depth; i++) {
      const k = get(`g.${i}.kernel`);
      this.kernels.push(tf.tensor4d(k.data, k.shape as [number, number, number, number]));
      this.biases.push(tf.tensor1d(get(`g.${i}.bias`).data));
    }
    const k = get('out.kernel');
    this.outKernel = tf.tensor4d(k.data, k.shape as [number, number, number, number]);
    this.outBias = tf.tensor1d(get('out.bias').data);
  }

  /** The network input: y [1,H,W,1] plus, when conditioned, constant maps u/3 and the bicubic flag. */
  private inputs(y: tf.Tensor4D, blur: number): tf.Tensor4D {
    if (!this.backbone.conditioned) return y;
    const [n, h, w] = y.shape;
    return tf.concat([y, tf.fill([n, h, w, 1], blur / 3), tf.fill([n, h, w, 1], blur === 0 ? 1 : 0)], 3);
  }

  g(y: tf.Tensor4D, blur: number): tf.Tensor4D {
    return tf.tidy(() => {
      let a = this.inputs(y, blur);
      const last = this.kernels.length - 1;
      for (let i = 0; i < last; i++) {
        a = tf.fused.conv2d({ x: a, filter: this.kernels[i], strides: 1, pad: 'same', bias: this.biases[i], activation: 'relu' });
      }
      return tf.fused.conv2d({ x: a, filter: this.kernels[last], strides: 1, pad: 'same', bias: this.biases[last] });
    });
  }

  /** h(z) = shuffle(conv(ReLU z)) + skip; differentiable in z. `skip` is bicubic_up(y), [1,tH,tW,1]. */
  h(z: tf.Tensor4D, skip: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const t = this.scale;
      const r = tf.add(tf.conv2d(tf.relu(z), this.outKernel, 1, 'same'), this.outBias) as tf.Tensor4D;
      const [n, h, w] = r.shape;
      const shuffled = tf.reshape(tf.transpose(tf.reshape(r, [n, h, w, t, t]), [0, 1, 3, 2, 4]), [n, h * t, w * t, 1]);
      return tf.add(shuffled, skip) as tf.Tensor4D;
    });
  }

  /** Receptive-field radius of g in LR pixels (one per 3×3 conv). */
  get gRadius(): number {
    return this.backbone.depth;
  }

  dispose(): void {
    for (const t of [...this.kernels, ...this.biases, this.outKernel, this.outBias]) t.dispose();
  }
}
