/**
 * The batch panel's remembered options (settings.get / settings.set): src/api's readBatchOptions keeps
 * each field its schema accepts and leaves out the rest; through the dispatcher and `dlnet serve`'s
 * settings file they round-trip, a hand-edited or stale field reads back as absent (the form's default)
 * with the other fields kept, a malformed or missing file reads as no options, and a bad settings.set is
 * refused with one sentence without touching the file. In the desktop app the path guard lets
 * settings.set remember only an output folder the user chose.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  BatchOptionsSchema,
  Channels,
  readBatchOptions,
  type ApiResponse,
  type BatchOptions,
  type UiSettings,
} from '../../src/api/api.js';
import { createDispatcher, type Dispatcher } from '../../src/server/dispatcher.js';
import { createHandlers } from '../../src/server/handlers/index.js';
import { silentLogger } from '../../src/server/log.js';
import { MemorySettings, SettingsFile, type SettingsStore } from '../../src/server/settings.js';
import type { Workspace } from '../../src/server/workspace.js';
import { guardPaths, PathGrants } from '../../src/main/path-grants.js';
import * as v from 'valibot';

let dir: string;

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dlnet-settings-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Every field set, none at its default. */
const full = (): BatchOptions => ({
  outputDir: path.join(dir, 'out'),
  scale: 3,
  output: { width: 1000 },
  blur: 1.3,
  fixedBlur: 0.7,
  recursive: true,
  format: 'webp',
  suffix: '.big',
  skipExisting: true,
  quality: 80,
  iterations: 4,
  jobs: 2,
});

/** The handlers need only the workspace's log. */
function dispatcher(store: SettingsStore): Dispatcher {
  return createDispatcher({ log: silentLogger } as unknown as Workspace, createHandlers({}, undefined, store));
}

async function ok<T>(d: Dispatcher, channel: string, args: unknown): Promise<T> {
  const r: ApiResponse<unknown> = await d.handle(channel, args, () => {});
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return (r as { result: T }).result;
}

async function refused(d: Dispatcher, channel: string, args: unknown, code: string, pattern: RegExp): Promise<void> {
  const r = await d.handle(channel, args, () => {});
  assert.equal(r.ok, false, 'should be refused');
  if (r.ok) return;
  assert.equal(r.error.code, code, r.error.message);
  assert.match(r.error.message, pattern);
  assert.doesNotMatch(r.error.message, /\n|\bat .*:\d+:\d+/, 'one sentence, no stack trace');
}

