#!/usr/bin/env node
// `npm test`: every test file (tests/unit, tests/integration, tests/e2e), one file at a time, through
// node:test with tsx; or only the files given (`npm test -- tests/unit/color.test.ts`). When
// DLNET_TEST_SKIP leaves suites out (e2e, training), the closing lines say so; nothing is left out
// otherwise, and a missing prerequisite fails its tests with the command that installs it.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SUITES = {
  e2e: 'the browser suites (tests/e2e)',
  training: 'the training-code tests (tests/integration/training.test.ts)',
};

const raw = process.env.DLNET_TEST_SKIP ?? '';
const leftOut = raw
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const name of leftOut) {
  if (!(name in SUITES)) {
    process.stderr.write(`npm test: DLNET_TEST_SKIP lists "${name}"; it can list ${Object.keys(SUITES).join(' and ')}.\n`);
    process.exit(2);
  }
}

const given = process.argv.slice(2);
const files =
  given.length > 0
    ? given
    : ['tests/unit', 'tests/integration', 'tests/e2e'].flatMap((dir) =>
        readdirSync(path.join(root, dir))
          .filter((f) => f.endsWith('.test.ts'))
          .sort()
          .map((f) => `${dir}/${f}`),
      );

const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {
  cwd: root,
  stdio: 'inherit',
});
child.on('exit', (code, signal) => {
  if (leftOut.length > 0) {
    const what = leftOut.map((name) => SUITES[name]).join(' and ');
    process.stdout.write(
      `# left out: ${what}, by DLNET_TEST_SKIP=${raw}; this run does not cover them (npm run test:all runs everything)\n`,
    );
  }
  process.exit(signal ? 1 : (code ?? 1));
});
