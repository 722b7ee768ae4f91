/**
 * The app's state and its side effects: the API client, the open image, and the actions the
 * toolbar, menus and shortcuts trigger. Components read fields and call methods; nothing else
 * talks to the backend.
 */
import { DEFAULT_QUALITY } from '../../base/limits.js';
import {
  ApiRequestError,
  Channels,
  FORMAT_EXTENSIONS,
  type AppEvent,
  type AppInfo,
  type BlurSuggestionView,
  type OpenedImage,
  type OutputFormat,
  type Recipe,
} from '../../api/api.js';
import { connect, type ApiClient } from '../lib/client.js';
import { frameCanvas } from '../lib/frames.js';
import { BatchState, isBatchEvent } from './batch.svelte.js';
import { JobState } from './job.svelte.js';
import { MaskState } from './mask.svelte.js';
import { TaskSettings } from './settings.svelte.js';
import { ViewState } from './view.svelte.js';

export interface SaveRequest {
  purpose: 'image' | 'mask';
  path: string;
  format: OutputFormat;
  quality: number;
}

function message(error: unknown): string {
  if (error instanceof ApiRequestError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

function withExtension(path: string, format: OutputFormat): string {
  const dot = path.lastIndexOf('.');
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return `${dot > slash ? path.slice(0, dot) : path}${FORMAT_EXTENSIONS[format]}`;
}

export class AppState {
  client: ApiClient | null = $state.raw(null);
  info: AppInfo | null = $state.raw(null);
  image: OpenedImage | null = $state.raw(null);
  inputCanvas: HTMLCanvasElement | null = $state.raw(null);
  error: string | null = $state(null);
  #notice: string | null = $state(null);
  #noticeTimer: ReturnType<typeof setTimeout> | undefined;
  opening = $state(false);
  helpOpen = $state(false);
  saveDialog: SaveRequest | null = $state(null);
  lastSaved: string | null = $state(null);
  preview: { original: HTMLCanvasElement; degraded: HTMLCanvasElement; key: string } | null = $state.raw(null);
  /** Lab mode: on (the panel shows Degrade), and the clean original the shown image was degraded from. */
  lab = $state(false);
  labOriginal: OpenedImage | null = $state.raw(null);
  /** Lab mode, interpolation: the share of pixels to remove at random, and the seed. */
  labMissing = $state(0.5);
  labSeed = $state(1);
  /** The last blur suggestion (its curve is drawn beside the slider while the slider holds its value). */
  blurSuggestion: BlurSuggestionView | null = $state.raw(null);
  suggesting = $state(false);
  readonly settings = new TaskSettings();
  readonly mask = new MaskState();
  readonly job = new JobState();
  readonly view = new ViewState();
  /** The single-image view or the Batch panel (a folder at a time). */
  mode: 'image' | 'batch' = $state('image');
  readonly batch = new BatchState(() => this.client);
  /** Set by the page: opens the browser's file picker (image or mask). */
  pickFile: ((purpose: 'image' | 'mask') => void) | null = null;
  #previewSeq = 0;

  async init(): Promise<void> {
    try {
      const client = await connect((reason) => (this.error = reason));
      this.client = client;
      client.onEvent((event) => this.#onEvent(event));
      this.info = await client.call(Channels.appInfo, {});
    } catch (error) {
      this.error = message(error);
    }
  }

  #onEvent(event: AppEvent): void {
    switch (event.type) {
      case 'backend':
        if (this.info) this.info = { ...this.info, backend: event.backend };
        return;
      case 'menu':
        if (event.command === 'open') void this.openDialog('image');
        else if (event.command === 'save' || event.command === 'saveAs') this.askSave('image');
        else if (event.command === 'openMask') void this.openDialog('mask');
        else if (event.command === 'saveMask') this.askSave('mask');
        else if (event.command === 'help') this.helpOpen = true;
        return;
      case 'menu.openPath':
        void this.openPath(event.path);
        return;
      default:
        if (isBatchEvent(event)) this.batch.apply(event);
        else this.job.apply(event);
    }
  }

  /** A passing message (opened, saved); it fades after a few seconds. */
  get notice(): string | null {
    return this.#notice;
  }
  set notice(text: string | null) {
    this.#notice = text;
    clearTimeout(this.#noticeTimer);
    if (text) this.#noticeTimer = setTimeout(() => (this.#notice = null), 8000);
  }

  get ready(): boolean {
    return this.client !== null;
  }

  get canRun(): boolean {
    return this.image !== null && !this.job.running && (!this.settings.masked || this.mask.filled > 0);
  }

  get canSave(): boolean {
    return this.job.status === 'done';
  }

  dismissError(): void {
    this.error = null;
  }

  async #guard<T>(work: () => Promise<T>): Promise<T | undefined> {
    try {
      this.error = null;
      return await work();
    } catch (error) {
      this.error = message(error);
      return undefined;
    }
  }

  /** Ctrl+O / the Open button: the native dialog in Electron, the file picker in a browser. */
  async openDialog(purpose: 'image' | 'mask'): Promise<void> {
    if (purpose === 'mask' && !this.image) return;
    if (this.client?.shell === 'electron') {
      const chosen = await this.#guard(() => this.client!.call(Channels.dialogOpen, { purpose }));
      if (chosen?.path) await (purpose === 'image' ? this.openPath(chosen.path) : this.loadMaskPath(chosen.path));
    } else {
      this.pickFile?.(purpose);
    }
  }

  async openPath(path: string): Promise<void> {
    await this.#open(() => this.client!.call(Channels.imageOpen, { path }));
  }

  async openFile(file: File): Promise<void> {
    const bytes = new Uint8Array(await file.arrayBuffer());
    await this.#open(() => this.client!.call(Channels.imageUpload, { name: file.name || 'pasted.png', bytes }));
  }

  async #open(request: () => Promise<OpenedImage>): Promise<void> {
    if (!this.client || this.job.running) return;
    this.opening = true;
    const opened = await this.#guard(request);
    this.opening = false;
    if (!opened) return;
    // A new photo leaves lab mode's original behind (the degraded image is closed with it).
    if (this.labOriginal && this.labOriginal !== this.image)
      void this.client.call(Channels.imageClose, { imageId: this.labOriginal.imageId }).catch(() => {});
    this.labOriginal = null;
    if (this.image) void this.client.call(Channels.imageClose, { imageId: this.image.imageId }).catch(() => {});
    this.#show(opened);
    this.notice = `Opened ${opened.name} (${opened.width} × ${opened.height}, ${opened.bitDepth}-bit ${opened.format.toUpperCase()}).`;
  }

  /** Makes `opened` the image on the canvas, with a fresh mask, job and view. */
  #show(opened: OpenedImage): void {
    this.image = opened;
    this.inputCanvas = frameCanvas(opened.preview);
    this.mask.reset(opened.width, opened.height);
    this.job.clear();
    this.preview = null;
    this.lastSaved = null;
    this.blurSuggestion = null;
    this.settings.blurSuggested = false;
    this.view.setWorld(opened.width, opened.height, opened.preview.width / opened.width);
    this.view.fit();
  }

  /**
   * Lab mode: degrades the clean photo (the one opened, kept as the reference) as the task's W does — ×t
   * with blur u, the painted mask, or a share of pixels missing at random — and shows the degraded image;
   * Run then restores it and reports PSNR and SSIM of every x̂_k against the original.
   */
  async labDegrade(): Promise<void> {
    const source = this.labOriginal ?? this.image;
    if (!this.client || !source || this.job.running) return;
    const s = this.settings;
    if (s.task === 'inpaint' && this.mask.filled === 0) {
      this.error = 'Paint what to remove on the photo first (brush B, rectangle R); lab mode then removes it and restores it.';
      return;
    }
    if (s.task === 'inpaint' && this.image !== source) {
      this.error = 'Paint the mask on the original: press Show original first.';
      return;
    }
    const degradation =
      s.task === 'sr'
        ? { task: 'sr' as const, scale: s.scale, blur: Number(s.blur) }
        : s.task === 'inpaint'
          ? {
              task: 'inpaint' as const,
              mask: { width: source.width, height: source.height, fill: Uint8Array.from(this.mask.raster) },
            }
          : { task: 'interpolate' as const, missing: Number(this.labMissing), seed: Number(this.labSeed) };
    const result = await this.#guard(() => this.client!.call(Channels.labDegrade, { imageId: source.imageId, degradation }));
    if (!result) return;
    if (this.image && this.image !== source)
      void this.client.call(Channels.imageClose, { imageId: this.image.imageId }).catch(() => {});
    this.labOriginal = source;
    this.#show(result.image);
    if (result.fill) this.mask.load(result.fill);
    if (s.task === 'sr') s.sizeMode = 'model';
    this.notice = `Degraded: ${result.image.name}. Press Run to restore it; every x̂_k is measured against the original.`;
  }

  /** Lab mode: back to the clean original (to paint another mask or degrade it differently). */
  labShowOriginal(): void {
    const original = this.labOriginal;
    if (!this.client || !original || this.image === original || this.job.running) return;
    if (this.image) void this.client.call(Channels.imageClose, { imageId: this.image.imageId }).catch(() => {});
    this.labOriginal = null;
    this.#show(original);
  }

  /** Asks the backend to suggest u for the open image at the current scale; sets the slider to it. */
  async suggestBlur(): Promise<void> {
    const image = this.image;
    if (!this.client || !image || this.suggesting) return;
    this.suggesting = true;
    const scale = this.settings.scale;
    const result = await this.#guard(() => this.client!.call(Channels.blurSuggest, { imageId: image.imageId, scale }));
    this.suggesting = false;
    if (!result || this.image !== image) return;
    this.blurSuggestion = result;
    this.settings.blur = result.blur;
    this.settings.blurSuggested = true;
    this.notice = `Suggested blur u = ${result.blur}${result.blur === 0 ? ' (bicubic downscaling)' : ''} for ×${scale}, rated by the blur estimator on ${result.crops.length} textured crops.`;
  }

  /** "Restore again with these settings": the form takes an opened output's recipe (a mask is only hashed in it). */
  applyRecipe(recipe: Recipe): void {
    this.settings.apply(recipe);
    this.notice =
      recipe.task === 'sr'
        ? 'The settings of that output are set: press Run, or open the original photo first.'
        : 'The settings of that output are set; paint the mask again (the recipe keeps only its hash).';
  }

  /** Fetches the degradation preview for the current scale and blur (latest request wins). */
  async refreshPreview(): Promise<void> {
    const image = this.image;
    if (!this.client || !image || this.settings.task !== 'sr') return;
    const { scale, blur } = this.settings;
    const key = `${image.imageId}:${scale}:${blur}`;
    if (this.preview?.key === key) return;
    const seq = ++this.#previewSeq;
    try {
      const result = await this.client.call(Channels.previewDegradation, { imageId: image.imageId, scale, blur: Number(blur) });
      if (seq !== this.#previewSeq) return;
      this.preview = { original: frameCanvas(result.original), degraded: frameCanvas(result.degraded), key };
    } catch (error) {
      if (seq === this.#previewSeq) this.error = message(error);
    }
  }

  async run(): Promise<void> {
    const image = this.image;
    if (!this.client || !image || this.job.running) return;
    if (this.settings.masked && this.mask.filled === 0) {
      this.error = 'Paint the pixels to fill first (brush B, rectangle R), or load a mask.';
      return;
    }
    let settings;
    try {
      settings = this.settings.toJob({ width: image.width, height: image.height, fill: Uint8Array.from(this.mask.raster) });
    } catch (error) {
      this.error = message(error);
      return;
    }
    this.job.begin(image.width, settings.iterations, this.inputCanvas);
    this.error = null;
    try {
      // An upscale fills in from the band under the middle of the view.
      const focus = settings.task === 'sr' ? { focus: this.view.middleRow } : {};
      // Lab mode: measure every x̂_k against the clean original this image was degraded from.
      const reference = this.lab && this.labOriginal && this.labOriginal !== image ? { reference: this.labOriginal.imageId } : {};
      const started = await this.client.call(Channels.jobStart, { imageId: image.imageId, settings, ...focus, ...reference });
      this.job.started(started.jobId, started.width, started.height);
    } catch (error) {
      this.job.failed(message(error));
      this.error = message(error);
    }
  }

  async cancel(): Promise<void> {
    if (!this.client || !this.job.running || !this.job.jobId) return;
    this.job.cancelRequestedAt = performance.now();
    this.job.message = 'Cancelling…';
    await this.#guard(() => this.client!.call(Channels.jobCancel, { jobId: this.job.jobId! }));
  }

  async showResidual(k: number): Promise<void> {
    const jobId = this.job.jobId;
    if (!this.client || !jobId || this.job.residual?.k === k) return;
    const result = await this.#guard(() => this.client!.call(Channels.jobResidual, { jobId, k }));
    if (result && this.job.jobId === jobId)
      this.job.residual = { k, canvas: frameCanvas(result.frame), mean: result.mean, max: result.max };
  }

  /** Opens the save dialog (the path can be edited; Electron can also pick it natively). */
  askSave(purpose: 'image' | 'mask'): void {
    if (!this.image) return;
    if (purpose === 'image' && !this.canSave) {
      this.error = 'There is no finished result to save yet; run the restoration first.';
      return;
    }
    const base = this.lastSaved ?? this.image.suggestedOutput;
    const path =
      purpose === 'mask'
        ? base.replace(/\.restored(-\d+)?\.[a-z]+$/i, '.mask.png').replace(/(\.[a-z]+)$/i, (m) => (m === '.png' ? m : '.png'))
        : base;
    this.saveDialog = { purpose, path, format: 'png', quality: DEFAULT_QUALITY };
  }

  async browseSavePath(): Promise<void> {
    const dialog = this.saveDialog;
    if (!dialog || this.client?.shell !== 'electron') return;
    const chosen = await this.#guard(() =>
      this.client!.call(Channels.dialogSave, { purpose: dialog.purpose, defaultPath: dialog.path }),
    );
    if (chosen?.path && this.saveDialog) this.saveDialog = { ...this.saveDialog, path: chosen.path };
  }

  setSaveFormat(format: OutputFormat): void {
    if (this.saveDialog) this.saveDialog = { ...this.saveDialog, format, path: withExtension(this.saveDialog.path, format) };
  }

  async confirmSave(): Promise<void> {
    const dialog = this.saveDialog;
    const image = this.image;
    if (!this.client || !dialog || !image) return;
    const saved = await this.#guard(() =>
      dialog.purpose === 'mask'
        ? this.client!.call(Channels.maskSave, {
            path: dialog.path,
            mask: { width: image.width, height: image.height, fill: Uint8Array.from(this.mask.raster) },
          })
        : this.client!.call(Channels.jobSave, {
            jobId: this.job.jobId!,
            path: dialog.path,
            format: dialog.format,
            ...(this.job.selectedK !== this.job.K ? { k: this.job.selectedK } : {}),
            ...(dialog.format === 'jpeg' || dialog.format === 'webp' ? { quality: Number(dialog.quality) } : {}),
          }),
    );
    if (!saved) return;
    this.saveDialog = null;
    if (dialog.purpose === 'image') this.lastSaved = saved.path;
    const kb = (saved.bytes / 1024).toFixed(saved.bytes < 10240 ? 1 : 0);
    this.notice = `Saved ${saved.path} (${kb} KiB).${saved.warnings.length ? ` ${saved.warnings.join(' ')}` : ''}`;
  }

  async loadMaskPath(path: string): Promise<void> {
    const image = this.image;
    if (!image) return;
    const mask = await this.#guard(() => this.client!.call(Channels.maskLoad, { imageId: image.imageId, path }));
    if (mask) this.mask.load(mask.fill);
  }

  async loadMaskFile(file: File): Promise<void> {
    const image = this.image;
    if (!image || !this.client) return;
    const bytes = new Uint8Array(await file.arrayBuffer());
    const mask = await this.#guard(() =>
      this.client!.call(Channels.maskLoad, { imageId: image.imageId, name: file.name || 'mask.png', bytes }),
    );
    if (mask) this.mask.load(mask.fill);
  }
}
