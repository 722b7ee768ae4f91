/**
 * The batch engine without workers: planning (walk, filters, output names, collisions, the
 * output-inside-input rule, existing outputs), option validation, temporary names and stale
 * temporaries, and the report path checks. Files are empty or tiny: planning never decodes images.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { UserError } from '../../src/engine/image.js';
import { getModelDirs, setModelDirs } from '../../src/engine/models.js';
import {
  buildBatchReport,
  checkReportPath,
  cleanStaleTemps,
  isTempName,
  planBatch,
  resolveBatchOptions,
  tempPathFor,
  writeBatchReport,
  type BatchOptions,
  type BatchPlan,
} from '../../src/engine/batch/index.js';
import { commitTemp, removeTempsFor } from '../../src/engine/batch/temp.js';
import { writeSrModel } from '../helpers/models.js';

let dir = '';
let savedDirs: string[] = [];
const sr = { task: 'sr', scale: 2, blur: 0 } as const;

async function touch(file: string, content = 'x'): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
}

async function folder(name: string, files: string[]): Promise<string> {
  const root = path.join(dir, name);
  for (const f of files) await touch(path.join(root, f));
  await mkdir(root, { recursive: true });
  return root;
}

function plan(options: Partial<BatchOptions> & Pick<BatchOptions, 'inputDir' | 'outputDir'>): Promise<BatchPlan> {
  return planBatch({ request: sr, ...options });
}

function byRel(p: BatchPlan): Record<string, { action: string; out: string; code?: string }> {
  return Object.fromEntries(
    p.files.map((f) => [f.rel, { action: f.action, out: f.outputRel, ...(f.code ? { code: f.code } : {}) }]),
  );
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dlnet-batch-plan-'));
  savedDirs = getModelDirs();
  writeSrModel(path.join(dir, 'models'), { scale: 2, depth: 1, width: 2, K: 1 });
  setModelDirs([path.join(dir, 'models')]);
});

after(async () => {
  setModelDirs(savedDirs);
  await rm(dir, { recursive: true, force: true });
});

test('mirrors the tree, keeps formats, skips non-images and hidden files, counts subfolders left out', async () => {
  const input = await folder('tree', ['a.png', 'b.JPG', 'c.gif', 'notes.txt', '.hidden.png', 'sub/d.webp', 'sub/deep/e.tiff']);
  const flat = await plan({ inputDir: input, outputDir: path.join(dir, 'tree-out') });
  assert.deepEqual(byRel(flat), {
    'a.png': { action: 'process', out: 'a.png' },
    'b.JPG': { action: 'process', out: 'b.JPG' },
    'c.gif': { action: 'process', out: 'c.png' }, // no GIF encoder: PNG
    'notes.txt': { action: 'skip', out: '', code: 'not-image' },
  });
  assert.equal(flat.subfoldersNotIncluded, 1);
  assert.equal(flat.hiddenIgnored, 1);
  assert.equal(flat.files.find((f) => f.rel === 'b.JPG')?.format, 'jpeg');

  const deep = await plan({
    inputDir: input,
    outputDir: path.join(dir, 'tree-out'),
    recursive: true,
    format: 'webp',
    suffix: '.x2',
  });
  assert.deepEqual(
    deep.files.filter((f) => f.action === 'process').map((f) => [f.rel, f.outputRel, f.format]),
    [
      ['a.png', 'a.x2.webp', 'webp'],
      ['b.JPG', 'b.x2.webp', 'webp'],
      ['c.gif', 'c.x2.webp', 'webp'],
      [path.join('sub', 'd.webp'), path.join('sub', 'd.x2.webp'), 'webp'],
      [path.join('sub', 'deep', 'e.tiff'), path.join('sub', 'deep', 'e.x2.webp'), 'webp'],
    ],
  );
  assert.ok(!existsSync(path.join(dir, 'tree-out')), 'planning writes nothing');
});

test('two inputs that would share an output get distinct names', async () => {
  const input = await folder('clash', ['photo.jpg', 'photo.png', 'other.png']);
  const p = await plan({ inputDir: input, outputDir: path.join(dir, 'clash-out'), format: 'png' });
  assert.deepEqual(byRel(p), {
    'other.png': { action: 'process', out: 'other.png' },
    'photo.jpg': { action: 'process', out: 'photo-jpg.png' },
    'photo.png': { action: 'process', out: 'photo-png.png' },
  });
});

test('an output folder equal to or inside the input folder needs a suffix; inside, it is never walked', async () => {
  const input = await folder('overlap', ['a.png', 'out/old.png']);
  for (const out of [input, path.join(input, 'out'), path.join(input, 'new', 'deeper')]) {
    await assert.rejects(plan({ inputDir: input, outputDir: out, recursive: true }), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.equal(e.code, 'output-in-input');
      return true;
    });
  }
  const inside = await plan({ inputDir: input, outputDir: path.join(input, 'out'), recursive: true, suffix: '-x2' });
  assert.deepEqual(byRel(inside), { 'a.png': { action: 'process', out: 'a-x2.png' } });
});

test('same folder with a suffix: a previous run’s outputs are not inputs, and existing outputs fail or are skipped', async () => {
  const input = await folder('same', ['a.png', 'a.x2.png', 'b.png']);
  const p = await plan({ inputDir: input, outputDir: input, suffix: '.x2' });
  assert.deepEqual(byRel(p), {
    'a.png': { action: 'fail', out: 'a.x2.png', code: 'exists' },
    'a.x2.png': { action: 'skip', out: 'a.x2.x2.png', code: 'is-output' },
    'b.png': { action: 'process', out: 'b.x2.png' },
  });
  assert.match(p.files[0].reason!, /^a\.x2\.png already exists and dlnet never overwrites files\.$/);
  const resume = await plan({ inputDir: input, outputDir: input, suffix: '.x2', skipExisting: true });
  assert.deepEqual(
    resume.files.map((f) => f.action),
    ['skip', 'skip', 'process'],
  );
});

test('an input folder inside the output folder: an output that would be an input fails', async () => {
  const top = await folder('nest', ['photos/x.png', 'photos/photos/x.png']);
  const p = await plan({ inputDir: path.join(top, 'photos'), outputDir: top, recursive: true });
  const clash = p.files.find((f) => f.rel === path.join('photos', 'x.png'))!;
  assert.equal(clash.action, 'fail');
  assert.equal(clash.code, 'would-overwrite-input');
  assert.equal(p.files.find((f) => f.rel === 'x.png')!.action, 'process'); // its output, top/x.png, is free
});

test('wrong options and folders are one sentence each', async () => {
  const input = await folder('opts', ['a.png']);
  const out = path.join(dir, 'opts-out');
  const cases: [Partial<BatchOptions>, RegExp][] = [
    [{ suffix: 'a/b' }, /^The suffix "a\/b" contains a character that is not allowed/],
    [{ quality: 0 }, /^The quality must be a whole number from 1 to 100, not 0\.$/],
    [{ request: { task: 'sr', scale: 5 as 2, blur: 0 } }, /^The scale must be 2, 3 or 4, not 5\.$/],
    [{ request: { task: 'sr', scale: 2, blur: 4 } }, /^The blur width must be a number from 0 to 3, not 4\.$/],
    [{ inputDir: path.join(dir, 'nope') }, /^The input folder .*nope does not exist\.$/],
    [{ inputDir: path.join(input, 'a.png') }, /a\.png is a file, not a folder/],
    [{ outputDir: path.join(input, 'a.png'), suffix: '.x' }, /exists and is not a folder\.$/],
    [{ request: { task: 'sr', scale: 3, blur: 0 } }, /^No super-resolution ×3 model is installed/],
  ];
  for (const [patch, message] of cases) {
    await assert.rejects(plan({ inputDir: input, outputDir: out, ...patch }), (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.match(e.message, message);
      return true;
    });
  }
  const resolved = resolveBatchOptions({ inputDir: 'rel', outputDir: 'out', request: sr });
  assert.equal(resolved.inputDir, path.resolve('rel'));
  assert.deepEqual([resolved.format, resolved.suffix, resolved.recursive, resolved.skipExisting], ['keep', '', false, false]);
});

test('temporary names are hidden and recognisable; stale ones of dead processes are removed, live ones kept', async () => {
  const out = await folder('temps', ['keep.png']);
  const temp = tempPathFor(path.join(out, 'photo.png'), 4242);
  assert.equal(path.basename(temp), '.photo.png.dlnet-tmp-4242');
  assert.ok(isTempName(path.basename(temp)));
  assert.ok(isTempName(`${path.basename(temp)}.4242.0a1b2c3d.tmp`)); // image-io's inner temporary
  assert.ok(!isTempName('photo.png') && !isTempName('.photo.png'));
  assert.ok(Buffer.byteLength(path.basename(tempPathFor(path.join(out, `${'é'.repeat(120)}.png`)))) < 100);

  // a pid that is not running: spawn a process and wait for it to end
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  const stale = path.basename(tempPathFor(path.join(out, 'a.png'), Number(dead)));
  const live = path.basename(tempPathFor(path.join(out, 'b.png'), process.ppid));
  const mine = path.basename(tempPathFor(path.join(out, 'c.png')));
  for (const name of [stale, `${stale}.${dead}.deadbeef.tmp`, live, mine]) await writeFile(path.join(out, name), 'partial');
  const removed = await cleanStaleTemps([out, path.join(out, 'missing')], [path.join(out, 'c.png')]);
  assert.equal(removed, 3);
  assert.deepEqual((await readdir(out)).sort(), [live, 'keep.png'].sort());
});

test('the report never replaces an input or a file that is not a report', async () => {
  const input = await folder('rep', ['a.png']);
  await touch(path.join(dir, 'notes.json'), '{"mine": true}');
  const p = await plan({ inputDir: input, outputDir: path.join(dir, 'rep-out') });
  await assert.rejects(checkReportPath(path.join(input, 'a.png'), p), /is one of the input files/);
  await assert.rejects(checkReportPath(path.join(dir, 'notes.json'), p), /exists and is not a dlnet batch report/);
  await assert.rejects(checkReportPath(path.join(dir, 'no-such-folder', 'r.json'), p), /does not exist/);
  const file = path.join(dir, 'report.json');
  await checkReportPath(file, p);
  const result = {
    summary: {
      total: 1,
      done: 0,
      skipped: 0,
      failed: 0,
      cancelled: 1,
      wasCancelled: true,
      seconds: 0.5,
      imagesPerSecond: 0,
      jobs: 1,
    },
    files: [{ index: 0, rel: 'a.png', outputRel: 'a.png', status: 'cancelled' as const }],
  };
  await writeBatchReport(file, buildBatchReport(p, result, new Date()));
  await checkReportPath(file, p); // a previous report may be replaced
  await writeBatchReport(file, buildBatchReport(p, result, new Date()));
});

test('commitTemp never replaces a file; removeTempsFor removes this process’s temporaries of one output only', async () => {
  const out = await folder('commit', []);
  const target = path.join(out, 'a.png');
  const temp = tempPathFor(target);
  await writeFile(temp, 'new');
  assert.equal(await commitTemp(temp, target), true);
  assert.equal(await readFile(target, 'utf8'), 'new');
  await writeFile(temp, 'newer');
  assert.equal(await commitTemp(temp, target), false, 'an existing output is kept');
  assert.equal(await readFile(target, 'utf8'), 'new');
  assert.ok(!existsSync(temp), 'the refused temporary is removed');

  const other = path.basename(tempPathFor(target, process.ppid));
  const inner = `${path.basename(temp)}.${process.pid}.0a1b2c3d.tmp`;
  const neighbour = path.basename(tempPathFor(path.join(out, 'b.png')));
  for (const name of [path.basename(temp), inner, other, neighbour]) await writeFile(path.join(out, name), 'partial');
  await removeTempsFor(target);
  assert.deepEqual((await readdir(out)).sort(), ['a.png', other, neighbour].sort());
});
