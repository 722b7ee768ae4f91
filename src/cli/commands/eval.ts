/**
 * `dlnet eval --task sr --data <dir> (--method bicubic | --model <id>)`: the
 * super-resolution protocol of docs/protocols.md §5.1. For each image: crop the HR image to a multiple of t, degrade it
 * (degradeSr: bicubic for u = 0, Gaussian u + ↓t otherwise, rounded to 8 bits), restore it
 * (bicubic imresize ×t, or the model), and measure luma PSNR with t pixels shaved; average over
 * the images. Prints a table (rows t, columns u), or one JSON object with --json.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import {
  bicubicUpscaleImage,
  cropToMultiple,
  degradeSr,
  type Image,
  mean,
  psnrLuma,
  quantize8,
  readImage,
  UserError,
} from '../../engine/index.js';
import { parseBlurs, parseScales, parseTask, type SrScale } from '../../api/validate.js';
import { addModelOptions, parseRestoreFlags, startBackend, type RawRestoreFlags } from '../common.js';
import type { CliContext } from '../context.js';
import { chooseModel, loadRestoreApi, type RestoreApi } from '../engine-api.js';
import { UsageError } from '../errors.js';
import { createProgress } from '../progress.js';

interface EvalFlags extends RawRestoreFlags {
  task: string;
  data: string;
  scales?: string;
  blurs: string;
  method?: string;
  json?: boolean;
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.bmp']);

export interface SrEvalResult {
  readonly task: 'sr';
  readonly method: string;
  readonly model: string | null;
  readonly iterations: number | null;
  readonly data: string;
  readonly images: string[];
  readonly scales: SrScale[];
  readonly blurs: number[];
  /** Mean luma PSNR (dB): psnr[t][u]. */
  readonly psnr: Record<string, Record<string, number>>;
  /** Per image: perImage[name][t][u]. */
  readonly perImage: Record<string, Record<string, Record<string, number>>>;
}

export function registerEval(program: Command, ctx: CliContext): void {
  const command = program
    .command('eval')
    .summary('measure super-resolution PSNR on a folder of images (docs/protocols.md section 5.1)')
    .description(
      'Evaluate super-resolution on every PNG, JPEG and BMP image in --data: crop to a multiple of t, degrade ' +
        '(bicubic for u = 0, Gaussian blur u and subsampling otherwise, rounded to 8 bits), restore, and average ' +
        'the luma PSNR with t pixels shaved from each border. Prints a table (rows t, columns u) on stdout.',
    )
    .requiredOption('--task <task>', 'the task to evaluate (sr)')
    .requiredOption('--data <dir>', 'folder of high-resolution test images')
    .option('--scales <list>', "comma-separated scales (default 2,3,4, or the --model's own scale)")
    .option('--blurs <list>', 'comma-separated blur widths u', '0,1.3,2.6')
    .option('--method <name>', 'a reference method instead of a model: bicubic');
  addModelOptions(command)
    .option('--json', 'print one JSON object instead of the table')
    .option('--progress', 'show progress bars even when stderr is not a terminal')
    .addHelpText(
      'after',
      '\nExamples:\n  dlnet eval --task sr --method bicubic --data data/eval/Set5\n' +
        '  dlnet eval --task sr --model sr-x3 --scales 3 --data data/eval/Set14 --json',
    )
    .action(async (raw: EvalFlags) => {
      await evaluate(ctx, raw);
    });
}

async function listImages(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') throw new UserError(`The data folder ${dir} does not exist.`, 'not-found');
    if (code === 'ENOTDIR') throw new UserError(`${dir} is a file; --data needs a folder of images.`, 'bad-input');
    throw error;
  }
  const images = names.filter((n) => IMAGE_EXTENSIONS.has(path.extname(n).toLowerCase())).sort();
  if (images.length === 0) throw new UserError(`The data folder ${dir} has no PNG, JPEG or BMP images.`, 'bad-input');
  return images;
}

