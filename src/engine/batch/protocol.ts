/**
 * Messages between a batch run (main or server thread) and its worker threads. Each worker owns one
 * TensorFlow.js instance and processes one file at a time. Cancellation is a SharedArrayBuffer flag
 * per worker, checked at every engine event, so it works even while the worker's event loop is busy.
 */
import type { BackendPreference } from '../backend.js';
import type { FileJob, FileOutcome } from './process-file.js';
import type { BackendInfo } from './types.js';

export type ToBatchWorker =
  /** onnxThreads: intra-op threads of the worker's onnxruntime sessions (the pool: cores / workers). */
  | { readonly type: 'init'; readonly backend: BackendPreference; readonly modelDirs: string[]; readonly onnxThreads?: number }
  | { readonly type: 'run'; readonly job: FileJob; readonly cancel: SharedArrayBuffer };

export type FromBatchWorker =
  | { readonly type: 'ready'; readonly backend: BackendInfo }
  | { readonly type: 'init-failed'; readonly message: string }
  | { readonly type: 'progress'; readonly index: number; readonly fraction: number }
  | { readonly type: 'outcome'; readonly index: number; readonly outcome: FileOutcome };
