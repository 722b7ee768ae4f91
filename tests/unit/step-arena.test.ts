import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { adamActive, countActive, fillActive, reluRows, type ActiveAdam } from '../../src/engine/active-adam.js';
import { ACTIVE_SLACK, StepArena, type RowPass } from '../../src/engine/kernels/step-arena.js';
import { applyW, applyWT, axisTaps } from '../../src/engine/parallel/sr-operator.js';
import { kernelModule, kernelSources } from '../../scripts/build-kernels.mjs';

const settings = { gamma: 0.01, beta1: 0.9, beta2: 0.999 };

function random(seed: number): () => number {
  let s = seed;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Adam's arrays over `dense` entries of z (a third of them ≤ 0) as views on `buffer`, and a gradient. */
function problem(buffer: ArrayBuffer | undefined, dense: number, gradFrom: number, seed: number) {
  const rnd = random(seed);
  const zDense = Float32Array.from({ length: dense }, () => rnd() * 1.5 - 0.5);
  const count = countActive({ z: zDense, rows: 1, rowLen: dense });
  const gradLength = dense - gradFrom;
  const bytes = 4 * (dense + 4 * count + gradLength);
  const memory = buffer ?? new ArrayBuffer(bytes);
  let at = 0;
  const f32 = (n: number) => {
    const view = new Float32Array(memory, at, n);
    at += 4 * n;
    return view;
  };
  const a = f32(dense);
  const index = new Int32Array(memory, at, count);
  at += 4 * count;
  const active: ActiveAdam = { a, index, z: f32(count), m: f32(count), v: f32(count) };
  fillActive({ z: zDense, rows: 1, rowLen: dense }, a, index, active.z);
  const grad = f32(gradLength);
  for (let i = 0; i < grad.length; i++) grad[i] = rnd() - 0.5;
  return { active, grad, count, bytes };
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    const tolerance = 1e-6 * Math.max(1, Math.abs(expected[i]));
    if (!(Math.abs(actual[i] - expected[i]) <= tolerance))
      assert.fail(`${what}[${i}] = ${actual[i]}, the JS step gives ${expected[i]}`);
  }
}

test('the committed kernel modules are what scripts/build-kernels.mjs assembles from their .wat sources', async () => {
  const sources = kernelSources();
  assert.ok(sources.length > 0);
  for (const wat of sources) {
    const { path, text } = await kernelModule(wat);
    assert.equal(readFileSync(path, 'utf8'), text, `${path} is stale: run npm run build:kernels`);
  }
});

test('the WebAssembly Adam step gives the JS step, on a slab of the gradient and with a tail of 1–3 entries', () => {
  const dense = 4099; // the active count is no multiple of 4
  const gradFrom = 1000; // the gradient holds entries 1000… (a slab), Adam runs on the active ones there
  const arena = new StepArena();
  const sizing = problem(undefined, dense, gradFrom, 7);
  const inArena = problem(arena.zeroed(sizing.bytes), dense, gradFrom, 7);
  const inJs = problem(undefined, dense, gradFrom, 7);
  assert.equal(arena.simd, true, 'this Node has WebAssembly SIMD');
  const j0 = inJs.active.index.findIndex((i) => i >= gradFrom);
  for (let k = 1; k <= 4; k++) {
    arena.adam(inArena.active, inArena.grad, gradFrom, j0, inArena.count, k, settings);
    adamActive(inJs.active, inJs.grad, gradFrom, j0, inJs.count, k, settings);
  }
  for (const key of ['z', 'm', 'v', 'a'] as const) assertClose(inArena.active[key], inJs.active[key], key);
  // Entries before the slab were not touched; some moved from > 0 to ≤ 0 and their a is 0.
  assert.deepEqual(inArena.active.m.subarray(0, j0), new Float32Array(j0));
  const crossed = inArena.active.z.filter((z) => z <= 0).length;
  assert.ok(crossed > 0, 'some entries crossed zero');
  arena.release();
});

test('the arena runs the JS step for a gradient outside its memory, and hands out zeroed memory on reuse', () => {
  const arena = new StepArena();
  const first = new Float32Array(arena.zeroed(4096), 0, 1024);
  first.fill(3);
  const again = new Float32Array(arena.zeroed(4096), 0, 1024);
  assert.deepEqual(again, new Float32Array(1024));
  const grown = arena.zeroed(1 << 20);
  assert.ok(grown.byteLength >= 1 << 20);

  const sizing = problem(undefined, 512, 0, 3);
  const inArena = problem(arena.zeroed(sizing.bytes), 512, 0, 3);
  const inJs = problem(undefined, 512, 0, 3);
  const outside = Float32Array.from(inArena.grad);
  arena.adam(inArena.active, outside, 0, 0, inArena.count, 1, settings);
  adamActive(inJs.active, inJs.grad, 0, 0, inJs.count, 1, settings);
  assert.deepEqual(inArena.active.z, inJs.active.z); // the JS step exactly
  arena.release();
});

