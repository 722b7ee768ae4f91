/** Runs the Python training code's unit tests (training/tests) with Debian's python3-torch. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

test('training code: degradations, DL-Net, train/resume/export (python3 -m unittest)', () => {
  const python = process.env.PYTHON ?? '/usr/bin/python3';
  const result = spawnSync(python, ['-m', 'unittest', 'discover', '-s', 'training/tests', '-v'], {
    encoding: 'utf8',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1' },
    timeout: 300_000,
  });
  const output = `${result.stdout}${result.stderr}`;
  assert.equal(result.status, 0, output);
  const ran = /Ran (\d+) tests/.exec(output);
  assert.ok(ran && Number(ran[1]) >= 8, output);
  assert.match(output, /\nOK\s*$/);
});
