/**
 * The fconv-inpaint network's first guess (networks/membrane-fill.ts). Its agreement with
 * training/fconv_inpaint.py is checked by the fconv-inpaint parity fixture; these check what a
 * membrane fill is.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { membraneFillImage } from '../../src/engine/networks/membrane-fill.js';

const SIZE = 64;
const LEVELS = 5;

/** A two-channel linear ramp (harmonic, so the exact membrane fill of any hole in it is itself). */
function ramp(): Float32Array {
  const y = new Float32Array(SIZE * SIZE * 2);
  for (let r = 0; r < SIZE; r++)
    for (let c = 0; c < SIZE; c++) {
      y[(r * SIZE + c) * 2] = 0.01 * c - 0.3;
      y[(r * SIZE + c) * 2 + 1] = 0.4 - 0.008 * r + 0.004 * c;
    }
  return y;
}

function holeMask(x0: number, y0: number, x1: number, y1: number): Float32Array {
  const mask = new Float32Array(SIZE * SIZE).fill(1);
  for (let r = y0; r < y1; r++) for (let c = x0; c < x1; c++) mask[r * SIZE + c] = 0;
  return mask;
}

function maxHoleError(b: Float32Array, y: Float32Array, mask: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < mask.length; i++)
    if (mask[i] === 0) for (let ch = 0; ch < 2; ch++) worst = Math.max(worst, Math.abs(b[i * 2 + ch] - y[i * 2 + ch]));
  return worst;
}

test('known pixels come out exactly as given', () => {
  const y = ramp();
  const mask = holeMask(20, 10, 45, 30);
  const b = membraneFillImage(y, mask, { height: SIZE, width: SIZE, channels: 2 }, LEVELS, 20);
  for (let i = 0; i < mask.length; i++) if (mask[i] === 1) assert.equal(b[i * 2], y[i * 2]);
});

test('a hole in a linear ramp is filled with the ramp, more closely the more sweeps', () => {
  const y = ramp();
  const mask = holeMask(20, 10, 45, 30);
  const shape = { height: SIZE, width: SIZE, channels: 2 };
  const coarse = maxHoleError(membraneFillImage(y, mask, shape, LEVELS, 2), y, mask);
  const fine = maxHoleError(membraneFillImage(y, mask, shape, LEVELS, 400), y, mask);
  assert.ok(fine < 1e-4, `after 400 sweeps the fill is off the ramp by ${fine}`);
  assert.ok(coarse > 10 * fine, `2 sweeps (${coarse}) should be further from the membrane than 400 (${fine})`);
});

test('a hole touching the edge converges to the ramp too (edges replicate, so only along them)', () => {
  const y = new Float32Array(SIZE * SIZE * 2);
  for (let r = 0; r < SIZE; r++) for (let c = 0; c < SIZE; c++) y[(r * SIZE + c) * 2] = y[(r * SIZE + c) * 2 + 1] = 0.01 * c;
  const mask = holeMask(10, 0, 30, 20); // touches the top edge; the ramp runs along it
  const b = membraneFillImage(y, mask, { height: SIZE, width: SIZE, channels: 2 }, LEVELS, 600);
  assert.ok(maxHoleError(b, y, mask) < 1e-4);
});
