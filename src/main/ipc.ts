/**
 * The IPC adapter of the typed API: one ipcMain.handle per channel of src/api. Each handler
 * (./ipc-handler.ts) refuses requests from any frame but the app's own top-level page, then
 * passes the raw argument to the dispatcher (which validates it); events go back to the sender.
 */
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { ALL_CHANNELS, EVENT_CHANNEL, type AppEvent } from '../api/api.js';
import type { Dispatcher } from '../server/dispatcher.js';
import type { Logger } from '../server/log.js';
import { createIpcHandler } from './ipc-handler.js';

export function sendEvent(contents: WebContents, event: AppEvent): void {
  if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, event);
}

export function registerIpc(dispatcher: Dispatcher, appUrl: string, log: Logger): () => void {
  for (const channel of ALL_CHANNELS) {
    const handle = createIpcHandler(
      channel,
      dispatcher,
      appUrl,
      log,
      (event) => (e) => sendEvent((event as IpcMainInvokeEvent).sender, e),
    );
    ipcMain.handle(channel, (event, args: unknown) => handle(event, args));
  }
  return () => {
    for (const channel of ALL_CHANNELS) ipcMain.removeHandler(channel);
  };
}
