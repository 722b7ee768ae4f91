/**
 * Compute backend selection (docs/architecture.md §5): tfjs-node-gpu (CUDA), then tfjs-node (native CPU), then
 * onnxruntime-node's CPU provider for the networks' g with tfjs-wasm for everything else
 * (backends/onnx-runtime.ts), then the WebAssembly backend alone, which is always
 * installed. The pure-JS "cpu" backend is never chosen.
 *
 * One tf namespace. Every tfjs package used here resolves `@tensorflow/tfjs-core` to the same
 * file: tfjs-core has no "exports" map, so both our ESM `import` and the CommonJS `require` of
 * tfjs-backend-wasm, @tensorflow/tfjs and tfjs-node land on its "main" (dist/tf-core.node.js),
 * and npm dedupes the pinned 4.22.0 to one copy. tfjs-node "ships its own tfjs-core" only through
 * its dependency on @tensorflow/tfjs 4.22.0, which is the same deduped copy; and even a second
 * copy would share the engine, kernel and gradient registries, which tfjs keeps on globalThis
 * (`_tfengine`, `_tfGlobals`). So ops called through the `tf` exported here run on whichever
 * backend `initBackend` set, and tensors cross packages freely. Keep all tfjs packages pinned to
 * the same version in package.json.
 *
 * Gradients. `import '@tensorflow/tfjs-core/dist/register_all_gradients.js'` cannot work under
 * plain Node: that file is an ES module with extension-less relative imports inside a package
 * that is not "type": "module" (Node fails with ERR_MODULE_NOT_FOUND / ERR_UNSUPPORTED_DIR_IMPORT,
 * and tsx fails too). The only CommonJS build that registers tfjs-core's gradients is the node
 * bundle of the @tensorflow/tfjs union package (the one tfjs-node itself loads), so we require it
 * once here for that side effect (~90 ms). It also registers the "cpu" backend, which we never select.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as WasmBackend from '@tensorflow/tfjs-backend-wasm';
import { UserError } from './image.js';
import { loadOrt, ortThreads, ORT_PACKAGE } from './backends/onnx-runtime.js';
import { BACKENDS, type BackendChoice } from '../base/backend.js';

const require = createRequire(import.meta.url);
require('@tensorflow/tfjs'); // side effect: registers every gradient of tfjs-core 4.22 (see above)

export { tf };

export type BackendPreference = BackendChoice;
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'onnxruntime' | 'wasm';
/** Every backend preference, in the order the CLI and the app list them. */
export const BACKEND_PREFERENCES: readonly BackendPreference[] = BACKENDS;

export interface SkippedBackend {
  /** The npm package (or backend) that was not used. */
  name: string;
  /** One sentence saying why. */
  reason: string;
}

export interface BackendReport {
  name: BackendName;
  skipped: SkippedBackend[];
  /** Facts about the chosen backend worth showing the user (SIMD, threads). */
  details?: string;
}

/** Loads a module by specifier; replaceable in tests to simulate installed or broken packages. */
export type ModuleLoader = (specifier: string) => Promise<unknown>;

const GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';
const CPU_PACKAGE = '@tensorflow/tfjs-node';
const WASM_PACKAGE = '@tensorflow/tfjs-backend-wasm';

const defaultLoader: ModuleLoader = (specifier) => import(specifier);

function isInstalled(specifier: string): boolean {
  try {
    require.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const line = message.split('\n')[0].trim().replace(/\.$/, '');
  return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** True when the native backend registered by tfjs-node(-gpu) actually runs on a CUDA device. */
function nativeUsesGpu(): boolean {
  const backend = tf.findBackend('tensorflow') as { isUsingGpuDevice?: boolean } | null;
  return backend?.isUsingGpuDevice === true;
}

/**
 * tfjs-node registers its kernels before it loads its native binding, and a second package (gpu after
 * cpu, or a failed load) re-registers them, printing one "kernel … already registered" warning per
 * kernel. Those lines say nothing to the user; every other warning still goes through.
 */
async function quietKernelWarnings<T>(load: () => Promise<T>): Promise<T> {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && /^The kernel '.*' for backend '.*' is already registered/.test(args[0])) return;
    warn(...args);
  };
  try {
    return await load();
  } finally {
    console.warn = warn;
  }
}

