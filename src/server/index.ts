/**
 * The backend of the app, without any window: a Workspace (open images, job queue, worker) and
 * the dispatcher that serves the typed API to a transport. Electron's main process and
 * `dlnet serve` both build on this.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultWorkers, getModelDirs, setModelDirs } from '../engine/index.js';
import { PREVIEW_MAX_SIDE } from '../api/api.js';
import { createDispatcher, type Dispatcher } from './dispatcher.js';
import { BatchRuns, createHandlers, type Handlers } from './handlers/index.js';
import type { Logger } from './log.js';
import type { SettingsStore } from './settings.js';
import type { BackendChoice } from './worker-protocol.js';
import { Workspace } from './workspace.js';

export interface BackendOptions {
  shell: 'electron' | 'browser';
  workspaceDir: string;
  log: Logger;
  backend?: BackendChoice;
  modelDirs?: string[];
  /** Threads for each restoration job (default: one per core, at most 8). */
  restoreWorkers?: number;
  /** Replaces handlers (Electron: the native dialogs). */
  handlers?: Partial<Handlers>;
  /** Where settings.get / settings.set keep what the UI remembers (default: in memory, for this process only). */
  settings?: SettingsStore;
}

export interface Backend {
  workspace: Workspace;
  dispatcher: Dispatcher;
  dispose(): Promise<void>;
}

export function createBackend(options: BackendOptions): Backend {
  // The server thread lists and checks models; the worker loads them: both look in the same place.
  if (options.modelDirs) setModelDirs(options.modelDirs);
  const workspace = new Workspace({
    workspaceDir: options.workspaceDir,
    shell: options.shell,
    backend: options.backend ?? 'auto',
    modelDirs: options.modelDirs ?? getModelDirs(),
    restoreWorkers: options.restoreWorkers ?? defaultWorkers(),
    log: options.log,
    previewMaxSide: PREVIEW_MAX_SIDE,
  });
  const batches = new BatchRuns();
  const dispatcher = createDispatcher(workspace, createHandlers(options.handlers, batches, options.settings));
  const dispose = async (): Promise<void> => {
    await batches.dispose(); // cancels a running batch; its temporaries are removed
    await workspace.dispose();
  };
  return { workspace, dispatcher, dispose };
}

/** dist/renderer (the built UI), from src/server or dist/server alike. */
export const RENDERER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/renderer');

export { startWsServer, type RunningServer } from './ws-server.js';
export { streamLogger, silentLogger, type Logger } from './log.js';
export { defaultSettingsFile, MemorySettings, SettingsFile, type SettingsStore } from './settings.js';
