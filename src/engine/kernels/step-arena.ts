/**
 * The DL-Net steps' work memory, and their Adam step, W's row pass and the head's tap sums in WebAssembly
 * SIMD on it.
 *
 * The steps (parallel/sr-compute.ts, masked-steps.ts) keep z, m and v over the active entries, the
 * dense a = ReLU(z) and a slab of ∂L/∂a as views on one zeroed buffer, kept from call to call. Here
 * that buffer is a WebAssembly memory, so the Adam step runs as adam.wat's loop, four entries per
 * instruction, in single precision as the trained model's Adam did: 15 ms for 7.7 M entries on
 * this dev VM where active-adam.ts's JS loop took 52 ms. Where WebAssembly cannot give the memory
 * (no SIMD, or past its 4 GiB), the buffer is a plain ArrayBuffer and the JS step runs instead, as it
 * does for a gradient held anywhere else.
 *
 * The memory can only grow; release() drops it for the garbage collector.
 */
import { adamActive, countActive, fillActive, reluRows, type ActiveAdam, type ZRows } from '../active-adam.js';
import type { DLNetSettings } from '../dlnet.js';
import { ReusedBuffer } from '../release-buffer.js';
import { ACTIVE_WASM } from './active-wasm.js';
import { ADAM_WASM } from './adam-wasm.js';
import { ROWS_WASM } from './rows-wasm.js';
import { SHUFFLE_WASM } from './shuffle-wasm.js';
import { SPLIT_WASM } from './split-wasm.js';
import { TAPS_WASM } from './taps-wasm.js';

type AdamKernel = (
  index: number,
  z: number,
  m: number,
  v: number,
  grad: number,
  a: number,
  j0: number,
  j1: number,
  beta1: number,
  beta2: number,
  gammaC1: number,
  c2: number,
) => void;

type TapRowKernel = (out: number, u0: number, u1: number, u2: number, n: number) => void;

/**
 * A row pass of W or Wᵀ (parallel/sr-operator.ts weightedRows) done elsewhere: dst[d + p] = Σ_i w[i] · src[s[i] + p]
 * for p < len over `count` source rows; false where it did nothing.
 */
export type RowPass = (
  src: Float32Array,
  s: Int32Array,
  w: Float64Array,
  count: number,
  dst: Float32Array,
  d: number,
  len: number,
) => boolean;

type RowsKernel = (
  dst: number,
  len: number,
  fresh: number,
  n: number,
  s0: number,
  w0: number,
  s1: number,
  w1: number,
  s2: number,
  w2: number,
  s3: number,
  w3: number,
) => void;

/**
 * The sparse entries of a channel split (parallel/channel-split.ts) that a pass reads, [from, to) of
 * `where` (pixel·C + channel), on rows r0..r1 of a region rw wide; T outputs; the kernel as rowTaps.
 */
export interface SparseRows {
  where: Int32Array;
  entries: readonly [number, number];
  C: number;
  rw: number;
  rows: readonly [number, number];
  T: number;
  rowTaps: Float32Array;
}

/**
 * A channel split's partition of the active set (parallel/channel-split.ts): index (pixel·C + channel) and
 * z over the active entries, each channel's role (its dense rank, or −1), the dense a (Cd per pixel) and
 * the arrays the sparse entries go to.
 */
export interface ActivePartition {
  index: Int32Array;
  z: Float32Array;
  C: number;
  roles: Int32Array;
  Cd: number;
  a: Float32Array;
  where: Int32Array;
  aSparse: Float32Array;
}

/** The arguments both sparse kernels of split.wat start with (addresses and sizes). */
type SparseArgs = [
  where: number,
  values: number,
  from: number,
  to: number,
  C: number,
  shift: number,
  rw: number,
  r0: number,
  r1: number,
];

interface SplitKernels {
  channelCounts: (index: number, n: number, C: number, counts: number) => void;
  split: (
    index: number,
    z: number,
    n: number,
    C: number,
    roles: number,
    Cd: number,
    a: number,
    where: number,
    aSparse: number,
  ) => number;
  sparseForward: (...args: [...SparseArgs, T: number, rowTaps: number, out: number]) => void;
  sparseGrads: (...args: [...SparseArgs, T: number, rowTaps: number, dr: number, planeStride: number]) => void;
}

