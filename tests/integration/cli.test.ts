/**
 * The `dlnet` CLI end to end, run as a child process through tsx (so `npm test` needs no build):
 * bad inputs and flags give one sentence on stderr, a non-zero exit, no output file, and leave
 * the input bytes unchanged.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { dlnet, type CliResult } from '../helpers/cli.js';
import { writeSrModel } from '../helpers/models.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'src/cli/index.ts');
// Absolute, because the CLI runs with the temporary folder as its working directory.
const tsx = import.meta.resolve('tsx');

type Result = CliResult;

let dir = '';
const inputHashes = new Map<string, string>();
const sha = async (file: string): Promise<string> =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dlnet-cli-'));
  const rgb = Buffer.alloc(48 * 40 * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 7) % 256;
  await sharp(rgb, { raw: { width: 48, height: 40, channels: 3 } })
    .png()
    .toFile(path.join(dir, 'in.png'));
  await sharp(Buffer.alloc(8 * 8, 255), { raw: { width: 8, height: 8, channels: 1 } })
    .png()
    .toFile(path.join(dir, 'small-mask.png'));
  const good = await readFile(path.join(dir, 'in.png'));
  await writeFile(path.join(dir, 'corrupt.png'), good.subarray(0, Math.floor(good.length / 2)));
  await writeFile(path.join(dir, 'zero.png'), Buffer.alloc(0));
  await writeFile(path.join(dir, 'notes.png'), 'These are my holiday notes, not a picture.\n');
  for (const name of await readdir(dir)) inputHashes.set(name, await sha(path.join(dir, name)));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** One `dlnet: ...` line on stderr, no stack trace, the exit code, no output, inputs intact. */
async function expectFailure(result: Result, code: number, pattern: RegExp, outputs: string[] = []): Promise<void> {
  assert.equal(result.status, code, `exit code (stderr: ${result.stderr})`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0], /^dlnet: [^\n]+[.)]$/);
  assert.match(lines[0], pattern);
  assert.ok(!/^\s+at /m.test(result.stderr), 'no stack trace');
  for (const output of outputs) assert.ok(!existsSync(path.join(dir, output)), `${output} must not exist`);
  const leftovers = (await readdir(dir)).filter((f) => f.endsWith('.tmp'));
  assert.deepEqual(leftovers, [], 'no temporary files left');
  for (const [name, hash] of inputHashes) assert.equal(await sha(path.join(dir, name)), hash, `${name} unchanged`);
}

test('a corrupt (truncated) file', async () => {
  const r = await dlnet(['degrade', 'corrupt.png', '--out', 'out.png', '--task', 'sr', '--scale', '2'], dir);
  await expectFailure(r, 1, /^dlnet: corrupt\.png is corrupt or truncated/, ['out.png']);
});

test('a zero-byte file', async () => {
  const r = await dlnet(['degrade', 'zero.png', '--out', 'out.png', '--task', 'sr', '--scale', '2'], dir);
  await expectFailure(r, 1, /^dlnet: zero\.png is empty \(0 bytes\)\.$/, ['out.png']);
});

test('a text file named .png', async () => {
  const r = await dlnet(['degrade', 'notes.png', '--out', 'out.png', '--task', 'inpaint', '--hole', '4'], dir);
  await expectFailure(r, 1, /^dlnet: notes\.png is a text file, not an image\.$/, ['out.png']);
});

test('a missing input file', async () => {
  const r = await dlnet(['degrade', 'nope.png', '--out', 'out.png', '--task', 'sr', '--scale', '2'], dir);
  await expectFailure(r, 1, /^dlnet: nope\.png does not exist\.$/, ['out.png']);
});

test('--scale 5', async () => {
  const r = await dlnet(['upscale', 'in.png', '--scale', '5'], dir);
  await expectFailure(r, 2, /^dlnet: --scale must be a number above 1 and at most 4, not 5\.$/, ['in.x5.png']);
});

test('--blur -1', async () => {
  const r = await dlnet(['degrade', 'in.png', '--out', 'out.png', '--task', 'sr', '--scale', '2', '--blur', '-1'], dir);
  await expectFailure(r, 2, /^dlnet: --blur must be a number from 0 to 3, not -1\.$/, ['out.png']);
});

test('--iterations 0', async () => {
  const r = await dlnet(['upscale', 'in.png', '--scale', '2', '--iterations', '0'], dir);
  await expectFailure(r, 2, /^dlnet: --iterations must be a whole number from 1 to 50, not 0\.$/, ['in.x2.png']);
});

