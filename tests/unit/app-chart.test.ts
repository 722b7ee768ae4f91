/** The panels' chart scales: values land inside the plot box, low values at the bottom and left. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scaleX, scaleY, type ChartBox } from '../../src/renderer/lib/chart.js';

const box: ChartBox = { width: 260, height: 110, pad: { l: 46, r: 8, t: 8, b: 20 } };

test('scaleX maps the domain onto the plot area from left to right', () => {
  const x = scaleX(box, 1, 5);
  assert.equal(x(1), 46);
  assert.equal(x(5), 252);
  assert.equal(x(3), 149);
});

test('scaleY puts the low end at the bottom and the high end at the top', () => {
  const y = scaleY(box, 30, 32);
  assert.equal(y(30), 90);
  assert.equal(y(32), 8);
  assert.equal(y(31), 49);
});

test('a domain of zero width maps to the left and bottom edges instead of NaN', () => {
  assert.equal(scaleX(box, 2, 2)(2), 46);
  assert.equal(scaleY(box, 0.5, 0.5)(0.5), 90);
});
