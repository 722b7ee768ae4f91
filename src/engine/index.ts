/**
 * The engine's public entry: the only module the CLI, the server and the Electron main process import.
 * What loads with it is light (image I/O, degradations, metrics, model listing, iteration frames, batch
 * planning and its worker pool, worker spawning); the compute half — backends, networks, the DL-Net
 * module, the bench — comes from `loadCompute()`, so `dlnet --help` or opening an image never starts
 * TensorFlow.js. The interface is `Compute`; the factory is `loadCompute`.
 */
import type * as ComputeModule from './compute.js';

export * from './image.js';
export * from './image-io.js';
export * from './mask-io.js';
export { applyMask, bernoulliMask, bicubicUpscaleImage, cropToMultiple, degradeSr, squareHoleMask } from './degradations.js';
export { quantize8, splitLuma } from './color.js';
export { mean, psnrLuma } from './metrics.js';
export { iterationScore, ssimPlane, type IterationScore } from './lab-metrics.js';
export { findModel, getModelDirs, listModels, setModelDirs, type ModelInfo } from './models.js';
export * from './iteration-store.js';
export * from './iteration-frames.js';
export * from './iteration-sink.js';
export { checkOutputFolder } from './output-folder.js';
export { resampleImage, resampleSamples } from './resample.js';
export {
  APP_VERSION,
  buildRecipe,
  maskSha256,
  parseRecipeXmp,
  readRecipe,
  recipeXmp,
  type FileRecipe,
  type Recipe,
  type RecipeInput,
} from './recipe.js';
export { defaultWorkers } from './parallel/cores.js';
export { initWorker, rejectPendingOnDeath, spawnModuleWorker, untilAnswered } from './parallel/spawn.js';
export * from './batch/index.js';
export type { RestoreEvent, RestoreOptions, RestoreRequest } from './restore-types.js';
export type { BackendPreference, BackendReport } from './backend.js';
export type { BenchOptions, BenchResult } from './bench/bench.js';

export type Compute = typeof ComputeModule;

export function loadCompute(): Promise<Compute> {
  return import('./compute.js');
}
