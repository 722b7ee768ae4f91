/**
 * Band-scheduled super-resolution of the LR luma plane (docs/protocols.md §2; docs/architecture.md §6), exact to the untiled run.
 *
 * The old tiler gave every tile depth + (K−1)·2·(r_W+1) + 2 LR pixels of context, so g (≈ all the
 * FLOPs) was recomputed over the wide DL-Net border: 58 px each side for depth 16, ×2, K = 5, i.e.
 * ~2× the g work of K = 1 at 384-px tiles. Here z = g(y) is computed once per LR pixel:
 *
 * - The image is cut into horizontal bands of owned rows [r0, r1) and each band into column chunks.
 * - z is kept in a row-band cache (rows [r0 − kM, r1 + kM) × full width × C, kM = the K-step margin
 *   (K−1)·2·(r_W+1) + 2). Moving to the next band keeps the rows it shares with the last one and
 *   computes only the new rows, chunk by chunk, each g slab with g's radius of y context (the only
 *   recomputation left, the same for every K).
 * - The K steps (sr-compute.ts, hand-written adjoints) run per chunk on a crop of the cache that
 *   is the chunk grown by kM, and the owned part of x̂_K is written to the output plane.
 *
 * Each g task and each step task is independent given the cache, so they are spread over
 * executors: in-process (one tfjs), or a pool of worker threads (parallel/pool.ts), where the y
 * plane, the z cache and the output are SharedArrayBuffers that the workers read and write in place.
 */
import { copyClipped, type LumaPlanes } from '../color.js';
import type { DLNetSettings } from '../dlnet.js';
import type { RestoreEvent } from '../restore-types.js';
import { flagCheck, raiseOnAbort } from './cancel-flag.js';
import { settleAll } from './close.js';
import type { HeadProducts } from './head-taps.js';
import { srOverlap, type SrCompute, type StepsRegion } from './sr-compute.js';

export interface SrJobPlan {
  /** LR size. */
  width: number;
  height: number;
  scale: number;
  C: number;
  /** y context of a g slab (g's receptive radius). */
  gContext: number;
  /** Context of a step region around its owned chunk. */
  kMargin: number;
  bands: { r0: number; r1: number }[];
  /** Column chunks of the g tasks (where gSlabPixels is set: the widest allowed; gChunks picks per slab). */
  chunks: { c0: number; c1: number }[];
  /**
   * The most pixels (context included) one g slab may have, or undefined (no bound): on onnxruntime each
   * g task takes as few chunks as keep its slabs within it (gChunks), so slabs of fewer rows are wider.
   */
  gSlabPixels?: number;
  /** Largest chunk width of g, and the multiple chunk counts are rounded up to (the executors). */
  chunkWidth: number;
  parallel: number;
  /**
   * Column chunks of the step tasks: as wide as the step buffers allow, which may be wider than g's (on
   * onnxruntime g's chunks are narrowed to keep each activation small): each step region recomputes
   * kMargin columns on both sides of its owned chunk.
   */
  stepChunks: { c0: number; c1: number }[];
  /** Rows the z cache holds. */
  cacheRows: number;
}

export interface SrPlanOptions {
  /** g's receptive-field radius in LR pixels (the depth of a plain conv stack). */
  radius: number;
  C: number;
  scale: number;
  K: number;
  /** The job's blur u: W's reach (and so the DL-Net margin) is shorter for bicubic (u = 0); default the longer. */
  blur?: number;
  /** Total context (old tiler's overlap); default srOverlap(radius, scale, K, blur). Smaller breaks exactness. */
  overlap?: number;
  /** Old tiler's tile size: own = tileSize − 2·overlap in both directions. */
  tileSize?: number;
  /** Owned rows per band (default 256) and largest chunk width (default 2048/scale) when tileSize is not given. */
  bandRows?: number;
  chunkWidth?: number;
  /** Largest chunk width of the step tasks (default chunkWidth; never narrower). */
  stepChunkWidth?: number;
  /** Bound on the pixels of one g slab, context included (SrJobPlan.gSlabPixels). */
  gSlabPixels?: number;
  /** Chunk count is rounded up to a multiple of this (the number of executors). */
  parallel?: number;
}

