/**
 * Every security decision of the desktop shell, in one file that imports nothing from Electron at
 * run time (types only), so tests/unit/security-checklist.test.ts can read the real values:
 *   - the BrowserWindow options (context isolation, sandbox, no Node, web security, …);
 *   - the Content-Security-Policy main sends with every response;
 *   - which requests may load at all (the app's own files over app://; offline means offline);
 *   - which URLs shell.openExternal may open (an allow-list; today none);
 *   - which frame may call the API over IPC (the app's own top-level page);
 *   - the session rules (every permission denied) and the per-contents lock-down (no navigation,
 *     no new windows, no <webview>).
 * src/main/window.ts and src/main/index.ts only apply these.
 */
import type { BrowserWindowConstructorOptions, Session, WebContents, WebPreferences } from 'electron';
import { APP_SCHEME, resolveAppUrl } from './app-scheme.js';

export { APP_HOST, APP_ORIGIN, APP_SCHEME, APP_SCHEME_PRIVILEGES, APP_URL } from './app-scheme.js';

/**
 * The Electron page's policy. The app:// handler (./app-protocol.ts) sends it as a header with
 * every response and writes it (less frame-ancestors) into the served HTML's <meta>, in place of
 * the page's own policy, which allows ws://127.0.0.1:* for `dlnet serve`.
 */
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

/**
 * True when `url` is the app's page itself (a #fragment aside): same scheme, host, path and query
 * as `appUrl`, no credentials or port. Main passes APP_URL (app://dlnet/index.html) everywhere
 * (the security test checks the wiring), so file:// and every other scheme are refused.
 */
export function isAppUrl(url: string, appUrl: string): boolean {
  const u = parse(url);
  const app = parse(appUrl);
  if (!u || !app) return false;
  if (u.username !== '' || u.password !== '' || u.port !== '') return false;
  return u.protocol === app.protocol && u.host === app.host && u.pathname === app.pathname && u.search === app.search;
}

/**
 * Which requests the session lets through: app://dlnet/ URLs that name a file under
 * `rendererDir` (the same resolution the app:// handler uses), and in-page data:/blob: URLs;
 * devtools:// only when the developer tools are enabled. Everything else — file://, http(s), ws,
 * ftp, other app:// hosts — is cancelled.
 */
export function isAllowedRequest(url: string, rendererDir: string, devTools = false): boolean {
  const u = parse(url);
  if (!u) return false;
  if (u.protocol === 'data:' || u.protocol === 'blob:') return true;
  if (u.protocol === 'devtools:') return devTools;
  if (u.protocol !== `${APP_SCHEME}:`) return false;
  return resolveAppUrl(url, rendererDir) !== null;
}

/** May shell.openExternal open `url`? Only https URLs that start with an allow-listed prefix. */
export function isVettedExternalUrl(url: unknown, allow: readonly string[] = EXTERNAL_LINKS): boolean {
  if (typeof url !== 'string' || url.length > 2048) return false;
  const u = parse(url);
  if (!u || u.protocol !== 'https:' || u.username !== '' || u.password !== '' || u.port !== '') return false;
  return allow.some((prefix) => {
    const p = parse(prefix);
    return (
      p !== null && p.protocol === 'https:' && p.host === u.host && u.pathname.startsWith(p.pathname) && u.href.startsWith(p.href)
    );
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

/**
 * Session-wide rules: every permission denied, only the app's files load, the CSP on every response
 * that passes through webRequest (the app:// handler sets it itself, and in the page's <meta>).
 */
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
