/**
 * Planning a batch: walk the input folder, decide for every file whether it is processed, skipped
 * or failed (with one sentence), and where its output goes. Planning reads the file system but
 * writes nothing, so a dry run is just a plan.
 *
 * Rules (docs/architecture.md §7):
 * - The output tree mirrors the input tree: <out>/<sub/folders>/<name><suffix>.<ext>.
 * - An output folder equal to or inside the input folder is refused unless a suffix is given;
 *   when it is inside, it is never walked as input, and when it is the same folder, files that are
 *   the planned output of another input (a previous run's outputs) are skipped, not re-processed.
 * - No output may be an input file, another file's output, or an existing file: collisions between
 *   outputs (photo.jpg and photo.png converted to PNG) get distinct names (photo-jpg.png,
 *   photo-png.png); an existing output fails the file, or is skipped with skipExisting.
 * - Hidden files (names starting with '.') are ignored, batch temporaries included; files whose
 *   extension is not an image format are skipped with a sentence; images that turn out corrupt,
 *   empty or unsupported are found when read, by the worker.
 */
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Dirent } from 'node:fs';
import { UserError } from '../image.js';
import { FORMAT_EXTENSIONS, type OutputFormat } from '../../base/formats.js';
import { findModel } from '../models.js';
import { SR_SCALES } from '../../base/limits.js';
import { modelScaleFixed, resolveBatchOptions } from './options.js';
import type { BatchOptions, BatchPlan, PlannedFile, ResolvedBatchOptions } from './types.js';
import { checkOutputFolder } from '../output-folder.js';

/** Extensions read as images, and the format each implies. */
export const IMAGE_EXTENSIONS: Readonly<Record<string, string>> = {
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.jpe': 'jpeg',
  '.jfif': 'jpeg',
  '.webp': 'webp',
  '.tif': 'tiff',
  '.tiff': 'tiff',
  '.bmp': 'bmp',
  '.gif': 'gif',
  '.avif': 'heif',
  '.heic': 'heif',
  '.heif': 'heif',
};

const WRITABLE = new Set<string>(['png', 'jpeg', 'webp', 'tiff']);

/** File systems of these platforms usually ignore case: compare names case-insensitively there. */
const CASE_INSENSITIVE = process.platform === 'darwin' || process.platform === 'win32';

