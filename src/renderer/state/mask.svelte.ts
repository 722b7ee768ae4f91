/** The mask being painted: operations with undo/redo (lib/mask-model.ts) and their raster at image resolution. */
import {
  applyOp,
  clampBrush,
  countFill,
  emptyHistory,
  push,
  rasterize,
  redo,
  stepBrush,
  undo,
  type History,
  type MaskOp,
} from '../lib/mask-model.js';

export type MaskTool = 'brush' | 'eraser' | 'rect';

export class MaskState {
  tool: MaskTool = $state('brush');
  #size = $state(24);
  #history: History<MaskOp> = $state.raw(emptyHistory());
  /** Bumped whenever the raster changes (the raster itself is not reactive: it can be megabytes). */
  version = $state(0);
  #raster: Uint8Array = new Uint8Array(0);
  #width = 0;
  #height = 0;
  filled = $state(0);

  get size(): number {
    return this.#size;
  }
  set size(value: number) {
    this.#size = clampBrush(value);
  }
  get width(): number {
    return this.#width;
  }
  get height(): number {
    return this.#height;
  }
  get canUndo(): boolean {
    return this.#history.done.length > 0;
  }
  get canRedo(): boolean {
    return this.#history.undone.length > 0;
  }
  /** 1 = fill, 0 = keep; read-only for callers (copy before sending). */
  get raster(): Uint8Array {
    return this.#raster;
  }

  reset(width: number, height: number): void {
    this.#width = width;
    this.#height = height;
    this.#history = emptyHistory();
    this.#raster = new Uint8Array(width * height);
    this.#changed();
  }

  commit(op: MaskOp): void {
    this.#history = push(this.#history, op);
    applyOp(this.#raster, this.#width, this.#height, op);
    this.#changed();
  }

  undo(): void {
    if (!this.canUndo) return;
    this.#history = undo(this.#history);
    this.#raster = rasterize(this.#history.done, this.#width, this.#height);
    this.#changed();
  }

  redo(): void {
    if (!this.canRedo) return;
    this.#history = redo(this.#history);
    this.#raster = rasterize(this.#history.done, this.#width, this.#height);
    this.#changed();
  }

  clear(): void {
    if (this.filled > 0) this.commit({ kind: 'clear' });
  }

  invert(): void {
    this.commit({ kind: 'invert' });
  }

  load(fill: Uint8Array): void {
    this.commit({ kind: 'bitmap', fill });
  }

  smaller(): void {
    this.#size = stepBrush(this.#size, -1);
  }

  larger(): void {
    this.#size = stepBrush(this.#size, 1);
  }

  #changed(): void {
    this.filled = countFill(this.#raster);
    this.version++;
  }
}
