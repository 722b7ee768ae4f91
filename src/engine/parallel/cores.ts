/** Kept free of tfjs imports: the CLI reads it before it loads the engine. */
import { availableParallelism } from 'node:os';

/** Worker threads for one super-resolution when the user does not say: one per core, at most 8 (each holds the model). */
export function defaultSrWorkers(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}