test('--workers 0, for upscaling and for interpolation alike', async () => {
  const up = await dlnet(['upscale', 'in.png', '--scale', '2', '--workers', '0'], dir);
  await expectFailure(up, 2, /^dlnet: --workers must be a whole number from 1 to 64, not 0\.$/, ['in.x2.png']);
  const fill = await dlnet(['interpolate', 'in.png', '--alpha', '--workers', '2.5'], dir);
  await expectFailure(fill, 2, /^dlnet: --workers must be a whole number from 1 to 64, not 2\.5\.$/, ['in.interpolated.png']);
});

test('--missing above 75 %', async () => {
  const r = await dlnet(['degrade', 'in.png', '--out', 'out.png', '--task', 'interpolate', '--missing', '80%'], dir);
  await expectFailure(r, 2, /^dlnet: --missing must be a fraction from 0 to 0\.75 or a percentage from 0% to 75%, not "80%"\.$/, [
    'out.png',
  ]);
});

test('a mask of the wrong size names both sizes', async () => {
  const r = await dlnet(['inpaint', 'in.png', '--mask', 'small-mask.png', '--out', 'filled.png'], dir);
  await expectFailure(
    r,
    1,
    /^dlnet: The mask small-mask\.png is 8 × 8 pixels but the image is 48 × 40; they must be the same size\.$/,
    ['filled.png'],
  );
});

test('a missing model', async () => {
  const r = await dlnet(['upscale', 'in.png', '--scale', '3', '--model', 'no-such-model'], dir);
  await expectFailure(r, 1, /^dlnet: No model with id "no-such-model" is installed; installed: .*\.$/, ['in.x3.png']);
});

test('unknown options and conflicting flags are usage errors (exit 2)', async () => {
  await expectFailure(
    await dlnet(['upscale', 'in.png', '--scale', '2', '--colour'], dir),
    2,
    /^dlnet: unknown option '--colour'\.$/,
  );
  await expectFailure(
    await dlnet(['interpolate', 'in.png', '--mask', 'small-mask.png', '--alpha'], dir),
    2,
    /^dlnet: interpolate needs exactly one of --mask <png> or --alpha\.$/,
    ['in.interpolated.png'],
  );
  await expectFailure(
    await dlnet(['degrade', 'in.png', '--out', 'out.png', '--task', 'sr', '--scale', '2', '--hole', '3'], dir),
    2,
    /^dlnet: --hole does not apply to --task sr\.$/,
    ['out.png'],
  );
  await expectFailure(await dlnet(['upscale', 'in.png', '--scale', '2', '--out', 'in.png'], dir), 2, /is an input file/);
});

test('degrade writes the exact LR size and the mask; a second run refuses to overwrite', async () => {
  const sr = await dlnet(['degrade', 'in.png', '--out', 'lr.png', '--task', 'sr', '--scale', '3', '--blur', '1.3'], dir);
  assert.equal(sr.status, 0, sr.stderr);
  const meta = await sharp(path.join(dir, 'lr.png')).metadata();
  assert.deepEqual([meta.width, meta.height], [16, 13]); // 48×40 cropped to 48×39, then /3
  const before = await sha(path.join(dir, 'lr.png'));
  const again = await dlnet(['degrade', 'in.png', '--out', 'lr.png', '--task', 'sr', '--scale', '2'], dir);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /^dlnet: lr\.png already exists; dlnet does not overwrite files, so choose another --out\.\n$/);
  assert.equal(await sha(path.join(dir, 'lr.png')), before);

  const hole = await dlnet(
    [
      'degrade',
      'in.png',
      '--out',
      'holed.png',
      '--task',
      'inpaint',
      '--hole',
      '10',
      '--shift',
      '3',
      '--seed',
      '7',
      '--mask-out',
      'hole.png',
    ],
    dir,
  );
  assert.equal(hole.status, 0, hole.stderr);
  assert.equal((await sharp(path.join(dir, 'hole.png')).metadata()).channels, 1);
  const mask = await sharp(path.join(dir, 'hole.png')).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  assert.equal([...mask.data].filter((v) => v === 255).length, 100); // a 10×10 white square
  // the mask already exists now: the whole run fails and writes neither file
  const clash = await dlnet(
    ['degrade', 'in.png', '--out', 'holed2.png', '--task', 'inpaint', '--hole', '10', '--mask-out', 'hole.png'],
    dir,
  );
  await expectFailure(clash, 1, /hole\.png already exists/, ['holed2.png']);
  for (const f of ['lr.png', 'holed.png', 'hole.png']) await rm(path.join(dir, f));
});

