/**
 * The DL-Net steps' work memory, and their Adam step in WebAssembly SIMD on it.
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

const PAGE = 65536;
const MAX_PAGES = 65536;

let compiled: WebAssembly.Module | null | undefined;

/** adam.wat compiled once per thread, or null where this WebAssembly lacks SIMD. */
function adamModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    const bytes = Buffer.from(ADAM_WASM, 'base64');
    compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  return compiled;
}

export class StepArena {
  #memory?: WebAssembly.Memory;
  #adam?: AdamKernel;
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

  release(): void {
    this.#memory = undefined;
    this.#adam = undefined;
    this.#fallback.release();
  }

  /** The memory grown to `bytes`, or undefined where WebAssembly cannot give it. */
  #grow(bytes: number): WebAssembly.Memory | undefined {
    const pages = Math.ceil(Math.max(1, bytes) / PAGE);
    if (pages > MAX_PAGES) return undefined;
    if (!this.#memory) {
      const module = adamModule();
      if (!module) return undefined;
      try {
        const memory = new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES });
        const instance = new WebAssembly.Instance(module, { env: { memory } });
        this.#adam = instance.exports.adam as AdamKernel;
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
