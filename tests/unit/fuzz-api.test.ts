/**
 * Fuzzing of both transports of the typed API, reproducible (seeded PRNG) and bounded:
 *   - IPC: the real main-side handler of every channel (src/main/ipc-handler.ts, sender check)
 *     in front of the real path guard (src/main/path-grants.ts) and the real backend dispatcher,
 *     driven with plain event objects (Electron itself cannot run here);
 *   - WebSocket: a real `dlnet serve` server (src/server/ws-server.ts) on 127.0.0.1:0, driven over
 *     real connections: bad tokens, Origins and Hosts, garbage frames, protocol violations on a raw
 *     socket, hostile HTTP paths, and the same malicious arguments as over IPC.
 * Every case must be refused with a clear error ({code, message}: one sentence, no stack, not
 * 'internal'), or the connection refused/closed; nothing may crash, and the server must keep
 * answering valid requests afterwards. (One exception, over the WebSocket: settings.set remembers
 * any options its schema accepts, such as an absolute path that no batch could use; see `remembered`.) Each part prints `fuzz …: N cases, N refused, 0 crashes`.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { WebSocket } from 'ws';
import { createIpcHandler, type IpcHandler } from '../../src/main/ipc-handler.js';
import { guardPaths, PathGrants } from '../../src/main/path-grants.js';
import { silentLogger, startWsServer, type Backend, type RunningServer } from '../../src/server/index.js';
import {
  ALL_CHANNELS,
  BatchOptionsSchema,
  Channels,
  parseWith,
  SettingsSetArgsSchema,
  type ApiResponse,
  type Channel,
  type UiSettings,
} from '../../src/api/api.js';
import { decodeMessage, encodeMessage } from '../../src/api/wire.js';
import { seededRandom } from '../../src/engine/degradations.js';
import { testBackend } from '../helpers/backend.js';

// ---------------------------------------------------------------------------------------------
// Seeded randomness (the engine's mulberry32, seededRandom)

type Rand = () => number;
const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)];
const garbage = (rand: Rand, n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));

// ---------------------------------------------------------------------------------------------
// Fixtures

let dir: string;
let outsideDir: string;
let photo: string;
let backend: Backend;

const HUGE = 'A'.repeat(2_000_000);
const deep = (depth: number): unknown => {
  let v: unknown = { leaf: 1 };
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};
const DEEP = deep(1000);

/** Valid-looking arguments per channel. Ids name nothing that exists, so even these are refused (except appInfo and the idempotent close/cancel). */
function templates(): Record<string, Record<string, unknown>> {
  const inDir = (name: string) => path.join(dir, name);
  const mask = () => ({ width: 2, height: 2, fill: new Uint8Array([0, 1, 1, 0]) });
  const batchSettings = () => ({
    inputDir: inDir('in'),
    outputDir: inDir('out'),
    scale: 2,
    blur: 0,
    recursive: false,
    format: 'png',
    suffix: '',
    skipExisting: false,
  });
  return {
    [Channels.appInfo]: {},
    [Channels.imageOpen]: { path: inDir('none.png') },
    [Channels.imageUpload]: { name: 'x.png', bytes: new Uint8Array([137, 80, 78, 71]) },
    [Channels.imageClose]: { imageId: 'img-000000' },
    [Channels.previewDegradation]: { imageId: 'img-000000', scale: 2, blur: 0.5 },
    [Channels.maskLoad]: { imageId: 'img-000000', path: inDir('none.png') },
    [Channels.maskSave]: { path: path.join('/nonexistent-dlnet-fuzz', 'm.png'), mask: mask() },
    [Channels.jobStart]: { imageId: 'img-000000', settings: { task: 'sr', scale: 2, blur: 0, iterations: 3, gamma: 0.001 } },
    [Channels.jobCancel]: { jobId: 'job-000000' },
    [Channels.jobResidual]: { jobId: 'job-000000', k: 1 },
    [Channels.jobSave]: { jobId: 'job-000000', path: inDir('o.png'), format: 'png' },
    [Channels.dialogOpen]: { purpose: 'image' },
    [Channels.dialogSave]: { purpose: 'image', defaultPath: inDir('o.png') },
    'dlnet:dialog.folder': { purpose: 'batch-input' },
    'dlnet:batch.plan': { settings: batchSettings() },
    'dlnet:batch.start': { settings: batchSettings() },
    'dlnet:batch.pause': { batchId: 'batch-000000' },
    'dlnet:batch.resume': { batchId: 'batch-000000' },
    'dlnet:batch.cancel': { batchId: 'batch-000000' },
    [Channels.settingsGet]: {},
    [Channels.settingsSet]: {
      batch: {
        ...(({ inputDir: _, ...kept }) => kept)(batchSettings()),
        quality: 90,
        iterations: 3,
        jobs: 2,
      },
    },
  };
}