test('eval --method bicubic prints a table and JSON', async () => {
  const data = path.join(dir, 'evalset');
  await mkdir(data);
  const rgb = Buffer.alloc(36 * 36 * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = Math.round(128 + 100 * Math.sin(i / 17));
  await sharp(rgb, { raw: { width: 36, height: 36, channels: 3 } })
    .png()
    .toFile(path.join(data, 'a.png'));
  const table = await dlnet(
    ['eval', '--task', 'sr', '--method', 'bicubic', '--data', data, '--scales', '2,3', '--blurs', '0,1.3'],
    dir,
  );
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /u=0\s+u=1\.3/);
  assert.match(table.stdout, /x2\s+\d+\.\d\d\s+\d+\.\d\d/);
  const json = await dlnet(
    ['eval', '--task', 'sr', '--method', 'bicubic', '--data', data, '--scales', '2', '--blurs', '0', '--json'],
    dir,
  );
  assert.equal(json.status, 0, json.stderr);
  const parsed = JSON.parse(json.stdout) as { psnr: Record<string, Record<string, number>>; images: string[] };
  assert.deepEqual(parsed.images, ['a.png']);
  assert.ok(parsed.psnr['2']['0'] > 15 && parsed.psnr['2']['0'] < 100);
  await rm(data, { recursive: true });
});

test('every subcommand has --help', async () => {
  for (const command of ['upscale', 'inpaint', 'interpolate', 'degrade', 'eval']) {
    const r = await dlnet([command, '--help'], dir);
    assert.equal(r.status, 0, command);
    assert.match(r.stdout, new RegExp(`^Usage: dlnet ${command} `));
    assert.equal(r.stderr, '');
  }
});

test('an output whose folder does not exist is refused before any work: one line, no backend, no iterations', async () => {
  const models = path.join(dir, 'models-for-out');
  writeSrModel(models, { scale: 2, depth: 2, width: 4, K: 3 });
  const env = { DLNET_MODELS_DIR: models };
  const upscale = await dlnet(['upscale', 'in.png', '--scale', '2', '--out', 'no/such/dir/o.png'], dir, env);
  await expectFailure(upscale, 1, /^dlnet: The folder .*no\/such\/dir does not exist\.$/);
  const batch = await dlnet(['batch', '.', '--out', 'in.png/results', '--scale', '2'], dir, env);
  await expectFailure(batch, 2, /in\.png is a file, not a folder, so nothing can be written in .*results\.$/);
  await rm(models, { recursive: true, force: true });
});

test('upscale with a (tiny, random) model: size, alpha, orientation, iterations, batch continues past a bad file', async () => {
  const work = path.join(dir, 'upscale');
  await mkdir(work);
  writeSrModel(path.join(work, 'models'), { scale: 2, depth: 2, width: 4, K: 3 });
  const rgba = Buffer.alloc(20 * 12 * 4);
  for (let i = 0; i < rgba.length; i++) rgba[i] = (i * 11) % 256;
  await sharp(rgba, { raw: { width: 20, height: 12, channels: 4 } })
    .withMetadata({ orientation: 6 })
    .png()
    .toFile(path.join(work, 'photo.png'));
  await writeFile(path.join(work, 'broken.png'), Buffer.alloc(0));
  const env = { DLNET_MODELS_DIR: path.join(work, 'models') };
  const r = await dlnet(
    ['upscale', 'photo.png', 'broken.png', '--scale', '2', '--out', 'out', '--save-iterations', 'its', '--backend', 'wasm'],
    work,
    env,
  );
  assert.equal(r.status, 1, r.stderr); // one file failed
  assert.match(r.stderr, /^dlnet: broken\.png is empty \(0 bytes\)\.$/m);
  assert.match(r.stderr, /^backend: wasm /m);
  const meta = await sharp(path.join(work, 'out/photo.x2.png')).metadata();
  assert.deepEqual([meta.width, meta.height, meta.channels, meta.orientation ?? 1], [24, 40, 4, 1]); // upright 12×20, ×2
  assert.deepEqual((await readdir(path.join(work, 'its'))).sort(), ['photo.x2.k1.png', 'photo.x2.k2.png', 'photo.x2.k3.png']);
  assert.deepEqual(await readdir(path.join(work, 'out')), ['photo.x2.png']);
  // refuses to overwrite on a second run, writes nothing new
  const again = await dlnet(['upscale', 'photo.png', '--scale', '2', '--out', 'out'], work, env);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /^dlnet: photo\.x2\.png already exists/);
  await rm(work, { recursive: true });
});