interface ActiveKernels {
  count: (a: number, n: number) => number;
  relu: (a: number, n: number) => void;
  activeSet: (a: number, index: number, active: number, n: number, table: number) => number;
}

/**
 * Entries the active-set kernel may write past the count in `index` and in `active` (it stores four
 * at a time): the steps leave this many free after each array.
 */
export const ACTIVE_SLACK = 4;

/**
 * Floats that the active set's `index` and compact z take in a work buffer, each followed by
 * ACTIVE_SLACK free entries (activeSetViews).
 */
export function activeSetFloats(count: number): number {
  return 2 * (count + ACTIVE_SLACK);
}

/**
 * The active set's `index` and compact z (`count` entries each) laid out from byte `at` of `work`,
 * each followed by the ACTIVE_SLACK entries StepArena.fillActive may write; `end`: the byte after them.
 */
export function activeSetViews(
  work: ArrayBuffer,
  at: number,
  count: number,
): { index: Int32Array; z: Float32Array; end: number } {
  return {
    index: new Int32Array(work, at, count),
    z: new Float32Array(work, at + 4 * (count + ACTIVE_SLACK), count),
    end: at + 4 * activeSetFloats(count),
  };
}

/**
 * active.wat's shuffle table: for each mask of the four lanes > 0, the bytes that pack those lanes to
 * the front (0x80: a zero byte).
 */
function packTable(): Uint8Array {
  const table = new Uint8Array(TABLE_BYTES).fill(0x80);
  for (let mask = 0; mask < 16; mask++) {
    let to = 0;
    for (let lane = 0; lane < 4; lane++)
      if (mask & (1 << lane)) for (let b = 0; b < 4; b++) table[mask * 16 + to++] = lane * 4 + b;
  }
  return table;
}

const PAGE = 65536;
const MAX_PAGES = 65536;
/** The shuffle table's bytes, kept in the memory's last 256 bytes (past every buffer zeroed() hands out). */
const TABLE_BYTES = 256;
const PACK_TABLE = packTable();

interface KernelModules {
  adam: WebAssembly.Module;
  taps: WebAssembly.Module;
  active: WebAssembly.Module;
  rows: WebAssembly.Module;
  split: WebAssembly.Module;
  shuffle: WebAssembly.Module;
}

/** shuffle.wat's exports (byte addresses). */
interface ShuffleKernels {
  shuffle2: (x: number, skip: number, r0: number, r1: number, n: number) => void;
  unshuffle2: (d0: number, d1: number, x: number, n: number) => void;
}

let compiled: KernelModules | null | undefined;

/** The kernels compiled once per thread, or null where this WebAssembly lacks SIMD. */
function kernelModules(): KernelModules | null {
  if (compiled === undefined) {
    const [adam, taps, active, rows, split, shuffle] = [
      ADAM_WASM,
      TAPS_WASM,
      ACTIVE_WASM,
      ROWS_WASM,
      SPLIT_WASM,
      SHUFFLE_WASM,
    ].map((b64) => Buffer.from(b64, 'base64'));
    compiled = [adam, taps, active, rows, split, shuffle].every((bytes) => WebAssembly.validate(bytes))
      ? {
          adam: new WebAssembly.Module(adam),
          taps: new WebAssembly.Module(taps),
          active: new WebAssembly.Module(active),
          rows: new WebAssembly.Module(rows),
          split: new WebAssembly.Module(split),
          shuffle: new WebAssembly.Module(shuffle),
        }
      : null;
  }
  return compiled;
}

export class StepArena {
  #memory?: WebAssembly.Memory;
  #adam?: AdamKernel;
  #tapRow?: TapRowKernel;
  #rows?: RowsKernel;
  #active?: ActiveKernels;
  #split?: SplitKernels;
  #shuffle?: ShuffleKernels;
  readonly #fallback = new ReusedBuffer();

  /** A zeroed buffer of at least `bytes` bytes; views on an earlier one must no longer be used. */
  zeroed(bytes: number): ArrayBuffer {
    const memory = this.#grow(bytes);
    if (!memory) return this.#fallback.zeroed(bytes);
    this.#fallback.release();
    new Uint8Array(memory.buffer, 0, bytes).fill(0);
    return memory.buffer;
  }

