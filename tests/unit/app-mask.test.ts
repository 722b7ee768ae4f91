/** The renderer's pure state logic: mask operations, rasterisation, undo/redo, zoom, shortcuts. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyOp,
  clampBrush,
  countFill,
  emptyHistory,
  overlayRgba,
  push,
  rasterize,
  redo,
  stepBrush,
  undo,
  type MaskOp,
} from '../../src/renderer/lib/mask-model.js';
import { actionFor } from '../../src/renderer/lib/shortcuts.js';
import { fitView, toImage, zoomAt } from '../../src/renderer/lib/view-math.js';

const W = 40;
const H = 30;
const at = (fill: Uint8Array, x: number, y: number) => fill[y * W + x];

describe('mask rasterisation', () => {
  test('a brush stroke covers a capsule of its size, at image resolution', () => {
    const fill = rasterize(
      [
        {
          kind: 'stroke',
          mode: 'paint',
          size: 6,
          points: [
            { x: 10, y: 15 },
            { x: 30, y: 15 },
          ],
        },
      ],
      W,
      H,
    );
    assert.equal(at(fill, 20, 15), 1);
    assert.equal(at(fill, 20, 13), 1);
    assert.equal(at(fill, 20, 10), 0);
    assert.equal(at(fill, 5, 15), 0);
    assert.equal(at(fill, 35, 15), 0);
    // about 20 × 6 + a disc of radius 3
    const n = countFill(fill);
    assert.ok(n > 130 && n < 170, `${n} pixels`);
  });

  test('a single click paints one disc; strokes outside the image are clipped', () => {
    const fill = rasterize(
      [
        { kind: 'stroke', mode: 'paint', size: 4, points: [{ x: 0, y: 0 }] },
        {
          kind: 'stroke',
          mode: 'paint',
          size: 10,
          points: [
            { x: -50, y: -50 },
            { x: -40, y: 100 },
          ],
        },
      ],
      W,
      H,
    );
    assert.equal(at(fill, 0, 0), 1);
    assert.equal(at(fill, 1, 0), 1);
    assert.equal(at(fill, 2, 2), 0);
  });

  test('eraser, rectangle, invert, clear and a loaded bitmap', () => {
    const ops: MaskOp[] = [{ kind: 'rect', mode: 'paint', x: 30, y: 20, width: -20, height: -10 }];
    let fill = rasterize(ops, W, H);
    assert.equal(countFill(fill), 20 * 10, 'a rectangle drawn right-to-left');
    ops.push({
      kind: 'stroke',
      mode: 'erase',
      size: 2,
      points: [
        { x: 20.5, y: 10 },
        { x: 20.5, y: 20 },
      ],
    });
    fill = rasterize(ops, W, H);
    assert.equal(at(fill, 20, 15), 0);
    assert.equal(at(fill, 15, 15), 1);
    ops.push({ kind: 'invert' });
    fill = rasterize(ops, W, H);
    assert.equal(at(fill, 20, 15), 1);
    assert.equal(at(fill, 15, 15), 0);
    assert.equal(at(fill, 0, 0), 1);
    ops.push({ kind: 'clear' });
    assert.equal(countFill(rasterize(ops, W, H)), 0);
    const bitmap = new Uint8Array(W * H);
    bitmap[5] = 1;
    ops.push({ kind: 'bitmap', fill: bitmap });
    assert.deepEqual(rasterize(ops, W, H), bitmap);
    assert.throws(() => applyOp(new Uint8Array(4), 2, 2, { kind: 'bitmap', fill: bitmap }), /does not match/);
  });

  test('incremental application equals rasterising from scratch', () => {
    const ops: MaskOp[] = [
      {
        kind: 'stroke',
        mode: 'paint',
        size: 9,
        points: [
          { x: 3, y: 3 },
          { x: 37, y: 26 },
          { x: 5, y: 28 },
        ],
      },
      { kind: 'rect', mode: 'erase', x: 10, y: 5, width: 8, height: 8 },
      { kind: 'invert' },
    ];
    const live = new Uint8Array(W * H);
    for (const op of ops) applyOp(live, W, H, op);
    assert.deepEqual(live, rasterize(ops, W, H));
  });

  test('the overlay is translucent where the mask fills and clear elsewhere', () => {
    const rgba = overlayRgba(Uint8Array.of(1, 0));
    assert.deepEqual([...rgba], [255, 40, 90, 150, 0, 0, 0, 0]);
  });
});

describe('undo / redo', () => {
  test('push, undo, redo; a new edit forgets the redo stack', () => {
    let h = emptyHistory<string>();
    h = push(push(push(h, 'a'), 'b'), 'c');
    h = undo(undo(h));
    assert.deepEqual(h, { done: ['a'], undone: ['c', 'b'] });
    h = redo(h);
    assert.deepEqual(h.done, ['a', 'b']);
    h = push(h, 'd');
    assert.deepEqual(h, { done: ['a', 'b', 'd'], undone: [] });
    assert.equal(redo(h), h, 'nothing to redo');
    assert.deepEqual(undo(undo(undo(undo(h)))), { done: [], undone: ['d', 'b', 'a'] });
  });

  test('undoing a stroke restores the raster exactly', () => {
    const a: MaskOp = { kind: 'rect', mode: 'paint', x: 2, y: 2, width: 5, height: 5 };
    const b: MaskOp = { kind: 'stroke', mode: 'paint', size: 7, points: [{ x: 20, y: 20 }] };
    let h = push(push(emptyHistory<MaskOp>(), a), b);
    const before = rasterize([a], W, H);
    h = undo(h);
    assert.deepEqual(rasterize(h.done, W, H), before);
    h = redo(h);
    assert.deepEqual(rasterize(h.done, W, H), rasterize([a, b], W, H));
  });

  test('brush sizes step by about 15 % and stay within bounds', () => {
    assert.equal(stepBrush(24, 1), 28);
    assert.equal(stepBrush(24, -1), 20);
    assert.equal(stepBrush(1, -1), 1);
    assert.equal(stepBrush(2, 1), 3);
    assert.equal(clampBrush(10_000), 400);
  });
});

describe('view and shortcuts', () => {
  test('fit centres the image; zooming keeps the point under the cursor', () => {
    const v = fitView(200, 100, 648, 448, 24, 8);
    assert.equal(v.zoom, 3);
    assert.deepEqual([v.panX, v.panY], [24, 74]);
    const z = zoomAt(v, 6, 100, 100);
    assert.deepEqual(toImage(z, 100, 100), toImage(v, 100, 100));
  });

  test('keys map to actions; letters typed in a field are left alone', () => {
    const key = (k: string, mods: Partial<{ ctrlKey: boolean; shiftKey: boolean; metaKey: boolean }> = {}) => ({
      key: k,
      ctrlKey: false,
      metaKey: false,
      shiftKey: false,
      altKey: false,
      ...mods,
    });
    assert.equal(actionFor(key('b'), false), 'brush');
    assert.equal(actionFor(key('E'), false), 'eraser');
    assert.equal(actionFor(key('['), false), 'smaller');
    assert.equal(actionFor(key(']'), false), 'larger');
    assert.equal(actionFor(key('z', { ctrlKey: true }), false), 'undo');
    assert.equal(actionFor(key('Z', { ctrlKey: true, shiftKey: true }), false), 'redo');
    assert.equal(actionFor(key('y', { ctrlKey: true }), false), 'redo');
    assert.equal(actionFor(key('o', { metaKey: true }), false), 'open');
    assert.equal(actionFor(key('s', { ctrlKey: true }), true), 'save');
    assert.equal(actionFor(key('Enter'), false), 'run');
    assert.equal(actionFor(key('Escape'), true), 'cancel');
    assert.equal(actionFor(key('b'), true), null);
    assert.equal(actionFor(key('Enter'), true), null);
    assert.equal(actionFor(key('?'), false), 'help');
  });
});
