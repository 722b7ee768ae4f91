/**
 * The fully convolutional interpolation network with g on onnxruntime: the first guess b stays on
 * tfjs, z = g([y, M, b]) comes from the model's ONNX file (OnnxG), and the DL-Net steps' two
 * convolutions of h are onnxruntime's matrix products (OnnxHead). Where the file cannot be opened, g
 * runs on tfjs as in FConvMaskedNet; where the products cannot, the steps use tfjs's convs.
 */
import { readFloat32, tf } from '../backend.js';
import { OnnxHead } from '../backends/onnx-head.js';
import type { LoadedWeights } from '../model-file.js';
import { FConvMaskedNet, firstGuessArrays } from './fconv-masked.js';
import type { BoundMaskedNetwork, ZArray } from './masked-network.js';
import { ONNX_SLAB_BYTES, OnnxG, type OnnxSource } from './onnx-g.js';
import { ReusedBuffer } from '../release-buffer.js';

type K4 = tf.Tensor4D;

/** z computed on tfjs, read into an array of its own. */
function readZ(z: K4): ZArray {
  const data = z.dataSync() as Float32Array;
  const shape = z.shape;
  z.dispose();
  return { data, shape };
}

export class FConvMaskedOnnx extends FConvMaskedNet {
  private readonly net: Promise<OnnxG | null>;
  private readonly products: Promise<OnnxHead | undefined>;
  /** Why g runs on tfjs after all (the ONNX files failed to open), or undefined. */
  fallback?: string;
  /** z of the last bind's zArray(), kept for the next: a tile's z is tens of MB, page-faulted in when fresh. */
  readonly #z = new ReusedBuffer();
  readonly #a = new ReusedBuffer();
  /** firstGuessArrays's row sums, kept for the next tile. */
  readonly #rows = new ReusedBuffer();

  constructor(weights: LoadedWeights, source: OnnxSource) {
    super(weights);
    // The arena: one tile's g after another reuses its memory (backends/onnx-runtime.ts SessionOptions).
    this.net = OnnxG.open(source, undefined, { arena: true }).catch((error: unknown) => {
      this.fallback = `${error instanceof Error ? error.message.replace(/\.$/, '') : String(error)}; its g runs on tfjs-wasm.`;
      return null;
    });
    this.products = OnnxHead.open(weights.tensors.get('out.kernel')!).catch(() => undefined);
  }

  /**
   * Runs g once on a slab of the largest size runInRows gives it, so that this thread's heap has grown to
   * hold g's activations before the first tile (as OnnxSrExecutor.warm does for the SR workers).
   */
  async warm(): Promise<void> {
    const net = await this.net;
    if (!net) return;
    const { radius, channels } = this.gShape;
    const side = Math.floor(Math.sqrt(ONNX_SLAB_BYTES / (4 * channels)));
    await net.runInRows(
      new Float32Array(side * side * 7),
      [1, side, side, 7],
      radius,
      channels,
      undefined,
      undefined,
      new Float32Array(side * side * net.channels),
    );
  }

  /** The first guess in JS (firstGuessArrays): here every step around g already runs on arrays. */
  override firstGuess(y: K4, mask: K4): K4 {
    const [n, h, w] = y.shape;
    // Views on the wasm heap (readFloat32): no tf call until firstGuessArrays has read them.
    const guess = firstGuessArrays(readFloat32(y), readFloat32(mask), n, h, w, this.#rows);
    return tf.tensor4d(guess, [n, h, w, 3]);
  }

  override bind(y: K4, mask: K4): BoundMaskedNetwork {
    const base = this.firstGuess(y, mask);
    const zArray = async (): Promise<ZArray | undefined> => {
      const net = await this.net;
      if (!net) return undefined;
      const [n, h, w] = y.shape;
      const c = 7;
      const data = this.#gInput(y, mask, base);
      const { radius, channels } = this.gShape;
      const C = net.channels;
      const floats = n * h * w * C;
      const z = new Float32Array(this.#z.reused(4 * floats), 0, floats);
      await net.runInRows(data, [n, h, w, c], radius, channels, undefined, undefined, z);
      return { data: z, shape: [n, h, w, C] };
    };
    return {
      g: async () => {
        const z = await zArray();
        return z ? tf.tensor4d(z.data, z.shape) : this.g(y, mask, base);
      },
      zArray: async () => (await zArray()) ?? readZ(this.g(y, mask, base)),
      h: (z) => this.h(z, base),
      head: { conv: this.head, base, products: this.products },
      release: () => base.dispose(),
    };
  }

  /** g's input [y, M, b] per pixel (7 values) in a buffer kept for the next call: no tfjs concat and read-back. */
  #gInput(y: K4, mask: K4, base: K4): Float32Array {
    const pixels = mask.size;
    const a = new Float32Array(this.#a.reused(4 * 7 * pixels), 0, 7 * pixels);
    // Views on the wasm heap (readFloat32), each read before the next tf call.
    for (const [t, at, c] of [
      [y, 0, 3],
      [mask, 3, 1],
      [base, 4, 3],
    ] as const) {
      const v = readFloat32(t);
      for (let p = 0; p < pixels; p++) for (let k = 0; k < c; k++) a[p * 7 + at + k] = v[p * c + k];
    }
    return a;
  }

  override dispose(): void {
    super.dispose();
    this.#z.release();
    this.#a.release();
    this.#rows.release();
    void this.close();
  }

  /** Releases the onnxruntime sessions (a worker thread does this before it is terminated). */
  async close(): Promise<void> {
    await Promise.all([this.net.then((net) => net?.release()), this.products.then((p) => p?.release())]);
  }
}
