/**
 * Every security decision of the desktop shell, in one file that imports nothing from Electron at
 * run time (types only), so tests/unit/security-checklist.test.ts can read the real values:
 *   - the BrowserWindow options (context isolation, sandbox, no Node, web security, …);
 *   - the Content-Security-Policy main sends with every response;
 *   - which requests may load at all (the app's own files; offline means offline);
 *   - which URLs shell.openExternal may open (an allow-list; today none);
 *   - which frame may call the API over IPC (the app's own top-level page);
 *   - the session rules (every permission denied) and the per-contents lock-down (no navigation,
 *     no new windows, no <webview>).
 * src/main/window.ts and src/main/index.ts only apply these.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserWindowConstructorOptions, Session, WebContents, WebPreferences } from 'electron';

/** The policy main attaches to every response (the renderer's own <meta> policy applies as well). */
export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "font-src 'self'",
  "connect-src 'none'",
  "media-src 'none'",
  "worker-src 'none'",
  "manifest-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/**
 * URL prefixes shell.openExternal may open, compared on the parsed URL (https only, exact host,
 * path prefix). The app links nowhere today; add an exact documentation URL here when it does.
 */
export const EXTERNAL_LINKS: readonly string[] = [];

/** The renderer's web preferences. Nothing here may be loosened; the security test reads this. */
export function webPreferences(preload: string, devTools = process.env.DLNET_DEVTOOLS === '1'): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    devTools,
  };
}

export interface WindowBounds {
  x?: number;
  y?: number;
  width: number;
  height: number;
}

/** The options of the app's one window (src/main/window.ts passes exactly this to BrowserWindow). */
export function windowOptions(preload: string, bounds: WindowBounds): BrowserWindowConstructorOptions {
  return {
    ...bounds,
    minWidth: 900,
    minHeight: 600,
    show: false,
    backgroundColor: '#1b1d22',
    title: 'DL-Net Studio',
    webPreferences: webPreferences(preload),
  };
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** True when `url` is the app's page itself (a #fragment aside). */
export function isAppUrl(url: string, appUrl: string): boolean {
  const u = parse(url);
  const app = parse(appUrl);
  if (!u || !app || u.protocol !== 'file:' || app.protocol !== 'file:') return false;
  return u.host === app.host && u.pathname === app.pathname && u.search === app.search;
}

/**
 * Which requests the session lets through: the app's own files under `rendererDir`, and in-page
 * data:/blob: URLs; devtools:// only when the developer tools are enabled. Everything else —
 * http(s), ws, ftp, other files on disk — is cancelled.
 */
export function isAllowedRequest(url: string, rendererDir: string, devTools = false): boolean {
  const u = parse(url);
  if (!u) return false;
  if (u.protocol === 'data:' || u.protocol === 'blob:') return true;
  if (u.protocol === 'devtools:') return devTools;
  if (u.protocol !== 'file:' || u.host !== '') return false;
  let file: string;
  try {
    file = path.resolve(fileURLToPath(u));
  } catch {
    return false;
  }
  const root = path.resolve(rendererDir);
  return file === root || file.startsWith(root + path.sep);
}

/** May shell.openExternal open `url`? Only https URLs that start with an allow-listed prefix. */
export function isVettedExternalUrl(url: unknown, allow: readonly string[] = EXTERNAL_LINKS): boolean {
  if (typeof url !== 'string' || url.length > 2048) return false;
  const u = parse(url);
  if (!u || u.protocol !== 'https:' || u.username !== '' || u.password !== '' || u.port !== '') return false;
  return allow.some((prefix) => {
    const p = parse(prefix);
    return p !== null && p.protocol === 'https:' && p.host === u.host && u.pathname.startsWith(p.pathname) && u.href.startsWith(p.href);
  });
}

/** The part of an IPC event the sender check reads (Electron's IpcMainInvokeEvent has it). */
export interface SenderEvent {
  senderFrame?: { url: string; parent: unknown } | null;
}

/** Is this IPC message from the app's own top-level page? (Never from a sub-frame, never another URL.) */
export function isAppSender(event: SenderEvent, appUrl: string): boolean {
  const frame = event.senderFrame;
  if (!frame || typeof frame.url !== 'string') return false;
  if (frame.parent !== null && frame.parent !== undefined) return false;
  return isAppUrl(frame.url, appUrl);
}

/** Session-wide rules: every permission denied, only the app's files load, the CSP on every response. */
export function hardenSession(ses: Session, rendererDir: string, devTools = false): void {
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.setDisplayMediaRequestHandler((_request, callback) => callback({}));
  ses.webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !isAllowedRequest(details.url, rendererDir, devTools) });
  });
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
}

/**
 * Blocks navigation, redirects, new windows and <webview> for any web contents. A link the page
 * tries to open goes to the user's browser only when isVettedExternalUrl allows it.
 */
export function lockDown(contents: WebContents, appUrl: string, openExternal: (url: string) => Promise<void>): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, appUrl)) event.preventDefault();
  });
  contents.on('will-frame-navigate', (event) => {
    if (!isAppUrl(event.url, appUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isVettedExternalUrl(url)) void openExternal(url).catch(() => undefined);
    return { action: 'deny' };
  });
}
