/**
 * Starts worker threads the same way everywhere: the built .js module beside the caller, or under tsx
 * (tests, dev) the .ts source with tsx's loader registered inside the worker.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A worker running module `name` from the folder of `callerUrl` (the caller's import.meta.url). */
export function spawnModuleWorker(callerUrl: string, name: string, options: WorkerOptions = {}): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), options);
  const source = new URL(`./${name}.ts`, callerUrl).href;
  // Resolved here: eval'd worker code would resolve 'tsx' from the working directory, not from this package.
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(code, { eval: true, ...options });
}

export function spawnEngineWorker(name: 'sr-worker' | 'masked-worker'): Worker {
  return spawnModuleWorker(import.meta.url, name);
}

/**
 * Rejects every pending call of `worker` when it fails or exits (an out-of-memory or backend crash),
 * so no caller waits for a reply that will never come.
 */
export function rejectPendingOnDeath(
  worker: Worker,
  pending: Map<number, { reject: (e: Error) => void }>,
  stopped: string,
): void {
  const rejectAll = (error: Error) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  worker.on('error', rejectAll);
  worker.on('exit', () => rejectAll(new Error(stopped)));
}
