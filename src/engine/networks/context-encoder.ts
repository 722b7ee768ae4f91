/**
 * The context-encoder autoencoder (backbone "context-encoder", docs/protocols.md §3) split as f = h ∘ g,
 * mirroring training/inpaint_model.py with batch norm folded into the convs at export:
 *   g: [y, M] → 4 × (conv 4×4 s2 + LeakyReLU 0.2) → channel-wise FC → 3 × convT 4×4 s2 (ReLU between) → z
 *   h: ReLU(z) → convT 4×4 s2 to 3 channels
 * Tensors are NHWC on the [−1, 1] scale; y has missing pixels set to 0; M is 1 where observed.
 */
import { tf } from '../backend.js';
import type { LoadedWeights } from '../model-file.js';
import type { BoundMaskedNetwork, MaskedNetwork } from './masked-network.js';

type K4 = tf.Tensor4D;
const PAD1: [[number, number], [number, number], [number, number], [number, number]] = [
  [0, 0],
  [1, 1],
  [1, 1],
  [0, 0],
];

export class ContextEncoderNet implements MaskedNetwork {
  private readonly tensors = new Map<string, tf.Tensor>();
  readonly size = 64;

  constructor(weights: LoadedWeights) {
    for (const [name, { shape, data }] of weights.tensors) this.tensors.set(name, tf.tensor(data, shape));
  }

  private t<T extends tf.Tensor>(name: string): T {
    return this.tensors.get(name) as T;
  }

  private convT(x: K4, name: string): K4 {
    const kernel = this.t<K4>(`${name}.kernel`);
    const [n, h, w] = x.shape;
    const out = tf.conv2dTranspose(x, kernel, [n, 2 * h, 2 * w, kernel.shape[2]], 2, 'same');
    return tf.add(out, this.t(`${name}.bias`)) as K4;
  }

  g(y: K4, mask: K4): K4 {
    return tf.tidy(() => {
      let a = tf.concat([y, mask], 3) as K4;
      for (let i = 0; i < 4; i++) {
        a = tf.leakyRelu(tf.add(tf.conv2d(a, this.t<K4>(`enc.${i}.kernel`), 2, PAD1), this.t(`enc.${i}.bias`)), 0.2) as K4;
      }
      const [n, h, w, c] = a.shape;
      const code = tf.transpose(tf.reshape(a, [n, h * w, c]), [2, 0, 1]); // c, n, hw
      const mixed = tf.add(tf.matMul(code as tf.Tensor3D, this.t<tf.Tensor3D>('fc.weight')), tf.expandDims(this.t('fc.bias'), 1));
      a = tf.reshape(tf.transpose(mixed, [1, 2, 0]), [n, h, w, c]) as K4;
      for (let i = 0; i < 3; i++) {
        if (i > 0) a = tf.relu(a);
        a = this.convT(a, `dec.${i}`);
      }
      return a;
    });
  }

  h(z: K4): K4 {
    return tf.tidy(() => this.convT(tf.relu(z), 'out'));
  }

  bind(y: K4, mask: K4): BoundMaskedNetwork {
    return { g: () => this.g(y, mask), h: (z) => this.h(z), release: () => {} };
  }

  dispose(): void {
    for (const t of this.tensors.values()) t.dispose();
  }
}
