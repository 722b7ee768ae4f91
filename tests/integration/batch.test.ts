/**
 * `dlnet batch` end to end, run as a child process through tsx (worker threads included), on
 * generated folders with a tiny random ×2 model: a mixed folder (formats, depths, grey, alpha,
 * EXIF rotation, nesting, a unicode name, bad files, a read-only output folder), dry runs, usage
 * errors, a same-folder run resumed with --skip-existing, kill -9 then resume, and Ctrl-C.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { writeSrModel } from '../helpers/models.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'src/cli/index.ts');
const tsx = import.meta.resolve('tsx');

let dir = '';
let env: Record<string, string> = {};
const cleanups: (() => Promise<void>)[] = [];

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[], cwd = dir): ChildProcess {
  return spawn(process.execPath, ['--import', tsx, cli, ...args], {
    cwd,
    env: { ...process.env, DLNET_DEBUG: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function collect(child: ChildProcess, onStderr?: (all: string) => void): Promise<Result> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      onStderr?.(stderr);
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const dlnet = (args: string[], cwd = dir): Promise<Result> => collect(start(args, cwd));

const sha = async (file: string): Promise<string> =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

/** Every file under `top` (hidden ones included), relative, sorted. */
async function listAll(top: string): Promise<string[]> {
  if (!existsSync(top)) return [];
  const entries = await readdir(top, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(top, path.join(e.parentPath, e.name)))
    .sort();
}

async function hashes(top: string): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const rel of await listAll(top)) map.set(rel, await sha(path.join(top, rel)));
  return map;
}

function pattern(width: number, height: number, channels: number, seed = 7): Buffer {
  const data = Buffer.alloc(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * seed + (i >> 5) * 31) % 256;
  return data;
}

function rgb(width: number, height: number, seed = 7): sharp.Sharp {
  return sharp(pattern(width, height, 3, seed), { raw: { width, height, channels: 3 } });
}

function words(width: number, height: number, channels: number): Uint16Array {
  const w = new Uint16Array(width * height * channels);
  for (let i = 0; i < w.length; i++) w[i] = (i * 2749) % 65536;
  return w;
}

/** Makes `folder` unwritable (chmod; as root, where chmod does not stop writes, chattr +i); null if impossible. */
async function makeReadOnly(folder: string): Promise<(() => Promise<void>) | null> {
  const probe = path.join(folder, '.probe');
  const writable = async (): Promise<boolean> => {
    try {
      await writeFile(probe, '');
      await rm(probe);
      return true;
    } catch {
      return false;
    }
  };
  await chmod(folder, 0o555);
  if (!(await writable())) return () => chmod(folder, 0o755);
  if (spawnSync('chattr', ['+i', folder]).status === 0 && !(await writable())) {
    return async () => {
      spawnSync('chattr', ['-i', folder]);
      await chmod(folder, 0o755);
    };
  }
  await chmod(folder, 0o755);
  return null;
}

/** Fully decodes an image file (a truncated one throws) and returns its metadata. */
async function decode(file: string): Promise<sharp.Metadata> {
  await sharp(file, { failOn: 'truncated' }).raw().toBuffer();
  return sharp(file).metadata();
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dlnet-batch-'));
  writeSrModel(path.join(dir, 'models'), { scale: 2, depth: 2, width: 4, K: 2 });
  env = { DLNET_MODELS_DIR: path.join(dir, 'models') };
});

after(async () => {
  for (const cleanup of cleanups) await cleanup();
  await rm(dir, { recursive: true, force: true });
});

const UNICODE = 'Ünïcødé 写真 ✓.png';

