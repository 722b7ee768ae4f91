/**
 * What a batch run reports, declared once: the engine (src/engine/batch) emits these records and
 * events, the API (src/api) forwards them to the UI unchanged with a batch id added, and the report
 * file keeps them. Plain data only, so every value here can cross a worker, IPC or WebSocket
 * boundary as JSON.
 */

import type { Recipe } from './recipe.js';

export type BatchFileStatus = 'queued' | 'running' | 'done' | 'skipped' | 'failed' | 'cancelled';

export interface BatchFileTimings {
  /** Reading and decoding the input. */
  readonly readMs: number;
  /** The restoration itself. */
  readonly restoreMs: number;
  /** Encoding and the atomic write. */
  readonly writeMs: number;
  /** Start to finish in the worker. */
  readonly totalMs: number;
}

/** A picture's size in pixels (upright). */
export interface BatchSize {
  readonly width: number;
  readonly height: number;
}

/** The state of one file; sent in 'file' events whenever its status changes, and kept in the report. */
export interface BatchFileRecord {
  /** Position in the plan (stable id of the file in events and the report). */
  readonly index: number;
  /** Input path relative to the input folder. */
  readonly rel: string;
  /** Output path relative to the output folder ('' when there is none). */
  readonly outputRel: string;
  readonly status: BatchFileStatus;
  /** One sentence for 'skipped', 'failed' and 'cancelled'. */
  readonly reason?: string;
  readonly code?: string;
  /** Milliseconds since the batch started, when the file started / finished. */
  readonly startedMs?: number;
  readonly finishedMs?: number;
  readonly timings?: BatchFileTimings;
  readonly size?: BatchSize;
  readonly outputSize?: BatchSize;
  /** Things the user may want to know about the output (e.g. alpha flattened for JPEG), one sentence each. */
  readonly warnings?: readonly string[];
  /** L(z_k) of the whole image, k = 1..K, when the model is a DL-Net. */
  readonly likelihoods?: readonly number[];
  /** What made the output (also inside it, as XMP). */
  readonly recipe?: Recipe;
}

export interface BatchProgress {
  readonly total: number;
  readonly done: number;
  readonly skipped: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly running: number;
  readonly queued: number;
  /** 0..1, weighted by input bytes, counting the running files' own progress. */
  readonly fraction: number;
  /** Active time so far (time spent paused with nothing running is left out). */
  readonly elapsedMs: number;
  /** Estimated time to finish, or null before the first file has made progress. */
  readonly etaMs: number | null;
  /** Finished (done) images per second of active time. */
  readonly imagesPerSecond: number;
  readonly paused: boolean;
}

/** The compute backend the batch's workers run on, and the faster ones that could not start. */
export interface BatchBackend {
  readonly name: string;
  readonly details?: string;
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
}

export interface BatchSummary {
  readonly total: number;
  readonly done: number;
  readonly skipped: number;
  readonly failed: number;
  readonly cancelled: number;
  /** True when the run was cancelled before every file was handled. */
  readonly wasCancelled: boolean;
  /** Wall time of the run in seconds (start of the workers to the end). */
  readonly seconds: number;
  /** done / seconds. */
  readonly imagesPerSecond: number;
  readonly jobs: number;
  readonly backend?: BatchBackend;
}

/** What a running batch tells its caller, in order: started, backend, then file / progress events, finished. */
export type BatchRunEvent =
  | {
      readonly type: 'started';
      readonly total: number;
      readonly toProcess: number;
      readonly jobs: number;
      readonly staleTempsRemoved: number;
    }
  | { readonly type: 'backend'; readonly backend: BatchBackend }
  | { readonly type: 'file'; readonly file: BatchFileRecord }
  | { readonly type: 'file-progress'; readonly index: number; readonly fraction: number }
  | { readonly type: 'progress'; readonly progress: BatchProgress }
  | { readonly type: 'paused' }
  | { readonly type: 'resumed' }
  | { readonly type: 'cancelling' }
  | { readonly type: 'finished'; readonly summary: BatchSummary };
