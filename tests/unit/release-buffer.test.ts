import assert from 'node:assert/strict';
import { test } from 'node:test';
import { releaseArrays, releaseBuffer } from '../../src/engine/release-buffer.js';

test('releaseBuffer detaches the buffer: its views are empty from then on', () => {
  const a = new Float32Array(1 << 16).fill(1);
  const view = a.subarray(10, 20);
  releaseBuffer(a.buffer);
  assert.equal(a.buffer.byteLength, 0);
  assert.equal(a.length, 0);
  assert.equal(view.length, 0);
  releaseBuffer(a.buffer); // already detached: nothing to do
});

test('releaseArrays releases arrays that own their whole buffer, and leaves parts of larger buffers and shared memory alone', () => {
  const own = new Float32Array(64);
  const whole = new Float32Array(64);
  const part = whole.subarray(0, 32);
  const shared = new Float32Array(new SharedArrayBuffer(256));
  releaseArrays(own, part, shared);
  assert.equal(own.length, 0);
  assert.equal(part.length, 32);
  assert.equal(whole.length, 64);
  assert.equal(shared.length, 64);
});
