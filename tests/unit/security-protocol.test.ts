/**
 * Electron's checklist item "use a custom protocol instead of file://", on the real code:
 * the app:// scheme's privileges (src/main/app-scheme.ts), the URL → file resolver, the protocol
 * handler itself (src/main/app-protocol.ts, called with fetch Requests as protocol.handle calls
 * it) against a fixture folder and the built renderer, the policy it serves (connect-src 'none'),
 * the IPC sender check for app://dlnet, the GrantFileProtocolExtraPrivileges fuse, and the wiring
 * in src/main (read from the source, since Electron cannot run here).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Privileges } from 'electron';
import { FUSES } from '../../electron.config.js';
import { createAppProtocolHandler, PAGE_META_CSP, withElectronCsp } from '../../src/main/app-protocol.js';
import {
  APP_HOST,
  APP_ORIGIN,
  APP_SCHEME,
  APP_SCHEME_PRIVILEGES,
  APP_URL,
  MIME_TYPES,
  resolveAppUrl,
  resolveRendererPath,
} from '../../src/main/app-scheme.js';
import { CSP, isAllowedRequest, isAppSender } from '../../src/main/security.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');

function parseCsp(policy: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (!name) continue;
    assert.ok(!map.has(name.toLowerCase()), `CSP: directive ${name} appears twice`);
    map.set(name.toLowerCase(), sources);
  }
  return map;
}

/** The Electron page's policy: nothing but 'self'/'none'/data:/blob:, no connections at all, no unsafe-*. */
function checkElectronCsp(label: string, policy: string): void {
  const csp = parseCsp(policy);
  assert.deepEqual(csp.get('connect-src'), ["'none'"], `${label}: connect-src must be exactly 'none'`);
  assert.deepEqual(csp.get('default-src'), ["'none'"], `${label}: default-src must be 'none'`);
  assert.deepEqual(csp.get('script-src'), ["'self'"], `${label}: script-src must be exactly 'self'`);
  assert.deepEqual(csp.get('object-src'), ["'none'"], `${label}: object-src must be 'none'`);
  assert.deepEqual(csp.get('base-uri'), ["'none'"], `${label}: base-uri must be 'none'`);
  for (const [directive, sources] of csp) {
    for (const source of sources) {
      const s = source.toLowerCase();
      assert.ok(!s.includes('unsafe') && s !== "'strict-dynamic'", `${label}: ${directive} allows ${source}`);
      assert.ok(/^'(self|none)'$/.test(s) || s === 'data:' || s === 'blob:', `${label}: ${directive} allows ${source}`);
    }
  }
}

const CSP_META = /<meta\b[^>]*\bhttp-equiv\s*=\s*["']?content-security-policy["']?[^>]*>/gi;

/** The CSP <meta> tags of a served page; asserts there is exactly one and it precedes every script, style and link. */
function servedMeta(html: string): string {
  const metas = [...html.matchAll(CSP_META)];
  assert.equal(metas.length, 1, 'the served page has exactly one CSP <meta>');
  const content = /content="([^"]+)"/i.exec(metas[0][0]);
  assert.ok(content, 'the CSP <meta> has a content attribute');
  const at = metas[0].index ?? Infinity;
  for (const tag of ['<script', '<link', '<style']) {
    const first = html.toLowerCase().indexOf(tag);
    if (first >= 0) assert.ok(at < first, `the CSP <meta> comes before the first ${tag}`);
  }
  assert.ok(at > html.toLowerCase().indexOf('<head'), 'the CSP <meta> is inside <head>');
  return content[1];
}

