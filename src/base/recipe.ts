/**
 * The recipe of an output: what made it, carried as XMP inside every image the app, `dlnet upscale`,
 * `inpaint`, `interpolate` and `dlnet batch` write (engine/recipe.ts), listed in the batch report and
 * printed by `dlnet info`. Plain data, so it crosses IPC, the WebSocket and JSON unchanged.
 */
import type { OutputSizeRequest } from './output-size.js';

export type RecipeTask = 'sr' | 'inpaint' | 'interpolate';

export interface Recipe {
  readonly task: RecipeTask;
  /** Super-resolution: the model scale that ran (2, 3 or 4). */
  readonly modelScale?: number;
  /** The output's size. */
  readonly width: number;
  readonly height: number;
  /** Super-resolution to another size than the model's: what was asked (factor, width or height); Lanczos-3 down. */
  readonly requestedSize?: OutputSizeRequest;
  /** Super-resolution: the blur width u. */
  readonly blur?: number;
  /** True when u was suggested by the app (`--blur auto`, the Suggest button) rather than typed. */
  readonly blurSuggested?: boolean;
  /** DL-Net iterations K that made this output (x̂_K); 1 = the plain network. */
  readonly iterations: number;
  /** The DL-Net step size γ (null for a plain network). */
  readonly gamma: number | null;
  readonly modelId: string;
  /** sha256 of the model's weights.bin (as model.json records it). */
  readonly modelSha256: string;
  /**
   * Inpainting / interpolation: sha256 of the mask, width × height bytes in row order, 1 = pixel filled
   * (missing), 0 = kept (the API's FillMask convention).
   */
  readonly maskSha256?: string;
  /** The version of DL-Net Studio that wrote it. */
  readonly appVersion: string;
}

const TASK_NAMES: Readonly<Record<RecipeTask, string>> = {
  sr: 'super-resolution',
  inpaint: 'inpainting',
  interpolate: 'interpolation',
};

function describeSize(request: OutputSizeRequest): string {
  if ('scale' in request) return `×${request.scale}`;
  if ('width' in request) return `${request.width} px wide`;
  return `${request.height} px high`;
}

/** The recipe as label / value lines, for `dlnet info` and the app's recipe panel. */
export function recipeLines(recipe: Recipe): [string, string][] {
  const lines: [string, string][] = [['task', TASK_NAMES[recipe.task]]];
  if (recipe.task === 'sr') {
    const size =
      recipe.requestedSize !== undefined
        ? `×${recipe.modelScale} model, then Lanczos-3 to ${recipe.width} × ${recipe.height} (asked: ${describeSize(recipe.requestedSize)})`
        : `×${recipe.modelScale}, ${recipe.width} × ${recipe.height}`;
    lines.push(['scale', size]);
    lines.push(['blur', `u = ${recipe.blur}${recipe.blurSuggested === true ? ' (suggested from the photo)' : ''}`]);
  } else {
    lines.push(['size', `${recipe.width} × ${recipe.height}`]);
  }
  lines.push(['iterations', `K = ${recipe.iterations}${recipe.gamma !== null ? `, γ = ${recipe.gamma}` : ' (plain network)'}`]);
  lines.push(['model', `${recipe.modelId}, weights sha256 ${recipe.modelSha256}`]);
  if (recipe.maskSha256 !== undefined) lines.push(['mask', `sha256 ${recipe.maskSha256}`]);
  lines.push(['app', `DL-Net Studio ${recipe.appVersion}`]);
  return lines;
}
