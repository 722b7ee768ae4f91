/**
 * The IPC adapter of the typed API: one ipcMain.handle per channel of src/shared, each passing
 * the raw argument to the dispatcher (which validates it) and answering with the envelope.
 * Requests from any frame but the app's own page are refused; events go back to the sender.
 */
import { ipcMain, type WebContents } from 'electron';
import { ALL_CHANNELS, EVENT_CHANNEL, type AppEvent } from '../shared/api.js';
import type { Dispatcher } from '../server/dispatcher.js';
import type { Logger } from '../server/log.js';

export function sendEvent(contents: WebContents, event: AppEvent): void {
  if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, event);
}

export function registerIpc(dispatcher: Dispatcher, appUrl: string, log: Logger): () => void {
  for (const channel of ALL_CHANNELS) {
    ipcMain.handle(channel, async (event, args: unknown) => {
      const from = event.senderFrame?.url ?? '';
      if (from !== appUrl) {
        log.warn(`refused ${channel} from ${from.slice(0, 120)}`);
        return { ok: false, error: { code: 'forbidden', message: 'This request did not come from the app.' } };
      }
      return dispatcher.handle(channel, args, (e) => sendEvent(event.sender, e));
    });
  }
  return () => {
    for (const channel of ALL_CHANNELS) ipcMain.removeHandler(channel);
  };
}