function split(length: number, parts: number): number[] {
  const b = [0];
  for (let i = 1; i < parts; i++) b.push(Math.round((i * length) / parts));
  b.push(length);
  return b;
}

export function planSrJob(width: number, height: number, o: SrPlanOptions): SrJobPlan {
  const overlap = o.overlap ?? srOverlap(o.radius, o.scale, o.K, o.blur);
  const gContext = Math.min(o.radius, overlap);
  const kMargin = Math.max(0, overlap - o.radius);
  const own = o.tileSize !== undefined ? Math.max(16, o.tileSize - 2 * overlap) : undefined;
  const bandRows = own ?? o.bandRows ?? 256;
  // Step buffers hold t² HR floats per LR pixel beside the C floats of z: narrower chunks at larger t.
  const chunkWidth = own ?? o.chunkWidth ?? Math.round(2048 / o.scale);
  const stepChunkWidth = own ?? Math.max(chunkWidth, o.stepChunkWidth ?? chunkWidth);
  const nb = Math.max(1, Math.ceil(height / bandRows));
  const p = Math.max(1, o.parallel ?? 1);
  const rb = split(height, nb);
  const bands = rb.slice(0, -1).map((r0, i) => ({ r0, r1: rb[i + 1] }));
  const chunks = columnChunks(width, chunkWidth, p);
  const stepChunks = columnChunks(width, stepChunkWidth, p);
  let cacheRows = 0;
  for (const b of bands) cacheRows = Math.max(cacheRows, Math.min(height, b.r1 + kMargin) - Math.max(0, b.r0 - kMargin));
  return {
    width,
    height,
    scale: o.scale,
    C: o.C,
    gContext,
    kMargin,
    bands,
    chunks,
    gSlabPixels: own === undefined ? o.gSlabPixels : undefined,
    chunkWidth,
    parallel: p,
    stepChunks,
    cacheRows,
  };
}

/**
 * The column chunks of g over image rows [y0, y1): plan.chunks, or where the plan bounds g's slabs, as
 * few chunks (a multiple of plan.parallel) as keep each slab, g's context included, within gSlabPixels.
 */
export function gChunks(plan: SrJobPlan, y0: number, y1: number): { c0: number; c1: number }[] {
  if (plan.gSlabPixels === undefined) return plan.chunks;
  const c = plan.gContext;
  const rows = Math.min(plan.height, y1 + c) - Math.max(0, y0 - c);
  const fits = Math.floor(plan.gSlabPixels / rows) - 2 * c;
  return columnChunks(plan.width, Math.max(32, Math.min(plan.chunkWidth, fits)), plan.parallel);
}

/** Chunks of at most `maxWidth` columns, their count rounded up to a multiple of `parallel`. */
function columnChunks(width: number, maxWidth: number, parallel: number): { c0: number; c1: number }[] {
  let n = Math.max(1, Math.ceil(width / maxWidth));
  if (n % parallel !== 0 && width >= 32 * parallel) n += parallel - (n % parallel);
  const cb = split(width, n);
  return cb.slice(0, -1).map((c0, i) => ({ c0, c1: cb[i + 1] }));
}

/** Shared state of one job: views on (Shared)ArrayBuffers. */
export interface SrJobBuffers {
  /** LR luma, height × width. */
  y: Float32Array;
  /** z cache, cacheRows × width × C. */
  z: Float32Array;
  /** HR luma, (height·t) × (width·t). */
  out: Float32Array;
  /** Raised (non-zero) when the job is cancelled; polled between layers and steps (cancel-flag.ts). */
  cancel: Int32Array;
  /**
   * Jobs that stream iterates: x̂_k of the band in progress, where each step task writes its owned part
   * in place (writeOwnedFrame): per k, the band's HR luma rows, then its LR residual rows (BandFrame).
   */
  frames?: Float32Array;
}

export interface GTask {
  kind: 'g';
  /** Image rows [y0, y1) and columns [x0, x1) of z to compute. */
  y0: number;
  y1: number;
  x0: number;
  x1: number;
  /** Image row held in cache row 0. */
  cacheTop: number;
}

