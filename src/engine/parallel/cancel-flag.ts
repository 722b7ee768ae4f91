/**
 * Cancellation that reaches into a busy worker thread. A message waits until the thread's current
 * task ends (tfjs-wasm runs every op synchronously, so a task never yields), so the caller raises a
 * flag in shared memory and the compute loops poll it between layers and DL-Net steps.
 */
import type { CancelCheck } from '../dlnet.js';

/** A lowered flag: shared memory when `Buf` is SharedArrayBuffer (the default), else private. */
export function cancelFlag(Buf: typeof ArrayBuffer | typeof SharedArrayBuffer = SharedArrayBuffer): Int32Array {
  return new Int32Array(new Buf(4));
}

/** Raises `flag` when `signal` aborts (at once if it already has); returns the function that stops listening. */
export function raiseOnAbort(flag: Int32Array, signal: AbortSignal | undefined): () => void {
  if (!signal) return () => {};
  const raise = () => Atomics.store(flag, 0, 1);
  if (signal.aborted) raise();
  signal.addEventListener('abort', raise, { once: true });
  return () => signal.removeEventListener('abort', raise);
}

/** The flag as the `aborted` check the compute loops take. */
export function flagCheck(flag: Int32Array): CancelCheck {
  return {
    get aborted() {
      return Atomics.load(flag, 0) !== 0;
    },
  };
}
