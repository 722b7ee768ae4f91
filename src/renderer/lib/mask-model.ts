/**
 * The mask as data (like IOPaint's line groups): a list of operations — brush and eraser strokes,
 * rectangles, clear, invert, and loaded bitmaps — rasterised at image resolution by a pure
 * function, independent of zoom. Convention: 1 = pixel to fill, 0 = keep (white in a mask PNG).
 */

export interface Point {
  x: number;
  y: number;
}

export type MaskOp =
  | { kind: 'stroke'; mode: 'paint' | 'erase'; size: number; points: Point[] }
  | { kind: 'rect'; mode: 'paint' | 'erase'; x: number; y: number; width: number; height: number }
  | { kind: 'clear' }
  | { kind: 'invert' }
  /** A mask loaded from a file (replaces everything before it). */
  | { kind: 'bitmap'; fill: Uint8Array };

export const BRUSH_MIN = 1;
export const BRUSH_MAX = 400;

export function clampBrush(size: number): number {
  return Math.min(BRUSH_MAX, Math.max(BRUSH_MIN, Math.round(size)));
}

/** Next brush size for the [ and ] keys: about 15 % steps, at least 1 pixel. */
export function stepBrush(size: number, direction: 1 | -1): number {
  const step = Math.max(1, Math.round(size * 0.15));
  return clampBrush(size + direction * step);
}

function disc(fill: Uint8Array, width: number, height: number, cx: number, cy: number, r: number, value: number): void {
  const x0 = Math.max(0, Math.floor(cx - r));
  const x1 = Math.min(width - 1, Math.ceil(cx + r));
  const y0 = Math.max(0, Math.floor(cy - r));
  const y1 = Math.min(height - 1, Math.ceil(cy + r));
  const r2 = r * r;
  for (let y = y0; y <= y1; y++) {
    const dy = y + 0.5 - cy;
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - cx;
      if (dx * dx + dy * dy <= r2) fill[y * width + x] = value;
    }
  }
}

/** Applies one operation to a raster in place. */
export function applyOp(fill: Uint8Array, width: number, height: number, op: MaskOp): void {
  switch (op.kind) {
    case 'clear':
      fill.fill(0);
      return;
    case 'invert':
      for (let i = 0; i < fill.length; i++) fill[i] = fill[i] ? 0 : 1;
      return;
    case 'bitmap':
      if (op.fill.length !== fill.length) throw new RangeError('The loaded mask does not match the image size.');
      fill.set(op.fill);
      return;
    case 'rect': {
      const value = op.mode === 'paint' ? 1 : 0;
      const x0 = Math.max(0, Math.round(Math.min(op.x, op.x + op.width)));
      const x1 = Math.min(width, Math.round(Math.max(op.x, op.x + op.width)));
      const y0 = Math.max(0, Math.round(Math.min(op.y, op.y + op.height)));
      const y1 = Math.min(height, Math.round(Math.max(op.y, op.y + op.height)));
      for (let y = y0; y < y1; y++) fill.fill(value, y * width + x0, y * width + x1);
      return;
    }
    case 'stroke': {
      const value = op.mode === 'paint' ? 1 : 0;
      const r = Math.max(0.5, op.size / 2);
      const pts = op.points;
      if (pts.length === 0) return;
      disc(fill, width, height, pts[0].x, pts[0].y, r, value);
      for (let i = 1; i < pts.length; i++) {
        const a = pts[i - 1];
        const b = pts[i];
        const steps = Math.max(1, Math.ceil(Math.hypot(b.x - a.x, b.y - a.y) / Math.max(0.5, r / 2)));
        for (let s = 1; s <= steps; s++)
          disc(fill, width, height, a.x + ((b.x - a.x) * s) / steps, a.y + ((b.y - a.y) * s) / steps, r, value);
      }
      return;
    }
  }
}

/** Rasterises operations at image resolution: 1 = fill, 0 = keep. */
export function rasterize(ops: readonly MaskOp[], width: number, height: number): Uint8Array {
  const fill = new Uint8Array(width * height);
  for (const op of ops) applyOp(fill, width, height, op);
  return fill;
}

export function countFill(fill: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < fill.length; i++) n += fill[i];
  return n;
}

/**
 * Undo/redo over a list of operations: doing pushes and forgets the redo stack; undo pops onto
 * the redo stack. Immutable: every method returns a new history.
 */
export interface History<T> {
  readonly done: readonly T[];
  readonly undone: readonly T[];
}

export const emptyHistory = <T>(): History<T> => ({ done: [], undone: [] });

export function push<T>(h: History<T>, item: T): History<T> {
  return { done: [...h.done, item], undone: [] };
}

export function undo<T>(h: History<T>): History<T> {
  if (h.done.length === 0) return h;
  return { done: h.done.slice(0, -1), undone: [...h.undone, h.done[h.done.length - 1]] };
}

export function redo<T>(h: History<T>): History<T> {
  if (h.undone.length === 0) return h;
  return { done: [...h.done, h.undone[h.undone.length - 1]], undone: h.undone.slice(0, -1) };
}

/** A translucent overlay of the fill pixels, RGBA at image resolution (for the mask layer). */
export function overlayRgba(fill: Uint8Array, color: [number, number, number, number] = [255, 40, 90, 150]): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(fill.length * 4);
  for (let p = 0; p < fill.length; p++) if (fill[p]) rgba.set(color, p * 4);
  return rgba;
}
