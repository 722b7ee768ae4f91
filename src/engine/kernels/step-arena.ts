/**
 * The DL-Net steps' work memory, and their Adam step and the head's tap sums in WebAssembly SIMD on it.
 *
 * The steps (parallel/sr-compute.ts, masked-steps.ts) keep z, m and v over the active entries, the
 * dense a = ReLU(z) and a slab of ∂L/∂a as views on one zeroed buffer, kept from call to call. Here
 * that buffer is a WebAssembly memory, so the Adam step runs as adam.wat's loop, four entries per
 * instruction, in single precision as the trained model's Adam did: 15 ms for 7.7 M entries on
 * this dev VM where active-adam.ts's JS loop took 52 ms. Where WebAssembly cannot give the memory
 * (no SIMD, or past its 4 GiB), the buffer is a plain ArrayBuffer and the JS step runs instead, as it
 * does for a gradient held anywhere else.
 *
 * The memory can only grow; release() drops it for the garbage collector.
 */
import { adamActive, type ActiveAdam } from '../active-adam.js';
import type { DLNetSettings } from '../dlnet.js';
import { ReusedBuffer } from '../release-buffer.js';
import { ADAM_WASM } from './adam-wasm.js';
import { TAPS_WASM } from './taps-wasm.js';

type AdamKernel = (
  index: number,
  z: number,
  m: number,
  v: number,
  grad: number,
  a: number,
  j0: number,
  j1: number,
  beta1: number,
  beta2: number,
  gammaC1: number,
  c2: number,
) => void;

type TapRowKernel = (out: number, u0: number, u1: number, u2: number, n: number) => void;

const PAGE = 65536;
const MAX_PAGES = 65536;

let compiled: { adam: WebAssembly.Module; taps: WebAssembly.Module } | null | undefined;

/** adam.wat and taps.wat compiled once per thread, or null where this WebAssembly lacks SIMD. */
function kernelModules(): { adam: WebAssembly.Module; taps: WebAssembly.Module } | null {
  if (compiled === undefined) {
    const [adam, taps] = [ADAM_WASM, TAPS_WASM].map((b64) => Buffer.from(b64, 'base64'));
    compiled =
      WebAssembly.validate(adam) && WebAssembly.validate(taps)
        ? { adam: new WebAssembly.Module(adam), taps: new WebAssembly.Module(taps) }
        : null;
  }
  return compiled;
}

export class StepArena {
  #memory?: WebAssembly.Memory;
  #adam?: AdamKernel;
  #tapRow?: TapRowKernel;
  readonly #fallback = new ReusedBuffer();

  /** A zeroed buffer of at least `bytes` bytes; views on an earlier one must no longer be used. */
  zeroed(bytes: number): ArrayBuffer {
    const memory = this.#grow(bytes);
    if (!memory) return this.#fallback.zeroed(bytes);
    this.#fallback.release();
    new Uint8Array(memory.buffer, 0, bytes).fill(0);
    return memory.buffer;
  }

  /** Whether the Adam steps on this arena's buffers run in WebAssembly. */
  get simd(): boolean {
    return this.#memory !== undefined;
  }

  /**
   * adamActive (active-adam.ts): in the kernel where every array is a view on this arena's memory,
   * else in JS.
   */
  adam(
    active: ActiveAdam,
    grad: Float32Array,
    gradOffset: number,
    j0: number,
    j1: number,
    k: number,
    settings: Pick<DLNetSettings, 'gamma' | 'beta1' | 'beta2'>,
  ): void {
    const buffer = this.#memory?.buffer;
    const { index, z, m, v, a } = active;
    if (!buffer || ![index, z, m, v, a, grad].every((x) => x.buffer === buffer)) {
      adamActive(active, grad, gradOffset, j0, j1, k, settings);
      return;
    }
    if (j1 <= j0) return;
    const { gamma, beta1, beta2 } = settings;
    this.#adam!(
      index.byteOffset,
      z.byteOffset,
      m.byteOffset,
      v.byteOffset,
      (grad.byteOffset - 4 * gradOffset) | 0, // grad[0]'s address in entries of a: wraps, as the kernel expects
      a.byteOffset,
      j0,
      j1,
      beta1,
      beta2,
      gamma / (1 - beta1 ** k),
      1 / (1 - beta2 ** k),
    );
  }

  /**
   * out[ob + j] += (taps[p0 + j − 1] + taps[p1 + j]) + taps[p2 + j + 1] for j in 0..n−1, where those
   * entries exist (one output row of the head's conv: parallel/head-taps.ts), in the kernel when both
   * arrays lie in this arena and n ≥ 2. Returns false where it did nothing (the caller's JS loop runs).
   */
  tapRow(out: Float32Array, ob: number, taps: Float32Array, p0: number, p1: number, p2: number, n: number): boolean {
    const buffer = this.#memory?.buffer;
    if (!buffer || n < 2 || out.buffer !== buffer || taps.buffer !== buffer) return false;
    const t = taps.byteOffset;
    this.#tapRow!(out.byteOffset + 4 * ob, t + 4 * p0, t + 4 * p1, t + 4 * p2, n);
    return true;
  }

  release(): void {
    this.#memory = undefined;
    this.#adam = undefined;
    this.#tapRow = undefined;
    this.#fallback.release();
  }

  /** The memory grown to `bytes`, or undefined where WebAssembly cannot give it. */
  #grow(bytes: number): WebAssembly.Memory | undefined {
    const pages = Math.ceil(Math.max(1, bytes) / PAGE);
    if (pages > MAX_PAGES) return undefined;
    if (!this.#memory) {
      const modules = kernelModules();
      if (!modules) return undefined;
      try {
        const memory = new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES });
        this.#adam = new WebAssembly.Instance(modules.adam, { env: { memory } }).exports.adam as AdamKernel;
        this.#tapRow = new WebAssembly.Instance(modules.taps, { env: { memory } }).exports.tapRow as TapRowKernel;
        this.#memory = memory;
      } catch {
        return undefined;
      }
      return this.#memory;
    }
    const have = this.#memory.buffer.byteLength / PAGE;
    if (pages > have) {
      try {
        this.#memory.grow(pages - have);
      } catch {
        this.release();
        return undefined;
      }
    }
    return this.#memory;
  }
}
