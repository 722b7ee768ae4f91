/**
 * Display-only conversions: engine images (float 0..1, HWC) to 8-bit RGBA previews, residual
 * maps, and the colour map of the residual heat-map. Pure functions, shared by the worker (which
 * makes iteration previews) and the server thread (input previews).
 */
import type { Frame } from '../api/api.js';

export interface FloatImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
  readonly data: Float32Array;
}

/** The preview size: the image's, shrunk so its longer side is at most maxSide. */
export function previewSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const f = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * f)), height: Math.max(1, Math.round(height * f)) };
}

const to8 = (v: number): number => (v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255));

/** RGBA preview of an image (box-averaged when shrunk); grey is spread over RGB, missing alpha is opaque. */
export function toFrame(image: FloatImage, maxSide: number): Frame {
  const { width: W, height: H, channels: C, data } = image;
  const { width, height } = previewSize(W, H, maxSide);
  const rgba = new Uint8Array(width * height * 4);
  const px = new Float64Array(4);
  for (let oy = 0; oy < height; oy++) {
    const y0 = Math.floor((oy * H) / height);
    const y1 = Math.max(y0 + 1, Math.floor(((oy + 1) * H) / height));
    for (let ox = 0; ox < width; ox++) {
      const x0 = Math.floor((ox * W) / width);
      const x1 = Math.max(x0 + 1, Math.floor(((ox + 1) * W) / width));
      px.fill(0);
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          const o = (y * W + x) * C;
          if (C <= 2) {
            px[0] += data[o];
            px[3] += C === 2 ? data[o + 1] : 1;
          } else {
            px[0] += data[o];
            px[1] += data[o + 1];
            px[2] += data[o + 2];
            px[3] += C === 4 ? data[o + 3] : 1;
          }
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const o = (oy * width + ox) * 4;
      rgba[o] = to8(px[0] / n);
      rgba[o + 1] = to8((C <= 2 ? px[0] : px[1]) / n);
      rgba[o + 2] = to8((C <= 2 ? px[0] : px[2]) / n);
      rgba[o + 3] = to8(px[3] / n);
    }
  }
  return { width, height, rgba };
}

/** A single-channel map (e.g. |W x̂ − y|) shrunk by box averaging to at most maxSide. */
export function shrinkMap(
  map: Float32Array,
  W: number,
  H: number,
  maxSide: number,
): { width: number; height: number; data: Float32Array } {
  const { width, height } = previewSize(W, H, maxSide);
  if (width === W && height === H) return { width, height, data: map };
  const out = new Float32Array(width * height);
  for (let oy = 0; oy < height; oy++) {
    const y0 = Math.floor((oy * H) / height);
    const y1 = Math.max(y0 + 1, Math.floor(((oy + 1) * H) / height));
    for (let ox = 0; ox < width; ox++) {
      const x0 = Math.floor((ox * W) / width);
      const x1 = Math.max(x0 + 1, Math.floor(((ox + 1) * W) / width));
      let s = 0;
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += map[y * W + x];
      out[oy * width + ox] = s / ((y1 - y0) * (x1 - x0));
    }
  }
  return { width, height, data: out };
}

/** Colour stops of the heat-map (black → purple → red → orange → pale yellow), like "inferno". */
const STOPS: readonly [number, number, number][] = [
  [0, 0, 4],
  [87, 16, 110],
  [188, 55, 84],
  [249, 142, 9],
  [252, 255, 164],
];

export function heatColor(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [STOPS[i], STOPS[i + 1]];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

/** Heat-map frame of a residual map; `max` maps to the hottest colour (fully opaque). */
export function heatFrame(map: { width: number; height: number; data: Float32Array }, max: number): Frame {
  const rgba = new Uint8Array(map.width * map.height * 4);
  const scale = max > 0 ? 1 / max : 0;
  for (let p = 0; p < map.data.length; p++) {
    const [r, g, b] = heatColor(map.data[p] * scale);
    rgba.set([r, g, b, 255], p * 4);
  }
  return { width: map.width, height: map.height, rgba };
}

/** Mean over channels of |a − b| per pixel, 0 where `observed` is 0 (when given). Same-size images. */
export function residualMap(a: FloatImage, b: FloatImage, observed?: Uint8Array): Float32Array {
  const n = a.width * a.height;
  const C = Math.min(a.channels, b.channels, 3) as number;
  const map = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    if (observed && observed[p] === 0) continue;
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.abs(a.data[p * a.channels + c] - b.data[p * b.channels + c]);
    map[p] = s / C;
  }
  return map;
}

/** Mean of the map over observed pixels, and a display maximum (99.5th percentile, at least 1/255). */
export function residualStats(map: Float32Array, observed?: Uint8Array): { mean: number; max: number } {
  let sum = 0;
  let count = 0;
  const values: number[] = [];
  const stride = Math.max(1, Math.floor(map.length / 20000));
  for (let p = 0; p < map.length; p++) {
    if (observed && observed[p] === 0) continue;
    sum += map[p];
    count++;
    if (p % stride === 0) values.push(map[p]);
  }
  values.sort((x, y) => x - y);
  const q = values.length ? values[Math.min(values.length - 1, Math.floor(values.length * 0.995))] : 0;
  return { mean: count ? sum / count : 0, max: Math.max(q, 1 / 255) };
}
