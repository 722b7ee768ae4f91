/**
 * The CLI's view of the restoration engine (src/engine/restore.ts, owned by the engine lead).
 * Loaded on demand so that commands that do not restore (degrade, eval --method bicubic, --help)
 * start fast and do not load TensorFlow.js.
 */
import { type Compute, loadCompute, type RestoreRequest } from '../engine/index.js';

export type RestoreApi = Pick<Compute, 'restore' | 'listModels' | 'findModel' | 'unloadModels'>;
export type ModelInfo = Awaited<ReturnType<Compute['findModel']>>;

export async function loadRestoreApi(): Promise<RestoreApi> {
  return loadCompute();
}

/**
 * The model to use: the named one, or the task's default for the scale. Throws the engine's
 * UserError when it is not installed or is for another task or scale.
 */
export function chooseModel(
  api: RestoreApi,
  task: RestoreRequest['task'],
  modelId: string | undefined,
  scale?: number,
): Promise<ModelInfo> {
  return api.findModel(task, scale, modelId);
}