function key(file: string): string {
  return CASE_INSENSITIVE ? file.toLowerCase() : file;
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** realpath of the deepest existing ancestor, with the rest appended (the folder may not exist yet). */
async function realpathLenient(dir: string): Promise<string> {
  const rest: string[] = [];
  let current = dir;
  for (;;) {
    try {
      return path.join(await realpath(current), ...rest.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return dir;
      rest.push(path.basename(current));
      current = parent;
    }
  }
}

/** Output extension and format for an input, given the requested format. */
export function outputFormatFor(
  inputName: string,
  format: ResolvedBatchOptions['format'],
): { ext: string; format: OutputFormat } {
  if (format !== 'keep') return { ext: FORMAT_EXTENSIONS[format], format };
  const ext = path.extname(inputName);
  const kind = IMAGE_EXTENSIONS[ext.toLowerCase()];
  if (kind !== undefined && WRITABLE.has(kind)) return { ext, format: kind as OutputFormat };
  return { ext: '.png', format: 'png' };
}

interface Candidate {
  rel: string;
  input: string;
  bytes: number;
  action: PlannedFile['action'];
  reason?: string;
  code?: string;
  outputRel?: string;
  format?: OutputFormat;
}

interface WalkState {
  readonly options: ResolvedBatchOptions;
  readonly inputRoot: string;
  /** The output folder when it lies inside the input folder: never walked. */
  readonly skipDir?: string;
  readonly found: Candidate[];
  subfoldersNotIncluded: number;
  hiddenIgnored: number;
}

function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

async function walk(state: WalkState, dir: string, relDir: string): Promise<void> {
  let entries: Dirent[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).sort(byName);
  } catch (error) {
    const code = errorCode(error);
    const why =
      code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOENT' ? 'it was removed' : (code ?? 'error');
    if (relDir === '') throw new UserError(`The input folder ${dir} cannot be read (${why}).`, 'unreadable-folder');
    state.found.push({
      rel: relDir,
      input: dir,
      bytes: 0,
      action: 'fail',
      code: 'unreadable-folder',
      reason: `The folder ${relDir} cannot be read (${why}), so its images were not processed.`,
    });
    return;
  }
  for (const entry of entries) {
    const rel = relDir === '' ? entry.name : path.join(relDir, entry.name);
    const full = path.join(dir, entry.name);
    if (entry.name.startsWith('.')) {
      state.hiddenIgnored++;
      continue;
    }
    let isDir = entry.isDirectory();
    let isFile = entry.isFile();
    let bytes = 0;
    if (entry.isSymbolicLink()) {
      try {
        const target = await stat(full);
        if (target.isDirectory()) {
          state.found.push({
            rel,
            input: full,
            bytes: 0,
            action: 'skip',
            code: 'folder-link',
            reason: `${rel} is a link to a folder, which batch processing does not follow.`,
          });
          continue;
        }
        isFile = target.isFile();
        isDir = false;
        bytes = target.size;
      } catch {
        state.found.push({ rel, input: full, bytes: 0, action: 'skip', code: 'broken-link', reason: `${rel} is a broken link.` });
        continue;
      }
    }
    if (isDir) {
      if (state.skipDir !== undefined && (await realpath(full).catch(() => full)) === state.skipDir) continue;
      if (state.options.recursive) await walk(state, full, rel);
      else state.subfoldersNotIncluded++;
      continue;
    }
    if (!isFile) {
      state.found.push({
        rel,
        input: full,
        bytes: 0,
        action: 'skip',
        code: 'not-a-file',
        reason: `${rel} is not a regular file.`,
      });
      continue;
    }
    if (IMAGE_EXTENSIONS[path.extname(entry.name).toLowerCase()] === undefined) {
      state.found.push({
        rel,
        input: full,
        bytes: 0,
        action: 'skip',
        code: 'not-image',
        reason: `${rel} is not an image file (by its name), so it was skipped.`,
      });
      continue;
    }
    if (!entry.isSymbolicLink()) {
      try {
        bytes = (await lstat(full)).size;
      } catch {
        bytes = 0; // vanished already: the worker reports it
      }
    }
    state.found.push({ rel, input: full, bytes, action: 'process' });
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

/** Output names: the mirrored name, or a name with the input's extension in it where two would clash. */
function nameOutputs(options: ResolvedBatchOptions, candidates: Candidate[]): void {
  const active = candidates.filter((c) => c.action === 'process');
  const naming = (c: Candidate, disambiguate: boolean): void => {
    const { ext, format } = outputFormatFor(c.rel, options.format);
    const inExt = path.extname(c.rel);
    const base = path.basename(c.rel, inExt);
    const tag = disambiguate ? `-${inExt.slice(1).toLowerCase() || 'file'}` : '';
    c.outputRel = path.join(path.dirname(c.rel), `${base}${tag}${options.suffix}${ext}`);
    c.format = format;
  };
  const groups = (): Map<string, Candidate[]> => {
    const map = new Map<string, Candidate[]>();
    for (const c of active) {
      if (c.action !== 'process') continue;
      const k = key(c.outputRel!);
      map.set(k, [...(map.get(k) ?? []), c]);
    }
    return map;
  };
  for (const c of active) naming(c, false);
  for (const group of groups().values()) if (group.length > 1) for (const c of group) naming(c, true);
  for (const group of groups().values()) {
    if (group.length < 2) continue;
    for (const c of group.slice(1)) {
      c.action = 'fail';
      c.code = 'collision';
      c.reason = `${c.rel} and ${group[0].rel} would both be written to ${c.outputRel}; rename one of them.`;
    }
  }
}

/**
 * Plans a batch (see the file comment). Throws UserError for options that are wrong as a whole:
 * a missing or unreadable input folder, an output folder that is a file, an output folder equal to
 * or inside the input folder without a suffix (code 'output-in-input'), a missing model.
 */
export async function planBatch(options: BatchOptions): Promise<BatchPlan> {
  const resolved = resolveBatchOptions(options);
  let inputRoot: string;
  try {
    const info = await stat(resolved.inputDir);
    if (!info.isDirectory()) {
      throw new UserError(
        `${resolved.inputDir} is a file, not a folder; batch processing needs a folder of images.`,
        'not-a-folder',
      );
    }
    inputRoot = await realpath(resolved.inputDir);
  } catch (error) {
    if (error instanceof UserError) throw error;
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new UserError(`The input folder ${resolved.inputDir} does not exist.`, 'not-found');
    if (code === 'EACCES' || code === 'EPERM') {
      throw new UserError(`The input folder ${resolved.inputDir} cannot be read (permission denied).`, 'unreadable-folder');
    }
    throw error;
  }
  try {
    if (!(await stat(resolved.outputDir)).isDirectory()) {
      throw new UserError(`The output folder ${resolved.outputDir} exists and is not a folder.`, 'not-a-folder');
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
  }
  checkOutputFolder(resolved.outputDir, { willCreate: true });
  const outputRoot = await realpathLenient(resolved.outputDir);
  const outIsIn = outputRoot === inputRoot || isInside(outputRoot, inputRoot);
  const inIsInOut = isInside(inputRoot, outputRoot);
  if (outIsIn && resolved.suffix === '') {
    throw new UserError(
      `The output folder ${resolved.outputDir} is ${outputRoot === inputRoot ? 'the input folder' : 'inside the input folder'}; ` +
        'add a suffix so outputs cannot be mistaken for inputs, or choose another output folder.',
      'output-in-input',
    );
  }
  const { request } = resolved;
  // A width or a height: each file's model scale follows its size, so every model it may need is checked.
  const model = !modelScaleFixed(request)
    ? request.modelId !== undefined
      ? await findModel(request.task, undefined, request.modelId)
      : { id: (await Promise.all(SR_SCALES.map((t) => findModel(request.task, t)))).map((m) => m.id).join(' / ') }
    : await findModel(request.task, request.scale, request.modelId);

  const state: WalkState = {
    options: resolved,
    inputRoot,
    ...(outIsIn && outputRoot !== inputRoot ? { skipDir: outputRoot } : {}),
    found: [],
    subfoldersNotIncluded: 0,
    hiddenIgnored: 0,
  };
  await walk(state, inputRoot, '');
  const candidates = state.found;
  nameOutputs(resolved, candidates);

  const inputs = new Map<string, Candidate>();
  for (const c of candidates) if (c.action !== 'fail' || c.code !== 'unreadable-folder') inputs.set(key(c.input), c);
  const outputs = new Map<string, Candidate>();
  for (const c of candidates) if (c.action === 'process') outputs.set(key(path.join(outputRoot, c.outputRel!)), c);

  if (outputRoot === inputRoot) {
    // Same folder (a suffix is set): an input that is another input's output is a previous run's result.
    for (const c of candidates) {
      const producer = outputs.get(key(c.input));
      if (producer === undefined || producer === c || c.action !== 'process') continue;
      c.action = 'skip';
      c.code = 'is-output';
      c.reason = `${c.rel} is the output for ${producer.rel}, so it is not processed as an input.`;
    }
  }
  for (const c of candidates) {
    if (c.action !== 'process') continue;
    const output = path.join(outputRoot, c.outputRel!);
    const input = inputs.get(key(output));
    if (input !== undefined && (inIsInOut || input === c)) {
      c.action = 'fail';
      c.code = 'would-overwrite-input';
      c.reason = `The output of ${c.rel} would be the input file ${input.rel}; dlnet never writes over its inputs.`;
      continue;
    }
    if (await exists(output)) {
      c.action = resolved.skipExisting ? 'skip' : 'fail';
      c.code = 'exists';
      c.reason = resolved.skipExisting
        ? `${c.outputRel} already exists, so ${c.rel} was skipped.`
        : `${c.outputRel} already exists and dlnet never overwrites files.`;
    }
  }

  const files: PlannedFile[] = candidates.map((c, index) => {
    const hasOutput = c.outputRel !== undefined && c.code !== 'unreadable-folder';
    return {
      index,
      input: c.input,
      rel: c.rel,
      output: hasOutput ? path.join(outputRoot, c.outputRel!) : '',
      outputRel: hasOutput ? c.outputRel! : '',
      ...(c.format !== undefined && hasOutput ? { format: c.format } : {}),
      bytes: c.bytes,
      action: c.action,
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
      ...(c.code !== undefined ? { code: c.code } : {}),
    };
  });
  return {
    options: { ...resolved, inputDir: inputRoot, outputDir: outputRoot },
    modelId: model.id,
    files,
    subfoldersNotIncluded: state.subfoldersNotIncluded,
    hiddenIgnored: state.hiddenIgnored,
  };
}

/** The folders a run writes into (for temporaries cleanup), deduplicated. */
export function outputDirsOf(plan: BatchPlan): string[] {
  const dirs = new Set<string>([plan.options.outputDir]);
  for (const f of plan.files) if (f.output !== '') dirs.add(path.dirname(f.output));
  return [...dirs];
}
