/**
 * Output files of one CLI operation: checked before any work starts (never an input, never an
 * existing file), written atomically through image-io, and all removed again if the operation
 * fails or is cancelled, so a failure leaves nothing behind.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import {
  checkOutputFolder,
  formatFromPath,
  type Image,
  type Mask,
  type Samples,
  type SamplesShape,
  UserError,
  writeImage,
  type WriteImageOptions,
  type WriteImageResult,
  writeMask,
  writeSamples,
} from '../engine/index.js';
import { UsageError } from './errors.js';

/** `<dir>/<name><suffix>` where name is the input's base name without extension. */
export function siblingPath(input: string, suffix: string, dir = path.dirname(input)): string {
  const name = path.basename(input, path.extname(input));
  return path.join(dir, `${name}${suffix}`);
}

export function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

export class OutputSet {
  private readonly inputs: Set<string>;
  private readonly planned = new Set<string>();
  private readonly written: string[] = [];
  private readonly createdDirs: string[] = [];

  constructor(inputs: readonly string[]) {
    this.inputs = new Set(inputs.map((file) => path.resolve(file)));
  }

  /**
   * Refuses a destination that is an input, already planned, already on disk, or of an unknown
   * format. `flag` names the option the path came from, for the message.
   */
  check(file: string, flag = '--out', options: { folderWillBeMade?: boolean } = {}): void {
    const resolved = path.resolve(file);
    if (this.inputs.has(resolved)) {
      throw new UsageError(`${flag} ${file} is an input file; dlnet never writes over its inputs.`);
    }
    if (formatFromPath(file) === undefined) {
      throw new UsageError(`${flag} ${file} must end in .png, .jpg, .webp or .tif.`);
    }
    if (this.planned.has(resolved)) throw new UsageError(`Two outputs would be written to ${file}.`);
    if (existsSync(resolved)) {
      throw new UserError(
        `${path.basename(file)} already exists; dlnet does not overwrite files, so choose another ${flag}.`,
        'exists',
      );
    }
    checkOutputFolder(path.dirname(resolved), { willCreate: options.folderWillBeMade });
    this.planned.add(resolved);
  }

  /** Creates a folder for outputs if missing; it is removed again by rollback if left empty. */
  async ensureDir(dir: string, flag: string): Promise<void> {
    if (isDirectory(dir)) return;
    if (existsSync(dir)) throw new UsageError(`${flag} ${dir} exists and is not a folder.`);
    const first = await mkdir(dir, { recursive: true });
    if (first === undefined) return;
    // Remember every folder created, deepest first, from `dir` up to the first one made.
    const top = path.resolve(first);
    for (let d = path.resolve(dir); ; d = path.dirname(d)) {
      this.createdDirs.push(d);
      if (d === top || path.dirname(d) === d) break;
    }
  }

  async writeImage(file: string, image: Image, options: WriteImageOptions = {}): Promise<WriteImageResult> {
    const result = await writeImage(file, image, { ...options, overwrite: false });
    this.written.push(file);
    return result;
  }

  /** writeImage from samples made on demand (image-io's writeSamples). */
  async writeSamples(
    file: string,
    samplesFor: (depth: 8 | 16) => Samples | Promise<Samples>,
    shape: SamplesShape,
    options: WriteImageOptions = {},
  ): Promise<WriteImageResult> {
    const result = await writeSamples(file, samplesFor, shape, { ...options, overwrite: false });
    this.written.push(file);
    return result;
  }

  async writeMask(file: string, mask: Mask): Promise<WriteImageResult> {
    const result = await writeMask(file, mask);
    this.written.push(file);
    return result;
  }

  /** Files written so far. */
  get files(): readonly string[] {
    return this.written;
  }

  /** Removes every file written through this set, and folders it created if they are now empty. */
  async rollback(): Promise<void> {
    for (const file of this.written.splice(0).reverse()) await rm(file, { force: true });
    for (const dir of this.createdDirs.splice(0)) {
      try {
        await rmdir(dir);
      } catch {
        // not empty (other files were put there meanwhile): leave it
      }
    }
  }
}
