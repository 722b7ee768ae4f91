/**
 * The UI end to end, in Debian's Chromium against `dlnet serve` with the real engine and the
 * shipped models (resources/models): inpainting (paint, run, watch K frames arrive, scrub, residual, compare,
 * save, cancel a second run) and upscaling (×3, u = 1.3, output ×3, cancel). Screenshots of the
 * main states go to test-results/screenshots/ (ignored by git).
 */
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import WebSocket from 'ws';
import { browserSuite, openApp, ROOT, screenshot, type OpenApp, type RecordedEvent } from './helpers.js';
import { writePhoto } from '../helpers/images.js';

/** A mask PNG (white = fill) with `count` small square holes on a grid. */
async function writeDotsMask(file: string, width: number, height: number, count: number): Promise<void> {
  const raw = Buffer.alloc(width * height);
  const cols = Math.ceil(Math.sqrt((count * width) / height));
  const rows = Math.ceil(count / cols);
  for (let i = 0; i < count; i++) {
    const cx = Math.round(((i % cols) + 0.5) * (width / cols));
    const cy = Math.round((Math.floor(i / cols) + 0.5) * (height / rows));
    for (let y = cy - 2; y <= cy + 2; y++) for (let x = cx - 2; x <= cx + 2; x++) raw[y * width + x] = 255;
  }
  await sharp(raw, { raw: { width, height, channels: 1 } })
    .png()
    .toFile(file);
}

const iterations = (events: RecordedEvent[], jobId: string) =>
  events.filter((e) => e.event.type === 'job.iteration' && e.event.jobId === jobId) as (RecordedEvent & {
    event: { k: number; K: number; likelihood: number };
  })[];