export interface StepTask {
  kind: 'steps';
  /** Region (image LR coordinates) and the owned part. */
  rx: number;
  ry: number;
  rw: number;
  rh: number;
  own: { x: number; y: number; width: number; height: number };
  cacheTop: number;
  /** Post every x̂_k of the owned part and its residual (jobs that stream iterations). */
  frames: boolean;
}

export interface JobConst {
  plan: SrJobPlan;
  blur: number;
  settings: DLNetSettings;
  normalizer: number;
}

export interface StepResult {
  likelihoods: number[];
}

/**
 * Told that a step task has written x̂_k of its owned part and its residual into bufs.frames
 * (writeOwnedFrame), and the owned part's share of L(z_k).
 */
export type FrameSink = (k: number, likelihood: number) => void;

/** Runs tasks somewhere (this thread, or a worker). */
export interface SrExecutor {
  g(job: JobConst, bufs: SrJobBuffers, task: GTask): Promise<void>;
  steps(job: JobConst, bufs: SrJobBuffers, task: StepTask, onFrame?: FrameSink): Promise<StepResult>;
  /**
   * A worker's share of the final colour merge (sr-colour.ts mergeStrips) on shared buffers: the planes and
   * `data` are views on SharedArrayBuffers. Absent on this thread's executors.
   */
  colour?(task: ColourTask): Promise<void>;
}

/** Strips of the in-place colour merge (sr-colour.ts mergeWaves) for a worker. */
export interface ColourTask {
  planes: LumaPlanes;
  data: Float32Array;
  scale: number;
  starts: number[];
}

/** Copies the owned part of an HR region into the output plane. */
export function writeOwned(bufs: SrJobBuffers, plan: SrJobPlan, task: StepTask, xhat: Float32Array): void {
  const t = plan.scale;
  const regionW = task.rw * t;
  const outW = plan.width * t;
  const ox = (task.own.x - task.rx) * t;
  const oy = (task.own.y - task.ry) * t;
  const len = task.own.width * t;
  for (let r = 0; r < task.own.height * t; r++) {
    const from = (oy + r) * regionW + ox;
    bufs.out.set(xhat.subarray(from, from + len), (task.own.y * t + r) * outW + task.own.x * t);
  }
}

/**
 * Writes x̂_k over a step region (HR, rh·t × rw·t), clipped to 0..1 as the result is, and its residual (LR, rh × rw) where the band's
 * frames buffer holds the task's owned part: slot k − 1 of bufs.frames, the band's luma rows
 * (own.height·t × width·t) then its residual rows (own.height × width); a task owns whole band rows.
 */
export function writeOwnedFrame(
  bufs: SrJobBuffers,
  plan: SrJobPlan,
  task: StepTask,
  k: number,
  xhat: Float32Array,
  residual: Float32Array,
): void {
  const frames = bufs.frames!;
  const t = plan.scale;
  const { own } = task;
  const outW = plan.width * t;
  const lumaLen = own.height * t * outW;
  const at = (k - 1) * (lumaLen + own.height * plan.width);
  const regionW = task.rw * t;
  const ox = (own.x - task.rx) * t;
  const oy = (own.y - task.ry) * t;
  const len = own.width * t;
  for (let r = 0; r < own.height * t; r++) copyClipped(xhat, (oy + r) * regionW + ox, frames, at + r * outW + own.x * t, len);
  const lx = own.x - task.rx;
  const ly = own.y - task.ry;
  for (let r = 0; r < own.height; r++) {
    const from = (ly + r) * task.rw + lx;
    frames.set(residual.subarray(from, from + own.width), at + lumaLen + r * plan.width + own.x);
  }
}

/** Gathers the y slab of a g task (with context) and where its result goes. */
export function gSlab(job: JobConst, bufs: SrJobBuffers, task: GTask) {
  const { width, height, gContext: c, C } = job.plan;
  const sy0 = Math.max(0, task.y0 - c);
  const sy1 = Math.min(height, task.y1 + c);
  const sx0 = Math.max(0, task.x0 - c);
  const sx1 = Math.min(width, task.x1 + c);
  const sw = sx1 - sx0;
  const sh = sy1 - sy0;
  const y = new Float32Array(sw * sh);
  for (let r = 0; r < sh; r++) y.set(bufs.y.subarray((sy0 + r) * width + sx0, (sy0 + r) * width + sx1), r * sw);
  const crop = { x: task.x0 - sx0, y: task.y0 - sy0, width: task.x1 - task.x0, height: task.y1 - task.y0 };
  const dstOffset = ((task.y0 - task.cacheTop) * width + task.x0) * C;
  return { y, sh, sw, crop, dstOffset, dstStride: width * C };
}

