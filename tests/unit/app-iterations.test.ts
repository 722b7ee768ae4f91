/**
 * The app's backend streams x̂_1..x̂_K of an upscale at any size: a photo of several bands sends
 * display-size patches band by band (the band in focus first), L(z_k) with the fraction of the
 * image it covers, a residual heat-map for every k, and saves any x̂_k at full size from disk.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { Channels, type ApiResponse, type AppEvent, type JobEvent, type OpenedImage, type Residual } from '../../src/api/api.js';
import type { Backend } from '../../src/server/index.js';
import { testBackend } from '../helpers/backend.js';
import { writeSrModel } from '../helpers/models.js';

let dir: string;
let backend: Backend;
const events: AppEvent[] = [];

async function ok<T>(channel: unknown, args: unknown): Promise<T> {
  const r: ApiResponse<unknown> = await backend.dispatcher.handle(channel, args, (e) => events.push(e));
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return (r as { result: T }).result;
}

before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'dlnet-app-iterations-'));
  writeSrModel(path.join(dir, 'models'), { scale: 2, depth: 3, width: 8, K: 5 });
  backend = testBackend(dir, path.join(dir, 'models'), { restoreWorkers: 2 });
});

after(async () => {
  await backend.dispose();
  rmSync(dir, { recursive: true, force: true });
});

type Iteration = Extract<JobEvent, { type: 'job.iteration' }>;

test('an upscale of several bands streams every x̂_k band by band, L(z_k) with its coverage, residuals and saves of any k', async () => {
  // 600 LR rows: three bands of the engine; ×2 → 160 × 1200, shown at full size (≤ 2048).
  const [W, H] = [80, 600];
  const raw = Buffer.alloc(W * H * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = Math.round(128 + 100 * Math.sin(i * 0.013) * Math.cos(i * 0.0007));
  const input = path.join(dir, 'tall.png');
  await sharp(raw, { raw: { width: W, height: H, channels: 3 } })
    .png()
    .toFile(input);
  const image = await ok<OpenedImage>(Channels.imageOpen, { path: input });
  const settings = { task: 'sr', scale: 2, blur: 0, iterations: 5, gamma: 1e-3 };
  const { jobId } = await ok<{ jobId: string }>(Channels.jobStart, { imageId: image.imageId, settings, focus: 0.5 });
  const done = await new Promise<Extract<JobEvent, { type: 'job.done' }>>((resolve, reject) => {
    const poll = setInterval(() => {
      const end = events.find((e) => 'jobId' in e && e.jobId === jobId && ['job.done', 'job.error'].includes(e.type));
      if (!end) return;
      clearInterval(poll);
      if (end.type === 'job.done') resolve(end);
      else reject(new Error(JSON.stringify(end)));
    }, 20);
  });
  const patches = events.filter((e): e is Iteration => e.type === 'job.iteration' && e.jobId === jobId);
  for (let k = 1; k <= 5; k++) {
    const mine = patches.filter((p) => p.k === k);
    assert.equal(mine.length, 3, `x̂_${k} arrives in three bands`);
    assert.ok(mine[0].y > 0, 'the band in focus (the middle) comes first');
    const rows = new Set<number>();
    for (const p of mine) {
      assert.deepEqual([p.width, p.height, p.frame.width], [160, 1200, 160]);
      for (let y = p.y; y < p.y + p.frame.height; y++) rows.add(y);
    }
    assert.equal(rows.size, 1200, `x̂_${k}'s patches cover its frame`);
    assert.deepEqual(
      mine.map((p) => p.coverage),
      [...mine.map((p) => p.coverage)].sort((a, b) => a - b),
    );
    assert.ok(mine[0].coverage < 1 && mine[2].coverage === 1);
    assert.equal(mine[2].likelihood, done.likelihoods[k - 1], 'the whole-image L(z_k) is the last band’s running sum');
    const residual = await ok<Residual>(Channels.jobResidual, { jobId, k });
    assert.deepEqual([residual.frame.width, residual.frame.height], [80, 600]);
    assert.ok(residual.mean > 0 && residual.max > 0);
    for (let p = 3; p < residual.frame.rgba.length; p += 4)
      assert.equal(residual.frame.rgba[p], 255, 'every row of the residual');
  }
  assert.ok(done.likelihoods.length === 5 && done.likelihoods[4] < done.likelihoods[0], 'L(z_k) falls');

  // Any x̂_k saves at full size: x̂_2 from its rows on disk, x̂_5 is the result.
  for (const k of [2, 5]) {
    const file = path.join(dir, `tall.k${k}.png`);
    await ok(Channels.jobSave, { jobId, k, path: file, format: 'png' });
    const meta = await sharp(file).metadata();
    assert.deepEqual([meta.width, meta.height, meta.channels], [160, 1200, 3]);
  }
  const [k2, k5] = await Promise.all(
    [2, 5].map((k) =>
      sharp(path.join(dir, `tall.k${k}.png`))
        .raw()
        .toBuffer(),
    ),
  );
  assert.ok(!k2.equals(k5), 'x̂_2 is an earlier estimate than x̂_5');
  const stored = backend.workspace.jobs.get(jobId)!.stored!;
  assert.ok(existsSync(stored.dir), 'the iterates stay on disk while the job is kept');
  await backend.dispose();
  assert.ok(!existsSync(stored.dir), 'and are removed with the backend');
});
