/**
 * Types of the batch engine: what a caller asks for (BatchOptions), what planning decides
 * (BatchPlan, PlannedFile), what a run reports (BatchEvent, FileRecord, BatchProgress) and how it
 * ends (BatchResult). Plain data only, so every value here can cross a worker, IPC or WebSocket
 * boundary as JSON.
 */
import type { OutputFormat } from '../image-io.js';

/** Output format: the input's own (PNG for inputs no encoder here writes: BMP, GIF, AVIF/HEIF) or a fixed one. */
export type BatchFormat = 'keep' | OutputFormat;

export const BATCH_FORMATS: readonly BatchFormat[] = ['keep', 'png', 'jpeg', 'webp', 'tiff'];

/** What to do to every image. Only super-resolution for now; the union leaves room for more. */
export interface BatchSrRequest {
  readonly task: 'sr';
  readonly scale: 2 | 3 | 4;
  /** Blur width u of the degradation, 0..3. */
  readonly blur: number;
  readonly modelId?: string;
  readonly iterations?: number;
}
export type BatchRequest = BatchSrRequest;

export interface BatchOptions {
  readonly inputDir: string;
  readonly outputDir: string;
  readonly request: BatchRequest;
  /** Walk subfolders too (default false). The output keeps the folder structure. */
  readonly recursive?: boolean;
  readonly format?: BatchFormat;
  /** JPEG / WebP quality 1–100 (default: image-io's, 92). */
  readonly quality?: number;
  /** Appended to each output's base name, before the extension (default ''). */
  readonly suffix?: string;
  /** An output that already exists is skipped instead of failing (default false). Resumes a batch. */
  readonly skipExisting?: boolean;
}

/** BatchOptions with every default filled in and the folders made absolute. */
export interface ResolvedBatchOptions {
  readonly inputDir: string;
  readonly outputDir: string;
  readonly request: BatchRequest;
  readonly recursive: boolean;
  readonly format: BatchFormat;
  readonly quality?: number;
  readonly suffix: string;
  readonly skipExisting: boolean;
}

export type PlannedAction = 'process' | 'skip' | 'fail';

export interface PlannedFile {
  /** Position in the plan (stable id of the file in events and the report). */
  readonly index: number;
  /** Absolute path of the input. */
  readonly input: string;
  /** Input path relative to the input folder (what messages show). */
  readonly rel: string;
  /** Absolute path of the output ('' when there is none, e.g. an unreadable folder). */
  readonly output: string;
  /** Output path relative to the output folder ('' when there is none). */
  readonly outputRel: string;
  readonly format?: OutputFormat;
  /** Size of the input in bytes (weights progress and ETA). */
  readonly bytes: number;
  readonly action: PlannedAction;
  /** One sentence, for 'skip' and 'fail'. */
  readonly reason?: string;
  /** Machine-readable reason: 'exists', 'not-image', 'collision', 'is-output', 'unreadable-folder', ... */
  readonly code?: string;
}

export interface BatchPlan {
  readonly options: ResolvedBatchOptions;
  /** The model every file will use (checked at planning, before any work). */
  readonly modelId: string;
  readonly files: readonly PlannedFile[];
  /** Subfolders left out because the batch is not recursive. */
  readonly subfoldersNotIncluded: number;
  /** Hidden files (names starting with '.') that were ignored, temporaries of earlier runs included. */
  readonly hiddenIgnored: number;
}

export type FileStatus = 'queued' | 'running' | 'done' | 'skipped' | 'failed' | 'cancelled';

export interface FileTimings {
  /** Reading and decoding the input. */
  readonly readMs: number;
  /** The restoration itself. */
  readonly restoreMs: number;
  /** Encoding and the atomic write. */
  readonly writeMs: number;
  /** Start to finish in the worker. */
  readonly totalMs: number;
}

/** The state of one file; sent in 'file' events whenever its status changes, and kept in the report. */
export interface FileRecord {
  readonly index: number;
  readonly rel: string;
  readonly outputRel: string;
  readonly status: FileStatus;
  /** One sentence for 'skipped', 'failed' and 'cancelled'. */
  readonly reason?: string;
  readonly code?: string;
  /** Milliseconds since the batch started, when the file started / finished. */
  readonly startedMs?: number;
  readonly finishedMs?: number;
  readonly timings?: FileTimings;
  /** Input and output sizes in pixels (upright). */
  readonly size?: { readonly width: number; readonly height: number };
  readonly outputSize?: { readonly width: number; readonly height: number };
  /** Things the user may want to know about the output (e.g. alpha flattened for JPEG), one sentence each. */
  readonly warnings?: readonly string[];
  /** L(z_k) of the whole image, k = 1..K, when the model is a DL-Net. */
  readonly likelihoods?: readonly number[];
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

export interface BackendInfo {
  readonly name: string;
  readonly details?: string;
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
}

export type BatchEvent =
  | {
      readonly type: 'started';
      readonly total: number;
      readonly toProcess: number;
      readonly jobs: number;
      readonly staleTempsRemoved: number;
    }
  | { readonly type: 'backend'; readonly backend: BackendInfo }
  | { readonly type: 'file'; readonly file: FileRecord }
  | { readonly type: 'file-progress'; readonly index: number; readonly fraction: number }
  | { readonly type: 'progress'; readonly progress: BatchProgress }
  | { readonly type: 'paused' }
  | { readonly type: 'resumed' }
  | { readonly type: 'cancelling' }
  | { readonly type: 'finished'; readonly summary: BatchSummary };

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
  readonly backend?: BackendInfo;
}

export interface BatchResult {
  readonly summary: BatchSummary;
  /** Final record of every planned file, in plan order. */
  readonly files: readonly FileRecord[];
}
