import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { initBackend } from '../../src/engine/backend.js';
import { createImage, type Image } from '../../src/engine/image.js';
import { loadWeights } from '../../src/engine/model-file.js';
import { setModelDirs } from '../../src/engine/models.js';
import {
  colourRows,
  mergeWithUpscaledChroma,
  srOverlap,
  srProblem,
  wRadiusLr,
  superResolve,
  superResolveOnPool,
} from '../../src/engine/restore-sr.js';
import { runDLNet } from '../../src/engine/dlnet.js';
import { SrNet } from '../../src/engine/networks/sr-net.js';
import { SrWorkerPool } from '../../src/engine/parallel/pool.js';
import { splitLuma } from '../../src/engine/color.js';
import { mergeStrips, mergeWaves } from '../../src/engine/sr-colour.js';
import { bicubicUpscaleImage } from '../../src/engine/degradations.js';
import { poolThreads, restore, unloadModels } from '../../src/engine/restore.js';
import type { RestoreEvent, SrBand } from '../../src/engine/restore-types.js';
import { writeSrModel } from '../helpers/models.js';
import { maxDiff } from '../helpers/arrays.js';

let dir: string;

before(async () => {
  await initBackend('wasm');
  dir = mkdtempSync(path.join(tmpdir(), 'restore-sr-'));
  writeSrModel(dir, { scale: 2, depth: 3, width: 8, K: 3 });
  writeSrModel(dir, { scale: 3, depth: 2, width: 4, K: 5 });
  writeSrModel(dir, { id: 'drrn-x2', scale: 2, depth: 4, width: 8, backbone: 'drrn-lr', K: 3 });
  writeSrModel(dir, { id: 'idn-x2', scale: 2, depth: 2, width: 64, backbone: 'idn-lr', K: 3 });
  setModelDirs([dir]);
});

after(async () => {
  await unloadModels();
  rmSync(dir, { recursive: true, force: true });
});

function photo(width: number, height: number, channels: Image['channels']): Image {
  const img = createImage(width, height, channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++)
        img.data[(y * width + x) * channels + c] = 0.5 + 0.4 * Math.sin(x * 0.31 + y * 0.17 + c) * Math.cos(y * 0.23 - c);
    }
  }
  return img;
}

test('tiled super-resolution equals the untiled run (DL-Net steps included), and too little overlap does not', async () => {
  const weights = await loadWeights(path.join(dir, 'sr-x2'));
  const image = photo(90, 70, 1);
  const settings = { K: 3, gamma: 1e-2, beta1: 0.9, beta2: 0.999 };
  for (const blur of [0, 1.3]) {
    const run = { scale: 2 as const, blur, settings };
    const whole = await superResolve(weights, image, run, { tileSize: 4096 });
    const events: RestoreEvent[] = [];
    const tiled = await superResolve(weights, image, run, {
      tileSize: 2 * srOverlap(3, 2, 3) + 32,
      onEvent: (e) => events.push(e),
    });
    assert.ok(events.filter((e) => e.type === 'tile').length > 1, 'the run was not tiled');
    assert.equal(tiled.width, 180);
    assert.ok(maxDiff(whole.data, tiled.data) < 1e-5, `u=${blur}: tiled differs by ${maxDiff(whole.data, tiled.data)}`);
    const short = await superResolve(weights, image, { ...run, overlap: 4 }, { tileSize: 40 });
    assert.ok(maxDiff(whole.data, short.data) > 1e-4, 'a 4-pixel overlap should show seams');
  }
});

