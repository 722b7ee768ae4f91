/**
 * The one window, hardened as docs/architecture.md §7 says. Every option and rule comes from ./security.ts
 * (context isolation, a sandboxed renderer without Node, the preload as the only bridge, a strict
 * Content-Security-Policy, no navigation away from the app, no new windows, every permission
 * request denied) and the page is served by ./app-protocol.ts over app://; this file only applies
 * them and remembers the window's bounds.
 */
import { BrowserWindow, protocol, session, shell, type WebContents } from 'electron';
import path from 'node:path';
import { createAppProtocolHandler } from './app-protocol.js';
import {
  APP_SCHEME,
  APP_URL,
  hardenSession as hardenSessionRules,
  lockDown as lockDownContents,
  windowOptions,
} from './security.js';
import type { Settings } from './settings.js';

export { CSP } from './security.js';

export interface WindowPaths {
  /** dist/renderer/index.html */
  html: string;
  /** dist/preload/index.cjs */
  preload: string;
}

/** Serves dist/renderer (and nothing else) as app://dlnet/ in the default session. Call after `ready`. */
export function registerAppProtocol(paths: WindowPaths): void {
  protocol.handle(APP_SCHEME, createAppProtocolHandler(path.dirname(paths.html)));
}

/** Applies the session-wide rules once: deny permissions, add the CSP header, refuse remote requests. */
export function hardenSession(paths: WindowPaths): void {
  hardenSessionRules(session.defaultSession, path.dirname(paths.html), process.env.DLNET_DEVTOOLS === '1');
}

/** Blocks navigation, new windows and <webview> for any web contents. */
export function lockDown(contents: WebContents, appUrl: string): void {
  lockDownContents(contents, appUrl, (url) => shell.openExternal(url));
}

export function createMainWindow(paths: WindowPaths, settings: Settings): BrowserWindow {
  const window = new BrowserWindow(windowOptions(paths.preload, settings.bounds));
  lockDown(window.webContents, APP_URL);
  if (settings.maximized) window.maximize();
  window.once('ready-to-show', () => window.show());
  const remember = () => {
    settings.maximized = window.isMaximized();
    if (!window.isMaximized() && !window.isMinimized()) settings.bounds = window.getBounds();
  };
  window.on('resize', remember);
  window.on('move', remember);
  void window.loadURL(APP_URL);
  return window;
}