/** Channels that take nothing: no arguments, null and {} are valid for them. */
const TAKES_NOTHING: readonly unknown[] = [Channels.appInfo, Channels.settingsGet];

/**
 * An accepted settings.set whose arguments the schema accepts. It only remembers them: what is stored is
 * checked field by field again when read, and a path in it only when a batch uses it. Over IPC the path
 * guard still refuses an output folder that was not chosen, so there every case is refused.
 */
function remembered(channel: unknown, args: unknown, result: string): boolean {
  if (channel !== Channels.settingsSet || result !== 'accepted') return false;
  try {
    parseWith(SettingsSetArgsSchema, args);
    return true;
  } catch {
    return false;
  }
}

const PATH_KEYS = new Set(['path', 'defaultPath', 'inputDir', 'outputDir', 'report']);
const WRITE_KEYS = new Set(['outputDir', 'report']);

/** Path strings that must always be refused: not absolute, NUL, too long, traversal, devices, outside folders. */
function badPaths(transport: 'ipc' | 'ws', key: string, channel: string): string[] {
  const common = [
    'photo.png',
    '../../etc/passwd',
    './x.png',
    '~/x.png',
    '',
    ' ',
    `/tmp/a\0.png`,
    `/${'d/'.repeat(2100)}x.png`,
    'C:',
    'file:///etc/passwd',
    path.join(dir, 'none', '..', '..', '..', 'nonexistent-dlnet-fuzz', 'x.png'),
    '/nonexistent-dlnet-fuzz/x.png',
    '/dev/zero',
    '/dev/null',
    '/proc/self/mem',
  ];
  const writing = WRITE_KEYS.has(key) || channel === Channels.jobSave || channel === Channels.maskSave;
  // Paths outside the chosen folders that exist: over IPC the path grants refuse them before any file
  // is touched. `dlnet serve` has no chosen folders (its user runs it), so over the WebSocket only
  // paths that are refused for what they are (not images, devices, wrong extension) are sent.
  const outside = writing
    ? [
        '/etc/passwd',
        path.join(dir, 'photo.png'),
        path.join(outsideDir, 'x.png'),
        path.join(dir, 'none', '..', '..', path.basename(outsideDir), 'y.png'),
        '/etc/x.png',
        '/tmp/x.png',
      ]
    : [
        '/etc/passwd',
        '/etc/hostname',
        '/proc/self/environ',
        path.join(outsideDir, 'secret.png'),
        path.join(dir, 'sub', '..', '..', path.basename(outsideDir), 'secret.png'),
        '\\\\server\\share\\x.png',
      ];
  const wsSafe = (p: string) => !p.includes(path.basename(outsideDir)) && !(writing && /\/(etc|tmp)\/x\.png$/.test(p));
  return [...common, ...(transport === 'ipc' ? outside : outside.filter(wsSafe))];
}

const BAD_NUMBERS = [NaN, Infinity, -Infinity, -1, -1e9, 1e308, 2 ** 53, -(2 ** 31), 1e-320];
const BAD_ANY: unknown[] = [null, true, false, {}, [], [1, 2, 3], 'x', HUGE, DEEP, new Uint8Array(3), -0.5];

function protoObject(rand: Rand, base: Record<string, unknown>): Record<string, unknown> {
  const key = pick(rand, ['__proto__', 'constructor', 'prototype', '__defineGetter__', 'hasOwnProperty', 'toString']);
  const payload = key === 'constructor' ? { prototype: { polluted: 'yes' } } : { polluted: 'yes' };
  const extra = JSON.parse(`{${JSON.stringify(key)}: ${JSON.stringify(payload)}}`) as Record<string, unknown>;
  return Object.assign(Object.create(null) as Record<string, unknown>, base, extra);
}

