/**
 * The one typed API between the UI (src/renderer) and the backend (src/server, used by Electron's
 * main process and by `dlnet serve`). Two transports carry it: Electron IPC (src/preload) and a
 * loopback WebSocket (src/server/ws-server.ts + src/api/wire.ts). This file holds:
 *   - every channel name, in one `as const` object (a misspelt channel does not compile);
 *   - the request map (channel → argument and result types);
 *   - the event stream (job events carry their job id; errors are `{code, message}`);
 *   - one validator per channel, used by the backend on every incoming argument.
 * It imports nothing from src except ./validate.js and the limits of src/base (docs/architecture.md §2).
 */
import {
  parseBlur,
  parseIterations,
  parseModelId,
  parseQuality,
  parseScale,
  parseTask,
  ValidationError,
  type SrScale,
  type Task,
} from './validate.js';
import { MAX_BATCH_JOBS, MAX_PIXELS, MAX_SUFFIX_LENGTH } from '../base/limits.js';

export { MAX_BATCH_JOBS, MAX_PIXELS, MAX_SUFFIX_LENGTH, ValidationError };
export type { SrScale, Task };

/** Every request channel. Values are the wire names; all start with CHANNEL_PREFIX. */
export const Channels = {
  appInfo: 'dlnet:app.info',
  imageOpen: 'dlnet:image.open',
  imageUpload: 'dlnet:image.upload',
  imageClose: 'dlnet:image.close',
  previewDegradation: 'dlnet:preview.degradation',
  maskLoad: 'dlnet:mask.load',
  maskSave: 'dlnet:mask.save',
  jobStart: 'dlnet:job.start',
  jobCancel: 'dlnet:job.cancel',
  jobResidual: 'dlnet:job.residual',
  jobSave: 'dlnet:job.save',
  dialogOpen: 'dlnet:dialog.open',
  dialogSave: 'dlnet:dialog.save',
  dialogFolder: 'dlnet:dialog.folder',
  batchPlan: 'dlnet:batch.plan',
  batchStart: 'dlnet:batch.start',
  batchPause: 'dlnet:batch.pause',
  batchResume: 'dlnet:batch.resume',
  batchCancel: 'dlnet:batch.cancel',
} as const;

export type Channel = (typeof Channels)[keyof typeof Channels];
export const CHANNEL_PREFIX = 'dlnet:';
/** The single channel events travel on (Electron: webContents.send; WebSocket: kind 'event'). */
export const EVENT_CHANNEL = 'dlnet:event';
export const ALL_CHANNELS: readonly Channel[] = Object.values(Channels);

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && (ALL_CHANNELS as readonly string[]).includes(value);
}

// ---------------------------------------------------------------------------------------------
// Limits (the backend also enforces its own; these bound what may cross the wire at all)

/** Largest uploaded file (image or mask bytes). */
export const MAX_UPLOAD_BYTES = 256 * 1024 * 1024;
/** Longest side of the previews sent to the UI (frames, input, residuals). */
export const PREVIEW_MAX_SIDE = 2048;
export const MAX_PATH_LENGTH = 4096;
export const MAX_NAME_LENGTH = 255;
export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp', 'tiff'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
/** The DL-Net defaults (docs/protocols.md §2), for the UI's form. */
export const DEFAULT_ITERATIONS = 5;
export const DEFAULT_GAMMA: Readonly<Record<Task, number>> = { sr: 1e-3, inpaint: 1e-3, interpolate: 1e-2 };

// ---------------------------------------------------------------------------------------------
// Data types

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
}

/** A mask at image resolution: 1 = pixel to fill (painted / white in a mask PNG), 0 = keep. */
export interface FillMask {
  width: number;
  height: number;
  fill: Uint8Array;
}

export type JobSettings =
  | { task: 'sr'; scale: SrScale; blur: number; iterations: number; gamma: number; modelId?: string }
  | { task: 'inpaint' | 'interpolate'; iterations: number; gamma: number; modelId?: string; mask: FillMask };

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

