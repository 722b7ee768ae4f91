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
 * so no caller waits for a reply that will never come; a call made after that is rejected at once
 * (a job that lets every worker's task settle, parallel/close.ts settleAll, may post one more).
 */
export function rejectPendingOnDeath(
  worker: Worker,
  pending: Map<number, { reject: (e: Error) => void }>,
  stopped: string,
): void {
  let dead: Error | undefined;
  const rejectAll = (error: Error) => {
    dead ??= error;
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  const set = pending.set.bind(pending);
  pending.set = (id, call) => {
    if (dead) call.reject(dead);
    else set(id, call);
    return pending;
  };
  worker.on('error', rejectAll);
  worker.on('exit', () => rejectAll(new Error(stopped)));
}

type WorkerReply = { readonly type: string; readonly message?: string };

/**
 * The ready handshake every engine pool does: posts `init` to the worker and resolves with its first
 * 'ready' message, or rejects on an 'error' / 'init-failed' reply or a crash while starting.
 */
export function initWorker<Ready extends WorkerReply>(worker: Worker, init: unknown): Promise<Ready> {
  return new Promise<Ready>((resolve, reject) => {
    const onMessage = (m: WorkerReply) => {
      if (m.type === 'ready') resolve(m as Ready);
      else if (m.type === 'error' || m.type === 'init-failed') reject(new Error(m.message));
      else return;
      worker.off('message', onMessage);
    };
    worker.on('message', onMessage);
    worker.once('error', reject);
    worker.postMessage(init);
  });
}

/** Spawns `count` workers and completes the handshake with each; if one fails, all are stopped. */
export async function startWorkers<Ready extends WorkerReply>(
  count: number,
  spawn: () => Worker,
  init: (workers: number) => unknown,
): Promise<{ workers: Worker[]; ready: Ready[] }> {
  const workers = Array.from({ length: Math.max(1, count) }, spawn);
  try {
    const ready = await Promise.all(workers.map((w) => initWorker<Ready>(w, init(workers.length))));
    return { workers, ready };
  } catch (error) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw error;
  }
}

/** Resolves on the first message of `worker` that `isAnswer` accepts, on its exit, or after `ms`, whichever comes first. */
export function untilAnswered<M>(worker: Worker, ms: number, isAnswer: (message: M) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      worker.off('exit', done);
      resolve();
    };
    const onMessage = (m: M) => {
      if (isAnswer(m)) done();
    };
    const timer = setTimeout(done, ms);
    worker.on('message', onMessage);
    worker.once('exit', done);
  });
}
