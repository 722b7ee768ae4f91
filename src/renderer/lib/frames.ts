/** Frames (RGBA bytes from the backend) as canvases for Konva and <img> thumbnails. */
import type { Frame } from '../../api/api.js';

export function frameCanvas(frame: { width: number; height: number; rgba: Uint8Array | Uint8ClampedArray }): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = frame.width;
  canvas.height = frame.height;
  const data = new Uint8ClampedArray(frame.rgba.buffer as ArrayBuffer, frame.rgba.byteOffset, frame.rgba.byteLength);
  canvas.getContext('2d')!.putImageData(new ImageData(data, frame.width, frame.height), 0, 0);
  return canvas;
}

/** A small checksum of a frame's pixels (FNV-1a over a sample), shown as data-checksum for tests and debugging. */
export function checksum(frame: Frame): string {
  let h = 0x811c9dc5;
  const step = Math.max(1, Math.floor(frame.rgba.length / 65536));
  for (let i = 0; i < frame.rgba.length; i += step) {
    h ^= frame.rgba[i];
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Draws rows [y, y + patch.height) of a frame into `canvas` (full width). */
export function drawPatch(canvas: HTMLCanvasElement, patch: Frame, y: number): void {
  const data = new Uint8ClampedArray(patch.rgba.buffer as ArrayBuffer, patch.rgba.byteOffset, patch.rgba.byteLength);
  canvas.getContext('2d')!.putImageData(new ImageData(data, patch.width, patch.height), 0, y);
}

/** checksum() of what a canvas holds. */
export function canvasChecksum(canvas: HTMLCanvasElement): string {
  const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
  return checksum({
    width: canvas.width,
    height: canvas.height,
    rgba: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
}

export function thumbnailUrl(canvas: HTMLCanvasElement, side = 96): string {
  const f = Math.min(1, side / Math.max(canvas.width, canvas.height));
  const t = document.createElement('canvas');
  t.width = Math.max(1, Math.round(canvas.width * f));
  t.height = Math.max(1, Math.round(canvas.height * f));
  const ctx = t.getContext('2d')!;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(canvas, 0, 0, t.width, t.height);
  return t.toDataURL('image/png');
}