export interface DegradationPreview {
  /** A crop of the image as it is. */
  original: Frame;
  /** The same crop after W (blur u, ↓t) and bicubic ↑t back, i.e. what the model assumes happened. */
  degraded: Frame;
}

// ---------------------------------------------------------------------------------------------
// Batch (a folder of images through src/engine/batch, the engine behind `dlnet batch`). These
// mirror the engine's plain-data types (src/server/handlers/batch.ts checks, at compile time, that
// every engine event fits them), so events are forwarded unchanged with a batch id added.

export const BATCH_FORMATS = ['keep', 'png', 'jpeg', 'webp', 'tiff'] as const;
/** 'keep': the input's own format (PNG for BMP, GIF and AVIF inputs). */
export type BatchFormat = (typeof BATCH_FORMATS)[number];
/** Most planned files a batch.plan result lists (the counts always cover every file). */
export const MAX_PLAN_FILES = 20_000;

export interface BatchSettings {
  inputDir: string;
  outputDir: string;
  scale: SrScale;
  blur: number;
  recursive: boolean;
  format: BatchFormat;
  quality?: number;
  /** Appended to each output's base name ('' for none; required when the output is inside the input). */
  suffix: string;
  skipExisting: boolean;
  modelId?: string;
  iterations?: number;
}
export interface BatchPlanArgs {
  settings: BatchSettings;
  /** A JSON report to write at the end (checked now, so a dry run shows problems with it). */
  report?: string;
}
export interface BatchStartArgs extends BatchPlanArgs {
  /** Worker threads (default: one per core, bounded by memory). */
  jobs?: number;
}
export interface BatchRef {
  batchId: string;
}

export type BatchFileStatus = 'queued' | 'running' | 'done' | 'skipped' | 'failed' | 'cancelled';

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

export interface BatchSize {
  readonly width: number;
  readonly height: number;
}

export interface BatchFileRecord {
  readonly index: number;
  readonly rel: string;
  readonly outputRel: string;
  readonly status: BatchFileStatus;
  /** One sentence for skipped, failed and cancelled files. */
  readonly reason?: string;
  readonly code?: string;
  readonly startedMs?: number;
  readonly finishedMs?: number;
  readonly timings?: { readonly readMs: number; readonly restoreMs: number; readonly writeMs: number; readonly totalMs: number };
  readonly size?: BatchSize;
  readonly outputSize?: BatchSize;
  readonly warnings?: readonly string[];
}

export interface BatchProgress {
  readonly total: number;
  readonly done: number;
  readonly skipped: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly running: number;
  readonly queued: number;
  /** 0..1, weighted by input bytes. */
  readonly fraction: number;
  readonly elapsedMs: number;
  readonly etaMs: number | null;
  readonly imagesPerSecond: number;
  readonly paused: boolean;
}

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
  readonly wasCancelled: boolean;
  readonly seconds: number;
  readonly imagesPerSecond: number;
  readonly jobs: number;
  readonly backend?: BatchBackend;
}

/** The engine's BatchEvent with `batch.` before its type and the batch id added; plus report and error. */
export type BatchEvent =
  | {
      readonly type: 'batch.started';
      readonly batchId: string;
      readonly total: number;
      readonly toProcess: number;
      readonly jobs: number;
      readonly staleTempsRemoved: number;
    }
  | { readonly type: 'batch.backend'; readonly batchId: string; readonly backend: BatchBackend }
  | { readonly type: 'batch.file'; readonly batchId: string; readonly file: BatchFileRecord }
  | { readonly type: 'batch.file-progress'; readonly batchId: string; readonly index: number; readonly fraction: number }
  | { readonly type: 'batch.progress'; readonly batchId: string; readonly progress: BatchProgress }
  | { readonly type: 'batch.paused' | 'batch.resumed' | 'batch.cancelling'; readonly batchId: string }
  | { readonly type: 'batch.finished'; readonly batchId: string; readonly summary: BatchSummary }
  /** After batch.finished, when a report was asked for: where it was written, or why it was not. */
  | { readonly type: 'batch.report'; readonly batchId: string; readonly path: string; readonly error?: ApiError }
  /** The batch could not run at all (e.g. no compute backend); no batch.finished follows. */
  | { readonly type: 'batch.error'; readonly batchId: string; readonly code: string; readonly message: string };

