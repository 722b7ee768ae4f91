"""Plots the learning curves of the GPU runs (training/reports/logs/*.json) and of the CPU
continuations (logs/cpu-*.jsonl) into PNGs.

    python3 training/reports/plot_curves.py
"""
import glob
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def curves(logs, prefix, metric):
    for name, entries in sorted(logs.items()):
        if name.startswith(prefix) and isinstance(entries, list) and entries:
            yield name, [e["elapsed"] for e in entries], [metric(e) for e in entries]


def main():
    logs = {}
    for path in sorted(glob.glob(os.path.join(HERE, "logs", "*.json"))):
        run = os.path.basename(path)[:-5]
        for name, entries in json.load(open(path)).items():
            logs[f"{name} ({run})"] = entries
    fig, axes = plt.subplots(3, 3, figsize=(15, 12))
    for row, t in enumerate((2, 3, 4)):
        for col, u in enumerate(("0.0", "1.3", "2.6")):
            ax = axes[row][col]
            for name, x, y in curves(logs, f"sr-x{t}-", lambda e: e["val_psnr"][u]):
                if "gpu-run-2" in name:
                    ax.plot(x, y, marker=".", label=name.replace(" (gpu-run-2)", "").split("-", 2)[2])
            ax.set_title(f"Set5 ×{t}, u = {u}")
            ax.set_xlabel("training seconds (each stage)")
            ax.set_ylabel("PSNR (dB)")
            ax.grid(alpha=0.3)
            if row == 0 and col == 0:
                ax.legend(fontsize=7)
    fig.suptitle("Super-resolution: validation PSNR during GPU run 2 (one H200, 9 runs sharing it)")
    fig.tight_layout()
    fig.savefig(os.path.join(HERE, "sr_curves.png"), dpi=80)
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    for row, task in enumerate(("inpaint", "interpolate")):
        for col, (key, label) in enumerate((("loss", "training loss (l2)"), ("composite", "validation PSNR, composite (dB)"))):
            ax = axes[row][col]
            metric = (lambda e: e["loss"]) if key == "loss" else (lambda e: e["val_psnr"]["composite"])
            for name, x, y in curves(logs, f"{task}-", metric):
                ax.plot(x, y, marker=".", label=name)
            ax.set_title(f"{task}: {label}")
            ax.set_xlabel("training seconds (each stage)")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(HERE, "inpainting_curves.png"), dpi=80)
    plot_cpu_continuations()


def plot_cpu_continuations():
    """Runs on the 2-core machine (logs/cpu-*.jsonl): continuations of shipped weights (the first CPU round) and
    the interpolation joint and DL-Net stages retrained there (the second), the DL-Net's second stage
    (the third)."""
    runs = {os.path.basename(p)[:-6]: [json.loads(line) for line in open(p) if line.strip()]
            for p in sorted(glob.glob(os.path.join(HERE, "logs", "cpu-*.jsonl")))}
    if not runs:
        return
    cols = min(4, len(runs))
    rows = -(-len(runs) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6 * cols, 4.5 * rows), squeeze=False)
    for ax in axes.flat[len(runs):]:
        ax.set_visible(False)
    for ax, (name, entries) in zip(axes.flat, runs.items()):
        x = [e["elapsed"] for e in entries]
        for key in entries[0]["val_psnr"]:
            ax.plot(x, [e["val_psnr"][key] for e in entries], marker="o", label=f"val {key}")
        joint = runs.get("cpu-interpolate-joint")
        if name in ("cpu-interpolate-dlnet", "cpu-interpolate-dlnet-stage2") and joint:  # both continue that joint
            ax.axhline(joint[-1]["val_psnr"]["composite"], color="grey", linestyle="--", label="joint's final val composite")
        ax.set_title(name)
        ax.set_xlabel("CPU training seconds")
        ax.set_ylabel("PSNR (dB)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(HERE, "cpu_curves.png"), dpi=80)


if __name__ == "__main__":
    main()
