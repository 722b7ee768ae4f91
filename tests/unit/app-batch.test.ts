/**
 * The app's batch API (src/api validators, src/server/handlers/batch*.ts): bad folders, an
 * output inside the input without a suffix and wrong types each get one clear sentence; a plan
 * is a dry run; a started batch forwards the engine's events with its id, ends with a summary,
 * and pauses, resumes and cancels; with blur "auto" each photo's u is suggested and recorded as such.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import type { Backend } from '../../src/server/index.js';
import { testBackend } from '../helpers/backend.js';
import { toAppEvent } from '../../src/server/handlers/batch.js';
import { readRecipe } from '../../src/engine/recipe.js';
import {
  Channels,
  validateRequest,
  ValidationError,
  type ApiResponse,
  type AppEvent,
  type BatchEvent,
  type BatchPlanView,
  type BatchStarted,
  type BlurSuggestionView,
  type OpenedImage,
} from '../../src/api/api.js';
import { writeSharpAndBlurred } from '../helpers/images.js';
import { copyShippedBlurEstimator, writeSrModel } from '../helpers/models.js';

let dir: string;
let input: string;
let backend: Backend;
const events: AppEvent[] = [];

const settings = (over: Record<string, unknown> = {}) => ({
  inputDir: input,
  outputDir: path.join(dir, 'out'),
  scale: 2,
  blur: 0,
  recursive: false,
  format: 'keep',
  suffix: '',
  skipExisting: false,
  ...over,
});

const call = (channel: unknown, args: unknown): Promise<ApiResponse<unknown>> =>
  backend.dispatcher.handle(channel, args, (e) => events.push(e));

async function ok<T>(channel: unknown, args: unknown): Promise<T> {
  const r = await call(channel, args);
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return (r as { result: T }).result;
}

async function refused(channel: unknown, args: unknown, code: string, pattern: RegExp): Promise<void> {
  const r = await call(channel, args);
  assert.equal(r.ok, false, 'should be refused');
  if (r.ok) return;
  assert.equal(r.error.code, code, r.error.message);
  assert.match(r.error.message, pattern);
  assert.doesNotMatch(r.error.message, /\n|\bat .*:\d+:\d+/, 'one sentence, no stack trace');
}

const refuses = (channel: unknown, args: unknown, pattern: RegExp) =>
  assert.throws(
    () => validateRequest(channel, args),
    (e: unknown) => e instanceof ValidationError && pattern.test(e.message) && !/\n/.test(e.message),
  );

function batchEvents(batchId: string): BatchEvent[] {
  return events.filter((e): e is BatchEvent => e.type.startsWith('batch.') && (e as BatchEvent).batchId === batchId);
}

async function until<T>(find: () => T | undefined, timeout = 60_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const hit = find();
    if (hit !== undefined) return hit;
    if (Date.now() - t0 > timeout) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function writeImages(folder: string, n: number, side: number): Promise<void> {
  mkdirSync(folder, { recursive: true });
  for (let i = 0; i < n; i++) {
    const raw = Buffer.alloc(side * side * 3);
    for (let p = 0; p < raw.length; p++) raw[p] = (p * (7 + i)) % 251;
    await sharp(raw, { raw: { width: side, height: side - 4, channels: 3 } })
      .png()
      .toFile(path.join(folder, `img${i}.png`));
  }
}

/** Smooth photos, one per period (in pixels): the suggested u differs between them, as it would between real photos. */
before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dlnet-app-batch-'));
  const models = path.join(dir, 'models');
  writeSrModel(models, { scale: 2, depth: 3, width: 8, K: 3 });
  copyShippedBlurEstimator(models);
  input = path.join(dir, 'in');
  await writeImages(input, 3, 24);
  writeFileSync(path.join(input, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]));
  writeFileSync(path.join(dir, 'file.txt'), 'not a folder');
  backend = testBackend(dir, models);
});