/** A bad value for the field `key` whose template value is `value`. */
function badValue(rand: Rand, transport: 'ipc' | 'ws', channel: string, key: string, value: unknown): unknown {
  if (PATH_KEYS.has(key) && rand() < 0.6) return pick(rand, badPaths(transport, key, channel));
  if (typeof value === 'number') return pick(rand, [...BAD_NUMBERS, String(value), null, true, {}, []]);
  if (typeof value === 'boolean') return pick(rand, [0, 1, 'true', null, {}, NaN]);
  if (value instanceof Uint8Array) return pick(rand, [new Uint8Array(0), 'bytes', [1, 2, 3], 42, null, {}]);
  if (typeof value === 'string') {
    const strings =
      key === 'suffix'
        ? ['a/b', '..\\x', 'x\0', ' x', HUGE, 'a:b', 'a*']
        : [HUGE, 'x\0y', '../x', '<script>', '%00', 'ümlaut-ÿ', 'a b', '\u202e', ''];
    if (key === 'name') strings.push('../../etc/passwd', 'a/b.png', 'c:\\x.png');
    const extra = key === 'format' || key === 'purpose' || key === 'task' ? ['PNG', 'exe', 'image ', 'batch-input\0'] : [];
    return pick(rand, [...strings, ...extra, 42, null, [], {}, true]);
  }
  return pick(
    rand,
    BAD_ANY.filter(
      (v) =>
        !(
          typeof v === 'object' &&
          v !== null &&
          !Array.isArray(v) &&
          !(v instanceof Uint8Array) &&
          Object.keys(v).length === 0 &&
          typeof value === 'object'
        ),
    ),
  );
}

/** Leaf and object fields of a template as key paths. */
function fields(value: unknown, prefix: string[] = []): string[][] {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) return [prefix];
  const out: string[][] = prefix.length ? [prefix] : [];
  for (const [k, v] of Object.entries(value)) out.push(...fields(v, [...prefix, k]));
  return out;
}

function clone<T>(value: T): T {
  if (value instanceof Uint8Array) return new Uint8Array(value) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = clone(v);
  return out as T;
}

function setAt(root: Record<string, unknown>, at: string[], value: unknown, remove = false): void {
  let node = root;
  for (const k of at.slice(0, -1)) node = node[k] as Record<string, unknown>;
  if (remove) delete node[at[at.length - 1]];
  else node[at[at.length - 1]] = value;
}

interface Case {
  channel: unknown;
  args: unknown;
  what: string;
}

/** One malicious request: a mutated template, or wholly wrong arguments, or an unknown channel. */
function makeCase(rand: Rand, transport: 'ipc' | 'ws', channel: string): Case {
  const table = templates();
  const template = table[channel] ?? { id: 'x-1' };
  const roll = rand();
  if (roll < 0.04) {
    return {
      channel: pick(rand, ['dlnet:eval', 'dlnet:', '__proto__', 'constructor', HUGE, 42, null, 'dlnet:fs.write', `${channel} `]),
      args: template,
      what: 'unknown channel',
    };
  }
  if (roll < 0.14) {
    const whole = [42, 'text', true, [], [template], new Uint8Array(8), DEEP, HUGE, NaN, { unknown: 1 }, protoObject(rand, {})];
    if (!TAKES_NOTHING.includes(channel)) whole.push(null, undefined, {});
    return { channel, args: pick(rand, whole), what: 'wrong arguments' };
  }
  const args = clone(template);
  const all = fields(args);
  if (roll < 0.26 || all.length === 0) {
    return { channel, args: protoObject(rand, args), what: 'prototype key' };
  }
  if (roll < 0.36) {
    const at = pick(rand, all);
    if (at.length === 1 && template[at[0]] !== undefined) {
      setAt(args, at, undefined, true);
      return { channel, args, what: `missing ${at.join('.')}` };
    }
    setAt(args, [...at.slice(0, -1), `extra${Math.floor(rand() * 100)}`], 1);
    return { channel, args, what: 'unknown field' };
  }
  if (roll < 0.42 && (channel === Channels.imageUpload || channel === Channels.maskLoad)) {
    const bytes =
      rand() < 0.5
        ? garbage(rand, 1 + Math.floor(rand() * 4096))
        : Uint8Array.from([137, 80, 78, 71, 13, 10, 26, 10, ...garbage(rand, 64)]);
    const a =
      channel === Channels.maskLoad
        ? { imageId: 'img-000000', name: 'm.png', bytes }
        : { name: pick(rand, ['x.png', 'y.jpg', 'z.tif']), bytes };
    return { channel, args: a, what: 'garbage image bytes' };
  }
  const at = pick(rand, all);
  const key = at[at.length - 1];
  let current: unknown = args;
  for (const k of at) current = (current as Record<string, unknown>)[k];
  setAt(args, at, badValue(rand, transport, channel, key, current));
  return { channel, args, what: `bad ${at.join('.')}` };
}

