/**
 * The batches one backend instance runs (one at a time; each has its own handle from the batch
 * engine). Owned by the backend (created in createBackend, disposed with it), never module state.
 */
import { randomBytes } from 'node:crypto';
import { type BatchRun, UserError } from '../../engine/index.js';

export interface BatchEntry {
  readonly id: string;
  readonly run: BatchRun;
  /** Settles when the batch and its report are finished (never rejects). */
  readonly settled: Promise<void>;
}

export class BatchRuns {
  readonly #runs = new Map<string, BatchEntry>();
  #active: BatchEntry | null = null;
  #disposed = false;

  newId(): string {
    return `batch-${randomBytes(6).toString('hex')}`;
  }

  /** Throws a one-sentence UserError while another batch is running. */
  checkIdle(): void {
    if (this.#disposed) throw new UserError('The app is shutting down; no batch can start.', 'busy');
    if (this.#active) {
      throw new UserError('A batch is already running; wait for it to finish or cancel it first.', 'busy');
    }
  }

  add(entry: BatchEntry): void {
    this.checkIdle();
    this.#runs.set(entry.id, entry);
    this.#active = entry;
    void entry.settled.then(() => {
      if (this.#active === entry) this.#active = null;
      // Keep the finished entry briefly so late pause/cancel requests get a clear answer.
      setTimeout(() => this.#runs.delete(entry.id), 60_000).unref?.();
    });
  }

  get(batchId: string): BatchEntry {
    const entry = this.#runs.get(batchId);
    if (!entry) throw new UserError('That batch is no longer known; start it again.', 'not-found');
    return entry;
  }

  get active(): BatchEntry | null {
    return this.#active;
  }

  /** Cancels the running batch (its temporaries are removed) and waits for it. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    const active = this.#active;
    if (!active) return;
    active.run.cancel();
    await active.settled;
  }
}
