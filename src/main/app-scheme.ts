/**
 * The app:// scheme the renderer is served from (Electron's checklist item "use a custom protocol
 * instead of file://"), and the pure URL → file resolution its handler uses. No Electron import
 * at run time (types only) and no file-system access, so tests/unit/security-protocol.test.ts
 * drives exactly this code.
 *
 * The page is app://dlnet/index.html; its origin is app://dlnet. A URL maps to a file only when
 * it names a file under dist/renderer with one of the MIME types below; everything else (another
 * host, `..` in any spelling, backslashes, NUL, drive letters, dot-files, unknown extensions) maps
 * to nothing, which the handler answers with 404.
 */
import path from 'node:path';
import type { CustomScheme } from 'electron';

export const APP_SCHEME = 'app';
export const APP_HOST = 'dlnet';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** The one page main loads, and the only URL the navigation lock-down and the IPC sender check accept. */
export const APP_URL = `${APP_ORIGIN}/index.html`;

/**
 * What protocol.registerSchemesAsPrivileged gets (before `ready`): a standard scheme (real origin,
 * relative URLs resolve), secure (a secure context, like https), fetch allowed by the scheme (the
 * page's CSP still forbids every connection). Deliberately not bypassCSP, corsEnabled (it would let
 * other origins read app:// responses), allowServiceWorkers, stream or codeCache.
 */
export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true },
};

/** The only file types served, by extension. Anything else is a 404. */
export const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
};

const MAX_PATH = 1024;
const MAX_SEGMENTS = 16;
/** A decoded path segment: letters, digits and `_-.~@+`, not starting with a dot, not ending with one. */
const SEGMENT = /^[A-Za-z0-9_~@+-](?:[A-Za-z0-9._~@+-]*[A-Za-z0-9_~@+-])?$/;
/** Names Windows maps to devices whatever the extension. */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9]|conin\$|conout\$)(\..*)?$/i;

export function mimeType(file: string): string | undefined {
  const ext = path.extname(file).toLowerCase();
  return Object.hasOwn(MIME_TYPES, ext) ? MIME_TYPES[ext] : undefined;
}

/**
 * The file under `rendererDir` that a URL path names, or null. `pathname` is the raw (still
 * percent-encoded) path of the URL. Each segment is decoded once and must
 * then be a plain file or folder name (no `.`/`..`, no `/`, `\`, `:`, NUL, `%`, no leading dot);
 * the result must lie strictly inside `rendererDir` and have a served extension.
 */
export function resolveRendererPath(pathname: string, rendererDir: string): string | null {
  if (typeof pathname !== 'string' || pathname.length > MAX_PATH || !pathname.startsWith('/')) return null;
  const raw = pathname.slice(1).split('/');
  if (raw.length > MAX_SEGMENTS) return null;
  const segments: string[] = [];
  for (const part of raw) {
    let name: string;
    try {
      name = decodeURIComponent(part);
    } catch {
      return null;
    }
    if (name.length > 255 || !SEGMENT.test(name) || WINDOWS_DEVICE.test(name)) return null;
    segments.push(name);
  }
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, ...segments);
  if (!file.startsWith(root + path.sep)) return null;
  if (mimeType(file) === undefined) return null;
  return file;
}

/** The file an app:// URL names (scheme app, host exactly `dlnet`, no port or credentials), or null. */
export function resolveAppUrl(url: string, rendererDir: string): string | null {
  if (typeof url !== 'string' || url.length > MAX_PATH * 2) return null;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST || u.username !== '' || u.password !== '') return null;
  return resolveRendererPath(u.pathname, rendererDir);
}