// ---------------------------------------------------------------------------------------------
// The verdict on one response

const STACK = /\n|\bat [^ ]+ \(|\bat .*:\d+:\d+|node:internal|TypeError|RangeError|ReferenceError/;

/** 'refused' when the response is a clear refusal; otherwise a description of the failure. */
function verdict(r: unknown): 'refused' | string {
  if (typeof r !== 'object' || r === null) return `no envelope: ${String(r)}`;
  const e = r as ApiResponse<unknown>;
  if (e.ok !== false) return 'accepted';
  const { code, message } = e.error ?? ({} as { code?: unknown; message?: unknown });
  if (typeof code !== 'string' || code === '' || code === 'internal')
    return `code ${String(code)}: ${String(message).slice(0, 200)}`;
  if (typeof message !== 'string' || message.length === 0 || message.length > 400)
    return `message of ${String(message).length} characters`;
  if (STACK.test(message)) return `message looks like a stack trace: ${message.slice(0, 200)}`;
  if (!/[.!?)]$/.test(message)) return `message is not a sentence: ${message.slice(0, 200)}`;
  return 'refused';
}

function describeCase(c: Case): string {
  const s = (v: unknown) => {
    try {
      return JSON.stringify(v, (_k, x: unknown) =>
        typeof x === 'string' && x.length > 60
          ? `${x.slice(0, 60)}…(${x.length})`
          : x instanceof Uint8Array
            ? `<${x.length} bytes>`
            : x,
      )?.slice(0, 300);
    } catch {
      return '<unprintable>';
    }
  };
  return `${String(c.channel).slice(0, 40)} ${c.what}: ${s(c.args)}`;
}

class Tally {
  cases = 0;
  refused = 0;
  readonly failures: string[] = [];
  record(ok: boolean, what: string): void {
    this.cases++;
    if (ok) this.refused++;
    else if (this.failures.length < 20) this.failures.push(what);
  }
  get crashes(): number {
    return this.cases - this.refused;
  }
  report(label: string): void {
    console.log(`fuzz ${label}: ${this.cases} cases, ${this.refused} refused, ${this.crashes} crashes`);
    assert.deepEqual(this.failures, [], `${label}: cases not refused cleanly`);
    assert.equal(this.refused, this.cases);
  }
}

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dlnet-fuzz-'));
  outsideDir = mkdtempSync(path.join(os.tmpdir(), 'dlnet-fuzz-outside-'));
  mkdirSync(path.join(dir, 'in'));
  mkdirSync(path.join(dir, 'out'));
  mkdirSync(path.join(dir, 'models'));
  photo = path.join(dir, 'photo.png');
  await sharp({ create: { width: 16, height: 12, channels: 3, background: '#808080' } })
    .png()
    .toFile(photo);
  await sharp({ create: { width: 16, height: 12, channels: 3, background: '#ff0000' } })
    .png()
    .toFile(path.join(outsideDir, 'secret.png'));
  backend = testBackend(dir, path.join(dir, 'models'));
});

