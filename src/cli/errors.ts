/**
 * How the CLI reports failures: `dlnet: <one sentence>` on stderr, never a stack trace (unless
 * DLNET_DEBUG=1). Exit codes: 1 for bad input or a failed operation, 2 for usage errors (flags),
 * 130 when cancelled (Ctrl-C).
 */
import { CommanderError } from 'commander';
import { UserError } from '../engine/index.js';
import { ValidationError } from '../api/validate.js';

/** A wrong combination of flags (a usage error, exit code 2). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_CANCELLED = 130;

export function isAbort(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted === true) return true;
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'CancelledError');
}

export function exitCodeFor(error: unknown, signal?: AbortSignal): number {
  if (isAbort(error, signal)) return EXIT_CANCELLED;
  if (error instanceof ValidationError || error instanceof UsageError) return EXIT_USAGE;
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  return EXIT_FAILURE;
}

function sentence(text: string): string {
  const line = text.split('\n')[0].trim();
  if (line === '') return 'An unknown error occurred.';
  const capitalised = line;
  return /[.!?)]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

/**
 * The one sentence shown for an error. User-facing errors show their message; commander's
 * messages lose their "error: " prefix; anything else is an internal error, shown by its first
 * line with a hint to rerun with DLNET_DEBUG=1.
 */
export function errorSentence(error: unknown, signal?: AbortSignal): string {
  if (isAbort(error, signal)) return 'Cancelled; no output was written for the unfinished work.';
  if (error instanceof UserError || error instanceof ValidationError || error instanceof UsageError) {
    return sentence(error.message);
  }
  if (error instanceof CommanderError) {
    const text = error.message.replace(/^error:\s*/i, '');
    return sentence(text);
  }
  const message = error instanceof Error ? error.message : String(error);
  return `Internal error: ${sentence(message).replace(/\.$/, '')} (rerun with DLNET_DEBUG=1 for details).`;
}

export function debugEnabled(): boolean {
  return process.env.DLNET_DEBUG === '1';
}

/** Writes the error line (and, with DLNET_DEBUG=1, the stack) to `stderr`. */
export function printError(stderr: NodeJS.WritableStream, error: unknown, signal?: AbortSignal, prefix = ''): void {
  stderr.write(`dlnet: ${prefix}${errorSentence(error, signal)}\n`);
  if (debugEnabled() && error instanceof Error && error.stack !== undefined) stderr.write(`${error.stack}\n`);
}
