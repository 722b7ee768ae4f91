/**
 * Generic overlapping tiler (docs/architecture.md §6: large images never exhaust memory, and tiled results
 * equal untiled ones).
 *
 * Each axis is partitioned into "owned" intervals; a tile is its owned interval grown by
 * `overlap` pixels of context on each side, clamped at the image border (border tiles are simply
 * shorter: nothing is padded, so an operator sees the real image border exactly where it would
 * untiled). Only the owned part of each tile's result is written back, so every output pixel
 * comes from exactly one tile, computed with at least `overlap` input pixels of context in every
 * direction that is not an image border. For an operator whose output at a pixel depends only on
 * inputs within distance r (its radius, in input pixels), `overlap >= r` therefore makes the
 * tiled result identical to the untiled one.
 */
import { createImage, type Image } from './image.js';

export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface Tile extends Rect {
  /** The part of the tile whose results are kept (input coordinates, inside the tile). */
  readonly own: Rect;
}

export interface TileOptions {
  /** Largest tile side in input pixels, context included. */
  readonly tileSize: number;
  /** Context pixels on each interior side of a tile. */
  readonly overlap: number;
  /** Output size = input size × scale (1 for same-size operators). */
  readonly scale?: number;
}

export interface RunTiledOptions extends TileOptions {
  /** Checked before each tile; an aborted signal rejects with its reason. */
  readonly signal?: AbortSignal;
  /** Called after each tile with the number done and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

interface Segment {
  start: number;
  end: number;
  ownStart: number;
  ownEnd: number;
}

function splitAxis(length: number, tileSize: number, overlap: number): Segment[] {
  if (length <= tileSize) return [{ start: 0, end: length, ownStart: 0, ownEnd: length }];
  const core = tileSize - 2 * overlap;
  // Border tiles need context on one side only, so they may own core + overlap pixels; the
  // interior length to share out in pieces of at most `core` is therefore length − 2·overlap.
  const inner = length - 2 * overlap;
  const n = Math.ceil(inner / core);
  const bounds = [0];
  for (let i = 1; i < n; i++) bounds.push(overlap + Math.round((i * inner) / n));
  bounds.push(length);
  const segments: Segment[] = [];
  for (let i = 0; i < n; i++) {
    const ownStart = bounds[i];
    const ownEnd = bounds[i + 1];
    segments.push({
      start: Math.max(0, ownStart - overlap),
      end: Math.min(length, ownEnd + overlap),
      ownStart,
      ownEnd,
    });
  }
  return segments;
}

function checkOptions(tileSize: number, overlap: number, scale: number): void {
  if (!Number.isInteger(tileSize) || tileSize < 1) throw new Error(`tileSize must be a positive integer, got ${tileSize}.`);
  if (!Number.isInteger(overlap) || overlap < 0) throw new Error(`overlap must be a non-negative integer, got ${overlap}.`);
  if (tileSize <= 2 * overlap) {
    throw new Error(`tileSize (${tileSize}) must be larger than twice the overlap (${overlap}).`);
  }
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`scale must be a positive integer, got ${scale}.`);
}

/**
 * Plans the tiles of a width × height image: row-major, each at most tileSize × tileSize, owned
 * regions partitioning the image. An image no larger than tileSize is a single tile.
 */
export function planTiles(width: number, height: number, tileSize: number, overlap: number): Tile[] {
  checkOptions(tileSize, overlap, 1);
  const rows = splitAxis(height, tileSize, overlap);
  const cols = splitAxis(width, tileSize, overlap);
  const tiles: Tile[] = [];
  for (const r of rows) {
    for (const c of cols) {
      tiles.push({
        x: c.start,
        y: r.start,
        width: c.end - c.start,
        height: r.end - r.start,
        own: { x: c.ownStart, y: r.ownStart, width: c.ownEnd - c.ownStart, height: r.ownEnd - r.ownStart },
      });
    }
  }
  return tiles;
}

/** Copies a rectangle of an image into a new image. */
export function cropImage(image: Image, rect: Rect): Image {
  const { channels } = image;
  const out = createImage(rect.width, rect.height, channels);
  const rowLength = rect.width * channels;
  for (let y = 0; y < rect.height; y++) {
    const from = ((rect.y + y) * image.width + rect.x) * channels;
    out.data.set(image.data.subarray(from, from + rowLength), y * rowLength);
  }
  return out;
}

/**
 * Runs `fn` tile by tile and assembles its results. `fn` must return an image of the tile's size
 * × scale (any channel count, the same for every tile). Tiles run one after another, so at most
 * one tile's input and output are alive besides the whole input and output images.
 */
export async function runTiled(
  input: Image,
  options: RunTiledOptions,
  fn: (tile: Image, rect: Tile) => Promise<Image>,
): Promise<Image> {
  const scale = options.scale ?? 1;
  checkOptions(options.tileSize, options.overlap, scale);
  const tiles = planTiles(input.width, input.height, options.tileSize, options.overlap);
  let output: Image | undefined;
  for (let i = 0; i < tiles.length; i++) {
    // Let the event loop run between tiles (fn may compute synchronously for seconds): signal
    // handlers, IPC and timers get their turn, so an abort is seen before the next tile starts.
    await new Promise<void>((resolve) => setImmediate(resolve));
    options.signal?.throwIfAborted();
    const tile = tiles[i];
    const result = await fn(cropImage(input, tile), tile);
    if (result.width !== tile.width * scale || result.height !== tile.height * scale) {
      throw new Error(`runTiled: a ${tile.width}×${tile.height} tile gave ${result.width}×${result.height}, expected ×${scale}.`);
    }
    output ??= createImage(input.width * scale, input.height * scale, result.channels);
    if (result.channels !== output.channels) {
      throw new Error(`runTiled: tiles returned different channel counts (${output.channels} and ${result.channels}).`);
    }
    const c = output.channels;
    const ox = (tile.own.x - tile.x) * scale;
    const oy = (tile.own.y - tile.y) * scale;
    const rowLength = tile.own.width * scale * c;
    for (let y = 0; y < tile.own.height * scale; y++) {
      const from = ((oy + y) * result.width + ox) * c;
      const to = ((tile.own.y * scale + y) * output.width + tile.own.x * scale) * c;
      output.data.set(result.data.subarray(from, from + rowLength), to);
    }
    options.onProgress?.(i + 1, tiles.length);
  }
  if (output === undefined) throw new Error('runTiled: the image has no pixels.');
  return output;
}

/**
 * Peak memory, in bytes, of one tile's float32 input plus its output (the largest tile of the
 * plan), i.e. what tiling adds on top of the whole input and output images.
 */
export function peakTileBytes(
  width: number,
  height: number,
  options: TileOptions,
  channelsIn: number,
  channelsOut: number = channelsIn,
  bytesPerValue = 4,
): number {
  const scale = options.scale ?? 1;
  checkOptions(options.tileSize, options.overlap, scale);
  let peak = 0;
  for (const t of planTiles(width, height, options.tileSize, options.overlap)) {
    const pixels = t.width * t.height;
    peak = Math.max(peak, (pixels * channelsIn + pixels * scale * scale * channelsOut) * bytesPerValue);
  }
  return peak;
}
