/**
 * The channels of z that the SR DL-Net steps (sr-compute.ts) carry entry by entry instead of through
 * h's matrix products.
 *
 * Only the entries of z that are > 0 at the start can move (ReLU′ is 0 elsewhere, so their gradient, m
 * and v stay 0), and on the shipped models most channels have few of them: over 300-row regions of
 * Set14 photos 10–27 % of z is active, and 17–41 of the 64 channels are active at under 1 % of the
 * pixels (several at none). h's conv and its adjoint cost the same per channel whatever its activity,
 * so a region's channels split in two:
 *
 * - dense: a = ReLU(z) keeps these channels per pixel (in ascending order) and goes through the products
 *   with the kernel restricted to them;
 * - sparse: the channels whose active entries cost less one by one than a channel of the products
 *   (fewer than SPARSE_FRACTION of the region's pixels). Each entry adds its nine taps into h's output
 *   and gathers its gradient from the nine pixels around it; channels with no active entry drop out.
 *
 * The work arrays keep the active entries' Adam state as before (index, z, m, v over `count` entries):
 * the dense ones first (index: their entry of the dense a, now pixel·Cd + rank), then the sparse ones
 * (index: 0, 1, … into their own a and gradient, `aSparse` and `gradSparse`; `where`: pixel·C + channel).
 * The result is that of the dense products up to float rounding (the sums run in another order). The
 * passes run in WebAssembly (kernels/split.wat) where the arrays lie in the steps' arena, else in JS here.
 */
import { lowerBound } from '../active-adam.js';
import type { ActivePartition, SparseRows, StepArena } from '../kernels/step-arena.js';

/** A channel with fewer active entries than this fraction of the region's pixels goes entry by entry. */
export const SPARSE_FRACTION = 1 / 32;

/** Entries at most that the sparse channels may have, for a region of `pixels` pixels. */
export function sparseCapacity(pixels: number): number {
  return Math.ceil(pixels / 2);
}

export interface ChannelSplit {
  /** The dense channels, ascending: a holds these per pixel, in this order. */
  dense: Int32Array;
  /** Active entries of the dense channels (the first of index, z, m, v); the sparse ones follow. */
  denseCount: number;
  /** Each sparse entry's pixel·C + channel, ascending. */
  where: Int32Array;
  /** ReLU of each sparse entry's z (h's input for it), kept by the Adam step. */
  aSparse: Float32Array;
  /** Each sparse entry's ∂L/∂a (sparseGradients). */
  gradSparse: Float32Array;
}

/**
 * Work arrays of a split: where, aSparse and gradSparse of sparseCapacity(pixels) entries, and C entries
 * for the channels' counts and roles.
 */
export interface SplitSpace {
  where: Int32Array;
  aSparse: Float32Array;
  gradSparse: Float32Array;
  counts: Int32Array;
  roles: Int32Array;
}

/** Floats that a SplitSpace takes. */
export function splitSpaceFloats(pixels: number, C: number): number {
  return 3 * sparseCapacity(pixels) + 2 * C;
}

/**
 * Splits the active set (index: pixel·C + channel, ascending; z: the values, all > 0) in place as the
 * module comment says, and writes the dense a (pixels × Cd, zeros where inactive) over `a`'s start.
 */
export function splitChannels(
  index: Int32Array,
  z: Float32Array,
  a: Float32Array,
  pixels: number,
  C: number,
  space: SplitSpace,
  arena?: StepArena,
): ChannelSplit {
  const count = index.length;
  const { counts, roles } = space;
  counts.fill(0);
  if (!arena?.channelCounts(index, C, counts))
    for (let j = 0; j < count; j++) {
      const at = index[j];
      counts[at - ((at / C) | 0) * C]++;
    }
  const isSparse = sparseChannels(counts, pixels, space.where.length);
  let Cd = 0;
  for (let c = 0; c < C; c++) roles[c] = isSparse[c] ? -1 : Cd++;
  a.fill(0, 0, pixels * Cd);
  const part = { index, z, C, roles, Cd, a, where: space.where, aSparse: space.aSparse };
  let nd = arena ? arena.splitActive(part) : -1;
  if (nd < 0) nd = splitActive(part);
  const ns = count - nd;
  z.set(space.aSparse.subarray(0, ns), nd);
  for (let s = 0; s < ns; s++) index[nd + s] = s;
  return {
    dense: Int32Array.from({ length: C }, (_, c) => c).filter((c) => roles[c] >= 0),
    denseCount: nd,
    where: space.where.subarray(0, ns),
    aSparse: space.aSparse.subarray(0, ns),
    gradSparse: space.gradSparse.subarray(0, ns),
  };
}

/** split.wat's `split` in JS: the dense entries to the front (and into a), the sparse ones to `where` and `aSparse`. */
function splitActive({ index, z, C, roles, Cd, a, where, aSparse }: ActivePartition): number {
  let nd = 0;
  let ns = 0;
  for (let j = 0; j < index.length; j++) {
    const at = index[j];
    const p = (at / C) | 0;
    const role = roles[at - p * C];
    const v = z[j];
    if (role < 0) {
      where[ns] = at;
      aSparse[ns++] = v;
    } else {
      index[nd] = p * Cd + role;
      a[index[nd]] = v;
      z[nd++] = v;
    }
  }
  return nd;
}