test('reluRows writes the dense a that fillActive writes, from rows at an offset and stride', () => {
  const rnd = random(11);
  const source = Float32Array.from({ length: 5 * 40 }, () => rnd() - 0.4);
  const rows = { z: source, rows: 4, rowLen: 30, offset: 7, stride: 40 };
  const count = countActive(rows);
  const expected = new Float32Array(4 * 30);
  fillActive(rows, expected, new Int32Array(count), new Float32Array(count));
  const actual = new Float32Array(4 * 30);
  reluRows(rows, actual);
  assert.deepEqual(actual, expected);
  assert.ok(count > 0 && count < 120, 'some entries are ≤ 0, some > 0');
});

test("the WebAssembly tap row adds the head conv's three taps as the JS loop does, for rows of 2 to 13 pixels", () => {
  const arena = new StepArena();
  const rnd = random(11);
  for (const n of [2, 3, 4, 5, 6, 9, 13]) {
    const buffer = arena.zeroed(4 * (n + 2 + 3 * n + 8));
    // out at an offset of 2; the three tap rows at uneven offsets inside one taps array.
    const out = new Float32Array(buffer, 0, n + 2);
    const taps = new Float32Array(buffer, 4 * (n + 2), 3 * n + 8);
    for (let i = 0; i < out.length; i++) out[i] = rnd() - 0.5;
    for (let i = 0; i < taps.length; i++) taps[i] = rnd() - 0.5;
    const [ob, p0, p1, p2] = [2, 1, n + 3, 2 * n + 6];
    const want = Float32Array.from(out);
    for (let j = 0; j < n; j++)
      want[ob + j] += (j > 0 ? taps[p0 + j - 1] : 0) + taps[p1 + j] + (j < n - 1 ? taps[p2 + j + 1] : 0);
    assert.ok(arena.tapRow(out, ob, taps, p0, p1, p2, n), `the kernel did not run for n = ${n}`);
    assertClose(out, want, `tap row of ${n}`);
  }
  // Outside the arena (or a row of 1) the caller's JS loop runs.
  const plain = new Float32Array(8);
  assert.equal(arena.tapRow(plain, 0, plain, 0, 2, 4, 3), false);
  const inside = new Float32Array(arena.zeroed(64), 0, 8);
  assert.equal(arena.tapRow(inside, 0, inside, 0, 1, 2, 1), false);
});

/** z rows of `rowLen` floats, `stride` apart from `offset` (as the steps read the z cache), with zeros and −0s. */
function zSource(rows: number, rowLen: number, offset: number, stride: number, seed: number) {
  const rnd = random(seed);
  const z = Float32Array.from({ length: offset + rows * stride }, () => rnd() * 1.5 - 0.5);
  for (let i = 0; i < z.length; i += 17) z[i] = i % 2 ? 0 : -0;
  return { z, rows, rowLen, offset, stride };
}

test('the arena copies z, counts and packs the active set in WebAssembly as the JS passes do, on strided rows with a tail, and writes no further than its slack', () => {
  for (const [rows, rowLen] of [
    [3, 37], // 111 entries: a tail of 3
    [5, 64],
    [1, 2], // shorter than one vector
  ]) {
    const zRows = zSource(rows, rowLen, 11, rowLen + 9, rows * rowLen);
    const n = rows * rowLen;
    const expectedCount = countActive(zRows);
    const js = { a: new Float32Array(n), index: new Int32Array(expectedCount), z: new Float32Array(expectedCount) };
    fillActive(zRows, js.a, js.index, js.z);
    const arena = new StepArena();
    // Garbage where the buffer will lie: every value read must have been written.
    new Uint8Array(arena.zeroed(4 * (n + 64 + 2 * (n + ACTIVE_SLACK)))).fill(0xee, 0, 4 * (n + 64 + 2 * (n + ACTIVE_SLACK)));
    const { work, count } = arena.withZ(zRows, true, (c) => 4 * (n + 2 * (c + ACTIVE_SLACK) + 8));
    assert.equal(count, expectedCount);
    const a = new Float32Array(work, 0, n);
    const index = new Int32Array(work, 4 * n, count);
    const z = new Float32Array(work, 4 * (n + count + ACTIVE_SLACK), count);
    const after = new Uint8Array(work, 4 * (n + 2 * (count + ACTIVE_SLACK)), 32);
    assert.ok(
      after.every((b) => b === 0xee),
      'the rest of the buffer is left as it was (the steps write it before reading it)',
    );
    assert.ok(
      a.every((v, i) => Object.is(v, zRows.z[11 + Math.floor(i / rowLen) * (rowLen + 9) + (i % rowLen)])),
      'z is copied into a',
    );
    arena.fillActive(a, index, z);
    assert.deepEqual(Array.from(index), Array.from(js.index), `index, ${rows} × ${rowLen}`);
    assert.deepEqual(Array.from(z), Array.from(js.z), `active z, ${rows} × ${rowLen}`);
    for (let i = 0; i < n; i++) assert.ok(a[i] === js.a[i], `a[${i}] = ${a[i]}, the JS pass gives ${js.a[i]}`);
    assert.ok(
      after.every((b) => b === 0xee),
      'nothing past the slack was written',
    );
    arena.release();
  }
});

