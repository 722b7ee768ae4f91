#!/usr/bin/env node
// Builds Electron's main process (tsc → dist/main, type-checked against the electron package's
// own electron.d.ts) and bundles the preload (vite → dist/preload/index.cjs). The electron npm
// package installs its .d.ts even where its binary cannot be downloaded (npm without install
// scripts, or `npm install --no-save --ignore-scripts electron`); where the package is missing
// altogether, main is still emitted but not type-checked, and this script says so.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const run = (command, args) => execFileSync(command, args, { cwd: root, stdio: 'inherit' });

const typed = existsSync(path.join(root, 'node_modules/electron/electron.d.ts'));
if (!typed) {
  process.stderr.write(
    'build-electron: the electron package is not installed, so src/main is emitted without type-checking (npm install --no-save --ignore-scripts electron adds its types).\n',
  );
}
run(bin('tsc'), ['-p', 'tsconfig.electron.json', ...(typed ? [] : ['--noCheck'])]);
run(bin('tsc'), ['-p', 'tsconfig.tools.json', ...(typed ? [] : ['--noCheck'])]);
run(bin('vite'), ['build', '--config', 'vite.preload.config.ts', '--logLevel', 'warn']);
