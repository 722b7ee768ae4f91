/**
 * Temporary files of batch outputs. An output is first written (through image-io's own atomic
 * write) to `.<name>.dlnet-tmp-<pid>` in the output's folder, then hard-linked to its final name,
 * which fails instead of replacing anything, so a final name only ever appears complete and never
 * over an existing file. image-io's inner temporary is named `.<our temp>.<pid>.<hex>.tmp`, so
 * every temporary of a batch matches TEMP_PATTERN. A run killed with kill -9 leaves at most such
 * hidden files; the next run removes those of dead processes (cleanStaleTemps) and never treats
 * hidden files as inputs.
 */
import { createHash } from 'node:crypto';
import { link, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

const MARK = '.dlnet-tmp-';
/** A batch temporary (ours or image-io's inner one); group 1 is the writer's pid. */
export const TEMP_PATTERN = /^\..*\.dlnet-tmp-(\d+)(?:\..*)?$/s;

/** Names longer than this get a hashed temporary name, so the temporary stays under 255 bytes. */
const LONG_NAME = 150;

/** The temporary path for `output` written by process `pid`. */
export function tempPathFor(output: string, pid: number = process.pid): string {
  const base = path.basename(output);
  const stem = Buffer.byteLength(base) > LONG_NAME ? createHash('sha256').update(base).digest('hex').slice(0, 16) : base;
  return path.join(path.dirname(output), `.${stem}${MARK}${pid}`);
}

export function isTempName(name: string): boolean {
  return TEMP_PATTERN.test(name);
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

/** True when a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

/**
 * Removes batch temporaries left in `dirs` by processes that no longer run, and this process's own
 * temporaries for the outputs in `ownOutputs` (a pid reused after a crash). Folders that do not exist
 * or cannot be read are passed over. Returns the number of files removed.
 */
export async function cleanStaleTemps(dirs: Iterable<string>, ownOutputs: Iterable<string> = []): Promise<number> {
  const own = new Set<string>();
  for (const output of ownOutputs) own.add(path.basename(tempPathFor(output)));
  let removed = 0;
  for (const dir of new Set(dirs)) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const match = TEMP_PATTERN.exec(name);
      if (match === null) continue;
      const pid = Number(match[1]);
      const ours = pid === process.pid && [...own].some((t) => name === t || name.startsWith(`${t}.`));
      if (pid !== process.pid ? processAlive(pid) : !ours) continue;
      try {
        await rm(path.join(dir, name), { force: true });
        removed++;
      } catch {
        // a file we cannot remove is ignored: it is hidden and never taken for an input
      }
    }
  }
  return removed;
}

/** Removes this process's temporaries (ours and image-io's inner ones) for `output`. */
export async function removeTempsFor(output: string): Promise<void> {
  const temp = tempPathFor(output);
  const base = path.basename(temp);
  await rm(temp, { force: true });
  let names: string[];
  try {
    names = await readdir(path.dirname(temp));
  } catch {
    return;
  }
  for (const name of names) {
    if (name.startsWith(`${base}.`)) await rm(path.join(path.dirname(temp), name), { force: true });
  }
}

/**
 * Moves a complete temporary to its final name without ever replacing a file: a hard link (which
 * fails with EEXIST), then the temporary is removed. On file systems without hard links, checks
 * and renames. Returns false (and removes the temporary) when `output` already exists.
 */
export async function commitTemp(temp: string, output: string): Promise<boolean> {
  try {
    try {
      await link(temp, output);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EXDEV') throw error;
      try {
        await stat(output);
        return false;
      } catch {
        // does not exist: fall back to rename
      }
      await rename(temp, output);
    }
    return true;
  } finally {
    await rm(temp, { force: true });
  }
}