/** y of a step region (copied) and z (a view on the cache: the steps only read it). */
export function stepRegion(job: JobConst, bufs: SrJobBuffers, task: StepTask): StepsRegion {
  const { width, C } = job.plan;
  const y = new Float32Array(task.rw * task.rh);
  for (let r = 0; r < task.rh; r++)
    y.set(bufs.y.subarray((task.ry + r) * width + task.rx, (task.ry + r) * width + task.rx + task.rw), r * task.rw);
  const own = { x: task.own.x - task.rx, y: task.own.y - task.ry, width: task.own.width, height: task.own.height };
  const zOffset = ((task.ry - task.cacheTop) * width + task.rx) * C;
  return { rh: task.rh, rw: task.rw, z: bufs.z, zOffset, zStride: width * C, y, own, normalizer: job.normalizer };
}

/**
 * x̂_k on one band's owned rows, once every chunk of the band has it (RunBandsOptions.onBand). With
 * reuseBandFrames its arrays are valid during the call only: the next band reuses them.
 */
export interface BandFrame {
  k: number;
  K: number;
  /** Owned LR rows [r0, r1) of the band (full width). */
  r0: number;
  r1: number;
  /** HR luma of x̂_k on those rows: (r1 − r0)·t × width·t, clipped to 0..1 (writeOwnedFrame). */
  luma: Float32Array;
  /** W x̂_k − y on the band's LR pixels, (r1 − r0) × width: what L(z_k) measures. */
  residual: Float32Array;
  /** The band's share of L(z_k): ½ Σ over its pixels of the squared residual / the image's pixel count. */
  likelihood: number;
}

export interface RunBandsOptions {
  signal?: AbortSignal;
  onEvent?: (event: RestoreEvent) => void;
  /**
   * Streams the iterations: called for every band and every k as soon as all chunks of the band have
   * x̂_k (band by band, every k of a band before the next band starts). The caller merges colour.
   */
  onBand?: (frame: BandFrame) => void;
  /** The frames' arrays are read during onBand only: one buffer serves every band (else each band gets its own). */
  reuseBandFrames?: boolean;
  /** Makes the frames buffers (on a worker pool: on SharedArrayBuffers, where the workers write them). */
  allocFrames?: (floats: number) => Float32Array;
  /** LR row whose band runs first (then the bands below it, then those above, nearest first); default 0. */
  firstRow?: number;
  /**
   * Single-band jobs of at least 64 LR rows: called once, early, with the HR luma whose top `rows`
   * LR rows are x̂_1 and the rest the bicubic upscale (preview-first streaming: g of the whole
   * region takes seconds; its first strip a fraction of that).
   */
  onPreview?: (luma: Float32Array, rows: number) => void;
}

/** LR rows of the preview strip, and the rows of z it needs (h's 3×3 conv and the skip's 2 px). */
function previewStrip(height: number): { rows: number; zRows: number } | null {
  if (height < 64) return null;
  const rows = Math.max(16, Math.round(height / 5));
  return { rows, zRows: rows + 3 };
}

/** Step tasks with K = 1 over the preview strip: x̂_1 = h(z) + skip of its rows, written to bufs.out. */
function previewTasks(plan: SrJobPlan, strip: { rows: number; zRows: number }): StepTask[] {
  return plan.stepChunks.map((c) => {
    const rx = Math.max(0, c.c0 - 3);
    const rx1 = Math.min(plan.width, c.c1 + 3);
    return {
      kind: 'steps',
      rx,
      ry: 0,
      rw: rx1 - rx,
      rh: strip.zRows,
      own: { x: c.c0, y: 0, width: c.c1 - c.c0, height: strip.rows },
      cacheTop: 0,
      frames: false,
    };
  });
}

/**
 * Runs the whole plan on `executors` (tasks of a phase are dealt out as executors free up) and
 * returns the HR luma in bufs.out.
 */