// ---------------------------------------------------------------------------------------------
// Argument types

export interface OpenArgs {
  path: string;
}
export interface UploadArgs {
  name: string;
  bytes: Uint8Array;
}
export interface ImageRef {
  imageId: string;
}
export interface PreviewArgs {
  imageId: string;
  scale: SrScale;
  blur: number;
}
export type MaskLoadArgs = { imageId: string; path: string } | { imageId: string; name: string; bytes: Uint8Array };
export interface MaskSaveArgs {
  path: string;
  mask: FillMask;
}
export interface JobStartArgs {
  imageId: string;
  settings: JobSettings;
  /**
   * Super-resolution: the part to restore first, as a fraction of the image's height (the middle of
   * the view); iterates then fill in from there. Default 0 (top).
   */
  focus?: number;
}
export interface JobRef {
  jobId: string;
}
export interface JobFrameRef {
  jobId: string;
  k: number;
}
export interface JobSaveArgs {
  jobId: string;
  /** Which x̂_k to save (default: the last). */
  k?: number;
  path: string;
  format: OutputFormat;
  quality?: number;
}
export interface DialogOpenArgs {
  purpose: 'image' | 'mask';
}
export interface DialogSaveArgs {
  purpose: 'image' | 'mask';
  defaultPath: string;
}
export interface DialogFolderArgs {
  purpose: 'batch-input' | 'batch-output';
  defaultPath?: string;
}

/** The request map: channel → argument and result. */
export interface ApiRequests {
  [Channels.appInfo]: { args: Record<string, never>; result: AppInfo };
  [Channels.imageOpen]: { args: OpenArgs; result: OpenedImage };
  [Channels.imageUpload]: { args: UploadArgs; result: OpenedImage };
  [Channels.imageClose]: { args: ImageRef; result: null };
  [Channels.previewDegradation]: { args: PreviewArgs; result: DegradationPreview };
  [Channels.maskLoad]: { args: MaskLoadArgs; result: FillMask };
  [Channels.maskSave]: { args: MaskSaveArgs; result: Saved };
  [Channels.jobStart]: { args: JobStartArgs; result: JobStarted };
  [Channels.jobCancel]: { args: JobRef; result: null };
  [Channels.jobResidual]: { args: JobFrameRef; result: Residual };
  [Channels.jobSave]: { args: JobSaveArgs; result: Saved };
  /** Native dialogs: Electron only (the browser shell answers with code 'unsupported'). */
  [Channels.dialogOpen]: { args: DialogOpenArgs; result: { path: string | null } };
  [Channels.dialogSave]: { args: DialogSaveArgs; result: { path: string | null } };
  [Channels.dialogFolder]: { args: DialogFolderArgs; result: { path: string | null } };
  /** A dry run: what a batch with these settings would do. Writes nothing. */
  [Channels.batchPlan]: { args: BatchPlanArgs; result: BatchPlanView };
  /** Plans again (the server never trusts an earlier plan) and starts; progress arrives as batch.* events. */
  [Channels.batchStart]: { args: BatchStartArgs; result: BatchStarted };
  [Channels.batchPause]: { args: BatchRef; result: null };
  [Channels.batchResume]: { args: BatchRef; result: null };
  [Channels.batchCancel]: { args: BatchRef; result: null };
}

export type ArgsOf<C extends Channel> = ApiRequests[C]['args'];
export type ResultOf<C extends Channel> = ApiRequests[C]['result'];