/** Which channels go entry by entry: the least active first, while under SPARSE_FRACTION and `capacity` in all. */
function sparseChannels(counts: Int32Array, pixels: number, capacity: number): Uint8Array {
  const isSparse = new Uint8Array(counts.length);
  const order = Array.from(counts.keys()).sort((p, q) => counts[p] - counts[q]);
  let total = 0;
  for (const c of order) {
    if (counts[c] >= pixels * SPARSE_FRACTION || total + counts[c] > capacity) break;
    isSparse[c] = 1;
    total += counts[c];
  }
  return isSparse;
}

/**
 * h's kernel (HWIO, 3 × 3 × C × T) for the sparse passes: for channel c, kernel row kh and output o, the
 * four floats at ((c·3 + kh)·T + o)·4 are K[kh][2][c][o], K[kh][1][c][o], K[kh][0][c][o] and 0, lined up
 * with the pixels j − 1, j, j + 1 (and j + 2) of the row that kernel row joins to pixel j.
 */
export function rowTaps(kernel: { shape: number[]; data: Float32Array }): Float32Array {
  const [, , C, T] = kernel.shape;
  const taps = new Float32Array(C * 3 * T * 4);
  for (let c = 0; c < C; c++)
    for (let kh = 0; kh < 3; kh++)
      for (let o = 0; o < T; o++)
        for (let lane = 0; lane < 3; lane++)
          taps[((c * 3 + kh) * T + o) * 4 + lane] = kernel.data[((kh * 3 + 2 - lane) * C + c) * T + o];
  return taps;
}

/** The sparse entries whose pixels lie on rows r0..r1 of a region rw wide, for a pass over them (`taps`: rowTaps). */
export function sparseRows(
  split: ChannelSplit,
  rowTaps: Float32Array,
  C: number,
  T: number,
  r0: number,
  r1: number,
  rw: number,
): SparseRows {
  const { where } = split;
  return { where, entries: [lowerBound(where, r0 * rw * C), lowerBound(where, r1 * rw * C)], C, rw, rows: [r0, r1], T, rowTaps };
}

/** Sparse entry s's channel c and pixel (i, j). */
function entryAt({ where, C, rw }: SparseRows, s: number): { c: number; i: number; j: number } {
  const p = (where[s] / C) | 0;
  const i = (p / rw) | 0;
  return { c: where[s] - p * C, i, j: p - i * rw };
}

/**
 * Adds the sparse entries' share of h's conv to `out` (T planes over rows r0..r1 of a region rw wide,
 * as headForward writes it): each entry on those rows spreads ReLU(z)·kernel over its 3 × 3 neighbours
 * (a's rows outside r0..r1 count as 0, as in headForward).
 */
export function addSparseForward(on: SparseRows, aSparse: Float32Array, out: Float32Array, arena?: StepArena): void {
  if (arena?.sparseForward(on, aSparse, out)) return;
  const { rw, T, rowTaps: taps } = on;
  const [r0, r1] = on.rows;
  const n = (r1 - r0) * rw;
  for (let s = on.entries[0]; s < on.entries[1]; s++) {
    const av = aSparse[s];
    if (!(av > 0)) continue;
    const { c, i, j } = entryAt(on, s);
    // Kernel row kh of the pixel at (i, j) reaches output row i − kh + 1, columns j − 1 … j + 1.
    for (let kh = 0; kh < 3; kh++) {
      const oi = i - kh + 1;
      if (oi < r0 || oi >= r1) continue;
      for (let o = 0; o < T; o++) {
        const at = o * n + (oi - r0) * rw + j - 1;
        const q = ((c * 3 + kh) * T + o) * 4;
        for (let lane = 0; lane < 3; lane++)
          if (j - 1 + lane >= 0 && j - 1 + lane < rw)
            out[at + lane] = Math.fround(out[at + lane] + Math.fround(av * taps[q + lane]));
      }
    }
  }
}

/**
 * ∂L/∂a of the sparse entries on rows r0..r1 into `gradSparse`, from dr (T planes of `planeStride` values
 * indexed by region pixel, read on rows r0..r1: what headAdjointSlab gathers its taps from).
 * Returns the entries written, [from, to).
 */
export function sparseGradients(
  on: SparseRows,
  gradSparse: Float32Array,
  dr: Float32Array,
  planeStride: number,
  arena?: StepArena,
): [number, number] {
  if (arena?.sparseGrads(on, gradSparse, dr, planeStride)) return [...on.entries];
  const { rw, T, rowTaps: taps } = on;
  const [r0, r1] = on.rows;
  for (let s = on.entries[0]; s < on.entries[1]; s++) {
    const { c, i, j } = entryAt(on, s);
    let g = 0;
    // Kernel row kh reads dr's row i + 1 − kh, columns j − 1 … j + 1.
    for (let kh = 0; kh < 3; kh++) {
      const ii = i + 1 - kh;
      if (ii < r0 || ii >= r1) continue;
      for (let o = 0; o < T; o++) {
        const at = o * planeStride + ii * rw + j - 1;
        const q = ((c * 3 + kh) * T + o) * 4;
        for (let lane = 0; lane < 3; lane++)
          if (j - 1 + lane >= 0 && j - 1 + lane < rw) g = Math.fround(g + Math.fround(dr[at + lane] * taps[q + lane]));
      }
    }
    gradSparse[s] = g;
  }
  return [...on.entries];
}
