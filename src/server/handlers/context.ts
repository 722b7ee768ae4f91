/** What every handler receives: the backend's workspace and the requester's event sink. */
import type { AppEvent, ArgsOf, Channel, ResultOf } from '../../api/api.js';
import type { Workspace } from '../workspace.js';

export interface HandlerContext {
  readonly workspace: Workspace;
  /** Sends an event to the client that made the request. */
  readonly emit: (event: AppEvent) => void;
}

export type Handler<C extends Channel> = (args: ArgsOf<C>, ctx: HandlerContext) => Promise<ResultOf<C>>;
export type Handlers = { [C in Channel]: Handler<C> };
