/**
 * The one client of the typed API, over either transport: Electron's preload bridge
 * (window.dlnet) or the WebSocket of `dlnet serve` (token from the page's URL). Components and
 * state classes call `client.call(Channels.x, args)` and subscribe with `client.onEvent`.
 */
import {
  ApiRequestError,
  type ApiResponse,
  type AppEvent,
  type ArgsOf,
  type Channel,
  type DlnetBridge,
  type ResultOf,
} from '../../api/api.js';
import { decodeMessage, encodeMessage, type ServerMessage } from '../../api/wire.js';

export interface Transport {
  invoke(channel: Channel, args: unknown): Promise<ApiResponse<unknown>>;
  onEvent(listener: (event: AppEvent) => void): () => void;
}

export class ApiClient {
  readonly #transport: Transport;
  readonly shell: 'electron' | 'browser';

  constructor(transport: Transport, shell: 'electron' | 'browser') {
    this.#transport = transport;
    this.shell = shell;
  }

  /** Calls a channel; throws ApiRequestError (code + one sentence) when the backend refuses. */
  async call<C extends Channel>(channel: C, args: ArgsOf<C>): Promise<ResultOf<C>> {
    const response = await this.#transport.invoke(channel, args);
    if (!response.ok) throw new ApiRequestError(response.error.code, response.error.message);
    return response.result as ResultOf<C>;
  }

  onEvent(listener: (event: AppEvent) => void): () => void {
    return this.#transport.onEvent(listener);
  }
}

export class BridgeTransport implements Transport {
  readonly #bridge: DlnetBridge;
  constructor(bridge: DlnetBridge) {
    this.#bridge = bridge;
  }
  invoke(channel: Channel, args: unknown): Promise<ApiResponse<unknown>> {
    return this.#bridge.invoke(channel, args as never) as Promise<ApiResponse<unknown>>;
  }
  onEvent(listener: (event: AppEvent) => void): () => void {
    return this.#bridge.onEvent(listener);
  }
}

export class WebSocketTransport implements Transport {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, (response: ApiResponse<unknown>) => void>();
  readonly #listeners = new Set<(event: AppEvent) => void>();
  readonly #opened: Promise<void>;
  #nextId = 1;
  #closed: string | null = null;

  constructor(url: string, onClose: (reason: string) => void) {
    this.#socket = new WebSocket(url);
    this.#socket.binaryType = 'arraybuffer';
    this.#opened = new Promise((resolve, reject) => {
      this.#socket.addEventListener('open', () => resolve(), { once: true });
      this.#socket.addEventListener(
        'error',
        () => reject(new Error('Cannot reach the DL-Net Studio server; is `dlnet serve` still running?')),
        { once: true },
      );
    });
    this.#opened.catch(() => {});
    this.#socket.addEventListener('message', (e: MessageEvent) => {
      const message = decodeMessage(new Uint8Array(e.data as ArrayBuffer)) as ServerMessage;
      if (message.kind === 'event') for (const l of this.#listeners) l(message.event);
      else {
        const { kind: _kind, id, ...response } = message;
        this.#pending.get(id)?.(response as ApiResponse<unknown>);
        this.#pending.delete(id);
      }
    });
    this.#socket.addEventListener('close', () => {
      this.#closed = 'The connection to the DL-Net Studio server was lost; restart `dlnet serve` and reload this page.';
      for (const resolve of this.#pending.values())
        resolve({ ok: false, error: { code: 'disconnected', message: this.#closed } });
      this.#pending.clear();
      onClose(this.#closed);
    });
  }

  ready(): Promise<void> {
    return this.#opened;
  }

  async invoke(channel: Channel, args: unknown): Promise<ApiResponse<unknown>> {
    await this.#opened;
    if (this.#closed) return { ok: false, error: { code: 'disconnected', message: this.#closed } };
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#socket.send(encodeMessage({ kind: 'request', id, channel, args }));
    });
  }

  onEvent(listener: (event: AppEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

declare global {
  interface Window {
    /** Present in the desktop app only (src/preload). */
    dlnet?: DlnetBridge;
  }
}

/** The client for this page: the preload bridge when there is one, else the serve WebSocket. */
export async function connect(onClose: (reason: string) => void): Promise<ApiClient> {
  if (window.dlnet) return new ApiClient(new BridgeTransport(window.dlnet), 'electron');
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const transport = new WebSocketTransport(`ws://${location.host}/api?token=${encodeURIComponent(token)}`, onClose);
  await transport.ready();
  return new ApiClient(transport, 'browser');
}