test('bicubic W reaches 2 LR pixels at every scale: u = 0 bands get a narrower DL-Net margin and stay exact', async () => {
  for (const t of [2, 3, 4]) {
    assert.equal(wRadiusLr(t, 0), 2, `×${t} bicubic`);
    assert.equal(wRadiusLr(t, 1.3), Math.ceil(7 / t), `×${t} Gaussian`);
    assert.equal(wRadiusLr(t), Math.max(2, Math.ceil(7 / t)), `×${t} either`);
  }
  assert.ok(srOverlap(16, 2, 5, 0) < srOverlap(16, 2, 5, 1.3));
  // ×3 at u = 0 (×2's bands are checked in perf-parallel.test.ts): 12-row bands, every step region cut at the
  // narrower margin, equal the untiled run.
  const weights = await loadWeights(path.join(dir, 'sr-x3'));
  const image = photo(40, 60, 1);
  const run = { scale: 3 as const, blur: 0, settings: { K: 5, gamma: 1e-2, beta1: 0.9, beta2: 0.999 } };
  const whole = await superResolve(weights, image, run, { tileSize: 4096 });
  const banded = await superResolve(weights, image, run, { bandRows: 12, chunkWidth: 16 });
  assert.ok(maxDiff(whole.data, banded.data) < 1e-5, `banded differs by ${maxDiff(whole.data, banded.data)}`);
  // The same bands without the DL-Net margin (g's context only) show seams: the check above can fail.
  const short = await superResolve(weights, image, { ...run, overlap: 4 }, { bandRows: 12, chunkWidth: 16 });
  assert.ok(maxDiff(whole.data, short.data) > 1e-4, 'bands without the DL-Net margin should show seams');
});

// g's receptive radius: DRRN 1 + 2·4 = 9 LR pixels, IDN 2 + 6·2 = 14 (a plain stack of 3 would need 3).
for (const [id, radius] of [
  ['drrn-x2', 9],
  ['idn-x2', 14],
] as const)
  test(`${id}: tiled equals untiled at the backbone's own receptive radius, and two threads equal one`, async () => {
    const weights = await loadWeights(path.join(dir, id));
    const image = photo(90, 70, 1);
    const run = { scale: 2 as const, blur: 1.3, settings: { K: 3, gamma: 1e-2, beta1: 0.9, beta2: 0.999 } };
    const whole = await superResolve(weights, image, run, { tileSize: 4096 });
    const events: RestoreEvent[] = [];
    const tileSize = 2 * srOverlap(radius, 2, 3) + 32;
    const tiled = await superResolve(weights, image, run, { tileSize, onEvent: (e) => events.push(e) });
    assert.ok(events.filter((e) => e.type === 'tile').length > 1, 'the run was not tiled');
    assert.ok(maxDiff(whole.data, tiled.data) < 1e-5, `tiled differs by ${maxDiff(whole.data, tiled.data)}`);
    const short = await superResolve(weights, image, { ...run, overlap: 6 }, { tileSize: 44 });
    assert.ok(maxDiff(whole.data, short.data) > 1e-4, "less context than g's radius should show seams");
    const colour = photo(50, 40, 3);
    const one = await restore(colour, { task: 'sr', scale: 2, blur: 0, modelId: id });
    const two = await restore(colour, { task: 'sr', scale: 2, blur: 0, modelId: id }, { workers: 2 });
    assert.ok(maxDiff(one.data, two.data) < 1e-5);
    await unloadModels();
  });

test('restore upscales colour with alpha: ×3 dimensions, iteration frames streamed, alpha kept', async () => {
  const image = photo(20, 14, 4);
  const frames: { k: number; likelihood: number }[] = [];
  const out = await restore(
    image,
    { task: 'sr', scale: 3, blur: 1.3 },
    {
      onEvent: (e) => {
        if (e.type === 'band') {
          assert.equal(e.band.width, 60);
          assert.deepEqual([e.band.y0, e.band.y1, e.coverage], [0, 42, 1]);
          for (const strip of e.band.colourStrips()) assert.equal(strip.image.channels, 4);
          frames.push({ k: e.k, likelihood: e.likelihood });
        }
      },
    },
  );
  assert.equal(out.width, 60);
  assert.equal(out.height, 42);
  assert.equal(out.channels, 4);
  assert.deepEqual(
    frames.map((f) => f.k),
    [1, 2, 3, 4, 5],
  );
  for (const v of out.data) assert.ok(v >= 0 && v <= 1);
  const alphaIn = image.data[3];
  assert.ok(Math.abs(out.data[3] - alphaIn) < 0.05);
});

