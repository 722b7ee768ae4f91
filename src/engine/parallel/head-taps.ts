/**
 * A head's 3×3 conv (C → T channels, 'same' zero padding on rows r0..r1 of a region rw wide) and its
 * adjoint, computed from per-pixel matrix products (HeadProducts, on onnxruntime:
 * backends/onnx-head.ts) plus the nine shifted taps summed or gathered here, for the SR DL-Net
 * steps (sr-compute.ts).
 *
 * Both sides of the products are planar (one plane of pixels per channel or tap), so every tap is a
 * run of contiguous adds or one copy per row: with pixels interleaved, the JS loops over T = 4…16
 * values per pixel took about twice as long as onnxruntime's products themselves. The products run on
 * row slabs of about 4 MB (the 9·T tap planes would otherwise be up to 2.25× the size of z), written into
 * the caller's work arrays (the steps' arena, where the tap sums run in WebAssembly: kernels/step-arena.ts).
 */
import type { StepArena } from '../kernels/step-arena.js';

/**
 * Products with h's kernel: forward, C values per pixel (interleaved) → 9·T planes; adjoint, 9·T planes
 * → C values per pixel (interleaved). A plane holds `pixels` values. Each result is written into `into`
 * and returned as the view on it that holds it.
 */
export interface HeadProducts {
  /** Channels of the kernel (C). */
  readonly channels: number;
  /** The kernel of some channels only (ascending), for products whose per-pixel values are those channels'. */
  restrict(channels: ArrayLike<number>): HeadKernel;
  forward(a: Float32Array, pixels: number, into: Float32Array, kernel?: HeadKernel): Promise<Float32Array>;
  adjoint(planes: Float32Array, pixels: number, into: Float32Array, kernel?: HeadKernel): Promise<Float32Array>;
}

/** h's kernel over some of its channels (HeadProducts.restrict). */
export interface HeadKernel {
  readonly channels: number;
}

const SLAB_FLOATS = 1 << 20;

/** Rows per slab of a region rw pixels wide. */
export function headSlabRows(rw: number, C: number, T: number): number {
  return Math.max(1, Math.floor(SLAB_FLOATS / (rw * Math.max(C, 9 * T))));
}

/** Floats of the `cols` work array (9·T planes over one slab: the gathered taps of dr), and of headForward's `u`. */
export function headTapsFloats(rw: number, T: number, slabRows: number): number {
  return slabRows * rw * 9 * T;
}

/**
 * out (T planes over rows r0..r1, n = (r1 − r0)·rw values each) = bias + conv3×3(a), a's rows outside
 * r0..r1 taken as 0: u = forward(a) per slab (into `u`, headTapsFloats(rw, T, slabRows) floats), and each
 * tap plane added at its offset (in `arena`'s kernel where out and u lie in it). a holds C values per
 * pixel: all of h's channels, or those of `kernel` (C = kernel.channels; none: out is the bias).
 * Returns `out`.
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
  u: Float32Array,
  arena?: StepArena,
  kernel?: HeadKernel,
): Promise<Float32Array> {
  const n = (r1 - r0) * rw;
  for (let o = 0; o < T; o++) out.fill(bias[o], o * n, (o + 1) * n);
  if (C === 0) return out;
  for (let s0 = r0; s0 < r1; s0 += slabRows) {
    const s1 = Math.min(r1, s0 + slabRows);
    const ns = (s1 - s0) * rw;
    const taps = await head.forward(a.subarray(s0 * rw * C, s1 * rw * C), ns, u, kernel);
    // Source (si, sj) of tap (kh, kw) reaches output (si − kh + 1, sj − kw + 1). A tap row's three
    // taps are added to an output row in one pass (one read-modify-write of out instead of three).
    for (let kh = 0; kh < 3; kh++)
      for (let o = 0; o < T; o++) {
        const [p0, p1, p2] = [0, 1, 2].map((kw) => ((kh * 3 + kw) * T + o) * ns);
        for (let si = s0; si < s1; si++) {
          const i = si - kh + 1;
          if (i < r0 || i >= r1) continue;
          const ob = o * n + (i - r0) * rw;
          const ub = (si - s0) * rw;
          if (arena?.tapRow(out, ob, taps, p0 + ub, p1 + ub, p2 + ub, rw)) continue;
          if (rw === 1) {
            out[ob] += taps[p1 + ub];
            continue;
          }
          // Output column j takes u(kw = 0) at j − 1, u(1) at j, u(2) at j + 1, where those exist.
          out[ob] += taps[p1 + ub] + taps[p2 + ub + 1];
          for (let j = 1; j < rw - 1; j++) out[ob + j] += taps[p0 + ub + j - 1] + taps[p1 + ub + j] + taps[p2 + ub + j + 1];
          out[ob + rw - 1] += taps[p0 + ub + rw - 2] + taps[p1 + ub + rw - 1];
        }
      }
  }
  return out;
}

/**
 * The adjoint of headForward's conv applied to dr (T planes of `planeStride` values, indexed by region
 * pixel, read on rows r0..r1), on the slab of rows s0..s1: C per pixel (or kernel.channels), written into
 * `into`. `cols` receives the slab's gathered tap planes (9·T planes of (s1 − s0)·rw values).
 */
export async function headAdjointSlab(
  head: HeadProducts,
  dr: Float32Array,
  planeStride: number,
  r0: number,
  r1: number,
  rw: number,
  T: number,
  s0: number,
  s1: number,
  cols: Float32Array,
  into: Float32Array,
  kernel?: HeadKernel,
): Promise<Float32Array> {
  const n = (s1 - s0) * rw;
  for (let kh = 0; kh < 3; kh++)
    for (let kw = 0; kw < 3; kw++) {
      // cols[tap][i, j] = dr[i + 1 − kh, j + 1 − kw] where that pixel is inside rows r0..r1 and the region.
      const jFrom = Math.max(0, kw - 1);
      const jTo = Math.min(rw, rw + kw - 1);
      for (let o = 0; o < T; o++) {
        const plane = ((kh * 3 + kw) * T + o) * n;
        for (let i = s0; i < s1; i++) {
          const row = plane + (i - s0) * rw;
          const si = i + 1 - kh;
          if (si < r0 || si >= r1) {
            cols.fill(0, row, row + rw);
            continue;
          }
          const src = o * planeStride + si * rw + 1 - kw;
          cols.set(dr.subarray(src + jFrom, src + jTo), row + jFrom);
          if (jFrom > 0) cols[row] = 0;
          if (jTo < rw) cols[row + rw - 1] = 0;
        }
      }
    }
  if (kernel?.channels === 0) return into.subarray(0, 0);
  return head.adjoint(cols.subarray(0, 9 * T * n), n, into, kernel);
}
