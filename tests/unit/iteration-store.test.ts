import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { test } from 'node:test';
import { IterationStore } from '../../src/engine/iteration-store.js';

function rows(n: number, width: number, seed: number): Float32Array {
  return Float32Array.from({ length: n * width }, (_, i) => (((i + 1) * (seed + 7919)) % 1201) / 1000 - 0.1);
}

test('the store gives back the float rows of each iterate it was given, written in any order', () => {
  const store = new IterationStore({ K: 2, width: 5, height: 6, channels: 1 });
  try {
    const [a, b] = [rows(2, 5, 1), rows(4, 5, 2)];
    store.write(2, 4, a);
    store.write(2, 0, b);
    assert.equal(store.complete(2), true);
    assert.equal(store.complete(1), false);
    assert.deepEqual(store.read(2, 0, 6), Float32Array.from([...b, ...a]));
    assert.equal(statSync(`${store.dir}/x2.f32`).size, 6 * 5 * 4);
  } finally {
    store.dispose();
  }
});
