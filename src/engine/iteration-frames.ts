/**
 * Display-resolution iterates for an app: each x̂_k of a restoration as an 8-bit RGBA frame whose
 * longer side is at most `maxSide` (≤ 2560), and its residual |W x̂_k − y| shrunk the same way, built
 * band by band as super-resolution streams them (RestoreEvent 'band'), in any band order. What an
 * app keeps for its scrubber and residual view is then K small frames, whatever the photo's size;
 * full-resolution iterates go to disk (iteration-store.ts).
 *
 * Frames use toFrame's boxes (display pixel o covers source pixels [⌊o·N/n⌋, ⌊(o+1)·N/n⌋) on each
 * axis), so a box that straddles two bands is averaged over the rows seen so far and completed when
 * the other band arrives (its patch is sent again). Colour: the box mean of x̂_k's luma, with the
 * chroma and alpha of the input averaged over the same boxes once per job (area-weighted LR
 * pixels, close to the bicubic upscale's box mean), converted to RGB per display pixel: cheap
 * enough to run for every k of every band (≈ 30 ms per 12 MP band set) where the exact colour of a
 * full-size band costs seconds.
 */
import { yCbCrToRgb, type LumaPlanes } from './color.js';
import type { SrBand } from './restore-types.js';

/** The size of a frame shrunk so its longer side is at most maxSide (never enlarged). */
export function displaySize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const f = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * f)), height: Math.max(1, Math.round(height * f)) };
}

/** Frames an app keeps per run: about 8 full-size ones; more iterations get smaller frames. */
export function frameSide(maxSide: number, K: number): number {
  return K <= 8 ? maxSide : Math.max(512, Math.floor(maxSide * Math.sqrt(8 / K)));
}

/** Start of each box along an axis of n source pixels shrunk to m (m + 1 entries, the last = n). */
function boxStarts(n: number, m: number): Int32Array {
  const b = new Int32Array(m + 1);
  for (let o = 0; o <= m; o++) b[o] = Math.floor((o * n) / m);
  return b;
}

/** Display index of each source pixel along an axis. */
function boxOf(starts: Int32Array): Int32Array {
  const m = starts.length - 1;
  const map = new Int32Array(starts[m]);
  for (let o = 0; o < m; o++) map.fill(o, starts[o], starts[o + 1]);
  return map;
}

/**
 * Box-shrinks a W × H plane (one value per pixel) to w × h from full-width bands of rows that may
 * arrive in any order. A display row whose box lies in one call is summed box by box straight from
 * the rows. One whose box straddles bands (and every row of absolute values, whose sum is returned
 * too) has its source rows summed first (full width, in doubles), then that sum folded into the
 * display columns; a straddling row keeps its row sum until complete.
 */
export class BandShrinker {
  readonly width: number;
  readonly height: number;
  readonly #W: number;
  readonly #rows: Int32Array;
  readonly #rowOf: Int32Array;
  readonly #cols: Int32Array;
  /** 1 / the width of each display column's box. */
  readonly #colScale: Float64Array;
  readonly #partial = new Map<number, { sum: Float64Array; seen: number }>();
  /** The row sum of a display row completed within one call (reused: fresh arrays cost page faults). */
  readonly #whole: Float64Array;

  constructor(W: number, H: number, w: number, h: number) {
    this.#W = W;
    this.#whole = new Float64Array(W);
    this.width = w;
    this.height = h;
    this.#rows = boxStarts(H, h);
    this.#rowOf = boxOf(this.#rows);
    this.#cols = boxStarts(W, w);
    this.#colScale = new Float64Array(w).map((_, x) => 1 / (this.#cols[x + 1] - this.#cols[x]));
  }