  /**
   * The steps' work buffer for a region of z: z's rows copied, packed, into its first rows·rowLen floats
   * (where the steps keep a = ReLU(z)), `bytesFor(count)` bytes in all. The rest holds whatever the last
   * task left there (tens of MB per step task, not zeroed): the steps write every array there before
   * reading it, except Adam's moments, which they zero themselves. `count`: the
   * entries of z > 0 (counted only when `wantCount` is set, else 0), counted on the copy in active.wat
   * where the buffer is this arena's memory. Views on an earlier buffer must no longer be used.
   */
  withZ(zRows: ZRows, wantCount: boolean, bytesFor: (count: number) => number): { work: ArrayBuffer; count: number } {
    const n = zRows.rows * zRows.rowLen;
    const staged = this.#grow(4 * n);
    if (staged) {
      copyRows(zRows, new Float32Array(staged.buffer, 0, n));
      const count = wantCount ? this.#active!.count(0, n) : 0;
      const bytes = bytesFor(count);
      const memory = this.#grow(bytes);
      if (memory) return { work: memory.buffer, count };
    }
    const count = wantCount ? countActive(zRows) : 0;
    const work = this.#fallback.zeroed(bytesFor(count));
    copyRows(zRows, new Float32Array(work, 0, n));
    return { work, count };
  }

  /** a = ReLU(a) in place (a holding z: withZ), in active.wat where a lies in this arena. */
  relu(a: Float32Array): void {
    if (this.#inMemory(a)) this.#active!.relu(a.byteOffset, a.length);
    else reluRows({ z: a, rows: 1, rowLen: a.length }, a);
  }

  /**
   * a = ReLU(a) in place (a holding z: withZ) and the active set (active-adam.ts fillActive): where every
   * array lies in this arena, active.wat packs the entries > 0 four at a time; `index` and `active` then
   * need ACTIVE_SLACK free entries after them.
   */
  fillActive(a: Float32Array, index: Int32Array, active: Float32Array): void {
    if (![a, index, active].every((x) => this.#inMemory(x))) {
      fillActive({ z: a, rows: 1, rowLen: a.length }, a, index, active);
      return;
    }
    const memory = this.#memory!;
    const count = this.#active!.activeSet(
      a.byteOffset,
      index.byteOffset,
      active.byteOffset,
      a.length,
      memory.buffer.byteLength - TABLE_BYTES,
    );
    if (count !== index.length) throw new Error(`the active set has ${count} entries where ${index.length} were counted`);
  }

  #inMemory(...xs: (Float32Array | Int32Array)[]): boolean {
    return this.#memory !== undefined && xs.every((x) => x.buffer === this.#memory!.buffer);
  }