after(async () => {
  await backend.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('batch validators', () => {
  test('wrong types and unknown fields get one sentence', () => {
    refuses(Channels.batchPlan, {}, /^Arguments is missing "settings"\.$/);
    refuses(
      Channels.batchPlan,
      { settings: settings({ inputDir: 'photos' }) },
      /^Input folder must be an absolute path, not "photos"\.$/,
    );
    refuses(Channels.batchPlan, { settings: settings({ outputDir: 42 }) }, /^Output folder must be text, not number 42\.$/);
    refuses(Channels.batchPlan, { settings: settings({ scale: 5 }) }, /Scale must be 2, 3 or 4/);
    refuses(Channels.batchPlan, { settings: settings({ scale: '2' }) }, /^Scale must be a number, not "2"\.$/);
    refuses(Channels.batchPlan, { settings: settings({ recursive: 'yes' }) }, /^Recursive must be true or false, not "yes"\.$/);
    refuses(
      Channels.batchPlan,
      { settings: settings({ format: 'gif' }) },
      /^Format must be keep, png, jpeg, webp or tiff, not "gif"\.$/,
    );
    refuses(Channels.batchPlan, { settings: settings({ quality: 101 }) }, /Quality/);
    refuses(Channels.batchPlan, { settings: settings({ suffix: 'a/b' }) }, /not allowed in file names/);
    refuses(Channels.batchPlan, { settings: settings({ suffix: ' x' }) }, /must not start or end with a space/);
    refuses(Channels.batchPlan, { settings: settings({ shell: 'rm -rf /' }) }, /unknown field "shell"/);
    refuses(Channels.batchPlan, { settings: settings(), report: 'report.json' }, /^Report file must be an absolute path/);
    refuses(
      Channels.batchStart,
      { settings: settings(), jobs: 0 },
      /^Jobs must be a whole number from 1 to 256, not number 0\.$/,
    );
    refuses(Channels.batchPlan, { settings: settings(), jobs: 2 }, /unknown field "jobs"/);
    refuses(Channels.batchPause, { batchId: '../x' }, /^Batch id is not a valid id\.$/);
    refuses(Channels.dialogFolder, { purpose: 'anything' }, /^Purpose must be "batch-input" or "batch-output"/);
    const args = validateRequest(Channels.batchStart, { settings: settings({ quality: 80 }), jobs: 2 }).args;
    assert.deepEqual(args, { settings: settings({ quality: 80 }), jobs: 2 });
  });

  test('blur: a number from 0 to 3, or exactly "auto" (suggested per photo)', () => {
    const auto = validateRequest(Channels.batchStart, { settings: settings({ blur: 'auto' }) }).args;
    assert.deepEqual(auto, { settings: settings({ blur: 'auto' }) });
    assert.equal(validateRequest(Channels.batchPlan, { settings: settings({ blur: 1.3 }) }).args.settings.blur, 1.3);
    const blurRefused = (blur: unknown, shown: string) =>
      assert.throws(
        () => validateRequest(Channels.batchPlan, { settings: settings({ blur }) }),
        (e: unknown) => {
          assert.ok(e instanceof ValidationError);
          assert.equal(e.message, `Blur u must be a number from 0 to 3 or auto, not ${shown}.`);
          return true;
        },
      );
    blurRefused(3.5, '3.5');
    blurRefused(-0.1, '-0.1');
    blurRefused('1.3', '"1.3"');
    blurRefused('Auto', '"Auto"');
    blurRefused(' auto', '" auto"');
    blurRefused(null, 'null');
    blurRefused(true, 'boolean true');
    refuses(Channels.batchPlan, { settings: settings({ blur: undefined }) }, /^Batch settings is missing "blur"\.$/);
  });
});

describe('batch handlers', () => {
  test('bad folders and an output inside the input without a suffix are refused with one sentence', async () => {
    await refused(
      Channels.batchPlan,
      { settings: settings({ inputDir: path.join(dir, 'nope') }) },
      'not-found',
      /^The input folder .*nope does not exist\.$/,
    );
    await refused(
      Channels.batchPlan,
      { settings: settings({ inputDir: path.join(dir, 'file.txt') }) },
      'not-a-folder',
      /file\.txt is a file, not a folder/,
    );
    await refused(
      Channels.batchPlan,
      { settings: settings({ outputDir: path.join(dir, 'a/b/c') }) },
      'not-found',
      /^The output folder .*a\/b\/c does not exist, and neither does .*a\/b to create it in\.$/,
    );
    await refused(
      Channels.batchPlan,
      { settings: settings({ outputDir: path.join(dir, 'file.txt') }) },
      'not-a-folder',
      /exists and is not a folder/,
    );
    await refused(
      Channels.batchPlan,
      { settings: settings({ outputDir: input }) },
      'output-in-input',
      /is the input folder; add a suffix/,
    );
    await refused(
      Channels.batchPlan,
      { settings: settings({ outputDir: path.join(input, 'x2') }) },
      'output-in-input',
      /inside the input folder; add a suffix/,
    );
    await refused(Channels.batchPlan, { settings: settings({ scale: 4 }) }, 'missing-model', /×4/);
    await refused(
      Channels.batchPlan,
      { settings: settings(), report: path.join(dir, 'r.txt') },
      'bad-output',
      /must end in \.json/,
    );
    await refused(Channels.batchPause, { batchId: 'batch-000000' }, 'not-found', /no longer known/);
    await refused(Channels.dialogFolder, { purpose: 'batch-input' }, 'unsupported', /only in the desktop app/);
  });

  test('a plan is a dry run: it lists every file and writes nothing', async () => {
    const plan = await ok<BatchPlanView>(Channels.batchPlan, { settings: settings({ outputDir: input, suffix: '.x2' }) });
    assert.deepEqual(plan.counts, { process: 4, skip: 0, fail: 0 });
    assert.deepEqual(
      plan.files.map((f) => f.outputRel),
      ['broken.x2.jpg', 'img0.x2.png', 'img1.x2.png', 'img2.x2.png'],
    );
    assert.equal(plan.truncated, false);
    assert.ok(plan.defaultJobs >= 1);
    assert.equal(existsSync(path.join(dir, 'out')), false);
  });

  test('a batch runs: engine events with the batch id, 3 done and 1 failed with its reason, outputs ×2, a report', async () => {
    const report = path.join(dir, 'report.json');
    const started = await ok<BatchStarted>(Channels.batchStart, { settings: settings(), jobs: 1, report });
    assert.match(started.batchId, /^batch-[0-9a-f]+$/);
    await refused(Channels.batchStart, { settings: settings({ outputDir: path.join(dir, 'other') }) }, 'busy', /already running/);
    const finished = await until(() => batchEvents(started.batchId).find((e) => e.type === 'batch.finished'));
    assert.equal(finished.type, 'batch.finished');
    if (finished.type !== 'batch.finished') return;
    assert.deepEqual([finished.summary.done, finished.summary.failed, finished.summary.skipped], [3, 1, 0]);
    const mine = batchEvents(started.batchId);
    assert.ok(mine.some((e) => e.type === 'batch.started'));
    assert.ok(mine.some((e) => e.type === 'batch.progress'));
    const failed = mine.find((e) => e.type === 'batch.file' && e.file.status === 'failed');
    assert.ok(failed && failed.type === 'batch.file');
    assert.match(failed.file.reason ?? '', /broken\.jpg/);
    for (let i = 0; i < 3; i++) {
      const meta = await sharp(path.join(dir, 'out', `img${i}.png`)).metadata();
      assert.deepEqual([meta.width, meta.height], [48, 40]);
    }
    const written = await until(() => batchEvents(started.batchId).find((e) => e.type === 'batch.report'));
    assert.ok(written.type === 'batch.report' && written.error === undefined && existsSync(report));
  });

  test('pause holds new files back, resume continues, cancel stops the batch and leaves no temporaries', async () => {
    const many = path.join(dir, 'many');
    await writeImages(many, 8, 64);
    const out = path.join(dir, 'many-out');
    const { batchId } = await ok<BatchStarted>(Channels.batchStart, {
      settings: settings({ inputDir: many, outputDir: out, iterations: 20 }),
      jobs: 1,
    });
    await until(() => batchEvents(batchId).find((e) => e.type === 'batch.file' && e.file.status === 'running'));
    await ok(Channels.batchPause, { batchId });
    await until(() => batchEvents(batchId).find((e) => e.type === 'batch.paused'));
    // The running file finishes; nothing new starts while paused. The engine starts the next file in
    // the same turn as it reports one done (and events reach us synchronously), so an engine that
    // ignored the pause would already show it when 'done' is seen; no fixed sleep is needed.
    const sincePause = () => {
      const all = batchEvents(batchId);
      return all.slice(all.findIndex((e) => e.type === 'batch.paused'));
    };
    await until(() => sincePause().find((e) => e.type === 'batch.file' && e.file.status === 'done'));
    await new Promise((r) => setImmediate(r));
    const runningBefore = batchEvents(batchId).filter((e) => e.type === 'batch.file' && e.file.status === 'running').length;
    const whilePaused = sincePause().map((e) => (e.type === 'batch.file' ? `file:${e.file.status}` : e.type));
    assert.ok(!whilePaused.includes('file:running'), `no file starts while paused: ${whilePaused.join(' ')}`);
    const idle = batchEvents(batchId)
      .filter((e) => e.type === 'batch.progress')
      .at(-1);
    assert.ok(idle?.type === 'batch.progress' && idle.progress.paused && idle.progress.running === 0, 'paused with nothing running');
    await ok(Channels.batchResume, { batchId });
    await until(
      () =>
        batchEvents(batchId).filter((e) => e.type === 'batch.file' && e.file.status === 'running').length > runningBefore ||
        undefined,
    );
    // How fast it stops (≤ 1 s) is `dlnet bench`'s cancel_ms_batch, on a quiet machine; here the
    // 60 s of until() only catch a batch that never stops.
    await ok(Channels.batchCancel, { batchId });
    const finished = await until(() => batchEvents(batchId).find((e) => e.type === 'batch.finished'));
    assert.ok(finished.type === 'batch.finished' && finished.summary.wasCancelled && finished.summary.cancelled > 0);
    assert.ok(finished.type === 'batch.finished' && finished.summary.done < 8, 'stopped before the end');
    assert.deepEqual(
      readdirSync(out).filter((n) => n.startsWith('.')),
      [],
    );
  });

  test('blur "auto": each photo gets its own suggested u (the Suggest button\'s), in its events, the report and its recipe', async () => {
    const photos = path.join(dir, 'auto-in');
    await writeSharpAndBlurred(photos, 96);
    const out = path.join(dir, 'auto-out');
    const report = path.join(dir, 'auto-report.json');
    const { batchId } = await ok<BatchStarted>(Channels.batchStart, {
      settings: settings({ inputDir: photos, outputDir: out, blur: 'auto' }),
      jobs: 1,
      report,
    });
    const written = await until(() => batchEvents(batchId).find((e) => e.type === 'batch.report'));
    assert.ok(written.type === 'batch.report' && written.error === undefined, JSON.stringify(written));
    const done = batchEvents(batchId).flatMap((e) => (e.type === 'batch.file' && e.file.status === 'done' ? [e.file] : []));
    assert.deepEqual(
      done.map((f) => f.rel),
      ['photo-1.png', 'photo-2.png'],
    );
    const json = JSON.parse(readFileSync(report, 'utf8')) as {
      options: { blur: unknown };
      files: { input: string; status: string; recipe?: { blur?: number; blurSuggested?: boolean } }[];
    };
    assert.equal(json.options.blur, 'auto');
    const used: number[] = [];
    for (const file of done) {
      const u = file.recipe?.blur;
      assert.ok(typeof u === 'number' && u >= 0 && u <= 3, `${file.rel}: u = ${u}`);
      assert.equal(file.recipe?.blurSuggested, true, file.rel);
      // The same photo through the single-image Suggest button (blur.suggest) gives the same u.
      const opened = await ok<OpenedImage>(Channels.imageOpen, { path: path.join(photos, file.rel) });
      const suggested = await ok<BlurSuggestionView>(Channels.blurSuggest, { imageId: opened.imageId, scale: 2 });
      assert.equal(u, suggested.blur, file.rel);
      used.push(u);
      const listed = json.files.find((f) => f.input === file.rel);
      assert.deepEqual([listed?.status, listed?.recipe?.blur, listed?.recipe?.blurSuggested], ['done', u, true], file.rel);
      const inFile = (await readRecipe(path.join(out, file.outputRel))).recipe;
      assert.deepEqual([inFile?.blur, inFile?.blurSuggested], [u, true], `${file.outputRel}'s XMP recipe`);
    }
    // One suggestion per photo, not one for the batch: these two photos are suggested different u.
    assert.notEqual(used[0], used[1], `u per photo: ${used.join(', ')}`);
  });

  test('engine events keep their fields', () => {
    const e = toAppEvent('batch-1', { type: 'file-progress', index: 3, fraction: 0.5 });
    assert.deepEqual(e, { type: 'batch.file-progress', index: 3, fraction: 0.5, batchId: 'batch-1' });
  });
});
