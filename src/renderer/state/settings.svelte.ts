/** The task form: task, scale, blur and the DL-Net settings K and γ (defaults: docs/protocols.md §2). */
import { DEFAULT_GAMMA, DEFAULT_ITERATIONS, type JobSettings, type SrScale, type Task } from '../../api/api.js';
import { planOutputSize, type OutputSizePlan, type OutputSizeRequest } from '../../base/output-size.js';
import type { Recipe } from '../../base/recipe.js';

/** How the upscale's output size is given: the model scale as is, or a factor, width or height. */
export type SizeMode = 'model' | 'scale' | 'width' | 'height';

export const TASK_LABELS: Record<Task, string> = { sr: 'Upscale', inpaint: 'Inpaint', interpolate: 'Interpolate' };

export class TaskSettings {
  #task: Task = $state('sr');
  scale: SrScale = $state(2);
  /** Any output size (src/base/output-size.ts): 'model' = ×scale as is. */
  sizeMode: SizeMode = $state('model');
  /** The factor, width or height of sizeMode. */
  sizeValue = $state(1.5);
  blur = $state(0);
  iterations = $state(DEFAULT_ITERATIONS);
  gamma = $state(DEFAULT_GAMMA.sr);

  get task(): Task {
    return this.#task;
  }

  /** Switching task keeps a γ the user chose, and moves a default γ to the new task's default. */
  set task(task: Task) {
    if (this.gamma === DEFAULT_GAMMA[this.#task]) this.gamma = DEFAULT_GAMMA[task];
    this.#task = task;
  }

  get masked(): boolean {
    return this.#task !== 'sr';
  }

  resetAdvanced(): void {
    this.iterations = DEFAULT_ITERATIONS;
    this.gamma = DEFAULT_GAMMA[this.#task];
  }

  /** True when the blur on the slider came from Suggest (it is recorded in the output's recipe). */
  blurSuggested = $state(false);

  /** The settings of a recipe (an output's XMP): task, scale or size, blur, K, γ. */
  apply(recipe: Recipe): void {
    this.task = recipe.task;
    if (recipe.task === 'sr') {
      if (recipe.modelScale === 2 || recipe.modelScale === 3 || recipe.modelScale === 4) this.scale = recipe.modelScale;
      const size = recipe.requestedSize;
      if (size === undefined) this.sizeMode = 'model';
      else if ('scale' in size) [this.sizeMode, this.sizeValue] = ['scale', size.scale];
      else if ('width' in size) [this.sizeMode, this.sizeValue] = ['width', size.width];
      else [this.sizeMode, this.sizeValue] = ['height', size.height];
      this.blur = recipe.blur ?? 0;
      this.blurSuggested = recipe.blurSuggested === true;
    }
    this.iterations = recipe.iterations;
    if (recipe.gamma !== null) this.gamma = recipe.gamma;
  }

  /** The output size asked for, or undefined for the model scale as is. */
  get outputRequest(): OutputSizeRequest | undefined {
    const n = Number(this.sizeValue);
    if (this.sizeMode === 'scale') return { scale: n };
    if (this.sizeMode === 'width') return { width: n };
    if (this.sizeMode === 'height') return { height: n };
    return undefined;
  }

  /** What an upscale of a width × height image makes: the model scale and final size, or why it cannot. */
  sizePlan(image: { width: number; height: number }): OutputSizePlan | { error: string } {
    const request = this.outputRequest;
    if (request === undefined) {
      return { modelScale: this.scale, width: image.width * this.scale, height: image.height * this.scale, resampled: false };
    }
    const n = Number(this.sizeValue);
    if (this.sizeMode === 'scale' ? !(n > 1 && n <= 4) : !(Number.isInteger(n) && n >= 1)) {
      return {
        error: this.sizeMode === 'scale' ? 'The factor must be above 1 and at most 4.' : 'Give a whole number of pixels.',
      };
    }
    try {
      return planOutputSize(image, request);
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  }

  /** The job settings for the backend (which validates them again). */
  toJob(mask: { width: number; height: number; fill: Uint8Array }): JobSettings {
    const common = { iterations: Number(this.iterations), gamma: Number(this.gamma) };
    if (this.#task === 'sr') {
      const plan = this.sizePlan(mask);
      if ('error' in plan) throw new Error(plan.error);
      const output = this.outputRequest;
      const suggested = this.blurSuggested ? { blurSuggested: true } : {};
      return {
        task: 'sr',
        scale: plan.modelScale,
        ...(output ? { output } : {}),
        blur: Number(this.blur),
        ...suggested,
        ...common,
      };
    }
    return { task: this.#task, mask, ...common };
  }
}
