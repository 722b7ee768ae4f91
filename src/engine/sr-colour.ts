/**
 * The colour half of super-resolution: chroma and alpha bicubic-upscaled strip by strip and merged with
 * the network's HR luma. Pure (no TensorFlow.js), so the iteration store can rebuild colour rows of a
 * saved iterate without loading the compute.
 */
import { clamp01, mergeLuma, type LumaPlanes } from './color.js';
import { bicubicUpscaleImage } from './degradations.js';
import type { Image } from './image.js';

export { clamp01 };

/** Work arrays for upscaling strips of the same size one after another (per plane: row pass, output). */
export type UpscaleScratch = Partial<Record<'cb' | 'cr' | 'alpha', { rows: Float32Array; out: Float32Array }>>;

/** Scratch for strips of up to `rows` × `width` LR pixels at scale t. */
export function upscaleScratch(planes: LumaPlanes, width: number, rows: number, t: number): UpscaleScratch {
  const make = () => ({ rows: new Float32Array(width * rows * t), out: new Float32Array(width * t * rows * t) });
  return { cb: planes.cb && make(), cr: planes.cr && make(), alpha: planes.alpha && make() };
}

/**
 * Upscaled chroma and alpha planes, one plane at a time (y is left empty: the network fills it); with
 * `scratch`, views on its arrays (valid until it is used again).
 */
export function upscaleExtras(planes: LumaPlanes, t: number, scratch?: UpscaleScratch): LumaPlanes {
  const up = (plane: Float32Array, into?: { rows: Float32Array; out: Float32Array }) =>
    bicubicUpscaleImage({ width: planes.width, height: planes.height, channels: 1, data: plane }, t, into).data;
  return {
    width: planes.width * t,
    height: planes.height * t,
    y: new Float32Array(0),
    cb: planes.cb && up(planes.cb, scratch?.cb),
    cr: planes.cr && up(planes.cr, scratch?.cr),
    alpha: planes.alpha && clamp01(up(planes.alpha, scratch?.alpha)),
  };
}

/** `extras` with `luma` as one clipped image (written into `into` when given: mergeLuma). */
export function withLuma(extras: LumaPlanes, luma: Float32Array, into?: Float32Array): Image {
  return mergeLuma({ ...extras, y: luma }, into, true);
}

/** Channels of the merged image: grey or RGB, plus alpha when the input has one. */
export function mergedChannels(planes: LumaPlanes): Image['channels'] {
  return ((planes.cb === undefined ? 1 : 3) + (planes.alpha ? 1 : 0)) as Image['channels'];
}

/**
 * Colour rows of LR rows [a, b) inside the merge strip [s0, s1): chroma / alpha upscaled from the
 * strip's LR rows with 3 rows of context (which equals the whole-plane upscale), `luma` the HR luma
 * of rows [a, b). Every caller cuts the image into the same strips, so the rows of an iterate saved
 * band by band equal the final result's.
 */
function colourPart(
  planes: LumaPlanes,
  t: number,
  s0: number,
  s1: number,
  a: number,
  b: number,
  luma: Float32Array,
  into?: Float32Array,
  scratch?: UpscaleScratch,
): Image {
  const W = planes.width * t;
  const context = 3;
  const i0 = Math.max(0, s0 - context);
  const i1 = Math.min(planes.height, s1 + context);
  const rows = (plane: Float32Array | undefined) => plane?.subarray(i0 * planes.width, i1 * planes.width);
  const sub = {
    width: planes.width,
    height: i1 - i0,
    y: new Float32Array(0),
    cb: rows(planes.cb),
    cr: rows(planes.cr),
    alpha: rows(planes.alpha),
  };
  const up = upscaleExtras(sub, t, scratch);
  const keep = (plane: Float32Array | undefined) => plane?.subarray((a - i0) * t * W, (b - i0) * t * W);
  return withLuma(
    { width: W, height: (b - a) * t, y: new Float32Array(0), cb: keep(up.cb), cr: keep(up.cr), alpha: keep(up.alpha) },
    luma,
    into,
  );
}

/** LR rows per strip of the colour merge (final result and band frames alike). */
const MERGE_STRIP_ROWS = 64;

/**
 * Colour rows of LR rows [r0, r1) whose HR luma is `luma`, strip by strip as the final merge cuts
 * them (so equal to the final result's rows for the same luma); `y` is the first output row.
 */
