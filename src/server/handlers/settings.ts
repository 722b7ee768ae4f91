/**
 * settings.get and settings.set: what the UI keeps between sessions (today the batch panel's
 * last-used options), in the backend's SettingsStore (../settings.ts). What a store holds is checked
 * field by field on the way out with src/api's schemas (readBatchOptions): a stale or hand-edited
 * value is left out silently, the rest kept.
 */
import { UserError } from '../../engine/index.js';
import { readBatchOptions, type Channels, type UiSettings } from '../../api/api.js';
import type { SettingsStore } from '../settings.js';
import type { Handler } from './context.js';

export function settingsHandlers(store: SettingsStore): {
  get: Handler<typeof Channels.settingsGet>;
  set: Handler<typeof Channels.settingsSet>;
} {
  return {
    get: async (_args, { workspace }): Promise<UiSettings> => {
      let stored: unknown;
      try {
        stored = store.readBatch();
      } catch (error) {
        workspace.log.warn(`settings: could not read them (${error instanceof Error ? error.message : String(error)})`);
      }
      return { batch: readBatchOptions(stored) };
    },
    set: async ({ batch }, { workspace }) => {
      try {
        store.writeBatch(batch);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        workspace.log.warn(`settings: could not write them (${reason})`);
        throw new UserError(`The settings could not be saved (${reason.split('\n')[0].slice(0, 160)})`, 'settings-unwritable');
      }
      return null;
    },
  };
}
