/**
 * g through onnxruntime: the parts training/export_onnx.py writes (g.0.onnx, g.1.onnx, …,
 * listed with their sha256 in model.json's additive `onnx` field), one InferenceSession each, run in
 * order on the engine's NHWC network input; the result is z in NHWC, exactly the array tfjs's g
 * gives. Cancellation is checked before every part (a run cannot be interrupted).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  createSession,
  ortModule,
  runInto,
  ortThreads,
  type OrtSession,
  type OrtTensor,
  type SessionOptions,
} from '../backends/onnx-runtime.js';
import { CancelledError, type CancelCheck } from '../dlnet.js';
import { UserError } from '../image.js';
import type { LoadedWeights, OnnxIo, OnnxPartEntry } from '../model-file.js';
import { releaseArrays, ReusedBuffer } from '../release-buffer.js';

export type { OnnxIo, OnnxPartEntry };

/** Where a model's g parts are: what a worker thread needs to open its own sessions. */
export interface OnnxSource {
  dir: string;
  entries: OnnxPartEntry[];
}

/** The model's ONNX parts of g, in order, or undefined when model.json lists none (or an incomplete set). */
export function onnxSource(weights: Pick<LoadedWeights, 'dir' | 'json'>, part = 'g'): OnnxSource | undefined {
  const list = (weights.json as { onnx?: OnnxPartEntry[] }).onnx;
  if (!Array.isArray(list)) return undefined;
  const entries = list.filter((e) => e?.part === part).sort((a, b) => a.index - b.index);
  if (entries.length === 0 || entries.some((e, i) => e.index !== i || e.parts !== entries.length)) return undefined;
  return { dir: weights.dir, entries };
}

/**
 * The largest network activation (bytes) a slab of g on onnxruntime may have (SR bands, interpolation
 * tiles). onnxruntime (its arena off, for bounded memory) allocates every layer's output afresh. In a
 * worker thread glibc serves these from the thread's arena, whose heaps are at most 64 MiB each, and a
 * layer holds about three activations at once: above a third of 64 MiB a heap no longer holds them,
 * glibc maps a fresh heap (or the block itself) and unmaps it when the layer is done, and every run
 * page-faults its activations in anew. Measured in one worker thread (shipped ×2 g, 64 channels, slab
 * shapes changing from run to run as the bands do): a 308 × 282 slab (22 MB per activation) took 54 000
 * page faults per run and ran at 83 GFLOP/s, a 282 × 282 one (20 MB) none, at 187 — onnxruntime's own
 * 3×3 conv rate on that core; the interpolation network's 453 × 425 tile (37 MB) faulted 90 000 pages on
 * every run and ran at a quarter of the rate of a 240 × 425 slab (20 MB).
 */
export const ONNX_SLAB_BYTES = 20 * 1024 * 1024;

export class OnnxG {
  /** Milliseconds spent in session.run, summed (profiles). */
  runMs = 0;
  /** runInRows's slab outputs, kept from call to call. */
  readonly #slabs = new ReusedBuffer();

  private constructor(
    private readonly sessions: OrtSession[],
    private readonly entries: OnnxPartEntry[],
  ) {}