  /**
   * Adds source rows [y0, y0 + n) (`rows`: n × W values, absolute values taken with `abs`); returns
   * display rows [y, y + height) they touch, each the box mean over the source rows seen so far,
   * whether each is complete, and (with `abs`) the sum of the absolute values added.
   */
  add(
    y0: number,
    rows: Float32Array,
    abs = false,
  ): { y: number; height: number; values: Float32Array; complete: boolean[]; total: number } {
    const W = this.#W;
    const w = this.width;
    let total = 0;
    const n = rows.length / W;
    const o0 = this.#rowOf[y0];
    const o1 = this.#rowOf[y0 + n - 1];
    const values = new Float32Array((o1 - o0 + 1) * w);
    const complete: boolean[] = [];
    for (let o = o0; o <= o1; o++) {
      const a = Math.max(y0, this.#rows[o]);
      const b = Math.min(y0 + n, this.#rows[o + 1]);
      const inOneCall = a === this.#rows[o] && b === this.#rows[o + 1];
      if (inOneCall && !abs) {
        this.#boxRow(rows, (a - y0) * W, b - a, values, (o - o0) * w);
        complete.push(true);
        continue;
      }
      const acc = this.#partial.get(o) ?? { sum: inOneCall ? this.#whole : new Float64Array(W), seen: 0 };
      for (let y = a; y < b; y++) total += addRow(rows, (y - y0) * W, W, abs, acc.sum, acc.seen++ === 0);
      const done = acc.seen >= this.#rows[o + 1] - this.#rows[o];
      if (done) this.#partial.delete(o);
      else this.#partial.set(o, acc);
      complete.push(done);
      this.#fold(acc.sum, 1 / acc.seen, values, (o - o0) * w);
    }
    return { y: o0, height: o1 - o0 + 1, values, complete, total };
  }

  /**
   * values[out + x] = the mean of display column x's box over the n source rows of `rows` from `from` on (a
   * display row whose box lies in one call): summed straight from the rows, with no row sum in between.
   */
  #boxRow(rows: Float32Array, from: number, n: number, values: Float32Array, out: number): void {
    const W = this.#W;
    const w = this.width;
    const perRow = 1 / n;
    const cols = this.#cols;
    const scale = this.#colScale;
    let c = 0;
    if (n === 2) {
      // Most display rows of a photo shrunk less than 2:1 cover two source rows: no loop over rows.
      for (let x = 0, i = from; x < w; x++) {
        const end = cols[x + 1] + from;
        let s = 0;
        for (; i < end; i++) s += rows[i] + rows[i + W];
        values[out + x] = s * scale[x] * perRow;
      }
      return;
    }
    for (let x = 0; x < w; x++) {
      const end = cols[x + 1];
      let s = 0;
      for (; c < end; c++) for (let r = 0, i = from + c; r < n; r++, i += W) s += rows[i];
      values[out + x] = s * scale[x] * perRow;
    }
  }

  /** values[out + x] = the mean of display column x's box in a row sum, times perRow. */
  #fold(sum: Float64Array, perRow: number, values: Float32Array, out: number): void {
    const w = this.width;
    const scale = this.#colScale;
    if (w === this.#W) {
      // Not shrunk along the row (a residual map of an LR plane under the display size): one value per column.
      for (let x = 0; x < w; x++) values[out + x] = sum[x] * perRow;
      return;
    }
    const cols = this.#cols;
    let i = 0;
    for (let x = 0; x < w; x++) {
      const end = cols[x + 1];
      let s = 0;
      for (; i < end; i++) s += sum[i];
      values[out + x] = s * scale[x] * perRow;
    }
  }
}

/**
 * sum[i] (+)= rows[from + i] for i < W (|rows| with `abs`; `first`: sets instead of adding); returns the
 * sum of the values added with `abs`, else 0.
 */
function addRow(rows: Float32Array, from: number, W: number, abs: boolean, sum: Float64Array, first: boolean): number {
  let total = 0;
  if (abs) {
    if (first)
      for (let i = 0; i < W; i++) {
        const v = Math.abs(rows[from + i]);
        sum[i] = v;
        total += v;
      }
    else
      for (let i = 0; i < W; i++) {
        const v = Math.abs(rows[from + i]);
        sum[i] += v;
        total += v;
      }
    return total;
  }
  if (first) for (let i = 0; i < W; i++) sum[i] = rows[from + i];
  else for (let i = 0; i < W; i++) sum[i] += rows[from + i];
  return 0;
}

/**
 * For each of the m display boxes along an axis of n·t upscaled pixels, its LR pixels and their weights
 * (overlap / box size), flat: box o's taps are entries start[o] .. start[o + 1].
 */
function areaTaps(n: number, t: number, m: number): { start: Int32Array; index: Int32Array; weight: Float64Array } {
  const starts = boxStarts(n * t, m);
  const start = new Int32Array(m + 1);
  const index: number[] = [];
  const weight: number[] = [];
  for (let o = 0; o < m; o++) {
    const size = starts[o + 1] - starts[o];
    for (let j = Math.floor(starts[o] / t); j * t < starts[o + 1]; j++) {
      index.push(j);
      weight.push((Math.min(starts[o + 1], (j + 1) * t) - Math.max(starts[o], j * t)) / size);
    }
    start[o + 1] = index.length;
  }
  return { start, index: Int32Array.from(index), weight: Float64Array.from(weight) };
}

