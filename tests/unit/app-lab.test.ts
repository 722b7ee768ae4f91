/**
 * The backend of the Suggest button and of lab mode: blur.suggest answers u with the likelihood curve it
 * came from; lab.degrade degrades a clean photo as W does (×t with blur u, a painted mask, pixels missing at
 * random) into a new open image; a job with that photo as its reference reports PSNR and SSIM of every
 * x̂_k against it in job.done.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { Backend } from '../../src/server/index.js';
import {
  Channels,
  type ApiResponse,
  type AppEvent,
  type BlurSuggestionView,
  type JobEvent,
  type JobStarted,
  type LabDegraded,
  type OpenedImage,
} from '../../src/api/api.js';
import { testBackend } from '../helpers/backend.js';
import { writeBlurEstimator, writeMaskedModel, writeSrModel } from '../helpers/models.js';

let dir: string;
let backend: Backend;
const events: AppEvent[] = [];

async function call(channel: unknown, args: unknown): Promise<ApiResponse<unknown>> {
  return backend.dispatcher.handle(channel, args, (e) => events.push(e));
}

async function ok<T>(channel: unknown, args: unknown): Promise<T> {
  const r = await call(channel, args);
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return (r as { result: T }).result;
}

async function done(jobId: string): Promise<Extract<JobEvent, { type: 'job.done' }>> {
  const started = Date.now();
  for (;;) {
    const end = events.find(
      (e) => 'jobId' in e && e.jobId === jobId && ['job.done', 'job.error', 'job.cancelled'].includes(e.type),
    );
    if (end) {
      assert.equal(end.type, 'job.done', JSON.stringify(end));
      return end as Extract<JobEvent, { type: 'job.done' }>;
    }
    if (Date.now() - started > 90_000) throw new Error(`job ${jobId} did not finish`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let photo: OpenedImage;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dlnet-app-lab-'));
  const models = path.join(dir, 'models');
  writeSrModel(models, { scale: 2, depth: 2, width: 4, K: 3 });
  writeMaskedModel(models, 'interpolate');
  writeBlurEstimator(models);
  const raw = Buffer.alloc(66 * 50 * 3); // not a multiple of 2 wide or high: the reference is cropped as W crops
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 7 + ((i / 198) | 0) * 3) % 256;
  await sharp(raw, { raw: { width: 66, height: 50, channels: 3 } })
    .png()
    .toFile(path.join(dir, 'clean.png'));
  backend = testBackend(dir, models);
  photo = await ok<OpenedImage>(Channels.imageOpen, { path: path.join(dir, 'clean.png') });
});

after(async () => {
  await backend.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('blur.suggest answers u in 0..3 with the posterior it was read from', async () => {
  const s = await ok<BlurSuggestionView>(Channels.blurSuggest, { imageId: photo.imageId, scale: 2 });
  assert.ok(s.blur >= 0 && s.blur <= 3, String(s.blur));
  assert.equal(s.curve.length, 30);
  assert.ok(s.curve.every((p, i) => p.probability > 0 && Math.abs(p.u - 0.1 * (i + 1)) < 1e-9));
  const total = s.bicubicProbability + s.curve.reduce((sum, p) => sum + p.probability, 0);
  assert.ok(Math.abs(total - 1) < 1e-6, String(total));
  assert.ok(s.crops.length >= 1);
  const bad = await call(Channels.blurSuggest, { imageId: photo.imageId, scale: 5 });
  assert.ok(!bad.ok && /^Scale must be 2, 3 or 4, not 5\.$/.test(bad.error.message));
});

test('lab: ×2 with u = 1.3, restored with the original as reference: PSNR and SSIM for every x̂_k', async () => {
  const degraded = await ok<LabDegraded>(Channels.labDegrade, {
    imageId: photo.imageId,
    degradation: { task: 'sr', scale: 2, blur: 1.3 },
  });
  assert.deepEqual([degraded.image.width, degraded.image.height], [33, 25]);
  assert.match(degraded.image.name, /^clean \(degraded: ×2, u = 1\.3\)$/);
  const started = await ok<JobStarted>(Channels.jobStart, {
    imageId: degraded.image.imageId,
    settings: { task: 'sr', scale: 2, blur: 1.3, iterations: 3, gamma: 0.001 },
    reference: photo.imageId,
  });
  const end = await done(started.jobId);
  assert.deepEqual(
    end.metrics?.map((m) => m.k),
    [1, 2, 3],
  );
  for (const m of end.metrics!) {
    assert.ok(Number.isFinite(m.psnr) && m.psnr > 5 && m.psnr < 60, `psnr ${m.psnr}`);
    assert.ok(m.ssim > -1 && m.ssim <= 1, `ssim ${m.ssim}`);
  }
  // a reference of another size is refused with a sentence
  const wrong = await call(Channels.jobStart, {
    imageId: photo.imageId,
    settings: { task: 'sr', scale: 2, blur: 0, iterations: 1, gamma: 0.001 },
    reference: degraded.image.imageId,
  });
  assert.ok(!wrong.ok && wrong.error.code === 'reference-size', JSON.stringify(wrong));
});

test('lab: interpolation with 40 % missing returns the mask it applied; the restoration is measured', async () => {
  const degraded = await ok<LabDegraded>(Channels.labDegrade, {
    imageId: photo.imageId,
    degradation: { task: 'interpolate', missing: 0.4, seed: 7 },
  });
  const fill = degraded.fill!;
  assert.equal(fill.length, 66 * 50);
  const share = fill.reduce((a, b) => a + b, 0) / fill.length;
  assert.ok(share > 0.3 && share < 0.5, String(share));
  const started = await ok<JobStarted>(Channels.jobStart, {
    imageId: degraded.image.imageId,
    settings: { task: 'interpolate', mask: { width: 66, height: 50, fill }, iterations: 2, gamma: 0.01 },
    reference: photo.imageId,
  });
  const end = await done(started.jobId);
  assert.deepEqual(
    end.metrics?.map((m) => m.k),
    [1, 2],
  );
  const missing = await call(Channels.labDegrade, {
    imageId: photo.imageId,
    degradation: { task: 'interpolate', missing: 0.9, seed: 1 },
  });
  assert.ok(!missing.ok && /Missing share must be/.test(missing.error.message), JSON.stringify(missing));
});
