/**
 * Electron's security checklist, checked on the real values: the BrowserWindow options
 * and the session rules come from src/main/security.ts (the module window.ts and index.ts apply),
 * the CSPs from where main, the renderer page and `dlnet serve` use them, the IPC sender check is
 * the real main-side handler, and the fuses, targets and resources come from electron.config.ts.
 * The app:// scheme, its handler and the policy it serves are checked in security-protocol.test.ts.
 * Electron itself cannot run here, so the wiring (that main really uses these) is read from the
 * source of src/main. Any loosening fails one of these tests with the item's name.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import sharp from 'sharp';
import config, { FUSES } from '../../electron.config.js';
import { createIpcHandler, FORBIDDEN } from '../../src/main/ipc-handler.js';
import {
  APP_URL,
  CSP,
  EXTERNAL_LINKS,
  hardenSession,
  isAllowedRequest,
  isAppSender,
  isVettedExternalUrl,
  lockDown,
  webPreferences,
  windowOptions,
} from '../../src/main/security.js';
import type { Dispatcher } from '../../src/server/dispatcher.js';
import { silentLogger } from '../../src/server/log.js';
import { securityHeaders } from '../../src/server/ws-server.js';
import { ALL_CHANNELS, Channels } from '../../src/api/api.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (rel: string) => readFileSync(path.join(ROOT, rel), 'utf8');
const RENDERER_DIR = path.join(ROOT, 'dist/renderer');
const FILE_URL = pathToFileURL(path.join(RENDERER_DIR, 'index.html')).href;

/** `a; b c` → Map(a → [], b → [c]). */
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

const LOOPBACK_WS = /^ws:\/\/(127\.0\.0\.1|localhost):(\d+|\*)$/;

/** The rules every CSP of the app keeps; `connect` says which connect-src sources are allowed. */
function checkCsp(label: string, policy: string, connect: (source: string) => boolean): void {
  const csp = parseCsp(policy);
  assert.deepEqual(csp.get('default-src'), ["'none'"], `${label}: default-src must be 'none'`);
  assert.deepEqual(csp.get('script-src'), ["'self'"], `${label}: script-src must be exactly 'self'`);
  assert.deepEqual(csp.get('base-uri'), ["'none'"], `${label}: base-uri must be 'none'`);
  assert.deepEqual(csp.get('form-action'), ["'none'"], `${label}: form-action must be 'none'`);
  if (csp.has('object-src')) assert.deepEqual(csp.get('object-src'), ["'none'"], `${label}: object-src must be 'none'`);
  for (const [directive, sources] of csp) {
    for (const source of sources) {
      const s = source.toLowerCase();
      assert.ok(
        !["'unsafe-eval'", "'unsafe-inline'", "'unsafe-hashes'", "'wasm-unsafe-eval'", "'strict-dynamic'"].includes(s),
        `${label}: ${directive} allows ${source}`,
      );
      assert.ok(
        !s.includes('*') || (directive === 'connect-src' && LOOPBACK_WS.test(s)),
        `${label}: ${directive} has a wildcard source ${source}`,
      );
      if (directive === 'connect-src') {
        assert.ok(connect(s), `${label}: connect-src allows ${source}`);
        continue;
      }
      // No remote sources: only keywords and the in-page schemes.
      assert.ok(
        /^'(self|none)'$/.test(s) || s === 'data:' || s === 'blob:',
        `${label}: ${directive} allows the remote or unknown source ${source}`,
      );
    }
  }
}

function metaCsp(html: string): string {
  const match = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html);
  assert.ok(match, 'the page has a Content-Security-Policy <meta> tag');
  return match[1];
}