function formatTable(result: SrEvalResult): string {
  const label =
    result.model === null
      ? result.method
      : `model ${result.model}${result.iterations === null ? '' : `, K = ${result.iterations}`}`;
  const lines = [
    `${path.basename(path.resolve(result.data))} (${result.images.length} images), ${label}: luma PSNR (dB), t pixels shaved`,
    ['scale', ...result.blurs.map((u) => `u=${u}`)].map((s) => s.padStart(8)).join(''),
  ];
  for (const t of result.scales) {
    lines.push([`x${t}`, ...result.blurs.map((u) => result.psnr[t][u].toFixed(2))].map((s) => s.padStart(8)).join(''));
  }
  return `${lines.join('\n')}\n`;
}

async function evaluate(ctx: CliContext, raw: EvalFlags): Promise<void> {
  const task = parseTask(raw.task, '--task');
  if (task !== 'sr') throw new UsageError(`eval supports --task sr only; ${task} is evaluated by the training scripts.`);
  let scales = parseScales(raw.scales ?? '2,3,4', '--scales');
  const blurs = parseBlurs(raw.blurs, '--blurs');
  if ((raw.method === undefined) === (raw.model === undefined)) {
    throw new UsageError('eval needs exactly one of --method bicubic or --model <id>.');
  }
  if (raw.method !== undefined && raw.method !== 'bicubic') {
    throw new UsageError(`--method must be bicubic, not "${raw.method}".`);
  }
  const flags = parseRestoreFlags(raw);
  const images = await listImages(raw.data);

  let restoreSr: (lr: Image, t: SrScale, u: number) => Promise<Image>;
  let modelId: string | null = null;
  if (raw.method === 'bicubic') {
    restoreSr = async (lr, t) => bicubicUpscaleImage(lr, t);
  } else {
    const api: RestoreApi = await loadRestoreApi();
    if (raw.scales === undefined && flags.modelId !== undefined) {
      const named = (await api.listModels()).find((m) => m.id === flags.modelId);
      if (named?.scale !== undefined) scales = [named.scale as SrScale];
    }
    const models = new Set<string>();
    for (const t of scales) models.add((await chooseModel(api, 'sr', flags.modelId, t)).id);
    modelId = [...models].join(',');
    await startBackend(ctx, flags.backend);
    restoreSr = (lr, t, u) =>
      api.restore(
        lr,
        { task: 'sr', scale: t, blur: u, modelId: flags.modelId, iterations: flags.iterations },
        { signal: ctx.signal },
      );
  }

  const perImage: SrEvalResult['perImage'] = {};
  const progress = createProgress(ctx.stderr, { label: 'eval', force: flags.forceProgress });
  const total = images.length * scales.length * blurs.length;
  let done = 0;
  try {
    for (const name of images) {
      // The protocol is defined on 8-bit images.
      const { image } = await readImage(path.join(raw.data, name));
      const hr8 = quantize8(image);
      perImage[name] = {};
      for (const t of scales) {
        const hr = cropToMultiple(hr8, t);
        perImage[name][t] = {};
        for (const u of blurs) {
          ctx.signal.throwIfAborted();
          const sr = await restoreSr(degradeSr(hr, t, u), t, u);
          perImage[name][t][u] = psnrLuma(hr, sr, t);
          done++;
          progress.update(done / total, name);
        }
      }
    }
  } finally {
    progress.stop();
  }
  const psnr: SrEvalResult['psnr'] = {};
  for (const t of scales) {
    psnr[t] = {};
    for (const u of blurs) psnr[t][u] = mean(images.map((name) => perImage[name][t][u]));
  }
  const result: SrEvalResult = {
    task: 'sr',
    method: raw.method ?? 'dlnet',
    model: modelId,
    iterations: flags.iterations ?? null,
    data: raw.data,
    images,
    scales,
    blurs,
    psnr,
    perImage,
  };
  ctx.stdout.write(raw.json === true ? `${JSON.stringify(result, null, 2)}\n` : formatTable(result));
}
