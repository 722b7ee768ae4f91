/**
 * The Batch panel remembers its last-used options, in Debian's Chromium against `dlnet serve` (tiny
 * generated models): options set, a dry run, the page reloaded, and every option but the input folder
 * is back; options changed, a batch run, `dlnet serve` restarted on the same settings file after two
 * of its values were edited by hand to ones no batch accepts, and those two show their defaults while
 * the rest are back. Screenshot: test-results/screenshots/batch-settings-restored.png (ignored by git).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { writeSrModel } from '../helpers/models.js';
import { browserSuite, byTestId, openApp, screenshot, until, waitForBatchStatus, type OpenApp } from './helpers.js';
import { writeImages } from '../helpers/images.js';

/** The batch form as the user sees it. */
async function form(page: Page): Promise<Record<string, unknown>> {
  const value = async (id: string) => ((await page.locator(byTestId(id)).count()) > 0 ? page.inputValue(byTestId(id)) : null);
  const on = async (id: string) => (await page.getAttribute(byTestId(id), 'aria-checked')) === 'true';
  const which = async <T>(options: readonly T[], id: (o: T) => string) => {
    for (const o of options) if (await on(id(o))) return o;
    return null;
  };
  return {
    input: await value('batch-input'),
    output: await value('batch-output'),
    sizeMode: await value('batch-size-mode'),
    sizeValue: await value('batch-size-value'),
    scale: (await page.locator(byTestId('batch-scale-2')).count()) > 0 ? await which([2, 3, 4], (s) => `batch-scale-${s}`) : null,
    blur: (await on('batch-blur-auto')) ? 'auto' : await value('batch-blur'),
    format: await which(['keep', 'png', 'jpeg', 'webp', 'tiff'], (f) => `batch-format-${f}`),
    quality: await value('batch-quality'),
    suffix: await value('batch-suffix'),
    jobs: await value('batch-jobs'),
    skipExisting: await page.isChecked(byTestId('batch-skip-existing')),
    recursive: await page.isChecked(byTestId('batch-recursive')),
    iterations: await value('batch-iterations'),
  };
}

/** Opens the app at `url` and its Batch panel; waits until the remembered output folder is in the form. */
async function openBatchPanel(page: Page, url: string | null, output: string): Promise<void> {
  if (url === null) await page.reload();
  else await page.goto(url);
  await page.waitForSelector(`${byTestId('backend')} b`, { timeout: 30_000 });
  await page.click(byTestId('mode-batch'));
  await page.waitForSelector(byTestId('batch-panel'));
  await page.waitForFunction(
    ([selector, expected]) => (document.querySelector(selector) as HTMLInputElement | null)?.value === expected,
    [byTestId('batch-output'), output] as const,
    { timeout: 15_000 },
  );
}

const openAdvanced = (page: Page) =>
  page.locator(`${byTestId('batch-panel')} details`).evaluate((d) => ((d as HTMLDetailsElement).open = true));

