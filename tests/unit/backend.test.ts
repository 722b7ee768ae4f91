import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UserError } from '../../src/engine/image.js';
import { describeBackend, initBackend, readFloat32, selectBackend, tf } from '../../src/engine/backend.js';

const realImport = (specifier: string): Promise<unknown> => import(specifier);
const notInstalled = (specifier: string): boolean =>
  !specifier.startsWith('@tensorflow/tfjs-node') && specifier !== 'onnxruntime-node';

test('falls back to wasm and says why each native backend was skipped', async () => {
  const report = await selectBackend('auto', realImport, notInstalled);
  assert.equal(report.name, 'wasm');
  assert.deepEqual(report.skipped, [
    { name: '@tensorflow/tfjs-node-gpu', reason: '@tensorflow/tfjs-node-gpu is not installed.' },
    { name: '@tensorflow/tfjs-node', reason: '@tensorflow/tfjs-node is not installed.' },
    { name: 'onnxruntime-node', reason: 'onnxruntime-node is not installed.' },
  ]);
  assert.equal(tf.getBackend(), 'wasm');
  assert.match(describeBackend(report), /^wasm \(WebAssembly/);
});

test('an installed native package that fails to load is reported with its error', async () => {
  const broken = async (specifier: string): Promise<unknown> => {
    if (specifier.startsWith('@tensorflow/tfjs-node'))
      throw new Error('libtensorflow.so.2: cannot open shared object file\nmore');
    return realImport(specifier);
  };
  const report = await selectBackend('auto', broken, () => true);
  assert.equal(report.name, 'onnxruntime'); // the next in the chain
  assert.equal(
    report.skipped[0].reason,
    '@tensorflow/tfjs-node-gpu is installed but could not be loaded (libtensorflow.so.2: cannot open shared object file).',
  );
});

test('onnxruntime comes after the tfjs-node backends, runs its probe graph and keeps wasm for the other ops', async () => {
  const onlyOrt = (specifier: string): boolean => !specifier.startsWith('@tensorflow/tfjs-node');
  const report = await selectBackend('auto', realImport, onlyOrt);
  assert.equal(report.name, 'onnxruntime', 'onnxruntime-node is an optionalDependency: npm install brings it');
  assert.deepEqual(
    report.skipped.map((s) => s.name),
    ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'],
  );
  assert.match(
    describeBackend(report),
    /^onnxruntime \(onnxruntime-node 1\.\d+\.\d+ CPU, \d+ threads? per session \(a worker pool shares the cores out\); other ops on WebAssembly/,
  );
  assert.equal(tf.getBackend(), 'wasm');
  const explicit = await selectBackend('onnxruntime', realImport, () => true);
  assert.equal(explicit.name, 'onnxruntime');
  assert.match(explicit.skipped[0].reason, /not tried because onnxruntime was requested/);
});

test('a broken or missing onnxruntime-node falls back to wasm with one sentence, never a crash', async () => {
  const broken = async (specifier: string): Promise<unknown> => {
    if (specifier === 'onnxruntime-node') throw new Error('libonnxruntime.so.1: cannot open shared object file\nstack');
    return realImport(specifier);
  };
  const noTfjsNode = (specifier: string): boolean => !specifier.startsWith('@tensorflow/tfjs-node');
  const report = await selectBackend('onnxruntime', broken, noTfjsNode);
  assert.equal(report.name, 'wasm');
  assert.deepEqual(report.skipped[1], {
    name: 'onnxruntime-node',
    reason: 'onnxruntime-node is installed but could not be loaded (libonnxruntime.so.1: cannot open shared object file).',
  });
  // A package that loads but is not onnxruntime (or computes nonsense) is refused the same way.
  const bogus = async (specifier: string): Promise<unknown> => (specifier === 'onnxruntime-node' ? {} : realImport(specifier));
  const again = await selectBackend('auto', bogus, noTfjsNode);
  assert.equal(again.name, 'wasm');
  assert.equal(again.skipped[2].reason, 'onnxruntime-node is installed but could not be loaded (it has no InferenceSession).');
  const missing = await selectBackend('onnxruntime', realImport, notInstalled);
  assert.equal(missing.name, 'wasm');
  assert.equal(missing.skipped[1].reason, 'onnxruntime-node is not installed.');
});

test("'tensorflow' without a native backend is a UserError; 'wasm' skips native", async () => {
  await assert.rejects(selectBackend('tensorflow', realImport, notInstalled), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(
      error.message,
      /^The native TensorFlow backend is not available \(.*not installed\); use --backend wasm or auto\.$/,
    );
    return true;
  });
  const report = await selectBackend('wasm', realImport, () => true);
  assert.equal(report.name, 'wasm');
});

test('initBackend is idempotent, never picks the JS cpu backend, and gradients work', async () => {
  const a = await initBackend('auto');
  const b = await initBackend('auto');
  assert.equal(a, b);
  assert.notEqual(tf.getBackend(), 'cpu');
  const before = tf.memory().numTensors;
  const w = tf.randomNormal([3, 3, 2, 2], 0, 1, 'float32', 1) as tf.Tensor4D;
  const x = tf.randomNormal([1, 6, 6, 2], 0, 1, 'float32', 2) as tf.Tensor4D;
  const loss = (input: tf.Tensor): tf.Scalar => tf.sum(tf.square(tf.conv2d(input as tf.Tensor4D, w, 1, 'same')));
  const g = tf.grad(loss)(x);
  assert.deepEqual(g.shape, [1, 6, 6, 2]);
  // d/dx sum(conv(x)^2) = 2 conv^T(conv(x)); check one finite difference at the centre
  const f = (input: tf.Tensor4D): number => tf.tidy(() => loss(input).dataSync()[0]);
  const eps = 1e-2;
  const bump = tf.tidy(() => tf.add(x, tf.scatterND([[0, 3, 3, 1]], [eps], [1, 6, 6, 2]))) as tf.Tensor4D;
  const numeric = (f(bump) - f(x)) / eps;
  const analytic = g.dataSync()[(3 * 6 + 3) * 2 + 1];
  assert.ok(Math.abs(numeric - analytic) < 0.05 * Math.max(1, Math.abs(analytic)), `${numeric} vs ${analytic}`);
  tf.dispose([w, x, g, bump]);
  assert.equal(tf.memory().numTensors, before);
});

test('readFloat32 reads a wasm tensor in place (no copy) and equals dataSync', async () => {
  await initBackend('wasm');
  const x = tf.tensor1d([1, 2, 3, 4]);
  const y = tf.mul(x, 2);
  const view = readFloat32(y);
  assert.deepEqual(Array.from(view), [2, 4, 6, 8]);
  view[0] = 42; // the same memory as the tensor: the fast path was taken
  assert.equal((y.dataSync() as Float32Array)[0], 42);
  tf.dispose([x, y]);
});
