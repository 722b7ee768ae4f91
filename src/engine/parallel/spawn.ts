/**
 * Starts an engine worker thread from this folder: the built .js next to this file, or under tsx
 * (tests, dev) the .ts source with tsx's loader registered inside the worker.
 */
import { Worker } from 'node:worker_threads';

export function spawnEngineWorker(name: 'sr-worker' | 'masked-worker'): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, here));
  const source = new URL(`./${name}.ts`, here).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(code, { eval: true });
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
