/**
 * End-to-end helpers: a `dlnet serve` child process on small generated models, Debian's Chromium
 * through playwright-core, and a recorder of the API's WebSocket events as the page receives them.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
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
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`dlnet serve printed no URL within 30 s:\n${err}`));
    }, 30_000);
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
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
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

export interface Recording {
  events: RecordedEvent[];
  consoleErrors: string[];
}

/** Records every API event the page receives over its WebSocket, and console errors. */
export function record(page: Page): Recording {
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

/** What a suite's set-up wrote: the models folder, and where serve keeps its settings (default: in the temp folder). */
export interface AppFiles {
  models: string;
  settingsFile?: string;
}

/** The app open in Chromium over `dlnet serve`, on a temp folder of its own. */
export interface OpenApp {
  dir: string;
  /** The server now running (a new one after restartServe). */
  readonly served: Served;
  browser: Browser;
  page: Page;
  rec: Recording;
  /** Stops serve, runs `whileDown` (e.g. to edit its settings file), starts it again on the same files. */
  restartServe(whileDown?: () => void | Promise<void>): Promise<Served>;
  /** Closes the browser, stops serve and removes the temp folder. */
  close(): Promise<void>;
}

/**
 * Makes a temp folder dlnet-e2e-<name>-…, lets `prepare` write what the suite needs into it, starts
 * serve on it and opens the app in a recorded Chromium page, ready once the backend is shown. A set-up
 * that fails half-way cleans up what it started before rethrowing.
 */
export async function openApp(
  name: string,
  prepare: (dir: string) => AppFiles | Promise<AppFiles>,
  viewport = { width: 1280, height: 760 },
): Promise<OpenApp> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `dlnet-e2e-${name}-`));
  let served: Served | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await served?.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { models, settingsFile } = await prepare(dir);
    served = await startServe(dir, models, settingsFile);
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport });
    const rec = record(page);
    await page.goto(served.url);
    await page.waitForSelector(`${byTestId('backend')} b`, { timeout: 30_000 });
    return {
      dir,
      get served() {
        return served!;
      },
      browser,
      page,
      rec,
      async restartServe(whileDown) {
        await served!.stop();
        await whileDown?.();
        served = await startServe(dir, models, settingsFile);
        return served;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The CSS selector of the element with data-testid `id`. */
export const byTestId = (id: string) => `[data-testid="${id}"]`;

/** Polls `find` every 10 ms until it returns a value; fails after `timeout` ms, naming `what` it waited for. */
export async function until<T>(find: () => T | undefined, what: string, timeout = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const hit = find();
    if (hit !== undefined) return hit;
    if (Date.now() - t0 > timeout) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits for the Batch panel's status to be `value`; an error on the way fails with its sentence. */
export async function waitForBatchStatus(page: Page, value: string, timeout = 60_000): Promise<void> {
  const status = byTestId('batch-status');
  const reached = `${status}[data-status="${value}"]`;
  await page.waitForSelector(`${reached}, ${status}[data-status="error"]`, { timeout });
  if ((await page.locator(reached).count()) === 0)
    assert.fail(`the batch stopped with an error: ${await page.textContent(byTestId('batch-error'))}`);
}
