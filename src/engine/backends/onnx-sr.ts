/**
 * The band engine's executor on the onnxruntime backend: g tasks run through onnxruntime (OnnxG,
 * the model's ONNX parts), the DL-Net step tasks as LocalExecutor runs them (hand-written adjoints)
 * with h's conv and its adjoint as matrix products on onnxruntime (OnnxHead). Used in-process
 * (restore-sr.ts superResolve) and in each SR worker thread (parallel/sr-worker.ts).
 */
import { activeBackend } from '../backend.js';
import { ONNX_SLAB_BYTES, OnnxG } from '../networks/onnx-g.js';
import { OnnxHead } from './onnx-head.js';
import { flagCheck } from '../parallel/cancel-flag.js';
import { releaseArrays } from '../release-buffer.js';
import type { SrCompute } from '../parallel/sr-compute.js';
import {
  gSlab,
  LocalExecutor,
  type FrameSink,
  type GTask,
  type JobConst,
  type SrExecutor,
  type SrJobBuffers,
  type StepResult,
  type StepTask,
} from '../parallel/sr-engine.js';

export class OnnxSrExecutor implements SrExecutor {
  private readonly local: LocalExecutor;

  constructor(
    private readonly compute: SrCompute,
    readonly net: OnnxG,
    readonly head?: OnnxHead,
  ) {
    this.local = new LocalExecutor(compute, head);
  }

  /**
   * Runs g once on a slab of the largest size the band engine gives it (onnxGLayout), so that this thread's
   * heap has grown to hold g's activations before the first job: growing it during a job page-faults
   * the activations in, layer after layer (a job's first bands ran g at under half its rate).
   */
  async warm(): Promise<void> {
    const side = Math.floor(Math.sqrt(onnxGLayout(this.compute.d.scale, this.compute.d.C).gSlabPixels));
    const channels = this.compute.d.conditioned ? 3 : 1;
    releaseArrays(await this.net.run(new Float32Array(side * side * channels), [1, side, side, channels]));
  }

  /** Releases the onnxruntime sessions (g's parts and the head's products). */
  async release(): Promise<void> {
    await Promise.all([this.net.release(), this.head?.release()]);
  }

  async g(job: JobConst, bufs: SrJobBuffers, task: GTask): Promise<void> {
    const t0 = performance.now();
    const s = gSlab(job, bufs, task);
    const d = this.compute.d;
    const n = s.sh * s.sw;
    let a = s.y;
    if (d.conditioned) {
      // [y, u/3, bicubic flag] per pixel (NHWC), as SrCompute.g concatenates them.
      a = new Float32Array(n * 3);
      const u = job.blur / 3;
      const flag = job.blur === 0 ? 1 : 0;
      for (let p = 0; p < n; p++) {
        a[3 * p] = s.y[p];
        a[3 * p + 1] = u;
        a[3 * p + 2] = flag;
      }
    }
    const z = await this.net.run(a, [1, s.sh, s.sw, d.conditioned ? 3 : 1], flagCheck(bufs.cancel));
    const C = d.C;
    const rowLen = s.crop.width * C;
    for (let r = 0; r < s.crop.height; r++) {
      const from = ((s.crop.y + r) * s.sw + s.crop.x) * C;
      bufs.z.set(z.subarray(from, from + rowLen), s.dstOffset + r * s.dstStride);
    }
    releaseArrays(z);
    this.compute.times.g += performance.now() - t0;
  }

  steps(job: JobConst, bufs: SrJobBuffers, task: StepTask, onFrame?: FrameSink): Promise<StepResult> {
    return this.local.steps(job, bufs, task, onFrame);
  }
}

/**
 * g's chunks on onnxruntime: at most half the default 2048/scale columns, so that one g part of the
 * largest slab stays well under a second (the longest a cancel waits), and each g task's slab, context
 * included, at most gSlabPixels (SrPlanOptions.gSlabPixels), so that no C-channel activation exceeds
 * ONNX_SLAB_BYTES, or half of it at ×4. At ×4 the output (16 HR pixels per LR pixel) dominates a job's
 * memory and g a smaller share of its time: with half-size slabs the peak resident set of a 24 MP ×4 job
 * with its iterates streamed read 1280 and 1335 MB where 20 MiB slabs read 1448 and 1499, and the job
 * took 12.5–12.6 s against 12.1–12.2 (2 workers, the dev VM).
 */
export function onnxGLayout(scale: number, channels: number): { chunkWidth: number; gSlabPixels: number } {
  const bytes = scale >= 4 ? ONNX_SLAB_BYTES / 2 : ONNX_SLAB_BYTES;
  return { chunkWidth: Math.round(1024 / scale), gSlabPixels: Math.floor(bytes / (4 * channels)) };
}

/** A sentence for logs when the onnxruntime backend is active but g stays on tfjs (no ONNX, a bad file). */
export let lastOnnxFallback: string | undefined;

/**
 * The executor for `compute` on the backend this thread runs: OnnxSrExecutor when it is
 * onnxruntime and the model ships ONNX parts of g that open; otherwise (or when they fail to open,
 * which is reported in lastOnnxFallback) the tfjs LocalExecutor.
 */
export async function srExecutor(compute: SrCompute, threads?: number): Promise<SrExecutor> {
  if (activeBackend() !== 'onnxruntime') return new LocalExecutor(compute);
  const source = compute.d.onnx;
  if (!source) {
    lastOnnxFallback = `The model lists no ONNX files, so its g runs on tfjs-wasm.`;
    return new LocalExecutor(compute);
  }
  try {
    const net = await OnnxG.open(source, threads);
    // The head's products only speed the steps up: if they cannot open, the steps keep tfjs's convs.
    return new OnnxSrExecutor(compute, net, await OnnxHead.open(compute.d.outKernel, threads).catch(() => undefined));
  } catch (error) {
    lastOnnxFallback = `${error instanceof Error ? error.message.replace(/\.$/, '') : String(error)}; its g runs on tfjs-wasm.`;
    return new LocalExecutor(compute);
  }
}

const opened = new WeakMap<SrCompute, Map<string, Promise<SrExecutor>>>();

/** srExecutor kept per compute and backend (the in-process path of restore-sr.ts keeps one compute per model). */
export function cachedSrExecutor(compute: SrCompute): Promise<SrExecutor> {
  let byBackend = opened.get(compute);
  if (!byBackend) opened.set(compute, (byBackend = new Map()));
  const key = activeBackend() ?? 'none';
  let e = byBackend.get(key);
  if (!e) {
    e = srExecutor(compute);
    byBackend.set(key, e);
  }
  return e;
}

/** Releases the onnxruntime sessions kept for `compute` (models being unloaded). */
export async function releaseSrExecutor(compute: SrCompute): Promise<void> {
  const kept = [...(opened.get(compute)?.values() ?? [])];
  opened.delete(compute);
  for (const p of kept) {
    const e = await p.catch(() => undefined);
    if (e instanceof OnnxSrExecutor) await e.release();
  }
}
