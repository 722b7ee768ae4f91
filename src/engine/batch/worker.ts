/**
 * A batch worker thread: initialises the compute backend once, then processes the files it is sent,
 * one at a time, posting throttled progress and one outcome per file.
 */
import { parentPort } from 'node:worker_threads';
import { initBackendReply } from '../backend.js';
import { setOrtThreads } from '../backends/onnx-runtime.js';
import { setModelDirs } from '../models.js';
import { processFile } from './process-file.js';
import type { FromBatchWorker, ToBatchWorker } from './protocol.js';

const port = parentPort;
if (port === null) throw new Error('batch/worker.ts must run in a worker thread.');

/** At most this often a progress message per file. */
const PROGRESS_INTERVAL_MS = 100;

function post(message: FromBatchWorker): void {
  port!.postMessage(message);
}

async function run(message: Extract<ToBatchWorker, { type: 'run' }>): Promise<void> {
  const { job } = message;
  const flag = new Int32Array(message.cancel);
  const controller = new AbortController();
  const check = (): boolean => {
    if (!controller.signal.aborted && Atomics.load(flag, 0) !== 0) controller.abort();
    return controller.signal.aborted;
  };
  const timer = setInterval(check, 50);
  let last = 0;
  try {
    const outcome = await processFile(job, {
      signal: controller.signal,
      onProgress: (fraction) => {
        if (check()) return;
        const now = Date.now();
        if (now - last < PROGRESS_INTERVAL_MS && fraction < 1) return;
        last = now;
        post({ type: 'progress', index: job.index, fraction });
      },
    });
    post({ type: 'outcome', index: job.index, outcome });
  } finally {
    clearInterval(timer);
  }
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (message: ToBatchWorker) => {
  if (message.type === 'init') {
    setModelDirs(message.modelDirs);
    setOrtThreads(message.onnxThreads);
    queue = queue.then(async () => post(await initBackendReply(message.backend)));
  } else if (message.type === 'run') {
    queue = queue.then(() => run(message));
  }
});
