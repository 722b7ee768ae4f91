/** Runs the Python training code's unit tests (training/tests) with Debian's python3-torch. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { installHint, leftOut } from '../helpers/prerequisites.js';

const PACKAGES = ['python3-torch', 'python3-numpy', 'python3-pil', 'libopenblas0-pthread'];
const python = process.env.PYTHON ?? '/usr/bin/python3';

/** Why the training tests cannot run with `python`, or null. */
function missingPrerequisite(): string | null {
  const probe = spawnSync(python, ['-c', 'import torch, numpy, PIL'], { encoding: 'utf8', timeout: 120_000 });
  if (probe.error) return `${python} cannot be run (${probe.error.message})`;
  if (probe.status === 0) return null;
  const lastLine = `${probe.stderr}`.trim().split('\n').pop() ?? '';
  return `${python} cannot import torch, numpy and PIL (${lastLine})`;
}

test(
  'training code: degradations, DL-Net, train/resume/export (python3 -m unittest)',
  { skip: leftOut('training') },
  () => {
    const missing = missingPrerequisite();
    if (missing) assert.fail(`The training tests need Debian's PyTorch: ${missing}; ${installHint(PACKAGES)}.`);
    const result = spawnSync(python, ['-m', 'unittest', 'discover', '-s', 'training/tests', '-v'], {
      encoding: 'utf8',
      env: { ...process.env, OPENBLAS_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1' },
      timeout: 300_000,
    });
    const output = `${result.stdout}${result.stderr}`;
    assert.equal(result.status, 0, output);
    const ran = /Ran (\d+) tests/.exec(output);
    assert.ok(ran && Number(ran[1]) >= 8, output);
    assert.match(output, /\nOK\s*$/);
  },
);
