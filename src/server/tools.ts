/**
 * The app's small compute requests off the server's thread, in a worker of their own (tools-worker.ts),
 * so they neither wait behind a long restoration in the job queue nor freeze the server's thread
 * (Electron's main process): suggesting the blur (the blur estimator on a few crops) and degrading a clean
 * photo for lab mode. The worker runs on WebAssembly (a thread never terminated inside an onnxruntime
 * run), starts on the first request, and is replaced if it dies (every request waiting on it then fails
 * with a sentence).
 */
import type { Worker } from 'node:worker_threads';
import { UserError } from '../base/errors.js';
import { rejectPendingOnDeath, spawnModuleWorker } from '../engine/index.js';
import type { FloatImage } from './pixels.js';
import type { BlurSuggestionView } from '../api/api.js';

export type ToolRequest =
  | { readonly type: 'suggest'; readonly image: FloatImage; readonly scale: 2 | 3 | 4 }
  | {
      readonly type: 'degrade';
      readonly image: FloatImage;
      readonly degradation:
        | { readonly task: 'sr'; readonly scale: 2 | 3 | 4; readonly blur: number }
        /** fill: 1 = missing (the API's convention), width × height of the image. */
        | { readonly task: 'inpaint' | 'interpolate'; readonly fill: Uint8Array };
    };

export type ToolResult =
  | { readonly type: 'suggest'; readonly suggestion: BlurSuggestionView }
  | { readonly type: 'degrade'; readonly image: FloatImage };

export type ToolMessage = { readonly id: number; readonly modelDirs: string[]; readonly request: ToolRequest };
export type ToolReply =
  | { readonly id: number; readonly ok: true; readonly result: ToolResult }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly code?: string };

export class Tools {
  #worker: Worker | null = null;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (r: ToolResult) => void; reject: (e: Error) => void }>();
  readonly #modelDirs: string[];

  constructor(modelDirs: string[]) {
    this.#modelDirs = modelDirs;
  }

  /** Runs one request; the image is copied (the caller keeps its own). */
  run(request: ToolRequest): Promise<ToolResult> {
    const worker = this.#start();
    const id = this.#nextId++;
    const data = Float32Array.from(request.image.data);
    const copy = { ...request, image: { ...request.image, data } } as ToolRequest;
    return new Promise<ToolResult>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, modelDirs: this.#modelDirs, request: copy } satisfies ToolMessage, [data.buffer]);
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    await worker?.terminate();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = spawnModuleWorker(import.meta.url, 'tools-worker');
    worker.unref();
    rejectPendingOnDeath(worker, this.#pending, 'The helper thread stopped (out of memory?); try again.');
    worker.on('exit', () => {
      if (this.#worker === worker) this.#worker = null;
    });
    worker.on('message', (reply: ToolReply) => {
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      this.#pending.delete(reply.id);
      if (reply.ok) pending.resolve(reply.result);
      else pending.reject(reply.code ? new UserError(reply.message, reply.code) : new Error(reply.message));
    });
    this.#worker = worker;
    return worker;
  }
}
