/**
 * The app's small compute requests off the server's thread, in a worker of their own (tools-worker.ts),
 * so they neither wait behind a long restoration in the job queue nor freeze the server's thread
 * (Electron's main process): suggesting the blur (the blur estimator on a few crops) and degrading a clean
 * photo for lab mode. The worker runs on WebAssembly (a thread never terminated inside an onnxruntime
 * run), starts on the first request, and is replaced if it dies (every request waiting on it then fails
 * with a sentence).
 */
import type { FloatImage } from './pixels.js';
import type { BlurSuggestionView } from '../api/api.js';
import { RequestWorker, type WorkerReply } from './request-worker.js';

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
export type ToolReply = WorkerReply<{ readonly result: ToolResult }>;

export class Tools {
  readonly #worker = new RequestWorker<Omit<ToolMessage, 'id'>, { readonly result: ToolResult }, ToolResult>(
    import.meta.url,
    'tools-worker',
    'The helper thread stopped (out of memory?); try again.',
    (reply) => reply.result,
  );
  readonly #modelDirs: string[];

  constructor(modelDirs: string[]) {
    this.#modelDirs = modelDirs;
  }

  /** Runs one request; the image is copied (the caller keeps its own). */
  run(request: ToolRequest): Promise<ToolResult> {
    const data = Float32Array.from(request.image.data);
    const copy = { ...request, image: { ...request.image, data } } as ToolRequest;
    return this.#worker.request({ modelDirs: this.#modelDirs, request: copy }, [data.buffer]);
  }

  close(): Promise<void> {
    return this.#worker.close();
  }
}