  /**
   * The channel split's passes (parallel/channel-split.ts) in split.wat where every array lies in this arena:
   * counts[c] += the active entries of channel c. False where it did nothing.
   */
  channelCounts(index: Int32Array, C: number, counts: Int32Array): boolean {
    if (!this.#inMemory(index, counts)) return false;
    this.#split!.channelCounts(index.byteOffset, index.length, C, counts.byteOffset);
    return true;
  }

  /** channel-split.ts's partition of the active set (split.wat `split`): the dense count, or -1 where it did nothing. */
  splitActive(part: ActivePartition): number {
    const { index, z, C, roles, Cd, a, where, aSparse } = part;
    if (!this.#inMemory(index, z, roles, a, where, aSparse)) return -1;
    const b = (x: Float32Array | Int32Array) => x.byteOffset;
    return this.#split!.split(b(index), b(z), index.length, C, b(roles), Cd, b(a), b(where), b(aSparse));
  }

  /** channel-split.ts addSparseForward's loop (split.wat); false where it did nothing. */
  sparseForward(on: SparseRows, aSparse: Float32Array, out: Float32Array): boolean {
    if (!this.#inMemory(on.where, on.rowTaps, aSparse, out)) return false;
    this.#split!.sparseForward(...this.#sparseArgs(on, aSparse), on.T, on.rowTaps.byteOffset, out.byteOffset);
    return true;
  }

  /** channel-split.ts sparseGradients' loop (split.wat); false where it did nothing. */
  sparseGrads(on: SparseRows, grad: Float32Array, dr: Float32Array, planeStride: number): boolean {
    if (!this.#inMemory(on.where, on.rowTaps, grad, dr)) return false;
    this.#split!.sparseGrads(...this.#sparseArgs(on, grad), on.T, on.rowTaps.byteOffset, dr.byteOffset, planeStride);
    return true;
  }

  /** The arguments both sparse kernels start with. */
  #sparseArgs(on: SparseRows, values: Float32Array): SparseArgs {
    const [from, to] = on.entries;
    const [r0, r1] = on.rows;
    return [on.where.byteOffset, values.byteOffset, from, to, on.C, log2(on.C), on.rw, r0, r1];
  }

  /** Whether the Adam steps on this arena's buffers run in WebAssembly. */
  get simd(): boolean {
    return this.#memory !== undefined;
  }

  /**
   * adamActive (active-adam.ts): in the kernel where every array is a view on this arena's memory,
   * else in JS.
   */
  adam(
    active: ActiveAdam,
    grad: Float32Array,
    gradOffset: number,
    j0: number,
    j1: number,
    k: number,
    settings: Pick<DLNetSettings, 'gamma' | 'beta1' | 'beta2'>,
  ): void {
    const buffer = this.#memory?.buffer;
    const { index, z, m, v, a } = active;
    if (!buffer || ![index, z, m, v, a, grad].every((x) => x.buffer === buffer)) {
      adamActive(active, grad, gradOffset, j0, j1, k, settings);
      return;
    }
    if (j1 <= j0) return;
    const { gamma, beta1, beta2 } = settings;
    this.#adam!(
      index.byteOffset,
      z.byteOffset,
      m.byteOffset,
      v.byteOffset,
      (grad.byteOffset - 4 * gradOffset) | 0, // grad[0]'s address in entries of a: wraps, as the kernel expects
      a.byteOffset,
      j0,
      j1,
      beta1,
      beta2,
      gamma / (1 - beta1 ** k),
      1 / (1 - beta2 ** k),
    );
  }

  /**
   * out[ob + j] += (taps[p0 + j − 1] + taps[p1 + j]) + taps[p2 + j + 1] for j in 0..n−1, where those
   * entries exist (one output row of the head's conv: parallel/head-taps.ts), in the kernel when both
   * arrays lie in this arena and n ≥ 2. Returns false where it did nothing (the caller's JS loop runs).
   */
  tapRow(out: Float32Array, ob: number, taps: Float32Array, p0: number, p1: number, p2: number, n: number): boolean {
    const buffer = this.#memory?.buffer;
    if (!buffer || n < 2 || out.buffer !== buffer || taps.buffer !== buffer) return false;
    const t = taps.byteOffset;
    this.#tapRow!(out.byteOffset + 4 * ob, t + 4 * p0, t + 4 * p1, t + 4 * p2, n);
    return true;
  }

  /**
   * W's and Wᵀ's row pass (parallel/sr-operator.ts weightedRows: dst[d + p] = Σ_i w[i] · src[s[i] + p], p < len)
   * in rows.wat, in single precision, where both arrays lie in this arena. Returns false where it did nothing
   * (the caller's JS loop runs, in doubles).
   */
  readonly weightedRows: RowPass = (src, s, w, count, dst, d, len) => {
    const buffer = this.#memory?.buffer;
    if (!buffer || src.buffer !== buffer || dst.buffer !== buffer) return false;
    if (count === 0) {
      dst.fill(0, d, d + len);
      return true;
    }
    const rows = this.#rows!;
    const at = (j: number) => src.byteOffset + 4 * s[j];
    const out = dst.byteOffset + 4 * d;
    // Four source rows per call, grouped as the JS loop groups them (a group of three adds a zero-weight fourth).
    for (let i = 0; i < count; i += 4) {
      const k = Math.min(4, count - i);
      const fresh = i === 0 ? 1 : 0;
      if (k === 1) rows(out, len, fresh, 1, at(i), w[i], 0, 0, 0, 0, 0, 0);
      else if (k === 2) rows(out, len, fresh, 2, at(i), w[i], at(i + 1), w[i + 1], 0, 0, 0, 0);
      else
        rows(
          out,
          len,
          fresh,
          4,
          at(i),
          w[i],
          at(i + 1),
          w[i + 1],
          at(i + 2),
          w[i + 2],
          at(k === 4 ? i + 3 : i + 2),
          k === 4 ? w[i + 3] : 0,
        );
    }
    return true;
  };

  /**
   * One HR row of the head's pixel shuffle at ×2 from planar products (parallel/sr-compute.ts shuffleRow):
   * x[o + 2j] = r[s0 + j] + skip[o + 2j], x[o + 2j + 1] = r[s1 + j] + skip[o + 2j + 1] for j < n, in shuffle.wat
   * where the three arrays lie in this arena. Returns false where it did nothing (the caller's JS loop runs).
   */
  shuffleRow2(x: Float32Array, skip: Float32Array, o: number, r: Float32Array, s0: number, s1: number, n: number): boolean {
    const buffer = this.#memory?.buffer;
    if (!buffer || x.buffer !== buffer || skip.buffer !== buffer || r.buffer !== buffer) return false;
    this.#shuffle!.shuffle2(x.byteOffset + 4 * o, skip.byteOffset + 4 * o, r.byteOffset + 4 * s0, r.byteOffset + 4 * s1, n);
    return true;
  }

  /** shuffleRow2's adjoint (unshuffleRow): d[d0 + j] = x[o + 2j], d[d1 + j] = x[o + 2j + 1] for j < n; false: not done. */
  unshuffleRow2(d: Float32Array, d0: number, d1: number, x: Float32Array, o: number, n: number): boolean {
    const buffer = this.#memory?.buffer;
    if (!buffer || d.buffer !== buffer || x.buffer !== buffer) return false;
    this.#shuffle!.unshuffle2(d.byteOffset + 4 * d0, d.byteOffset + 4 * d1, x.byteOffset + 4 * o, n);
    return true;
  }

  release(): void {
    this.#memory = undefined;
    this.#adam = undefined;
    this.#rows = undefined;
    this.#tapRow = undefined;
    this.#active = undefined;
    this.#split = undefined;
    this.#shuffle = undefined;
    this.#fallback.release();
  }

  /** The memory grown to `bytes`, or undefined where WebAssembly cannot give it. */
  #grow(bytes: number): WebAssembly.Memory | undefined {
    const pages = Math.ceil((Math.max(1, bytes) + TABLE_BYTES) / PAGE);
    if (pages > MAX_PAGES) return undefined;
    if (!this.#memory) {
      const modules = kernelModules();
      if (!modules) return undefined;
      try {
        const memory = new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES });
        const env = { env: { memory } };
        this.#adam = new WebAssembly.Instance(modules.adam, env).exports.adam as AdamKernel;
        this.#tapRow = new WebAssembly.Instance(modules.taps, env).exports.tapRow as TapRowKernel;
        this.#rows = new WebAssembly.Instance(modules.rows, env).exports.rows as RowsKernel;
        this.#active = new WebAssembly.Instance(modules.active, env).exports as unknown as ActiveKernels;
        this.#split = new WebAssembly.Instance(modules.split, env).exports as unknown as SplitKernels;
        this.#shuffle = new WebAssembly.Instance(modules.shuffle, env).exports as unknown as ShuffleKernels;
        this.#memory = memory;
      } catch {
        return undefined;
      }
      this.#writeTable();
      return this.#memory;
    }
    const have = this.#memory.buffer.byteLength / PAGE;
    if (pages > have) {
      try {
        this.#memory.grow(pages - have);
      } catch {
        this.release();
        return undefined;
      }
      this.#writeTable();
    }
    return this.#memory;
  }

  #writeTable(): void {
    const buffer = this.#memory!.buffer;
    new Uint8Array(buffer, buffer.byteLength - TABLE_BYTES).set(PACK_TABLE);
  }
}

/** log₂ n where n is a power of two, else −1 (split.wat then divides). */
function log2(n: number): number {
  const bits = Math.log2(n);
  return Number.isInteger(bits) ? bits : -1;
}

/** Copies z's rows into a, packed. */
function copyRows({ z, rows, rowLen, offset = 0, stride = rowLen }: ZRows, a: Float32Array): void {
  for (let r = 0; r < rows; r++) a.set(z.subarray(offset + r * stride, offset + r * stride + rowLen), r * rowLen);
}