/** name → expected [width, height, channels, depth, format] of the ×2 output. */
const EXPECTED: Record<string, [number, number, number, string, string]> = {
  'photo.jpg': [32, 48, 3, 'uchar', 'jpeg'], // 24×16 with EXIF orientation 6: upright 16×24
  'alpha.png': [40, 24, 4, 'uchar', 'png'],
  'pic.webp': [32, 32, 3, 'uchar', 'webp'],
  'deep16.tif': [36, 28, 3, 'ushort', 'tiff'],
  'grey.png': [30, 26, 1, 'uchar', 'png'],
  'grey16.png': [24, 20, 1, 'ushort', 'png'],
  [path.join('sub', 'deeper', 'nested.png')]: [28, 28, 3, 'uchar', 'png'],
  [path.join('sub', UNICODE)]: [20, 20, 3, 'uchar', 'png'],
};

async function makeMixedFolder(input: string): Promise<void> {
  await mkdir(path.join(input, 'sub', 'deeper'), { recursive: true });
  await mkdir(path.join(input, 'locked'), { recursive: true });
  await rgb(24, 16).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toFile(path.join(input, 'photo.jpg'));
  await sharp(pattern(20, 12, 4), { raw: { width: 20, height: 12, channels: 4 } })
    .png()
    .toFile(path.join(input, 'alpha.png'));
  await rgb(16, 16).webp({ quality: 90 }).toFile(path.join(input, 'pic.webp'));
  await sharp(words(18, 14, 3), { raw: { width: 18, height: 14, channels: 3 } })
    .toColourspace('rgb16')
    .tiff({ compression: 'deflate' }) // sharp's default (JPEG) compression would make it 8-bit
    .toFile(path.join(input, 'deep16.tif'));
  await sharp(pattern(15, 13, 1), { raw: { width: 15, height: 13, channels: 1 } })
    .toColourspace('b-w')
    .png()
    .toFile(path.join(input, 'grey.png'));
  await sharp(words(12, 10, 1), { raw: { width: 12, height: 10, channels: 1 } })
    .toColourspace('grey16')
    .png()
    .toFile(path.join(input, 'grey16.png'));
  await rgb(14, 14)
    .png()
    .toFile(path.join(input, 'sub', 'deeper', 'nested.png'));
  await rgb(10, 10)
    .png()
    .toFile(path.join(input, 'sub', UNICODE));
  await rgb(10, 10)
    .png()
    .toFile(path.join(input, 'locked', 'inside.png'));
  const jpeg = await rgb(32, 32).jpeg().toBuffer();
  for (let i = 200; i < jpeg.length - 2; i++) jpeg[i] = (i * 31) & 255; // scrambled entropy data and tables
  await writeFile(path.join(input, 'sub', 'corrupt.jpg'), jpeg);
  await writeFile(path.join(input, 'empty.png'), Buffer.alloc(0));
  await writeFile(path.join(input, 'notes.jpg'), 'Shopping list, not a photo.\n');
  await writeFile(path.join(input, 'readme.txt'), 'Photos from the summer.\n');
}

