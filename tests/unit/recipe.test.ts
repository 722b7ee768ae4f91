/** Recipes as XMP (engine/recipe.ts): round trip through PNG, JPEG, WebP and TIFF, merged with an input's packet. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { createImage } from '../../src/engine/image.js';
import { readImage, writeImage } from '../../src/engine/image-io.js';
import { APP_VERSION, maskSha256, parseRecipeXmp, readRecipe, recipeXmp, type Recipe } from '../../src/engine/recipe.js';
import { recipeLines } from '../../src/base/recipe.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dlnet-recipe-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sr: Recipe = {
  task: 'sr',
  modelScale: 3,
  width: 1000,
  height: 750,
  requestedSize: { width: 1000 },
  blur: 1.3,
  blurSuggested: true,
  iterations: 5,
  gamma: 0.001,
  modelId: 'sr-x3',
  modelSha256: 'a'.repeat(64),
  appVersion: APP_VERSION,
};

/** An input packet as another tool writes it: a title, and an older recipe in attribute form. */
const foreign = `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt><rdf:li xml:lang="x-default">Grandma &amp; the cat</rdf:li></rdf:Alt></dc:title></rdf:Description>
<rdf:Description rdf:about="" xmlns:d="http://ns.dlnet-studio.org/recipe/1.0/" d:Task="inpaint" d:OutputWidth="8" d:OutputHeight="8" d:Iterations="1" d:ModelId="old" d:ModelSha256="b" d:AppVersion="0.0.1"/>
</rdf:RDF></x:xmpmeta><?xpacket end="w"?>`;

test('XMP round trip of a recipe through PNG, JPEG, WebP and TIFF, merged with the input packet', async () => {
  const image = createImage(12, 9, 3);
  for (let i = 0; i < image.data.length; i++) image.data[i] = (i % 17) / 16;
  for (const ext of ['png', 'jpg', 'webp', 'tif']) {
    const file = path.join(dir, `out.${ext}`);
    const warnings: string[] = [];
    const xmp = Buffer.from(recipeXmp(sr, Buffer.from(foreign), warnings), 'utf8');
    await writeImage(file, image, { metadata: { xmp } });
    assert.deepEqual(warnings, []);
    const found = await readRecipe(file);
    assert.deepEqual(found.recipe, sr, ext);
    assert.deepEqual([found.width, found.height], [12, 9]);
    // the input's own properties are kept, the older recipe is gone
    const { metadata } = await readImage(file);
    const text = metadata.xmp!.toString('utf8');
    assert.match(text, /Grandma &amp; the cat/, ext);
    assert.doesNotMatch(text, /ModelId="old"|>old</, ext);
    assert.equal((text.match(/<dlnet:Task>/g) ?? []).length, 1, ext);
  }
});

test('recipes of the masked tasks carry the mask hash; a file without a recipe says so', async () => {
  const mask = { width: 4, height: 2, data: Uint8Array.from([1, 1, 0, 1, 1, 1, 1, 0]) }; // engine: 1 = observed
  const fill = Uint8Array.from([0, 0, 1, 0, 0, 0, 0, 1]); // API: 1 = fill
  assert.equal(maskSha256(mask, 'observed'), maskSha256({ data: fill }, 'fill'));
  const inpaint: Recipe = {
    task: 'inpaint',
    width: 4,
    height: 2,
    iterations: 5,
    gamma: 0.001,
    modelId: 'inpaint',
    modelSha256: 'c'.repeat(64),
    maskSha256: maskSha256(mask, 'observed'),
    appVersion: APP_VERSION,
  };
  assert.deepEqual(parseRecipeXmp(recipeXmp(inpaint)), inpaint);
  assert.ok(recipeLines(inpaint).some(([label, value]) => label === 'mask' && value.includes(inpaint.maskSha256!)));
  const plain = path.join(dir, 'plain.png');
  await sharp(Buffer.alloc(4 * 4 * 3, 90), { raw: { width: 4, height: 4, channels: 3 } })
    .png()
    .toFile(plain);
  const none = await readRecipe(plain);
  assert.equal(none.recipe, undefined);
  assert.equal(none.hasXmp, false);
  const bad = recipeXmp(sr, Buffer.from('not an xmp packet'), []);
  assert.deepEqual(parseRecipeXmp(bad), sr);
});
