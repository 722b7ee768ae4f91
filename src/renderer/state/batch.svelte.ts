/**
 * The batch panel's state: the options form, the dry-run plan, the live queue (one record per file,
 * updated from batch.* events), overall progress and the summary. Its methods are the only place
 * the panel talks to the backend. The form's options but the input folder and the report are
 * remembered (settings.set) each time the backend accepts a dry run or a start, and come back
 * (settings.get) the first time the panel opens after the app starts or the page loads.
 */
import { DEFAULT_QUALITY, MAX_BATCH_JOBS } from '../../base/limits.js';
import {
  ApiRequestError,
  Channels,
  type AppEvent,
  type BatchBackend,
  type BatchEvent,
  type BatchFileRecord,
  type BatchFileStatus,
  type BatchFormat,
  type BatchOptions,
  type BatchPlanView,
  type BatchProgress,
  type BatchSettings,
  type BatchStartArgs,
  type BatchSummary,
  type SrScale,
} from '../../api/api.js';
import type { ApiClient } from '../lib/client.js';

export type BatchStatus =
  'idle' | 'planning' | 'planned' | 'starting' | 'running' | 'paused' | 'cancelling' | 'finished' | 'error';
export type QueueFilter = 'all' | BatchFileStatus;

export function isBatchEvent(event: AppEvent): event is BatchEvent {
  return event.type.startsWith('batch.');
}

