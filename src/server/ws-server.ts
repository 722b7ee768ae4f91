/**
 * The browser shell's transport (`dlnet serve`): an HTTP server on 127.0.0.1 that serves the
 * built renderer, and the typed API over a WebSocket at /api. A random token, given in the URL,
 * must accompany the page and every WebSocket connection; the Origin and Host headers must name
 * this server (no other web page, and no DNS-rebound name, can reach the API). Every message is
 * validated by the dispatcher; a malformed one closes the connection.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_UPLOAD_BYTES, type AppEvent } from '../api/api.js';
import { decodeMessage, encodeMessage, type ServerMessage } from '../api/wire.js';
import type { Dispatcher } from './dispatcher.js';
import type { Logger } from './log.js';

export interface WsServerOptions {
  port: number;
  /** Folder of the built renderer (dist/renderer). */
  staticDir: string;
  dispatcher: Dispatcher;
  log: Logger;
  /** For tests; default: 32 random bytes, hex. */
  token?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

function sameToken(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The headers of every HTTP response (exported for tests/unit/security-checklist.test.ts). */
export function securityHeaders(port: number): Record<string, string> {
  return {
    'Content-Security-Policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' blob: data:",
      "font-src 'self'",
      `connect-src ws://127.0.0.1:${port} ws://localhost:${port}`,
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

export async function startWsServer(options: WsServerOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(32).toString('hex');
  const root = path.resolve(options.staticDir);
  if (!existsSync(path.join(root, 'index.html'))) {
    throw new Error(`The user interface is not built (${path.join(root, 'index.html')} is missing); run \`npm run build\`.`);
  }
  let port = 0;
  const allowedHosts = () => [`127.0.0.1:${port}`, `localhost:${port}`];

  /** A request line that is not a URL, or a path that is not valid percent-encoding, is a 400, never a crash. */
  const parseUrl = (req: IncomingMessage): URL | null => {
    try {
      return new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      return null;
    }
  };

  const serveFile = (req: IncomingMessage, res: ServerResponse): void => {
    const url = parseUrl(req);
    const headers = securityHeaders(port);
    if (!url) {
      res.writeHead(400, { 'Content-Type': 'text/plain', ...headers }).end('Bad request.');
      return;
    }
    if (!allowedHosts().includes(req.headers.host ?? '')) {
      res.writeHead(421, { 'Content-Type': 'text/plain' }).end('Wrong host.');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'Content-Type': 'text/plain', ...headers }).end('Method not allowed.');
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400, { 'Content-Type': 'text/plain', ...headers }).end('Bad request.');
      return;
    }
    if (rel === '/' || rel === '/index.html') {
      if (!sameToken(url.searchParams.get('token'), token)) {
        res
          .writeHead(403, { 'Content-Type': 'text/plain; charset=utf-8', ...headers })
          .end('Open the full address that `dlnet serve` printed (it carries the access token).');
        return;
      }
      rel = '/index.html';
    }
    const file = path.resolve(root, `.${rel}`);
    if (!file.startsWith(root + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain', ...headers }).end('Not found.');
      return;
    }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', ...headers });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  };

  const http: Server = createServer(serveFile);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_UPLOAD_BYTES + 1024 * 1024,
    perMessageDeflate: false,
  });

  http.on('upgrade', (req, socket, head) => {
    // A client that resets the connection must not take the server down (an unhandled 'error').
    socket.on('error', () => socket.destroy());
    const url = parseUrl(req);
    const origin = req.headers.origin ?? '';
    const okOrigin = allowedHosts().some((h) => origin === `http://${h}`);
    if (
      !url ||
      url.pathname !== '/api' ||
      !sameToken(url.searchParams.get('token'), token) ||
      !okOrigin ||
      !allowedHosts().includes(req.headers.host ?? '')
    ) {
      options.log.warn(`refused a WebSocket connection (origin ${JSON.stringify(origin).slice(0, 80)})`);
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    const send = (message: ServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(encodeMessage(message));
    };
    const emit = (event: AppEvent) => send({ kind: 'event', event });
    // Protocol violations (bad frames, a message over maxPayload) arrive here; ws then closes the
    // connection. Without this listener the 'error' event would be thrown and end the process.
    ws.on('error', (error) => options.log.warn(`closing a connection after a protocol error: ${error.message}`));
    ws.on('message', (data, isBinary) => {
      let message: unknown;
      try {
        if (!isBinary) throw new TypeError('Text messages are not accepted.');
        const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
        message = decodeMessage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      } catch (error) {
        options.log.warn(
          `closing a connection after a malformed message: ${error instanceof Error ? error.message : String(error)}`,
        );
        ws.close(1003, 'Malformed message.');
        return;
      }
      const m = (typeof message === 'object' && message !== null ? message : {}) as {
        kind?: unknown;
        id?: unknown;
        channel?: unknown;
        args?: unknown;
      };
      if (m.kind !== 'request' || typeof m.id !== 'number' || !Number.isSafeInteger(m.id)) {
        ws.close(1003, 'Malformed message.');
        return;
      }
      const id = m.id;
      void options.dispatcher.handle(m.channel, m.args, emit).then((response) => send({ kind: 'response', id, ...response }));
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, '127.0.0.1', () => resolve());
  });
  port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}
