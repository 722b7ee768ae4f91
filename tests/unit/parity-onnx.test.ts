/**
 * Parity of the onnxruntime backend: for every shipped model's fixture
 * (training/make_fixtures.py), the engine's onnxruntime path — g through the model's ONNX parts
 * (OnnxG, as OnnxSrExecutor / FConvMaskedOnnx run it) and the DL-Net steps as the engine runs them
 * on that backend (SR: the band engine's hand-written adjoints, h's conv and its adjoint as matrix
 * products on onnxruntime; masked: tfjs autodiff) — must
 * reproduce PyTorch's x̂_1..x̂_K and L(z_k) within 1e-4. onnxruntime-node is an optionalDependency
 * that `npm install` brings: its absence fails these tests with a sentence, it does not skip them.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { describeBackend, initBackend, tf } from '../../src/engine/backend.js';
import { OnnxHead } from '../../src/engine/backends/onnx-head.js';
import { OnnxSrExecutor } from '../../src/engine/backends/onnx-sr.js';
import type { Image, Mask } from '../../src/engine/image.js';
import { loadWeights } from '../../src/engine/model-file.js';
import { listModels } from '../../src/engine/models.js';
import { FConvMaskedOnnx } from '../../src/engine/networks/fconv-masked-onnx.js';
import { maskedNetwork } from '../../src/engine/networks/index.js';
import { OnnxG, onnxSource } from '../../src/engine/networks/onnx-g.js';
import { cancelFlag } from '../../src/engine/parallel/cancel-flag.js';
import { SrCompute, srWeightsData } from '../../src/engine/parallel/sr-compute.js';
import { planSrJob } from '../../src/engine/parallel/sr-engine.js';
import { makeBatch, maskedEstimates, maskedProblem } from '../../src/engine/restore-masked.js';
import { dlnetSettings } from '../../src/engine/restore.js';
import { decodeFloat32 as decode, maxDiff } from '../helpers/arrays.js';

const FIXTURES = new URL('../fixtures/', import.meta.url);
const fixtures = readdirSync(FIXTURES)
  .filter((f) => f.startsWith('parity-'))
  .map((file) => ({ file, json: JSON.parse(readFileSync(new URL(file, FIXTURES), 'utf8')) }))
  .filter((f) => f.json.modelDir === undefined) // the shipped models' fixtures
  .filter((f) => f.json.kind !== 'blur-estimator'); // it runs on TensorFlow.js only (blur-estimator.test.ts)

async function onnxBackend(): Promise<void> {
  const report = await initBackend('onnxruntime');
  assert.equal(
    report.name,
    'onnxruntime',
    `the onnxruntime backend is not available (${report.skipped.map((s) => s.reason).join(' ')}); run npm install, which installs the optional onnxruntime-node.`,
  );
}

test('every shipped model has a parity fixture for the onnxruntime path, and every SR / fconv model ships ONNX parts of g', async () => {
  await onnxBackend();
  const shipped = (await listModels()).filter((m) => m.shipped && m.task !== 'blur');
  for (const m of shipped) {
    assert.ok(
      fixtures.some((f) => f.json.model === m.id),
      `shipped model ${m.id} has no parity fixture`,
    );
    const weights = await loadWeights(m.dir);
    if (['vdsr-lr', 'fconv-masked'].includes(weights.json.backbone.type))
      assert.ok(onnxSource(weights), `shipped model ${m.id} lists no ONNX files (python3 training/export_onnx.py ${m.dir})`);
  }
});

for (const { file, json: fixture } of fixtures) {
  test(`onnxruntime path reproduces PyTorch within 1e-4: ${file}`, async (t) => {
    await onnxBackend();
    const dir = (await listModels()).find((m) => m.id === fixture.model)?.dir;
    assert.ok(dir, `model ${fixture.model} of ${file} is not installed`);
    const weights = await loadWeights(dir);
    assert.equal(weights.json.weights.sha256, fixture.sha256, 'the fixture was made for other weights');
    let worst = 0;
    let worstL = 0;
    const check = (k: number, want: { k: number; likelihood: number; data: string }, image: ArrayLike<number>, L: number) => {
      assert.equal(k, want.k);
      const diff = maxDiff(image, decode(want.data));
      worst = Math.max(worst, diff);
      worstL = Math.max(worstL, Math.abs(L - want.likelihood) / Math.max(1e-3, want.likelihood));
      assert.ok(diff < 1e-4, `${file} k=${k}: max |Δx̂| = ${diff}`);
      assert.ok(
        Math.abs(L - want.likelihood) < 1e-4 * Math.max(1e-3, want.likelihood) + 1e-8,
        `k=${k}: L ${L} vs ${want.likelihood}`,
      );
    };
    if (weights.json.task === 'sr') {
      const settings = dlnetSettings(weights, { task: 'sr', scale: 2, blur: 0 });
      const compute = new SrCompute(srWeightsData(weights));
      const source = onnxSource(weights);
      assert.ok(source, `${fixture.model} lists no ONNX files`);
      const executor = new OnnxSrExecutor(compute, await OnnxG.open(source), await OnnxHead.open(compute.d.outKernel));
      for (const c of fixture.cases) {
        const [, h, w] = c.input.shape;
        const y = decode(c.input.data);
        // g over the whole tile through the executor (as a band engine g task), then the K steps.
        const plan = planSrJob(w, h, { radius: compute.d.radius, C: compute.d.C, scale: compute.d.scale, K: settings.K });
        const bufs = { y, z: new Float32Array(h * w * compute.d.C), out: new Float32Array(0), cancel: cancelFlag(ArrayBuffer) };
        const job = { plan, blur: c.blur, settings, normalizer: w * h };
        await executor.g(job, bufs, { kind: 'g', y0: 0, y1: h, x0: 0, x1: w, cacheTop: 0 });
        let k = 0;
        await compute.steps(
          { rh: h, rw: w, z: bufs.z, y, own: { x: 0, y: 0, width: w, height: h }, normalizer: w * h },
          c.blur,
          settings,
          { onFrame: (kk, xhat, L) => check(kk, c.steps[k++], xhat, L), head: executor.head },
        );
        assert.equal(k, c.steps.length);
      }
      await Promise.all([executor.net.release(), executor.head!.release()]);
      compute.dispose();
    } else {
      const net = maskedNetwork(weights)!;
      if (weights.json.backbone.type === 'fconv-masked')
        assert.ok(net instanceof FConvMaskedOnnx, 'fconv-masked does not run g on onnxruntime');
      for (const c of fixture.cases) {
        const [, h, w] = c.input.shape;
        const yv = decode(c.input.data);
        const rgb: Image = { width: w, height: h, channels: 3, data: yv.map((v) => (v + 1) / 2) };
        const mask: Mask = { width: w, height: h, data: Uint8Array.from(decode(c.mask.data)) };
        const batch = makeBatch(rgb, mask, [{ x: 0, y: 0, size: w }]);
        const problem = maskedProblem(net, batch);
        const settings = dlnetSettings(weights, {
          task: weights.json.task,
          mask: { width: 1, height: 1, data: new Uint8Array(1) },
        });
        let k = 0;
        for await (const step of maskedEstimates(problem, settings)) {
          assert.equal(
            step.xhat.length,
            c.steps[k].shape.reduce((a: number, b: number) => a * b, 1),
          );
          check(step.k, c.steps[k++], step.xhat, step.likelihood);
        }
        assert.equal(k, c.steps.length);
        problem.release();
        tf.dispose([batch.y, batch.mask, batch.observed]);
      }
      if (net instanceof FConvMaskedOnnx) assert.equal(net.fallback, undefined);
      net.dispose();
    }
    t.diagnostic(
      `${file}: max |Δx̂| ${worst.toExponential(2)}, max relative |ΔL| ${worstL.toExponential(2)} (${describeBackend(await initBackend('onnxruntime'))})`,
    );
  });
}

test('g on onnxruntime in row slabs (with its receptive radius of context) equals g on the whole input', async () => {
  await initBackend('onnxruntime');
  const dir = (await listModels()).find((m) => m.id === 'interpolate')?.dir;
  assert.ok(dir, 'the interpolate model is not installed');
  const weights = await loadWeights(dir);
  const depth = (weights.json.backbone as { depth: number }).depth;
  const source = onnxSource(weights);
  assert.ok(source, 'interpolate ships no ONNX parts of g');
  const g = await OnnxG.open(source, 1);
  try {
    const [h, w, c] = [70, 24, 7];
    const input = Float32Array.from({ length: h * w * c }, (_, i) => Math.sin(i * 0.37) + 0.3 * Math.cos(i * 0.011));
    const whole = await g.run(input, [1, h, w, c]);
    const C = whole.length / (h * w);
    // 20 rows of z per slab: four slabs, each cut inside the image.
    const sliced = await g.runInRows(input, [1, h, w, c], depth, C, undefined, 4 * C * w * (20 + 2 * depth));
    assert.equal(sliced.length, whole.length);
    assert.ok(maxDiff(sliced, whole) < 1e-5, `max |Δz| ${maxDiff(sliced, whole)}`);
    // Into a buffer of the caller's (onnxruntime writes the slabs' z into a kept buffer), twice: the same z.
    const into = new Float32Array(whole.length).fill(Number.NaN);
    for (let run = 0; run < 2; run++) {
      const out = await g.runInRows(input, [1, h, w, c], depth, C, undefined, 4 * C * w * (20 + 2 * depth), into);
      assert.equal(out, into);
      assert.ok(maxDiff(into, whole) < 1e-5, `into a buffer, run ${run}: max |Δz| ${maxDiff(into, whole)}`);
    }
    const wholeInto = new Float32Array(whole.length);
    assert.equal(await g.run(input, [1, h, w, c], undefined, wholeInto), wholeInto);
    assert.deepEqual(wholeInto, whole);
    // With one row less of context the slabs' borders differ: the radius is what makes them exact.
    const short = await g.runInRows(input, [1, h, w, c], depth - 1, C, undefined, 4 * C * w * (20 + 2 * (depth - 1)));
    assert.ok(
      maxDiff(short, whole) > 1e-5,
      `slabs without enough context should differ at their borders (max |Δz| ${maxDiff(short, whole)})`,
    );
  } finally {
    await g.release();
  }
});

test("the head's products on onnxruntime write into a view on WebAssembly memory what they write into a plain array", async () => {
  await onnxBackend();
  const [C, T, pixels] = [6, 4, 37];
  const kernel = {
    shape: [3, 3, C, T],
    data: Float32Array.from({ length: 9 * C * T }, (_, i) => Math.sin(i * 0.71)),
  };
  const head = await OnnxHead.open(kernel, 1);
  try {
    const a = Float32Array.from({ length: pixels * C }, (_, i) => Math.cos(i * 0.13));
    const planes = Float32Array.from({ length: 9 * T * pixels }, (_, i) => Math.sin(i * 0.29));
    const fresh = {
      u: await head.forward(a, pixels, new Float32Array(9 * T * pixels)),
      g: await head.adjoint(planes, pixels, new Float32Array(pixels * C)),
    };
    // The DL-Net steps' work arrays are views inside a WebAssembly memory (kernels/step-arena.ts), at an offset.
    const memory = new WebAssembly.Memory({ initial: 1 });
    const u = new Float32Array(memory.buffer, 64, 9 * T * pixels + 5).fill(Number.NaN);
    const g = new Float32Array(memory.buffer, 64 + 4 * u.length, pixels * C + 5).fill(Number.NaN);
    for (let run = 0; run < 2; run++) {
      const gotU = await head.forward(a, pixels, u);
      const gotG = await head.adjoint(planes, pixels, g);
      assert.equal(gotU.buffer, memory.buffer);
      assert.equal(gotG.byteOffset, g.byteOffset);
      assert.deepEqual(gotU, fresh.u);
      assert.deepEqual(gotG, fresh.g);
      assert.ok(Number.isNaN(u[9 * T * pixels]) && Number.isNaN(g[pixels * C]), 'wrote past the product');
    }
  } finally {
    await head.release();
  }
});