test('restore refuses a missing model, bad iterations and a bad scale with one sentence', async () => {
  const image = photo(8, 8, 3);
  await assert.rejects(restore(image, { task: 'sr', scale: 4, blur: 0 }), /No super-resolution ×4 model is installed/);
  await assert.rejects(
    restore(image, { task: 'sr', scale: 2, blur: 0, iterations: 0 }),
    /number of iterations must be a whole number/,
  );
  await assert.rejects(restore(image, { task: 'sr', scale: 2, blur: 4 }), /blur width must be between 0 and 3/);
  await assert.rejects(
    restore(image, { task: 'inpaint', mask: { width: 8, height: 8, data: new Uint8Array(64) } }),
    /No inpainting model is installed/,
  );
});

test('restore on two worker threads gives the single-thread result', async () => {
  const image = photo(40, 30, 3);
  const one = await restore(image, { task: 'sr', scale: 2, blur: 1.3 });
  const frames: number[] = [];
  const two = await restore(
    image,
    { task: 'sr', scale: 2, blur: 1.3 },
    { workers: 2, onEvent: (e) => e.type === 'band' && frames.push(e.k) },
  );
  assert.deepEqual(frames, [1, 2, 3]);
  assert.ok(maxDiff(one.data, two.data) < 1e-5, `workers differ by ${maxDiff(one.data, two.data)}`);
  await unloadModels(); // closes the pool's threads: the test process can exit
});

test('the final colour merge upscales chroma and alpha strip by strip, equal to the whole-plane upscale', () => {
  for (const channels of [1, 2, 3, 4] as const)
    for (const t of [2, 3, 4]) {
      const planes = splitLuma(photo(13, 17, channels));
      const luma = new Float32Array(13 * t * 17 * t).map((_, i) => (i % 97) / 97);
      const whole = mergeWithUpscaledChroma(planes, luma, t, 1000);
      const strips = mergeWithUpscaledChroma(planes, luma, t, 2);
      assert.equal(strips.channels, channels);
      assert.equal(strips.width, 13 * t);
      assert.deepEqual(strips.data, whole.data, `${channels} channels, ×${t}`);
      // The merge runs in place, bottom strip first, over the luma at the start of the result's buffer:
      // the same samples as the strips of colourRows written into a fresh image.
      const fresh = new Float32Array(whole.data.length);
      for (const { y, image } of colourRows(planes, t, 0, 17, luma, 2)) fresh.set(image.data, y * 13 * t * channels);
      assert.deepEqual(whole.data, fresh, `${channels} channels, ×${t}: in place`);
      // Colour: red is not the luma alone, so the chroma took part.
      if (channels >= 3)
        assert.ok(
          maxDiff(
            whole.data.filter((_, i) => i % channels === 0),
            luma,
          ) > 0.01,
        );
    }
});

test('the colour merge in waves: the strips of a wave in any order give the bottom-up merge, sample for sample', () => {
  for (const channels of [1, 2, 3, 4] as const)
    for (const t of [2, 3])
      for (const height of [1, 5, 17, 40]) {
        const planes = splitLuma(photo(13, height, channels));
        const W = 13 * t;
        const luma = new Float32Array(W * height * t).map((_, i) => (i % 89) / 89);
        const serial = mergeWithUpscaledChroma(planes, luma, t, 2);
        const waves = mergeWaves(height, channels, 2);
        const starts = waves.flat();
        assert.deepEqual(
          starts,
          [...starts].sort((a, b) => b - a),
          'the waves keep the bottom-up order',
        );
        assert.equal(starts.length, Math.ceil(height / 2));
        if (height === 40 && channels >= 3) assert.ok(waves[0].length >= 10, `first wave: ${waves[0].length} strips`);
        // Each wave's strips top down, the order that breaks the merge if a strip overwrote the luma of
        // another in its wave (a strip's samples land on the luma further down): what threads running the
        // wave at once could do.
        const data = new Float32Array(serial.data.length);
        data.set(luma);
        for (const wave of waves) mergeStrips(planes, data, t, [...wave].reverse(), 2);
        assert.deepEqual(data, serial.data, `${channels} channels, ×${t}, ${height} rows`);
      }
});

