/**
 * The engine's compute half, loaded on demand through `loadCompute()` (index.ts): the backends
 * (TensorFlow.js, onnxruntime, WebAssembly), restoration with the DL-Net module, and the bench.
 * Loading it starts TensorFlow.js, so commands that do not compute never pay for it.
 */
export { describeBackend, initBackend, initBackendReply } from './backend.js';
export { DEFAULT_GAMMA, dlnetSettings, restore, unloadModels } from './restore.js';
export { runBench } from './bench/bench.js';
export { formatBench } from './bench/format.js';
export { findModel, listModels } from './models.js';
export { suggestBlur, type BlurSuggestion, type BlurCurvePoint, type SuggestBlurOptions } from './suggest-blur.js';
