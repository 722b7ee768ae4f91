/**
 * Timing a batch with different numbers of worker threads (for `npm run bench`): the same folder
 * is processed once per entry of `jobs`, each time into a fresh temporary output folder that is
 * removed afterwards. Reports images/s over the whole run and over the time after the first worker
 * was ready (which leaves out the workers' start-up: loading TensorFlow.js and the model).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BackendPreference } from '../backend.js';
import { planBatch } from './plan.js';
import { runBatch } from './run.js';
import type { BatchFormat, BatchRequest, BackendInfo } from './types.js';

export interface BatchBenchOptions {
  readonly inputDir: string;
  readonly request: BatchRequest;
  /** Worker counts to compare (default [1, 2]). */
  readonly jobs?: readonly number[];
  readonly recursive?: boolean;
  readonly format?: BatchFormat;
  readonly backend?: BackendPreference;
  /** Where the temporary output folders go (default: the OS temporary folder). */
  readonly scratchDir?: string;
}

export interface BatchBenchResult {
  readonly jobs: number;
  readonly images: number;
  readonly failed: number;
  /** Whole run, workers' start-up included. */
  readonly seconds: number;
  readonly imagesPerSecond: number;
  /** From the first worker ready to the end. */
  readonly steadySeconds: number;
  readonly steadyImagesPerSecond: number;
  readonly backend?: BackendInfo;
}

/** Runs the batch once per worker count; see the file comment. */
export async function benchmarkBatch(options: BatchBenchOptions): Promise<BatchBenchResult[]> {
  const results: BatchBenchResult[] = [];
  for (const jobs of options.jobs ?? [1, 2]) {
    const out = await mkdtemp(path.join(options.scratchDir ?? os.tmpdir(), 'dlnet-batch-bench-'));
    try {
      const plan = await planBatch({
        inputDir: options.inputDir,
        outputDir: out,
        request: options.request,
        recursive: options.recursive ?? true,
        format: options.format ?? 'png',
      });
      let ready: number | undefined;
      const t0 = performance.now();
      const result = await runBatch(plan, {
        jobs,
        backend: options.backend ?? 'auto',
        onEvent: (event) => {
          if (event.type === 'backend') ready ??= performance.now();
        },
      });
      const t1 = performance.now();
      const seconds = (t1 - t0) / 1000;
      const steadySeconds = (t1 - (ready ?? t0)) / 1000;
      const images = result.summary.done;
      results.push({
        jobs,
        images,
        failed: result.summary.failed,
        seconds,
        imagesPerSecond: seconds > 0 ? images / seconds : 0,
        steadySeconds,
        steadyImagesPerSecond: steadySeconds > 0 ? images / steadySeconds : 0,
        ...(result.summary.backend ? { backend: result.summary.backend } : {}),
      });
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }
  return results;
}
