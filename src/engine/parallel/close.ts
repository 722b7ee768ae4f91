/**
 * Closing an engine worker that may hold onnxruntime sessions. Terminating a thread while
 * onnxruntime-node runs in it (or while its sessions are alive) can abort the whole process
 * ("terminate called after throwing an instance of 'Napi::Error'", seen after a cancelled job), so a
 * pool first asks each worker to finish the task in hand and release its sessions, then terminates it.
 */
import type { Worker } from 'node:worker_threads';

/** Posted to a worker: finish the task in hand, release native sessions, answer `closed`. */
export interface CloseMessage {
  type: 'close';
}

export const CLOSED = { type: 'closed' } as const;

/** Asks `worker` to close (waiting at most `timeoutMs` for its answer), then terminates it. */
export async function closeWorker(worker: Worker, timeoutMs = 30_000): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', done);
      resolve();
    };
    const onMessage = (m: { type?: string } | undefined) => {
      if (m?.type === CLOSED.type) done();
    };
    const timer = setTimeout(done, timeoutMs);
    worker.on('message', onMessage);
    worker.once('exit', done);
    try {
      worker.postMessage({ type: 'close' } satisfies CloseMessage);
    } catch {
      done(); // already gone
    }
  });
  await worker.terminate();
}

/**
 * The worker side: runs `handle` for every message but `close`; on `close`, waits for the handlers
 * in flight, runs `release` and answers `closed`.
 */
export function serveUntilClosed<M extends { type: string }>(
  port: { on(event: 'message', listener: (m: M | CloseMessage) => void): unknown; postMessage(m: unknown): void },
  handle: (message: M) => Promise<void>,
  release: () => Promise<void>,
): void {
  const inFlight = new Set<Promise<void>>();
  port.on('message', (message) => {
    if (message.type === 'close') {
      void Promise.allSettled([...inFlight])
        .then(release)
        .catch(() => {})
        .then(() => port.postMessage(CLOSED));
      return;
    }
    const p = handle(message as M);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  });
}

/**
 * Like Promise.all, but settles only when every promise has: the first rejection is rethrown after
 * the others have finished. A job must not end while a worker is still inside an onnxruntime run
 * (the process may exit next, which terminates that worker mid-run: see above).
 */
export async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
