/**
 * The Batch panel end to end, in Debian's Chromium against `dlnet serve` with the real batch engine
 * and a tiny generated ×2 model: typed folders (checked on the server), a dry run, a run over
 * 3 images and 1 corrupt file (per-file statuses, summary with the failure's reason, outputs ×2),
 * a run with the blur suggested per photo (each photo's u in the list, the report and its recipe),
 * then pause, resume and cancel (no temporaries left). Screenshots go to
 * test-results/screenshots/batch-*.png (ignored by git).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { BatchEvent } from '../../src/api/api.js';
import { readRecipe } from '../../src/engine/recipe.js';
import { copyShippedBlurEstimator, writeSrModel } from '../helpers/models.js';
import { browserSuite, openApp, screenshot, until, waitForBatchStatus, type OpenApp, type RecordedEvent } from './helpers.js';
import { writeImages, writeSharpAndBlurred } from '../helpers/images.js';

const batchEvents = (events: RecordedEvent[]) =>
  events.filter((e) => e.event.type.startsWith('batch.')) as (RecordedEvent & { event: BatchEvent })[];

browserSuite('the Batch panel in Chromium over dlnet serve', { timeout: 240_000 }, () => {
  let app: OpenApp;

  before(async () => {
    app = await openApp('batch', async (dir) => {
      const models = path.join(dir, 'models');
      writeSrModel(models, { scale: 2, depth: 3, width: 8, K: 3 });
      copyShippedBlurEstimator(models); // its judgement: the two photos get different u
      await writeImages(path.join(dir, 'scans'), 3, 40, 32);
      writeFileSync(
        path.join(dir, 'scans', 'corrupt.jpg'),
        Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70, 0, 1, 2, 3]),
      );
      await writeImages(path.join(dir, 'many'), 12, 96, 80);
      await writeSharpAndBlurred(path.join(dir, 'auto'), 96);
      return { models };
    });
    await app.page.click('[data-testid="mode-batch"]');
    await app.page.waitForSelector('[data-testid="batch-panel"]');
  });

  after(() => app?.close());

  test('folders are checked on the server, with one sentence', async () => {
    const { dir, page } = app;
    await page.fill('[data-testid="batch-input"]', path.join(dir, 'no-such-folder'));
    await page.fill('[data-testid="batch-output"]', path.join(dir, 'out'));
    await page.click('[data-testid="batch-plan"]');
    await waitForBatchStatus(page, 'error', 30_000);
    assert.match(
      (await page.textContent('[data-testid="batch-error"]')) ?? '',
      /^The input folder .*no-such-folder does not exist\.$/,
    );
    await page.fill('[data-testid="batch-input"]', path.join(dir, 'scans'));
    await page.fill('[data-testid="batch-output"]', path.join(dir, 'scans', 'x2'));
    await page.click('[data-testid="batch-plan"]');
    await waitForBatchStatus(page, 'error', 30_000);
    assert.match((await page.textContent('[data-testid="batch-error"]')) ?? '', /inside the input folder; add a suffix/);
  });

  test('a dry run shows the plan and writes nothing', async () => {
    const { dir, page } = app;
    await page.fill('[data-testid="batch-output"]', path.join(dir, 'out'));
    await page.click('[data-testid="batch-plan"]');
    await waitForBatchStatus(page, 'planned', 30_000);
    assert.match((await page.textContent('[data-testid="batch-plan-summary"]')) ?? '', /Dry run: 4 images to upscale/);
    const rows = await page.$$eval('[data-testid="batch-row"]', (els) =>
      els.map((e) => `${e.getAttribute('data-rel')}:${e.getAttribute('data-status')}`),
    );
    assert.deepEqual(rows, ['corrupt.jpg:queued', 'photo-1.png:queued', 'photo-2.png:queued', 'photo-3.png:queued']);
    assert.deepEqual(readdirSync(dir).includes('out'), false);
    await screenshot(page, 'batch-01-plan');
  });

  test('a run: per-file statuses arrive, the summary says 3 done and 1 failed with its reason, outputs are ×2', async () => {
    const { dir, page, rec } = app;
    const since = rec.events.length;
    await page.click('[data-testid="batch-start"]');
    await waitForBatchStatus(page, 'finished', 90_000);
    const mine = batchEvents(rec.events.slice(since));
    const statuses = (rel: string) =>
      mine.flatMap((e) => (e.event.type === 'batch.file' && e.event.file.rel === rel ? [e.event.file.status] : []));
    for (const rel of ['photo-1.png', 'photo-2.png', 'photo-3.png'])
      assert.deepEqual(statuses(rel).slice(-2), ['running', 'done'], rel);
    assert.equal(statuses('corrupt.jpg').at(-1), 'failed');
    assert.ok(mine.some((e) => e.event.type === 'batch.progress'));
    assert.equal(await page.textContent('[data-testid="summary-done"]'), '3 done');
    assert.equal(await page.textContent('[data-testid="summary-failed"]'), '1 failed');
    assert.match((await page.textContent('[data-testid="summary-failures"]')) ?? '', /^corrupt\.jpg is corrupt .*\.$/);
    const rows = await page.$$eval('[data-testid="batch-row"]', (els) => els.map((e) => e.getAttribute('data-status')));
    assert.deepEqual(rows, ['failed', 'done', 'done', 'done']);
    for (let i = 1; i <= 3; i++) {
      const meta = await sharp(path.join(dir, 'out', `photo-${i}.png`)).metadata();
      assert.deepEqual([meta.width, meta.height], [80, 64]);
    }
    await screenshot(page, 'batch-02-summary');
  });

  test('Suggest per photo: each photo is upscaled with its own suggested u, shown in the list, the report and its recipe', async () => {
    const { dir, page, rec } = app;
    const out = path.join(dir, 'auto-out');
    const report = path.join(dir, 'auto-report.json');
    await page.click('[data-testid="batch-blur-auto"]');
    assert.equal(await page.getAttribute('[data-testid="batch-blur-auto"]', 'aria-checked'), 'true');
    assert.equal(await page.locator('[data-testid="batch-blur"]').count(), 0, 'no slider: u comes from each photo');
    assert.match(
      (await page.textContent('[data-testid="batch-blur-auto-hint"]')) ?? '',
      /suggested from it before it is upscaled/,
    );
    await page.fill('[data-testid="batch-input"]', path.join(dir, 'auto'));
    await page.fill('[data-testid="batch-output"]', out);
    await page.fill('[data-testid="batch-report"]', report);
    const since = rec.events.length;
    await page.click('[data-testid="batch-start"]');
    await waitForBatchStatus(page, 'finished', 120_000);
    assert.equal(await page.textContent('[data-testid="summary-done"]'), '2 done');
    await page.waitForSelector('[data-testid="batch-summary"] >> text=Report written to');
    const rows = await page.$$eval('[data-testid="batch-row"]', (els) =>
      els.map((e) => ({
        rel: e.getAttribute('data-rel'),
        status: e.getAttribute('data-status'),
        blur: e.getAttribute('data-blur'),
        suggested: e.getAttribute('data-blur-suggested'),
        detail: e.querySelector('.detail')?.textContent ?? '',
      })),
    );
    assert.deepEqual(
      rows.map((r) => [r.rel, r.status, r.suggested]),
      [
        ['photo-1.png', 'done', 'true'],
        ['photo-2.png', 'done', 'true'],
      ],
    );
    const json = JSON.parse(readFileSync(report, 'utf8')) as {
      options: { blur: unknown };
      files: { input: string; recipe?: { blur?: number; blurSuggested?: boolean } }[];
    };
    assert.equal(json.options.blur, 'auto');
    const events = batchEvents(rec.events.slice(since));
    for (const row of rows) {
      const u = Number(row.blur);
      assert.ok(row.blur !== null && u >= 0 && u <= 3, `${row.rel}: u = ${row.blur}`);
      assert.match(row.detail, new RegExp(`u = ${u} suggested`), row.detail);
      const done = events.find(
        (e) => e.event.type === 'batch.file' && e.event.file.rel === row.rel && e.event.file.status === 'done',
      );
      assert.ok(done?.event.type === 'batch.file');
      assert.deepEqual([done.event.file.recipe?.blur, done.event.file.recipe?.blurSuggested], [u, true], row.rel);
      const listed = json.files.find((f) => f.input === row.rel);
      assert.deepEqual([listed?.recipe?.blur, listed?.recipe?.blurSuggested], [u, true], `${row.rel} in the report`);
      const made = await readRecipe(path.join(out, row.rel));
      assert.deepEqual([made.width, made.height], [192, 192]);
      assert.deepEqual([made.recipe?.blur, made.recipe?.blurSuggested], [u, true], `${row.rel}'s XMP recipe`);
    }
    // Each photo's own suggestion, not one for the batch: these two photos are suggested different u.
    assert.notEqual(rows[0].blur, rows[1].blur, `u per photo: ${rows.map((r) => r.blur).join(', ')}`);
    await screenshot(page, 'batch-02-suggested');
    await page.click('[data-testid="batch-blur-fixed"]');
    await page.waitForSelector('[data-testid="batch-blur"]');
    await page.fill('[data-testid="batch-report"]', '');
  });

  test('pause holds new files back, resume continues, cancel stops the batch', async () => {
    const { dir, page, rec } = app;
    const out = path.join(dir, 'many-out');
    await page.fill('[data-testid="batch-input"]', path.join(dir, 'many'));
    await page.fill('[data-testid="batch-output"]', out);
    await page.fill('[data-testid="batch-jobs"]', '1');
    await page.locator('[data-testid="batch-panel"] details').evaluate((d) => ((d as HTMLDetailsElement).open = true));
    await page.fill('[data-testid="batch-iterations"]', '30');
    const since = rec.events.length;
    const mine = () => batchEvents(rec.events.slice(since));
    const running = () => mine().filter((e) => e.event.type === 'batch.file' && e.event.file.status === 'running').length;
    const done = () => mine().filter((e) => e.event.type === 'batch.file' && e.event.file.status === 'done').length;
    await page.click('[data-testid="batch-start"]');
    await until(() => (done() >= 1 ? true : undefined), 'a first file done');
    await page.click('[data-testid="batch-pause"]');
    await waitForBatchStatus(page, 'paused', 30_000);
    await screenshot(page, 'batch-03-paused');
    const doneAtPause = done();
    await until(
      () =>
        done() > doneAtPause ||
        mine().some((e) => e.event.type === 'batch.progress' && e.event.progress.paused && e.event.progress.running === 0)
          ? true
          : undefined,
      'the paused batch to settle',
      30_000,
    );
    const runningWhilePaused = running();
    await page.click('[data-testid="batch-resume"]');
    await waitForBatchStatus(page, 'running', 30_000);
    await until(() => (mine().some((e) => e.event.type === 'batch.resumed') ? true : undefined), 'batch.resumed', 30_000);
    // No file started while paused, read from the event stream (in order, over one WebSocket): between
    // 'batch.paused' and 'batch.resumed' the running file finished and no file turned 'running'. An
    // engine that ignored the pause would start the next file as soon as that one finished, long
    // before the Resume click, so no fixed sleep is needed to see it.
    const stream = mine().map((e) => (e.event.type === 'batch.file' ? `file:${e.event.file.status}` : e.event.type));
    const whilePaused = stream.slice(stream.indexOf('batch.paused'), stream.indexOf('batch.resumed'));
    assert.ok(whilePaused.length > 0 && whilePaused.includes('file:done'), `paused, then a file finished: ${whilePaused.join(' ')}`);
    assert.ok(!whilePaused.includes('file:running'), `no file starts while paused: ${whilePaused.join(' ')}`);
    await until(() => (running() > runningWhilePaused ? true : undefined), 'a file running after the resume', 30_000);
    // Cancel stops the batch: how fast (≤ 1 s) is `dlnet bench`'s cancel_ms, on a quiet machine;
    // here the 30 s limits only catch a batch that never stops.
    await page.click('[data-testid="batch-cancel"]');
    await until(() => mine().find((e) => e.event.type === 'batch.finished'), 'batch.finished', 30_000);
    await waitForBatchStatus(page, 'finished', 30_000);
    assert.match((await page.textContent('[data-testid="batch-summary"]')) ?? '', /^\s*Cancelled in/);
    assert.ok(Number((await page.textContent('[data-testid="summary-cancelled"]'))?.split(' ')[0]) > 0);
    assert.deepEqual(
      readdirSync(out).filter((n) => n.startsWith('.')),
      [],
      'no temporaries left',
    );
    await screenshot(page, 'batch-04-cancelled');
    assert.deepEqual(rec.consoleErrors, []);
  });
});
