/**
 * Lab mode and the Suggest button in Chromium over `dlnet serve` (tiny random models): a clean photo is
 * degraded in the app (×2, u = 1.3), restored, and the lab panel shows one PSNR per iteration beside the
 * likelihood curve; the Suggest button sets the blur slider to the suggested u and draws the curve it
 * came from; an output that carries a recipe shows it, and "Restore again with these settings" sets the
 * task panel from it. Screenshots go to test-results/screenshots/ (ignored by git).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { writeBlurEstimator, writeSrModel } from '../helpers/models.js';
import { APP_VERSION, recipeXmp } from '../../src/engine/recipe.js';
import { browserSuite, openApp, screenshot, type OpenApp } from './helpers.js';

async function writePhoto(file: string, width: number, height: number): Promise<void> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      raw[o] = Math.round(128 + 100 * Math.sin(x / 3) * Math.cos(y / 4));
      raw[o + 1] = Math.round(60 + (140 * y) / height);
      raw[o + 2] = (x * 13 + y * 7) % 256;
    }
  await sharp(raw, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(file);
}

browserSuite('lab mode and the blur suggestion', { timeout: 240_000 }, () => {
  let app: OpenApp;

  before(async () => {
    app = await openApp(
      'lab',
      (dir) => {
        const models = path.join(dir, 'models');
        writeSrModel(models, { scale: 2, depth: 2, width: 6, K: 4 });
        writeBlurEstimator(models);
        return { models };
      },
      { width: 1280, height: 800 },
    );
    const { dir, page } = app;
    const input = path.join(dir, 'clean.png');
    await writePhoto(input, 160, 120);
    await page.setInputFiles('[data-testid="file-input"]', input);
    await page.waitForSelector('[data-testid="canvas"][data-shown="input"]', { timeout: 60_000 });
    await page.click('[data-testid="task-sr"]');
    await page.click('[data-testid="scale-2"]');
  });

  after(() => app?.close());

  test('the Suggest button sets the blur slider to the suggested u and shows the curve it came from', async () => {
    const { page, rec } = app;
    await page.fill('[data-testid="blur"]', '0');
    await page.click('[data-testid="suggest-blur"]');
    await page.waitForSelector('[data-testid="suggested-blur"]', { timeout: 120_000 });
    const text = await page.innerText('[data-testid="suggested-blur"]');
    const suggested = Number(/u = ([\d.]+)/.exec(text)?.[1]);
    assert.ok(Number.isFinite(suggested) && suggested >= 0 && suggested <= 3, text);
    const slider = Number(await page.inputValue('[data-testid="blur"]'));
    assert.ok(Math.abs(slider - suggested) <= 0.05 + 1e-9, `slider ${slider}, suggested ${suggested}`); // the slider's step is 0.1
    assert.equal(await page.locator('[data-testid="blur-curve-point"]').count(), 30, 'the curve it came from');
    // The suggested value (two decimals) stays inside the panel beside its slider.
    const panel = await page.locator('section[aria-label="Task"]').boundingBox();
    const value = await page.locator('label:has([data-testid="blur"]) output').boundingBox();
    assert.ok(panel && value && value.x + value.width <= panel.x + panel.width, `value ${JSON.stringify(value)}, panel ${JSON.stringify(panel)}`);
    await screenshot(page, 'lab-01-suggested-blur');
    assert.deepEqual(rec.consoleErrors, []);
  });

  test('lab mode: degrade ×2 with u = 1.3 in the app, restore, one PSNR per iteration beside the likelihood curve', async () => {
    const { page, rec } = app;
    await page.fill('[data-testid="blur"]', '1.3');
    await page.locator('details').evaluate((d) => ((d as HTMLDetailsElement).open = true));
    await page.fill('[data-testid="iterations"]', '4');
    await page.fill('[data-testid="gamma"]', '0.01');
    await page.check('[data-testid="lab-toggle"]');
    await page.click('[data-testid="lab-degrade"]');
    await page.waitForSelector('[data-testid="lab-original"]', { timeout: 60_000 });
    assert.match(await page.innerText('[data-testid="lab-state"]'), /Degraded from clean\.png/);
    await page.waitForSelector('[data-testid="canvas"][data-shown="input"]');
    const since = rec.events.length;
    await page.click('[data-testid="run"]');
    await page.waitForSelector('[data-testid="job-status"][data-status="done"]', { timeout: 180_000 });
    await page.waitForSelector('[data-testid="lab-metrics"]');
    await screenshot(page, 'lab-02-metrics');
    const done = rec.events
      .slice(since)
      .map((e) => e.event)
      .find((e) => e.type === 'job.done') as { metrics?: { k: number; psnr: number }[] } | undefined;
    assert.equal(done?.metrics?.length, 4, 'job.done carries the metrics of x̂_1..x̂_4');
    assert.equal(await page.getAttribute('[data-testid="lab-metrics"]', 'data-count'), '4');
    const rows = await page
      .locator('[data-testid="lab-row"]')
      .evaluateAll((els) => els.map((e) => [e.getAttribute('data-k'), Number(e.getAttribute('data-psnr'))] as const));
    assert.deepEqual(
      rows.map(([k]) => k),
      ['1', '2', '3', '4'],
    );
    rows.forEach(([, psnr], i) => assert.ok(Math.abs(psnr - done!.metrics![i].psnr) < 1e-3, `row ${i + 1} shows its PSNR`));
    assert.equal(await page.locator('[data-testid="psnr-chart"] circle').count(), 4);
    assert.equal(await page.locator('[data-testid="likelihood-point"]').count(), 4, 'beside the 4-point likelihood curve');
    assert.deepEqual(rec.consoleErrors, []);
  });

  test('an output with a recipe shows it, and "Restore again with these settings" sets the task panel', async () => {
    const { dir, page, rec } = app;
    const file = path.join(dir, 'made.png');
    const xmp = recipeXmp({
      task: 'sr',
      modelScale: 3,
      width: 90,
      height: 60,
      requestedSize: { width: 90 },
      blur: 2.2,
      blurSuggested: true,
      iterations: 7,
      gamma: 0.002,
      modelId: 'sr-x3',
      modelSha256: 'f'.repeat(64),
      appVersion: APP_VERSION,
    });
    await sharp(Buffer.alloc(90 * 60 * 3, 120), { raw: { width: 90, height: 60, channels: 3 } })
      .withXmp(xmp)
      .png()
      .toFile(file);
    await page.uncheck('[data-testid="lab-toggle"]');
    await page.setInputFiles('[data-testid="file-input"]', file);
    await page.waitForSelector('[data-testid="recipe"]', { timeout: 60_000 });
    const shown = await page.innerText('[data-testid="recipe"]');
    assert.match(shown, /×3 model, then Lanczos-3 to 90 × 60 \(asked: 90 px wide\)/);
    assert.match(shown, /u = 2\.2 \(suggested from the photo\)/);
    await page.click('[data-testid="recipe-apply"]');
    assert.equal(await page.inputValue('[data-testid="blur"]'), '2.2');
    assert.equal(await page.inputValue('[data-testid="size-mode"]'), 'width');
    assert.equal(await page.inputValue('[data-testid="size-value"]'), '90');
    assert.equal(await page.inputValue('[data-testid="iterations"]'), '7');
    assert.equal(await page.inputValue('[data-testid="gamma"]'), '0.002');
    await screenshot(page, 'lab-03-recipe');
    assert.deepEqual(rec.consoleErrors, []);
  });
});