// ---------------------------------------------------------------------------------------------
// Events

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
  | { type: 'job.done'; jobId: string; K: number; likelihoods: number[]; seconds: number; frame: Frame }
  | { type: 'job.error'; jobId: string; code: string; message: string }
  | { type: 'job.cancelled'; jobId: string };

/** Menu commands Electron's main process forwards to the UI. */
export type MenuCommand = 'open' | 'save' | 'saveAs' | 'openMask' | 'saveMask' | 'help';
export type AppEvent =
  | JobEvent
  | BatchEvent
  | { type: 'menu'; command: MenuCommand }
  | { type: 'menu.openPath'; path: string }
  | { type: 'backend'; backend: BackendInfo };

// ---------------------------------------------------------------------------------------------
// Errors and responses

/** The one error envelope: a code for programs, one sentence for people. */
export interface ApiError {
  code: string;
  message: string;
}
export type ApiResponse<T> = { ok: true; result: T } | { ok: false; error: ApiError };

/** Thrown by clients when a request fails; carries the envelope's code. */
export class ApiRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiRequestError';
  }
}

/** What the preload exposes as `window.dlnet`; derived from the request map, never hand-written. */
export interface DlnetBridge {
  invoke<C extends Channel>(channel: C, args: ArgsOf<C>): Promise<ApiResponse<ResultOf<C>>>;
  /** Subscribes to every event; returns the unsubscribe function. */
  onEvent(listener: (event: AppEvent) => void): () => void;
}

// ---------------------------------------------------------------------------------------------
// Validators: every argument that arrives at the backend goes through one of these.

type Raw = Record<string, unknown>;

function fail(message: string, field: string): never {
  throw new ValidationError(message, field);
}

/** A plain object with exactly the allowed keys (unknown keys are refused, never ignored). */
function object(value: unknown, label: string, required: readonly string[], optional: readonly string[] = []): Raw {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) {
    fail(`${label} must be an object.`, label);
  }
  const raw = value as Raw;
  for (const key of Object.keys(raw)) {
    if (!required.includes(key) && !optional.includes(key)) fail(`${label} has an unknown field "${key.slice(0, 40)}".`, label);
  }
  for (const key of required) {
    if (raw[key] === undefined) fail(`${label} is missing "${key}".`, label);
  }
  return raw;
}

function text(value: unknown, label: string, max: number): string {
  if (typeof value !== 'string') fail(`${label} must be text, not ${describe(value)}.`, label);
  if (value.length === 0) fail(`${label} must not be empty.`, label);
  if (value.length > max) fail(`${label} is too long (${value.length} characters; at most ${max}).`, label);
  if (value.includes('\0')) fail(`${label} must not contain a NUL character.`, label);
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'string') return `"${value.slice(0, 40)}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value).slice(0, 40)}`;
}

/** A file path: text, no NUL, bounded; absolute (the backend resolves nothing relative to its cwd). */
export function parsePath(value: unknown, label = 'Path'): string {
  const p = text(value, label, MAX_PATH_LENGTH);
  const absolute = p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
  if (!absolute) fail(`${label} must be an absolute path, not "${p.slice(0, 80)}".`, label);
  return p;
}

/** A file name for display (uploads): no folders. */
export function parseFileName(value: unknown, label = 'File name'): string {
  const name = text(value, label, MAX_NAME_LENGTH);
  if (/[\\/]/.test(name)) fail(`${label} must be a file name without folders.`, label);
  return name;
}

function id(value: unknown, label: string): string {
  if (typeof value !== 'string' || !/^[a-z]+-[0-9a-z]{1,32}$/.test(value)) fail(`${label} is not a valid id.`, label);
  return value;
}

