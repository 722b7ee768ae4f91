#!/usr/bin/env node
// `npm install`'s postinstall (and `npm run electron:download`): downloads the Electron binary by
// running the electron package's own install script. package.json's `allowScripts` keeps npm
// (11.16 and later) from running that script itself, because a failed download there fails the
// whole `npm install`; here a failure is one line and the install goes on: `npm start` then opens
// the app in the browser through `dlnet serve`. With --strict (electron:download), a failure exits 1.
// ELECTRON_SKIP_BINARY_DOWNLOAD=1 skips the download, as it does for the electron package.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const strict = process.argv.includes('--strict');
const say = (line) => process.stderr.write(`electron: ${line}\n`);

if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
  say('ELECTRON_SKIP_BINARY_DOWNLOAD is set, so the binary is not downloaded; `npm start` opens the app in the browser.');
  process.exit(0);
}

let dir;
try {
  dir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
} catch {
  // Not installed (a production install, `npm install --omit=dev`): nothing to download.
  if (strict) say('the electron package is not installed (it is a devDependency: run `npm install`).');
  process.exit(strict ? 1 : 0);
}

// install.js exits at once when the binary of this version is already there.
const result = spawnSync(process.execPath, [path.join(dir, 'install.js')], {
  cwd: dir,
  encoding: 'utf8',
  stdio: ['ignore', 'inherit', 'pipe'],
  timeout: 15 * 60_000,
});
if (result.status === 0) process.exit(0);

const why =
  result.error?.message ??
  (result.stderr ?? '')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0 && !l.startsWith('at ')) ??
  `exit code ${result.status}`;
say(
  `the Electron binary could not be downloaded (${why}); \`npm start\` opens the app in your browser instead. ` +
    'Retry with `npm run electron:download`.',
);
process.exit(strict ? 1 : 0);