test('a region of 64+ LR rows streams a preview first: x̂_1 in its top rows, the bicubic upscale below', async () => {
  const image = photo(30, 70, 3);
  for (const workers of [undefined, 2]) {
    const events: RestoreEvent[] = [];
    const out = await restore(
      image,
      { task: 'sr', scale: 2, blur: 0 },
      { workers, onEvent: (e) => e.type !== 'progress' && events.push(e) },
    );
    assert.deepEqual(
      events.map((e) => e.type),
      ['preview', 'band', 'band', 'band'],
    );
    const preview = events[0] as Extract<RestoreEvent, { type: 'preview' }>;
    const first = { image: wholeColour((events[1] as Extract<RestoreEvent, { type: 'band' }>).band) };
    assert.equal(preview.rows, 2 * 16); // max(16, 70 / 5) LR rows
    assert.equal(preview.image.width, 60);
    const rowLen = 60 * 3;
    const top = preview.rows * rowLen;
    // The top rows are x̂_1 exactly as the first iteration has them, and differ from bicubic.
    assert.ok(maxDiff(preview.image.data.subarray(0, top), first.image.data.subarray(0, top)) < 1e-6, `workers ${workers}`);
    const bicubic = restoreBicubic(image, 2);
    assert.ok(maxDiff(preview.image.data.subarray(0, top), bicubic.subarray(0, top)) > 1e-3);
    // Below them: the bicubic upscale, which the network has not touched yet.
    assert.ok(maxDiff(preview.image.data.subarray(top), bicubic.subarray(top)) < 1e-6);
    assert.equal(out.height, 140);
  }
  await unloadModels();
});

/** The colour image of a band that covers the whole output. */
function wholeColour(band: SrBand): Image {
  const strips = [...band.colourStrips()];
  const channels = strips[0].image.channels;
  const out = createImage(band.width, band.y1 - band.y0, channels);
  for (const { y, image } of strips) out.data.set(image.data, (y - band.y0) * band.width * channels);
  return out;
}

/** Bicubic upscaling of a colour image as the engine does it (luma and chroma each bicubic). */
function restoreBicubic(image: Image, t: number): Float32Array {
  const planes = splitLuma(image);
  const luma = bicubicUpscaleImage({ width: image.width, height: image.height, channels: 1, data: planes.y }, t).data;
  return mergeWithUpscaledChroma(
    planes,
    luma.map((v) => Math.min(1, Math.max(0, v))),
    t,
  ).data;
}

test('a pool whose thread died is retired: the next restoration starts a fresh pool with the same result', async () => {
  const image = photo(40, 30, 3);
  const run = { task: 'sr', scale: 2, blur: 0 } as const;
  const first = await restore(image, run, { workers: 2 });
  const [dead, other] = await poolThreads();
  assert.ok(dead && other, 'two pool threads');
  await dead.terminate();
  await new Promise((resolve) => setImmediate(resolve)); // the 'exit' listeners run
  const second = await restore(image, run, { workers: 2 });
  const fresh = await poolThreads();
  assert.equal(fresh.length, 2);
  assert.ok(!fresh.includes(dead) && !fresh.includes(other), 'both threads are new');
  assert.ok(maxDiff(first.data, second.data) < 1e-6);
  await unloadModels();
});

