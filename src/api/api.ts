/**
 * The one typed API between the UI (src/renderer) and the backend (src/server, used by Electron's
 * main process and by `dlnet serve`). Two transports carry it: Electron IPC (src/preload) and a
 * loopback WebSocket (src/server/ws-server.ts + ./wire.ts). Other layers import it from here:
 *   - ./channels.ts  every channel name, in one `as const` object (a misspelt channel does not compile);
 *   - ./schemas.ts   every request's arguments as a valibot schema, the argument types inferred from
 *                    them (./fields.ts holds their building blocks and sentences);
 *   - ./requests.ts  the request map (channel → argument and result), the per-channel validators the
 *                    backend runs on every incoming argument, and the preload's bridge;
 *   - ./results.ts   what requests answer with; ./events.ts the event stream; ./responses.ts the
 *                    envelope; ./limits.ts what may cross the wire and the forms' defaults.
 * src/api imports nothing from src except src/base (docs/architecture.md §2), and no Node built-ins.
 */
export { ValidationError, type SrScale, type Task } from './validate.js';
export * from './channels.js';
export * from './events.js';
export * from './limits.js';
export * from './requests.js';
export * from './responses.js';
export * from './results.js';
export * from './schemas.js';