async function tryNative(
  specifier: string,
  loader: ModuleLoader,
  installed: (specifier: string) => boolean,
): Promise<string | undefined> {
  if (tf.findBackend('tensorflow') !== null) return undefined; // already loaded earlier in this process
  if (!installed(specifier)) return `${specifier} is not installed.`;
  try {
    await quietKernelWarnings(() => loader(specifier));
  } catch (error) {
    return `${specifier} is installed but could not be loaded (${firstLine(error)}).`;
  }
  if (tf.findBackend('tensorflow') === null) {
    return `${specifier} loaded but did not register its "tensorflow" backend.`;
  }
  return undefined;
}

async function useNative(): Promise<void> {
  if (!(await tf.setBackend('tensorflow'))) {
    throw new Error('The native TensorFlow backend failed to initialise.');
  }
}

async function useWasm(loader: ModuleLoader): Promise<string> {
  const wasm = (await loader(WASM_PACKAGE)) as typeof WasmBackend;
  if (typeof process !== 'undefined' && process.versions?.node !== undefined) {
    // In Node the .wasm files are read from the package's dist/ folder (trailing slash required).
    const dist = path.dirname(require.resolve(WASM_PACKAGE));
    wasm.setWasmPaths(`${dist}${path.sep}`);
  }
  if (!(await tf.setBackend('wasm'))) {
    throw new UserError('The WebAssembly compute backend failed to initialise.', 'backend');
  }
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = wasm.getThreadsCount();
  return `WebAssembly ${simd ? 'with' : 'without'} SIMD, ${threads} thread${threads === 1 ? '' : 's'}`;
}

/**
 * Chooses and initialises the backend. Exposed for tests, which pass a fake loader and
 * `installed` check; the app calls `initBackend`.
 */
export async function selectBackend(
  preference: BackendPreference,
  loader: ModuleLoader = defaultLoader,
  installed: (specifier: string) => boolean = isInstalled,
): Promise<BackendReport> {
  const skipped: SkippedBackend[] = [];
  if (preference === 'auto' || preference === 'tensorflow') {
    const gpuReason = await tryNative(GPU_PACKAGE, loader, installed);
    if (gpuReason === undefined) {
      await useNative();
      if (nativeUsesGpu()) return { name: 'tensorflow-gpu', skipped };
      skipped.push({ name: GPU_PACKAGE, reason: 'TensorFlow found no usable CUDA device, so it runs on the CPU.' });
      return { name: 'tensorflow', skipped };
    }
    skipped.push({ name: GPU_PACKAGE, reason: gpuReason });
    const cpuReason = await tryNative(CPU_PACKAGE, loader, installed);
    if (cpuReason === undefined) {
      await useNative();
      return { name: 'tensorflow', skipped };
    }
    skipped.push({ name: CPU_PACKAGE, reason: cpuReason });
    if (preference === 'tensorflow') {
      throw new UserError(
        `The native TensorFlow backend is not available (${skipped
          .map((s) => s.reason.replace(/\.$/, ''))
          .join('; ')}); use --backend wasm or auto.`,
        'backend',
      );
    }
  } else {
    skipped.push({
      name: 'tensorflow',
      reason: `The native TensorFlow backends were not tried because ${preference} was requested.`,
    });
  }
  if (preference === 'auto' || preference === 'onnxruntime') {
    const ort = await tryOrt(loader, installed);
    if (typeof ort !== 'string') {
      const wasm = await useWasm(loader);
      const threads = ortThreads();
      return {
        name: 'onnxruntime',
        skipped,
        details: `onnxruntime-node ${ort.version} CPU, ${threads} thread${threads === 1 ? '' : 's'} per session (a worker pool shares the cores out); other ops on ${wasm}`,
      };
    }
    skipped.push({ name: ORT_PACKAGE, reason: ort });
  } else {
    skipped.push({ name: ORT_PACKAGE, reason: 'onnxruntime was not tried because wasm was requested.' });
  }
  const details = await useWasm(loader);
  return { name: 'wasm', skipped, details };
}