/** x̂_k (luma), W x̂_k − y, L(z_k) and its coverage per k, assembled from a run's band events. */
function assembleBands(events: RestoreEvent[], width: number, height: number, t: number) {
  const frames = new Map<
    number,
    { luma: Float32Array; residual: Float32Array; likelihood: number; coverage: number; order: number[] }
  >();
  for (const e of events) {
    if (e.type !== 'band') continue;
    let f = frames.get(e.k);
    if (!f) {
      f = {
        luma: new Float32Array(width * t * height * t),
        residual: new Float32Array(width * height),
        likelihood: 0,
        coverage: 0,
        order: [],
      };
      frames.set(e.k, f);
    }
    assert.ok(e.coverage > f.coverage && e.coverage <= 1, 'coverage grows with every band');
    f.luma.set(e.band.luma, e.band.y0 * width * t);
    f.residual.set(e.band.residual, (e.band.y0 / t) * width);
    f.likelihood = e.likelihood;
    f.coverage = e.coverage;
    f.order.push(e.band.y0 / t);
  }
  return frames;
}

test('band-wise frames: a photo cut into several bands streams every x̂_k, its residual and L(z_k) equal to the untiled run and to the autodiff DL-Net', async () => {
  const weights = await loadWeights(path.join(dir, 'sr-x2'));
  const net = new SrNet(weights);
  const image = photo(90, 70, 3);
  const planes = splitLuma(image);
  const settings = { K: 3, gamma: 1e-2, beta1: 0.9, beta2: 0.999 };
  const pool = await SrWorkerPool.start(weights, { workers: 2, backend: 'wasm' });
  try {
    for (const blur of [0, 1.3]) {
      const run = { scale: 2 as const, blur, settings };
      const untiledEvents: RestoreEvent[] = [];
      const whole = await superResolve(weights, image, run, { onEvent: (e) => untiledEvents.push(e) });
      const untiled = assembleBands(untiledEvents, 90, 70, 2);
      assert.deepEqual([...untiled.keys()], [1, 2, 3]);
      for (const f of untiled.values()) assert.deepEqual([f.order, f.coverage], [[0], 1], 'the untiled run is one band');
      // The paper's module (tf autodiff through srProblem) on the untiled luma: x̂_k and L(z_k).
      const problem = srProblem(net, { width: 90, height: 70, channels: 1, data: planes.y }, 2, blur, 90 * 70);
      for await (const step of runDLNet(problem, settings)) {
        const ref = (step.image.dataSync() as Float32Array).map((v) => Math.min(1, Math.max(0, v)));
        step.image.dispose();
        const f = untiled.get(step.k)!;
        assert.ok(maxDiff(ref, f.luma) < 1e-4, `u=${blur}, k=${step.k}: x̂_k differs from autodiff by ${maxDiff(ref, f.luma)}`);
        assert.ok(Math.abs(f.likelihood - step.likelihood) <= 1e-4 * step.likelihood, `u=${blur}, k=${step.k}: L`);
      }
      problem.dispose();

      for (const [name, runBanded] of [
        ['this thread', (o: Parameters<typeof superResolve>[3]) => superResolve(weights, image, run, o)],
        ['two workers', (o: Parameters<typeof superResolve>[3]) => superResolveOnPool(pool, image, run, o)],
      ] as const) {
        const events: RestoreEvent[] = [];
        const out = await runBanded({ bandRows: 16, chunkWidth: 24, focus: 0.5, onEvent: (e) => events.push(e) });
        assert.ok(maxDiff(whole.data, out.data) < 1e-5, `${name}: banded result differs`);
        const banded = assembleBands(events, 90, 70, 2);
        // transientBands: one buffer serves every band, and what the events carry (read during the event) is the same.
        const bandsOf = (list: RestoreEvent[]) =>
          list.filter((e): e is Extract<RestoreEvent, { type: 'band' }> => e.type === 'band');
        const copied: { k: number; y0: number; luma: Float32Array; residual: Float32Array; buffer: ArrayBufferLike }[] = [];
        await runBanded({
          bandRows: 16,
          chunkWidth: 24,
          focus: 0.5,
          transientBands: true,
          onEvent: (e) => {
            if (e.type === 'band')
              copied.push({
                k: e.k,
                y0: e.band.y0,
                luma: e.band.luma.slice(),
                residual: e.band.residual.slice(),
                buffer: e.band.luma.buffer,
              });
          },
        });
        assert.equal(new Set(copied.map((c) => c.buffer)).size, 1, `${name}: transient bands share one buffer`);
        assert.ok(new Set(bandsOf(events).map((e) => e.band.luma.buffer)).size > 1, `${name}: kept bands have their own`);
        assert.deepEqual(
          copied.map((c) => [c.k, c.y0]),
          bandsOf(events).map((e) => [e.k, e.band.y0]),
        );
        bandsOf(events).forEach((e, i) => {
          assert.deepEqual(copied[i].luma, e.band.luma, `${name}: transient band ${i} luma`);
          assert.deepEqual(copied[i].residual, e.band.residual, `${name}: transient band ${i} residual`);
        });
        for (let k = 1; k <= 3; k++) {
          const [a, b] = [banded.get(k)!, untiled.get(k)!];
          assert.equal(a.order.length, 5, `${name}: 70 rows in bands of 16 (as split): ${a.order}`);
          assert.equal(a.order[0], 28, `${name}: the band holding the middle row (35) comes first`);
          assert.deepEqual(
            [...a.order].sort((x, y) => x - y),
            [0, 14, 28, 42, 56],
          );
          assert.equal(a.coverage, 1);
          assert.ok(maxDiff(a.luma, b.luma) < 1e-5, `${name}, u=${blur}, k=${k}: x̂_k differs by ${maxDiff(a.luma, b.luma)}`);
          assert.ok(maxDiff(a.residual, b.residual) < 1e-5, `${name}, u=${blur}, k=${k}: residual`);
          assert.ok(
            Math.abs(a.likelihood - b.likelihood) <= 1e-5 * b.likelihood,
            `${name}, u=${blur}, k=${k}: L ${a.likelihood} vs ${b.likelihood}`,
          );
        }
        // Every k of a band arrives before the next band starts, and the colour rows of x̂_K's
        // bands are the final result's exactly (the CLI saves them band by band).
        const bands = events.filter((e) => e.type === 'band');
        assert.deepEqual(
          bands.slice(0, 3).map((e) => e.k),
          [1, 2, 3],
        );
        const last = createImage(180, 140, 3);
        for (const e of bands)
          if (e.k === 3) for (const { y, image: rows } of e.band.colourStrips()) last.data.set(rows.data, y * 180 * 3);
        assert.deepEqual(last.data, out.data, `${name}: x̂_K in colour equals the result`);
      }
    }
  } finally {
    await pool.close();
    net.dispose();
  }
});

