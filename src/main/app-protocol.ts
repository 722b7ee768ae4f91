/**
 * The handler of the app:// scheme (protocol.handle, registered by window.ts): serves the files
 * under dist/renderer and nothing else. No Electron import at run time — it takes a fetch Request
 * and answers a fetch Response (Node's globals, which Electron's protocol.handle uses), so
 * tests/unit/security-protocol.test.ts calls exactly this function.
 *
 * Every answer carries the Electron page's Content-Security-Policy as a header, and every HTML page
 * served gets the same policy (less the directives a <meta> cannot carry) as the first element of
 * its <head>, replacing the page's own <meta> policy (that one allows ws://127.0.0.1:* for
 * `dlnet serve`). The <meta> is what makes the policy certain to apply: Blink enforces a <meta>
 * policy whatever the scheme and whatever Electron does with the headers of a custom protocol.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { mimeType, resolveAppUrl } from './app-scheme.js';
import { CSP } from './security.js';

/** Directives a <meta> policy cannot carry (browsers ignore them there, with a console warning). */
const HEADER_ONLY = new Set(['frame-ancestors', 'report-uri', 'sandbox']);

/** The policy written into the HTML the app:// handler serves: main's CSP minus the header-only directives. */
export const PAGE_META_CSP = CSP.split(';')
  .map((d) => d.trim())
  .filter((d) => d !== '' && !HEADER_ONLY.has(d.split(/\s+/)[0].toLowerCase()))
  .join('; ');

/** Headers of every app:// response. */
export function appResponseHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  };
}

const CSP_META = /<meta\b[^>]*\bhttp-equiv\s*=\s*["']?content-security-policy["']?[^>]*>/gi;
const HEAD_OPEN = /<head\b[^>]*>/i;

/**
 * `html` with every Content-Security-Policy <meta> removed and PAGE_META_CSP inserted right after
 * the opening <head> tag (before any script, style or link). Null when the page has no <head>, so
 * the policy could not be put first: the handler then refuses to serve the page.
 */
export function withElectronCsp(html: string): string | null {
  const stripped = html.replace(CSP_META, '');
  const head = HEAD_OPEN.exec(stripped);
  if (!head) return null;
  const at = head.index + head[0].length;
  const meta = `\n    <meta http-equiv="Content-Security-Policy" content="${PAGE_META_CSP}" />`;
  return stripped.slice(0, at) + meta + stripped.slice(at);
}

function answer(status: number, text: string): Response {
  return new Response(text, { status, headers: appResponseHeaders('text/plain; charset=utf-8') });
}

/** Is `file` (already resolved through links) strictly inside `root`? */
function inside(root: string, file: string): boolean {
  return file.startsWith(root + path.sep);
}

/**
 * protocol.handle's handler for app://: GET/HEAD of a file under `rendererDir` (after resolving
 * symbolic links, still under it), with its MIME type and the CSP; 404 for anything else.
 */
export function createAppProtocolHandler(rendererDir: string): (request: Request) => Promise<Response> {
  const root = path.resolve(rendererDir);
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return answer(405, 'Method not allowed');
    const file = resolveAppUrl(request.url, root);
    const type = file === null ? undefined : mimeType(file);
    if (file === null || type === undefined) return answer(404, 'Not found');
    let body: Buffer;
    try {
      const [realRoot, realFile] = await Promise.all([realpath(root), realpath(file)]);
      if (!inside(realRoot, realFile) || !(await stat(realFile)).isFile()) return answer(404, 'Not found');
      body = await readFile(realFile);
    } catch {
      return answer(404, 'Not found');
    }
    if (path.extname(file).toLowerCase() === '.html') {
      const page = withElectronCsp(body.toString('utf8'));
      if (page === null) return answer(500, 'The page has no <head> for its Content-Security-Policy');
      body = Buffer.from(page, 'utf8');
    }
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: appResponseHeaders(type),
    });
  };
}
