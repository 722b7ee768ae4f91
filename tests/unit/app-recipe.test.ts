/**
 * The app's backend and recipes / output sizes: an upscale to a width the ×3 model reaches is resampled
 * to exactly that size; the saved file carries its recipe (size asked, suggested blur, K, γ, model and
 * its sha256); opening that file returns the recipe for the "Restore again with these settings" panel;
 * an inpainting output carries the mask's hash.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { Backend } from '../../src/server/index.js';
import { Channels, type ApiResponse, type AppEvent, type JobStarted, type OpenedImage } from '../../src/api/api.js';
import { maskSha256 } from '../../src/engine/recipe.js';
import { testBackend } from '../helpers/backend.js';
import { writeMaskedModel, writeSrModel } from '../helpers/models.js';

let dir: string;
let backend: Backend;
const events: AppEvent[] = [];

async function ok<T>(channel: unknown, args: unknown): Promise<T> {
  const r: ApiResponse<unknown> = await backend.dispatcher.handle(channel, args, (e) => events.push(e));
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return (r as { result: T }).result;
}

async function done(jobId: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    const end = events.find(
      (e) => 'jobId' in e && e.jobId === jobId && ['job.done', 'job.error', 'job.cancelled'].includes(e.type),
    );
    if (end) {
      assert.equal(end.type, 'job.done', JSON.stringify(end));
      return;
    }
    if (Date.now() - started > 60_000) throw new Error(`job ${jobId} did not finish`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let photo: OpenedImage;
let models: string;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dlnet-app-recipe-'));
  models = path.join(dir, 'models');
  writeMaskedModel(models, 'inpaint');
  writeSrModel(models, { scale: 2, depth: 2, width: 4, K: 3 });
  writeSrModel(models, { scale: 3, depth: 2, width: 4, K: 3 });
  const raw = Buffer.alloc(40 * 30 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 7) % 256;
  await sharp(raw, { raw: { width: 40, height: 30, channels: 3 } })
    .png()
    .toFile(path.join(dir, 'photo.png'));
  backend = testBackend(dir, models);
  photo = await ok<OpenedImage>(Channels.imageOpen, { path: path.join(dir, 'photo.png') });
  assert.equal(photo.recipe, undefined);
});

after(async () => {
  await backend.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('an upscale to 100 px wide runs ×3 then Lanczos-3; the saved file carries its recipe and opening it returns it', async () => {
  const wrong = await backend.dispatcher.handle(
    Channels.jobStart,
    {
      imageId: photo.imageId,
      settings: { task: 'sr', scale: 2, output: { width: 100 }, blur: 0.4, iterations: 2, gamma: 0.002 },
    },
    () => {},
  );
  assert.ok(!wrong.ok && /^Scale must be 3, the smallest model scale that reaches 100 × 75, not 2\.$/.test(wrong.error.message));
  const started = await ok<JobStarted>(Channels.jobStart, {
    imageId: photo.imageId,
    settings: { task: 'sr', scale: 3, output: { width: 100 }, blur: 0.4, blurSuggested: true, iterations: 2, gamma: 0.002 },
  });
  assert.deepEqual([started.width, started.height], [100, 75]);
  await done(started.jobId);
  const file = path.join(dir, 'photo.w100.jpg');
  await ok(Channels.jobSave, { jobId: started.jobId, path: file, format: 'jpeg' });
  const meta = await sharp(file).metadata();
  assert.deepEqual([meta.width, meta.height], [100, 75]);
  const reopened = await ok<OpenedImage>(Channels.imageOpen, { path: file });
  const sha3 = (JSON.parse(readFileSync(path.join(models, 'sr-x3/model.json'), 'utf8')) as { weights: { sha256: string } })
    .weights.sha256;
  assert.deepEqual(reopened.recipe, {
    task: 'sr',
    modelScale: 3,
    width: 100,
    height: 75,
    requestedSize: { width: 100 },
    blur: 0.4,
    blurSuggested: true,
    iterations: 2,
    gamma: 0.002,
    modelId: 'sr-x3',
    modelSha256: sha3,
    appVersion: (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version,
  });
  // x̂_1 of the same run: resampled the same way, its recipe says K = 1
  const first = path.join(dir, 'photo.k1.png');
  await ok(Channels.jobSave, { jobId: started.jobId, path: first, format: 'png', k: 1 });
  const k1 = await ok<OpenedImage>(Channels.imageOpen, { path: first });
  assert.deepEqual([k1.width, k1.height, k1.recipe?.iterations], [100, 75, 1]);
});

test('an inpainting output carries the hash of its mask', async () => {
  const fill = new Uint8Array(40 * 30);
  for (let y = 10; y < 20; y++) fill.fill(1, y * 40 + 12, y * 40 + 24);
  const started = await ok<JobStarted>(Channels.jobStart, {
    imageId: photo.imageId,
    settings: { task: 'inpaint', mask: { width: 40, height: 30, fill }, iterations: 2, gamma: 0.001 },
  });
  await done(started.jobId);
  const file = path.join(dir, 'photo.inpainted.tif');
  await ok(Channels.jobSave, { jobId: started.jobId, path: file, format: 'tiff' });
  const reopened = await ok<OpenedImage>(Channels.imageOpen, { path: file });
  assert.equal(reopened.recipe?.task, 'inpaint');
  assert.equal(reopened.recipe?.maskSha256, maskSha256({ data: fill }, 'fill'));
});
