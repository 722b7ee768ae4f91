/**
 * The LR-level super-resolution network (backbone "vdsr-lr" or "drrn-lr") split as f = h ∘ g
 * (docs/protocols.md §2, §3), mirroring training/sr_model.py:
 *   g: [y, u/3, bicubic flag] → the backbone's layers (sr-g.ts) → z (last hidden map, no activation)
 *   h: ReLU(z) → conv3×3 to t² channels → pixel shuffle → + bicubic_up(y)
 * Tensors are NHWC, luma on the 0..1 scale. Pixel shuffle is reshape + transpose (DepthToSpace has
 * no gradient in tfjs).
 */
import { tf } from '../backend.js';
import type { LoadedWeights } from '../model-file.js';
import { gRadius, gTensorNames, runG, type SrGBackbone, type SrGTensors } from './sr-g.js';

export class SrNet {
  private readonly gTensors: SrGTensors = { kernels: [], biases: [] };
  private readonly outKernel: tf.Tensor4D;
  private readonly outBias: tf.Tensor1D;
  readonly scale: number;
  readonly backbone: SrGBackbone;

  constructor(weights: LoadedWeights) {
    this.backbone = weights.json.backbone as SrGBackbone;
    this.scale = weights.json.scale!;
    const get = (name: string) => weights.tensors.get(name)!;
    for (const name of gTensorNames(this.backbone)) {
      const k = get(`${name}.kernel`);
      this.gTensors.kernels.push(tf.tensor4d(k.data, k.shape as [number, number, number, number]));
      this.gTensors.biases.push(tf.tensor1d(get(`${name}.bias`).data));
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
    return tf.tidy(() => runG(this.backbone, this.gTensors, this.backbone.conditioned ? this.inputs(y, blur) : y.clone()));
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

  /** Receptive-field radius of g in LR pixels. */
  get gRadius(): number {
    return gRadius(this.backbone);
  }

  dispose(): void {
    tf.dispose([...this.gTensors.kernels, ...this.gTensors.biases, this.outKernel, this.outBias]);
  }
}
