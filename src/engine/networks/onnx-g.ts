/**
 * g through onnxruntime: the parts training/export_onnx.py writes (g.0.onnx, g.1.onnx, …,
 * listed with their sha256 in model.json's additive `onnx` field), one InferenceSession each, run in
 * order on the engine's NHWC network input; the result is z in NHWC, exactly the array tfjs's g
 * gives. Cancellation is checked before every part (a run cannot be interrupted).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createSession, ortModule, ortThreads, type OrtSession, type OrtTensor } from '../backends/onnx-runtime.js';
import { CancelledError, type CancelCheck } from '../dlnet.js';
import { UserError } from '../image.js';
import type { LoadedWeights, OnnxIo, OnnxPartEntry } from '../model-file.js';
import { releaseArrays } from '../release-buffer.js';

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

export class OnnxG {
  /** Milliseconds spent in session.run, summed (profiles). */
  runMs = 0;

  private constructor(
    private readonly sessions: OrtSession[],
    private readonly entries: OnnxPartEntry[],
  ) {}

  /**
   * Opens one session per part (`threads` intra-op threads each), after checking every file's
   * sha256 against model.json: a damaged or changed file is refused with one sentence.
   */
  static async open(source: OnnxSource, threads = ortThreads()): Promise<OnnxG> {
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
        sessions.push(await createSession(ort, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), threads));
      }
    } catch (error) {
      await Promise.all(sessions.map((s) => s.release()));
      throw error;
    }
    return new OnnxG(sessions, source.entries);
  }

  /**
   * z = g(a) for the NHWC network input `a` ([n, h, w, c]); z is NHWC [n, h, w, C], in a buffer of its
   * own (the caller may release it: release-buffer.ts). The parts' intermediate outputs are released here.
   */
  async run(a: Float32Array, dims: [number, number, number, number], cancel?: CancelCheck): Promise<Float32Array> {
    const ort = ortModule()!;
    let feed: OrtTensor = new ort.Tensor('float32', a, dims);
    for (let i = 0; i < this.sessions.length; i++) {
      if (cancel?.aborted) throw new CancelledError();
      const t0 = performance.now();
      const out = await this.sessions[i].run({ [this.entries[i].inputs[0].name]: feed });
      this.runMs += performance.now() - t0;
      // The previous part's output (onnxruntime-node's fresh buffer, not the caller's input) is spent.
      if (i > 0) releaseArrays(feed.data as Float32Array);
      feed = out[this.entries[i].outputs[0].name];
    }
    return feed.data as Float32Array;
  }

  async release(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.release()));
  }
}
