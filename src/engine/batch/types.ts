/**
 * Types of the batch engine: what a caller asks for (BatchOptions), what planning decides
 * (BatchPlan, PlannedFile), what a run reports (BatchEvent, FileRecord, BatchProgress) and how it
 * ends (BatchResult). Plain data only, so every value here can cross a worker, IPC or WebSocket
 * boundary as JSON.
 */
import type {
  BatchBackend,
  BatchFileRecord,
  BatchFileStatus,
  BatchFileTimings,
  BatchProgress,
  BatchRunEvent,
  BatchSummary,
} from '../../base/batch.js';
import { BATCH_FORMATS, type BatchFormat, type OutputFormat } from '../../base/formats.js';
import type { OutputSizeRequest } from '../../base/output-size.js';

/** Output format: the input's own (PNG for inputs no encoder here writes: BMP, GIF, AVIF/HEIF) or a fixed one. */
export { BATCH_FORMATS, type BatchFormat };

// What a run reports is declared in src/base (the API forwards it unchanged); these are its names here.
export type { BatchProgress, BatchSummary };
export type FileStatus = BatchFileStatus;
export type FileTimings = BatchFileTimings;
export type FileRecord = BatchFileRecord;
export type BackendInfo = BatchBackend;
export type BatchEvent = BatchRunEvent;

/** What to do to every image. Only super-resolution for now; the union leaves room for more. */
export interface BatchSrRequest {
  readonly task: 'sr';
  /** The model scale; with `output` a width or height, each file's own (planned from its size) instead. */
  readonly scale: 2 | 3 | 4;
  /**
   * Any output size (src/base/output-size.ts): a factor, a width or a height; the smallest model scale
   * that reaches it runs, then Lanczos-3 down. Absent: the model scale as is.
   */
  readonly output?: OutputSizeRequest;
  /** Blur width u of the degradation, 0..3, or 'auto': suggested from each photo (engine/suggest-blur.ts). */
  readonly blur: number | 'auto';
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

export interface BatchResult {
  readonly summary: BatchSummary;
  /** Final record of every planned file, in plan order. */
  readonly files: readonly FileRecord[];
}
