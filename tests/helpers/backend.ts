/** The app's backend as the unit tests build it. */
import { createBackend, silentLogger, type Backend, type BackendOptions } from '../../src/server/index.js';

/** A browser-shell backend on wasm with silent logs, its workspace in `dir` and its models in `modelDir`. */
export function testBackend(dir: string, modelDir: string, options: Partial<BackendOptions> = {}): Backend {
  return createBackend({
    shell: 'browser',
    workspaceDir: dir,
    log: silentLogger,
    modelDirs: [modelDir],
    backend: 'wasm',
    ...options,
  });
}