describe('readBatchOptions (src/api)', () => {
  test('valid options come back as they are, and satisfy the settings.set schema', () => {
    assert.deepEqual(readBatchOptions(full()), full());
    assert.deepEqual(v.parse(BatchOptionsSchema, readBatchOptions(full())), full());
    assert.deepEqual(readBatchOptions({ blur: 'auto', output: { scale: 1.5 } }), { blur: 'auto', output: { scale: 1.5 } });
    assert.deepEqual(readBatchOptions({}), {});
  });

  test('each bad field is left out (the default) and every other kept', () => {
    const bad: Record<keyof BatchOptions, unknown[]> = {
      outputDir: ['relative/out', '', 42, `/a\0b`, 'x'.repeat(5000)],
      scale: [5, '2', null, 2.5],
      output: [{ width: 0 }, { scale: 7 }, { width: 10, height: 10 }, 'wide', { width: '1000' }],
      blur: [-1, 3.5, 'Auto', '1.3', NaN, null],
      fixedBlur: [-1, 3.5, 'auto', '0.7', null],
      recursive: ['yes', 1, null],
      format: ['gif', 'PNG', 3],
      suffix: ['a/b', ' x', 7, 'x'.repeat(100)],
      skipExisting: ['true', 0],
      quality: [0, 101, 92.5, '92'],
      iterations: [0, 51, 2.5, '3'],
      jobs: [0, 257, 1.5, '4'],
    };
    for (const [key, values] of Object.entries(bad)) {
      for (const value of values) {
        const stored = { ...full(), [key]: value };
        const expected: Record<string, unknown> = full();
        delete expected[key];
        assert.deepEqual(readBatchOptions(stored), expected, `${key} = ${JSON.stringify(value)}`);
      }
    }
  });

  test('anything but a plain object reads as no options; unknown and prototype keys are dropped', () => {
    for (const stored of [undefined, null, 5, 'batch', [full()], true]) assert.deepEqual(readBatchOptions(stored), {});
    const withExtras = JSON.parse(
      JSON.stringify({ ...full(), inputDir: '/photos', shell: 'rm -rf /' }).replace(/^\{/, '{"__proto__":{"polluted":1},'),
    ) as unknown;
    assert.deepEqual(readBatchOptions(withExtras), full());
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('settings.get / settings.set through the dispatcher', () => {
  test('a backend without a store remembers for its lifetime, and starts with nothing', async () => {
    const d = dispatcher(new MemorySettings());
    assert.deepEqual(await ok<UiSettings>(d, Channels.settingsGet, {}), { batch: {} });
    assert.equal(await ok(d, Channels.settingsSet, { batch: full() }), null);
    assert.deepEqual(await ok<UiSettings>(d, Channels.settingsGet, undefined), { batch: full() });
  });

  test("dlnet serve's settings file: round trip, a hand-edited field falls back to its default, the rest kept", async () => {
    const file = path.join(dir, 'config', 'dlnet-studio', 'serve-settings.json');
    await ok(dispatcher(new SettingsFile(file)), Channels.settingsSet, { batch: full() });
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { batch: full() }, 'the file holds what was set');

    // A new process (another `dlnet serve`) reads the same file.
    assert.deepEqual(await ok<UiSettings>(dispatcher(new SettingsFile(file)), Channels.settingsGet, {}), { batch: full() });

    // Edited by hand (or written by another version): bad values, an unknown field, another top-level key.
    const edited = {
      batch: { ...full(), scale: 5, format: 'gif', quality: '90', outputDir: 'out', blur: 'sometimes', colour: 'red' },
      other: { kept: true },
    };
    writeFileSync(file, JSON.stringify(edited));
    const { outputDir: _o, scale: _s, format: _f, quality: _q, blur: _b, ...rest } = full();
    const d = dispatcher(new SettingsFile(file));
    assert.deepEqual(await ok<UiSettings>(d, Channels.settingsGet, {}), { batch: rest });

    // The next set replaces the batch options and keeps keys the file has that it does not know.
    await ok(d, Channels.settingsSet, { batch: { format: 'png', blur: 'auto' } });
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { batch: { format: 'png', blur: 'auto' }, other: { kept: true } });
  });

  test('a missing, malformed or wrong-shaped file reads as no options, and can be written again', async () => {
    const file = path.join(dir, 'broken', 'serve-settings.json');
    const d = dispatcher(new SettingsFile(file));
    assert.deepEqual(await ok<UiSettings>(d, Channels.settingsGet, {}), { batch: {} }, 'missing');
    mkdirSync(path.dirname(file), { recursive: true });
    for (const text of ['{"batch": {"scale": 3', '[1, 2]', '"text"', '{"batch": "x2"}', '']) {
      writeFileSync(file, text);
      assert.deepEqual(await ok<UiSettings>(d, Channels.settingsGet, {}), { batch: {} }, JSON.stringify(text));
    }
    await ok(d, Channels.settingsSet, { batch: { scale: 4 } });
    assert.deepEqual(await ok<UiSettings>(d, Channels.settingsGet, {}), { batch: { scale: 4 } });
  });

  test('a bad settings.set is refused with one sentence and the file is left alone', async () => {
    const file = path.join(dir, 'strict', 'serve-settings.json');
    const d = dispatcher(new SettingsFile(file));
    await ok(d, Channels.settingsSet, { batch: full() });
    const before = readFileSync(file, 'utf8');
    await refused(d, Channels.settingsSet, { batch: { ...full(), scale: 5 } }, 'bad-argument', /Scale must be 2, 3 or 4/);
    await refused(d, Channels.settingsSet, { batch: { ...full(), inputDir: '/x' } }, 'bad-argument', /unknown field "inputDir"/);
    await refused(
      d,
      Channels.settingsSet,
      { batch: { outputDir: 'out' } },
      'bad-argument',
      /Output folder must be an absolute path/,
    );
    await refused(d, Channels.settingsSet, {}, 'bad-argument', /missing "batch"/);
    await refused(d, Channels.settingsGet, { batch: {} }, 'bad-argument', /unknown field "batch"/);
    assert.equal(readFileSync(file, 'utf8'), before);
  });

  test('a file that cannot be written is one sentence, not an internal error', async () => {
    const blocker = path.join(dir, 'blocker');
    writeFileSync(blocker, 'a file where the folder should be');
    const d = dispatcher(new SettingsFile(path.join(blocker, 'serve-settings.json')));
    await refused(d, Channels.settingsSet, { batch: { scale: 2 } }, 'settings-unwritable', /^The settings could not be saved/);
    assert.deepEqual(await ok<UiSettings>(d, Channels.settingsGet, {}), { batch: {} });
  });
});

describe('the desktop path guard', () => {
  test('settings.set remembers only an output folder chosen in the folder dialog', async () => {
    const chosen = path.join(dir, 'chosen');
    mkdirSync(chosen, { recursive: true });
    const grants = new PathGrants([dir]);
    const store = new MemorySettings();
    const d = guardPaths(dispatcher(store), grants);
    const r = await d.handle(Channels.settingsSet, { batch: { outputDir: chosen, scale: 3 } }, () => {});
    assert.ok(!r.ok && r.error.code === 'outside-folders', JSON.stringify(r));
    assert.equal(store.readBatch(), undefined, 'nothing stored');
    assert.ok((await d.handle(Channels.settingsSet, { batch: { scale: 3 } }, () => {})).ok, 'no folder: nothing to check');
    grants.grantTree(chosen);
    assert.ok((await d.handle(Channels.settingsSet, { batch: { outputDir: chosen, scale: 3 } }, () => {})).ok);
    assert.deepEqual(store.readBatch(), { outputDir: chosen, scale: 3 });
  });
});
