/**
 * A head's 3×3 conv (C → T channels, 'same' zero padding on rows r0..r1 of a region rw wide) and its
 * adjoint, computed from per-pixel matrix products (HeadProducts, on onnxruntime:
 * backends/onnx-head.ts) plus the nine shifted taps summed or gathered here, for the SR DL-Net
 * steps (sr-compute.ts). The products run on row
 * slabs of about 4 MB (the 9·T-per-pixel tap arrays would otherwise be up to 2.25× the size of z);
 * each product's buffer is given back as soon as it is used (release-buffer.ts).
 */
import { releaseArrays } from '../release-buffer.js';

/** Per-pixel products with h's kernel, each in a fresh buffer: forward C → 9·T values, adjoint 9·T → C values. */
export interface HeadProducts {
  forward(a: Float32Array, pixels: number): Promise<Float32Array>;
  adjoint(cols: Float32Array, pixels: number): Promise<Float32Array>;
}

const SLAB_FLOATS = 1 << 20;

/** Rows per slab of a region rw pixels wide. */
export function headSlabRows(rw: number, C: number, T: number): number {
  return Math.max(1, Math.floor(SLAB_FLOATS / (rw * Math.max(C, 9 * T))));
}

/** Floats of the `cols` work array (9·T per pixel of one slab: the gathered taps of dr). */
export function headTapsFloats(rw: number, T: number, slabRows: number): number {
  return slabRows * rw * 9 * T;
}

/**
 * out (rows r0..r1, packed from r0, T per pixel) = bias + conv3×3(a) with a's rows outside r0..r1
 * taken as 0: u = forward(a) per slab, and each source pixel's nine taps added to the pixels they
 * reach. Returns `out`.
 */
export async function headForward(
  head: HeadProducts,
  a: Float32Array,
  r0: number,
  r1: number,
  rw: number,
  C: number,
  T: number,
  bias: Float32Array,
  slabRows: number,
  out: Float32Array,
): Promise<Float32Array> {
  const NT = 9 * T;
  const n = (r1 - r0) * rw;
  for (let p = 0; p < n; p++) for (let o = 0; o < T; o++) out[p * T + o] = bias[o];
  for (let s0 = r0; s0 < r1; s0 += slabRows) {
    const s1 = Math.min(r1, s0 + slabRows);
    const u = await head.forward(a.subarray(s0 * rw * C, s1 * rw * C), (s1 - s0) * rw);
    for (let si = s0; si < s1; si++)
      for (let kh = 0; kh < 3; kh++) {
        // Source row si, tap row kh reaches output row si − kh + 1; tap column kw moves sj to sj − kw + 1.
        const i = si - kh + 1;
        if (i < r0 || i >= r1) continue;
        for (let kw = 0; kw < 3; kw++) {
          const jFrom = Math.max(0, kw - 1);
          const jTo = Math.min(rw, rw + kw - 1);
          let oi = ((i - r0) * rw + jFrom - kw + 1) * T;
          let ui = ((si - s0) * rw + jFrom) * NT + (kh * 3 + kw) * T;
          for (let sj = jFrom; sj < jTo; sj++, oi += T, ui += NT) for (let o = 0; o < T; o++) out[oi + o] += u[ui + o];
        }
      }
    releaseArrays(u);
  }
  return out;
}

/**
 * The adjoint of headForward's conv applied to dr (rows r0..r1 of the region, indexed from row 0, T
 * per pixel), on the slab of rows s0..s1: C per pixel, in onnxruntime's fresh buffer (the caller
 * releases it once used). `cols` holds the slab's gathered taps.
 */
export async function headAdjointSlab(
  head: HeadProducts,
  dr: Float32Array,
  r0: number,
  r1: number,
  rw: number,
  T: number,
  s0: number,
  s1: number,
  cols: Float32Array,
): Promise<Float32Array> {
  const NT = 9 * T;
  const n = (s1 - s0) * rw;
  cols.fill(0, 0, n * NT);
  for (let i = s0; i < s1; i++)
    for (let kh = 0; kh < 3; kh++) {
      const si = i + 1 - kh;
      if (si < r0 || si >= r1) continue;
      for (let kw = 0; kw < 3; kw++) {
        // cols[i, j, tap] = dr[si, j + 1 − kw] where that column exists.
        const jFrom = Math.max(0, kw - 1);
        const jTo = Math.min(rw, rw + kw - 1);
        let ci = ((i - s0) * rw + jFrom) * NT + (kh * 3 + kw) * T;
        let di = (si * rw + jFrom + 1 - kw) * T;
        for (let j = jFrom; j < jTo; j++, ci += NT, di += T) for (let o = 0; o < T; o++) cols[ci + o] = dr[di + o];
      }
    }
  return head.adjoint(cols, n);
}
