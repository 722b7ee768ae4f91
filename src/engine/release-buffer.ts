/**
 * Gives the memory of a large temporary ArrayBuffer back now rather than whenever the garbage
 * collector gets to it. The buffer is detached (byteLength 0, every view on it empty): call this only
 * on a buffer of your own that nothing reads any more.
 *
 * Why: an SR worker spends its time in native code (onnxruntime's g, tfjs-wasm) and in long synchronous
 * loops, so V8 collects rarely there, and the buffers it drops pile up: onnxruntime-node returns every
 * part of g in a fresh ArrayBuffer (≈ 17 MB per part for the slabs of a ×4 24 MP job), a step task
 * drops ≈ 100 MB of work arrays. Once onnxruntime has freed a chunk that size, glibc serves such sizes
 * from its per-thread arenas, and an arena keeps the space of freed chunks resident: each worker's
 * arena grew to 260–360 MB, 200–300 MB of it free, for a job whose live data per worker is well under
 * 100 MB.
 *
 * How: the buffer is transferred into a message that is never delivered (both ports of a fresh
 * MessageChannel are closed at once); the memory is freed when the ports close, on the thread's next
 * turn of the event loop. (ArrayBuffer.prototype.transfer(0) would do it in place; Node 20 lacks it.)
 */
import { MessageChannel } from 'node:worker_threads';

export function releaseBuffer(buffer: ArrayBufferLike): void {
  if (!(buffer instanceof ArrayBuffer) || buffer.byteLength === 0) return;
  const { port1, port2 } = new MessageChannel();
  try {
    port1.postMessage(null, [buffer]);
  } finally {
    port1.close();
    port2.close();
  }
}

/**
 * releaseBuffer for the buffer of each array that covers its whole buffer (as `new Float32Array(n)`
 * makes); a view on part of a larger buffer is left alone.
 */
export function releaseArrays(...arrays: ArrayBufferView[]): void {
  for (const a of arrays) if (a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) releaseBuffer(a.buffer);
}

/**
 * One zeroed work buffer kept from call to call (grown when a call needs more), for the DL-Net steps'
 * arrays (parallel/sr-compute.ts, masked-steps.ts). Fresh memory of that size (tens to hundreds of MB)
 * is mapped anew for every call and page-faulted in as it is first written: on the 2-core dev VM the SR
 * workers' plain-JS time of a 12 MP ×2 job fell from 13.2 to 10.0 s (K = 5) and 2.6 to 1.6 s (K = 1)
 * with the buffer kept. It holds one buffer per owner until release().
 */
export class ReusedBuffer {
  #buffer?: ArrayBuffer;

  /** A zeroed buffer of at least `bytes` bytes; views on an earlier one must no longer be used. */
  zeroed(bytes: number): ArrayBuffer {
    const fresh = this.#buffer === undefined || this.#buffer.byteLength < bytes;
    const buffer = this.reused(bytes);
    if (!fresh) new Uint8Array(buffer, 0, bytes).fill(0);
    return buffer;
  }

  /** zeroed() without the zeroing: what an earlier call left in it, for a caller that overwrites it all. */
  reused(bytes: number): ArrayBuffer {
    if (this.#buffer === undefined || this.#buffer.byteLength < bytes) {
      if (this.#buffer) releaseBuffer(this.#buffer);
      this.#buffer = new ArrayBuffer(bytes);
    }
    return this.#buffer;
  }

  release(): void {
    if (this.#buffer) releaseBuffer(this.#buffer);
    this.#buffer = undefined;
  }
}
