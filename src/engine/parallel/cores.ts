/** Kept free of tfjs imports: the CLI reads it before it loads the engine. */
import { availableParallelism } from 'node:os';

/** Worker threads for one restoration when the user does not say: one per core, at most 8 (each holds the model). */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}
