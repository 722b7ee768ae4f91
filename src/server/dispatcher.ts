/**
 * The transport-independent entry point: validates a request's channel and arguments with the
 * shared validators, runs its handler, and turns every outcome into the one envelope
 * ({ok, result} or {ok: false, error: {code, message}}). Never throws; never sends a stack trace.
 */
import { validateRequest, ValidationError, type ApiResponse, type AppEvent, type Channel } from '../api/api.js';
import type { Handler, Handlers } from './handlers/index.js';
import type { Workspace } from './workspace.js';

export interface Dispatcher {
  handle(channel: unknown, args: unknown, emit: (event: AppEvent) => void): Promise<ApiResponse<unknown>>;
}

/** Longest message sent back (a message that echoes a huge argument is cut). */
const MAX_MESSAGE = 300;

function oneSentence(text: string): string {
  let line = text.split('\n')[0].trim() || 'An unknown error occurred';
  if (line.length > MAX_MESSAGE) line = `${line.slice(0, MAX_MESSAGE)}…`;
  return /[.!?)]$/.test(line) ? line : `${line}.`;
}

export function createDispatcher(workspace: Workspace, handlers: Handlers): Dispatcher {
  return {
    async handle(channel, args, emit) {
      try {
        const request = validateRequest(channel, args);
        const handler = handlers[request.channel] as Handler<Channel>;
        const result = await handler(request.args as never, { workspace, emit });
        return { ok: true, result };
      } catch (error) {
        if (error instanceof ValidationError)
          return { ok: false, error: { code: 'bad-argument', message: oneSentence(error.message) } };
        if (error instanceof Error && error.name === 'UserError') {
          return {
            ok: false,
            error: {
              code: String((error as Error & { code?: unknown }).code ?? 'bad-input'),
              message: oneSentence(error.message),
            },
          };
        }
        workspace.log.error(`${String(channel)} failed: ${error instanceof Error ? error.message : String(error)}`, error);
        const message = error instanceof Error ? error.message : String(error);
        return { ok: false, error: { code: 'internal', message: `Internal error: ${oneSentence(message).replace(/\.$/, '')}.` } };
      }
    },
  };
}
