/**
 * Messages between the server thread (jobs.ts) and a restoration worker (worker.ts). Images cross
 * as transferable Float32Array buffers; cancellation uses a SharedArrayBuffer flag that the worker
 * checks at every engine event, so it works even while the worker never yields to its event loop.
 */
import type { Frame, IterationMetrics } from '../api/api.js';
import type { FrameUpdate, StoredIterations } from '../engine/index.js';
import type { FloatImage } from './pixels.js';
import type { BackendChoice } from '../base/backend.js';

export type { BackendChoice };

export type WorkerRequest =
  | {
      task: 'sr';
      scale: 2 | 3 | 4;
      blur: number;
      iterations: number;
      gamma: number;
      modelId?: string;
      /** The final size when it is not the model's (the result is resampled to it with Lanczos-3). */
      outputSize?: { width: number; height: number };
    }
  | {
      task: 'inpaint' | 'interpolate';
      iterations: number;
      gamma: number;
      modelId?: string;
      /** Engine convention: 1 = observed, 0 = missing. */
      mask: { width: number; height: number; data: Uint8Array };
    };

export interface BackendReportMessage {
  name: string;
  details?: string;
  skipped: { name: string; reason: string }[];
}

export type ToWorker =
  /** restoreWorkers: threads for each restoration (a pool inside this worker). */
  | { type: 'init'; backend: BackendChoice; modelDirs: string[]; restoreWorkers: number }
  | {
      type: 'run';
      jobId: string;
      image: FloatImage;
      request: WorkerRequest;
      cancel: SharedArrayBuffer;
      previewMaxSide: number;
      /** Super-resolution: the fraction of the height to restore first (the middle of the view). */
      focus?: number;
      /** Folder for the job's full-size iterates on disk (removed with the server). */
      tempDir: string;
      /**
       * Lab mode: the clean original the input was degraded from (super-resolution: cropped here to a
       * multiple of the scale); the worker measures every x̂_k against it.
       */
      reference?: FloatImage;
    };

export type FromWorker =
  | { type: 'ready'; backend: BackendReportMessage }
  | { type: 'init-failed'; message: string }
  | { type: 'progress'; jobId: string; fraction: number; message?: string }
  | { type: 'preview'; jobId: string; rows: number; frame: Frame }
  /** Part of x̂_k at display size (a band of it for super-resolution), with its residual. */
  | { type: 'iteration'; jobId: string; update: FrameUpdate }
  /** stored: x̂_1..x̂_{K−1} at full size on disk, now the server's to read and remove. */
  | { type: 'done'; jobId: string; image: FloatImage; frame: Frame; stored?: StoredIterations; metrics?: IterationMetrics[] }
  | { type: 'failed'; jobId: string; code: string; message: string; stack?: string }
  | { type: 'cancelled'; jobId: string };
