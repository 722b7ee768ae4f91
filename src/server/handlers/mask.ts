/** mask.load (a mask PNG, white = fill, from a path or bytes) and mask.save (written as such a PNG). */
import { type Mask, readMask, writeMask } from '../../engine/index.js';
import type { Channels, FillMask } from '../../api/api.js';
import { checkInputPath, checkOutputPath } from '../paths.js';
import type { Handler } from './context.js';
import { withTempFile } from './open-image.js';

function toFill(mask: Mask): FillMask {
  const fill = new Uint8Array(mask.data.length);
  for (let p = 0; p < fill.length; p++) fill[p] = mask.data[p] === 0 ? 1 : 0;
  return { width: mask.width, height: mask.height, fill };
}

export function toObserved(mask: FillMask): Mask {
  const data = new Uint8Array(mask.fill.length);
  for (let p = 0; p < data.length; p++) data[p] = mask.fill[p] === 0 ? 1 : 0;
  return { width: mask.width, height: mask.height, data };
}

export const loadMask: Handler<typeof Channels.maskLoad> = async (args, { workspace }) => {
  const { image } = workspace.image(args.imageId);
  if ('path' in args) return toFill(await readMask(checkInputPath(args.path), image.width, image.height));
  return withTempFile(args.name, args.bytes, async (file) => toFill(await readMask(file, image.width, image.height)));
};

export const saveMask: Handler<typeof Channels.maskSave> = async ({ path: file, mask }, { workspace }) => {
  checkOutputPath(file, 'png', workspace.inputPaths());
  const written = await writeMask(file, toObserved(mask));
  const { size } = await import('node:fs/promises').then((fs) => fs.stat(file));
  return { path: written.path, bytes: size, format: 'png', warnings: written.warnings };
};