function message(error: unknown): string {
  if (error instanceof ApiRequestError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** An optional number field as text: '' when left empty (a cleared number input binds null). */
function optional(value: string | number | null | undefined): string {
  return value === null || value === undefined ? '' : String(value).trim();
}

const PLANNED_STATUS = { process: 'queued', skip: 'skipped', fail: 'failed' } as const;

export class BatchState {
  // The form (strings where the field may be left empty).
  inputDir = $state('');
  outputDir = $state('');
  scale: SrScale = $state(2);
  /** Any output size: 'model' = ×scale as is; a factor, width or height (sizeValue) otherwise. */
  sizeMode: 'model' | 'scale' | 'width' | 'height' = $state('model');
  sizeValue = $state(1.5);
  blur = $state(0);
  /** 'fixed': the slider's u for every photo; 'auto': each photo's u suggested from it by the engine before it is upscaled. */
  blurMode: 'fixed' | 'auto' = $state('fixed');
  recursive = $state(false);
  format: BatchFormat = $state('keep');
  quality = $state(DEFAULT_QUALITY);
  suffix = $state('');
  jobs = $state('');
  skipExisting = $state(false);
  report = $state('');
  iterations = $state('');

  status: BatchStatus = $state('idle');
  error: string | null = $state(null);
  plan: BatchPlanView | null = $state.raw(null);
  /** The form as it was when `plan` was made (a changed form makes the preview stale). */
  #planKey = $state('');
  batchId: string | null = $state(null);
  progress: BatchProgress | null = $state.raw(null);
  summary: BatchSummary | null = $state.raw(null);
  backend: BatchBackend | null = $state.raw(null);
  workers = $state(0);
  staleTempsRemoved = $state(0);
  reportResult: { path: string; error?: string } | null = $state.raw(null);
  filter: QueueFilter = $state('all');
  /** Bumped whenever a record or a file's progress changes (the records themselves are not proxied). */
  version = $state(0);
  #records: BatchFileRecord[] = [];
  #fileProgress = new Map<number, number>();
  /** Events that arrive while batch.start is still being answered (the id is not known yet). */
  #early: BatchEvent[] | null = null;
  /** The remembered options have been asked for (once per page load). */
  #restoring: Promise<void> | null = null;
  readonly #client: () => ApiClient | null;

  constructor(client: () => ApiClient | null) {
    this.#client = client;
  }

  get busy(): boolean {
    return this.status === 'starting' || this.status === 'running' || this.status === 'paused' || this.status === 'cancelling';
  }

  get canStart(): boolean {
    return (
      this.#client() !== null &&
      !this.busy &&
      this.status !== 'planning' &&
      this.inputDir.trim() !== '' &&
      this.outputDir.trim() !== ''
    );
  }

  get planStale(): boolean {
    return this.plan !== null && this.#planKey !== this.#key();
  }

  /** The scale and output size: a factor runs the smallest model scale that reaches it; a width or height, each file's own. */
  #size(): Pick<BatchSettings, 'scale' | 'output'> {
    const n = Number(this.sizeValue);
    if (this.sizeMode === 'scale') return { scale: n <= 2 ? 2 : n <= 3 ? 3 : 4, output: { scale: n } };
    if (this.sizeMode === 'width') return { scale: this.scale, output: { width: n } };
    if (this.sizeMode === 'height') return { scale: this.scale, output: { height: n } };
    return { scale: this.scale };
  }

  settings(): BatchSettings {
    const quality = this.format === 'png' || this.format === 'tiff' ? undefined : Number(this.quality);
    const iterations = optional(this.iterations);
    return {
      inputDir: this.inputDir.trim(),
      outputDir: this.outputDir.trim(),
      ...this.#size(),
      blur: this.blurMode === 'auto' ? 'auto' : Number(this.blur),
      recursive: this.recursive,
      format: this.format,
      suffix: this.suffix,
      skipExisting: this.skipExisting,
      ...(quality !== undefined ? { quality } : {}),
      ...(iterations !== '' ? { iterations: Number(iterations) } : {}),
    };
  }

  #args(): BatchStartArgs {
    const report = this.report.trim();
    const jobs = optional(this.jobs);
    return { settings: this.settings(), ...(report !== '' ? { report } : {}), ...(jobs !== '' ? { jobs: Number(jobs) } : {}) };
  }

  #key(): string {
    const { jobs: _jobs, ...rest } = this.#args();
    return JSON.stringify(rest);
  }

  /**
   * The options to remember after the backend accepted `args`: every field of the request but the input
   * folder (which photos), the model and the report (one run's file). A dry run does not check the
   * jobs, so they are kept only when batch.start would accept them (left out, the default, otherwise).
   */
  #options(args: BatchStartArgs): BatchOptions {
    const { inputDir: _input, modelId: _model, ...settings } = args.settings;
    const { jobs } = args;
    const validJobs = jobs !== undefined && Number.isInteger(jobs) && jobs >= 1 && jobs <= MAX_BATCH_JOBS;
    const fixedBlur = settings.blur === 'auto' ? Number(this.blur) : undefined;
    return { ...settings, ...(fixedBlur !== undefined ? { fixedBlur } : {}), ...(validJobs ? { jobs } : {}) };
  }

  /** Remembers the options (best effort: a refusal leaves the ones remembered before). */
  async #remember(args: BatchStartArgs): Promise<void> {
    const client = this.#client();
    if (!client) return;
    try {
      await client.call(Channels.settingsSet, { batch: this.#options(args) });
    } catch {
      // Not remembering the options must not disturb the batch; the form keeps them for this session.
    }
  }

  /**
   * Fills the form with the remembered options, once per page load (the panel calls it when it opens).
   * The backend has already left out any stale or hand-edited field, so those keep the form's default.
   */
  restore(): Promise<void> {
    const client = this.#client();
    if (!client) return Promise.resolve();
    this.#restoring ??= client
      .call(Channels.settingsGet, {})
      .then(({ batch }) => {
        if (this.status === 'idle') this.applyOptions(batch);
      })
      .catch(() => {
        // Nothing remembered can be read: the form keeps its defaults.
      });
    return this.#restoring;
  }

  /** Sets the form from remembered options; a field they lack keeps its value. */
  applyOptions(o: BatchOptions): void {
    if (o.outputDir !== undefined) this.outputDir = o.outputDir;
    if (o.scale !== undefined) this.scale = o.scale;
    if (o.output !== undefined) {
      if ('scale' in o.output) [this.sizeMode, this.sizeValue] = ['scale', o.output.scale];
      else if ('width' in o.output) [this.sizeMode, this.sizeValue] = ['width', o.output.width];
      else [this.sizeMode, this.sizeValue] = ['height', o.output.height];
    }
    if (o.blur === 'auto') this.blurMode = 'auto';
    else if (o.blur !== undefined) [this.blurMode, this.blur] = ['fixed', o.blur];
    if (o.blur === 'auto' && o.fixedBlur !== undefined) this.blur = o.fixedBlur;
    if (o.recursive !== undefined) this.recursive = o.recursive;
    if (o.format !== undefined) this.format = o.format;
    if (o.quality !== undefined) this.quality = o.quality;
    if (o.suffix !== undefined) this.suffix = o.suffix;
    if (o.skipExisting !== undefined) this.skipExisting = o.skipExisting;
    if (o.iterations !== undefined) this.iterations = String(o.iterations);
    if (o.jobs !== undefined) this.jobs = String(o.jobs);
  }

  /** Records of the queue, filtered; depends on `version` so components re-read it on every change. */
  rows(filter: QueueFilter = this.filter): BatchFileRecord[] {
    void this.version;
    return filter === 'all' ? this.#records : this.#records.filter((r) => r.status === filter);
  }

  count(status: BatchFileStatus): number {
    void this.version;
    let n = 0;
    for (const r of this.#records) if (r.status === status) n++;
    return n;
  }

  get total(): number {
    void this.version;
    return this.#records.length;
  }

  fileProgress(index: number): number | undefined {
    void this.version;
    return this.#fileProgress.get(index);
  }

  #setRecords(records: BatchFileRecord[]): void {
    this.#records = records;
    this.#fileProgress.clear();
    this.version++;
  }

  #fromPlan(plan: BatchPlanView): void {
    this.#setRecords(
      plan.files.map((f) => ({
        index: f.index,
        rel: f.rel,
        outputRel: f.outputRel,
        status: PLANNED_STATUS[f.action],
        ...(f.reason !== undefined ? { reason: f.reason } : {}),
        ...(f.code !== undefined ? { code: f.code } : {}),
      })),
    );
  }

  #reset(): void {
    this.error = null;
    this.batchId = null;
    this.progress = null;
    this.summary = null;
    this.backend = null;
    this.reportResult = null;
    this.workers = 0;
    this.staleTempsRemoved = 0;
  }

  /** The dry run: what the batch would do, and nothing written. */
  async preview(): Promise<void> {
    const client = this.#client();
    if (!client || this.busy) return;
    this.#reset();
    this.status = 'planning';
    const key = this.#key();
    try {
      const all = this.#args();
      const { jobs: _jobs, ...args } = all;
      const plan = await client.call(Channels.batchPlan, args);
      this.plan = plan;
      this.#planKey = key;
      this.#fromPlan(plan);
      this.filter = 'all';
      this.status = 'planned';
      void this.#remember(all);
    } catch (error) {
      this.plan = null;
      this.#setRecords([]);
      this.error = message(error);
      this.status = 'error';
    }
  }

  async start(): Promise<void> {
    const client = this.#client();
    if (!client || !this.canStart) return;
    this.#reset();
    this.status = 'starting';
    this.filter = 'all';
    this.#early = [];
    const key = this.#key();
    try {
      const args = this.#args();
      const started = await client.call(Channels.batchStart, args);
      void this.#remember(args);
      this.plan = started.plan;
      this.#planKey = key;
      this.batchId = started.batchId;
      this.#fromPlan(started.plan);
      if (this.status === 'starting') this.status = 'running';
      const early = this.#early;
      this.#early = null;
      for (const event of early) this.apply(event);
    } catch (error) {
      this.#early = null;
      this.error = message(error);
      this.status = 'error';
    }
  }

  async #control(channel: typeof Channels.batchPause | typeof Channels.batchResume | typeof Channels.batchCancel): Promise<void> {
    const client = this.#client();
    const batchId = this.batchId;
    if (!client || !batchId) return;
    try {
      await client.call(channel, { batchId });
    } catch (error) {
      this.error = message(error);
    }
  }

  pause = (): Promise<void> => this.#control(Channels.batchPause);
  resume = (): Promise<void> => this.#control(Channels.batchResume);
  cancel = (): Promise<void> => {
    if (this.status === 'running' || this.status === 'paused') this.status = 'cancelling';
    return this.#control(Channels.batchCancel);
  };

  /** Electron: the native folder dialog fills the field. */
  async browse(purpose: 'batch-input' | 'batch-output'): Promise<void> {
    const client = this.#client();
    if (client?.shell !== 'electron') return;
    const current = (purpose === 'batch-input' ? this.inputDir : this.outputDir).trim();
    try {
      const chosen = await client.call(Channels.dialogFolder, { purpose, ...(current ? { defaultPath: current } : {}) });
      if (!chosen.path) return;
      // In the desktop app only folders picked here may be used (src/main/path-grants.ts).
      if (purpose === 'batch-input') this.inputDir = chosen.path;
      else this.outputDir = chosen.path;
    } catch (error) {
      this.error = message(error);
    }
  }

  /** Applies an event of this batch (events of other batches are ignored). */
  apply(event: BatchEvent): void {
    if (this.batchId === null) {
      if (this.#early) this.#early.push(event);
      return;
    }
    if (event.batchId !== this.batchId) return;
    switch (event.type) {
      case 'batch.started':
        this.workers = event.jobs;
        this.staleTempsRemoved = event.staleTempsRemoved;
        break;
      case 'batch.backend':
        this.backend = event.backend;
        break;
      case 'batch.file':
        this.#records[event.file.index] = event.file;
        if (event.file.status !== 'running') this.#fileProgress.delete(event.file.index);
        this.version++;
        break;
      case 'batch.file-progress':
        this.#fileProgress.set(event.index, event.fraction);
        this.version++;
        break;
      case 'batch.progress':
        this.progress = event.progress;
        break;
      case 'batch.paused':
        if (this.status === 'running') this.status = 'paused';
        break;
      case 'batch.resumed':
        if (this.status === 'paused') this.status = 'running';
        break;
      case 'batch.cancelling':
        this.status = 'cancelling';
        break;
      case 'batch.finished':
        this.summary = event.summary;
        this.status = 'finished';
        break;
      case 'batch.report':
        this.reportResult = { path: event.path, ...(event.error ? { error: event.error.message } : {}) };
        break;
      case 'batch.error':
        this.error = event.message;
        this.status = 'error';
        break;
    }
  }
}

/** 0:07, 12:30, 1h05m. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
