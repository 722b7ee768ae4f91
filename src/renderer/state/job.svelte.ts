/**
 * The current restoration: status, each x̂_k as it arrives (an upscale's band by band, drawn over
 * the input until its rows come), L(z_k) and how much of the image it covers, the scrubber and the
 * view mode.
 */
import type { Frame, IterationMetrics, JobEvent } from '../../api/api.js';
import { canvasChecksum, checksum, drawPatch, frameCanvas, thumbnailUrl } from '../lib/frames.js';

export type JobStatus = 'idle' | 'starting' | 'queued' | 'running' | 'done' | 'cancelled' | 'error';
export type ViewMode = 'result' | 'residual' | 'compare';

export interface IterationFrame {
  k: number;
  /** L(z_k) over the part of x̂_k received so far. */
  likelihood: number;
  /** Fraction of the image that part covers (1: x̂_k is whole). */
  coverage: number;
  canvas: HTMLCanvasElement;
  thumb: string;
  checksum: string;
  /** Displayed-bitmap pixels per input pixel (3 for ×3 upscaling). */
  density: number;
}

export class JobState {
  jobId: string | null = $state(null);
  status: JobStatus = $state('idle');
  K = $state(0);
  frames: IterationFrame[] = $state.raw([]);
  selectedK = $state(0);
  progress = $state(0);
  message = $state('');
  mode: ViewMode = $state('result');
  split = $state(0.5);
  seconds = $state(0);
  outputSize = $state.raw({ width: 0, height: 0 });
  residual: { k: number; canvas: HTMLCanvasElement; mean: number; max: number } | null = $state.raw(null);
  /** Lab mode: PSNR and SSIM of every x̂_k against the clean original (with job.done). */
  metrics: IterationMetrics[] = $state.raw([]);
  /** Shown until x̂_1 arrives: the network's first rows over the bicubic upscale. */
  preview: { canvas: HTMLCanvasElement; checksum: string; rows: number } | null = $state.raw(null);
  #startedAt = 0;
  cancelRequestedAt = 0;
  #inputWidth = 1;
  /** What an x̂_k shows where its rows have not arrived yet (the input, scaled). */
  #underlay: HTMLCanvasElement | null = null;

  get running(): boolean {
    return this.status === 'starting' || this.status === 'queued' || this.status === 'running';
  }

  get selected(): IterationFrame | undefined {
    return this.frames.find((f) => f.k === this.selectedK);
  }

  get likelihoods(): number[] {
    return this.frames.map((f) => f.likelihood);
  }

  get coverages(): number[] {
    return this.frames.map((f) => f.coverage);
  }

  begin(inputWidth: number, K: number, underlay: HTMLCanvasElement | null = null): void {
    this.#inputWidth = inputWidth;
    this.#underlay = underlay;
    this.jobId = null;
    this.status = 'starting';
    this.K = K;
    this.frames = [];
    this.selectedK = 0;
    this.progress = 0;
    this.message = 'Starting…';
    this.mode = 'result';
    this.residual = null;
    this.preview = null;
    this.metrics = [];
    this.#startedAt = performance.now();
  }

  started(jobId: string, width: number, height: number): void {
    this.jobId = jobId;
    this.outputSize = { width, height };
  }

  failed(message: string): void {
    this.status = 'error';
    this.message = message;
  }

  clear(): void {
    this.jobId = null;
    this.status = 'idle';
    this.frames = [];
    this.selectedK = 0;
    this.residual = null;
    this.preview = null;
    this.message = '';
  }

  #frame(k: number, likelihood: number, frame: Frame): IterationFrame {
    const canvas = frameCanvas(frame);
    return {
      k,
      likelihood,
      coverage: 1,
      canvas,
      thumb: thumbnailUrl(canvas),
      checksum: checksum(frame),
      density: frame.width / this.#inputWidth,
    };
  }

  /** x̂_k with one more part drawn in (a new frame object, so the views update). */
  #patched(event: Extract<JobEvent, { type: 'job.iteration' }>): IterationFrame {
    const old = this.frames.find((f) => f.k === event.k);
    let canvas = old?.canvas;
    if (!canvas || canvas.width !== event.width || canvas.height !== event.height) {
      canvas = document.createElement('canvas');
      canvas.width = event.width;
      canvas.height = event.height;
      if (this.#underlay && event.coverage < 1) {
        const ctx = canvas.getContext('2d')!;
        ctx.imageSmoothingQuality = 'high';
        ctx.drawImage(this.#underlay, 0, 0, event.width, event.height);
      }
    }
    drawPatch(canvas, event.frame, event.y);
    const whole = event.coverage >= 1;
    return {
      k: event.k,
      likelihood: event.likelihood,
      coverage: event.coverage,
      canvas,
      thumb: thumbnailUrl(canvas),
      checksum: !whole
        ? ''
        : event.y === 0 && event.frame.height === event.height
          ? checksum(event.frame)
          : canvasChecksum(canvas),
      density: event.width / this.#inputWidth,
    };
  }

  /** Applies an event of this job; returns false for another job's event. */
  apply(event: JobEvent): boolean {
    if (event.jobId !== this.jobId) return false;
    switch (event.type) {
      case 'job.queued':
        if (this.status === 'starting') this.status = 'queued';
        this.message = event.position > 0 ? `Waiting (${event.position} ahead)…` : 'Starting…';
        break;
      case 'job.started':
        this.status = 'running';
        this.message = 'Loading the model…';
        break;
      case 'job.progress':
        this.progress = Math.max(this.progress, event.fraction);
        if (event.message) this.message = event.message;
        break;
      case 'job.preview':
        if (this.frames.length > 0) break;
        this.preview = { canvas: frameCanvas(event.frame), checksum: checksum(event.frame), rows: event.rows };
        this.message = `Preview: the first ${event.rows} rows`;
        break;
      case 'job.iteration': {
        this.K = event.K;
        // The view follows the newest iterate (x̂_K filling in band by band) unless the user chose another.
        const newest = this.frames.at(-1)?.k ?? 0;
        const follow = this.selectedK === newest;
        this.frames = [...this.frames.filter((f) => f.k !== event.k), this.#patched(event)].sort((a, b) => a.k - b.k);
        if (follow) this.selectedK = Math.max(newest, event.k);
        if (event.coverage >= 1) this.progress = Math.max(this.progress, event.k / event.K);
        const part = event.coverage < 1 ? `, ${Math.round(event.coverage * 100)} % of the image` : '';
        this.message = `Iteration ${event.k} of ${event.K}${part}`;
        break;
      }
      case 'job.done':
        this.status = 'done';
        this.progress = 1;
        this.seconds = event.seconds;
        this.metrics = event.metrics ?? [];
        if (this.frames.length === 0) this.frames = [this.#frame(event.K, event.likelihoods.at(-1) ?? NaN, event.frame)];
        this.selectedK = this.frames.at(-1)!.k;
        this.message = `Done in ${event.seconds.toFixed(1)} s`;
        break;
      case 'job.cancelled':
        this.status = 'cancelled';
        this.message = `Cancelled after ${((performance.now() - this.#startedAt) / 1000).toFixed(1)} s; nothing was saved.`;
        break;
      case 'job.error':
        this.status = 'error';
        this.message = event.message;
        break;
    }
    return true;
  }
}
