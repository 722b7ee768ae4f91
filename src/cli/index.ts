/**
 * The `dlnet` command. This file only wires: one file per subcommand under commands/, errors
 * turned into one sentence on stderr (errors.ts), Ctrl-C turned into cancellation.
 * bin/dlnet.js imports the compiled copy (dist/cli/index.js) and calls `run`.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { registerBatch } from './commands/batch.js';
import { registerBench } from './commands/bench.js';
import { registerDegrade } from './commands/degrade.js';
import { registerEval } from './commands/eval.js';
import { registerInfo } from './commands/info.js';
import { registerInpaint } from './commands/inpaint.js';
import { registerInterpolate } from './commands/interpolate.js';
import { registerModels } from './commands/models.js';
import { registerServe } from './commands/serve.js';
import { registerUpscale } from './commands/upscale.js';
import type { CliContext } from './context.js';
import { exitCodeFor, printError } from './errors.js';

const require = createRequire(import.meta.url);
const { version } = require('../../package.json') as { version: string };

export interface RunOptions {
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
  /** Cancels the run; when omitted, SIGINT / SIGTERM do. */
  readonly signal?: AbortSignal;
}

export function buildProgram(ctx: CliContext): Command {
  const program = new Command();
  program
    .name('dlnet')
    .description('Offline photo restoration with the Deep Likelihood Network: super-resolution, inpainting, interpolation.')
    .version(version, '-V, --version')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
      outputError: () => {
        /* printed once, as one sentence, by run() */
      },
    })
    .exitOverride();
  registerUpscale(program, ctx);
  registerBatch(program, ctx);
  registerInpaint(program, ctx);
  registerInterpolate(program, ctx);
  registerDegrade(program, ctx);
  registerEval(program, ctx);
  registerInfo(program, ctx);
  registerModels(program, ctx);
  registerServe(program, ctx);
  registerBench(program, ctx);
  // Subcommands inherit the output configuration and exit override.
  for (const command of program.commands) {
    command.configureOutput(program.configureOutput()).exitOverride().showSuggestionAfterError(true);
  }
  return program;
}

/** `dlnet models | head`: a reader that stops early is not an error (and gets no stack trace). */
function exitQuietlyOnClosedStdout(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
}

/** Runs `dlnet` with `argv` (process.argv layout) and returns the exit code. Never throws. */
export async function run(argv: readonly string[], options: RunOptions = {}): Promise<number> {
  if (options.stdout === undefined && !process.stdout.listeners('error').includes(exitQuietlyOnClosedStdout)) {
    process.stdout.on('error', exitQuietlyOnClosedStdout);
  }
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130); // second Ctrl-C: stop now
    controller.abort(Object.assign(new Error('Cancelled.'), { name: 'AbortError' }));
  };
  if (options.signal === undefined) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  } else {
    options.signal.addEventListener('abort', () => controller.abort(options.signal?.reason), { once: true });
  }
  const ctx: CliContext = {
    stdout: options.stdout ?? process.stdout,
    stderr: options.stderr ?? process.stderr,
    signal: controller.signal,
    exitCode: 0,
  };
  try {
    const program = buildProgram(ctx);
    if (argv.length <= 2) {
      program.outputHelp({ error: true });
      return 2;
    }
    await program.parseAsync([...argv]);
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError && error.exitCode === 0) return 0; // --help, --version
    printError(ctx.stderr, error, ctx.signal);
    return exitCodeFor(error, ctx.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  process.exitCode = await run(process.argv);
}
