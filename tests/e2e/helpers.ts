/**
 * End-to-end helpers: a `dlnet serve` child process on small generated models, Debian's Chromium
 * through playwright-core, and a recorder of the API's WebSocket events as the page receives them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { AppEvent } from '../../src/api/api.js';
import { decodeMessage, type ServerMessage } from '../../src/api/wire.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SCREENSHOTS = path.join(ROOT, 'tests/e2e/screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the e2e tests cannot run here, or null. */
export function missingPrerequisite(): string | null {
  if (!existsSync(CHROMIUM)) return `Chromium is not installed at ${CHROMIUM} (apt-get install chromium).`;
  if (!existsSync(path.join(ROOT, 'dist/renderer/index.html'))) return 'The renderer is not built (npm run build).';
  return null;
}

export interface Served {
  url: string;
  child: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

/** Starts `dlnet serve --port 0` from source (tsx) in `cwd`, with models from `modelsDir`. */
export async function startServe(cwd: string, modelsDir: string): Promise<Served> {
  const tsx = import.meta.resolve('tsx');
  const child = spawn(
    process.execPath,
    ['--import', tsx, path.join(ROOT, 'src/cli/index.ts'), 'serve', '--port', '0', '--backend', 'wasm'],
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
