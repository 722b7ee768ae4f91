import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseBackend,
  parseBlur,
  parseBlurOrAuto,
  parseBlurs,
  parseHoleSide,
  parseIterations,
  parseMissingRate,
  parseModelId,
  parseScale,
  parseScales,
  parseSeed,
  parseShift,
  ValidationError,
} from '../../src/api/validate.js';

function rejects(fn: () => unknown, message: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof ValidationError);
    assert.equal(error.message, message);
    return true;
  });
}

test('scale: 2, 3 or 4 only', () => {
  assert.equal(parseScale('3'), 3);
  assert.equal(parseScale(4, 'Scale'), 4);
  rejects(() => parseScale('5', '--scale'), '--scale must be 2, 3 or 4, not 5.');
  rejects(() => parseScale('2.5', '--scale'), '--scale must be 2, 3 or 4, not 2.5.');
  rejects(() => parseScale('x2', '--scale'), '--scale must be 2, 3 or 4, not "x2".');
});

test('blur: a number in [0, 3]', () => {
  assert.equal(parseBlur('0'), 0);
  assert.equal(parseBlur('1.3'), 1.3);
  assert.equal(parseBlur('3'), 3);
  rejects(() => parseBlur('-1', '--blur'), '--blur must be a number from 0 to 3, not -1.');
  rejects(() => parseBlur('3.01', '--blur'), '--blur must be a number from 0 to 3, not 3.01.');
  rejects(() => parseBlur('', '--blur'), '--blur must be a number from 0 to 3, not empty.');
  rejects(() => parseBlur('NaN', '--blur'), '--blur must be a number from 0 to 3, not "NaN".');
});

test('blur or auto: a number in [0, 3], or auto (suggested from each photo)', () => {
  assert.equal(parseBlurOrAuto('auto', '--blur'), 'auto');
  assert.equal(parseBlurOrAuto(' AUTO ', '--blur'), 'auto');
  assert.equal(parseBlurOrAuto('1.3', '--blur'), 1.3);
  assert.equal(parseBlurOrAuto(0), 0);
  rejects(() => parseBlurOrAuto('sharp', '--blur'), '--blur must be a number from 0 to 3 or auto, not "sharp".');
  rejects(() => parseBlurOrAuto('3.5', '--blur'), '--blur must be a number from 0 to 3 or auto, not 3.5.');
  rejects(() => parseBlurOrAuto('', '--blur'), '--blur must be a number from 0 to 3 or auto, not empty.');
});

test('iterations: whole number ≥ 1', () => {
  assert.equal(parseIterations('5'), 5);
  rejects(() => parseIterations('0', '--iterations'), '--iterations must be a whole number from 1 to 50, not 0.');
  rejects(() => parseIterations('2.5', '--iterations'), '--iterations must be a whole number from 1 to 50, not 2.5.');
});

test('missing rate: fraction or percentage, 0 to 75 %', () => {
  assert.equal(parseMissingRate('0.45'), 0.45);
  assert.equal(parseMissingRate('45%'), 0.45);
  assert.equal(parseMissingRate(' 75 % '.replace(' %', '%')), 0.75);
  assert.equal(parseMissingRate(0), 0);
  rejects(
    () => parseMissingRate('45', '--missing'),
    '--missing must be a fraction from 0 to 0.75 or a percentage from 0% to 75%, not 45.',
  );
  rejects(
    () => parseMissingRate('0.8', '--missing'),
    '--missing must be a fraction from 0 to 0.75 or a percentage from 0% to 75%, not 0.8.',
  );
  rejects(
    () => parseMissingRate('-1%', '--missing'),
    '--missing must be a fraction from 0 to 0.75 or a percentage from 0% to 75%, not "-1%".',
  );
});

test('hole, shift, seed, backend, model id', () => {
  assert.equal(parseHoleSide('20'), 20);
  rejects(() => parseHoleSide('0', '--hole'), '--hole must be a whole number of pixels, at least 1, not 0.');
  assert.equal(parseShift('0'), 0);
  rejects(() => parseShift('-2', '--shift'), '--shift must be a whole number of pixels, at least 0, not -2.');
  assert.equal(parseSeed('4294967295'), 4294967295);
  rejects(() => parseSeed('-1', '--seed'), '--seed must be a whole number from 0 to 4294967295, not -1.');
  assert.equal(parseBackend('wasm'), 'wasm');
  rejects(() => parseBackend('cpu', '--backend'), '--backend must be auto, tensorflow, onnxruntime or wasm, not "cpu".');
  assert.equal(parseModelId('sr-x3'), 'sr-x3');
  rejects(
    () => parseModelId('../x', '--model'),
    `--model must be a model id made of letters, digits, '.', '_' and '-', not "../x".`,
  );
});

test('lists: scales and blurs, duplicates dropped, the bad item named', () => {
  assert.deepEqual(parseScales('2,3,4'), [2, 3, 4]);
  assert.deepEqual(parseScales(' 4 , 2,4'), [4, 2]);
  assert.deepEqual(parseBlurs('0,1.3,2.6'), [0, 1.3, 2.6]);
  rejects(() => parseScales('2,5', '--scales'), '--scales must be 2, 3 or 4, not 5.');
  rejects(() => parseBlurs('', '--blurs'), '--blurs must be a comma-separated list, not empty.');
});
