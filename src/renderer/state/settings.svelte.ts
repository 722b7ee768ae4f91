/** The task form: task, scale, blur and the DL-Net settings K and γ (defaults: docs/protocols.md §2). */
import { DEFAULT_GAMMA, DEFAULT_ITERATIONS, type JobSettings, type SrScale, type Task } from '../../api/api.js';

export const TASK_LABELS: Record<Task, string> = { sr: 'Upscale', inpaint: 'Inpaint', interpolate: 'Interpolate' };

export class TaskSettings {
  #task: Task = $state('sr');
  scale: SrScale = $state(2);
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

  /** The job settings for the backend (which validates them again). */
  toJob(mask: { width: number; height: number; fill: Uint8Array }): JobSettings {
    const common = { iterations: Number(this.iterations), gamma: Number(this.gamma) };
    if (this.#task === 'sr') return { task: 'sr', scale: this.scale, blur: Number(this.blur), ...common };
    return { task: this.#task, mask, ...common };
  }
}
