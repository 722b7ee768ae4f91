/**
 * Child process of `dlnet bench`: super-resolves ×4 to an `argv[2]` MP output on a pool of
 * `argv[3]` workers and prints {"peakRssMb", "seconds"}: the process's peak resident set (worker
 * threads included: they share the address space). `argv[5]` = 'frames': the
 * iterates stream as the app keeps them (IterationSink: display frames and residual maps kept,
 * x̂_1..x̂_{K−1} to disk).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { initBackend, type BackendPreference } from '../backend.js';
import { loadWeights } from '../model-file.js';
import { findModel } from '../models.js';
import { SrWorkerPool } from '../parallel/pool.js';
import { superResolveOnPool } from '../restore-sr.js';
import { IterationSink } from '../iteration-sink.js';
import { PREVIEW_SIDE, sizeFor, syntheticPhoto } from './bench.js';

const mp = Number(process.argv[2] ?? 24);
const workers = Number(process.argv[3] ?? 2);
const backend = (process.argv[4] ?? 'auto') as BackendPreference;
const sink = process.argv[5] === 'frames' ? new IterationSink({ maxSide: PREVIEW_SIDE, keep: true }) : undefined;
await initBackend(backend);
const weights = await loadWeights((await findModel('sr', 4)).dir);
const pool = await SrWorkerPool.start(weights, { workers, backend });
const { width, height } = sizeFor(mp, 4);
const image = syntheticPhoto(width / 4, height / 4);
const t0 = performance.now();
const settings = { K: weights.json.dlnet?.K ?? 5, gamma: weights.json.dlnet?.gamma ?? 1e-3, beta1: 0.9, beta2: 0.999 };
// As the app, the CLI and batch ask: the engine reuses one buffer for every band's iterates.
const out = await superResolveOnPool(
  pool,
  image,
  { scale: 4, blur: 0, settings },
  sink ? { onEvent: (e) => sink.add(e), transientBands: true } : {},
);
sink?.dispose();
const seconds = (performance.now() - t0) / 1000;
await pool.close();
if (out.width !== width) throw new Error('unexpected output size');
process.stdout.write(`${JSON.stringify({ peakRssMb: peakRssMb(), seconds })}\n`);

/**
 * This process's peak resident set in MB. On Linux from VmHWM (/proc/self/status), which starts
 * afresh at exec: getrusage's maxRSS keeps the peak of the process it was forked from, so a probe
 * forked by a bench that had grown to 2.3 GB reported 2.3 GB whatever it used itself.
 */
function peakRssMb(): number {
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) / 1024;
  } catch {
    // not Linux: getrusage below
  }
  return process.resourceUsage().maxRSS / 1024;
}