test('band frames are handed on after the task that finished them: a consumer that throws fails the job with its error, and nothing follows it', async () => {
  const weights = await loadWeights(path.join(dir, 'sr-x2'));
  const image = photo(60, 50, 3);
  const run = { scale: 2 as const, blur: 0, settings: { K: 3, gamma: 1e-2, beta1: 0.9, beta2: 0.999 } };
  const pool = await SrWorkerPool.start(weights, { workers: 2, backend: 'wasm' });
  try {
    for (const [name, restoreBanded] of [
      ['this thread', (o: Parameters<typeof superResolve>[3]) => superResolve(weights, image, run, o)],
      ['two workers', (o: Parameters<typeof superResolve>[3]) => superResolveOnPool(pool, image, run, o)],
    ] as const) {
      let bands = 0;
      let afterFailure = 0;
      const failure = new Error('the display is gone');
      await assert.rejects(
        restoreBanded({
          bandRows: 12,
          chunkWidth: 16,
          transientBands: true,
          onEvent: (e) => {
            if (e.type !== 'band') return;
            if (++bands === 2) throw failure;
            if (bands > 2) afterFailure++;
          },
        }),
        (error) => error === failure,
        name,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(afterFailure, 0, `${name}: no band event after the consumer failed`);
    }
  } finally {
    await pool.close();
  }
});