export async function runBands(
  job: JobConst,
  bufs: SrJobBuffers,
  executors: SrExecutor[],
  options: RunBandsOptions = {},
): Promise<void> {
  const stopListening = raiseOnAbort(bufs.cancel, options.signal);
  // A band's x̂_k is handed on after the messages already waiting: a worker posts its last frame just before
  // it reports the task done, and handing the frame on first (the consumer's display frames and files take
  // a tenth of a second per 12 MP frame) kept that worker and the next task waiting.
  const handOn = frameHandOff(options);
  try {
    await runPlan(job, bufs, executors, options, handOn);
    await handOn.settled();
  } catch (error) {
    options.signal?.throwIfAborted(); // a task a worker gave up on reads as the cancellation it is
    throw error;
  } finally {
    stopListening();
    handOn.close();
  }
}

/**
 * The order bands run in: the band holding `firstRow`, then the bands below it, then those above it
 * (nearest first), so the part of the image a viewer looks at fills in first.
 */
export function bandOrder(plan: SrJobPlan, firstRow = 0): number[] {
  const n = plan.bands.length;
  const found = plan.bands.findIndex((b) => firstRow < b.r1);
  const f = found < 0 ? n - 1 : found;
  return [...Array.from({ length: n - f }, (_, i) => f + i), ...Array.from({ length: f }, (_, i) => f - 1 - i)];
}

