/**
 * The main-side handler of one IPC channel, without Electron at run time (so the security and
 * fuzz tests drive exactly this code with a plain event object): the sender check, then the
 * dispatcher, which validates the argument and answers with the one envelope. Never throws.
 */
import type { Dispatcher } from '../server/dispatcher.js';
import type { Logger } from '../server/log.js';
import type { ApiResponse, AppEvent, Channel } from '../api/api.js';
import { isAppSender, type SenderEvent } from './security.js';

export type IpcHandler = (event: SenderEvent, args: unknown) => Promise<ApiResponse<unknown>>;

export const FORBIDDEN: ApiResponse<never> = {
  ok: false,
  error: { code: 'forbidden', message: 'This request did not come from the app.' },
};

export function createIpcHandler(
  channel: Channel,
  dispatcher: Dispatcher,
  appUrl: string,
  log: Logger,
  emitTo: (event: SenderEvent) => (e: AppEvent) => void,
): IpcHandler {
  return async (event, args) => {
    if (!isAppSender(event, appUrl)) {
      const from = typeof event?.senderFrame?.url === 'string' ? event.senderFrame.url : '(no frame)';
      log.warn(`refused ${channel} from ${from.slice(0, 120)}`);
      return FORBIDDEN;
    }
    return dispatcher.handle(channel, args, emitTo(event));
  };
}
