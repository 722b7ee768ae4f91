/**
 * The fully convolutional interpolation network with g on onnxruntime: the first guess b stays on
 * tfjs, z = g([y, M, b]) comes from the model's ONNX file (OnnxG), and the DL-Net steps' two
 * convolutions of h are onnxruntime's matrix products (OnnxHead). Where the file cannot be opened, g
 * runs on tfjs as in FConvMaskedNet; where the products cannot, the steps use tfjs's convs.
 */
import { tf } from '../backend.js';
import { OnnxHead } from '../backends/onnx-head.js';
import type { LoadedWeights } from '../model-file.js';
import { FConvMaskedNet } from './fconv-masked.js';
import type { BoundMaskedNetwork } from './masked-network.js';
import { OnnxG, type OnnxSource } from './onnx-g.js';
import { releaseArrays } from '../release-buffer.js';

type K4 = tf.Tensor4D;

export class FConvMaskedOnnx extends FConvMaskedNet {
  private readonly net: Promise<OnnxG | null>;
  private readonly products: Promise<OnnxHead | undefined>;
  /** Why g runs on tfjs after all (the ONNX files failed to open), or undefined. */
  fallback?: string;

  constructor(weights: LoadedWeights, source: OnnxSource) {
    super(weights);
    this.net = OnnxG.open(source).catch((error: unknown) => {
      this.fallback = `${error instanceof Error ? error.message.replace(/\.$/, '') : String(error)}; its g runs on tfjs-wasm.`;
      return null;
    });
    this.products = OnnxHead.open(weights.tensors.get('out.kernel')!).catch(() => undefined);
  }

  override bind(y: K4, mask: K4): BoundMaskedNetwork {
    const base = this.firstGuess(y, mask);
    return {
      g: async () => {
        const net = await this.net;
        if (!net) return this.g(y, mask, base);
        const a = tf.concat([y, mask, base], 3) as K4;
        const [n, h, w, c] = a.shape;
        const data = (await a.data()) as Float32Array;
        a.dispose();
        const { radius, channels } = this.gShape;
        const z = await net.runInRows(data, [n, h, w, c], radius, channels);
        const zt = tf.tensor4d(z, [n, h, w, z.length / (n * h * w)]);
        releaseArrays(z);
        return zt;
      },
      h: (z) => this.h(z, base),
      head: { conv: this.head, base, products: this.products },
      release: () => base.dispose(),
    };
  }

  override dispose(): void {
    super.dispose();
    void this.close();
  }

  /** Releases the onnxruntime sessions (a worker thread does this before it is terminated). */
  async close(): Promise<void> {
    await Promise.all([this.net.then((net) => net?.release()), this.products.then((p) => p?.release())]);
  }
}
