/**
 * Recipes end to end: every output of `dlnet upscale`, `inpaint` and `dlnet batch` carries what made it as
 * XMP (merged with the input's), the batch report lists it, and `dlnet info` prints it (or says there is none).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { dlnet } from '../helpers/cli.js';
import { writeBlurEstimator, writeMaskedModel, writeSrModel } from '../helpers/models.js';
import { maskSha256 } from '../../src/engine/recipe.js';

const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };



let dir = '';
let env: Record<string, string> = {};

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dlnet-recipe-cli-'));
  for (const scale of [2, 3] as const) writeSrModel(path.join(dir, 'models'), { scale, depth: 2, width: 4, K: 3 });
  writeBlurEstimator(path.join(dir, 'models'));
  writeMaskedModel(path.join(dir, 'models'), 'inpaint');
  env = { DLNET_MODELS_DIR: path.join(dir, 'models') };
  const rgb = Buffer.alloc(40 * 30 * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 7 + (i % 11) * 5) % 256;
  const title = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt><rdf:li xml:lang="x-default">Harbour, 1962</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;
  await sharp(rgb, { raw: { width: 40, height: 30, channels: 3 } })
    .withXmp(title)
    .jpeg({ quality: 95 })
    .toFile(path.join(dir, 'harbour.jpg'));
  await mkdir(path.join(dir, 'in'));
  await sharp(rgb, { raw: { width: 40, height: 30, channels: 3 } })
    .png()
    .toFile(path.join(dir, 'in/a.png'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("dlnet info on an upscale output prints its recipe; the input's XMP is kept beside it", async () => {
  const up = await dlnet(
    ['upscale', 'harbour.jpg', '--width', '100', '--blur', '1.3', '--out', 'big.webp', '--backend', 'wasm', '--workers', '1'],
    dir,
    env,
  );
  assert.equal(up.status, 0, up.stderr);
  const info = await dlnet(['info', 'big.webp'], dir);
  assert.equal(info.status, 0, info.stderr);
  const sha3 = (JSON.parse(await readFile(path.join(dir, 'models/sr-x3/model.json'), 'utf8')) as { weights: { sha256: string } })
    .weights.sha256;
  assert.equal(
    info.stdout,
    [
      'big.webp: WEBP, 100 × 75',
      '  task        super-resolution',
      '  scale       ×3 model, then Lanczos-3 to 100 × 75 (asked: 100 px wide)',
      '  blur        u = 1.3',
      '  iterations  K = 3, γ = 0.001',
      `  model       sr-x3, weights sha256 ${sha3}`,
      `  app         DL-Net Studio ${version}`,
      '',
    ].join('\n'),
  );
  const xmp = (await sharp(path.join(dir, 'big.webp')).metadata()).xmp!.toString('utf8');
  assert.match(xmp, /Harbour, 1962/);
  const json = await dlnet(['info', 'big.webp', 'harbour.jpg', '--json'], dir);
  const [made, plain] = json.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { recipe: { iterations?: number } | null });
  assert.equal(made.recipe?.iterations, 3);
  assert.equal(plain.recipe, null);
  const none = await dlnet(['info', 'harbour.jpg'], dir);
  assert.equal(none.status, 0);
  assert.equal(
    none.stdout,
    'harbour.jpg: JPEG, 40 × 30; it carries no DL-Net recipe (its XMP has none: not written by DL-Net Studio, or its metadata was removed).\n',
  );
  const missing = await dlnet(['info', 'nope.png'], dir);
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr, 'dlnet: nope.png does not exist.\n');
});

test('a batch output carries its recipe, and the report lists it', async () => {
  const r = await dlnet(
    [
      'batch',
      'in',
      '--out',
      'out',
      '--scale',
      '2',
      '--iterations',
      '2',
      '--jobs',
      '1',
      '--backend',
      'wasm',
      '--report',
      'r.json',
    ],
    dir,
    env,
  );
  assert.equal(r.status, 0, r.stderr);
  const info = await dlnet(['info', 'out/a.png', '--json'], dir);
  const { recipe } = JSON.parse(info.stdout) as { recipe: Record<string, unknown> };
  assert.deepEqual(
    [
      recipe.task,
      recipe.modelScale,
      recipe.width,
      recipe.height,
      recipe.blur,
      recipe.blurSuggested,
      recipe.iterations,
      recipe.modelId,
    ],
    ['sr', 2, 80, 60, 0, false, 2, 'sr-x2'],
  );
  const report = JSON.parse(await readFile(path.join(dir, 'r.json'), 'utf8')) as { files: { recipe?: unknown }[] };
  assert.deepEqual(report.files[0].recipe, recipe);
});

test('dlnet inpaint writes the hash of its mask into the recipe', async () => {
  const hole = Buffer.alloc(40 * 30);
  for (let y = 8; y < 16; y++) hole.fill(255, y * 40 + 10, y * 40 + 22);
  await sharp(hole, { raw: { width: 40, height: 30, channels: 1 } })
    .png()
    .toFile(path.join(dir, 'hole.png'));
  const r = await dlnet(['inpaint', 'in/a.png', '--mask', 'hole.png', '--out', 'filled.png', '--backend', 'wasm'], dir, env);
  assert.equal(r.status, 0, r.stderr);
  const info = await dlnet(['info', 'filled.png', '--json'], dir);
  const { recipe } = JSON.parse(info.stdout) as { recipe: { task: string; maskSha256: string } };
  assert.equal(recipe.task, 'inpaint');
  assert.equal(recipe.maskSha256, maskSha256({ data: Uint8Array.from(hole, (v) => (v === 255 ? 1 : 0)) }, 'fill'));
});

test('--blur auto: upscale and batch suggest u from each photo, say so, and record it as suggested', async () => {
  const up = await dlnet(
    ['upscale', 'in/a.png', '--scale', '2', '--blur', 'auto', '--out', 'auto.png', '--backend', 'wasm'],
    dir,
    env,
  );
  assert.equal(up.status, 0, up.stderr);
  const said =
    /^a\.png: suggested blur u = ([\d.]+)(?: \(bicubic downscaling\))?, rated by the blur estimator on 1 textured crop$/m.exec(
      up.stderr,
    );
  assert.ok(said, up.stderr);
  const info = await dlnet(['info', 'auto.png', '--json'], dir);
  const { recipe } = JSON.parse(info.stdout) as { recipe: { blur: number; blurSuggested: boolean } };
  assert.deepEqual([recipe.blur, recipe.blurSuggested], [Number(said[1]), true]);
  const batch = await dlnet(
    ['batch', 'in', '--out', 'auto-out', '--scale', '2', '--blur', 'auto', '--jobs', '1', '--backend', 'wasm'],
    dir,
    env,
  );
  assert.equal(batch.status, 0, batch.stderr);
  const batchInfo = await dlnet(['info', 'auto-out/a.png', '--json'], dir);
  const made = (JSON.parse(batchInfo.stdout) as { recipe: { blur: number; blurSuggested: boolean } }).recipe;
  assert.deepEqual([made.blur, made.blurSuggested], [recipe.blur, true]); // the same photo, the same suggestion
  const bad = await dlnet(['upscale', 'in/a.png', '--scale', '2', '--blur', 'sharp'], dir, env);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'dlnet: --blur must be a number from 0 to 3 or auto, not "sharp".\n');
});
