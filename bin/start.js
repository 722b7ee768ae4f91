#!/usr/bin/env node
// `npm start`: the desktop app when Electron (package and binary) is installed; otherwise the same
// UI in a browser through `dlnet serve`, with the reason in one sentence.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = new URL('..', import.meta.url);
const built = (file) => existsSync(new URL(file, root));

function electronBinary() {
  let binary;
  try {
    binary = require('electron'); // the package's index.js returns the binary's path, or throws
  } catch (error) {
    const missing = error && error.code === 'MODULE_NOT_FOUND';
    return {
      reason: missing
        ? 'the electron package is not installed'
        : 'the Electron binary was not downloaded (`npm run electron:download` fetches it)',
    };
  }
  if (typeof binary !== 'string' || !existsSync(binary)) return { reason: `the Electron binary is missing (${binary})` };
  if (!built('dist/main/index.js') || !built('dist/preload/index.cjs') || !built('dist/renderer/index.html')) {
    return { reason: 'the app is not built yet (run `npm run build`)' };
  }
  return { binary };
}

const { binary, reason } = electronBinary();
if (binary) {
  const child = spawn(binary, ['.', ...process.argv.slice(2)], { cwd: new URL('.', root), stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
} else {
  process.stderr.write(`npm start: opening the app in your browser instead of Electron, because ${reason}.\n`);
  const entry = new URL('dist/cli/index.js', root);
  if (!existsSync(entry)) {
    process.stderr.write('npm start: the app is not built yet; run `npm run build` (or `npm install`) first.\n');
    process.exit(1);
  }
  const { run } = await import(entry.href);
  process.exitCode = await run([process.argv[0], 'dlnet', 'serve', ...process.argv.slice(2)]);
}