after(async () => {
  await backend.dispose();
  rmSync(dir, { recursive: true, force: true });
  rmSync(outsideDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

describe('IPC fuzzing (main-side handlers, sender check, path guard, dispatcher)', () => {
  const appUrl = pathToFileURL(path.join(os.tmpdir(), 'dlnet-app', 'index.html')).href;
  const fromApp = { senderFrame: { url: appUrl, parent: null } };

  test('every malicious argument on every channel is refused with one clear sentence', { timeout: 120_000 }, async () => {
    const grants = new PathGrants([dir]);
    grants.grantFile(photo);
    const dispatcher = guardPaths(backend.dispatcher, grants);
    const events: unknown[] = [];
    const handlers = new Map<string, IpcHandler>(
      ALL_CHANNELS.map((c) => [c, createIpcHandler(c, dispatcher, appUrl, silentLogger, () => (e) => events.push(e))]),
    );
    const rand = seededRandom(0x5eed_0008);
    const tally = new Tally();
    const CASES = 2400;
    const started = Date.now();
    for (let i = 0; i < CASES; i++) {
      const channel = ALL_CHANNELS[i % ALL_CHANNELS.length];
      const c = makeCase(rand, 'ipc', channel);
      // Electron routes by channel name: an unknown name has no handler, so it reaches nothing.
      const handle = handlers.get(String(c.channel));
      let result: string;
      try {
        result = handle ? verdict(await handle(fromApp, c.args)) : 'refused';
      } catch (error) {
        result = `threw ${error instanceof Error ? error.message.slice(0, 120) : String(error)}`;
      }
      tally.record(result === 'refused', `${result} ← ${describeCase(c)}`);
    }
    // The same valid requests from anything but the app's page.
    const foreign = [
      { senderFrame: { url: 'https://evil.example/', parent: null } },
      { senderFrame: { url: appUrl, parent: { url: appUrl } } },
      { senderFrame: null },
      { senderFrame: { url: `file://${dir}/evil.html`, parent: null } },
    ];
    for (let i = 0; i < 200; i++) {
      const channel = ALL_CHANNELS[i % ALL_CHANNELS.length];
      const r = await handlers.get(channel)!(pick(rand, foreign) as never, templates()[channel]);
      tally.record(!r.ok && r.error.code === 'forbidden', `foreign sender accepted on ${channel}`);
    }
    tally.report('ipc');
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was not polluted');
    assert.ok(Date.now() - started < 60_000, 'bounded run time');
    // Still answering valid requests, and the chosen file still opens.
    const info = await handlers.get(Channels.appInfo)!(fromApp, {});
    assert.ok(info.ok, 'app.info still answers');
    const opened = await handlers.get(Channels.imageOpen)!(fromApp, { path: photo });
    assert.ok(opened.ok, opened.ok ? '' : opened.error.message);
  });

  test('the path guard: reads only chosen files, writes only into chosen folders', async () => {
    const grants = new PathGrants([path.join(dir, 'out')]);
    grants.grantFile(photo);
    const handle = (channel: Channel, args: unknown) =>
      createIpcHandler(
        channel,
        guardPaths(backend.dispatcher, grants),
        appUrl,
        silentLogger,
        () => () => undefined,
      )(fromApp, args);
    const secret = path.join(outsideDir, 'secret.png');
    const traversal = path.join(dir, 'out', '..', '..', path.basename(outsideDir), 'secret.png');
    for (const p of [secret, traversal]) {
      const r = await handle(Channels.imageOpen, { path: p });
      assert.ok(!r.ok && r.error.code === 'outside-folders', `${p}: ${JSON.stringify(r)}`);
      assert.match(r.ok ? '' : r.error.message, /^secret\.png was not chosen in this session; open it with File › Open\.$/);
    }
    const opened = await handle(Channels.imageOpen, { path: photo });
    assert.ok(opened.ok);
    const write = await handle(Channels.maskSave, {
      path: path.join(outsideDir, 'm.png'),
      mask: { width: 16, height: 12, fill: new Uint8Array(192) },
    });
    assert.ok(!write.ok && write.error.code === 'outside-folders');
    const nested = await handle(Channels.maskSave, {
      path: path.join(dir, 'out', 'deeper', 'm.png'),
      mask: { width: 16, height: 12, fill: new Uint8Array(192) },
    });
    assert.ok(!nested.ok && nested.error.code === 'outside-folders', 'sub-folders of a granted folder are not granted');
    const ok = await handle(Channels.maskSave, {
      path: path.join(dir, 'out', 'm.png'),
      mask: { width: 16, height: 12, fill: new Uint8Array(192) },
    });
    assert.ok(ok.ok, ok.ok ? '' : ok.error.message);
    const besideInput = await handle(Channels.maskSave, {
      path: path.join(dir, 'beside.png'),
      mask: { width: 16, height: 12, fill: new Uint8Array(192) },
    });
    assert.ok(besideInput.ok, 'the folder of a chosen input is writable');
  });
});

// ---------------------------------------------------------------------------------------------

describe('WebSocket fuzzing (`dlnet serve` on 127.0.0.1:0)', () => {
  let server: RunningServer;
  let staticDir: string;
  const TOKEN = 'f'.repeat(64);

  before(async () => {
    staticDir = path.join(dir, 'static');
    mkdirSync(staticDir);
    writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>t</title>');
    server = await startWsServer({ port: 0, staticDir, dispatcher: backend.dispatcher, log: silentLogger, token: TOKEN });
  });
  after(async () => server?.close());

  const origin = () => `http://127.0.0.1:${server.port}`;

  function open(
    options: { token?: string | null; origin?: string | null; host?: string; path?: string } = {},
  ): Promise<WebSocket> {
    const token = options.token === undefined ? TOKEN : options.token;
    const url = `ws://127.0.0.1:${server.port}${options.path ?? '/api'}${token === null ? '' : `?token=${encodeURIComponent(token)}`}`;
    const headers: Record<string, string> = {};
    if (options.host) headers.Host = options.host;
    const o = options.origin === undefined ? origin() : options.origin;
    const ws = new WebSocket(url, { ...(o === null ? {} : { origin: o }), headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  let nextId = 1;
  function call(ws: WebSocket, channel: unknown, args: unknown): Promise<unknown> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const onMessage = (data: Buffer) => {
        const m = decodeMessage(new Uint8Array(data)) as { kind: string; id?: number };
        if (m.kind === 'response' && m.id === id) {
          ws.off('message', onMessage);
          ws.off('close', onClose);
          resolve(m);
        }
      };
      const onClose = (code: number) => reject(new Error(`closed ${code}`));
      ws.on('message', onMessage);
      ws.once('close', onClose);
      ws.send(encodeMessage({ kind: 'request', id, channel: channel as Channel, args }));
    });
  }

  /**
   * Sends raw bytes; resolves with the close code the server answered with, or 'open' if it did not
   * close within 30 s (a watchdog for a busy host, not a speed claim: every case here expects a close).
   */
  function sendRaw(ws: WebSocket, data: Uint8Array | string, binary = true): Promise<number | 'open'> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('open'), 30_000);
      ws.once('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
      ws.send(data, { binary });
    });
  }

  async function stillServing(): Promise<boolean> {
    const ws = await open();
    try {
      const r = (await call(ws, Channels.appInfo, {})) as { ok: boolean };
      return r.ok === true;
    } finally {
      ws.close();
    }
  }

  test(
    'connections without the token, from another Origin or Host, or to another path are refused',
    { timeout: 60_000 },
    async () => {
      const rand = seededRandom(0x5eed_0108);
      const tally = new Tally();
      const tokens = [null, '', 'x', TOKEN.slice(1), TOKEN.toUpperCase(), `${TOKEN}0`, encodeURIComponent(TOKEN + '\0'), TOKEN];
      const origins = [
        null,
        'null',
        'http://evil.example',
        `http://127.0.0.1:${server.port + 1}`,
        `https://127.0.0.1:${server.port}`,
        `http://localhost.evil.example:${server.port}`,
        'file://',
        origin(),
      ];
      const hosts = [`evil.example:${server.port}`, `127.0.0.1:${server.port + 1}`, 'localhost', `127.0.0.1:${server.port}`];
      const paths = ['/api', '/api/', '/API', '/', '/api/../api', '/%61pi'];
      for (let i = 0; i < 150; i++) {
        const o = { token: pick(rand, tokens), origin: pick(rand, origins), host: pick(rand, hosts), path: pick(rand, paths) };
        const valid = o.token === TOKEN && o.origin === origin() && o.host === `127.0.0.1:${server.port}` && o.path === '/api';
        if (valid) continue;
        try {
          const ws = await open(o);
          ws.close();
          tally.record(false, `connected: ${JSON.stringify(o)}`);
        } catch (error) {
          tally.record(/HTTP 40[03]|socket hang up|ECONNRESET/.test(String(error)), `${String(error)} for ${JSON.stringify(o)}`);
        }
      }
      tally.report('ws connections');
      assert.ok(await stillServing());
    },
  );

  test('garbage frames and protocol violations close only that connection', { timeout: 60_000 }, async () => {
    const rand = seededRandom(0x5eed_0208);
    const tally = new Tally();
    const control = await open();
    const header = (json: string, body = new Uint8Array(0)) => {
      const h = new TextEncoder().encode(json);
      const out = new Uint8Array(4 + h.length + body.length);
      new DataView(out.buffer).setUint32(0, h.length, true);
      out.set(h, 4);
      out.set(body, 4 + h.length);
      return out;
    };
    const nested = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const frames: (() => Uint8Array | string)[] = [
      () => garbage(rand, Math.floor(rand() * 70_000)),
      () => garbage(rand, Math.floor(rand() * 4)),
      () => 'not binary',
      () => JSON.stringify({ kind: 'request', id: 1, channel: Channels.appInfo, args: {} }),
      () => Uint8Array.from([255, 255, 255, 255, 1, 2, 3]),
      () => Uint8Array.from([4, 0, 0, 0, 0xff, 0xfe, 0xfd, 0xfc]),
      () => header('{"kind":'),
      () => header('null'),
      () => header('42'),
      () => header('"request"'),
      () => header('[]'),
      () => header(nested),
      () => header(JSON.stringify({ kind: 'response', id: 1 })),
      () => header(JSON.stringify({ kind: 'request', id: 'x', channel: Channels.appInfo })),
      () => header(JSON.stringify({ kind: 'request', id: 1.5, channel: Channels.appInfo })),
      () => header(JSON.stringify({ kind: 'request', id: 2 ** 60, channel: Channels.appInfo })),
      () =>
        header(
          JSON.stringify({
            kind: 'request',
            id: 1,
            channel: Channels.imageUpload,
            args: { name: 'a.png', bytes: { $bytes: [0, 999] } },
          }),
        ),
      () =>
        header(
          JSON.stringify({
            kind: 'request',
            id: 1,
            channel: Channels.imageUpload,
            args: { name: 'a.png', bytes: { $bytes: [-1, 1] } },
          }),
          new Uint8Array(4),
        ),
      () =>
        header(
          JSON.stringify({
            kind: 'request',
            id: 1,
            channel: Channels.imageUpload,
            args: { name: 'a.png', bytes: { $bytes: 'x', more: 1 } },
          }),
        ),
      () => header('{"__proto__":{"polluted":"yes"},"kind":"request","id":"no"}'),
    ];
    for (let i = 0; i < 120; i++) {
      const frame = frames[i % frames.length]();
      const ws = await open();
      const code = await sendRaw(ws, frame, typeof frame !== 'string');
      tally.record(
        code === 1003 || code === 1002 || code === 1007 || code === 1009,
        `close code ${code} for frame ${i % frames.length}`,
      );
      if (code === 'open') ws.terminate();
    }
    // Protocol violations on a raw socket after a correct handshake: reserved opcodes, unmasked
    // client frames, bad lengths, a close frame with an invalid code. ws reports these as 'error'.
    const violations = [
      Buffer.from([0x83, 0x80, 1, 2, 3, 4]), // reserved opcode 3
      Buffer.from([0x82, 0x05, 1, 2, 3, 4, 5]), // unmasked binary frame
      Buffer.from([0xc2, 0x80, 1, 2, 3, 4]), // RSV1 without an extension
      Buffer.from([0x02, 0x80, 1, 2, 3, 4, 0x02, 0x80, 1, 2, 3, 4]), // continuation mess
      Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe7]), // close code 999
      Buffer.from([0x89, 0xfe, 0x00, 0xff, 0, 0, 0, 0]), // ping longer than 125 bytes
      Buffer.from([0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]), // 2^63-byte frame
    ];
    for (let i = 0; i < 70; i++) {
      const closed = await new Promise<boolean>((resolve) => {
        const socket = connect(server.port, '127.0.0.1');
        socket.on('error', () => undefined);
        let upgraded = false;
        const timer = setTimeout(() => (socket.destroy(), resolve(false)), 30_000); // a watchdog: each case expects a close
        socket.on('data', (data) => {
          if (!upgraded && data.toString('latin1').startsWith('HTTP/1.1 101')) {
            upgraded = true;
            socket.write(violations[i % violations.length]);
          }
        });
        socket.on('close', () => (clearTimeout(timer), resolve(upgraded)));
        socket.write(
          `GET /api?token=${TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nOrigin: ${origin()}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${Buffer.from(garbage(rand, 16)).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      tally.record(closed, `raw violation ${i % violations.length} did not close the connection`);
    }
    tally.report('ws frames');
    const r = (await call(control, Channels.appInfo, {})) as { ok: boolean };
    assert.ok(r.ok, 'the control connection opened before the garbage still answers');
    control.close();
    assert.ok(await stillServing());
  });

  test('malicious arguments on every channel are refused with one clear sentence', { timeout: 120_000 }, async () => {
    const rand = seededRandom(0x5eed_0308);
    const tally = new Tally();
    let ws = await open();
    for (let i = 0; i < 900; i++) {
      const channel = ALL_CHANNELS[i % ALL_CHANNELS.length];
      const c = makeCase(rand, 'ws', channel);
      let args = c.args;
      // The wire carries JSON and Uint8Array only; values JSON cannot hold become what a browser would send.
      if (args === undefined || Number.isNaN(args)) args = TAKES_NOTHING.includes(c.channel) ? 'text' : null;
      let result: string;
      try {
        result = verdict(await call(ws, c.channel, args));
      } catch (error) {
        result = `connection lost: ${String(error)}`;
        ws = await open();
      }
      tally.record(result === 'refused' || remembered(c.channel, args, result), `${result} ← ${describeCase(c)}`);
    }
    tally.report('ws api');
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was not polluted');
    const r = (await call(ws, Channels.appInfo, {})) as { ok: boolean };
    assert.ok(r.ok, 'still answering valid requests');
    const stored = (await call(ws, Channels.settingsGet, {})) as ApiResponse<UiSettings>;
    assert.ok(stored.ok, 'settings.get still answers');
    if (stored.ok) parseWith(BatchOptionsSchema, stored.result.batch);
    ws.close();
  });

  test('hostile HTTP requests for the static files are refused, never crash', { timeout: 30_000 }, async () => {
    const tally = new Tally();
    const get = (p: string, host = `127.0.0.1:${server.port}`, method = 'GET') =>
      new Promise<number>((resolve) => {
        const req = httpRequest({ host: '127.0.0.1', port: server.port, path: p, method, headers: { Host: host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', () => resolve(-1));
        req.end();
      });
    const paths = [
      '/',
      '/index.html',
      `/?token=${TOKEN.slice(2)}`,
      '/../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/..%2f..%2fetc%2fpasswd',
      '/%E0%A4%A',
      '/%',
      '/%00',
      '//etc/passwd',
      '/assets/../../package.json',
      `/${'a/'.repeat(3000)}`,
      '/api',
      '/static/../index.html',
      '*',
      'http://evil.example/',
    ];
    for (const p of paths) {
      const status = await get(p);
      tally.record(status >= 400 && status < 500, `GET ${p.slice(0, 60)} → ${status}`);
    }
    tally.record((await get(`/?token=${TOKEN}`, `evil.example:${server.port}`)) === 421, 'DNS-rebound Host accepted');
    tally.record((await get(`/?token=${TOKEN}`, `127.0.0.1:${server.port}`, 'POST')) === 405, 'POST accepted');
    tally.record((await get(`/?token=${TOKEN}`, `127.0.0.1:${server.port}`, 'DELETE')) === 405, 'DELETE accepted');
    tally.report('http');
    assert.equal(await get(`/?token=${TOKEN}`), 200, 'the page itself is still served');
    assert.ok(await stillServing());
  });
});
