/** The bench's report: each figure beside its target, and the list of figures that fall short. */
import type { BenchResult } from './bench.js';

const ok = (pass: boolean) => (pass ? 'ok' : 'SHORT');

/** The human table. */
export function formatBench(r: BenchResult): string {
  const lines: string[] = [];
  const f = (x: number, d = 2) => x.toFixed(d);
  lines.push(`dlnet bench — backend: ${r.backend}; ${r.workers} workers${r.quick ? '; QUICK (smaller photos)' : ''}`);
  lines.push(`sizes: ${r.sizes.sr}; ${r.sizes.masked}`);
  lines.push('');
  lines.push(
    `conv ceiling (fused 3×3 conv + ReLU, 64 ch, all workers at once): ${f(r.conv_ceiling_gflops, 1)} GFLOP/s (${r.conv_ceiling_gflops_per_worker.map((x) => f(x, 1)).join(' + ')})`,
  );
  lines.push(
    r.native_conv_gflops === null
      ? `onnxruntime conv probe: — (${r.onnxruntime_note ?? 'not available'})`
      : `onnxruntime conv probe (the same stack, all workers at once): ${f(r.native_conv_gflops, 1)} GFLOP/s (${r.native_conv_gflops_per_worker.map((x) => f(x, 1)).join(' + ')})`,
  );
  lines.push(
    `fractions of ceiling below are of ${r.ceiling_basis === 'native_conv_gflops' ? 'the onnxruntime probe' : 'the conv ceiling'}`,
  );
  lines.push('');
  lines.push('task            MP      s      MP/s   GFLOP/s  of ceiling');
  for (const t of r.tasks)
    lines.push(
      `${t.task.padEnd(14)} ${f(t.mp).padStart(6)} ${f(t.seconds, 1).padStart(6)} ${f(t.mp_per_s, 3).padStart(8)} ${(t.gflops === null ? '—' : f(t.gflops, 1)).padStart(8)}  ${t.fraction_of_ceiling === null ? '—' : `${(t.fraction_of_ceiling * 100).toFixed(0)} %`}`,
    );
  lines.push(
    '(sr: the 2-worker pool, FLOPs = g + K·h per LR pixel; interpolate: a started pool of as many workers, its tile regions × (g + K·h); inpaint: cost depends on the holes)',
  );
  lines.push('');
  lines.push('figure                                   measured     target    ');
  lines.push(
    `×2 12 MP, fraction of conv ceiling       ${f(r.sr_x2_12mp_fraction_of_ceiling * 100, 0).padStart(6)} %   ≥ 60 %     ${ok(r.sr_x2_12mp_fraction_of_ceiling >= 0.6)}`,
  );
  lines.push(
    `  (${f(r.sr_x2_12mp_seconds_steady, 1)} s, the median of the K = 5 jobs of the pairs below; the pool's first 12 MP job: ${f(r.sr_x2_12mp_fraction_first_job * 100, 0)} %)`,
  );
  lines.push(
    `×2 12 MP, onnxruntime / wasm speed-up    ${r.speedup_onnxruntime_over_wasm === null ? '     —' : f(r.speedup_onnxruntime_over_wasm, 2).padStart(6)} ×   ≥ 3 ×      ${r.speedup_onnxruntime_over_wasm === null ? '—' : ok(r.speedup_onnxruntime_over_wasm >= 3)}`,
  );
  lines.push(
    `  (onnxruntime ${r.sr_x2_12mp_seconds_onnxruntime === null ? '—' : `${f(r.sr_x2_12mp_seconds_onnxruntime, 1)} s`}, wasm ${f(r.sr_x2_12mp_seconds_wasm, 1)} s, same pool size)`,
  );
  lines.push(
    `DL-Net overhead K=5 / K=1 (SR ×2 12 MP)  ${f(r.dlnet_overhead_k5_over_k1, 3).padStart(8)}   ≤ 1.15     ${ok(r.dlnet_overhead_k5_over_k1 <= 1.15)}`,
  );
  lines.push(
    `  with the app's iteration frames on       ${f(r.k5_over_k1_with_frames, 3).padStart(8)}   ≤ 1.15     ${ok(r.k5_over_k1_with_frames <= 1.15)}`,
  );
  const pairs = (ratios: number[]) => ratios.map((x) => f(x, 3)).join(', ');
  lines.push(
    `  (median ratio of back-to-back pairs: ${pairs(r.k5_over_k1_pairs)}; with frames ${pairs(r.k5_over_k1_with_frames_pairs)})`,
  );
  lines.push(`worker scaling 1 → ${r.workers} (same job)         ${f(r.worker_scaling, 3).padStart(8)}`);
  lines.push(`machine scaling (${r.workers} busy loops)          ${f(r.machine_scaling, 3).padStart(8)}`);
  if (r.sr_x2_12mp_seconds_one_worker_all_cores !== null)
    lines.push(`  (1 worker with every core: ${f(r.sr_x2_12mp_seconds_one_worker_all_cores, 1)} s for the 12 MP job)`);
  lines.push(
    `worker / machine scaling                 ${f(r.worker_scaling_vs_machine * 100, 0).padStart(6)} %   ≥ 90 %     ${ok(r.worker_scaling_vs_machine >= 0.9)}`,
  );
  lines.push(
    `inpaint 12 MP, five 100-px holes        ${f(r.inpaint_12mp_five_100px_holes_seconds, 1).padStart(6)} s   ≤ 15 s     ${ok(r.inpaint_12mp_five_100px_holes_seconds <= 15)}`,
  );
  lines.push(
    `interpolate 1 MP (median of jobs 2–4)   ${f(r.interpolate_1mp_mp_per_s, 3).padStart(6)} MP/s ≥ 0.5     ${ok(r.interpolate_1mp_mp_per_s >= 0.5)}`,
  );
  lines.push(`  (the first 1 MP job on the pool: ${f(r.interpolate_1mp_first_job_seconds, 2)} s)`);
  lines.push(
    `first frame, 512×512 region (×2)        ${f(r.first_frame_ms_512, 0).padStart(6)} ms  ≤ 1000 ms  ${ok(r.first_frame_ms_512 <= 1000)}`,
  );
  lines.push(`  (preview: x̂_1 of the top rows; whole x̂_1 ${f(r.first_iteration_ms_512, 0)} ms)`);
  lines.push(
    `peak RSS ×4 on 24 MP output              ${f(r.peak_rss_mb_24mp_x4, 0).padStart(6)} MB  ≤ 1536 MB  ${ok(r.peak_rss_mb_24mp_x4 <= 1536)}`,
  );
  lines.push(
    `  with the app's iteration frames on     ${f(r.peak_rss_mb_x4_24mp_with_frames, 0).padStart(6)} MB  ≤ 1536 MB  ${ok(r.peak_rss_mb_x4_24mp_with_frames <= 1536)}`,
  );
  lines.push(
    `cancel a ×2 job (K = 50) → its end       ${f(r.cancel_ms_job, 0).padStart(6)} ms  ≤ 1000 ms  ${ok(r.cancel_ms_job <= 1000)}`,
  );
  lines.push(
    `cancel a batch (K = 50) → its end        ${f(r.cancel_ms_batch, 0).padStart(6)} ms  ≤ 1000 ms  ${ok(r.cancel_ms_batch <= 1000)}`,
  );
  lines.push(
    `refuse a 121 MP PNG bomb                 ${f(r.bomb_refusal_ms, 0).padStart(6)} ms  ≤ 1000 ms  ${ok(r.bomb_refusal_ms <= 1000)}`,
  );
  lines.push(
    `  resident set growth meanwhile          ${f(r.bomb_refusal_rss_growth_mb, 0).padStart(6)} MB  ≤ 100 MB   ${ok(r.bomb_refusal_rss_growth_mb <= 100)}`,
  );
  lines.push(
    `batch images/s: ${r.batch_images_per_s.map((b) => `--jobs ${b.jobs}: ${f(b.images_per_s, 3)} (steady ${f(b.steady_images_per_s, 3)})`).join(', ')}`,
  );
  const p = r.profile_ms;
  const tot = p.g + p.h + p.adjoint + p.js + p.other || 1;
  const share = (x: number) => `${((x / tot) * 100).toFixed(1)} %`;
  lines.push(
    `profile of the SR runs (per worker): g ${share(p.g)}, h ${share(p.h)}, adjoint conv ${share(p.adjoint)}, JS (shuffle, W, Wᵀ, Adam, bicubic skip) ${share(p.js)}, other (idle, copies, colour, messaging) ${share(p.other)}`,
  );
  if (r.shortfalls.length > 0) {
    lines.push('');
    lines.push('short of target:');
    for (const s of r.shortfalls) lines.push(`  - ${s}`);
  }
  return lines.join('\n');
}
