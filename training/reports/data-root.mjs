/**
 * Where the training and evaluation images live: the one place the JavaScript / TypeScript scripts
 * resolve it (the Python side has training/paths.py). The data root is the environment variable
 * DLNET_DATA, or `data/` at the repository root when it is unset; it holds train/T91, train/BSD400,
 * train/faces, train/scenes, eval/Set5 and eval/Set14 (README, "Datasets").
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DATA_ROOT = path.resolve(process.env.DLNET_DATA || path.join(REPO_ROOT, 'data'));

/** A path under the data root, e.g. dataPath('eval', 'Set5'); nothing is checked here. */
export function dataPath(...parts) {
  return path.join(DATA_ROOT, ...parts);
}

/** Returns `folder`, or says in one sentence what to set and exits with status 1 when it is not a folder. */
export function requireFolder(folder) {
  let isDir = false;
  try {
    isDir = statSync(folder).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    process.stderr.write(
      `The image folder ${folder} does not exist: set DLNET_DATA to the folder that holds train/ and eval/ ` +
        `(now ${DATA_ROOT}), or put them in data/ at the repository root.\n`,
    );
    process.exit(1);
  }
  return folder;
}
