/**
 * Watching every iteration of an upscale too large for one band, in Chromium over `dlnet serve`:
 * x̂_1..x̂_K stream band by band (the band under the view first), the likelihood curve gains a
 * point per k that stays hollow with the share of the image it covers until it is whole, then K
 * thumbnails, K points, a residual heat-map for every k and the scrubber through all K frames.
 * Screenshots of each state go to test-results/screenshots/ (ignored by git).
 *
 * Size: the 4000 × 3000 photo at ×2 (a 48 MP result, 12 bands) passes, but takes 2.4 minutes
 * on the 2-core machine even with a tiny model (most of it the JS of the DL-Net steps and the colour
 * merge at 48 MP), against about 1 minute here; by default the photo is 1200 × 900 (900 LR rows:
 * four bands; the 2400 × 1800 result is shown shrunk to 2048 × 1536, so display rows straddle
 * bands). DLNET_E2E_PHOTO=4000x3000 runs the size.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { writeSrModel } from '../helpers/models.js';
import { browserSuite, launchBrowser, record, screenshot, startServe, type RecordedEvent, type Served } from './helpers.js';

const [PW, PH] = (process.env.DLNET_E2E_PHOTO ?? '1200x900').split('x').map(Number);
const BIG = PW * PH > 4e6;

async function writePhoto(file: string, width: number, height: number): Promise<void> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const disc = (x - width * 0.6) ** 2 + (y - height * 0.45) ** 2 < (Math.min(width, height) * 0.22) ** 2;
      raw[o] = disc ? 230 : Math.round(40 + (180 * x) / width);
      raw[o + 1] = disc ? 180 : Math.round(60 + (140 * y) / height);
      raw[o + 2] = Math.round(120 + 60 * Math.sin(x / 5) * Math.cos(y / 7));
    }
  await sharp(raw, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(file);
}

type IterationEvent = {
  type: 'job.iteration';
  jobId: string;
  k: number;
  K: number;
  y: number;
  coverage: number;
  likelihood: number;
};

async function attribute(page: Page, selector: string, name: string): Promise<string[]> {
  return page.locator(selector).evaluateAll((els, n) => els.map((e) => e.getAttribute(n) ?? ''), name);
}

browserSuite('watching every iteration of a large upscale', { timeout: BIG ? 900_000 : 240_000 }, () => {
  let dir: string;
  let served: Served;
  let browser: Browser;
  let page: Page;
  let rec: ReturnType<typeof record>;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dlnet-e2e-iterations-'));
    writeSrModel(path.join(dir, 'models'), { scale: 2, depth: 3, width: 8, K: 5 });
    served = await startServe(dir, path.join(dir, 'models'));
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    rec = record(page);
    await page.goto(served.url);
    await page.waitForSelector('[data-testid="backend"] b', { timeout: 30_000 });
  });

  after(async () => {
    await browser?.close();
    await served?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test(`×2 of a ${PW} × ${PH} photo: K frames band by band, a K-point likelihood curve, a residual for every k, the scrubber through all K`, async () => {
    const input = path.join(dir, 'large.png');
    await writePhoto(input, PW, PH);
    await page.setInputFiles('[data-testid="file-input"]', input);
    await page.waitForSelector('[data-testid="canvas"][data-shown="input"]', { timeout: 120_000 });
    await page.click('[data-testid="task-sr"]');
    await page.click('[data-testid="scale-2"]');
    await page.fill('[data-testid="blur"]', '0');
    await page.locator('details').evaluate((d) => ((d as HTMLDetailsElement).open = true));
    await page.fill('[data-testid="iterations"]', '5');
    // A larger step than the default 1e-3, so that the tiny random model's iterates differ visibly
    // even in a display frame that averages 4 × 4 output pixels (8000 × 6000 shown at 2048 × 1536).
    await page.fill('[data-testid="gamma"]', '0.05');

    const since = rec.events.length;
    await page.click('[data-testid="run"]');
    // Mid-run: some iterate covers part of the image, and its chart point says how much.
    await page.waitForSelector('[data-testid="likelihood-point"].partial', { timeout: BIG ? 600_000 : 120_000 });
    await screenshot(page, 'iterations-01-streaming');
    await page.waitForSelector('[data-testid="job-status"][data-status="done"]', { timeout: BIG ? 900_000 : 180_000 });
    await screenshot(page, 'iterations-02-done');

    const events = rec.events.slice(since).map((e: RecordedEvent) => e.event);
    const jobId = (events.find((e) => e.type === 'job.queued') as { jobId: string }).jobId;
    const parts = events.filter((e) => e.type === 'job.iteration' && e.jobId === jobId) as unknown as IterationEvent[];
    const done = events.find((e) => e.type === 'job.done' && e.jobId === jobId) as { likelihoods: number[] } | undefined;
    assert.ok(done, 'the run finished');
    const bands = parts.filter((p) => p.k === 1).length;
    assert.ok(bands >= 3, `x̂_1 arrived in ${bands} bands`);
    for (let k = 1; k <= 5; k++) {
      const mine = parts.filter((p) => p.k === k);
      assert.equal(mine.length, bands, `x̂_${k} arrives band by band like x̂_1`);
      assert.ok(mine[0].coverage < 1 && mine.at(-1)!.coverage === 1, `x̂_${k}'s coverage grows to the whole image`);
      assert.equal(mine.at(-1)!.likelihood, done.likelihoods[k - 1]);
    }
    assert.ok(parts[0].y > 0, 'the band under the middle of the view came first, not the top one');

    // K thumbnails, whole; K points on the curve, all whole now.
    assert.equal(await page.getAttribute('[data-testid="frames"]', 'data-count'), '5');
    assert.deepEqual(await attribute(page, '[data-testid="frame"]', 'data-coverage'), Array(5).fill('1.000'));
    const sums = await attribute(page, '[data-testid="frame"]', 'data-checksum');
    assert.equal(new Set(sums).size, 5, `the 5 frames differ (${sums.join(' ')})`);
    assert.deepEqual(await attribute(page, '[data-testid="likelihood-point"]', 'data-coverage'), Array(5).fill('1.000'));
    assert.equal(await page.locator('[data-testid="likelihood-chart"] polyline').count(), 1);

    // The scrubber through all K frames, each shown on the canvas.
    await page.focus('[data-testid="scrubber"]');
    await page.keyboard.press('Home');
    for (let k = 1; k <= 5; k++) {
      await page.waitForSelector(`[data-testid="canvas"][data-shown="k:${k}"]`);
      assert.equal(await page.getAttribute('[data-testid="canvas"]', 'data-checksum'), sums[k - 1]);
      assert.equal(await page.innerText('[data-testid="scrubber-value"]'), `${k} / 5`);
      await screenshot(page, `iterations-03-frame-k${k}`);
      if (k < 5) await page.keyboard.press('ArrowRight');
    }

    // A residual heat-map for every k.
    await page.click('[data-testid="mode-residual"]');
    await page.focus('[data-testid="scrubber"]');
    await page.keyboard.press('Home');
    const means: string[] = [];
    for (let k = 1; k <= 5; k++) {
      await page.waitForSelector(`[data-testid="canvas"][data-shown="residual:${k}"]`);
      means.push(await page.innerText('[data-testid="residual-info"]'));
      await screenshot(page, `iterations-04-residual-k${k}`);
      if (k < 5) await page.keyboard.press('ArrowRight');
    }
    assert.equal(new Set(means).size, 5, `each residual is its own (${means.join(' | ')})`);
    await page.click('[data-testid="mode-result"]');
    assert.deepEqual(rec.consoleErrors, []);
  });
});
