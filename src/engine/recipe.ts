/**
 * Recipes (src/base/recipe.ts) as XMP: built for every output, merged into the input's XMP packet
 * (the input's own properties are kept; an older recipe, from restoring an output again, is replaced)
 * and read back from any file. Properties live in their own namespace, one element each, so exiftool
 * and other XMP readers show them by name:
 *
 *   <rdf:Description rdf:about="" xmlns:dlnet="http://ns.dlnet-studio.org/recipe/1.0/">
 *     <dlnet:Task>sr</dlnet:Task> <dlnet:ModelScale>3</dlnet:ModelScale> ... </rdf:Description>
 *
 * The reader also takes the attribute form (dlnet:Task="sr") that XMP tools may rewrite it to.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import type { OutputSizeRequest } from '../base/output-size.js';
import type { Recipe, RecipeTask } from '../base/recipe.js';
import { readModelJson } from './model-file.js';
import type { ModelInfo } from './models.js';
import { readImageSize } from './image-io.js';

export type { Recipe };

export const RECIPE_NAMESPACE = 'http://ns.dlnet-studio.org/recipe/1.0/';

const require = createRequire(import.meta.url);
/** The app's version (package.json at the root of the source tree, the build and the packaged app). */
export const APP_VERSION = (require('../../package.json') as { version: string }).version;

/** The DL-Net step sizes a model without its own uses (docs/protocols.md §2; restore.ts DEFAULT_GAMMA). */
const DEFAULT_GAMMA: Readonly<Record<RecipeTask, number>> = { sr: 1e-3, inpaint: 1e-3, interpolate: 1e-2 };

/** sha256 of a mask: one byte per pixel, 1 = filled (missing), 0 = kept. `observed`: the engine's 1 = known. */
export function maskSha256(mask: { data: Uint8Array }, convention: 'fill' | 'observed'): string {
  const bytes = convention === 'fill' ? mask.data : Uint8Array.from(mask.data, (v) => (v === 0 ? 1 : 0));
  return createHash('sha256').update(bytes).digest('hex');
}

export interface RecipeInput {
  readonly task: RecipeTask;
  readonly model: Pick<ModelInfo, 'id' | 'dir'>;
  readonly width: number;
  readonly height: number;
  readonly modelScale?: number;
  readonly requestedSize?: OutputSizeRequest;
  readonly blur?: number;
  readonly blurSuggested?: boolean;
  /** K as asked (default: the model's). */
  readonly iterations?: number;
  /** γ as asked (default: the model's). */
  readonly gamma?: number;
  /** The mask, 1 = filled (missing) per pixel (the API's convention), or its hash. */
  readonly maskSha256?: string;
}

