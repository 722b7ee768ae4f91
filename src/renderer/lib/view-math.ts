/** Zoom and pan arithmetic for the canvas (pure). A view maps image pixel (x, y) to screen (x·zoom + panX, y·zoom + panY). */

export interface View {
  zoom: number;
  panX: number;
  panY: number;
}

export const ZOOM_MIN = 0.02;
export const ZOOM_MAX = 32;

export function clampZoom(zoom: number): number {
  return Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, zoom));
}

/** The view that fits an image inside a viewport with a margin, centred, never above 100 % × `native`. */
export function fitView(imageW: number, imageH: number, viewW: number, viewH: number, margin = 24, maxZoom = 1): View {
  const zoom = clampZoom(Math.min((viewW - 2 * margin) / imageW, (viewH - 2 * margin) / imageH, maxZoom));
  return { zoom, panX: (viewW - imageW * zoom) / 2, panY: (viewH - imageH * zoom) / 2 };
}

/** The view at `zoom` centred on the viewport centre of the current view. */
export function zoomAtCentre(view: View, zoom: number, viewW: number, viewH: number): View {
  return zoomAt(view, zoom, viewW / 2, viewH / 2);
}

/** Zooms to `zoom` keeping the image point under the screen point (sx, sy) in place. */
export function zoomAt(view: View, zoom: number, sx: number, sy: number): View {
  const z = clampZoom(zoom);
  const ix = (sx - view.panX) / view.zoom;
  const iy = (sy - view.panY) / view.zoom;
  return { zoom: z, panX: sx - ix * z, panY: sy - iy * z };
}

/** Wheel zoom factor: 10 % per notch, smooth for trackpads. */
export function wheelFactor(deltaY: number): number {
  return Math.exp(-deltaY * 0.0015);
}

export function toImage(view: View, sx: number, sy: number): { x: number; y: number } {
  return { x: (sx - view.panX) / view.zoom, y: (sy - view.panY) / view.zoom };
}
