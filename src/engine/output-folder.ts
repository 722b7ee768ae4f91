/**
 * The check every writer makes before any work starts: the folder an output goes to exists (or, where
 * the writer will make it, its nearest existing parent does), is a folder, and this process may write
 * there. Without it a run would restore for minutes and only then fail to save.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../base/errors.js';

function nearestExisting(dir: string): string {
  let d = path.resolve(dir);
  while (!exists(d) && path.dirname(d) !== d) d = path.dirname(d);
  return d;
}

function exists(file: string): boolean {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Throws a one-sentence UserError unless files can be written in `dir` (created first when `willCreate`). */
export function checkOutputFolder(dir: string, options: { willCreate?: boolean } = {}): void {
  const resolved = path.resolve(dir);
  const existing = options.willCreate ? nearestExisting(resolved) : resolved;
  if (!exists(existing)) throw new UserError(`The folder ${resolved} does not exist.`, 'not-found');
  if (!statSync(existing).isDirectory()) {
    throw new UserError(`${existing} is a file, not a folder, so nothing can be written ${existing === resolved ? 'into it' : `in ${resolved}`}.`, 'not-a-folder');
  }
  try {
    accessSync(existing, constants.W_OK);
  } catch {
    throw new UserError(`The folder ${existing} is not writable.`, 'not-writable');
  }
}