test('the arena clamps z to ReLU in WebAssembly as the JS pass does, and falls back to the JS passes outside its memory', () => {
  const zRows = zSource(4, 41, 5, 50, 3);
  const n = 4 * 41;
  const js = new Float32Array(n);
  reluRows(zRows, js);
  const arena = new StepArena();
  const { work, count } = arena.withZ(zRows, false, () => 4 * n);
  assert.equal(count, 0, 'not counted when not asked for');
  const a = new Float32Array(work, 0, n);
  arena.relu(a);
  for (let i = 0; i < n; i++) assert.ok(a[i] === js[i], `a[${i}] = ${a[i]}, the JS pass gives ${js[i]}`);
  // Arrays outside the arena: the JS passes, in place.
  const outside = new Float32Array(n);
  for (let r = 0; r < 4; r++) outside.set(zRows.z.subarray(5 + r * 50, 5 + r * 50 + 41), r * 41);
  const copy = outside.slice();
  arena.relu(outside);
  for (let i = 0; i < n; i++) assert.ok(outside[i] === js[i], `outside a[${i}] = ${outside[i]}`);
  const total = countActive(zRows);
  const index = new Int32Array(total);
  const z = new Float32Array(total);
  arena.fillActive(copy, index, z);
  const jsIndex = new Int32Array(total);
  const jsZ = new Float32Array(total);
  fillActive(zRows, new Float32Array(n), jsIndex, jsZ);
  assert.deepEqual(index, jsIndex);
  assert.deepEqual(z, jsZ);
  arena.release();
});

/** Scale and blur u of W's test cases: every scale with bicubic taps, and Gaussian ones. */
const SCALES_AND_BLURS = [
  [2, 0],
  [3, 0],
  [4, 0],
  [2, 1.3],
  [3, 2.1],
  [4, 2.6],
] as const;

test("W's and Wᵀ's row pass in WebAssembly (single precision) agree with the JS loop (doubles), at every scale and both kernels", () => {
  for (const [t, blur] of SCALES_AND_BLURS) {
    const [h, w] = [t * 13, t * 7 + t]; // rows with a tail of 0–3 values after the groups of four
    const rnd = random(t * 10 + blur);
    const x = Float32Array.from({ length: h * w }, () => rnd() - 0.25);
    const rows = axisTaps(h, t, blur);
    const cols = axisTaps(w, t, blur);
    const [hl, lr] = [(h / t) * w, (h / t) * (w / t)];
    const arena = new StepArena();
    const memory = arena.zeroed(4 * (h * w + hl + lr + h * w));
    const view = (at: number, n: number) => new Float32Array(memory, 4 * at, n);
    const [ax, atmp, aout, aback] = [view(0, h * w), view(h * w, hl), view(h * w + hl, lr), view(h * w + hl + lr, h * w)];
    ax.set(x);
    let ran = 0;
    const pass: RowPass = (src, s, wt, count, dst, d, len) => (ran++, arena.weightedRows(src, s, wt, count, dst, d, len));
    applyW(ax, w, rows, cols, atmp, aout, pass);
    const out = new Float32Array(lr);
    applyW(x, w, rows, cols, new Float32Array(hl), out);
    assert.ok(ran > 0 && arena.simd);
    assertClose(aout, out, `W at ×${t}, u = ${blur}`);
    applyWT(aout, h, w, rows, cols, 0.37, atmp, aback, pass);
    const back = new Float32Array(h * w);
    applyWT(out, h, w, rows, cols, 0.37, new Float32Array(hl), back);
    assertClose(aback, back, `Wᵀ at ×${t}, u = ${blur}`);
    // Outside the arena the pass declines and the JS loop runs.
    assert.equal(arena.weightedRows(x, new Int32Array([0]), new Float64Array([1]), 1, out, 0, 4), false);
    arena.release();
  }
});

