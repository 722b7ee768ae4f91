/**
 * h's 3×3 conv (C → T channels) and its adjoint as two matrix products on onnxruntime, for the SR
 * DL-Net steps (parallel/head-taps.ts sums and gathers the nine taps in JS):
 *
 * - forward: u = Wt · aᵀ, 9·T planes from C values per pixel, Wt[tap·T + o][c] = K[tap][c][o] (K in
 *   HWIO); h's conv is then the sum of u's nine tap planes, each shifted by its offset.
 * - adjoint: (∂h/∂a)ᵀ dr = colsᵀ · Wt, cols holding the nine tap planes of dr shifted the other way
 *   (an im2col of T channels, planar).
 *
 * Both are plain GEMMs with a small constant right-hand side, which onnxruntime runs at several
 * times the rate of tfjs-wasm's 3×3 conv to few output channels, or of onnxruntime's own Conv there
 * (measured in backends/README.md).
 */
import type { HeadProducts } from '../parallel/head-taps.js';
import { createSession, ortModule, ortThreads, runInto, type OrtModule, type OrtSession } from './onnx-runtime.js';
import { gemmModel } from './onnx-proto.js';

export class OnnxHead implements HeadProducts {
  private constructor(
    private readonly ort: OrtModule,
    private readonly forwardSession: OrtSession,
    private readonly adjointSession: OrtSession,
    readonly channels: number,
    readonly taps: number,
  ) {}

  /** Sessions for h's kernel (HWIO, 3 × 3 × C × T). */
  static async open(kernel: { shape: number[]; data: Float32Array }, threads = ortThreads()): Promise<OnnxHead> {
    const ort = ortModule();
    if (!ort) throw new Error('onnxruntime-node is not loaded in this thread.');
    const [kh, kw, C, T] = kernel.shape;
    const taps = kh * kw * T;
    const wt = new Float32Array(taps * C);
    for (let tap = 0; tap < kh * kw; tap++)
      for (let c = 0; c < C; c++) for (let o = 0; o < T; o++) wt[(tap * T + o) * C + c] = kernel.data[(tap * C + c) * T + o];
    const forward = await createSession(ort, gemmModel(C, taps, wt, true), threads);
    try {
      const adjoint = await createSession(ort, gemmModel(taps, C, wt, false), threads);
      return new OnnxHead(ort, forward, adjoint, C, taps);
    } catch (error) {
      await forward.release();
      throw error;
    }
  }

  /** u = Wt · aᵀ (9·T planes) for `pixels` pixels, written into `into`; returns the view written. */
  async forward(a: Float32Array, pixels: number, into: Float32Array): Promise<Float32Array> {
    return this.product(this.forwardSession, a, [pixels, this.channels], [this.taps, pixels], into);
  }

  /** colsᵀ · Wt (C per pixel) for 9·T planes of `pixels`, written into `into`; returns the view written. */
  async adjoint(planes: Float32Array, pixels: number, into: Float32Array): Promise<Float32Array> {
    return this.product(this.adjointSession, planes, [this.taps, pixels], [pixels, this.channels], into);
  }

  private async product(
    session: OrtSession,
    x: Float32Array,
    dims: [number, number],
    outDims: [number, number],
    into: Float32Array,
  ): Promise<Float32Array> {
    const y = into.subarray(0, outDims[0] * outDims[1]);
    const feeds = { x: new this.ort.Tensor('float32', x.subarray(0, dims[0] * dims[1]), dims) };
    await runInto(session, feeds, { y: new this.ort.Tensor('float32', y, outDims) });
    return y;
  }

  async release(): Promise<void> {
    await Promise.all([this.forwardSession.release(), this.adjointSession.release()]);
  }
}
