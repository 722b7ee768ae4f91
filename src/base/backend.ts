/** The compute backends a user can choose; `auto` tries them fastest first. */
export const BACKENDS = ['auto', 'tensorflow', 'onnxruntime', 'wasm'] as const;
export type BackendChoice = (typeof BACKENDS)[number];