test("W's and Wᵀ's column passes away from the borders give the tap lists' sums bit for bit, at every scale and both kernels", () => {
  for (const [t, blur] of SCALES_AND_BLURS) {
    // Wide enough for an interior (the Gaussian reaches 7 HR pixels either way), and a width with none.
    for (const lrWidth of [23, 2]) {
      const [h, w] = [t * 3, t * lrWidth];
      const rnd = random(t * 100 + blur * 10 + lrWidth);
      const x = Float32Array.from({ length: h * w }, () => rnd() - 0.25);
      const rows = axisTaps(h, t, blur);
      const cols = axisTaps(w, t, blur);
      const [oh, ow] = [h / t, w / t];
      if (lrWidth > 2) assert.ok(cols.wTo > cols.wFrom && cols.tTo > cols.tFrom, `an interior at ×${t}, u = ${blur}`);
      // Row pass only, then the column pass by its definition: output p of W reads idx[p·n + j] with weight j;
      // input q of Wᵀ gathers its transposed entries, then the scale.
      const byRows = new Float32Array(oh * w);
      applyW(x, w, rows, axisTaps(w, 1, 0), byRows, new Float32Array(oh * w));
      const expected = new Float32Array(oh * ow);
      for (let o = 0; o < oh; o++)
        for (let p = 0; p < ow; p++) {
          let s = 0;
          for (let j = 0; j < cols.n; j++) s += cols.weights[j] * byRows[o * w + cols.idx[p * cols.n + j]];
          expected[o * ow + p] = s;
        }
      const out = new Float32Array(oh * ow);
      applyW(x, w, rows, cols, new Float32Array(oh * w), out);
      assert.deepEqual(out, expected, `W at ×${t}, u = ${blur}, ${lrWidth} LR columns`);

      const tmp = new Float32Array(oh * w);
      applyWT(out, h, w, rows, cols, 0.37, tmp, new Float32Array(h * w));
      const gathered = new Float32Array(oh * w);
      for (let o = 0; o < oh; o++)
        for (let q = 0; q < w; q++) {
          let s = 0;
          for (let e = cols.tStart[q]; e < cols.tStart[q + 1]; e++) s += cols.tWeight[e] * out[o * ow + cols.tOut[e]];
          gathered[o * w + q] = s * 0.37;
        }
      assert.deepEqual(tmp, gathered, `Wᵀ at ×${t}, u = ${blur}, ${lrWidth} LR columns`);
    }
  }
});

test("the ×2 pixel shuffle and its adjoint in WebAssembly give the JS loops' values bit for bit, for rows of 1 to 11 pixels, and decline outside the arena", () => {
  for (let n = 1; n <= 11; n++) {
    const rnd = random(n);
    const arena = new StepArena();
    // r: two planes of n + 3 values (at offsets 1 and n + 4); skip, x: rows of 2n at offset 2; d: planes of n.
    const memory = arena.zeroed(4 * (2 * (n + 3) + 2 + 2 * (2 * n + 2) + 2 * n + 8));
    let at = 0;
    const view = (length: number) => {
      const v = new Float32Array(memory, 4 * at, length);
      at += length;
      return v;
    };
    const r = view(2 * (n + 3) + 2);
    const skip = view(2 * n + 2);
    const x = view(2 * n + 2);
    const d = view(2 * n + 8);
    r.set(Float32Array.from(r, () => rnd() * 2 - 1));
    skip.set(Float32Array.from(skip, () => rnd()));
    const [s0, s1, o] = [1, n + 4, 2];
    assert.equal(arena.shuffleRow2(x, skip, o, r, s0, s1, n), true);
    const expected = new Float32Array(x.length);
    for (let j = 0; j < n; j++) {
      expected[o + 2 * j] = r[s0 + j] + skip[o + 2 * j];
      expected[o + 2 * j + 1] = r[s1 + j] + skip[o + 2 * j + 1];
    }
    assert.deepEqual(x, expected, `shuffle of ${n}`);
    assert.equal(arena.unshuffleRow2(d, 3, n + 5, x, o, n), true);
    for (let j = 0; j < n; j++) {
      assert.equal(d[3 + j], x[o + 2 * j], `even ${j} of ${n}`);
      assert.equal(d[n + 5 + j], x[o + 2 * j + 1], `odd ${j} of ${n}`);
    }
    assert.equal(d[2], 0, 'nothing written before the first plane');
    assert.equal(d[n + 3], 0, 'nothing written between the planes');
    assert.equal(arena.shuffleRow2(new Float32Array(2 * n), skip, 0, r, 0, 1, n), false);
    arena.release();
  }
});