test('a mixed folder: every valid image processed, every bad file named in one sentence, inputs unchanged', async () => {
  const input = path.join(dir, 'mixed');
  const out = path.join(dir, 'mixed-out');
  await makeMixedFolder(input);
  await mkdir(path.join(out, 'locked'), { recursive: true });
  const unlock = await makeReadOnly(path.join(out, 'locked'));
  if (unlock) cleanups.push(unlock);
  const before = await hashes(input);

  const r = await dlnet([
    'batch',
    'mixed',
    '--out',
    'mixed-out',
    '--scale',
    '2',
    '--recursive',
    '--jobs',
    '2',
    '--report',
    'mixed.json',
  ]);
  assert.equal(r.status, 1, r.stderr);
  assert.ok(!/^\s+at /m.test(r.stderr), 'no stack trace');

  // every bad file: one `dlnet:` line naming it, one sentence
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('dlnet: ') && !l.startsWith('dlnet: warning:'));
  for (const line of errors) assert.match(line, /^dlnet: [^\n]+[.)]$/);
  const expectedErrors = [
    /^dlnet: sub\/corrupt\.jpg is corrupt or truncated and cannot be decoded/,
    /^dlnet: empty\.png is empty \(0 bytes\)\.$/,
    /^dlnet: notes\.jpg is a text file, not an image\.$/,
    ...(unlock ? [/^dlnet: locked\/inside\.png: Cannot write into .*locked \(permission denied\)\.$/] : []),
  ];
  for (const expected of expectedErrors)
    assert.ok(
      errors.some((l) => expected.test(l)),
      `${expected} in:\n${r.stderr}`,
    );
  assert.equal(errors.length, expectedErrors.length, r.stderr);
  assert.match(r.stderr, /^skipped: readme\.txt is not an image file \(by its name\), so it was skipped\.$/m);
  const done = unlock ? 8 : 9; // without a way to make a folder read-only here, locked/inside.png succeeds
  assert.match(r.stderr, new RegExp(`^batch: ${done} done, 1 skipped, ${expectedErrors.length} failed in `, 'm'));

  // every valid image: the ×2 output, decodable, same channels and depth, upright, in the same place
  for (const [rel, [width, height, channels, depth, format]] of Object.entries(EXPECTED)) {
    const meta = await decode(path.join(out, rel));
    assert.deepEqual(
      [meta.width, meta.height, meta.channels, meta.depth, meta.format],
      [width, height, channels, depth, format],
      rel,
    );
  }
  const photo = await sharp(path.join(out, 'photo.jpg')).metadata();
  assert.ok(photo.exif !== undefined, 'EXIF carried to the output');
  assert.equal(photo.orientation ?? 1, 1, 'orientation reset: pixels are upright');
  const written = (await listAll(out)).filter((f) => f !== path.join('locked', '.probe'));
  const outputs = [...Object.keys(EXPECTED), ...(unlock ? [] : [path.join('locked', 'inside.png')])].sort();
  assert.deepEqual(written, outputs, 'exactly the outputs: no temporaries, nothing for bad files');

  // the inputs are untouched
  assert.deepEqual(await hashes(input), before);

  // the report
  const report = JSON.parse(await readFile(path.join(dir, 'mixed.json'), 'utf8')) as {
    tool: string;
    summary: { done: number; skipped: number; failed: number; seconds: number; imagesPerSecond: number };
    files: { input: string; output?: string; status: string; reason?: string; timings?: { totalMs: number } }[];
  };
  assert.equal(report.tool, 'dlnet batch');
  assert.deepEqual([report.summary.done, report.summary.skipped, report.summary.failed], [done, 1, expectedErrors.length]);
  assert.ok(report.summary.seconds > 0 && report.summary.imagesPerSecond > 0);
  const status = Object.fromEntries(report.files.map((f) => [f.input, f.status]));
  for (const rel of Object.keys(EXPECTED)) assert.equal(status[rel], 'done', rel);
  for (const rel of [path.join('sub', 'corrupt.jpg'), 'empty.png', 'notes.jpg']) assert.equal(status[rel], 'failed', rel);
  assert.equal(status['readme.txt'], 'skipped');
  assert.equal(status[path.join('locked', 'inside.png')], unlock ? 'failed' : 'done');
  for (const f of report.files) {
    if (f.status === 'done') assert.ok(f.timings !== undefined && f.timings.totalMs > 0, f.input);
    else assert.match(f.reason ?? '', /^[^\n]+[.)]$/, f.input);
  }

  // a dry run writes nothing and lists the plan on stdout
  const dry = await dlnet([
    'batch',
    'mixed',
    '--out',
    'dry-out',
    '--scale',
    '2',
    '--recursive',
    '--dry-run',
    '--report',
    'dry.json',
  ]);
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /^process {2}photo\.jpg → photo\.jpg$/m);
  assert.match(dry.stdout, /^skip {5}readme\.txt: readme\.txt is not an image file/m);
  assert.ok(!existsSync(path.join(dir, 'dry-out')) && !existsSync(path.join(dir, 'dry.json')), 'a dry run writes nothing');
  assert.deepEqual(await hashes(input), before);
});

