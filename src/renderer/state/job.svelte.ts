/** The current restoration: status, each x̂_k as it arrives, L(z_k), the scrubber and the view mode. */
import type { Frame, JobEvent } from '../../api/api.js';
import { checksum, frameCanvas, thumbnailUrl } from '../lib/frames.js';

export type JobStatus = 'idle' | 'starting' | 'queued' | 'running' | 'done' | 'cancelled' | 'error';
export type ViewMode = 'result' | 'residual' | 'compare';

export interface IterationFrame {
  k: number;
  likelihood: number;
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
  /** Shown until x̂_1 arrives: the network's first rows over the bicubic upscale. */
  preview: { canvas: HTMLCanvasElement; checksum: string; rows: number } | null = $state.raw(null);
  #startedAt = 0;
  cancelRequestedAt = 0;
  #inputWidth = 1;

  get running(): boolean {
    return this.status === 'starting' || this.status === 'queued' || this.status === 'running';
  }

  get selected(): IterationFrame | undefined {
    return this.frames.find((f) => f.k === this.selectedK);
  }

  get likelihoods(): number[] {
    return this.frames.map((f) => f.likelihood);
  }

  begin(inputWidth: number, K: number): void {
    this.#inputWidth = inputWidth;
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
      canvas,
      thumb: thumbnailUrl(canvas),
      checksum: checksum(frame),
      density: frame.width / this.#inputWidth,
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
        const follow = this.selectedK === this.frames.length;
        this.frames = [...this.frames.filter((f) => f.k !== event.k), this.#frame(event.k, event.likelihood, event.frame)].sort(
          (a, b) => a.k - b.k,
        );
        if (follow) this.selectedK = event.k;
        this.progress = Math.max(this.progress, event.k / event.K);
        this.message = `Iteration ${event.k} of ${event.K}`;
        break;
      }
      case 'job.done':
        this.status = 'done';
        this.progress = 1;
        this.seconds = event.seconds;
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
