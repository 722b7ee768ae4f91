import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { run } from '../../src/cli/index.js';

test('dlnet bench --json prints one JSON object with every figure it has a target for (tiny sizes)', async () => {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (d) => (out += d));
  const code = await run(['node', 'dlnet', 'bench', '--json', '--tiny', '--backend', 'wasm'], {
    stdout,
    stderr,
    signal: new AbortController().signal,
  });
  assert.equal(code, 0);
  const result = JSON.parse(out.trim()) as Record<string, unknown>;
  for (const key of [
    'conv_ceiling_gflops',
    'sr_x2_12mp_fraction_of_ceiling',
    'sr_x2_12mp_seconds_steady',
    'sr_x2_12mp_fraction_first_job',
    'dlnet_overhead_k5_over_k1',
    'k5_over_k1_with_frames',
    'worker_scaling',
    'machine_scaling',
    'first_frame_ms_512',
    'peak_rss_mb_24mp_x4',
    'peak_rss_mb_x4_24mp_with_frames',
    'cancel_ms_job',
    'cancel_ms_batch',
    'bomb_refusal_ms',
    'bomb_refusal_rss_growth_mb',
    'inpaint_12mp_five_100px_holes_seconds',
    'backend',
    'native_conv_gflops',
    'sr_x2_12mp_seconds_onnxruntime',
    'sr_x2_12mp_seconds_wasm',
    'speedup_onnxruntime_over_wasm',
    'sr_x2_12mp_seconds_one_worker_all_cores',
    'interpolate_1mp_mp_per_s',
    'interpolate_1mp_first_job_seconds',
  ])
    assert.ok(key in result, `missing ${key}`);
  // onnxruntime-node is an optionalDependency that npm install brings: its figures are measured beside wasm.
  for (const key of [
    'native_conv_gflops',
    'sr_x2_12mp_seconds_onnxruntime',
    'sr_x2_12mp_seconds_wasm',
    'speedup_onnxruntime_over_wasm',
  ])
    assert.ok(
      typeof result[key] === 'number' && (result[key] as number) > 0,
      `${key} = ${String(result[key])}${result.onnxruntime_note ? ` (${String(result.onnxruntime_note)})` : ''}`,
    );
  for (const key of [
    'conv_ceiling_gflops',
    'sr_x2_12mp_fraction_of_ceiling',
    'sr_x2_12mp_seconds_steady',
    'sr_x2_12mp_fraction_first_job',
    'dlnet_overhead_k5_over_k1',
    'k5_over_k1_with_frames',
    'worker_scaling',
    'machine_scaling',
    'first_frame_ms_512',
    'first_iteration_ms_512',
    'peak_rss_mb_24mp_x4',
    'peak_rss_mb_x4_24mp_with_frames',
    'inpaint_12mp_five_100px_holes_seconds',
    'interpolate_1mp_mp_per_s',
    'interpolate_1mp_first_job_seconds',
  ])
    assert.ok(
      typeof result[key] === 'number' && Number.isFinite(result[key]) && (result[key] as number) > 0,
      `${key} = ${String(result[key])}`,
    );
  // Every pair behind the two K5/K1 medians (one pair with --tiny).
  for (const key of ['k5_over_k1_pairs', 'k5_over_k1_with_frames_pairs']) {
    const pairs = result[key] as number[];
    assert.ok(
      Array.isArray(pairs) && pairs.length === 1 && pairs.every((x) => Number.isFinite(x) && x > 0),
      `${key} = ${JSON.stringify(pairs)}`,
    );
  }
  assert.equal(result.k5_over_k1_with_frames, (result.k5_over_k1_with_frames_pairs as number[])[0]);
  assert.ok(Array.isArray(result.tasks) && (result.tasks as unknown[]).length >= 3);
  // Interpolation's GFLOP/s counts the shipped fully convolutional model over its tiles.
  const interpolation = (result.tasks as { task: string; gflops: number | null }[]).find((t) => t.task === 'interpolate');
  assert.ok(interpolation && typeof interpolation.gflops === 'number' && interpolation.gflops > 0, JSON.stringify(interpolation));
  assert.ok(Array.isArray(result.batch_images_per_s) && (result.batch_images_per_s as unknown[]).length === 2);
  // At tiny sizes a job can end before its cancel lands; these are only present and never negative.
  for (const key of ['cancel_ms_job', 'cancel_ms_batch', 'bomb_refusal_ms', 'bomb_refusal_rss_growth_mb'])
    assert.ok(typeof result[key] === 'number' && (result[key] as number) >= 0, `${key} = ${String(result[key])}`);
  assert.equal(result.quick, true);
});

test('the bench takes the median of repeated ratios: the middle one, or the mean of the middle two', async () => {
  const { median } = await import('../../src/engine/bench/bench.js');
  assert.equal(median([1.5, 1.08, 1.3]), 1.3);
  assert.equal(median([1.25, 1.5, 1.0, 1.75]), 1.375);
  assert.equal(median([1.1]), 1.1);
});

test('dlnet bench stops when cancelled (Ctrl-C / SIGTERM): one sentence, the cancelled exit code, no figures', async () => {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const controller = new AbortController();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => {
    err += d;
    if (err.includes('conv ceiling')) controller.abort();
  });
  const code = await run(['node', 'dlnet', 'bench', '--tiny', '--backend', 'wasm'], {
    stdout,
    stderr,
    signal: controller.signal,
  });
  assert.equal(code, 130);
  assert.equal(out, '');
  assert.match(err, /dlnet: Cancelled/);
  assert.doesNotMatch(err, /inpainting and interpolation/, 'no later phase started');
});