test('usage errors: output folder in the input folder without a suffix, bad --jobs, --format, --suffix', async () => {
  const input = path.join(dir, 'usage');
  await mkdir(input, { recursive: true });
  await rgb(8, 8).png().toFile(path.join(input, 'a.png'));
  const cases: [string[], RegExp][] = [
    [['--out', 'usage'], /^dlnet: --out usage is the input folder or inside it; add a suffix \(e\.g\. --suffix \.x2\)/],
    [['--out', 'usage/x2'], /^dlnet: --out usage\/x2 is the input folder or inside it/],
    [['--out', 'u-out', '--jobs', '0'], /^dlnet: --jobs must be a whole number from 1 to 256, not "0"\.$/],
    [['--out', 'u-out', '--format', 'gif'], /^dlnet: --format must be keep, png, jpeg, webp or tiff, not "gif"\.$/],
    [['--out', 'u-out', '--suffix', 'a/b'], /^dlnet: --suffix: The suffix "a\/b" contains a character/],
    [['--out', 'u-out', '--scale', '5'], /^dlnet: --scale must be a number above 1 and at most 4, not 5\.$/],
  ];
  for (const [flags, message] of cases) {
    const r = await dlnet(['batch', 'usage', '--scale', '2', ...flags]);
    assert.equal(r.status, 2, `${flags.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    assert.match(r.stderr.trimEnd(), message);
  }
  const help = await dlnet(['batch', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: dlnet batch \[options\] <in-dir>/);
  for (const flag of [
    '--out',
    '--scale',
    '--blur',
    '--recursive',
    '--format',
    '--quality',
    '--suffix',
    '--jobs',
    '--dry-run',
    '--skip-existing',
    '--report',
  ]) {
    assert.ok(help.stdout.includes(flag), flag);
  }
  const missing = await dlnet(['batch', 'no-such-folder', '--out', 'u-out', '--scale', '2']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^dlnet: The input folder .*no-such-folder does not exist\.\n$/);
  assert.deepEqual(await listAll(input), ['a.png']);
  assert.ok(!existsSync(path.join(dir, 'u-out')));
});

test('same folder with a suffix; the rerun with --skip-existing skips outputs and never takes them for inputs', async () => {
  const input = path.join(dir, 'same');
  await mkdir(input, { recursive: true });
  await rgb(12, 10).png().toFile(path.join(input, 'a.png'));
  await rgb(10, 12, 3).jpeg().toFile(path.join(input, 'b.jpg'));
  const first = await dlnet(['batch', 'same', '--out', 'same', '--suffix', '.x2', '--scale', '2', '--jobs', '1']);
  assert.equal(first.status, 0, first.stderr);
  assert.deepEqual(await listAll(input), ['a.png', 'a.x2.png', 'b.jpg', 'b.x2.jpg']);
  const written = await hashes(input);
  const again = await dlnet(['batch', 'same', '--out', 'same', '--suffix', '.x2', '--scale', '2', '--skip-existing']);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /^batch: 2 outputs already existed and were skipped\.$/m);
  assert.match(again.stderr, /^batch: 0 done, 4 skipped, 0 failed/m);
  assert.deepEqual(await hashes(input), written);
  const clash = await dlnet(['batch', 'same', '--out', 'same', '--suffix', '.x2', '--scale', '2']);
  assert.equal(clash.status, 1);
  assert.match(clash.stderr, /^dlnet: a\.x2\.png already exists and dlnet never overwrites files\.$/m);
  assert.match(clash.stderr, /rerun with --skip-existing/);
  assert.deepEqual(await hashes(input), written);
});

test('kill -9 mid-batch leaves only complete outputs; the same command with --skip-existing completes the rest', async () => {
  const input = path.join(dir, 'many');
  const out = path.join(dir, 'many-out');
  await mkdir(input, { recursive: true });
  const names: string[] = [];
  for (let i = 0; i < 10; i++) {
    const name = `img${String(i).padStart(2, '0')}.png`;
    names.push(name);
    await rgb(96, 80, 3 + 2 * i)
      .png()
      .toFile(path.join(input, name));
  }
  const args = ['batch', 'many', '--out', 'many-out', '--scale', '2', '--jobs', '2'];
  const child = start(args);
  const killed = collect(child, (stderr) => {
    if (/^\[\d+\/10\] /m.test(stderr) && child.exitCode === null && !child.killed) child.kill('SIGKILL');
  });
  const r = await killed;
  assert.equal(r.status, null, `killed (stderr: ${r.stderr})`);
  const partial = (await listAll(out)).filter((f) => !f.startsWith('.'));
  assert.ok(partial.length >= 1 && partial.length < 10, `some outputs, not all: ${partial.join(', ')}`);
  const survivors = new Map<string, string>();
  for (const f of partial) {
    const meta = await decode(path.join(out, f));
    assert.deepEqual([meta.width, meta.height], [192, 160], `${f} is complete`);
    survivors.set(f, await sha(path.join(out, f)));
  }
  // a temporary of a dead run (any run's temporaries are hidden and recognisable)
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  await writeFile(path.join(out, `.img09.png.dlnet-tmp-${dead}`), 'half an image');

  const resumed = await dlnet([...args, '--skip-existing']);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /^batch: removed \d+ temporary files? left by an interrupted run\.$/m);
  assert.deepEqual(await listAll(out), names, 'every output once, no temporaries');
  for (const name of names) {
    const meta = await decode(path.join(out, name));
    assert.deepEqual([meta.width, meta.height], [192, 160], name);
  }
  for (const [f, hash] of survivors) assert.equal(await sha(path.join(out, f)), hash, `${f} was not rewritten`);
});

test('Ctrl-C stops the batch, exits 130 and leaves no temporaries or partial outputs', async () => {
  const input = path.join(dir, 'big');
  const out = path.join(dir, 'big-out');
  await mkdir(input, { recursive: true });
  for (let i = 0; i < 3; i++) {
    await rgb(640, 600, 5 + i)
      .png({ compressionLevel: 1 })
      .toFile(path.join(input, `big${i}.png`));
  }
  const child = start(['batch', 'big', '--out', 'big-out', '--scale', '2', '--jobs', '2']);
  // Ctrl-C as soon as the workers are up and computing. How fast the batch stops (≤ 1 s) is
  // `dlnet bench`'s cancel_ms_batch, on a quiet machine; here a 30 s watchdog only catches a batch
  // that ignores Ctrl-C (it is then killed, and the exit status is not 130).
  let signalled = false;
  let watchdog: NodeJS.Timeout | undefined;
  const r = await collect(child, (stderr) => {
    if (!signalled && /^backend: /m.test(stderr)) {
      signalled = true;
      child.kill('SIGINT');
      watchdog = setTimeout(() => child.kill('SIGKILL'), 30_000);
    }
  });
  clearTimeout(watchdog);
  assert.ok(signalled, `the batch started (stderr: ${r.stderr})`);
  assert.equal(r.status, 130, r.stderr);
  const outputs = await listAll(out);
  assert.ok(outputs.length < 3, `stopped before the end (outputs: ${outputs.join(', ')})`);
  assert.match(r.stderr, /^dlnet: Cancelled; no output was written for the unfinished work\.$/m);
  assert.ok(!/^\s+at /m.test(r.stderr));
  for (const f of await listAll(out)) {
    assert.ok(!f.split(path.sep).some((part) => part.startsWith('.')), `no temporary: ${f}`);
    const meta = await decode(path.join(out, f));
    assert.deepEqual([meta.width, meta.height], [1280, 1200]);
  }
});