/** A recipe with the model's own K, γ and weights hash filled in (from its model.json; loads no weights). */
export async function buildRecipe(input: RecipeInput): Promise<Recipe> {
  const json = await readModelJson(input.model.dir);
  const dlnet = json.dlnet;
  const iterations = input.iterations ?? dlnet?.K ?? 1;
  const gamma = dlnet === null && input.gamma === undefined ? null : (input.gamma ?? dlnet?.gamma ?? DEFAULT_GAMMA[input.task]);
  return {
    task: input.task,
    ...(input.task === 'sr' ? { modelScale: input.modelScale ?? json.scale } : {}),
    width: input.width,
    height: input.height,
    ...(input.requestedSize !== undefined ? { requestedSize: input.requestedSize } : {}),
    ...(input.task === 'sr' ? { blur: input.blur ?? 0, blurSuggested: input.blurSuggested === true } : {}),
    iterations,
    gamma: iterations === 1 && dlnet === null ? null : gamma,
    modelId: json.id,
    modelSha256: json.weights.sha256,
    ...(input.maskSha256 !== undefined ? { maskSha256: input.maskSha256 } : {}),
    appVersion: APP_VERSION,
  };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The recipe's properties in file order: [XMP name, value as text]. */
function properties(recipe: Recipe): [string, string][] {
  const size = recipe.requestedSize;
  const out: [string, string | undefined][] = [
    ['Task', recipe.task],
    ['ModelScale', recipe.modelScale?.toString()],
    ['OutputWidth', String(recipe.width)],
    ['OutputHeight', String(recipe.height)],
    ['RequestedScale', size !== undefined && 'scale' in size ? String(size.scale) : undefined],
    ['RequestedWidth', size !== undefined && 'width' in size ? String(size.width) : undefined],
    ['RequestedHeight', size !== undefined && 'height' in size ? String(size.height) : undefined],
    ['Blur', recipe.blur?.toString()],
    ['BlurSuggested', recipe.blurSuggested === undefined ? undefined : recipe.blurSuggested ? 'True' : 'False'],
    ['Iterations', String(recipe.iterations)],
    ['Gamma', recipe.gamma === null ? undefined : String(recipe.gamma)],
    ['ModelId', recipe.modelId],
    ['ModelSha256', recipe.modelSha256],
    ['MaskSha256', recipe.maskSha256],
    ['AppVersion', recipe.appVersion],
  ];
  return out.filter((p): p is [string, string] => p[1] !== undefined);
}

function description(recipe: Recipe): string {
  const body = properties(recipe)
    .map(([name, value]) => `    <dlnet:${name}>${escapeXml(value)}</dlnet:${name}>`)
    .join('\n');
  return `  <rdf:Description rdf:about="" xmlns:dlnet="${RECIPE_NAMESPACE}">\n${body}\n  </rdf:Description>\n`;
}

const PACKET_ID = 'W5M0MpCehiHzreSzNTczkc9d';

/** A fresh XMP packet that holds only the recipe. */
function packet(recipe: Recipe): string {
  return (
    `<?xpacket begin="\uFEFF" id="${PACKET_ID}"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">\n` +
    ` <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n${description(recipe)} </rdf:RDF>\n</x:xmpmeta>\n` +
    '<?xpacket end="w"?>'
  );
}

/** The prefix a packet binds to the recipe namespace ('dlnet' in what this module writes), if any. */
function recipePrefix(xmp: string): string | undefined {
  const escaped = RECIPE_NAMESPACE.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return new RegExp(`xmlns:([A-Za-z_][\\w.-]*)\\s*=\\s*["']${escaped}["']`).exec(xmp)?.[1];
}

/** True when a description's attributes are only rdf:about and namespace declarations (it says nothing). */
function onlyDeclarations(attributes: string): boolean {
  return attributes.replace(/\s+(rdf:about|xmlns:[\w.-]+)\s*=\s*("[^"]*"|'[^']*')/g, '').trim() === '';
}

/** Removes every recipe property (element or attribute form) and the descriptions left empty by that. */
function withoutRecipe(xmp: string): string {
  const prefix = recipePrefix(xmp);
  if (prefix === undefined) return xmp;
  const p = prefix.replace(/[.-]/g, '\\$&');
  return xmp
    .replace(new RegExp(`\\s*<${p}:(\\w+)>[\\s\\S]*?</${p}:\\1>`, 'g'), '')
    .replace(new RegExp(`\\s*<${p}:\\w+\\s*/>`, 'g'), '')
    .replace(new RegExp(`\\s+${p}:\\w+\\s*=\\s*("[^"]*"|'[^']*')`, 'g'), '')
    .replace(/\s*<rdf:Description\b([^>]*?)(?:\/>|>\s*<\/rdf:Description>)/g, (whole, attributes: string) =>
      onlyDeclarations(attributes) ? '' : whole,
    );
}

/**
 * The XMP packet an output carries: the input's packet (if any) with the recipe added as its own
 * rdf:Description (an older recipe in it is replaced), or a packet with only the recipe. A packet
 * without an rdf:RDF element cannot be merged into; it is replaced, and `warnings` says so.
 */
export function recipeXmp(recipe: Recipe, inputXmp?: Buffer | string, warnings: string[] = []): string {
  if (inputXmp === undefined) return packet(recipe);
  const text = (typeof inputXmp === 'string' ? inputXmp : inputXmp.toString('utf8')).replace(/\0+$/, '');
  const close = text.lastIndexOf('</rdf:RDF>');
  if (close < 0) {
    warnings.push("The input's XMP metadata could not be read, so the output carries only the recipe.");
    return packet(recipe);
  }
  const cleaned = withoutRecipe(text);
  const at = cleaned.lastIndexOf('</rdf:RDF>');
  const before = cleaned.slice(0, at).replace(/\s*$/, '\n');
  return `${before}${description(recipe)}${cleaned.slice(at)}`;
}

/** The recipe in an XMP packet, or undefined when it holds none (or one this version cannot read). */
export function parseRecipeXmp(xmp: Buffer | string): Recipe | undefined {
  const text = typeof xmp === 'string' ? xmp : xmp.toString('utf8');
  const prefix = recipePrefix(text);
  if (prefix === undefined) return undefined;
  const p = prefix.replace(/[.-]/g, '\\$&');
  const get = (name: string): string | undefined => {
    const element = new RegExp(`<${p}:${name}>([\\s\\S]*?)</${p}:${name}>`).exec(text);
    if (element) return unescapeXml(element[1].trim());
    const attribute = new RegExp(`\\s${p}:${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(text);
    return attribute ? unescapeXml(attribute[1] ?? attribute[2]) : undefined;
  };
  const num = (name: string): number | undefined => {
    const value = get(name);
    const n = value === undefined || value === '' ? NaN : Number(value);
    return Number.isFinite(n) ? n : undefined;
  };
  const task = get('Task');
  const width = num('OutputWidth');
  const height = num('OutputHeight');
  const iterations = num('Iterations');
  const modelId = get('ModelId');
  const modelSha256 = get('ModelSha256');
  const appVersion = get('AppVersion');
  if (
    (task !== 'sr' && task !== 'inpaint' && task !== 'interpolate') ||
    width === undefined ||
    height === undefined ||
    iterations === undefined ||
    modelId === undefined ||
    modelSha256 === undefined ||
    appVersion === undefined
  ) {
    return undefined;
  }
  const rs = num('RequestedScale');
  const rw = num('RequestedWidth');
  const rh = num('RequestedHeight');
  const requestedSize: OutputSizeRequest | undefined =
    rs !== undefined ? { scale: rs } : rw !== undefined ? { width: rw } : rh !== undefined ? { height: rh } : undefined;
  const modelScale = num('ModelScale');
  const blur = num('Blur');
  const suggested = get('BlurSuggested');
  const mask = get('MaskSha256');
  return {
    task,
    ...(modelScale !== undefined ? { modelScale } : {}),
    width,
    height,
    ...(requestedSize !== undefined ? { requestedSize } : {}),
    ...(blur !== undefined ? { blur } : {}),
    ...(suggested !== undefined ? { blurSuggested: /^true$/i.test(suggested) } : {}),
    iterations,
    gamma: num('Gamma') ?? null,
    modelId,
    modelSha256,
    ...(mask !== undefined ? { maskSha256: mask } : {}),
    appVersion,
  };
}

export interface FileRecipe {
  readonly format: string;
  readonly width: number;
  readonly height: number;
  /** The recipe, or undefined when the file carries none. */
  readonly recipe?: Recipe;
  /** True when the file has an XMP packet (with or without a recipe). */
  readonly hasXmp: boolean;
}

/** Reads a file's header and XMP (no pixels): its recipe, if it has one. One sentence for a bad file. */
export async function readRecipe(file: string): Promise<FileRecipe> {
  const { width, height } = await readImageSize(file); // the same refusals as reading the image
  const meta = await sharp(file, { limitInputPixels: false }).metadata();
  const recipe = meta.xmp ? parseRecipeXmp(meta.xmp) : undefined;
  return {
    format: meta.format ?? 'unknown',
    width,
    height,
    ...(recipe !== undefined ? { recipe } : {}),
    hasXmp: meta.xmp !== undefined,
  };
}
