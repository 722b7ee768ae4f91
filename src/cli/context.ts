/** What every subcommand gets from the entry point: streams, cancellation and the exit status. */
import { printError } from './errors.js';

export interface CliContext {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Aborted on Ctrl-C (SIGINT / SIGTERM). */
  readonly signal: AbortSignal;
  /** Exit status so far; a command sets 1 when one item of a batch failed. */
  exitCode: number;
}

/** Reports a failure of one item (e.g. one file of a batch) and marks the run as failed. */
export function reportItemFailure(ctx: CliContext, error: unknown): void {
  printError(ctx.stderr, error, ctx.signal);
  if (ctx.exitCode === 0) ctx.exitCode = 1;
}

/** An informational line on stderr (stdout is reserved for results). */
export function info(ctx: CliContext, line: string): void {
  ctx.stderr.write(`${line}\n`);
}
