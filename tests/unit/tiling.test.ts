import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createImage, type Image } from '../../src/engine/image.js';
import { peakTileBytes, planTiles, runTiled } from '../../src/engine/tiling.js';

function randomImage(width: number, height: number, channels: Image['channels'], seed = 1): Image {
  const image = createImage(width, height, channels);
  let s = seed;
  for (let i = 0; i < image.data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    image.data[i] = (s >>> 8) / 2 ** 24;
  }
  return image;
}

/** Box blur of radius r with replicated borders (a local operator of radius r). */
function boxBlur(image: Image, r: number): Image {
  const { width, height, channels } = image;
  const out = createImage(width, height, channels);
  const clamp = (v: number, hi: number): number => (v < 0 ? 0 : v > hi ? hi : v);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let dy = -r; dy <= r; dy++) {
          for (let dx = -r; dx <= r; dx++) {
            sum += image.data[(clamp(y + dy, height - 1) * width + clamp(x + dx, width - 1)) * channels + c];
          }
        }
        out.data[(y * width + x) * channels + c] = sum / (2 * r + 1) ** 2;
      }
    }
  }
  return out;
}

function nearestUp(image: Image, s: number): Image {
  const { width, height, channels } = image;
  const out = createImage(width * s, height * s, channels);
  for (let y = 0; y < height * s; y++) {
    for (let x = 0; x < width * s; x++) {
      for (let c = 0; c < channels; c++) {
        out.data[(y * width * s + x) * channels + c] = image.data[(Math.floor(y / s) * width + Math.floor(x / s)) * channels + c];
      }
    }
  }
  return out;
}

test('planTiles: owned regions partition the image, tiles within tileSize, context ≥ overlap', () => {
  for (const [w, h, size, overlap] of [
    [100, 37, 32, 4],
    [64, 64, 64, 8],
    [65, 300, 40, 10],
    [17, 9, 5, 2],
    [50, 50, 11, 0],
  ]) {
    const tiles = planTiles(w, h, size, overlap);
    const owner = new Uint8Array(w * h);
    for (const t of tiles) {
      assert.ok(t.width <= size && t.height <= size, `tile ${t.width}×${t.height} > ${size}`);
      const { own } = t;
      assert.ok(own.x >= t.x && own.y >= t.y && own.x + own.width <= t.x + t.width && own.y + own.height <= t.y + t.height);
      // context: overlap on each side unless the tile touches the image border there
      assert.ok(own.x - t.x >= overlap || t.x === 0);
      assert.ok(own.y - t.y >= overlap || t.y === 0);
      assert.ok(t.x + t.width - (own.x + own.width) >= overlap || t.x + t.width === w);
      assert.ok(t.y + t.height - (own.y + own.height) >= overlap || t.y + t.height === h);
      for (let y = own.y; y < own.y + own.height; y++) for (let x = own.x; x < own.x + own.width; x++) owner[y * w + x]++;
    }
    assert.ok(
      owner.every((n) => n === 1),
      `${w}×${h}: every pixel owned exactly once`,
    );
  }
  assert.equal(planTiles(30, 20, 64, 8).length, 1);
  assert.throws(() => planTiles(100, 100, 16, 8), /twice the overlap/);
});

test('5×5 box blur: tiled equals untiled exactly when overlap ≥ radius, differs when too small', async () => {
  const input = randomImage(53, 41, 3);
  const full = boxBlur(input, 2);
  const blur = async (tile: Image): Promise<Image> => boxBlur(tile, 2);
  const tiled = await runTiled(input, { tileSize: 16, overlap: 2 }, blur);
  assert.deepEqual(tiled.data, full.data);
  const tooSmall = await runTiled(input, { tileSize: 16, overlap: 1 }, blur);
  assert.notDeepEqual(tooSmall.data, full.data);
});

test('×2 nearest upsample + 3×3 blur: tiled equals untiled at overlap 1, differs at 0', async () => {
  const input = randomImage(23, 30, 1, 7);
  const op = (image: Image): Image => boxBlur(nearestUp(image, 2), 1);
  const full = op(input);
  const tiled = await runTiled(input, { tileSize: 9, overlap: 1, scale: 2 }, async (t) => op(t));
  assert.equal(tiled.width, 46);
  assert.equal(tiled.height, 60);
  assert.deepEqual(tiled.data, full.data);
  const tooSmall = await runTiled(input, { tileSize: 9, overlap: 0, scale: 2 }, async (t) => op(t));
  assert.notDeepEqual(tooSmall.data, full.data);
});

test('runTiled reports progress, honours abort, checks tile output size', async () => {
  const input = randomImage(40, 40, 1);
  const seen: number[] = [];
  await runTiled(input, { tileSize: 20, overlap: 2, onProgress: (done) => seen.push(done) }, async (t) => t);
  assert.deepEqual(
    seen,
    seen.map((_, i) => i + 1),
  );
  assert.ok(seen.length > 1);
  const controller = new AbortController();
  controller.abort(new Error('stop'));
  await assert.rejects(
    runTiled(input, { tileSize: 20, overlap: 2, signal: controller.signal }, async (t) => t),
    /stop/,
  );
  await assert.rejects(
    runTiled(input, { tileSize: 20, overlap: 2, scale: 2 }, async (t) => t),
    /expected ×2/,
  );
});

test('peakTileBytes counts the largest tile input + output in float32', () => {
  // single 10×10 tile, 3 channels in, ×2, 3 out: (100·3 + 400·3)·4
  assert.equal(peakTileBytes(10, 10, { tileSize: 64, overlap: 4, scale: 2 }, 3), (300 + 1200) * 4);
  const bytes = peakTileBytes(4000, 3000, { tileSize: 256, overlap: 16, scale: 4 }, 1);
  assert.ok(bytes <= (256 * 256 + 1024 * 1024) * 4);
});