async function jobIdOf(events: RecordedEvent[], since: number): Promise<string> {
  for (let i = 0; i < 1200; i++) {
    const started = events.slice(since).find((e) => e.event.type === 'job.queued');
    if (started && 'jobId' in started.event) return started.event.jobId;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('No job was queued within 30 s.');
}

async function waitStatus(page: Page, status: string, timeout = 60_000): Promise<void> {
  await page.waitForSelector(`[data-testid="job-status"][data-status="${status}"]`, { timeout });
}

/** Drags the mouse across the canvas from (fx0, fy0) to (fx1, fy1), fractions of the canvas box. */
async function drag(page: Page, from: [number, number], to: [number, number]): Promise<void> {
  const box = (await page.locator('[data-testid="canvas"]').boundingBox())!;
  const at = (f: [number, number]) => [box.x + box.width * f[0], box.y + box.height * f[1]] as const;
  await page.mouse.move(...at(from));
  await page.mouse.down();
  for (let i = 1; i <= 8; i++) {
    await page.mouse.move(at(from)[0] + ((at(to)[0] - at(from)[0]) * i) / 8, at(from)[1] + ((at(to)[1] - at(from)[1]) * i) / 8);
  }
  await page.mouse.up();
}

/**
 * Starts a K = 50 run, presses Escape once the first frame is shown, and checks the run stops as
 * cancelled, short of its 50 frames. How fast it stops (≤ 1 s) is a `dlnet bench` figure
 * (cancel_ms), measured on a quiet machine; here a 30 s watchdog only catches a run that never stops.
 */
async function cancelRun(page: Page, events: RecordedEvent[]): Promise<void> {
  const since = events.length;
  await page.locator('details').evaluate((d) => ((d as HTMLDetailsElement).open = true));
  await page.fill('[data-testid="iterations"]', '50');
  await page.click('[data-testid="run"]');
  const jobId = await jobIdOf(events, since);
  await page.waitForFunction(
    () => Number(document.querySelector('[data-testid="frames"]')?.getAttribute('data-count')) >= 1,
    null,
    { timeout: 30_000 },
  );
  await page.keyboard.press('Escape');
  await waitStatus(page, 'cancelled', 30_000);
  const received = iterations(events, jobId);
  assert.ok(received.length < 50, `the run was cancelled before finishing (${received.length} frames)`);
  assert.ok(events.some((e) => e.event.type === 'job.cancelled' && e.event.jobId === jobId));
  assert.ok(!events.some((e) => e.event.type === 'job.done' && e.event.jobId === jobId), 'a cancelled run never reports done');
}

browserSuite('DL-Net Studio in Chromium over dlnet serve', { timeout: 180_000 }, () => {
  let app: OpenApp;

  before(async () => {
    // The real shipped models (resources/models).
    app = await openApp('app', () => ({ models: path.join(ROOT, 'resources/models') }));
  });

  after(() => app?.close());

  test('the page needs the token, and the API refuses other origins', async () => {
    const { served, page } = app;
    const base = served.url.replace(/\?token=.*$/, '');
    assert.equal((await fetch(base)).status, 403);
    assert.equal((await fetch(`${base}?token=wrong`)).status, 403);
    assert.equal((await fetch(served.url)).status, 200);
    const api = served.url.replace('http://', 'ws://').replace('/?token=', '/api?token=');
    const origin = base.replace(/\/$/, '');
    const opens = (url: string, headers: Record<string, string>) =>
      new Promise<boolean>((resolve) => {
        const ws = new WebSocket(url, { headers });
        ws.on('open', () => {
          ws.close();
          resolve(true);
        });
        ws.on('error', () => resolve(false));
      });
    assert.equal(await opens(api, { Origin: origin }), true, "the page's own origin with the token connects");
    assert.equal(await opens(`${api}x`, { Origin: origin }), false, 'a wrong token is refused');
    assert.equal(await opens(api, { Origin: 'http://evil.example' }), false, 'another origin is refused');
    assert.equal(await opens(api, {}), false, 'no origin is refused');
    await screenshot(page, '01-empty');
  });

  test('bad input gets one clear sentence, not a stack trace', async () => {
    const { dir, page } = app;
    const bad = path.join(dir, 'notes.txt');
    writeFileSync(bad, 'these are not pixels\n');
    await page.setInputFiles('[data-testid="file-input"]', bad);
    const error = page.locator('[data-testid="error"]');
    await error.waitFor();
    const text = (await error.innerText()).replace(/×$/, '').trim();
    assert.match(text, /notes\.txt is a text file, not an image\./);
    assert.doesNotMatch(text, /\bat \S+:\d+|Error:/);
    await page.click('[data-testid="error"] button');
  });

  test('inpainting: paint, run, K frames one by one, scrub to x̂1, residual, compare, save, cancel a second run', async () => {
    const { dir, page, rec } = app;
    const input = path.join(dir, 'portrait.png');
    const W = 128;
    const H = 96;
    const pixels = await writePhoto(input, W, H);
    await page.setInputFiles('[data-testid="file-input"]', input);
    await page.waitForSelector('[data-testid="canvas"][data-shown="input"]');
    await page.click('[data-testid="task-inpaint"]');
    await page.keyboard.press('b');
    await drag(page, [0.42, 0.42], [0.58, 0.47]);
    await drag(page, [0.45, 0.6], [0.55, 0.55]);
    const filled = Number(await page.getAttribute('[data-testid="mask-count"]', 'data-filled'));
    assert.ok(filled > 50 && filled < (W * H) / 2, `painted ${filled} pixels`);
    // Undo and redo the second stroke.
    await page.keyboard.press('Control+z');
    const afterUndo = Number(await page.getAttribute('[data-testid="mask-count"]', 'data-filled'));
    assert.ok(afterUndo < filled);
    await page.keyboard.press('Control+y');
    assert.equal(Number(await page.getAttribute('[data-testid="mask-count"]', 'data-filled')), filled);
    await screenshot(page, '02-inpaint-mask');

    // Save the mask, to check the result against it later.
    await page.click('[data-testid="save-mask"]');
    const maskPath = await page.inputValue('[data-testid="save-path"]');
    assert.equal(path.dirname(maskPath), dir);
    await page.click('[data-testid="save-confirm"]');
    await page.waitForSelector('[data-testid="notice"]:has-text("Saved")');

    const since = rec.events.length;
    await page.keyboard.press('Enter');
    const jobId = await jobIdOf(rec.events, since);
    await waitStatus(page, 'done');
    const frames = iterations(rec.events, jobId);
    assert.deepEqual(
      frames.map((f) => f.event.k),
      [1, 2, 3, 4, 5],
      'K = 5 frames, in order',
    );
    const done = rec.events.find((e) => e.event.type === 'job.done' && e.event.jobId === jobId)!;
    for (let i = 1; i < frames.length; i++) assert.ok(frames[i].at >= frames[i - 1].at);
    assert.ok(frames.at(-1)!.at <= done.at, 'every frame arrived before the run finished');
    assert.equal(await page.getAttribute('[data-testid="frames"]', 'data-count'), '5');
    const sums = await page
      .locator('[data-testid="frame"]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-checksum')));
    assert.equal(new Set(sums).size, 5, `the 5 frames differ (${sums.join(' ')})`);
    const likelihoods = frames.map((f) => f.event.likelihood);
    assert.ok(likelihoods.every(Number.isFinite));
    assert.equal(await page.getAttribute('[data-testid="canvas"]', 'data-shown'), 'k:5');
    await screenshot(page, '03-inpaint-done');

    // Scrub back to x̂1.
    await page.focus('[data-testid="scrubber"]');
    await page.keyboard.press('Home');
    assert.equal(await page.getAttribute('[data-testid="canvas"]', 'data-shown'), 'k:1');
    assert.equal(await page.getAttribute('[data-testid="canvas"]', 'data-checksum'), sums[0]);
    await page.keyboard.press('End');
    assert.equal(await page.getAttribute('[data-testid="canvas"]', 'data-shown'), 'k:5');

    await page.click('[data-testid="mode-residual"]');
    await page.waitForSelector('[data-testid="canvas"][data-shown="residual:5"]');
    await page.click('[data-testid="mode-compare"]');
    await screenshot(page, '04-inpaint-compare');
    await page.click('[data-testid="mode-result"]');

    // Save (PNG), then check: the file exists, its size is reported, pixels outside the mask are the input's.
    await page.keyboard.press('Control+s');
    const out = await page.inputValue('[data-testid="save-path"]');
    assert.equal(out, path.join(dir, 'portrait.restored.png'));
    await page.click('[data-testid="format-png"]');
    await page.click('[data-testid="save-confirm"]');
    const notice = await page.locator('[data-testid="notice"]:has-text("portrait.restored.png")').innerText();
    const bytes = statSync(out).size;
    assert.ok(bytes > 1000, `saved ${bytes} bytes`);
    assert.ok(notice.includes(`(${(bytes / 1024).toFixed(bytes < 10240 ? 1 : 0)} KiB)`), `the notice gives the size: ${notice}`);
    const saved = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual([saved.info.width, saved.info.height, saved.info.channels], [W, H, 3]);
    const mask = await sharp(maskPath).greyscale().raw().toBuffer();
    let outside = 0;
    let changedInside = 0;
    for (let p = 0; p < W * H; p++) {
      const same = [0, 1, 2].every((c) => saved.data[p * 3 + c] === pixels[p * 3 + c]);
      if (mask[p] < 128) {
        outside++;
        assert.ok(same, `pixel ${p % W},${Math.floor(p / W)} outside the mask is unchanged`);
      } else if (!same) changedInside++;
    }
    assert.ok(outside > (W * H) / 2);
    assert.ok(changedInside > 0, 'the fill changed pixels inside the mask');
    // Never over an existing file (here the input, which the browser uploaded).
    await page.keyboard.press('Control+s');
    await page.fill('[data-testid="save-path"]', input);
    await page.click('[data-testid="save-confirm"]');
    await page.waitForSelector('.dialog .err:has-text("portrait.png already exists")');
    await page.keyboard.press('Escape');

    // A second run, with a loaded mask of 30 small holes and K = 50, cancelled.
    const dots = path.join(dir, 'dots-mask.png');
    await writeDotsMask(dots, W, H, 30);
    await page.setInputFiles('[data-testid="mask-input"]', dots);
    await page.waitForFunction(
      () => Number(document.querySelector('[data-testid="mask-count"]')?.getAttribute('data-filled')) === 30 * 25,
    );
    await cancelRun(page, rec.events);
    await screenshot(page, '05-inpaint-cancelled');
    await page.fill('[data-testid="iterations"]', '5');
  });

  test('upscaling ×3 with u = 1.3: live degradation preview, K frames, output ×3, save; cancel', async () => {
    const { dir, page, rec } = app;
    const input = path.join(dir, 'small.png');
    await writePhoto(input, 64, 48);
    await page.setInputFiles('[data-testid="file-input"]', input);
    await page.waitForSelector('[data-testid="canvas"][data-shown="input"]');
    await page.click('[data-testid="task-sr"]');
    await page.click('[data-testid="scale-3"]');
    await page.fill('[data-testid="blur"]', '1.3');
    await page.waitForSelector('[data-testid="degradation-preview"] >> text=after ×3, u = 1.3');
    await screenshot(page, '06-upscale-preview');

    const since = rec.events.length;
    await page.click('[data-testid="run"]');
    const jobId = await jobIdOf(rec.events, since);
    await waitStatus(page, 'done');
    assert.deepEqual(
      iterations(rec.events, jobId).map((f) => f.event.k),
      [1, 2, 3, 4, 5],
    );
    const done = rec.events.find((e) => e.event.type === 'job.done' && e.event.jobId === jobId)!.event as {
      frame: { width: number; height: number };
    };
    assert.deepEqual([done.frame.width, done.frame.height], [192, 144]);
    assert.match(await page.innerText('[data-testid="output-size"]'), /192 × 144/);
    await page.click('[data-testid="mode-residual"]');
    await page.waitForSelector('[data-testid="residual-info"]');
    await screenshot(page, '07-upscale-residual');
    await page.click('[data-testid="mode-result"]');

    await page.click('[data-testid="save"]');
    await page.click('[data-testid="format-tiff"]');
    const out = await page.inputValue('[data-testid="save-path"]');
    assert.equal(out, path.join(dir, 'small.restored.tif'));
    await page.click('[data-testid="save-confirm"]');
    await page.waitForSelector('[data-testid="notice"]:has-text("small.restored.tif")');
    const meta = await sharp(out).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['tiff', 192, 144]);
    assert.ok(statSync(out).size > 1000);

    await cancelRun(page, rec.events);
  });

  test('upscaling a region of 64+ rows streams a preview (x̂_1 of the top rows) before the K frames', async () => {
    const { dir, page, rec } = app;
    const input = path.join(dir, 'tall.png');
    await writePhoto(input, 96, 80);
    await page.setInputFiles('[data-testid="file-input"]', input);
    await page.waitForSelector('[data-testid="canvas"][data-shown="input"]');
    await page.click('[data-testid="task-sr"]');
    await page.click('[data-testid="scale-2"]');
    await page.fill('[data-testid="iterations"]', '5');
    const since = rec.events.length;
    await page.click('[data-testid="run"]');
    const jobId = await jobIdOf(rec.events, since);
    await waitStatus(page, 'done');
    const streamed = rec.events
      .slice(since)
      .map((e) => e.event as { type: string; jobId?: string; rows?: number; frame?: { width: number; height: number } })
      .filter((e) => e.jobId === jobId && (e.type === 'job.preview' || e.type === 'job.iteration'));
    assert.deepEqual(
      streamed.map((e) => e.type),
      ['job.preview', 'job.iteration', 'job.iteration', 'job.iteration', 'job.iteration', 'job.iteration'],
    );
    assert.equal(streamed[0].rows, 2 * 16); // the top fifth of 80 LR rows, at least 16
    assert.deepEqual([streamed[0].frame!.width, streamed[0].frame!.height], [192, 160]);
    await page.waitForSelector('[data-testid="canvas"][data-shown="k:5"]');
  });

  test('help overlay lists the shortcuts; no console errors during the whole run', async () => {
    const { page, rec } = app;
    await page.keyboard.press('?');
    await page.waitForSelector('[data-testid="help"]');
    await screenshot(page, '08-help');
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('[data-testid="help"]').count(), 0);
    assert.deepEqual(rec.consoleErrors, []);
  });
});
