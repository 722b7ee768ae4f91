/**
 * Any output size end to end: `dlnet upscale --scale 1.5 | --width | --height` and `dlnet batch --width`
 * (child processes through tsx, tiny random models for ×2, ×3 and ×4): the smallest model scale that
 * reaches the size runs, then Lanczos-3 down to exactly that size; bad sizes are refused before any compute.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { dlnet } from '../helpers/cli.js';
import { writeSrModel } from '../helpers/models.js';



let dir = '';
let env: Record<string, string> = {};

async function photo(file: string, width: number, height: number): Promise<void> {
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 7 + (i % 13) * 3) % 256;
  await sharp(rgb, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(file);
}

const size = async (file: string): Promise<[number, number]> => {
  const m = await sharp(file).metadata();
  return [m.width!, m.height!];
};

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dlnet-size-'));
  for (const scale of [2, 3, 4] as const) writeSrModel(path.join(dir, 'models'), { scale, depth: 2, width: 4, K: 2 });
  env = { DLNET_MODELS_DIR: path.join(dir, 'models') };
  await photo(path.join(dir, 'wide.png'), 400, 120);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('upscale --width 1000 on a 400-px-wide photo: the ×3 model, then Lanczos-3 to exactly 1000 px wide', async () => {
  const r = await dlnet(['upscale', 'wide.png', '--width', '1000', '--backend', 'wasm', '--workers', '1'], dir, env);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(await size(path.join(dir, 'wide.w1000.png')), [1000, 300]);
  assert.match(r.stderr, /wide\.png → wide\.w1000\.png \(K = 2, ×3 model, then Lanczos-3 to 1000 × 300\)/);
});

test('upscale --scale 1.5 (×2 model) and --height 360 (×3 model, no resampling)', async () => {
  const a = await dlnet(['upscale', 'wide.png', '--scale', '1.5', '--backend', 'wasm', '--workers', '1'], dir, env);
  assert.equal(a.status, 0, a.stderr);
  assert.deepEqual(await size(path.join(dir, 'wide.x1.5.png')), [600, 180]);
  assert.match(a.stderr, /×2 model, then Lanczos-3 to 600 × 180/);
  const b = await dlnet(
    ['upscale', 'wide.png', '--height', '360', '--out', 'h.png', '--backend', 'wasm', '--workers', '1'],
    dir,
    env,
  );
  assert.equal(b.status, 0, b.stderr);
  assert.deepEqual(await size(path.join(dir, 'h.png')), [1200, 360]);
  assert.doesNotMatch(b.stderr, /Lanczos/);
});

test('bad sizes: usage errors (exit 2) and sizes the models cannot reach (exit 1), before the backend starts', async () => {
  const both = await dlnet(['upscale', 'wide.png', '--width', '800', '--scale', '2'], dir, env);
  assert.equal(both.status, 2);
  assert.equal(both.stderr, 'dlnet: upscale takes only one of --scale, --width and --height, not --scale and --width.\n');
  const none = await dlnet(['upscale', 'wide.png'], dir, env);
  assert.equal(none.status, 2);
  assert.equal(none.stderr, 'dlnet: upscale needs one of --scale <s>, --width <px> or --height <px>.\n');
  const frac = await dlnet(['upscale', 'wide.png', '--width', '10.5'], dir, env);
  assert.equal(frac.stderr, 'dlnet: --width must be a whole number of pixels from 1 to 1000000, not 10.5.\n');
  const small = await dlnet(['upscale', 'wide.png', '--width', '300'], dir, env);
  assert.equal(small.status, 1);
  assert.equal(small.stderr, 'dlnet: 300 px wide (300 × 90) is not larger than the 400 × 120 photo; upscaling only enlarges.\n');
  const big = await dlnet(['upscale', 'wide.png', '--height', '481'], dir, env);
  assert.equal(big.status, 1);
  assert.match(
    big.stderr,
    /^dlnet: 481 px high \(1603 × 481\) is more than ×4 the 400 × 120 photo, the most the models reach\.\n$/,
  );
  assert.ok(!existsSync(path.join(dir, 'wide.w300.png')) && !existsSync(path.join(dir, 'wide.h481.png')));
});

test('batch --width 1000: each photo gets the model its own size needs, every output exactly 1000 px wide', async () => {
  const input = path.join(dir, 'batch-in');
  await mkdir(input);
  await photo(path.join(input, 'a.png'), 400, 100); // ×3, then down
  await photo(path.join(input, 'b.png'), 250, 50); // ×4, then down
  await photo(path.join(input, 'c.png'), 500, 100); // ×2 exactly
  await photo(path.join(input, 'd.png'), 1200, 100); // already wider: fails alone
  const r = await dlnet(
    ['batch', 'batch-in', '--out', 'batch-out', '--width', '1000', '--jobs', '1', '--backend', 'wasm', '--report', 'report.json'],
    dir,
    env,
  );
  assert.equal(r.status, 1, r.stderr); // d.png failed, the rest went on
  assert.match(
    r.stderr,
    /^dlnet: d\.png: 1000 px wide \(1000 × 83\) is not larger than the 1200 × 100 photo; upscaling only enlarges\.$/m,
  );
  assert.deepEqual(await size(path.join(dir, 'batch-out/a.png')), [1000, 250]);
  assert.deepEqual(await size(path.join(dir, 'batch-out/b.png')), [1000, 200]);
  assert.deepEqual(await size(path.join(dir, 'batch-out/c.png')), [1000, 200]);
  const report = JSON.parse(await readFile(path.join(dir, 'report.json'), 'utf8')) as {
    options: { output?: unknown; model: string };
    files: { input: string; status: string; outputSize?: { width: number } }[];
  };
  assert.deepEqual(report.options.output, { width: 1000 });
  assert.equal(report.options.model, 'sr-x2 / sr-x3 / sr-x4');
  assert.deepEqual(
    report.files.map((f) => [f.input, f.status, f.outputSize?.width]),
    [
      ['a.png', 'done', 1000],
      ['b.png', 'done', 1000],
      ['c.png', 'done', 1000],
      ['d.png', 'failed', undefined],
    ],
  );
});
