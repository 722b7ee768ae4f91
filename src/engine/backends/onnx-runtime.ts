/**
 * The onnxruntime backend: onnxruntime-node's CPU execution provider runs the networks'
 * g (the bulk of the FLOPs) from the ONNX files training/export_onnx.py writes next to the weights,
 * and the SR head's conv and adjoint as matrix products (onnx-head.ts); everything else (W and its
 * adjoint, Adam, the masked networks' heads) stays on tfjs-wasm, which backend.ts initialises beside it.
 *
 * onnxruntime-node is an optionalDependency whose CPU libraries ship inside the npm package (its
 * install script only fetches optional CUDA pieces, which the project's .npmrc skips). It is loaded
 * through the same replaceable loader as the tfjs packages, and a load counts only once a tiny conv
 * graph built here (onnx-proto.ts) has run and given the right answer: a broken install is then
 * reported with one sentence and the chain falls through to wasm.
 *
 * onnxruntime-node's InferenceSession.run is synchronous inside a setImmediate: a run blocks its
 * thread (as a tfjs-wasm op does), so the engine runs g in parts and checks for cancellation between
 * them, and the app runs restorations in worker threads as before. Types are declared here (not
 * imported from the package) so the project typechecks where the optional package is missing.
 */
import { availableParallelism } from 'node:os';
import { convStackModel } from './onnx-proto.js';
import { releaseArrays } from '../release-buffer.js';

export const ORT_PACKAGE = 'onnxruntime-node';

export interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
  dispose?(): void;
}

export interface OrtSession {
  /** `fetches`: outputs to write into tensors of the caller's (onnxruntime copies them there). */
  run(feeds: Record<string, OrtTensor>, fetches?: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}

export interface OrtModule {
  InferenceSession: { create(model: string | Uint8Array, options?: Record<string, unknown>): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  env: { versions?: { node?: string; common?: string } };
}

/**
 * session.run with every output written into the caller's tensor in `outputs`. onnxruntime-node (1.31)
 * returns a fresh copy of each output besides, preallocated or not; left to the garbage collector, each
 * copy is mapped and page-faulted in anew on every run (backends/README.md), so it is given back at once.
 * Returns `outputs`.
 */
export async function runInto(
  session: OrtSession,
  feeds: Record<string, OrtTensor>,
  outputs: Record<string, OrtTensor>,
): Promise<Record<string, OrtTensor>> {
  const copies = await session.run(feeds, outputs);
  for (const name of Object.keys(outputs)) releaseArrays(copies[name].data as Float32Array);
  return outputs;
}

let loaded: { ort: OrtModule; version: string } | undefined;
let threadsOverride: number | undefined;

/** The onnxruntime-node module selectBackend loaded in this thread (undefined before, or if it failed). */
export function ortModule(): OrtModule | undefined {
  return loaded?.ort;
}

/**
 * Intra-op threads of each session this thread opens: DLNET_ORT_THREADS, else what the worker pool
 * set (cores / workers), else every core.
 */
export function ortThreads(): number {
  const env = Number(process.env.DLNET_ORT_THREADS);
  if (Number.isInteger(env) && env >= 1) return env;
  return threadsOverride ?? Math.max(1, availableParallelism());
}

/** Sets the intra-op threads of sessions opened from now on in this thread (a pool worker: cores / workers). */
export function setOrtThreads(threads: number | undefined): void {
  threadsOverride = threads === undefined ? undefined : Math.max(1, Math.floor(threads));
}

export interface SessionOptions {
  /**
   * onnxruntime's CPU arena: the session keeps the memory of its largest run and serves every later run
   * from it. Off by default, for bounded memory: it kept ~1.9 GB resident for the SR models' 4-part g on
   * one slab (0.45 GB without), and memory patterns raised the ×4 24 MP peak RSS from 1347 to 1750 MB
   * (wasm: 1247 MB). On for the interpolation network's one-part g (about 100 MB kept per worker): without
   * it every run mapped its layers' outputs afresh whenever glibc had trimmed its heap in between, and a
   * 449 × 465 tile's g took 600–950 ms instead of 300 (page faults, ~10 µs each on the dev VM).
   * DLNET_ORT_ARENA=1 / DLNET_ORT_PATTERN=1 turn either on everywhere, for a measurement.
   */
  arena?: boolean;
}

export function createSession(
  ort: OrtModule,
  model: string | Uint8Array,
  threads = ortThreads(),
  { arena = false }: SessionOptions = {},
): Promise<OrtSession> {
  return ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    enableCpuMemArena: arena || process.env.DLNET_ORT_ARENA === '1',
    enableMemPattern: process.env.DLNET_ORT_PATTERN === '1',
  });
}

/**
 * Loads onnxruntime-node with `loader` and runs a one-conv probe graph on it. Throws (a short
 * message, no stack) when the package cannot be loaded or computes a wrong answer.
 */
export async function loadOrt(loader: (specifier: string) => Promise<unknown>): Promise<{ ort: OrtModule; version: string }> {
  const mod = (await loader(ORT_PACKAGE)) as Partial<OrtModule> & { default?: OrtModule };
  const ort = (mod?.InferenceSession ? mod : mod?.default) as OrtModule | undefined;
  if (!ort?.InferenceSession || !ort.Tensor) throw new Error('it has no InferenceSession');
  const session = await createSession(
    ort,
    convStackModel(1, 1, () => new Float32Array(9).fill(1)),
    1,
  );
  try {
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(9).fill(1), [1, 1, 3, 3]) });
    const y = out.y?.data as Float32Array | undefined;
    if (!y || Math.abs(y[4] - 9) > 1e-5) throw new Error(`its probe convolution gave ${y?.[4]} where 9 is expected`);
  } finally {
    await session.release();
  }
  loaded = { ort, version: ort.env?.versions?.node ?? 'unknown version' };
  return loaded;
}

/** Seeded uniform numbers in [−a, a) (the probe's weights and input). */
function filled(n: number, amplitude: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 2 * amplitude;
  }
  return out;
}

/**
 * onnxruntime's own 3×3 conv throughput (GFLOP/s): the best of `repeats` runs of `layers` fused
 * conv + ReLU (C → C channels) on a size² map, in one session with `threads` intra-op threads. The
 * bench's `native_conv_gflops`, the ceiling the onnxruntime figures are measured against.
 */
export async function ortConvGflops(
  size: number,
  channels: number,
  layers: number,
  repeats: number,
  threads = ortThreads(),
): Promise<number> {
  const ort = ortModule();
  if (!ort) throw new Error('onnxruntime-node is not loaded in this thread.');
  const amp = Math.sqrt(6 / (9 * channels));
  const session = await createSession(
    ort,
    convStackModel(channels, layers, (i) => filled(channels * channels * 9, amp, i + 1)),
    threads,
  );
  try {
    const x = new ort.Tensor('float32', filled(channels * size * size, 1, 99), [1, channels, size, size]);
    await session.run({ x }); // warm-up: weight prepacking, arena growth
    let best = 0;
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      await session.run({ x });
      const s = (performance.now() - t0) / 1000;
      best = Math.max(best, (layers * size * size * channels * channels * 9 * 2) / 1e9 / s);
    }
    return best;
  } finally {
    await session.release();
  }
}
