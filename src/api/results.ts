/**
 * What requests answer with. The backend builds these (nothing parses them), so they are plain
 * types; the records of a batch run are declared once in src/base and re-exported here.
 */
import type { Task } from './validate.js';
import type { OutputFormat } from './limits.js';
import type { Recipe } from '../base/recipe.js';
import type { BatchOptions } from './schemas.js';

export type { Recipe };

export type {
  BatchBackend,
  BatchFileRecord,
  BatchFileStatus,
  BatchFileTimings,
  BatchProgress,
  BatchSize,
  BatchSummary,
} from '../base/batch.js';

/** An 8-bit RGBA picture for display (never used for computation). */
export interface Frame {
  width: number;
  height: number;
  /** width × height × 4 bytes, row-major RGBA. */
  rgba: Uint8Array;
}

export interface ModelSummary {
  id: string;
  name: string;
  task: Task;
  scale?: number;
  dlnet: boolean;
  shipped: boolean;
}

export interface BackendInfo {
  /** 'wasm', 'onnxruntime', 'tensorflow', 'tensorflow-gpu', or 'starting' before the worker reported. */
  name: string;
  details?: string;
  skipped: { name: string; reason: string }[];
}

export interface AppInfo {
  version: string;
  /** 'electron' (native dialogs and menus) or 'browser' (`dlnet serve`). */
  shell: 'electron' | 'browser';
  backend: BackendInfo;
  models: ModelSummary[];
  /** Where outputs of uploaded images go by default (serve: its working folder). */
  workspace: string;
}

export interface OpenedImage {
  imageId: string;
  name: string;
  /** The file it was read from, when opened by path (uploads have none). */
  path?: string;
  width: number;
  height: number;
  channels: number;
  bitDepth: 8 | 16;
  format: string;
  /** Mask of fully transparent pixels (1 = fill), when the image has alpha and some are transparent. */
  hasTransparency: boolean;
  /** Suggested output path (never the input, never an existing file). */
  suggestedOutput: string;
  preview: Frame;
  /** What made the image, when it is an output of this app (its XMP recipe). */
  recipe?: Recipe;
}

export interface JobStarted {
  jobId: string;
  /** Output size. */
  width: number;
  height: number;
}

export interface Residual {
  frame: Frame;
  /** Mean absolute residual over the observed entries (0..1 scale). */
  mean: number;
  /** The residual that maps to the hottest colour. */
  max: number;
}

export interface Saved {
  path: string;
  bytes: number;
  format: OutputFormat;
  warnings: string[];
}

/** A blur suggestion (engine/suggest-blur.ts): u, and the blur estimator's posterior it was read from. */
export interface BlurSuggestionView {
  /** The suggested u; 0 = bicubic downscaling. */
  blur: number;
  /** Posterior probability of each Gaussian u of the estimator's grid, in order of u. */
  curve: { u: number; probability: number }[];
  /** Posterior probability of bicubic downscaling (u = 0). */
  bicubicProbability: number;
  /** The crops it rated, in image pixels. */
  crops: { x: number; y: number; width: number; height: number }[];
}

/** Lab mode: a clean image degraded as W does, opened as an image of its own. */
export interface LabDegraded {
  image: OpenedImage;
  /** Inpainting and interpolation: the mask that was applied (1 = missing), for the restoration. */
  fill?: Uint8Array;
}

/** PSNR and SSIM of x̂_k against the clean original (lab mode). */
export interface IterationMetrics {
  k: number;
  /** dB; super-resolution: luma, t pixels shaved (docs/protocols.md §5.1); masked tasks: every colour channel. */
  psnr: number;
  /** SSIM of the same plane(s) (Gaussian window σ = 1.5, K1 = 0.01, K2 = 0.03). */
  ssim: number;
}

export interface DegradationPreview {
  /** A crop of the image as it is. */
  original: Frame;
  /** The same crop after W (blur u, ↓t) and bicubic ↑t back, i.e. what the model assumes happened. */
  degraded: Frame;
}

export interface BatchPlannedFile {
  readonly index: number;
  readonly rel: string;
  readonly outputRel: string;
  readonly action: 'process' | 'skip' | 'fail';
  readonly reason?: string;
  readonly code?: string;
  readonly bytes: number;
}

export interface BatchPlanView {
  /** The folders as the server resolved them. */
  inputDir: string;
  outputDir: string;
  modelId: string;
  total: number;
  counts: { process: number; skip: number; fail: number };
  /** In plan order; at most MAX_PLAN_FILES (see `truncated`). */
  files: BatchPlannedFile[];
  truncated: boolean;
  subfoldersNotIncluded: number;
  hiddenIgnored: number;
  /** Worker threads a start without `jobs` would use. */
  defaultJobs: number;
}

export interface BatchStarted {
  batchId: string;
  plan: BatchPlanView;
}

/**
 * What the UI keeps between sessions, as read back: each field its schema in ./schemas.ts accepts
 * (a stale or hand-edited one is left out, and the form shows its default for it).
 */
export interface UiSettings {
  /** The batch panel's last-used options ({} when none are remembered). */
  batch: BatchOptions;
}
