/**
 * blur.suggest (the Suggest button beside the blur slider) and lab.degrade (lab mode: a clean photo
 * degraded as W does, to restore and measure against). Both compute in the tools worker (../tools.ts).
 */
import path from 'node:path';
import { bernoulliMask, UserError } from '../../engine/index.js';
import type { Channels, LabDegraded } from '../../api/api.js';
import { freshSibling } from '../paths.js';
import { toFrame } from '../pixels.js';
import type { Handler } from './context.js';

/** Lab mode works on photos up to this size (every x̂_k is measured against the original). */
export const LAB_MAX_PIXELS = 4_000_000;

export const suggestBlurHandler: Handler<typeof Channels.blurSuggest> = async ({ imageId, scale }, { workspace }) => {
  const { image } = workspace.image(imageId);
  const result = await workspace.tools.run({ type: 'suggest', image, scale });
  if (result.type !== 'suggest') throw new Error('The helper thread answered another request.');
  workspace.log.info(`suggested u = ${result.suggestion.blur} for ×${scale}`);
  return result.suggestion;
};

export const labDegrade: Handler<typeof Channels.labDegrade> = async ({ imageId, degradation }, { workspace }) => {
  const open = workspace.image(imageId);
  const { image } = open;
  if (image.width * image.height > LAB_MAX_PIXELS) {
    throw new UserError(
      `Lab mode measures every iteration against the original, so it takes photos up to ${LAB_MAX_PIXELS / 1e6} megapixels; this one is ${(
        (image.width * image.height) /
        1e6
      ).toFixed(1)}.`,
      'too-large',
    );
  }
  let fill: Uint8Array | undefined;
  let label: string;
  if (degradation.task === 'sr') {
    if (image.width < degradation.scale * 8 || image.height < degradation.scale * 8)
      throw new UserError(`The photo is too small to degrade ×${degradation.scale}.`, 'too-small');
    label = `×${degradation.scale}, u = ${degradation.blur}`;
  } else if (degradation.task === 'inpaint') {
    const { mask } = degradation;
    if (mask.width !== image.width || mask.height !== image.height)
      throw new UserError(
        `The mask is ${mask.width} × ${mask.height} pixels but the image is ${image.width} × ${image.height}.`,
        'mask-size',
      );
    fill = mask.fill;
    if (!fill.some((v) => v === 1)) throw new UserError('The mask is empty: paint what to remove first.', 'empty-mask');
    label = 'painted mask';
  } else {
    const observed = bernoulliMask(image.width, image.height, degradation.missing, degradation.seed);
    fill = Uint8Array.from(observed.data, (v) => (v === 0 ? 1 : 0));
    label = `${Math.round(degradation.missing * 100)} % missing`;
  }
  const result = await workspace.tools.run({
    type: 'degrade',
    image,
    degradation:
      degradation.task === 'sr'
        ? { task: 'sr', scale: degradation.scale, blur: degradation.blur }
        : { task: degradation.task, fill: fill! },
  });
  if (result.type !== 'degrade') throw new Error('The helper thread answered another request.');
  const degraded = result.image;
  const preview = toFrame(degraded, workspace.options.previewMaxSide);
  const base = path.basename(open.name, path.extname(open.name));
  const name = `${base} (degraded: ${label})`;
  const entry = workspace.addImage({ name, image: degraded, bitDepth: 8, format: 'png', metadata: {}, preview });
  workspace.log.info(`lab: degraded ${open.name} (${label})`);
  const dir = open.path !== undefined ? path.dirname(open.path) : workspace.options.workspaceDir;
  const answer: LabDegraded = {
    image: {
      imageId: entry.id,
      name,
      width: degraded.width,
      height: degraded.height,
      channels: degraded.channels,
      bitDepth: 8,
      format: 'png',
      hasTransparency: false,
      suggestedOutput: freshSibling(dir, base, '.lab.png'),
      preview,
    },
    ...(fill !== undefined ? { fill } : {}),
  };
  return answer;
};
