/**
 * One worker thread that answers id-tagged requests: started on the first request,
 * replaced by a fresh one on the next request after it dies (every request waiting on the dead one fails
 * with the given sentence). Replies are
 * `{ id, ok: true, … }` or `{ id, ok: false, message, code? }`; a failure with a code is a UserError.
 */
import type { TransferListItem, Worker } from 'node:worker_threads';
import { UserError } from '../base/errors.js';
import { rejectPendingOnDeath, spawnModuleWorker } from '../engine/index.js';

export type WorkerReply<Ok> =
  | ({ readonly id: number; readonly ok: true } & Ok)
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string };

export class RequestWorker<Request, Ok, Result> {
  #worker: Worker | null = null;
  #nextId = 1;
  /** The current worker's waiting requests (a map per worker: a dead one's rejects every later call). */
  #pending = new Map<number, { resolve: (r: Result) => void; reject: (e: Error) => void }>();

  /**
   * module: the worker's file name, without extension, in the folder of `callerUrl` (the caller's
   * import.meta.url); stopped: the sentence waiting requests fail with when the worker dies; result: what
   * a successful reply resolves to.
   */
  constructor(
    private readonly callerUrl: string,
    private readonly module: string,
    private readonly stopped: string,
    private readonly result: (reply: { readonly id: number; readonly ok: true } & Ok) => Result,
  ) {}

  /** Posts `{ id, ...request }`, transferring `transfer`. */
  request(request: Request, transfer: readonly TransferListItem[] = []): Promise<Result> {
    const worker = this.#start();
    const pending = this.#pending;
    const id = this.#nextId++;
    return new Promise<Result>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, ...request }, transfer);
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    await worker?.terminate();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = spawnModuleWorker(this.callerUrl, this.module);
    worker.unref();
    const pending = (this.#pending = new Map());
    rejectPendingOnDeath(worker, pending, this.stopped);
    worker.on('exit', () => {
      if (this.#worker === worker) this.#worker = null;
    });
    worker.on('message', (reply: WorkerReply<Ok>) => {
      const call = pending.get(reply.id);
      if (!call) return;
      pending.delete(reply.id);
      if (reply.ok) call.resolve(this.result(reply));
      else call.reject(reply.code ? new UserError(reply.message, reply.code) : new Error(reply.message));
    });
    this.#worker = worker;
    return worker;
  }
}