function bytes(value: unknown, label: string, max = MAX_UPLOAD_BYTES): Uint8Array {
  if (!(value instanceof Uint8Array)) fail(`${label} must be bytes, not ${describe(value)}.`, label);
  if (value.length === 0) fail(`${label} is empty (zero bytes).`, label);
  if (value.length > max) fail(`${label} is too large (${mib(value.length)}; at most ${mib(max)}).`, label);
  return value;
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MiB`;
}

function dimension(value: unknown, label: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1_000_000) {
    fail(`${label} must be a whole number of pixels from 1 to 1000000, not ${describe(value)}.`, label);
  }
  return value;
}

function gamma(value: unknown, label = 'Step size γ'): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value >= 1) {
    fail(`${label} must be a number between 0 and 1, not ${describe(value)}.`, label);
  }
  return value;
}

function parseFocus(value: unknown, label: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) fail(`${label} must be a fraction from 0 to 1.`, label);
  return value;
}

function number(value: unknown, parse: (v: unknown, label: string) => number, label: string): number {
  if (typeof value !== 'number') fail(`${label} must be a number, not ${describe(value)}.`, label);
  return parse(value, label);
}

export function parseFillMask(value: unknown, label = 'Mask'): FillMask {
  const raw = object(value, label, ['width', 'height', 'fill']);
  const width = dimension(raw.width, `${label} width`);
  const height = dimension(raw.height, `${label} height`);
  if (width * height > MAX_PIXELS)
    fail(`${label} is too large (${width} × ${height}; at most ${MAX_PIXELS / 1e6} megapixels).`, label);
  const fill = bytes(raw.fill, `${label} data`, MAX_PIXELS);
  if (fill.length !== width * height) {
    fail(`${label} data has ${fill.length} values but ${width} × ${height} needs ${width * height}.`, label);
  }
  for (let i = 0; i < fill.length; i++) {
    if (fill[i] > 1) fail(`${label} data must hold only 0 (keep) and 1 (fill).`, label);
  }
  return { width, height, fill };
}

function parseJobSettings(value: unknown): JobSettings {
  const probe = object(value, 'Settings', ['task'], ['scale', 'blur', 'iterations', 'gamma', 'modelId', 'mask']);
  const task = parseTask(probe.task, 'Task');
  const common = (raw: Raw) => ({
    iterations: number(raw.iterations, parseIterations, 'Iterations K'),
    gamma: gamma(raw.gamma),
    ...(raw.modelId !== undefined ? { modelId: parseModelId(raw.modelId, 'Model') } : {}),
  });
  if (task === 'sr') {
    const raw = object(value, 'Settings', ['task', 'scale', 'blur', 'iterations', 'gamma'], ['modelId']);
    return {
      task,
      scale: number(raw.scale, parseScale, 'Scale') as SrScale,
      blur: number(raw.blur, parseBlur, 'Blur u'),
      ...common(raw),
    };
  }
  const raw = object(value, 'Settings', ['task', 'iterations', 'gamma', 'mask'], ['modelId']);
  return { task, mask: parseFillMask(raw.mask), ...common(raw) };
}

function parseFormat(value: unknown, label = 'Format'): OutputFormat {
  if (typeof value === 'string' && (OUTPUT_FORMATS as readonly string[]).includes(value)) return value as OutputFormat;
  fail(`${label} must be png, jpeg, webp or tiff, not ${describe(value)}.`, label);
}

function purpose(value: unknown): 'image' | 'mask' {
  if (value === 'image' || value === 'mask') return value;
  fail(`Purpose must be "image" or "mask", not ${describe(value)}.`, 'Purpose');
}

function flag(value: unknown, label: string): boolean {
  if (typeof value !== 'boolean') fail(`${label} must be true or false, not ${describe(value)}.`, label);
  return value;
}

function batchFormat(value: unknown): BatchFormat {
  if (typeof value === 'string' && (BATCH_FORMATS as readonly string[]).includes(value)) return value as BatchFormat;
  fail(`Format must be keep, png, jpeg, webp or tiff, not ${describe(value)}.`, 'Format');
}

/** A suffix for output names: may be empty; no folder separators, reserved or control characters. */
export function parseSuffix(value: unknown, label = 'Suffix'): string {
  if (typeof value !== 'string') fail(`${label} must be text, not ${describe(value)}.`, label);
  if (value.length > MAX_SUFFIX_LENGTH) fail(`${label} must be at most ${MAX_SUFFIX_LENGTH} characters long.`, label);
  // eslint-disable-next-line no-control-regex
  if (/[/\\:*?"<>|\u0000-\u001f\u007f]/.test(value)) {
    fail(
      `${label} "${value.slice(0, 40)}" contains a character that is not allowed in file names (/ \\ : * ? " < > | or a control character).`,
      label,
    );
  }
  if (value.trim() !== value) fail(`${label} must not start or end with a space.`, label);
  return value;
}

