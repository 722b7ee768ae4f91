/**
 * The preload: exposes exactly the typed API (src/api) as `window.dlnet`, nothing else.
 * Channels are checked against the shared list before anything reaches ipcRenderer, so a
 * compromised page cannot reach other channels. Bundled to one CommonJS file (sandboxed preloads
 * cannot load modules of their own).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_CHANNEL, isChannel, type ApiResponse, type AppEvent, type DlnetBridge } from '../api/api.js';

const bridge: DlnetBridge = {
  invoke(channel, args) {
    if (!isChannel(channel)) {
      return Promise.resolve({ ok: false, error: { code: 'bad-channel', message: 'Unknown request.' } } as ApiResponse<never>);
    }
    return ipcRenderer.invoke(channel, args);
  },
  onEvent(listener) {
    const handler = (_event: IpcRendererEvent, payload: AppEvent) => listener(payload);
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, handler);
    };
  },
};

contextBridge.exposeInMainWorld('dlnet', Object.freeze(bridge));