/** Area-weighted mean of an LR plane over the display boxes of its ×t upscale (w × h), rows then columns. */
function shrinkUpscaled(plane: Float32Array, lw: number, lh: number, t: number, w: number, h: number): Float32Array {
  const rows = areaTaps(lh, t, h);
  const cols = areaTaps(lw, t, w);
  const mid = new Float32Array(h * lw);
  for (let oy = 0; oy < h; oy++) {
    const out = oy * lw;
    for (let e = rows.start[oy]; e < rows.start[oy + 1]; e++) {
      const f = rows.weight[e];
      const from = rows.index[e] * lw;
      for (let j = 0; j < lw; j++) mid[out + j] += f * plane[from + j];
    }
  }
  const out = new Float32Array(w * h);
  const { start, index, weight } = cols;
  for (let oy = 0; oy < h; oy++) {
    const row = oy * lw;
    for (let ox = 0; ox < w; ox++) {
      let s = 0;
      for (let e = start[ox]; e < start[ox + 1]; e++) s += weight[e] * mid[row + index[e]];
      out[oy * w + ox] = s;
    }
  }
  return out;
}

/** ycbcr2rgb as a matrix on (Y·255 − 16, Cb·255 − 128, Cr·255 − 128), read off color.ts once. */
const TO_RGB = (() => {
  const at = (dy: number, db: number, dr: number) => yCbCrToRgb((16 + dy) / 255, (128 + db) / 255, (128 + dr) / 255);
  const [y, b, r] = [at(1, 0, 0), at(0, 1, 0), at(0, 0, 1)];
  return [0, 1, 2].map((c) => [y[c], b[c], r[c]] as const);
})();

/** Display rows [y, y + height) of x̂_k, full frame width, RGBA. */
export interface FramePatch {
  y: number;
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** Display rows [y, y + height) of |W x̂_k − y| (box means of its LR pixels). */
export interface ResidualPatch {
  y: number;
  width: number;
  height: number;
  data: Float32Array;
}

/** What one band of one x̂_k adds to an app's view of the run. */
export interface FrameUpdate {
  k: number;
  K: number;
  /** L(z_k) and the fraction of the image it covers (RestoreEvent 'band'); 1 for whole frames. */
  likelihood: number;
  coverage: number;
  /** Size of the whole display frame and of the whole residual map. */
  frameSize: { width: number; height: number };
  residualSize: { width: number; height: number };
  frame: FramePatch;
  residual: ResidualPatch;
  /** Σ |W x̂_k − y| over the band's observed LR pixels and their count (for the exact mean). */
  absSum: number;
  pixels: number;
}

/**
 * RGBA of display pixels from their luma box means `Y` (display pixels p0, p0 + 1, …) and the job's
 * display chroma / alpha (absent: grey / opaque), a byte at a time (faster here than packing words).
 */
function toRgba(
  Y: Float32Array,
  p0: number,
  cb: Float32Array | undefined,
  cr: Float32Array | undefined,
  alpha: Float32Array | undefined,
  rgba: Uint8Array,
): void {
  const n = Y.length;
  const [[r0, r1, r2], [g0, g1, g2], [b0, b1, b2]] = TO_RGB;
  // One loop per case (colour or grey, alpha or opaque): the per-pixel tests cost more than the conversion.
  if (cb && cr) {
    for (let i = 0, o = 0; i < n; i++, o += 4) {
      // RGB (0..1) = M · (Y·255 − 16, Cb·255 − 128, Cr·255 − 128), rounded and clipped to 8 bits.
      const y = Y[i] * 255 - 16;
      const u = cb[p0 + i] * 255 - 128;
      const v = cr[p0 + i] * 255 - 128;
      rgba[o] = level(r0 * y + r1 * u + r2 * v);
      rgba[o + 1] = level(g0 * y + g1 * u + g2 * v);
      rgba[o + 2] = level(b0 * y + b1 * u + b2 * v);
    }
  } else
    for (let i = 0, o = 0; i < n; i++, o += 4) {
      const g = level(Y[i]);
      rgba[o] = g;
      rgba[o + 1] = g;
      rgba[o + 2] = g;
    }
  if (alpha) for (let i = 0, o = 3; i < n; i++, o += 4) rgba[o] = level(alpha[p0 + i]);
  else for (let o = 3; o < rgba.length; o += 4) rgba[o] = 255;
}

/** A 0..1 value as an 8-bit level: rounded (halves up, as Math.round for these non-negative values), clipped. */
function level(v: number): number {
  return v <= 0 ? 0 : v >= 1 ? 255 : (v * 255 + 0.5) | 0;
}

/** Turns a super-resolution run's band events into display frames and residual maps, patch by patch. */
export class SrFrameStream {
  readonly frameSize: { width: number; height: number };
  readonly residualSize: { width: number; height: number };
  readonly #luma: BandShrinker[] = [];
  readonly #residual: BandShrinker[] = [];
  readonly #cb?: Float32Array;
  readonly #cr?: Float32Array;
  readonly #alpha?: Float32Array;
  readonly #planes: LumaPlanes;
  readonly #t: number;

