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