async function runPlan(
  job: JobConst,
  bufs: SrJobBuffers,
  executors: SrExecutor[],
  options: RunBandsOptions,
  handOn: FrameHandOff,
): Promise<void> {
  const { plan } = job;
  const { width, height, kMargin, C } = plan;
  const t = plan.scale;
  const single = plan.bands.length === 1;
  const wantFrames = options.onBand !== undefined;
  const total = plan.bands.length * plan.stepChunks.length;
  const rowLen = width * C;
  let done = 0;
  let cacheTop = 0;
  let have = 0; // cache rows [cacheTop, cacheTop + have) are valid
  // When the first band is not the top one, the rows of z it shares with the band above are kept
  // aside until that band runs (after the bands below): no row of z is computed twice.
  let stash: { top: number; rows: number; z: Float32Array } | null = null;
  /**
   * Deals `tasks` out to the executors as they free up, in order, passing over a task until
   * `ready(i, finished)` holds (a step task waits for the g tasks under its columns, not for the whole
   * band's g). Every executor's task in hand settles before the job does (close.ts settleAll).
   */
  const runAll = async (
    tasks: (() => (ex: SrExecutor) => Promise<unknown>)[],
    ready: (i: number, finished: readonly boolean[]) => boolean = () => true,
  ): Promise<void> => {
    const taken = new Array<boolean>(tasks.length).fill(false);
    const finished = new Array<boolean>(tasks.length).fill(false);
    let left = tasks.length;
    let failed = false;
    let waiting: (() => void)[] = [];
    const wake = () => {
      const w = waiting;
      waiting = [];
      for (const resolve of w) resolve();
    };
    await settleAll(
      executors.map(async (ex) => {
        try {
          while (left > 0 && !failed) {
            options.signal?.throwIfAborted();
            const i = taken.findIndex((t, j) => !t && ready(j, finished));
            if (i < 0) {
              // Only tasks waiting on ones in hand remain: the next one to finish may free one.
              await new Promise<void>((resolve) => waiting.push(resolve));
              continue;
            }
            taken[i] = true;
            left--;
            try {
              await tasks[i]()(ex);
            } finally {
              finished[i] = true;
              wake();
            }
          }
        } catch (error) {
          failed = true;
          wake();
          throw error;
        }
      }),
    );
  };
  type GRun = { c0: number; c1: number; run: () => (ex: SrExecutor) => Promise<void> };
  const gTasks = (y0: number, y1: number, top: number): GRun[] =>
    gChunks(plan, y0, y1).map((c) => ({
      ...c,
      run: () => (ex: SrExecutor) => ex.g(job, bufs, { kind: 'g', y0, y1, x0: c.c0, x1: c.c1, cacheTop: top }),
    }));
  const runs = (tasks: GRun[]) => tasks.map((task) => task.run);
  const order = bandOrder(plan, options.firstRow);
  // x̂_k of a band, written chunk by chunk by the step tasks themselves (bufs.frames, writeOwnedFrame: on a
  // pool a SharedArrayBuffer, so no copy travels between threads), handed on when every chunk has it: the K
  // luma planes and residuals of a band are views on one buffer (≈ 125 MB at ×4 on 24 MP), a mapping of its own (not K
  // chunks of glibc's arena that stay resident once freed, release-buffer.ts). With reuseBandFrames one
  // buffer serves every band (a band's frames are all handed on before the next band's steps start):
  // a fresh one per band is faulted in page by page, 1.6 s of the main thread per 12 MP ×2 K = 5 job on
  // the 2-core dev VM, time the workers wait for their next task.
  const K = job.settings.K;
  const maxBandRows = Math.max(...plan.bands.map((b) => b.r1 - b.r0));
  const framesBuffer = (rows: number) => (options.allocFrames ?? ((n) => new Float32Array(n)))(K * rows * width * (t * t + 1));
  const shared = wantFrames && options.reuseBandFrames ? framesBuffer(maxBandRows) : undefined;
  for (const bi of order) {
    const band = plan.bands[bi];
    options.signal?.throwIfAborted();
    const zTop = Math.max(0, band.r0 - kMargin);
    const zBot = Math.min(height, band.r1 + kMargin);
    // Rows of z this band needs that the cache (or the stash) already holds: moved to their place
    // under the new cacheTop = zTop; only the rest is computed.
    let v0 = Math.max(zTop, cacheTop);
    let v1 = Math.min(zBot, cacheTop + have);
    if (v1 > v0) {
      if (cacheTop !== zTop) bufs.z.copyWithin((v0 - zTop) * rowLen, (v0 - cacheTop) * rowLen, (v1 - cacheTop) * rowLen);
    } else if (stash !== null && Math.min(zBot, stash.top + stash.rows) > Math.max(zTop, stash.top)) {
      v0 = Math.max(zTop, stash.top);
      v1 = Math.min(zBot, stash.top + stash.rows);
      bufs.z.set(stash.z.subarray((v0 - stash.top) * rowLen, (v1 - stash.top) * rowLen), (v0 - zTop) * rowLen);
      stash = null;
    } else {
      v0 = v1 = zTop;
    }
    cacheTop = zTop;
    const strip = single && options.onPreview && v1 === v0 ? previewStrip(height) : null;
    if (strip) {
      await runAll(runs(gTasks(0, strip.zRows, 0)));
      v0 = 0;
      v1 = strip.zRows;
      const first = { ...job, settings: { ...job.settings, K: 1 } };
      await runAll(previewTasks(plan, strip).map((task) => () => (ex: SrExecutor) => ex.steps(first, bufs, task)));
      options.onPreview!(bufs.out, strip.rows);
    }
    let missing = [...(v0 > zTop ? gTasks(zTop, v0, zTop) : []), ...(zBot > v1 ? gTasks(Math.max(v1, zTop), zBot, zTop) : [])];
    have = zBot - zTop;
    if (bi === order[0] && bi > 0) {
      // The stash copies z once the whole band's g is done.
      if (missing.length > 0) await runAll(runs(missing));
      missing = [];
      const top = zTop;
      const rows = Math.min(zBot, band.r0 + kMargin) - top;
      stash = { top, rows, z: bufs.z.slice(0, rows * rowLen) };
    }
    const top = cacheTop;
    const stepTasks: StepTask[] = plan.stepChunks.map((c) => {
      const rx = Math.max(0, c.c0 - kMargin);
      const rx1 = Math.min(width, c.c1 + kMargin);
      return {
        kind: 'steps',
        rx,
        ry: zTop,
        rw: rx1 - rx,
        rh: zBot - zTop,
        own: { x: c.c0, y: band.r0, width: c.c1 - c.c0, height: band.r1 - band.r0 },
        cacheTop: top,
        frames: wantFrames,
      };
    });
    const bandRows = band.r1 - band.r0;
    const lumaLen = bandRows * t * width * t;
    const resLen = bandRows * width;
    const planes = wantFrames ? (shared ?? framesBuffer(bandRows)) : undefined;
    const pending: ({ n: number; L: number; luma: Float32Array; residual: Float32Array } | undefined)[] = new Array(K);
    bufs.frames = planes;
    const sink = (): FrameSink | undefined =>
      planes
        ? (k, L) => {
            const at = (k - 1) * (lumaLen + resLen);
            const slot = (pending[k - 1] ??= {
              n: 0,
              L: 0,
              luma: planes.subarray(at, at + lumaLen),
              residual: planes.subarray(at + lumaLen, at + lumaLen + resLen),
            });
            slot.L += L;
            if (++slot.n === stepTasks.length) {
              pending[k - 1] = undefined;
              handOn.add({ k, K, r0: band.r0, r1: band.r1, luma: slot.luma, residual: slot.residual, likelihood: slot.L });
            }
          }
        : undefined;
    const stepRuns = stepTasks.map((task) => () => async (ex: SrExecutor) => {
      await handOn.settled(); // the last band's frames are handed on (a shared frames buffer is free), or the consumer failed
      const r = await ex.steps(job, bufs, task, sink());
      done++;
      if (total > 1) options.onEvent?.({ type: 'tile', tile: done, tiles: total, likelihoods: r.likelihoods });
      options.onEvent?.({ type: 'progress', fraction: done / total });
    });
    // A step task starts once the g tasks under its region are done, while other executors still run the band's g.
    const under = stepTasks.map((task) => missing.flatMap((c, i) => (c.c1 > task.rx && c.c0 < task.rx + task.rw ? [i] : [])));
    const g = missing.length;
    await runAll([...runs(missing), ...stepRuns], (i, finished) => i < g || under[i - g].every((j) => finished[j]));
  }
}

