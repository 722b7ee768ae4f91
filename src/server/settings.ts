/**
 * Where the UI's remembered settings live (settings.get / settings.set). The handlers see only
 * `SettingsStore`: Electron's main process passes its electron-store settings (src/main/settings.ts),
 * `dlnet serve` a JSON file (`SettingsFile`), a backend given neither keeps them in memory. A store
 * returns what it holds unchecked; the handler checks it field by field with src/api's schemas
 * (readBatchOptions), so every store drops a stale or hand-edited value the same way.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BatchOptions } from '../api/api.js';

export interface SettingsStore {
  /** The batch panel's options as stored (anything at all; undefined when none). */
  readBatch(): unknown;
  /** Replaces them. */
  writeBatch(options: BatchOptions): void;
}

/** For a backend given no store (tests, tools): remembered for the life of the process. */
export class MemorySettings implements SettingsStore {
  #batch: unknown;
  readBatch(): unknown {
    return this.#batch;
  }
  writeBatch(options: BatchOptions): void {
    this.#batch = structuredClone(options);
  }
}

/** The user's configuration folder: %APPDATA%, ~/Library/Application Support, or $XDG_CONFIG_HOME (~/.config). */
export function userConfigDir(): string {
  if (process.platform === 'win32') return process.env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support');
  const xdg = process.env.XDG_CONFIG_HOME;
  return xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.config');
}

/** `dlnet serve`'s settings file unless --settings names another (Electron's own is settings.json there). */
export function defaultSettingsFile(): string {
  return path.join(userConfigDir(), 'dlnet-studio', 'serve-settings.json');
}

/**
 * A JSON object in one file, `{ "batch": {...} }`. A missing, unreadable or malformed file reads as
 * empty (never an error: the panel then shows its defaults); keys it does not know are kept when it
 * writes. Writes go to a temporary file renamed over the old one, so a crash leaves either file whole.
 */
export class SettingsFile implements SettingsStore {
  readonly file: string;

  constructor(file: string) {
    this.file = path.resolve(file);
  }

  #read(): Record<string, unknown> {
    try {
      const data: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
      return typeof data === 'object' && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }

  readBatch(): unknown {
    return this.#read().batch;
  }

  writeBatch(options: BatchOptions): void {
    const data = { ...this.#read(), batch: options };
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    try {
      writeFileSync(temp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
      renameSync(temp, this.file);
    } catch (error) {
      rmSync(temp, { force: true });
      throw error;
    }
  }
}
