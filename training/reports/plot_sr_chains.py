"""Learning curves of the CPU-trained SR chains (training/checkpoints/cpu/sr-x<t>-joint, then -dlnet): PSNR on
the held-out BSD400 photos and on Set5 against training samples and against training wall time, every
stage and every resumed session chained, with the shipped model's Set5 figures as a reference line.

    python3 training/reports/plot_sr_chains.py            # writes reports/sr_x<t>_cpu_curves.png per chain
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


def chain(scale):
    """Points of the joint stage then the DL-Net stage, with samples and seconds running on across stages."""
    points, samples0, seconds0 = [], 0.0, 0.0
    for stage in ("joint", "dlnet"):
        path = os.path.join(RUNS, f"sr-x{scale}-{stage}", "log.jsonl")
        if not os.path.exists(path):
            continue
        entries = read_log(path)
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


def plot(scale, points, reference, out):
    fig, axes = plt.subplots(2, 3, figsize=(15, 8))
    for col, u in enumerate(BLURS):
        for row, (key, label) in enumerate((("samples", "training samples"), ("seconds", "training seconds (one CPU thread)"))):
            ax = axes[row][col]
            for stage, marker in (("joint", "."), ("dlnet", "x")):
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
        points = chain(scale)
        if points:
            out = os.path.join(HERE, f"sr_x{scale}_cpu_curves.png")
            plot(scale, points, shipped_set5(scale), out)
            print(f"{out}: {len(points)} points")


if __name__ == "__main__":
    main()
