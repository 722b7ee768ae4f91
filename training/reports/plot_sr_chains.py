"""Learning curves of the SR chains: PSNR on the held-out BSD400 photos and on Set5 against training samples
and against training wall time, every stage and every resumed session chained, with the shipped model's Set5
figures as a reference line.
- CPU chains (training/checkpoints/cpu/sr-x<t>-joint, then -dlnet) → reports/sr_x<t>_cpu_curves.png
- GPU chains (the told 16 × 64 models: GPU run 2's joint stage, continued by run 3's joint and DL-Net stages;
  logs in reports/logs/gpu-run-*.json) → reports/sr_x<t>_gpu_curves.png

    python3 training/reports/plot_sr_chains.py
"""
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RUNS = os.path.join(HERE, "..", "checkpoints", "cpu")
BLURS = ("0.0", "1.3", "2.6")


def read_log(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


LOGS = os.path.join(HERE, "logs")
# GPU stages of the shipped told models, oldest first: (label, log file, run name); the ×4 DL-Net stage shipped
# is the one continued to 300 s, the ×2 and ×3 ones stopped at 113 s (chosen on the held-out photos).
GPU_STAGES = {t: [("run 2 joint", "gpu-run-2.json", f"sr-x{t}-cond-joint"), ("run 3 joint", "gpu-run-3.json", f"sr-x{t}-cond-joint"),
                  ("run 3 dlnet", "gpu-run-3-dlnet-continued.json" if t == 4 else "gpu-run-3.json", f"sr-x{t}-cond-dlnet")]
              for t in (2, 3, 4)}


def cpu_stages(scale):
    for stage in ("joint", "dlnet"):
        path = os.path.join(RUNS, f"sr-x{scale}-{stage}", "log.jsonl")
        if os.path.exists(path):
            yield stage, read_log(path)


def gpu_stages(scale):
    for label, file, run in GPU_STAGES[scale]:
        path = os.path.join(LOGS, file)
        if os.path.exists(path):
            yield label, json.load(open(path)).get(run, [])


def chain(stages):
    """Points of each stage in turn, with samples and seconds running on across stages."""
    points, samples0, seconds0 = [], 0.0, 0.0
    for stage, entries in stages:
        for e in entries:
            points.append({"stage": stage, "samples": samples0 + e["samples_per_s"] * e["elapsed"],
                           "seconds": seconds0 + e["elapsed"], "set5": e["val_psnr"], "heldout": e.get("heldout_psnr")})
        if entries:
            samples0 += entries[-1]["samples_per_s"] * entries[-1]["elapsed"]
            seconds0 += entries[-1]["elapsed"]
    return points


def shipped_set5(scale):
    table = json.load(open(os.path.join(HERE, "table9.json")))
    entry = table.get(f"Set5/cond-dlnet/x{scale}")
    return entry["psnr"] if entry else None


def plot(scale, points, reference, out, seconds_label):
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    stages = list(dict.fromkeys(p["stage"] for p in points))
    for col, u in enumerate(BLURS):
        for row, (key, label) in enumerate((("samples", "training samples"), ("seconds", seconds_label))):
            ax = axes[row][col]
            for stage, marker in zip(stages, (".", "x", "+", "*")):
                sel = [p for p in points if p["stage"] == stage]
                if not sel:
                    continue
                ax.plot([p[key] for p in sel], [p["set5"][u] for p in sel], marker=marker, label=f"Set5, {stage}")
                held = [p for p in sel if p["heldout"]]
                ax.plot([p[key] for p in held], [p["heldout"][u] for p in held], marker=marker, linestyle="--",
                        label=f"held-out BSD400, {stage}")
            if reference:
                ref = reference.get("0" if u == "0.0" else u)
                if ref is not None:
                    ax.axhline(ref, color="grey", linestyle=":", label="shipped model, Set5 (table9.json)")
            ax.set_title(f"×{scale}, u = {u}")
            ax.set_xlabel(label)
            ax.set_ylabel("PSNR (dB)")
            ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)


def main():
    for scale in (2, 3, 4):
        for kind, stages, seconds in (("cpu", cpu_stages, "training seconds (one CPU thread)"),
                                      ("gpu", gpu_stages, "training seconds (one H200 shared by three runs; run 2: by nine)")):
            points = chain(stages(scale))
            if points:
                out = os.path.join(HERE, f"sr_x{scale}_{kind}_curves.png")
                plot(scale, points, shipped_set5(scale), out, seconds)
                print(f"{out}: {len(points)} points")


if __name__ == "__main__":
    main()