  /**
   * Opens one session per part (`threads` intra-op threads each), after checking every file's
   * sha256 against model.json: a damaged or changed file is refused with one sentence.
   */
  static async open(source: OnnxSource, threads = ortThreads(), options: SessionOptions = {}): Promise<OnnxG> {
    const ort = ortModule();
    if (!ort) throw new Error('onnxruntime-node is not loaded in this thread.');
    const sessions: OrtSession[] = [];
    try {
      for (const e of source.entries) {
        let bytes: Buffer;
        try {
          bytes = await readFile(path.join(source.dir, e.file));
        } catch {
          throw new UserError(`The model in ${source.dir} cannot run on onnxruntime: ${e.file} is missing.`, 'bad-model');
        }
        if (createHash('sha256').update(bytes).digest('hex') !== e.sha256)
          throw new UserError(
            `The model in ${source.dir} cannot run on onnxruntime: the sha256 of ${e.file} does not match model.json.`,
            'bad-model',
          );
        sessions.push(
          await createSession(ort, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), threads, options),
        );
      }
    } catch (error) {
      await Promise.all(sessions.map((s) => s.release()));
      throw error;
    }
    return new OnnxG(sessions, source.entries);
  }

  /** Channels of z. */
  get channels(): number {
    const z = this.entries[this.entries.length - 1].outputs[0];
    return Number(z.shape[z.layout === 'NCHW' ? 1 : 3]);
  }

  /**
   * z = g(a) for the NHWC network input `a` ([n, h, w, c]); z is NHWC [n, h, w, C], in a buffer of its
   * own (the caller may release it: release-buffer.ts), or written into `into` where given (n·h·w·C
   * floats: onnxruntime writes an output into a tensor it is given). The parts' intermediate outputs are
   * released here.
   */
  async run(
    a: Float32Array,
    dims: [number, number, number, number],
    cancel?: CancelCheck,
    into?: Float32Array,
  ): Promise<Float32Array> {
    const ort = ortModule()!;
    let feed: OrtTensor = new ort.Tensor('float32', a, dims);
    for (let i = 0; i < this.sessions.length; i++) {
      if (cancel?.aborted) throw new CancelledError();
      const output = this.entries[i].outputs[0].name;
      const last = i === this.sessions.length - 1;
      if (last && into && this.entries[i].outputs[0].layout !== 'NHWC') throw new Error('run(…, into) needs an NHWC z.');
      const feeds = { [this.entries[i].inputs[0].name]: feed };
      const t0 = performance.now();
      const out =
        last && into
          ? await runInto(this.sessions[i], feeds, {
              [output]: new ort.Tensor('float32', into, [dims[0], dims[1], dims[2], this.channels]),
            })
          : await this.sessions[i].run(feeds);
      this.runMs += performance.now() - t0;
      // The previous part's output (onnxruntime-node's fresh buffer, not the caller's input) is spent.
      if (i > 0) releaseArrays(feed.data as Float32Array);
      feed = out[output];
    }
    return feed.data as Float32Array;
  }

  /**
   * run() on an NHWC input [1, h, w, c] in slabs of rows, each with `radius` rows of context (g's
   * receptive radius: the slabs then give exactly the whole input's z), so that no activation of
   * `channels` channels exceeds ONNX_SLAB_BYTES. z in a buffer of its own, or in `into` where given;
   * the slabs' z go through one buffer kept for the next call (their rows of context are dropped).
   */
  async runInRows(
    a: Float32Array,
    [n, h, w, c]: [number, number, number, number],
    radius: number,
    channels: number,
    cancel?: CancelCheck,
    maxBytes = ONNX_SLAB_BYTES,
    into?: Float32Array,
  ): Promise<Float32Array> {
    const rows = Math.max(1, Math.floor(maxBytes / (4 * channels * w)) - 2 * radius);
    if (n !== 1 || rows >= h) return this.run(a, [n, h, w, c], cancel, into);
    const C = this.channels;
    const z = into ?? new Float32Array(h * w * C);
    const slabFloats = Math.min(h, rows + 2 * radius) * w * C;
    const slabs = new Float32Array(this.#slabs.reused(4 * slabFloats), 0, slabFloats);
    for (let y0 = 0; y0 < h; y0 += rows) {
      const y1 = Math.min(h, y0 + rows);
      const s0 = Math.max(0, y0 - radius);
      const s1 = Math.min(h, y1 + radius);
      const slab = await this.run(
        a.subarray(s0 * w * c, s1 * w * c),
        [1, s1 - s0, w, c],
        cancel,
        slabs.subarray(0, (s1 - s0) * w * C),
      );
      z.set(slab.subarray((y0 - s0) * w * C, (y1 - s0) * w * C), y0 * w * C);
    }
    return z;
  }

  async release(): Promise<void> {
    this.#slabs.release();
    await Promise.all(this.sessions.map((s) => s.release()));
  }
}