describe('app:// scheme (checklist 18: a custom protocol instead of file://)', () => {
  test('the scheme is app://dlnet, registered standard and secure, with no privilege that loosens anything', () => {
    const p: Privileges = APP_SCHEME_PRIVILEGES.privileges ?? {};
    assert.equal(APP_SCHEME, 'app');
    assert.equal(APP_HOST, 'dlnet');
    assert.equal(APP_ORIGIN, 'app://dlnet');
    assert.equal(APP_URL, 'app://dlnet/index.html');
    assert.deepEqual(APP_SCHEME_PRIVILEGES, {
      scheme: 'app',
      privileges: { standard: true, secure: true, supportFetchAPI: true },
    });
    assert.equal(p.standard, true, 'standard: a real origin for the page');
    assert.equal(p.secure, true, 'secure: a secure context');
    for (const loosening of ['bypassCSP', 'corsEnabled', 'allowServiceWorkers', 'stream', 'codeCache'] as const) {
      assert.ok(!p[loosening], `privilege ${loosening} must stay off`);
    }
  });

  test('main registers the scheme before ready, serves it with the checked handler and loads only APP_URL', () => {
    const index = read('src/main/index.ts');
    const register = /^protocol\.registerSchemesAsPrivileged\(\[APP_SCHEME_PRIVILEGES\]\);$/m.exec(index);
    assert.ok(register, 'index.ts calls protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]) at top level');
    assert.ok(register.index < index.indexOf('app.whenReady()'), 'the scheme is registered before ready');
    assert.equal([...index.matchAll(/registerSchemesAsPrivileged\(/g)].length, 1, 'registerSchemesAsPrivileged is called once');
    const ready = index.indexOf('await app.whenReady()');
    const handled = index.indexOf('registerAppProtocol(paths)');
    assert.ok(ready >= 0 && handled > ready, 'the handler is registered after ready');
    assert.ok(handled < index.indexOf('open();'), 'the handler is registered before the window opens');
    const windowTs = read('src/main/window.ts');
    assert.match(
      windowTs,
      /protocol\.handle\(APP_SCHEME, createAppProtocolHandler\(path\.dirname\(paths\.html\)\)\)/,
      'app:// is served by createAppProtocolHandler(dist/renderer)',
    );
    assert.match(windowTs, /window\.loadURL\(APP_URL\)/);
    for (const file of ['index.ts', 'window.ts', 'security.ts', 'app-protocol.ts', 'app-scheme.ts']) {
      assert.doesNotMatch(
        read(`src/main/${file}`),
        /\.loadFile\(|registerFileProtocol|interceptFileProtocol|protocol\.handle\(['"]file/,
        `src/main/${file} loads nothing from file://`,
      );
    }
    for (const file of ['app-protocol.ts', 'app-scheme.ts', 'security.ts']) {
      assert.doesNotMatch(
        read(`src/main/${file}`),
        /^import (?!type )[^;]*from 'electron'/m,
        `src/main/${file} imports Electron for types only`,
      );
    }
  });

  test('the GrantFileProtocolExtraPrivileges fuse is off', () => {
    assert.equal(FUSES.grantFileProtocolExtraPrivileges, false);
  });
});

describe('app:// path resolution', () => {
  const root = path.join(os.tmpdir(), 'dlnet-protocol-root', 'renderer');
  const inRoot = (...p: string[]) => path.join(root, ...p);

  test('serves files under dist/renderer with a known type', () => {
    assert.equal(resolveRendererPath('/index.html', root), inRoot('index.html'));
    assert.equal(resolveRendererPath('/assets/index-_AV4_d7d.js', root), inRoot('assets', 'index-_AV4_d7d.js'));
    assert.equal(
      resolveRendererPath('/assets/%61pp.css', root),
      inRoot('assets', 'app.css'),
      'plain characters may be percent-encoded',
    );
    for (const ext of Object.keys(MIME_TYPES))
      assert.equal(resolveRendererPath(`/assets/f${ext}`, root), inRoot('assets', `f${ext}`));
    assert.equal(resolveAppUrl(APP_URL, root), inRoot('index.html'));
    assert.equal(resolveAppUrl(`${APP_URL}?x=1#help`, root), inRoot('index.html'), 'query and fragment are ignored');
    assert.equal(resolveAppUrl('app://dlnet/assets/x.js', root), inRoot('assets', 'x.js'));
  });

  test('refuses traversal in every spelling, absolute paths, backslashes, NUL and unknown types', () => {
    const refused = [
      '/../secret.json',
      '/assets/../../secret.json',
      '/assets/../index.html',
      '/./index.html',
      '/%2e%2e/secret.json',
      '/%2E%2E/secret.json',
      '/.%2e/secret.json',
      '/%2e./secret.json',
      '/%2e%2e%2fsecret.json',
      '/..%2fsecret.json',
      '/..%2Fsecret.json',
      '/%2fetc%2fpasswd.json',
      '/..%5csecret.json',
      '/..%5Csecret.json',
      '/assets\\..\\..\\secret.json',
      '/a\\b.js',
      '/%252e%252e/secret.json',
      '/%25%32%65%25%32%65/secret.json',
      '/x.js%00.png',
      '/x%00.js',
      '/x\0.js',
      '//etc/passwd.json',
      '/C:/Windows/win.ini.json',
      '/C%3A%5CWindows%5Cx.js',
      'C:\\Windows\\x.js',
      '/\\\\server\\share\\x.js',
      '/etc/passwd',
      'index.html',
      '',
      '/',
      '/assets/',
      '/.env',
      '/.hidden.js',
      '/x.js.',
      '/x.js ',
      '/CON.js',
      '/assets/nul.json',
      '/LPT1.css',
      '/x.map',
      '/index.js.map',
      '/x.exe',
      '/x.html.exe',
      '/x',
      '/a%ZZ.js',
      '/%E0%A4%A.js',
      `/${'a/'.repeat(16)}x.js`,
      `/${'a'.repeat(300)}.js`,
    ];
    for (const p of refused) assert.equal(resolveRendererPath(p, root), null, `${JSON.stringify(p)} must not resolve`);
    assert.equal(resolveRendererPath(42 as never, root), null);
    for (const url of [
      pathToFileURL(inRoot('index.html')).href,
      'file:///etc/passwd',
      'app://other/index.html',
      'app://dlnet.evil/index.html',
      'app://dlnet:8080/index.html',
      'app://user:pw@dlnet/index.html',
      'app://dlnet/..%2f..%2fsecret.json',
      'app:/index.html',
      'app:index.html',
      'http://dlnet/index.html',
      'https://dlnet/index.html',
      'not a url',
    ]) {
      assert.equal(resolveAppUrl(url, root), null, `${url} must not resolve`);
    }
  });

  test('whatever the path, the result is null or strictly inside the renderer folder (random paths)', () => {
    const pieces = [
      '.',
      '..',
      '%2e',
      '%2E',
      '%2e%2e',
      '%2f',
      '%5c',
      '/',
      '//',
      '\\',
      'a',
      'x.js',
      'y.json',
      '%00',
      ':',
      'C:',
      '%252e',
      '%',
      '~',
      'index.html',
      ' ',
    ];
    let seed = 12345;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    let resolved = 0;
    for (let i = 0; i < 5000; i++) {
      let p = '/';
      for (let k = 0, n = 1 + rand(8); k < n; k++) p += pieces[rand(pieces.length)];
      const file = resolveRendererPath(p, root);
      if (file === null) continue;
      resolved++;
      assert.ok(file.startsWith(root + path.sep), `${JSON.stringify(p)} resolved outside: ${file}`);
      assert.ok(!file.split(path.sep).includes('..'), `${JSON.stringify(p)} resolved to a path with ..`);
      const viaUrl = resolveAppUrl(`app://dlnet${p}`, root);
      assert.ok(viaUrl === null || viaUrl.startsWith(root + path.sep), `app://dlnet${p} resolved outside: ${viaUrl}`);
    }
    assert.ok(resolved > 0, 'some random paths are plain files');
  });

  test('the request filter lets through only what the resolver serves, and nothing from file://', () => {
    assert.equal(isAllowedRequest(APP_URL, root), true);
    assert.equal(isAllowedRequest('app://dlnet/assets/x.js', root), true);
    for (const url of [
      pathToFileURL(inRoot('index.html')).href,
      pathToFileURL(inRoot('assets', 'x.js')).href,
      'app://other/x.js',
      'app://dlnet/x.exe',
      'app://dlnet/..%2fx.js',
    ]) {
      assert.equal(isAllowedRequest(url, root), false, `${url} must be cancelled`);
    }
  });
});

describe('app:// handler', () => {
  let dir: string;
  let root: string;
  let handle: (request: Request) => Promise<Response>;
  const files: Record<string, Buffer> = {
    'assets/app.js': Buffer.from('console.log(1);\n'),
    'assets/app.mjs': Buffer.from('export {};\n'),
    'assets/app.css': Buffer.from('body{}\n'),
    'assets/i.svg': Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
    'assets/i.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    'assets/f.woff2': Buffer.from('wOF2\0\0'),
    'assets/d.json': Buffer.from('{"a":1}'),
  };
  const types: Record<string, string> = {
    js: 'text/javascript; charset=utf-8',
    mjs: 'text/javascript; charset=utf-8',
    css: 'text/css; charset=utf-8',
    svg: 'image/svg+xml',
    png: 'image/png',
    woff2: 'font/woff2',
    json: 'application/json; charset=utf-8',
  };
  const SECRET = 'TOP-SECRET-OUTSIDE-RENDERER';
  let symlinked = false;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dlnet-protocol-'));
    root = path.join(dir, 'renderer');
    mkdirSync(path.join(root, 'assets'), { recursive: true });
    mkdirSync(path.join(root, 'dir.js'));
    // The page as the renderer source has it: a <meta> policy that allows ws://127.0.0.1:* for `dlnet serve`.
    writeFileSync(path.join(root, 'index.html'), read('src/renderer/index.html'));
    writeFileSync(path.join(root, 'nohead.html'), '<p>no head</p>');
    for (const [name, body] of Object.entries(files)) writeFileSync(path.join(root, name), body);
    writeFileSync(path.join(dir, 'secret.json'), JSON.stringify({ secret: SECRET }));
    writeFileSync(path.join(dir, 'secret.js'), `// ${SECRET}`);
    try {
      symlinkSync(path.join(dir, 'secret.json'), path.join(root, 'assets', 'link.json'));
      symlinked = true;
    } catch {
      symlinked = false;
    }
    handle = createAppProtocolHandler(root);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const get = (url: string, method = 'GET') => handle(new Request(url, { method }));

  test('serves index.html with the Electron policy in a header and as the page’s only <meta> policy', async () => {
    const res = await get(APP_URL);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('content-security-policy'), CSP);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const html = await res.text();
    const meta = servedMeta(html);
    assert.equal(meta, PAGE_META_CSP);
    checkElectronCsp('served <meta>', meta);
    checkElectronCsp('served header', res.headers.get('content-security-policy') ?? '');
    assert.doesNotMatch(html, /ws:\/\//, 'the serve policy (ws://127.0.0.1:*) is gone from the Electron page');
    assert.match(html, /<script type="module" src="\.\/main\.ts"><\/script>/, 'the rest of the page is unchanged');
    assert.match(html, /<div id="app"><\/div>/);
  });

  test('serves each allowed type with its MIME type, the policy and the bytes on disk', async () => {
    for (const [name, body] of Object.entries(files)) {
      const res = await get(`app://dlnet/${name}`);
      assert.equal(res.status, 200, name);
      assert.equal(res.headers.get('content-type'), types[path.extname(name).slice(1)], name);
      assert.equal(res.headers.get('content-security-policy'), CSP, name);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', name);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), body, name);
    }
    const head = await get('app://dlnet/assets/app.js', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal((await head.arrayBuffer()).byteLength, 0, 'HEAD has no body');
  });

  test('anything outside dist/renderer, any traversal, links out, folders, other hosts and methods: 404/405 with nothing leaked', async () => {
    const refused = [
      'app://dlnet/..%2fsecret.json',
      'app://dlnet/..%2Fsecret.js',
      'app://dlnet/assets/..%2f..%2fsecret.json',
      'app://dlnet/%2e%2e%2fsecret.json',
      'app://dlnet/..%5csecret.json',
      'app://dlnet/assets%5c..%5c..%5csecret.json',
      'app://dlnet/../secret.json',
      'app://dlnet/%2e%2e/secret.json',
      'app://dlnet/secret.json',
      `app://dlnet/${encodeURIComponent(path.join(dir, 'secret.json'))}`,
      `app://dlnet/${path.join(dir, 'secret.json').split(path.sep).map(encodeURIComponent).join('/')}`,
      'app://dlnet/x.js%00.png',
      'app://dlnet/dir.js',
      'app://dlnet/missing.js',
      'app://dlnet/',
      'app://dlnet/.env',
      'app://other/index.html',
      'app://dlnet:1/index.html',
    ];
    if (symlinked) refused.push('app://dlnet/assets/link.json');
    for (const url of refused) {
      const res = await get(url);
      assert.equal(res.status, 404, `${url} must be 404`);
      assert.equal(res.headers.get('content-security-policy'), CSP, `${url}: the 404 carries the policy too`);
      assert.doesNotMatch(await res.text(), new RegExp(SECRET), `${url} leaked the file outside`);
    }
    assert.equal((await get(APP_URL, 'POST')).status, 405);
    assert.equal((await get(APP_URL, 'PUT')).status, 405);
    assert.equal((await get('app://dlnet/nohead.html')).status, 500, 'a page where the policy cannot go first is not served');
  });

  test("the built renderer (dist/renderer), when present, is served with connect-src 'none' before its scripts", async () => {
    const dist = path.join(ROOT, 'dist/renderer');
    if (!existsSync(path.join(dist, 'index.html'))) return;
    const res = await createAppProtocolHandler(dist)(new Request(APP_URL));
    assert.equal(res.status, 200);
    const html = await res.text();
    checkElectronCsp('dist page <meta>', servedMeta(html));
    const scripts = [...html.matchAll(/<script[^>]*src="\.\/([^"]+)"/g)].map((m) => m[1]);
    assert.ok(scripts.length > 0, 'the built page has its module script');
    for (const src of [...scripts, ...[...html.matchAll(/<link[^>]*href="\.\/([^"]+)"/g)].map((m) => m[1])]) {
      const asset = await createAppProtocolHandler(dist)(new Request(new URL(src, APP_URL).href));
      assert.equal(asset.status, 200, `${src} is served`);
    }
  });
});

describe('Content-Security-Policy of the Electron page', () => {
  test("header and <meta> policies: connect-src 'none', no unsafe-*, the <meta> a copy less frame-ancestors", () => {
    checkElectronCsp('main CSP', CSP);
    checkElectronCsp('page <meta> CSP', PAGE_META_CSP);
    const header = parseCsp(CSP);
    const meta = parseCsp(PAGE_META_CSP);
    assert.deepEqual(header.get('frame-ancestors'), ["'none'"]);
    assert.equal(meta.has('frame-ancestors'), false, 'frame-ancestors is ignored in a <meta>, so it is left out');
    for (const [directive, sources] of meta)
      assert.deepEqual(sources, header.get(directive), `<meta> ${directive} equals the header's`);
    assert.equal(meta.size, header.size - 1);
  });

  test('withElectronCsp replaces every CSP <meta>, whatever its spelling, and puts the policy first', () => {
    const html = `<!doctype html><html><HEAD data-x="1"><meta charset="utf-8"><META HTTP-EQUIV='Content-Security-Policy' CONTENT="connect-src *"><meta http-equiv=content-security-policy content="default-src *"><script src="./a.js"></script></HEAD><body></body></html>`;
    const out = withElectronCsp(html);
    assert.ok(out);
    assert.equal(servedMeta(out), PAGE_META_CSP);
    assert.doesNotMatch(out, /connect-src \*|default-src \*/);
    assert.equal(withElectronCsp('<html><body>no head</body></html>'), null);
    assert.equal(withElectronCsp('<header>not a head</header>'), null);
  });
});

describe('IPC sender check for app://dlnet (checklist 17)', () => {
  const from = (url: string, parent: unknown = null) => isAppSender({ senderFrame: { url, parent } }, APP_URL);
  test('accepts the app page at app://dlnet, refuses file://, other schemes and hosts, and sub-frames', () => {
    assert.equal(from(APP_URL), true);
    assert.equal(from(`${APP_URL}#mask`), true);
    for (const url of [
      pathToFileURL(path.join(ROOT, 'dist/renderer/index.html')).href,
      'file:///index.html',
      'file://dlnet/index.html',
      'http://dlnet/index.html',
      'https://dlnet/index.html',
      'ws://dlnet/index.html',
      'chrome://dlnet/index.html',
      'devtools://devtools/index.html',
      'about:blank',
      'data:text/html,<p>x</p>',
      'blob:app://dlnet/1234',
      'app://evil/index.html',
      'app://dlnet.evil/index.html',
      'app://dlnet:80/index.html',
      'app://u@dlnet/index.html',
      'app://dlnet/other.html',
      'app://dlnet/index.html?x=1',
      'app:/index.html',
      '',
    ]) {
      assert.equal(from(url), false, `${url} is not the app`);
    }
    assert.equal(from(APP_URL, {}), false, 'a sub-frame, even on the app’s URL, is refused');
    assert.equal(from(APP_URL, { url: APP_URL }), false);
    assert.equal(isAppSender({ senderFrame: null }, APP_URL), false);
    assert.equal(isAppSender({}, APP_URL), false);
  });
});
