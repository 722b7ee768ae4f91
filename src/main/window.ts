/**
 * The one window, hardened as DESIGN §8 says: context isolation, a sandboxed renderer without
 * Node, the preload as the only bridge, a strict Content-Security-Policy, no navigation away
 * from the app, no new windows, every permission request denied.
 */
import { BrowserWindow, session, shell, type WebContents } from 'electron';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Settings } from './settings.js';

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "font-src 'self'",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "object-src 'none'",
].join('; ');

export interface WindowPaths {
  /** dist/renderer/index.html */
  html: string;
  /** dist/preload/index.cjs */
  preload: string;
}

/** Applies the session-wide rules once: deny permissions, add the CSP header, refuse remote requests. */
export function hardenSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.webRequest.onBeforeRequest((details, callback) => {
    // Offline means offline: only the app's own files (and in-page data/blob URLs) load.
    const ok = details.url.startsWith('file://') || details.url.startsWith('data:') || details.url.startsWith('blob:') || details.url.startsWith('devtools://');
    callback({ cancel: !ok });
  });
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
}

/** Blocks navigation, new windows and <webview> for any web contents. */
export function lockDown(contents: WebContents, appUrl: string): void {
  contents.on('will-navigate', (event, url) => {
    if (url !== appUrl) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Links to documentation open in the user's browser, never inside the app.
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
}

export function createMainWindow(paths: WindowPaths, settings: Settings): BrowserWindow {
  const bounds = settings.bounds;
  const window = new BrowserWindow({
    ...bounds,
    minWidth: 900,
    minHeight: 600,
    show: false,
    backgroundColor: '#1b1d22',
    title: 'DL-Net Studio',
    webPreferences: {
      preload: paths.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      devTools: process.env.DLNET_DEVTOOLS === '1',
    },
  });
  const appUrl = pathToFileURL(path.resolve(paths.html)).href;
  lockDown(window.webContents, appUrl);
  if (settings.maximized) window.maximize();
  window.once('ready-to-show', () => window.show());
  const remember = () => {
    settings.maximized = window.isMaximized();
    if (!window.isMaximized() && !window.isMinimized()) settings.bounds = window.getBounds();
  };
  window.on('resize', remember);
  window.on('move', remember);
  void window.loadFile(paths.html);
  return window;
}
