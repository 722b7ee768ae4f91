/** Persisted settings (electron-store, in the user's config folder): recent files, window bounds, backend. */
import Store from 'electron-store';
import { BACKENDS, type BackendChoice } from '../base/backend.js';

export interface SettingsData {
  recentFiles: string[];
  bounds: { x?: number; y?: number; width: number; height: number };
  maximized: boolean;
  backend: BackendChoice;
}

const MAX_RECENT = 10;

export class Settings {
  readonly #store = new Store<SettingsData>({
    name: 'settings',
    defaults: { recentFiles: [], bounds: { width: 1400, height: 900 }, maximized: false, backend: 'auto' },
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
}
