/** The geometry of the panels' small SVG charts: a plot box inside padding, and linear scales onto it. */

export interface ChartBox {
  readonly width: number;
  readonly height: number;
  /** Room for the axis labels: left, right, top, bottom. */
  readonly pad: { readonly l: number; readonly r: number; readonly t: number; readonly b: number };
}

/** Maps [lo, hi] onto the box's plot area from left to right (a zero-width domain maps to the left edge). */
export function scaleX(box: ChartBox, lo: number, hi: number): (v: number) => number {
  const span = hi - lo || 1;
  return (v) => box.pad.l + ((v - lo) / span) * (box.width - box.pad.l - box.pad.r);
}

/** Maps [lo, hi] onto the box's plot area from bottom to top (a zero-height domain maps to the bottom). */
export function scaleY(box: ChartBox, lo: number, hi: number): (v: number) => number {
  const span = hi - lo || 1;
  return (v) => box.height - box.pad.b - ((v - lo) / span) * (box.height - box.pad.t - box.pad.b);
}
