/** Zoom and pan of the canvas (arithmetic in lib/view-math.ts). */
import { clampZoom, fitView, wheelFactor, zoomAt, zoomAtCentre, type View } from '../lib/view-math.js';

export class ViewState {
  current: View = $state.raw({ zoom: 1, panX: 0, panY: 0 });
  viewport = $state.raw({ width: 800, height: 600 });
  /** The world (input) size in pixels, and how many displayed-bitmap pixels one world pixel holds. */
  world = $state.raw({ width: 1, height: 1, density: 1 });

  get percent(): number {
    return Math.round(this.current.zoom * this.world.density * 100);
  }

  /** The image row at the middle of the viewport, as a fraction of the image's height (0..1). */
  get middleRow(): number {
    const y = (this.viewport.height / 2 - this.current.panY) / this.current.zoom;
    return Math.min(1, Math.max(0, y / this.world.height));
  }

  setWorld(width: number, height: number, density = 1): void {
    this.world = { width, height, density };
  }

  fit(): void {
    this.current = fitView(this.world.width, this.world.height, this.viewport.width, this.viewport.height, 24, 8);
  }

  /** 100 %: one pixel of the displayed bitmap per screen pixel. */
  actual(): void {
    this.current = zoomAtCentre(this.current, 1 / this.world.density, this.viewport.width, this.viewport.height);
  }

  zoomBy(factor: number): void {
    this.current = zoomAtCentre(this.current, clampZoom(this.current.zoom * factor), this.viewport.width, this.viewport.height);
  }

  wheel(deltaY: number, sx: number, sy: number): void {
    this.current = zoomAt(this.current, this.current.zoom * wheelFactor(deltaY), sx, sy);
  }

  panBy(dx: number, dy: number): void {
    this.current = { ...this.current, panX: this.current.panX + dx, panY: this.current.panY + dy };
  }
}
