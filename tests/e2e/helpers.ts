/**
 * End-to-end helpers: a `dlnet serve` child process on small generated models, Debian's Chromium
 * through playwright-core, and a recorder of the API's WebSocket events as the page receives them.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { AppEvent } from '../../src/api/api.js';
import { decodeMessage, type ServerMessage } from '../../src/api/wire.js';
import { installHint, leftOut } from '../helpers/prerequisites.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Screenshots of the main states: an ignored folder (a test run changes no tracked file). */
export const SCREENSHOTS = path.join(ROOT, 'test-results/screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the e2e tests cannot run here (with the command that fixes it), or null. */
export function missingPrerequisite(): string | null {
  if (!existsSync(CHROMIUM)) return `Chromium is not installed at ${CHROMIUM}: ${installHint(['chromium'])}.`;
  if (!existsSync(path.join(ROOT, 'dist/renderer/index.html')))
    return 'The renderer is not built (dist/renderer/index.html is missing): run `npm run build` (npm install and npm ci run it).';
  return null;
}

/**
 * A browser suite: the tests of `body`; when Chromium or the built renderer is missing, one FAILING
 * test that says how to install it instead; a reported skip only when DLNET_TEST_SKIP lists e2e.
 */
export function browserSuite(name: string, options: { timeout: number }, body: () => void): void {
  const skip = leftOut('e2e');
  const missing = skip ? null : missingPrerequisite();
  if (missing !== null) {
    test(name, () => assert.fail(missing));
    return;
  }
  describe(name, { ...options, skip }, body);
}

export interface Served {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

/**
 * Starts `dlnet serve --port 0` from source (tsx) in `cwd`, with models from `modelsDir`. What the app
 * remembers goes to `settingsFile` (default: serve-settings.json in `cwd`), never to the user's own.
 */
export async function startServe(
  cwd: string,
  modelsDir: string,
  settingsFile = path.join(cwd, 'serve-settings.json'),
): Promise<Served> {
  const tsx = import.meta.resolve('tsx');
  const child = spawn(
    process.execPath,
    [
      '--import',
      tsx,
      path.join(ROOT, 'src/cli/index.ts'),
      'serve',
      '--port',
      '0',
      '--backend',
      'wasm',
      '--settings',
      settingsFile,
    ],
    {
      cwd,
      env: { ...process.env, DLNET_MODELS_DIR: modelsDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dlnet serve printed no URL within 30 s:\n${err}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dlnet serve exited with ${code}:\n${err}`));
    });
  });
  return {
    url,
    child,
    stderr: () => err,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGINT');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface RecordedEvent {
  at: number;
  event: AppEvent;
}

/** Records every API event the page receives over its WebSocket, and console errors. */
export function record(page: Page): { events: RecordedEvent[]; consoleErrors: string[] } {
  const events: RecordedEvent[] = [];
  const consoleErrors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  page.on('websocket', (ws) => {
    ws.on('framereceived', ({ payload }) => {
      if (typeof payload === 'string') return;
      const message = decodeMessage(new Uint8Array(payload)) as ServerMessage;
      if (message.kind === 'event') events.push({ at: performance.now(), event: message.event });
    });
  });
  return { events, consoleErrors };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}
