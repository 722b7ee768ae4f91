/**
 * `dlnet serve [--port N] [--open] [--settings FILE]`: the app's UI in a browser. Hosts the built
 * renderer and the typed API over a WebSocket on 127.0.0.1 only; the printed URL carries a random
 * access token. What the UI remembers between sessions (the batch panel's last-used options) goes to
 * FILE, by default dlnet-studio/serve-settings.json in the user's configuration folder. Runs until Ctrl-C.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Command } from 'commander';
import { parseBackend, ValidationError, type BackendChoice } from '../../api/validate.js';
import { info, type CliContext } from '../context.js';
import { parseWorkers } from '../common.js';

interface ServeFlags {
  port: string;
  open?: boolean;
  backend: string;
  workers?: string;
  settings?: string;
}

export function parsePort(value: unknown, label = '--port'): number {
  const n = typeof value === 'string' && /^\d{1,5}$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ValidationError(
      `${label} must be a port number from 0 to 65535 (0 picks a free one), not ${JSON.stringify(value)}.`,
      label,
    );
  }
  return n;
}

export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .summary('open the app in a browser (UI and API on 127.0.0.1)')
    .description(
      'Serve the DL-Net Studio user interface and its API on 127.0.0.1 only. The printed address carries a ' +
        'random access token; only a page opened from it can use the API. Stop with Ctrl-C.',
    )
    .option('--port <n>', 'port to listen on (0 = any free port)', '0')
    .option('--open', 'open the address in the default browser')
    .option('--backend <name>', 'compute backend: auto, tensorflow, onnxruntime or wasm', 'auto')
    .option('--workers <n>', 'worker threads for each restoration (default: one per CPU core)')
    .option(
      '--settings <file>',
      "where the app remembers its settings, such as the batch panel's last options " +
        '(default: dlnet-studio/serve-settings.json in your configuration folder)',
    )
    .addHelpText('after', '\nExample:\n  dlnet serve --port 8123 --open')
    .action(async (raw: ServeFlags) => {
      await serve(
        ctx,
        parsePort(raw.port),
        parseBackend(raw.backend, '--backend'),
        raw.open === true,
        parseWorkers(raw.workers),
        parseSettingsFile(raw.settings),
      );
    });
}

/** --settings: a file path (relative to the working folder); absent, null (the default file). */
export function parseSettingsFile(value: unknown, label = '--settings'): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || value.trim() === '' || value.includes('\0')) {
    throw new ValidationError(`${label} must name a file, not ${JSON.stringify(value)}.`, label);
  }
  return path.resolve(value);
}

function openInBrowser(url: string): boolean {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(command, args as string[], { detached: true, stdio: 'ignore' });
    child.on('error', () => {});
    child.unref();
    return true;
  } catch {
    return false;
  }
}

async function serve(
  ctx: CliContext,
  port: number,
  backend: BackendChoice,
  open: boolean,
  restoreWorkers: number,
  settingsFile: string | null,
): Promise<void> {
  const { createBackend, defaultSettingsFile, SettingsFile, startWsServer, streamLogger, RENDERER_DIR } =
    await import('../../server/index.js');
  const log = streamLogger((line) => ctx.stderr.write(line), process.env.DLNET_DEBUG === '1');
  const settings = new SettingsFile(settingsFile ?? defaultSettingsFile());
  const app = createBackend({ shell: 'browser', workspaceDir: process.cwd(), log, backend, restoreWorkers, settings });
  let server;
  try {
    server = await startWsServer({ port, staticDir: RENDERER_DIR, dispatcher: app.dispatcher, log });
  } catch (error) {
    await app.dispose();
    if (error instanceof Error && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new ValidationError(`Port ${port} is already in use; choose another --port or 0 for any free one.`, '--port');
    }
    throw error;
  }
  void app.workspace
    .ready()
    .then((b) => info(ctx, `dlnet serve: compute backend ${b.name}${b.details ? ` (${b.details})` : ''}`));
  ctx.stdout.write(`DL-Net Studio is running at ${server.url}\n`);
  info(ctx, 'dlnet serve: listening on 127.0.0.1 only; press Ctrl-C to stop.');
  info(ctx, `dlnet serve: remembered settings in ${settings.file}`);
  if (open && !openInBrowser(server.url)) info(ctx, 'dlnet serve: could not open a browser; open the address above yourself.');
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  info(ctx, 'dlnet serve: stopping.');
  await server.close();
  await app.dispose();
}