function jobs(value: unknown, label = 'Jobs'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_BATCH_JOBS) {
    fail(`${label} must be a whole number from 1 to ${MAX_BATCH_JOBS}, not ${describe(value)}.`, label);
  }
  return value;
}

const SETTINGS_REQUIRED = ['inputDir', 'outputDir', 'scale', 'blur', 'recursive', 'format', 'suffix', 'skipExisting'] as const;

export function parseBatchSettings(value: unknown): BatchSettings {
  const raw = object(value, 'Batch settings', SETTINGS_REQUIRED, ['quality', 'modelId', 'iterations']);
  return {
    inputDir: parsePath(raw.inputDir, 'Input folder'),
    outputDir: parsePath(raw.outputDir, 'Output folder'),
    scale: number(raw.scale, parseScale, 'Scale') as SrScale,
    blur: number(raw.blur, parseBlur, 'Blur u'),
    recursive: flag(raw.recursive, 'Recursive'),
    format: batchFormat(raw.format),
    suffix: parseSuffix(raw.suffix),
    skipExisting: flag(raw.skipExisting, 'Skip existing'),
    ...(raw.quality !== undefined ? { quality: number(raw.quality, parseQuality, 'Quality') } : {}),
    ...(raw.modelId !== undefined ? { modelId: parseModelId(raw.modelId, 'Model') } : {}),
    ...(raw.iterations !== undefined ? { iterations: number(raw.iterations, parseIterations, 'Iterations K') } : {}),
  };
}

function batchPlanArgs(raw: unknown, optional: readonly string[] = []): BatchStartArgs {
  const r = object(raw, 'Arguments', ['settings'], ['report', ...optional]);
  return {
    settings: parseBatchSettings(r.settings),
    ...(r.report !== undefined ? { report: parsePath(r.report, 'Report file') } : {}),
    ...(r.jobs !== undefined ? { jobs: jobs(r.jobs) } : {}),
  };
}

const batchRef = (raw: unknown): BatchRef => ({ batchId: id(object(raw, 'Arguments', ['batchId']).batchId, 'Batch id') });

type Validators = { [C in Channel]: (raw: unknown) => ArgsOf<C> };