test('Ctrl-C during a tiled upscale exits 130 and leaves no output', async () => {
  const work = path.join(dir, 'cancel');
  await mkdir(work);
  writeSrModel(path.join(work, 'models'), { scale: 2, depth: 2, width: 4, K: 5 });
  // 900×900 is several engine tiles; cancellation takes effect between tiles.
  const rgb = Buffer.alloc(900 * 900 * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * 13) % 256;
  await sharp(rgb, { raw: { width: 900, height: 900, channels: 3 } })
    .png()
    .toFile(path.join(work, 'big.png'));
  const temp = path.join(dir, 'cancel-tmp');
  await mkdir(temp);
  const child = spawn(
    process.execPath,
    ['--import', tsx, cli, 'upscale', 'big.png', '--scale', '2', '--save-iterations', 'its'],
    {
      cwd: work,
      env: { ...process.env, DLNET_DEBUG: '', DLNET_MODELS_DIR: path.join(work, 'models'), TMPDIR: temp },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (/tile 1\//.test(stderr) && child.exitCode === null && !child.killed) child.kill('SIGINT');
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(status, 130, stderr);
  assert.match(stderr, /^dlnet: Cancelled; no output was written for the unfinished work\.$/m);
  assert.ok(!/^\s+at /m.test(stderr));
  assert.deepEqual((await readdir(work)).sort(), ['big.png', 'models']); // no output, no temporary file
  const ours = async (folder: string) => (await readdir(folder)).filter((f) => f.startsWith('dlnet-')); // tsx caches there too
  assert.deepEqual(await ours(temp), [], 'the streamed iterations were removed');
  await rm(work, { recursive: true });
  await rm(temp, { recursive: true });
});

test('upscale --save-iterations on a photo of several bands writes x̂_1..x̂_K at full size; x̂_K equals the output', async () => {
  const work = path.join(dir, 'iterations');
  await mkdir(work);
  const temp = path.join(work, 'tmp');
  await mkdir(temp);
  writeSrModel(path.join(work, 'models'), { scale: 2, depth: 2, width: 4, K: 3 });
  // 600 LR rows: three bands of the engine (256 rows each at most); colour with alpha.
  const [w, h] = [160, 600];
  const rgba = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 4;
      rgba[o] = Math.round(128 + 100 * Math.sin(x * 0.21 + y * 0.05));
      rgba[o + 1] = Math.round(128 + 90 * Math.cos(y * 0.13 - x * 0.07));
      rgba[o + 2] = (x * 3 + y * 5) % 256;
      rgba[o + 3] = 200 + ((x + y) % 56);
    }
  await sharp(rgba, { raw: { width: w, height: h, channels: 4 } })
    .png()
    .toFile(path.join(work, 'tall.png'));
  const env = { DLNET_MODELS_DIR: path.join(work, 'models'), TMPDIR: temp };
  const r = await dlnet(['upscale', 'tall.png', '--scale', '2', '--save-iterations', 'its', '--backend', 'wasm'], work, env);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual((await readdir(path.join(work, 'its'))).sort(), ['tall.x2.k1.png', 'tall.x2.k2.png', 'tall.x2.k3.png']);
  const pixels = async (file: string) => {
    const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    return { data, size: [info.width, info.height, info.channels] };
  };
  const output = await pixels(path.join(work, 'tall.x2.png'));
  assert.deepEqual(output.size, [320, 1200, 4]);
  const frames = [];
  for (const k of [1, 2, 3]) frames.push(await pixels(path.join(work, 'its', `tall.x2.k${k}.png`)));
  for (const f of frames) assert.deepEqual(f.size, output.size);
  assert.ok(frames[2].data.equals(output.data), 'x̂_K equals the output pixel for pixel');
  assert.ok(!frames[0].data.equals(output.data), 'x̂_1 is an earlier estimate');
  assert.deepEqual(
    (await readdir(temp)).filter((f) => f.startsWith('dlnet-')),
    [],
    'no temporary files left',
  );
  await rm(work, { recursive: true });
});

test('dlnet models lists the installed models, also as JSON', async () => {
  const { spawnSync } = await import('node:child_process');
  const run = (args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'models', ...args], { encoding: 'utf8' });
  const json = JSON.parse(run(['--json']).stdout) as { id: string; shipped: boolean }[];
  for (const id of ['sr-x2', 'sr-x3', 'sr-x4', 'inpaint', 'interpolate']) {
    assert.ok(
      json.some((m) => m.id === id && m.shipped),
      `${id} is not listed as shipped`,
    );
  }
  assert.match(run([]).stdout, /sr-x3\s+super-resolution ×3\s+DL-Net shipped/);
});

test('a reader that closes the pipe early (dlnet models | head) ends the CLI quietly, without a stack trace', async () => {
  const child = spawn(process.execPath, ['--import', tsx, cli, 'models'], {
    cwd: dir,
    env: { ...process.env, DLNET_DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.destroy(); // closed before the CLI writes its first line: every write meets EPIPE
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.equal(stderr, '');
  assert.equal(status, 0);
});
