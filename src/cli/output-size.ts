/** `--scale`, `--width`, `--height` of `dlnet upscale` and `dlnet batch`: the output size (src/base/output-size.ts). */
import type { Command } from 'commander';
import type { OutputSizeRequest } from '../base/output-size.js';
import type { SrScale } from '../base/limits.js';
import { parseOutputScale, parsePixels } from '../api/validate.js';
import { UsageError } from './errors.js';

export interface RawSizeFlags {
  scale?: string;
  width?: string;
  height?: string;
}

export const OUTPUT_SIZE_HELP =
  'Output size: exactly one of --scale, --width or --height (the aspect is kept). --scale 2, 3 or 4 runs that ' +
  'model as is; any other size runs the smallest model scale (2, 3 or 4) whose output reaches it, then resamples ' +
  "that output down with Lanczos-3 (sharp's lanczos3). E.g. --width 1000 on a 400-px-wide photo runs the x3 model " +
  '(1200 px) and resamples to 1000 px.';

export function addOutputSizeOptions(command: Command): Command {
  return command
    .option('--scale <s>', 'output scale: 2, 3 or 4 (that model as is), or any factor above 1 and at most 4, e.g. 1.5')
    .option('--width <px>', 'output width in pixels (height follows the aspect)')
    .option('--height <px>', 'output height in pixels (width follows the aspect)');
}

export interface OutputSizeFlags {
  /** What the user asked for. */
  readonly request: OutputSizeRequest;
  /** The model scale when it is the same for every input (--scale), else undefined (it depends on the photo). */
  readonly fixedScale?: SrScale;
}

/** Exactly one of --scale, --width, --height; each checked. Usage errors (exit 2) otherwise. */
export function parseOutputSizeFlags(raw: RawSizeFlags, command: string): OutputSizeFlags {
  const given = (['scale', 'width', 'height'] as const).filter((flag) => raw[flag] !== undefined);
  if (given.length !== 1) {
    throw new UsageError(
      given.length === 0
        ? `${command} needs one of --scale <s>, --width <px> or --height <px>.`
        : `${command} takes only one of --scale, --width and --height, not ${given.map((f) => `--${f}`).join(' and ')}.`,
    );
  }
  if (raw.scale !== undefined) {
    const scale = parseOutputScale(raw.scale, '--scale');
    const fixed = [2, 3, 4].find((t) => t >= scale) as SrScale;
    return { request: { scale }, fixedScale: fixed };
  }
  if (raw.width !== undefined) return { request: { width: parsePixels(raw.width, '--width') } };
  return { request: { height: parsePixels(raw.height, '--height') } };
}