/** Records what a function registers on an Electron-shaped object, so the registered handlers can be called. */
function recorder() {
  const calls = new Map<string, unknown[]>();
  const proxy: unknown = new Proxy(
    {},
    {
      get(_target, key: string) {
        if (key === 'webRequest') return proxy;
        return (...args: unknown[]) => {
          if (key === 'on') calls.set(`on:${String(args[0])}`, [args[1]]);
          else calls.set(key, args);
        };
      },
    },
  );
  const handler = <F extends (...a: never[]) => unknown>(key: string): F => {
    const entry = calls.get(key);
    assert.ok(entry, `${key} was registered`);
    return entry[0] as F;
  };
  return { target: proxy, handler };
}

describe('Electron security checklist: the window', () => {
  const options = windowOptions('/app/dist/preload/index.cjs', { width: 1400, height: 900 });
  const prefs = options.webPreferences ?? {};

  test('context isolation, sandbox and no Node in the renderer (checklist 2, 3, 4)', () => {
    assert.equal(prefs.contextIsolation, true, 'webPreferences.contextIsolation must be true');
    assert.equal(prefs.sandbox, true, 'webPreferences.sandbox must be true');
    assert.equal(prefs.nodeIntegration, false, 'webPreferences.nodeIntegration must be false');
    assert.equal(prefs.nodeIntegrationInWorker, false, 'webPreferences.nodeIntegrationInWorker must be false');
    assert.equal(prefs.nodeIntegrationInSubFrames, false, 'webPreferences.nodeIntegrationInSubFrames must be false');
    assert.equal(prefs.preload, '/app/dist/preload/index.cjs', 'the preload is the only bridge');
  });

  test('web security on, no insecure content, no experimental or Blink features, no <webview> (checklist 6, 8, 9, 10, 11)', () => {
    assert.equal(prefs.webSecurity, true, 'webPreferences.webSecurity must be true');
    assert.equal(prefs.allowRunningInsecureContent, false, 'webPreferences.allowRunningInsecureContent must be false');
    assert.equal(prefs.experimentalFeatures, false, 'webPreferences.experimentalFeatures must be false');
    assert.equal(prefs.enableBlinkFeatures, undefined, 'webPreferences.enableBlinkFeatures must not be set');
    assert.equal(prefs.webviewTag, false, 'webPreferences.webviewTag must be false');
    assert.equal(prefs.navigateOnDragDrop, false, 'webPreferences.navigateOnDragDrop must be false');
    assert.equal(webPreferences('/p', false).devTools, false, 'devTools are off unless DLNET_DEVTOOLS=1');
    const allowed = new Set([
      'preload',
      'contextIsolation',
      'sandbox',
      'nodeIntegration',
      'nodeIntegrationInWorker',
      'nodeIntegrationInSubFrames',
      'webSecurity',
      'allowRunningInsecureContent',
      'experimentalFeatures',
      'webviewTag',
      'navigateOnDragDrop',
      'safeDialogs',
      'spellcheck',
      'devTools',
    ]);
    for (const key of Object.keys(prefs))
      assert.ok(allowed.has(key), `webPreferences.${key} is new: review it and add it to this test`);
  });

  test('main builds its window, session and IPC only from the checked code', () => {
    const sources = readdirSync(path.join(ROOT, 'src/main')).filter((f) => f.endsWith('.ts'));
    for (const file of sources) {
      const text = read(`src/main/${file}`);
      for (const m of text.matchAll(/new BrowserWindow\(([^)]*)/g)) {
        assert.match(m[1], /^windowOptions\(/, `src/main/${file}: every BrowserWindow takes windowOptions(…) from security.ts`);
      }
      assert.doesNotMatch(
        text,
        /ipcMain\.on\(|ipcMain\.handleOnce\(/,
        `src/main/${file}: IPC goes through registerIpc (ipcMain.handle + sender check) only`,
      );
      assert.doesNotMatch(
        text,
        /shell\.openExternal\((?!url\))/,
        `src/main/${file}: shell.openExternal only behind isVettedExternalUrl`,
      );
      assert.doesNotMatch(text, /webPreferences\s*:\s*\{/, `src/main/${file}: web preferences are built only by security.ts`);
    }
    const windowTs = read('src/main/window.ts');
    assert.match(windowTs, /new BrowserWindow\(windowOptions\(/);
    assert.match(windowTs, /lockDown\(window\.webContents/, 'the window is locked down');
    const index = read('src/main/index.ts');
    assert.match(index, /app\.enableSandbox\(\)/, 'app.enableSandbox() sandboxes every renderer');
    assert.match(index, /hardenSession\(/, 'the session is hardened');
    assert.match(index, /web-contents-created[^\n]*lockDown\(/, 'every web contents is locked down');
    assert.match(
      index,
      /registerIpc\(guardPaths\([^\n]*\), APP_URL, log\)/,
      'IPC goes through the path guard and checks senders against APP_URL',
    );
    assert.match(index, /web-contents-created[^\n]*lockDown\(contents, APP_URL\)/, 'the lock-down allows only APP_URL');
    assert.match(windowTs, /lockDown\(window\.webContents, APP_URL\)/, 'the window’s lock-down allows only APP_URL');
    assert.match(windowTs, /window\.loadURL\(APP_URL\)/, 'the window loads app://dlnet/index.html');
    for (const file of sources) {
      const text = read(`src/main/${file}`);
      assert.doesNotMatch(
        text,
        /\.loadFile\(|pathToFileURL\(|registerFileProtocol\(|interceptFileProtocol\(/,
        `src/main/${file}: nothing is loaded from file://`,
      );
    }
    const ipc = read('src/main/ipc.ts');
    assert.match(ipc, /createIpcHandler\(/, 'ipc.ts registers the checked handler');
    assert.equal([...ipc.matchAll(/ipcMain\.handle\(/g)].length, 1, 'one ipcMain.handle call, for ALL_CHANNELS');
  });

  test('the preload exposes one object that checks channels (checklist 20)', () => {
    const preload = read('src/preload/index.ts');
    assert.equal([...preload.matchAll(/exposeInMainWorld\(/g)].length, 1);
    assert.match(preload, /exposeInMainWorld\('dlnet', Object\.freeze\(bridge\)\)/);
    assert.match(preload, /if \(!isChannel\(channel\)\)/);
    assert.doesNotMatch(preload, /exposeInMainWorld\([^)]*ipcRenderer/);
  });
});

describe('Electron security checklist: Content-Security-Policy (checklist 7)', () => {
  test('main’s policy: nothing remote, no eval, no connections at all', () => {
    checkCsp('main CSP', CSP, (s) => s === "'none'");
    const csp = parseCsp(CSP);
    assert.deepEqual(csp.get('connect-src'), ["'none'"]);
    assert.deepEqual(csp.get('frame-src'), ["'none'"]);
    assert.deepEqual(csp.get('object-src'), ["'none'"]);
  });

  test('the renderer page’s own <meta> policy: no eval, nothing remote, connections only to loopback', () => {
    const pages = ['src/renderer/index.html', 'dist/renderer/index.html'].filter((p) => existsSync(path.join(ROOT, p)));
    for (const page of pages) checkCsp(page, metaCsp(read(page)), (s) => s === "'self'" || LOOPBACK_WS.test(s));
  });

  test('`dlnet serve` sends a policy whose connections go to its own port only', () => {
    const headers = securityHeaders(48123);
    checkCsp(
      'serve CSP',
      headers['Content-Security-Policy'],
      (s) => s === 'ws://127.0.0.1:48123' || s === 'ws://localhost:48123',
    );
    assert.equal(headers['X-Content-Type-Options'], 'nosniff');
    assert.match(headers['Content-Security-Policy'], /frame-ancestors 'none'/);
  });
});

describe('Electron security checklist: session and web contents', () => {
  test('every permission request and check is denied (checklist 5)', () => {
    const ses = recorder();
    hardenSession(ses.target as never, RENDERER_DIR);
    const request = ses.handler<(c: unknown, p: string, cb: (ok: boolean) => void) => void>('setPermissionRequestHandler');
    for (const permission of [
      'media',
      'geolocation',
      'notifications',
      'openExternal',
      'clipboard-read',
      'display-capture',
      'fullscreen',
      'unknown',
    ]) {
      let granted: boolean | undefined;
      request(null, permission, (ok) => (granted = ok));
      assert.equal(granted, false, `permission ${permission} must be denied`);
    }
    assert.equal(ses.handler<(...a: unknown[]) => boolean>('setPermissionCheckHandler')(null, 'media', 'file://', {}), false);
    assert.equal(ses.handler<(...a: unknown[]) => boolean>('setDevicePermissionHandler')({}), false);
    let streams: unknown;
    ses.handler<(r: unknown, cb: (s: unknown) => void) => void>('setDisplayMediaRequestHandler')({}, (s) => (streams = s));
    assert.deepEqual(streams, {}, 'screen capture is refused');
  });

  test('no remote content: only the app’s own files over app:// load, nothing from file:// (checklist 1, 18)', () => {
    const ses = recorder();
    hardenSession(ses.target as never, RENDERER_DIR);
    const before = ses.handler<(d: { url: string }, cb: (r: { cancel: boolean }) => void) => void>('onBeforeRequest');
    const cancelled = (url: string) => {
      let result: { cancel: boolean } | undefined;
      before({ url }, (r) => (result = r));
      return result?.cancel;
    };
    assert.equal(cancelled(APP_URL), false);
    assert.equal(cancelled('app://dlnet/assets/index-abc.js'), false);
    assert.equal(cancelled('app://dlnet/assets/index-abc.css'), false);
    assert.equal(cancelled('data:image/png;base64,AAAA'), false);
    assert.equal(cancelled('blob:app://dlnet/1234'), false);
    for (const url of [
      FILE_URL,
      pathToFileURL(path.join(RENDERER_DIR, 'assets/index.js')).href,
      'app://other/index.html',
      'app://dlnet:8080/index.html',
      'app://user@dlnet/index.html',
      'app://dlnet/..%2f..%2fpackage.json',
      'app://dlnet/assets/index.js.map',
      'app://dlnet/.env',
      'https://example.com/x.js',
      'http://127.0.0.1:8080/',
      'ws://127.0.0.1:1234/api',
      'ftp://example.com/',
      'file:///etc/passwd',
      pathToFileURL(path.join(RENDERER_DIR, '../main/index.js')).href,
      `${pathToFileURL(RENDERER_DIR).href}/../../package.json`,
      'file://server/share/x.png',
      'devtools://devtools/bundled/inspector.html',
      'not a url',
    ]) {
      assert.equal(cancelled(url), true, `${url} must be cancelled`);
    }
    assert.equal(isAllowedRequest('devtools://devtools/x', RENDERER_DIR, true), true, 'devtools only when enabled');
    let headers: Record<string, string[]> | undefined;
    ses.handler<(d: unknown, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void>('onHeadersReceived')(
      { responseHeaders: { 'X-Other': ['1'] } },
      (r) => (headers = r.responseHeaders),
    );
    assert.deepEqual(headers?.['Content-Security-Policy'], [CSP], 'every response carries main’s CSP');
  });

  test('navigation, redirects, <webview> and new windows are blocked; links open only when vetted (checklist 12, 13, 14, 15)', () => {
    const contents = recorder();
    const opened: string[] = [];
    lockDown(contents.target as never, APP_URL, async (url) => void opened.push(url));
    const prevented = (key: string, ...args: unknown[]) => {
      let stopped = false;
      const event = { preventDefault: () => (stopped = true), url: args[0] };
      contents.handler<(...a: unknown[]) => void>(key)(event, ...args);
      return stopped;
    };
    assert.equal(prevented('on:will-navigate', 'https://example.com/'), true);
    assert.equal(prevented('on:will-navigate', 'file:///etc/passwd'), true);
    assert.equal(prevented('on:will-navigate', FILE_URL), true, 'the old file:// page is not the app');
    assert.equal(prevented('on:will-navigate', 'app://dlnet/other.html'), true);
    assert.equal(prevented('on:will-navigate', 'app://evil/index.html'), true);
    assert.equal(prevented('on:will-navigate', `${APP_URL}#help`), false, 'the app page itself may reload');
    assert.equal(prevented('on:will-frame-navigate', 'https://example.com/'), true);
    assert.equal(prevented('on:will-redirect', 'https://example.com/'), true);
    assert.equal(prevented('on:will-attach-webview', {}, {}), true);
    const open = contents.handler<(d: { url: string }) => { action: string }>('setWindowOpenHandler');
    for (const url of ['https://example.com/', 'http://example.com/', 'file:///etc/passwd', 'javascript:alert(1)', APP_URL]) {
      assert.deepEqual(open({ url }), { action: 'deny' }, `window.open(${url}) is denied`);
    }
    assert.deepEqual(opened, [], 'nothing is opened externally while EXTERNAL_LINKS is empty');
  });

  test('shell.openExternal allow-list: https, exact host, path prefix, no credentials or ports', () => {
    for (const prefix of EXTERNAL_LINKS) assert.match(prefix, /^https:\/\/[^/@:]+\//, `EXTERNAL_LINKS entry ${prefix}`);
    const allow = ['https://docs.example.org/dlnet/'];
    assert.equal(isVettedExternalUrl('https://docs.example.org/dlnet/help.html', allow), true);
    for (const url of [
      'http://docs.example.org/dlnet/help.html',
      'https://docs.example.org/other',
      'https://docs.example.org.evil.com/dlnet/',
      'https://evil.com/docs.example.org/dlnet/',
      'https://user:pw@docs.example.org/dlnet/',
      'https://docs.example.org:8443/dlnet/',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'smb://docs.example.org/dlnet/',
      '',
      `https://docs.example.org/dlnet/${'a'.repeat(5000)}`,
    ]) {
      assert.equal(isVettedExternalUrl(url, allow), false, `${url.slice(0, 80)} must not be opened`);
    }
    assert.equal(isVettedExternalUrl(42 as never, allow), false);
  });
});

describe('Electron security checklist: IPC senders (checklist 17)', () => {
  test('only the app’s own top-level page reaches the dispatcher', async () => {
    const seen: unknown[] = [];
    const dispatcher: Dispatcher = { handle: async (channel) => (seen.push(channel), { ok: true, result: null }) };
    const handle = createIpcHandler(Channels.appInfo, dispatcher, APP_URL, silentLogger, () => () => undefined);
    const foreign = [
      { senderFrame: { url: 'https://evil.example/', parent: null } },
      { senderFrame: { url: 'file:///tmp/evil.html', parent: null } },
      { senderFrame: { url: FILE_URL, parent: null } },
      { senderFrame: { url: 'app://evil/index.html', parent: null } },
      { senderFrame: { url: 'app://dlnet:1/index.html', parent: null } },
      { senderFrame: { url: 'https://dlnet/index.html', parent: null } },
      { senderFrame: { url: 'app://dlnet/assets/index.html', parent: null } },
      { senderFrame: { url: `${APP_URL}?x=1`, parent: null } },
      { senderFrame: { url: APP_URL, parent: {} } },
      { senderFrame: { url: 'about:blank', parent: null } },
      { senderFrame: null },
      {},
    ];
    for (const event of foreign) assert.deepEqual(await handle(event as never, {}), FORBIDDEN, JSON.stringify(event));
    assert.deepEqual(seen, [], 'the dispatcher never saw a foreign request');
    assert.deepEqual(await handle({ senderFrame: { url: APP_URL, parent: null } }, {}), { ok: true, result: null });
    assert.deepEqual(await handle({ senderFrame: { url: `${APP_URL}#mask`, parent: null } }, {}), { ok: true, result: null });
    assert.equal(
      isAppSender({ senderFrame: { url: APP_URL.replace('index.html', 'other.html'), parent: null } }, APP_URL),
      false,
    );
    assert.ok(ALL_CHANNELS.length > 0);
  });
});

describe('Packaging: fuses, targets, resources, icons (checklist 19)', () => {
  test('the packaged binary’s fuses', () => {
    assert.equal(config.electronFuses, FUSES, 'electron.config.ts passes FUSES to electron-builder');
    assert.equal(FUSES.runAsNode, false, 'fuse RunAsNode off');
    assert.equal(FUSES.enableNodeOptionsEnvironmentVariable, false, 'fuse EnableNodeOptionsEnvironmentVariable off');
    assert.equal(FUSES.enableNodeCliInspectArguments, false, 'fuse EnableNodeCliInspectArguments off');
    assert.equal(FUSES.enableEmbeddedAsarIntegrityValidation, true, 'fuse EnableEmbeddedAsarIntegrityValidation on');
    assert.equal(FUSES.onlyLoadAppFromAsar, true, 'fuse OnlyLoadAppFromAsar on');
    assert.equal(FUSES.enableCookieEncryption, true, 'fuse EnableCookieEncryption on');
    assert.equal(
      FUSES.grantFileProtocolExtraPrivileges,
      false,
      'fuse GrantFileProtocolExtraPrivileges off (the renderer is served from app://)',
    );
    assert.notEqual(config.asar, false, 'the app is packed in app.asar (the fuses above depend on it)');
  });

  test('targets AppImage, deb, NSIS and DMG; models as extraResources; training never packaged', () => {
    const names = (targets: unknown) =>
      (targets as (string | { target: string })[]).map((t) => (typeof t === 'string' ? t : t.target));
    assert.deepEqual(names(config.linux?.target), ['AppImage', 'deb']);
    assert.deepEqual(names(config.win?.target), ['nsis']);
    assert.deepEqual(names(config.mac?.target), ['dmg']);
    const extra = config.extraResources as { from: string; to: string }[];
    assert.ok(
      extra.some((r) => r.from === 'resources/models' && r.to === 'models'),
      'resources/models ship as extraResources/models',
    );
    assert.ok(!extra.some((r) => r.from.startsWith('training')), 'nothing from training/ is an extra resource');
    const files = config.files as string[];
    assert.ok(files.includes('!training/**'), 'training/ is excluded from the app files');
    assert.ok(
      files.every((f) => f.startsWith('!') || f.startsWith('dist/') || f === 'package.json'),
      'only the build output and package.json are packed',
    );
    assert.equal(config.publish, null, 'no update feed (offline means offline)');
  });

  test('icons exist and are what their names say', async () => {
    const png = await sharp(path.join(ROOT, 'build/icon.png')).metadata();
    assert.equal(png.format, 'png');
    assert.ok((png.width ?? 0) >= 512 && png.width === png.height, 'build/icon.png is square, at least 512 px');
    const ico = readFileSync(path.join(ROOT, 'build/icon.ico'));
    assert.deepEqual([ico.readUInt16LE(0), ico.readUInt16LE(2)], [0, 1], 'build/icon.ico has an ICO header');
    assert.ok(ico.readUInt16LE(4) >= 4, 'build/icon.ico holds several sizes');
    const icns = readFileSync(path.join(ROOT, 'build/icon.icns'));
    assert.equal(icns.toString('ascii', 0, 4), 'icns');
    assert.equal(icns.readUInt32BE(4), icns.length, 'build/icon.icns length field matches the file');
    assert.equal(config.win?.icon, 'build/icon.ico');
    assert.equal(config.mac?.icon, 'build/icon.icns');
    assert.equal(config.linux?.icon, 'build/icon.png');
  });

  test('electron-builder’s own schema accepts the configuration', async () => {
    const require = createRequire(import.meta.url);
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
      validateConfiguration(config: unknown, logger: unknown): Promise<void>;
    };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    await validateConfiguration(config, new DebugLogger(false));
    await assert.rejects(validateConfiguration({ ...config, notAnOption: 1 }, new DebugLogger(false)), /notAnOption/);
  });
});
