/**
 * h's 3×3 conv (C → T channels) and its adjoint as two matrix products on onnxruntime, for the SR
 * DL-Net steps (parallel/head-taps.ts sums and gathers the nine taps in JS):
 *
 * - forward: u = Wt · aᵀ, 9·T planes from C values per pixel, Wt[tap·T + o][c] = K[tap][c][o] (K in
 *   HWIO); h's conv is then the sum of u's nine tap planes, each shifted by its offset.
 * - adjoint: (∂h/∂a)ᵀ dr = colsᵀ · Wt, cols holding the nine tap planes of dr shifted the other way
 *   (an im2col of T channels, planar).
 *
 * Both are plain GEMMs with a small right-hand side (an input of the graph, so that the DL-Net steps can
 * leave out the channels they handle entry by entry: parallel/channel-split.ts), which onnxruntime runs at several
 * times the rate of tfjs-wasm's 3×3 conv to few output channels, or of onnxruntime's own Conv there
 * (measured in backends/README.md).
 */
import type { HeadKernel, HeadProducts } from '../parallel/head-taps.js';
import {
  createSession,
  ortModule,
  ortThreads,
  runInto,
  type OrtModule,
  type OrtSession,
  type OrtTensor,
} from './onnx-runtime.js';
import { gemmModel } from './onnx-proto.js';

export class OnnxHead implements HeadProducts {
  readonly #full: HeadKernel;

  private constructor(
    private readonly ort: OrtModule,
    private readonly forwardSession: OrtSession,
    private readonly adjointSession: OrtSession,
    /** Wt[tap·T + o][c] = K[tap][c][o], taps × channels. */
    private readonly wt: Float32Array,
    readonly channels: number,
    readonly taps: number,
  ) {
    this.#full = this.#kernel(wt, channels);
  }

  /** Sessions for h's kernel (HWIO, 3 × 3 × C × T). */
  static async open(kernel: { shape: number[]; data: Float32Array }, threads = ortThreads()): Promise<OnnxHead> {
    const ort = ortModule();
    if (!ort) throw new Error('onnxruntime-node is not loaded in this thread.');
    const [kh, kw, C, T] = kernel.shape;
    const taps = kh * kw * T;
    const wt = new Float32Array(taps * C);
    for (let tap = 0; tap < kh * kw; tap++)
      for (let c = 0; c < C; c++) for (let o = 0; o < T; o++) wt[(tap * T + o) * C + c] = kernel.data[(tap * C + c) * T + o];
    // The kernel is an input of both products, so that a call can pass the columns of some channels only.
    const forward = await createSession(ort, gemmModel('c', taps, true), threads);
    try {
      const adjoint = await createSession(ort, gemmModel(taps, 'c', false), threads);
      return new OnnxHead(ort, forward, adjoint, wt, C, taps);
    } catch (error) {
      await forward.release();
      throw error;
    }
  }

  restrict(channels: ArrayLike<number>): HeadKernel {
    const n = channels.length;
    const wt = new Float32Array(this.taps * n);
    for (let q = 0; q < this.taps; q++) for (let r = 0; r < n; r++) wt[q * n + r] = this.wt[q * this.channels + channels[r]];
    return this.#kernel(wt, n);
  }

  /** u = Wt · aᵀ (9·T planes) for `pixels` pixels, written into `into`; returns the view written. */
  async forward(a: Float32Array, pixels: number, into: Float32Array, kernel = this.#full): Promise<Float32Array> {
    return this.product(this.forwardSession, kernel, a, [pixels, kernel.channels], [this.taps, pixels], into);
  }

  /** colsᵀ · Wt (C per pixel) for 9·T planes of `pixels`, written into `into`; returns the view written. */
  async adjoint(planes: Float32Array, pixels: number, into: Float32Array, kernel = this.#full): Promise<Float32Array> {
    return this.product(this.adjointSession, kernel, planes, [this.taps, pixels], [pixels, kernel.channels], into);
  }

  #kernel(wt: Float32Array, channels: number): OrtHeadKernel {
    return { channels, w: new this.ort.Tensor('float32', wt, [this.taps, channels]) };
  }

  private async product(
    session: OrtSession,
    kernel: HeadKernel,
    x: Float32Array,
    dims: [number, number],
    outDims: [number, number],
    into: Float32Array,
  ): Promise<Float32Array> {
    const y = into.subarray(0, outDims[0] * outDims[1]);
    const feeds = { x: new this.ort.Tensor('float32', x.subarray(0, dims[0] * dims[1]), dims), w: (kernel as OrtHeadKernel).w };
    await runInto(session, feeds, { y: new this.ort.Tensor('float32', y, outDims) });
    return y;
  }

  async release(): Promise<void> {
    await Promise.all([this.forwardSession.release(), this.adjointSession.release()]);
  }
}

interface OrtHeadKernel extends HeadKernel {
  w: OrtTensor;
}