export function* colourRows(
  planes: LumaPlanes,
  t: number,
  r0: number,
  r1: number,
  luma: Float32Array,
  stripRows = MERGE_STRIP_ROWS,
): Generator<{ y: number; image: Image }> {
  const W = planes.width * t;
  const scratch = upscaleScratch(planes, planes.width, stripRows + 6, t);
  for (let s0 = Math.floor(r0 / stripRows) * stripRows; s0 < r1; s0 += stripRows) {
    const s1 = Math.min(planes.height, s0 + stripRows);
    const a = Math.max(r0, s0);
    const b = Math.min(r1, s1);
    const image = colourPart(planes, t, s0, s1, a, b, luma.subarray((a - r0) * t * W, (b - r0) * t * W), undefined, scratch);
    yield { y: a * t, image };
  }
}

/**
 * The final colour image: HR luma with chroma / alpha bicubic-upscaled `stripRows` LR rows at a time
 * (each strip upscaled with 3 rows of LR context, so it equals the whole-plane upscale), so that
 * full-size chroma planes never exist beside the output (≈ 200 MB on a 24 MP ×4 result).
 */
export function mergeWithUpscaledChroma(planes: LumaPlanes, luma: Float32Array, t: number, stripRows = MERGE_STRIP_ROWS): Image {
  const data = new Float32Array(planes.width * t * planes.height * t * mergedChannels(planes));
  data.set(luma);
  return mergeInPlace(planes, data, t, stripRows);
}

/**
 * mergeWithUpscaledChroma without a second full-size buffer: `data` (the result's samples, width·t ×
 * height·t × mergedChannels) holds the HR luma plane in its first width·t × height·t floats. The
 * strips are merged from the bottom up, each strip's luma copied aside first, so every luma value is
 * read before a colour sample overwrites it (strip s writes from s·W·channels on, at or after the
 * end of the luma rows above it). The values are mergeWithUpscaledChroma's.
 */
export function mergeInPlace(planes: LumaPlanes, data: Float32Array, t: number, stripRows = MERGE_STRIP_ROWS): Image {
  checkMergeTarget(planes, data, t);
  mergeStrips(planes, data, t, mergeWaves(planes.height, mergedChannels(planes), stripRows).flat(), stripRows);
  return { width: planes.width * t, height: planes.height * t, channels: mergedChannels(planes), data };
}

function checkMergeTarget(planes: LumaPlanes, data: Float32Array, t: number): void {
  const expected = planes.width * t * planes.height * t * mergedChannels(planes);
  if (data.length !== expected) throw new Error(`mergeInPlace: ${data.length} values, expected ${expected}.`);
}

/**
 * The strips of the in-place merge (their first LR rows), bottom up, in waves: a strip's colour samples
 * overwrite the luma of the rows `channels` times further down, so each wave's strips only overwrite
 * luma that earlier waves have read, and the strips of one wave can be merged in any order, or at once
 * on several threads. The first wave (the rows below height / channels, whose samples go past the luma
 * plane) holds most of them.
 */
export function mergeWaves(height: number, channels: number, stripRows = MERGE_STRIP_ROWS): number[][] {
  const starts: number[] = [];
  for (let s0 = Math.floor((height - 1) / stripRows) * stripRows; s0 >= 0; s0 -= stripRows) starts.push(s0);
  if (channels === 1) return [starts];
  const waves: number[][] = [];
  // Strip s0 may run once every strip holding luma rows [s0·channels, s1·channels) has run.
  let merged = height; // strips starting at or after this LR row are merged
  for (let i = 0; i < starts.length;) {
    const wave: number[] = [];
    while (i < starts.length && starts[i] * channels >= merged) wave.push(starts[i++]);
    // Only the top strip (s0 = 0) gets here: every strip below it has run, and its own luma is copied aside.
    if (wave.length === 0) wave.push(starts[i++]);
    merged = wave[wave.length - 1];
    waves.push(wave);
  }
  return waves;
}

/** Merges the strips starting at `starts` (LR rows) in place, in the order given (mergeInPlace's steps). */
export function mergeStrips(
  planes: LumaPlanes,
  data: Float32Array,
  t: number,
  starts: readonly number[],
  stripRows = MERGE_STRIP_ROWS,
): void {
  const W = planes.width * t;
  const H = planes.height;
  const channels = mergedChannels(planes);
  const luma = new Float32Array(Math.min(stripRows, H) * t * W);
  const scratch = upscaleScratch(planes, planes.width, Math.min(stripRows + 6, H), t);
  for (const s0 of starts) {
    const s1 = Math.min(H, s0 + stripRows);
    const rows = luma.subarray(0, (s1 - s0) * t * W);
    rows.set(data.subarray(s0 * t * W, s1 * t * W));
    colourPart(planes, t, s0, s1, s0, s1, rows, data.subarray(s0 * t * W * channels, s1 * t * W * channels), scratch);
  }
}