export const validators: Validators = {
  [Channels.appInfo]: (raw) => {
    object(raw ?? {}, 'Arguments', []);
    return {};
  },
  [Channels.imageOpen]: (raw) => ({ path: parsePath(object(raw, 'Arguments', ['path']).path) }),
  [Channels.imageUpload]: (raw) => {
    const r = object(raw, 'Arguments', ['name', 'bytes']);
    return { name: parseFileName(r.name), bytes: bytes(r.bytes, 'The file') };
  },
  [Channels.imageClose]: (raw) => ({ imageId: id(object(raw, 'Arguments', ['imageId']).imageId, 'Image id') }),
  [Channels.previewDegradation]: (raw) => {
    const r = object(raw, 'Arguments', ['imageId', 'scale', 'blur']);
    return {
      imageId: id(r.imageId, 'Image id'),
      scale: number(r.scale, parseScale, 'Scale') as SrScale,
      blur: number(r.blur, parseBlur, 'Blur u'),
    };
  },
  [Channels.maskLoad]: (raw) => {
    const probe = object(raw, 'Arguments', ['imageId'], ['path', 'name', 'bytes']);
    const imageId = id(probe.imageId, 'Image id');
    if (probe.path !== undefined) {
      return { imageId, path: parsePath(object(raw, 'Arguments', ['imageId', 'path']).path, 'Mask path') };
    }
    const r = object(raw, 'Arguments', ['imageId', 'name', 'bytes']);
    return { imageId, name: parseFileName(r.name), bytes: bytes(r.bytes, 'The mask file') };
  },
  [Channels.maskSave]: (raw) => {
    const r = object(raw, 'Arguments', ['path', 'mask']);
    return { path: parsePath(r.path, 'Mask path'), mask: parseFillMask(r.mask) };
  },
  [Channels.jobStart]: (raw) => {
    const r = object(raw, 'Arguments', ['imageId', 'settings'], ['focus']);
    return {
      imageId: id(r.imageId, 'Image id'),
      settings: parseJobSettings(r.settings),
      ...(r.focus !== undefined ? { focus: number(r.focus, parseFocus, 'Focus') } : {}),
    };
  },
  [Channels.jobCancel]: (raw) => ({ jobId: id(object(raw, 'Arguments', ['jobId']).jobId, 'Job id') }),
  [Channels.jobResidual]: (raw) => {
    const r = object(raw, 'Arguments', ['jobId', 'k']);
    return { jobId: id(r.jobId, 'Job id'), k: number(r.k, parseIterations, 'Iteration k') };
  },
  [Channels.jobSave]: (raw) => {
    const r = object(raw, 'Arguments', ['jobId', 'path', 'format'], ['k', 'quality']);
    return {
      jobId: id(r.jobId, 'Job id'),
      path: parsePath(r.path, 'Output path'),
      format: parseFormat(r.format),
      ...(r.k !== undefined ? { k: number(r.k, parseIterations, 'Iteration k') } : {}),
      ...(r.quality !== undefined ? { quality: number(r.quality, parseQuality, 'Quality') } : {}),
    };
  },
  [Channels.dialogOpen]: (raw) => ({ purpose: purpose(object(raw, 'Arguments', ['purpose']).purpose) }),
  [Channels.dialogSave]: (raw) => {
    const r = object(raw, 'Arguments', ['purpose', 'defaultPath']);
    return { purpose: purpose(r.purpose), defaultPath: parsePath(r.defaultPath, 'Default path') };
  },
  [Channels.dialogFolder]: (raw) => {
    const r = object(raw, 'Arguments', ['purpose'], ['defaultPath']);
    if (r.purpose !== 'batch-input' && r.purpose !== 'batch-output') {
      fail(`Purpose must be "batch-input" or "batch-output", not ${describe(r.purpose)}.`, 'Purpose');
    }
    return {
      purpose: r.purpose,
      ...(r.defaultPath !== undefined ? { defaultPath: parsePath(r.defaultPath, 'Default path') } : {}),
    };
  },
  [Channels.batchPlan]: (raw) => batchPlanArgs(raw),
  [Channels.batchStart]: (raw) => batchPlanArgs(raw, ['jobs']),
  [Channels.batchPause]: batchRef,
  [Channels.batchResume]: batchRef,
  [Channels.batchCancel]: batchRef,
};

/** Validates a request's channel and arguments; throws ValidationError with one sentence. */
export function validateRequest<C extends Channel>(channel: unknown, args: unknown): { channel: C; args: ArgsOf<C> } {
  if (!isChannel(channel)) fail(`Unknown request "${String(channel).slice(0, 60)}".`, 'channel');
  return { channel: channel as C, args: (validators[channel] as (raw: unknown) => ArgsOf<C>)(args) };
}

/** File extension for each output format. */
export const FORMAT_EXTENSIONS: Readonly<Record<OutputFormat, string>> = {
  png: '.png',
  jpeg: '.jpg',
  webp: '.webp',
  tiff: '.tif',
};