interface FrameHandOff {
  add: (frame: BandFrame) => void;
  settled: () => Promise<void>;
  close: () => void;
}

/**
 * Hands band frames on to options.onBand one at a time, each after the events already waiting
 * (setImmediate). `settled()` resolves once every frame added so far is handed on, and throws what onBand threw.
 * Frames still queued when the job is aborted or closed are dropped.
 */
function frameHandOff(options: RunBandsOptions): FrameHandOff {
  let queue: Promise<void> = Promise.resolve();
  let failure: { error: unknown } | undefined;
  let closed = false;
  return {
    add: (frame) => {
      queue = queue.then(
        () =>
          new Promise<void>((resolve) =>
            setImmediate(() => {
              try {
                if (failure === undefined && !closed && !options.signal?.aborted) options.onBand!(frame);
              } catch (error) {
                failure = { error };
              }
              resolve();
            }),
          ),
      );
    },
    settled: async () => {
      await queue;
      if (failure !== undefined) throw failure.error;
    },
    /** Drops the frames still queued (the job failed). */
    close: () => {
      closed = true;
    },
  };
}

/** Executes tasks on this thread with one SrCompute. */
export class LocalExecutor implements SrExecutor {
  /** head: h's conv and its adjoint as matrix products (onnxruntime), else tfjs convs. */
  constructor(
    private readonly compute: SrCompute,
    private readonly head?: HeadProducts,
  ) {}

  async g(job: JobConst, bufs: SrJobBuffers, task: GTask): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    const s = gSlab(job, bufs, task);
    this.compute.g(s.y, s.sh, s.sw, job.blur, s.crop, bufs.z, s.dstOffset, s.dstStride, flagCheck(bufs.cancel));
  }

  async steps(job: JobConst, bufs: SrJobBuffers, task: StepTask, onFrame?: FrameSink): Promise<StepResult> {
    await new Promise((resolve) => setImmediate(resolve));
    const region = stepRegion(job, bufs, task);
    const { xhat, likelihoods } = await this.compute.steps(region, job.blur, job.settings, {
      onFrame:
        task.frames && onFrame && bufs.frames
          ? (k, x, L, res) => {
              writeOwnedFrame(bufs, job.plan, task, k, x, res);
              onFrame(k, L);
            }
          : undefined,
      signal: flagCheck(bufs.cancel),
      head: this.head,
    });
    writeOwned(bufs, job.plan, task, xhat);
    return { likelihoods };
  }
}