  constructor(planes: LumaPlanes, t: number, maxSide: number) {
    this.#planes = planes;
    this.#t = t;
    const W = planes.width * t;
    const H = planes.height * t;
    this.frameSize = displaySize(W, H, maxSide);
    this.residualSize = displaySize(planes.width, planes.height, maxSide);
    const { width: w, height: h } = this.frameSize;
    const shrink = (p: Float32Array | undefined) => p && shrinkUpscaled(p, planes.width, planes.height, t, w, h);
    this.#cb = shrink(planes.cb);
    this.#cr = shrink(planes.cr);
    this.#alpha = shrink(planes.alpha);
  }

  /** The display patches of one band of x̂_k. */
  add(event: { k: number; K: number; band: SrBand; likelihood: number; coverage: number }): FrameUpdate {
    const { k, K, band } = event;
    const t = this.#t;
    const { width: w, height: h } = this.frameSize;
    this.#luma[k - 1] ??= new BandShrinker(band.width, band.height, w, h);
    this.#residual[k - 1] ??= new BandShrinker(
      this.#planes.width,
      this.#planes.height,
      this.residualSize.width,
      this.residualSize.height,
    );
    const y = this.#luma[k - 1].add(band.y0, band.luma);
    const rgba = new Uint8Array(y.values.length * 4);
    toRgba(y.values, y.y * w, this.#cb, this.#cr, this.#alpha, rgba);
    const r = this.#residual[k - 1].add(band.y0 / t, band.residual, true);
    return {
      k,
      K,
      likelihood: event.likelihood,
      coverage: event.coverage,
      frameSize: this.frameSize,
      residualSize: this.residualSize,
      frame: { y: y.y, width: w, height: y.height, rgba },
      residual: { y: r.y, width: this.residualSize.width, height: r.height, data: r.values },
      absSum: r.total,
      pixels: band.residual.length,
    };
  }
}

/**
 * The frames of a run as an app keeps them: per k, the residual map assembled from patches, which of
 * its rows it holds, and the residual's exact mean; with `rgba`, the display frame too. An app's server
 * answers residual views from it, while its UI keeps the display frames from the patches it is sent:
 * a copy here would cost K display frames (≈ 20 MB each at 2560 px) faulted in and filled on the
 * store's thread for every run, and stay resident with the run.
 */
export class FrameStore {
  readonly #keepRgba: boolean;
  readonly #frames = new Map<
    number,
    {
      rgba?: Uint8Array;
      residual: Float32Array;
      rows: Uint8Array;
      absSum: number;
      pixels: number;
      likelihood: number;
      coverage: number;
    }
  >();
  frameSize = { width: 0, height: 0 };
  residualSize = { width: 0, height: 0 };
  K = 0;

  constructor({ rgba = false }: { rgba?: boolean } = {}) {
    this.#keepRgba = rgba;
  }

  apply(u: FrameUpdate): void {
    this.K = u.K;
    this.frameSize = u.frameSize;
    this.residualSize = u.residualSize;
    let f = this.#frames.get(u.k);
    if (!f) {
      f = {
        ...(this.#keepRgba ? { rgba: new Uint8Array(u.frameSize.width * u.frameSize.height * 4) } : {}),
        residual: new Float32Array(u.residualSize.width * u.residualSize.height),
        rows: new Uint8Array(u.residualSize.height),
        absSum: 0,
        pixels: 0,
        likelihood: 0,
        coverage: 0,
      };
      this.#frames.set(u.k, f);
    }
    f.rgba?.set(u.frame.rgba, u.frame.y * u.frameSize.width * 4);
    f.residual.set(u.residual.data, u.residual.y * u.residualSize.width);
    f.rows.fill(1, u.residual.y, u.residual.y + u.residual.height);
    f.absSum += u.absSum;
    f.pixels += u.pixels;
    f.likelihood = u.likelihood;
    f.coverage = u.coverage;
  }

  has(k: number): boolean {
    return this.#frames.has(k);
  }

  /** x̂_k's display frame (rows not streamed yet are transparent); undefined unless made with `rgba`. */
  frame(k: number): { width: number; height: number; rgba: Uint8Array } | undefined {
    const rgba = this.#frames.get(k)?.rgba;
    return rgba && { ...this.frameSize, rgba };
  }

  /** x̂_k's residual map, which of its rows hold values, and the exact mean over the pixels seen. */
  residual(
    k: number,
  ): { width: number; height: number; data: Float32Array; rows: Uint8Array; mean: number; coverage: number } | undefined {
    const f = this.#frames.get(k);
    return (
      f && {
        ...this.residualSize,
        data: f.residual,
        rows: f.rows,
        mean: f.pixels ? f.absSum / f.pixels : 0,
        coverage: f.coverage,
      }
    );
  }

  /** Bytes held (frames and residual maps). */
  get bytes(): number {
    let n = 0;
    for (const f of this.#frames.values()) n += (f.rgba?.byteLength ?? 0) + f.residual.byteLength + f.rows.byteLength;
    return n;
  }

  clear(): void {
    this.#frames.clear();
  }
}