browserSuite('the Batch panel remembers its options across a reload and a restart of dlnet serve', { timeout: 240_000 }, () => {
  let app: OpenApp;
  let settingsFile: string;

  const stored = (): Record<string, unknown> | undefined => {
    if (!existsSync(settingsFile)) return undefined;
    try {
      return (JSON.parse(readFileSync(settingsFile, 'utf8')) as { batch?: Record<string, unknown> }).batch;
    } catch {
      return undefined; // being written
    }
  };

  before(async () => {
    app = await openApp('batch-settings', async (dir) => {
      const models = path.join(dir, 'models');
      // Every scale: a batch given a width plans each photo's model scale, so it needs all three.
      for (const scale of [2, 3, 4] as const) writeSrModel(models, { scale, depth: 3, width: 8, K: 2 });
      await writeImages(path.join(dir, 'scans'), 2, 40, 32);
      settingsFile = path.join(dir, 'config', 'serve-settings.json');
      return { models, settingsFile };
    });
    await app.page.click(byTestId('mode-batch'));
    await app.page.waitForSelector(byTestId('batch-panel'));
  });

  after(() => app?.close());

  test('a first start shows the defaults', async () => {
    const { page } = app;
    assert.deepEqual(await form(page), {
      input: '',
      output: '',
      sizeMode: 'model',
      sizeValue: null,
      scale: 2,
      blur: '0',
      format: 'keep',
      quality: '92',
      suffix: '',
      jobs: '',
      skipExisting: false,
      recursive: false,
      iterations: '',
    });
  });

  test('options of a dry run are back after the page is reloaded (all but the input folder)', async () => {
    const { dir, page } = app;
    const output = path.join(dir, 'out-a');
    await page.fill(byTestId('batch-input'), path.join(dir, 'scans'));
    await page.fill(byTestId('batch-output'), output);
    await page.click(byTestId('batch-scale-3'));
    await page
      .locator(byTestId('batch-blur'))
      .evaluate((el) => (((el as HTMLInputElement).value = '0.8'), el.dispatchEvent(new Event('input', { bubbles: true }))));
    await page.click(byTestId('batch-blur-auto'));
    await page.click(byTestId('batch-format-webp'));
    await page.fill(byTestId('batch-quality'), '80');
    await page.fill(byTestId('batch-suffix'), '.x3');
    await page.fill(byTestId('batch-jobs'), '2');
    await page.check(byTestId('batch-skip-existing'));
    await page.check(byTestId('batch-recursive'));
    await openAdvanced(page);
    await page.fill(byTestId('batch-iterations'), '2');
    const expected = {
      input: path.join(dir, 'scans'),
      output,
      sizeMode: 'model',
      sizeValue: null,
      scale: 3,
      blur: 'auto',
      format: 'webp',
      quality: '80',
      suffix: '.x3',
      jobs: '2',
      skipExisting: true,
      recursive: true,
      iterations: '2',
    };
    assert.deepEqual(await form(page), expected);

    await page.click(byTestId('batch-plan'));
    await waitForBatchStatus(page, 'planned', 30_000);
    const batch = await until(() => (stored()?.scale === 3 ? stored() : undefined), 'the options in the settings file', 15_000);
    assert.deepEqual(batch, {
      outputDir: output,
      scale: 3,
      blur: 'auto',
      fixedBlur: 0.8, // the slider's u, kept for when Fixed is chosen again
      recursive: true,
      format: 'webp',
      suffix: '.x3',
      skipExisting: true,
      quality: 80,
      iterations: 2,
      jobs: 2,
    });

    await openBatchPanel(page, null, output);
    assert.deepEqual(await form(page), { ...expected, input: '' });
    await page.click(byTestId('batch-blur-fixed'));
    assert.equal(await page.inputValue(byTestId('batch-blur')), '0.8');
  });

  test('options of a started batch come back after a restart; values edited to bad ones show their defaults', async () => {
    const { dir, page, rec } = app;
    const output = path.join(dir, 'out-b');
    await page.fill(byTestId('batch-input'), path.join(dir, 'scans'));
    await page.fill(byTestId('batch-output'), output);
    await page.selectOption(byTestId('batch-size-mode'), 'width');
    await page.fill(byTestId('batch-size-value'), '70');
    await page.click(byTestId('batch-blur-fixed'));
    await page
      .locator(byTestId('batch-blur'))
      .evaluate((el) => (((el as HTMLInputElement).value = '1.3'), el.dispatchEvent(new Event('input', { bubbles: true }))));
    await page.click(byTestId('batch-format-png'));
    await page.fill(byTestId('batch-suffix'), '');
    await page.fill(byTestId('batch-jobs'), '1');
    await page.uncheck(byTestId('batch-skip-existing'));
    await page.uncheck(byTestId('batch-recursive'));
    await openAdvanced(page);
    await page.fill(byTestId('batch-iterations'), '');

    await page.click(byTestId('batch-start'));
    await waitForBatchStatus(page, 'finished', 120_000);
    assert.equal(await page.textContent(byTestId('summary-done')), '2 done');
    const meta = await sharp(path.join(output, 'photo-1.png')).metadata();
    assert.equal(meta.width, 70, 'the batch ran with the options that are remembered');
    const batch = await until(() => (stored()?.outputDir === output ? stored() : undefined), 'the new options', 15_000);
    assert.deepEqual(batch, {
      outputDir: output,
      scale: 3, // the ×3 chosen before, hidden while a width is given
      output: { width: 70 },
      blur: 1.3,
      recursive: false,
      format: 'png',
      suffix: '',
      skipExisting: false,
      jobs: 1,
    });

    // Edited by hand while the server is down: a format no batch writes and a blur out of range.
    const served = await app.restartServe(() =>
      writeFileSync(settingsFile, JSON.stringify({ batch: { ...batch, format: 'gif', blur: 9 } }, null, 2)),
    );
    await openBatchPanel(page, served.url, output);
    assert.deepEqual(await form(page), {
      input: '',
      output,
      sizeMode: 'width',
      sizeValue: '70',
      scale: null, // the scale buttons are hidden when a width is given
      blur: '0', // 9 is no blur u: the default
      format: 'keep', // gif is no batch format: the default
      quality: '92', // a PNG batch sends no quality: the default
      suffix: '',
      jobs: '1',
      skipExisting: false,
      recursive: false,
      iterations: '',
    });
    await screenshot(page, 'batch-settings-restored');
    assert.deepEqual(
      rec.consoleErrors.filter((e) => !/WebSocket|ERR_CONNECTION/.test(e)),
      [],
      'no page errors (the connection lost while the server restarted aside)',
    );
  });
});
