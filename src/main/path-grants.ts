/**
 * The folders and files the user chose, and the guard that keeps the desktop API inside them.
 * A page that has been tricked into calling the API must not read or write wherever it likes:
 *   - reads (image.open, mask.load by path) only of files the user picked in a native open
 *     dialog or from the recent-files menu;
 *   - writes (job.save, mask.save) only directly inside a granted folder: the workspace (the
 *     user's Pictures folder), the folder of an image opened by path, or the folder of a path
 *     picked in a native save dialog;
 *   - batches (batch.plan, batch.start) only between folders picked in the native folder dialog
 *     (with their sub-folders), and a report only where a write is allowed or inside such a folder;
 *   - settings.set remembers a batch output folder only when it is such a folder (main grants the
 *     remembered one again at the next start, src/main/index.ts).
 * Paths are compared after resolving `..` and symbolic links. Runs without Electron (the fuzz
 * tests drive it); src/main/index.ts wires it between IPC and the dispatcher.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { Dispatcher } from '../server/dispatcher.js';
import { Channels, validateRequest, type ApiError, type ApiResponse, type OpenedImage } from '../api/api.js';

/** `..` resolved, and symbolic links of the longest existing ancestor followed. */
export function canonical(file: string): string {
  const resolved = path.resolve(file);
  const rest: string[] = [];
  let head = resolved;
  for (;;) {
    try {
      return path.join(realpathSync(head), ...rest);
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return resolved;
      rest.unshift(path.basename(head));
      head = parent;
    }
  }
}

const sameCase =
  process.platform === 'win32' || process.platform === 'darwin' ? (p: string) => p.toLowerCase() : (p: string) => p;

export class PathGrants {
  readonly #files = new Set<string>();
  readonly #folders = new Set<string>();
  readonly #trees = new Set<string>();

  constructor(folders: readonly string[] = []) {
    for (const folder of folders) this.grantFolder(folder);
  }

  /** A file the user picked (open dialog, recent files): it may be read, and its folder written. */
  grantFile(file: string): void {
    const c = sameCase(canonical(file));
    this.#files.add(c);
    this.#folders.add(path.dirname(c));
  }

  /** A folder outputs may be written into (not its sub-folders). */
  grantFolder(folder: string): void {
    this.#folders.add(sameCase(canonical(folder)));
  }

  /** A folder picked in the folder dialog: it and everything below it may be read and written. */
  grantTree(folder: string): void {
    this.#trees.add(sameCase(canonical(folder)));
  }

  /** Is `target` a granted tree or inside one? */
  inTree(target: string): boolean {
    const c = sameCase(canonical(target));
    for (const root of this.#trees) if (c === root || c.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) return true;
    return false;
  }

  mayRead(file: string): boolean {
    return this.#files.has(sameCase(canonical(file)));
  }

  mayWrite(file: string): boolean {
    return this.#folders.has(path.dirname(sameCase(canonical(file)))) || this.inTree(path.dirname(file));
  }
}

/** Channels of the batch panel (by wire name, so this guard does not depend on their types). */
const DIALOG_FOLDER = 'dlnet:dialog.folder';
const BATCH_CHANNELS: readonly string[] = ['dlnet:batch.plan', 'dlnet:batch.start'];

function outside(file: string, verb: 'read' | 'write' | 'folder'): ApiError {
  const name = path.basename(file).slice(0, 80) || file.slice(0, 80);
  const message = {
    read: `${name} was not chosen in this session; open it with File › Open.`,
    write: `${name} is not in a folder you chose; pick the place with the Browse button of the save dialog.`,
    folder: `The folder ${name} was not chosen in this session; pick it with the Browse button.`,
  }[verb];
  return { code: 'outside-folders', message };
}

function batchRefusal(args: Record<string, unknown>, grants: PathGrants): ApiError | null {
  const settings = (args.settings ?? {}) as Record<string, unknown>;
  for (const key of ['inputDir', 'outputDir']) {
    const dir = settings[key];
    if (typeof dir === 'string' && !grants.inTree(dir)) return outside(dir, 'folder');
  }
  if (typeof args.report === 'string' && !grants.mayWrite(args.report)) return outside(args.report, 'write');
  return null;
}

/**
 * Wraps the dispatcher: a request whose path is outside the grants is refused before any file is
 * touched; paths chosen in native dialogs, and folders of opened images, are granted on the way back.
 * Invalid requests go straight to the dispatcher, which refuses them with its own message.
 */
export function guardPaths(inner: Dispatcher, grants: PathGrants): Dispatcher {
  return {
    async handle(channel, args, emit) {
      let request;
      try {
        request = validateRequest(channel, args);
      } catch {
        return inner.handle(channel, args, emit);
      }
      const a = request.args as Record<string, unknown>;
      let refusal: ApiError | null = null;
      switch (request.channel) {
        case Channels.imageOpen:
        case Channels.maskLoad:
          if (typeof a.path === 'string' && !grants.mayRead(a.path)) refusal = outside(a.path, 'read');
          break;
        case Channels.jobSave:
        case Channels.maskSave:
          if (typeof a.path === 'string' && !grants.mayWrite(a.path)) refusal = outside(a.path, 'write');
          break;
        case Channels.settingsSet: {
          const dir = (a.batch as { outputDir?: unknown } | undefined)?.outputDir;
          if (typeof dir === 'string' && !grants.inTree(dir)) refusal = outside(dir, 'folder');
          break;
        }
        default:
          if (BATCH_CHANNELS.includes(request.channel)) refusal = batchRefusal(a, grants);
          break;
      }
      if (refusal) return { ok: false, error: refusal };
      const response = await inner.handle(channel, args, emit);
      if (response.ok) grantFromResult(request.channel, a, response, grants);
      return response;
    },
  };
}

function grantFromResult(
  channel: string,
  args: Record<string, unknown>,
  response: ApiResponse<unknown> & { ok: true },
  grants: PathGrants,
): void {
  const result = response.result as Record<string, unknown> | null;
  if (channel === Channels.dialogOpen && typeof result?.path === 'string') grants.grantFile(result.path);
  if (channel === Channels.dialogSave && typeof result?.path === 'string') grants.grantFolder(path.dirname(result.path));
  if (channel === DIALOG_FOLDER && typeof result?.path === 'string') grants.grantTree(result.path);
  if (channel === Channels.imageOpen && typeof (result as OpenedImage | null)?.path === 'string')
    grants.grantFolder(path.dirname(args.path as string));
}
