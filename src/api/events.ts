/**
 * The event stream from the backend to the UI: job events carry their job id, batch events their
 * batch id; errors are `{code, message}`. Events travel on EVENT_CHANNEL (./channels.ts).
 */
import type { BatchRunEvent } from '../base/batch.js';
import type { ApiError } from './responses.js';
import type { BackendInfo, Frame, IterationMetrics } from './results.js';

export type JobEvent =
  | { type: 'job.queued'; jobId: string; position: number }
  | { type: 'job.started'; jobId: string }
  | { type: 'job.progress'; jobId: string; fraction: number; message?: string }
  /** Super-resolution: x̂_1 of the top `rows` output rows, bicubic below; sent before the first iteration. */
  | { type: 'job.preview'; jobId: string; rows: number; frame: Frame }
  /**
   * Part of x̂_k: rows [y, y + frame.height) of its display frame (width × height; frame.width = width).
   * Super-resolution sends each x̂_k band by band; `likelihood` is L(z_k) over the bands seen so far
   * and `coverage` the fraction of the image they hold (1 when x̂_k is whole). Inpainting and
   * interpolation send whole frames (y = 0, coverage 1).
   */
  | {
      type: 'job.iteration';
      jobId: string;
      k: number;
      K: number;
      likelihood: number;
      coverage: number;
      y: number;
      width: number;
      height: number;
      frame: Frame;
    }
  | {
      type: 'job.done';
      jobId: string;
      K: number;
      likelihoods: number[];
      seconds: number;
      frame: Frame;
      /** Lab mode (job.start with a reference): PSNR and SSIM of x̂_1..x̂_K against the clean original. */
      metrics?: IterationMetrics[];
    }
  | { type: 'job.error'; jobId: string; code: string; message: string }
  | { type: 'job.cancelled'; jobId: string };

/** An event of the batch engine as the app sends it: `batch.` before its type, and the batch id. */
type Forwarded<E> = E extends { readonly type: infer T extends string }
  ? { readonly [K in keyof E]: K extends 'type' ? `batch.${T}` : E[K] } & { readonly batchId: string }
  : never;

/**
 * A batch (src/engine/batch, the engine behind `dlnet batch`): the engine's events forwarded
 * unchanged, plus the report and an error the engine cannot send itself.
 */
export type BatchEvent =
  | Forwarded<BatchRunEvent>
  /** After batch.finished, when a report was asked for: where it was written, or why it was not. */
  | { readonly type: 'batch.report'; readonly batchId: string; readonly path: string; readonly error?: ApiError }
  /** The batch could not run at all (e.g. no compute backend); no batch.finished follows. */
  | { readonly type: 'batch.error'; readonly batchId: string; readonly code: string; readonly message: string };

/** Menu commands Electron's main process forwards to the UI. */
export type MenuCommand = 'open' | 'save' | 'saveAs' | 'openMask' | 'saveMask' | 'help';

export type AppEvent =
  | JobEvent
  | BatchEvent
  | { type: 'menu'; command: MenuCommand }
  | { type: 'menu.openPath'; path: string }
  | { type: 'backend'; backend: BackendInfo };
