/**
 * The bench's onnxruntime-against-wasm figures: a pool on each backend (the bench's own pool where
 * it already runs that backend), onnxruntime's own 3×3 conv throughput (the ceiling its figures are
 * measured against), and the same SR job timed on both, all in the bench's one run.
 */
import type { BackendName } from '../backend.js';
import type { LoadedWeights } from '../model-file.js';
import { SrWorkerPool } from '../parallel/pool.js';

export interface BackendComparison {
  /** A pool whose workers run g on onnxruntime, or null (with `note` saying why). */
  ort: SrWorkerPool | null;
  wasm: SrWorkerPool;
  note?: string;
  close(): Promise<void>;
}

export async function comparisonPools(
  weights: LoadedWeights,
  workers: number,
  main: SrWorkerPool,
  mainBackend: BackendName,
): Promise<BackendComparison> {
  const started: SrWorkerPool[] = [];
  let ort: SrWorkerPool | null = mainBackend === 'onnxruntime' ? main : null;
  let note: string | undefined;
  if (!ort) {
    const p = await SrWorkerPool.start(weights, { workers, backend: 'onnxruntime' });
    if (p.backend.startsWith('onnxruntime')) started.push((ort = p));
    else {
      note = `onnxruntime is not available here (the workers fell back to ${p.backend}).`;
      await p.close();
    }
  }
  const wasm = mainBackend === 'wasm' ? main : await SrWorkerPool.start(weights, { workers, backend: 'wasm' });
  if (wasm !== main) started.push(wasm);
  return { ort, wasm, note, close: async () => void (await Promise.all(started.map((p) => p.close()))) };
}

/**
 * onnxruntime's conv ceiling: every worker of `pool` runs the probe at once (GFLOP/s each), twice, the
 * best of the two kept per worker. A thread's first onnxruntime session can run at under half the rate
 * of its later ones on fresh memory (79 against 192–201 GFLOP/s on a 2-core AMD EPYC VM), which made the
 * ceiling, and every fraction measured against it, depend on what the worker had run before.
 */
export async function nativeCeiling(pool: SrWorkerPool, size: number, layers: number, repeats: number): Promise<number[]> {
  const first = await pool.ceiling(size, 64, layers, repeats, true);
  const second = await pool.ceiling(size, 64, layers, repeats, true);
  return first.map((g, i) => Math.max(g, second[i]));
}