/** Loads onnxruntime-node and runs its probe graph; a string says in one sentence why it cannot be used. */
async function tryOrt(loader: ModuleLoader, installed: (specifier: string) => boolean): Promise<{ version: string } | string> {
  if (!installed(ORT_PACKAGE)) return `${ORT_PACKAGE} is not installed.`;
  try {
    return await loadOrt(loader);
  } catch (error) {
    return `${ORT_PACKAGE} is installed but could not be loaded (${firstLine(error)}).`;
  }
}

const initialised = new Map<BackendPreference, Promise<BackendReport>>();
let lastPreference: BackendPreference | undefined;
let activeReport: BackendReport | undefined;

/** The backend the last initBackend in this thread settled on (undefined before any). */
export function activeBackend(): BackendName | undefined {
  return activeReport?.name;
}

/**
 * Initialises the compute backend once per preference and returns what was chosen and why the
 * others were skipped. Calling it again with the same preference returns the same report (and
 * re-activates that backend if another preference switched away from it in between).
 */
export async function initBackend(preference: BackendPreference = 'auto'): Promise<BackendReport> {
  lastPreference = preference;
  let pending = initialised.get(preference);
  if (pending === undefined) {
    pending = selectBackend(preference);
    initialised.set(preference, pending);
    pending.catch(() => initialised.delete(preference));
  }
  const report = await pending;
  const active = report.name === 'wasm' || report.name === 'onnxruntime' ? 'wasm' : 'tensorflow';
  activeReport = report;
  if (tf.getBackend() !== active) await tf.setBackend(active);
  return report;
}

/** The backend preference last asked for ('auto' if none): worker threads start the same one. */
export function lastBackendChoice(): BackendPreference {
  return lastPreference ?? 'auto';
}

/**
 * The backend the caller (CLI flag, app setting) chose, initialised on first use with 'auto'.
 * Engine code that needs tf should call this, not initBackend, so it never overrides the
 * user's choice.
 */
export function ensureBackend(): Promise<BackendReport> {
  return initBackend(lastPreference ?? 'auto');
}

interface WasmBackendInternals {
  wasm?: { HEAPU8?: Uint8Array };
  dataIdMap?: { get(dataId: object): { memoryOffset: number | null } | undefined };
}

/**
 * The values of a float32 tensor without a copy where the wasm backend holds it: a view on the
 * wasm heap, valid only until the next tf call (which may grow and move the heap); elsewhere
 * dataSync's copy. dataSync's fresh 100 MB buffers cost ~40 ms each in page faults alone, once per
 * DL-Net step (tfjs-backend-wasm 4.22 internals, pinned in package.json; falls back if they differ).
 */
export function readFloat32(t: tf.Tensor): Float32Array {
  if (t.dtype === 'float32' && tf.getBackend() === 'wasm') {
    const backend = tf.backend() as unknown as WasmBackendInternals;
    const heap = backend.wasm?.HEAPU8;
    const offset = backend.dataIdMap?.get(t.dataId as object)?.memoryOffset;
    if (heap && typeof offset === 'number' && offset + t.size * 4 <= heap.byteLength)
      return new Float32Array(heap.buffer, heap.byteOffset + offset, t.size);
  }
  return t.dataSync() as Float32Array;
}

/** One line for logs and the CLI: "wasm (WebAssembly with SIMD, 1 thread)". */
export function describeBackend(report: BackendReport): string {
  return report.details === undefined ? report.name : `${report.name} (${report.details})`;
}

export type BackendInitReply =
  | { type: 'ready'; backend: { name: string; details?: string; skipped: BackendReport['skipped'] } }
  | { type: 'init-failed'; message: string };

/** A worker's answer to its `init` message: the backend it started, or one sentence why none did. */
export async function initBackendReply(preference: BackendPreference): Promise<BackendInitReply> {
  try {
    const report = await initBackend(preference);
    return { type: 'ready', backend: { name: report.name, details: report.details, skipped: report.skipped } };
  } catch (error) {
    return { type: 'init-failed', message: error instanceof Error ? error.message : String(error) };
  }
}
