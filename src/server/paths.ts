/**
 * Server-side checks of file paths from the UI (the shared validators already checked that each
 * is absolute text). Outputs: the folder exists, the name matches the format, the file does not
 * exist, and it is not an open input (docs/architecture.md §7: never over an input, never overwrite).
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { checkOutputFolder, UserError } from '../engine/index.js';
import { FORMAT_EXTENSIONS, type OutputFormat } from '../api/api.js';

const EXTENSIONS: Readonly<Record<OutputFormat, readonly string[]>> = {
  png: ['.png'],
  jpeg: ['.jpg', '.jpeg'],
  webp: ['.webp'],
  tiff: ['.tif', '.tiff'],
};

function real(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

/** An existing regular file to read. */
export function checkInputPath(file: string): string {
  const name = path.basename(file);
  let stats;
  try {
    stats = statSync(file);
  } catch {
    throw new UserError(`${name} does not exist.`, 'not-found');
  }
  if (stats.isDirectory()) throw new UserError(`${name} is a folder, not an image file.`, 'bad-input');
  if (!stats.isFile()) throw new UserError(`${name} is not a regular file.`, 'bad-input');
  return file;
}

/** A new file to write in `format`; refuses inputs, existing files and missing folders. */
export function checkOutputPath(file: string, format: OutputFormat, inputs: readonly string[]): string {
  const name = path.basename(file);
  const dir = path.dirname(file);
  if (!EXTENSIONS[format].includes(path.extname(file).toLowerCase())) {
    throw new UserError(`${name} must end in ${FORMAT_EXTENSIONS[format]} to be saved as ${format.toUpperCase()}.`, 'bad-output');
  }
  const target = real(file);
  if (inputs.some((input) => real(input) === target)) {
    throw new UserError(`${name} is the input image; choose another name (inputs are never overwritten).`, 'is-input');
  }
  checkOutputFolder(dir);
  if (existsSync(file)) throw new UserError(`${name} already exists; choose another name.`, 'exists');
  return file;
}

/** `<dir>/<base><suffix>`, numbered (-2, -3, …) until no such file exists. */
export function freshSibling(dir: string, base: string, suffix: string): string {
  for (let i = 1; ; i++) {
    const candidate = path.join(dir, `${base}${i === 1 ? '' : `-${i}`}${suffix}`);
    if (!existsSync(candidate)) return candidate;
  }
}
