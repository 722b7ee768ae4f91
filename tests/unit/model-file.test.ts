import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { UserError } from '../../src/engine/image.js';
import { loadWeights } from '../../src/engine/model-file.js';
import { findModel, listModels, refreshModels, setModelDirs } from '../../src/engine/models.js';
import { writeMaskedModel, writeSrModel } from '../helpers/models.js';

const dir = mkdtempSync(path.join(tmpdir(), 'model-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function refused(folder: string, pattern: RegExp) {
  await assert.rejects(loadWeights(folder), (error: unknown) => {
    assert.ok(error instanceof UserError, String(error));
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'), 'one sentence, one line');
    return true;
  });
}

test("a model loads with every tensor in the backbone's shape", async () => {
  const folder = writeSrModel(dir, { id: 'ok', scale: 3, depth: 4, width: 8 });
  const w = await loadWeights(folder);
  assert.deepEqual(w.tensors.get('g.0.kernel')!.shape, [3, 3, 3, 8]);
  assert.deepEqual(w.tensors.get('out.kernel')!.shape, [3, 3, 8, 9]);
  const m = await loadWeights(writeMaskedModel(dir, 'inpaint', 1, 'ce'));
  assert.deepEqual(m.tensors.get('fc.weight')!.shape, [512, 16, 16]);
});

test('a changed weights file is refused by its sha256', async () => {
  const folder = writeSrModel(dir, { id: 'tampered', scale: 2, depth: 2, width: 4 });
  const file = path.join(folder, 'weights.bin');
  const bytes = readFileSync(file);
  bytes[10] ^= 0xff;
  writeFileSync(file, bytes);
  await refused(folder, /sha256 of its weights does not match/);
});

test('a truncated weights file, a wrong shape, a missing file and a newer format are refused', async () => {
  const short = writeSrModel(dir, { id: 'short', scale: 2, depth: 2, width: 4 });
  writeFileSync(path.join(short, 'weights.bin'), readFileSync(path.join(short, 'weights.bin')).subarray(0, 100));
  await refused(short, /holds 100 bytes/);

  const shape = writeSrModel(dir, { id: 'shape', scale: 2, depth: 2, width: 4 });
  const json = JSON.parse(readFileSync(path.join(shape, 'model.json'), 'utf8'));
  json.tensors[0].shape = [5, 5, 3, 4];
  writeFileSync(path.join(shape, 'model.json'), JSON.stringify(json));
  await refused(shape, /tensor g\.0\.kernel is \[5,5,3,4\]/);

  const missing = writeSrModel(dir, { id: 'missing', scale: 2, depth: 2, width: 4 });
  rmSync(path.join(missing, 'weights.bin'));
  await refused(missing, /weights file weights\.bin is missing/);

  const newer = writeSrModel(dir, { id: 'newer', scale: 2, depth: 2, width: 4 });
  const j2 = JSON.parse(readFileSync(path.join(newer, 'model.json'), 'utf8'));
  j2.formatVersion = 2;
  writeFileSync(path.join(newer, 'model.json'), JSON.stringify(j2));
  await refused(newer, /format version 2 is not the supported 1/);
});

test('the registry lists models and finds the default for a task and scale', async () => {
  const reg = mkdtempSync(path.join(tmpdir(), 'registry-'));
  writeSrModel(reg, { scale: 2, depth: 2, width: 4 });
  writeMaskedModel(reg, 'interpolate');
  setModelDirs([reg]);
  assert.deepEqual(
    (await listModels()).map((m) => m.id),
    ['interpolate', 'sr-x2'],
  );
  assert.equal((await findModel('sr', 2)).id, 'sr-x2');
  await assert.rejects(findModel('sr', 3), /No super-resolution ×3 model is installed/);
  await assert.rejects(findModel('sr', 2, 'interpolate'), /is for interpolation, not for super-resolution/);
  writeSrModel(reg, { id: 'sr-x3-test', scale: 3, depth: 2, width: 4 });
  refreshModels(); // the listing is cached; a model added since is found after a refresh
  await assert.rejects(findModel('sr', 2, 'sr-x3-test'), /is for ×3 super-resolution, not ×2/);
  await assert.rejects(findModel('inpaint'), /No inpainting model is installed/);
  rmSync(reg, { recursive: true, force: true });
});
