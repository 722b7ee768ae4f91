/**
 * `dlnet degrade <in> --out <file> --task sr|inpaint|interpolate ...`: apply the exact
 * degradations of docs/protocols.md §1, to make test inputs and reproduce the paper's protocol.
 */
import type { Command } from 'commander';
import { applyMask, bernoulliMask, degradeSr, type Image, type Mask, readImage, squareHoleMask } from '../../engine/index.js';
import { parseBlur, parseHoleSide, parseMissingRate, parseScale, parseSeed, parseShift, parseTask } from '../../api/validate.js';
import { info, type CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { OutputSet } from '../outputs.js';

interface DegradeFlags {
  out: string;
  task: string;
  scale?: string;
  blur?: string;
  hole?: string;
  shift?: string;
  seed?: string;
  missing?: string;
  maskOut?: string;
}

/** Flags that belong to each task; any other task-specific flag is a usage error. */
const TASK_FLAGS: Record<string, readonly (keyof DegradeFlags)[]> = {
  sr: ['scale', 'blur'],
  inpaint: ['hole', 'shift', 'seed', 'maskOut'],
  interpolate: ['missing', 'seed', 'maskOut'],
};
const FLAG_NAMES: Partial<Record<keyof DegradeFlags, string>> = {
  scale: '--scale',
  blur: '--blur',
  hole: '--hole',
  shift: '--shift',
  seed: '--seed',
  missing: '--missing',
  maskOut: '--mask-out',
};

export function registerDegrade(program: Command, ctx: CliContext): void {
  program
    .command('degrade')
    .summary('apply an exact degradation (downscale+blur, square hole, missing pixels)')
    .description(
      'Apply the exact degradations of the DL-Net protocol. sr: crop to a multiple of t, then bicubic ' +
        'downscaling (--blur 0) or a 15x15 Gaussian of width u and subsampling, rounded to 8 bits. inpaint: one ' +
        'square hole of side s, centred, shifted at random by up to --shift px per axis. interpolate: each pixel ' +
        'missing with probability r. Missing pixels become 0 (black); --mask-out writes the mask, WHITE = missing.',
    )
    .argument('<in>', 'input image')
    .requiredOption('--out <file>', 'degraded image to write')
    .requiredOption('--task <task>', 'sr, inpaint or interpolate')
    .option('--scale <t>', 'sr: scale factor 2, 3 or 4')
    .option('--blur <u>', 'sr: blur width u from 0 to 3 (default 0)')
    .option('--hole <s>', 'inpaint: side of the square hole in pixels')
    .option('--shift <d>', 'inpaint: largest random shift of the hole centre in pixels (default 0)')
    .option('--missing <r>', 'interpolate: missing fraction, 0 to 0.75 or 0% to 75%')
    .option('--seed <n>', 'inpaint/interpolate: random seed (default 0)')
    .option('--mask-out <file>', 'inpaint/interpolate: also write the mask (white = missing)')
    .addHelpText(
      'after',
      '\nExamples:\n  dlnet degrade hr.png --out lr.png --task sr --scale 3 --blur 1.3\n' +
        '  dlnet degrade face.png --out holed.png --task inpaint --hole 20 --shift 10 --seed 1 --mask-out hole.png\n' +
        '  dlnet degrade face.png --out sparse.png --task interpolate --missing 45% --mask-out missing.png',
    )
    .action(async (input: string, raw: DegradeFlags) => {
      await degrade(ctx, input, raw);
    });
}

async function degrade(ctx: CliContext, input: string, raw: DegradeFlags): Promise<void> {
  const task = parseTask(raw.task, '--task');
  for (const [key, flag] of Object.entries(FLAG_NAMES) as [keyof DegradeFlags, string][]) {
    if (raw[key] !== undefined && !TASK_FLAGS[task].includes(key)) {
      throw new UsageError(`${flag} does not apply to --task ${task}.`);
    }
  }
  let transform: (image: Image) => { image: Image; mask?: Mask };
  let describe: string;
  if (task === 'sr') {
    if (raw.scale === undefined) throw new UsageError('--task sr needs --scale <t>.');
    const scale = parseScale(raw.scale, '--scale');
    const blur = parseBlur(raw.blur ?? '0', '--blur');
    transform = (image) => ({ image: degradeSr(image, scale, blur) });
    describe = `x${scale} ${blur === 0 ? 'bicubic' : `Gaussian u = ${blur}`}`;
  } else if (task === 'inpaint') {
    if (raw.hole === undefined) throw new UsageError('--task inpaint needs --hole <s>.');
    const side = parseHoleSide(raw.hole, '--hole');
    const shift = parseShift(raw.shift ?? '0', '--shift');
    const seed = parseSeed(raw.seed ?? '0', '--seed');
    transform = (image) => {
      const mask = squareHoleMask(image.width, image.height, side, shift, seed);
      return { image: applyMask(image, mask), mask };
    };
    describe = `hole ${side} px, shift up to ${shift} px, seed ${seed}`;
  } else {
    if (raw.missing === undefined) throw new UsageError('--task interpolate needs --missing <r>.');
    const rate = parseMissingRate(raw.missing, '--missing');
    const seed = parseSeed(raw.seed ?? '0', '--seed');
    transform = (image) => {
      const mask = bernoulliMask(image.width, image.height, rate, seed);
      return { image: applyMask(image, mask), mask };
    };
    describe = `${(rate * 100).toFixed(1)} % missing, seed ${seed}`;
  }

  const outputs = new OutputSet([input]);
  outputs.check(raw.out);
  if (raw.maskOut !== undefined) outputs.check(raw.maskOut, '--mask-out');
  try {
    const read = await readImage(input);
    const { image, mask } = transform(read.image);
    // sr outputs are 8-bit by definition (docs/protocols.md §1.1); masking keeps the input's depth.
    const bitDepth = task === 'sr' ? 8 : read.bitDepth;
    const written = await outputs.writeImage(raw.out, image, { bitDepth, metadata: read.metadata });
    if (raw.maskOut !== undefined && mask !== undefined) await outputs.writeMask(raw.maskOut, mask);
    for (const warning of written.warnings) info(ctx, `dlnet: warning: ${warning}`);
    info(ctx, `${input} → ${raw.out} (${task}: ${describe}, ${image.width} × ${image.height})`);
  } catch (error) {
    await outputs.rollback();
    throw error;
  }
}
