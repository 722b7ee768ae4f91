/**
 * Persisted settings (electron-store, in the user's config folder): recent files, window bounds, backend,
 * and the batch panel's last-used options (the store behind settings.get / settings.set, see
 * src/server/settings.ts).
 */
import Store from 'electron-store';
import { readBatchOptions, type BatchOptions } from '../api/api.js';
import { BACKENDS, type BackendChoice } from '../base/backend.js';
import type { SettingsStore } from '../server/settings.js';

export interface SettingsData {
  recentFiles: string[];
  bounds: { x?: number; y?: number; width: number; height: number };
  maximized: boolean;
  backend: BackendChoice;
  /** Stored as the renderer last sent it; checked field by field when read (readBatchOptions). */
  batch: Record<string, unknown>;
}

const MAX_RECENT = 10;

export class Settings implements SettingsStore {
  readonly #store = new Store<SettingsData>({
    name: 'settings',
    defaults: { recentFiles: [], bounds: { width: 1400, height: 900 }, maximized: false, backend: 'auto', batch: {} },
    schema: {
      recentFiles: { type: 'array', items: { type: 'string' }, maxItems: MAX_RECENT },
      bounds: {
        type: 'object',
        properties: {
          x: { type: 'number' },
          y: { type: 'number' },
          width: { type: 'number', minimum: 400 },
          height: { type: 'number', minimum: 300 },
        },
      },
      maximized: { type: 'boolean' },
      backend: { enum: [...BACKENDS] },
      // Only "an object" here: a schema violation makes electron-store (clearInvalidConfig) start over
      // with every setting at its default, so one stale batch field would lose the recent files too.
      // Its fields are checked one by one with src/api's schemas when read (readBatchOptions).
      batch: { type: 'object' },
    },
    clearInvalidConfig: true,
  });

  get recentFiles(): string[] {
    return this.#store.get('recentFiles');
  }

  addRecent(file: string): void {
    this.#store.set('recentFiles', [file, ...this.recentFiles.filter((f) => f !== file)].slice(0, MAX_RECENT));
  }

  clearRecent(): void {
    this.#store.set('recentFiles', []);
  }

  get bounds(): SettingsData['bounds'] {
    return this.#store.get('bounds');
  }

  set bounds(bounds: SettingsData['bounds']) {
    this.#store.set('bounds', bounds);
  }

  get maximized(): boolean {
    return this.#store.get('maximized');
  }

  set maximized(value: boolean) {
    this.#store.set('maximized', value);
  }

  get backend(): BackendChoice {
    return this.#store.get('backend');
  }

  /** The batch panel's last-used options as stored (SettingsStore; the handler checks them). */
  readBatch(): unknown {
    return this.#store.get('batch');
  }

  writeBatch(options: BatchOptions): void {
    this.#store.set('batch', options);
  }

  /** The batch panel's last-used options, each field checked (an invalid one is left out). */
  get batchOptions(): BatchOptions {
    return readBatchOptions(this.readBatch());
  }
}
