"""How far the shipped super-resolution models are from the paper's floor, and what closing the gap
costs: Set5 learning curves of the told VDSR-LR joint chains against training samples (GPU run 2,
which trained them from scratch, and the CPU continuations of the shipped weights), the throughput
measured on each machine, and two extrapolations to the floor.

    python3 training/reports/sr_budget.py    # writes sr_budget.md and sr_learning_curves.png

Samples seen are read from the logs as samples_per_s × elapsed (both logged per validation).
"""
import glob
import json
import math
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
BLURS = ("0.0", "1.3", "2.6")
SCALES = (2, 3, 4)
SESSION_TRAINING_HOURS = 2.5  # of a 3-hour session, what a background run can have
FLOOR_ROW, TARGET_ROW = "VDSR (DL-Net), paper", "DRRN (DL-Net), paper"


def samples_seen(entry):
    return entry["samples_per_s"] * entry["elapsed"]


def read_jsonl(path):
    return [json.loads(line) for line in open(path) if line.strip()]


def paper_cell(rows, row, t, u):
    return rows[row][BLURS.index(u) * 3 + SCALES.index(t)]


def shipped_cell(table, t, u):
    return table[f"Set5/cond-dlnet/x{t}"]["psnr"]["0" if u == "0.0" else u]


def session_number(path):
    return int(re.search(r"session(\d+)", path).group(1))


def load_chains():
    """Per scale: the GPU curve of the told joint from scratch, and each CPU continuation of its final
    weights as (label, samples per second, [(total samples, {u: PSNR})])."""
    gpu = json.load(open(os.path.join(HERE, "logs", "gpu-run-2.json")))
    chains = {}
    for t in SCALES:
        start = gpu[f"sr-x{t}-cond-joint"]
        base = samples_seen(start[-1])

        def continuation(entries):
            """A CPU run from the GPU chain's final weights, counted on from that chain's samples."""
            return [(base, start[-1]["val_psnr"])] + [(base + samples_seen(e), e["val_psnr"]) for e in entries]

        curves = [("GPU run 2 (H200, from scratch)", start[-1]["samples_per_s"],
                   [(samples_seen(e), e["val_psnr"]) for e in start])]
        for path in sorted(glob.glob(os.path.join(HERE, "logs", f"cpu-x{t}-joint-session*.jsonl")), key=session_number):
            entries = read_jsonl(path)
            label = "CPU " + re.sub(rf"^cpu-x{t}-joint-", "", os.path.basename(path)[:-6])
            curves.append((label, entries[-1]["samples_per_s"], continuation(entries)))
        reference = [(samples_seen(e), e["val_psnr"]) for e in gpu[f"sr-x{t}-reference"]]
        specialists = {}  # u -> continuations of the same weights trained at that one u (train_sr.py --blur)
        for path in sorted(glob.glob(os.path.join(HERE, "logs", f"cpu-x{t}-specialist-u*.jsonl"))):
            u = re.match(rf"cpu-x{t}-specialist-u([0-9.]+)-", os.path.basename(path)).group(1)
            specialists[u] = continuation(read_jsonl(path))
        chains[t] = {"curves": curves, "reference": reference, "specialists": specialists}
    return chains


def linear_samples_to_close(gap, gain, samples):
    """Samples to close `gap` dB if PSNR kept rising at the measured gain per sample. Learning curves
    flatten as samples grow, so this is a lower bound; None when nothing was gained."""
    if gap <= 0:
        return 0.0
    if gain <= 0:
        return None
    return gap / gain * samples


def loglinear_fit(samples, psnr):
    """Least squares PSNR = a + b·log2(samples): b is the gain per doubling of the samples."""
    xs = [math.log2(n) for n in samples]
    mx, my = sum(xs) / len(xs), sum(psnr) / len(psnr)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, psnr)) / sxx
    return my - b * mx, b


def samples_for(target, a, b):
    """Where the fitted line reaches `target`; None when the fit does not rise."""
    return 2 ** ((target - a) / b) if b > 0 else None


def fmt_count(n):
    if n is None:
        return "never (no gain)"
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= div:
            return f"{n / div:,.1f} {unit}"
    return f"{n:,.0f}"


def fmt_amount(x, unit=""):
    if x is None:
        return "—"
    return f"{x:,.0f}{unit}" if x >= 10 else f"{x:.1f}{unit}"


def cpu_sessions(samples, rate):
    """Sessions of one core at `rate` samples/s."""
    return None if samples is None else samples / rate / 3600 / SESSION_TRAINING_HOURS


def cpu_rate_now(chains):
    """samples/s per core of the newest session's CPU continuations (the same 40×40 LR patches at every scale)."""
    latest = [c[-1] for c in (chains[t]["curves"][1:] for t in SCALES) if c]
    newest = max(session_number(label) for label, _, _ in latest)
    rates = [rate for label, rate, _ in latest if session_number(label) == newest]
    return sum(rates) / len(rates)


def analyse(chains, paper_rows, table9):
    """One row per (t, u): gap to the floor, the CPU continuation's gain, and the log-linear fit (a, b)."""
    machine_rate = cpu_rate_now(chains)
    rows = []
    for t in SCALES:
        gpu_rate = chains[t]["curves"][0][1]
        cpu = chains[t]["curves"][1:]
        for u in BLURS:
            floor, shipped = paper_cell(paper_rows, FLOOR_ROW, t, u), shipped_cell(table9, t, u)
            gap = floor - shipped
            all_points = [(n, p[u]) for _, _, pts in chains[t]["curves"] for n, p in pts]
            a, b = loglinear_fit([n for n, _ in all_points], [p for _, p in all_points])
            need = samples_for(floor, a, b)
            trained = max(n for n, _ in all_points)
            more = None if need is None else max(0.0, need - trained)
            row = {"t": t, "u": u, "floor": floor, "target": paper_cell(paper_rows, TARGET_ROW, t, u),
                   "shipped": shipped, "gap": gap, "intercept": a, "slope": b, "need": need,
                   "gpu_hours": None if more is None else more / gpu_rate / 3600,
                   "cpu_sessions_loglinear": cpu_sessions(more, machine_rate)}
            if cpu:
                _, cpu_rate, points = cpu[-1]
                start = points[0][1][u]
                best_n, best = max(((n - points[0][0], p[u]) for n, p in points[1:]), key=lambda q: q[1])
                linear = linear_samples_to_close(gap, best - start, best_n)
                row.update(cpu_samples=points[-1][0] - points[0][0], cpu_gain=best - start,
                           cpu_final_gain=points[-1][1][u] - start,
                           cpu_sessions_linear=cpu_sessions(linear, cpu_rate) if gap > 0 else 0.0)
            rows.append(row)
    return rows


def plot(chains, rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 3, figsize=(15, 12))
    for row in rows:
        t, u = row["t"], row["u"]
        r, c = SCALES.index(t), BLURS.index(u)
        ax = axes[r][c]
        for label, _, pts in chains[t]["curves"]:
            ax.plot([n for n, _ in pts], [p[u] for _, p in pts], marker=".", label=label)
        if u in chains[t]["specialists"]:
            sp = chains[t]["specialists"][u]
            ax.plot([n for n, _ in sp], [p[u] for _, p in sp], marker="x", color="black",
                    label=f"CPU, trained at u = {u} only (diagnostic)")
        if u == "0.0":  # elsewhere the bicubic-only reference sits near bicubic, far below the axis's interest
            ref = chains[t]["reference"]
            ax.plot([n for n, _ in ref], [p[u] for _, p in ref], color="grey", alpha=0.6, marker=".",
                    label="reference, bicubic only (GPU run 2)")
        ns = [n for _, _, cpts in chains[t]["curves"] for n, _ in cpts]
        a, b, end = row["intercept"], row["slope"], row["need"]
        xmax = min(end, 1e9) if end else 4 * max(ns)
        xs = [min(ns) * (xmax / min(ns)) ** (i / 40) for i in range(41)]
        ax.plot(xs, [a + b * math.log2(x) for x in xs], ":", color="black", label="log-linear fit")
        ax.axhline(row["floor"], color="red", linestyle="--", label="floor: VDSR (DL-Net), paper")
        ax.axhline(row["target"], color="purple", linestyle="--", label="target: DRRN (DL-Net), paper")
        ax.set_xscale("log")
        ax.set_title(f"Set5 ×{t}, u = {u}: told joint\nlog-linear fit meets the floor at {fmt_count(end)} samples", fontsize=10)
        ax.set_xlabel("training samples (40×40 LR patches)")
        ax.set_ylabel("PSNR (dB)")
        ax.grid(alpha=0.3, which="both")
        if (r, c) == (0, 0) or u in chains[t]["specialists"]:
            ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("Super-resolution learning curves against samples, and the paper's floor")
    fig.tight_layout()
    fig.savefig(path, dpi=80)


def report(chains, rows):
    gpu_rate = chains[2]["curves"][0][1]
    lines = [
        "# Super-resolution: the gap to the paper's floor, and what closing it costs",
        "",
        "Generated by `python3 training/reports/sr_budget.py` from `logs/gpu-run-2.json` (the told joint "
        "chains from scratch), `logs/cpu-x<t>-joint-session*.jsonl` (continuations of their final weights on the "
        "2-core machine), `logs/cpu-x<t>-specialist-u*-*.jsonl` (the same start trained at one u), `table9.json` (shipped DL-Net models) and `paper_set5.json`. Curves: "
        "`sr_learning_curves.png`.",
        "",
        "Throughput measured (samples = 40×40 LR patches, K = 1):",
        "",
    ]
    for t in SCALES:
        for label, rate, pts in chains[t]["curves"]:
            lines.append(f"- ×{t}, {label}: {rate:,.1f} samples/s per run, {fmt_count(pts[-1][0] - (pts[0][0] if label.startswith('CPU') else 0))} samples")
    for t in SCALES:
        for label, _, pts in chains[t]["curves"][1:]:
            steps = ", ".join(f"u = {u}: {max(abs(b[1][u] - a[1][u]) for a, b in zip(pts, pts[1:])):.2f}" for u in BLURS)
            lines.append(f"- ×{t}, {label}: largest change between successive validations (noise and learning): {steps} dB")
    for t in SCALES:
        for u, pts in chains[t]["specialists"].items():
            (n0, p0), (n1, p1) = pts[0], pts[-1]
            best = max(p[u] for _, p in pts[1:])
            others = ", ".join(f"u = {v}: {p1[v] - p0[v]:+.2f}" for v in BLURS if v != u)
            lines.append(f"- ×{t}, the same start trained at u = {u} only (`train_sr.py --blur {u}`, a diagnostic): "
                         f"Set5 u = {u} {p0[u]:.2f} → {p1[u]:.2f} (best {best:.2f}) in {fmt_count(n1 - n0)} samples; "
                         f"meanwhile {others} dB")
    lines += [
        "",
        "Columns: *gap* = floor − shipped. *CPU gain* = best Set5 PSNR of the latest CPU continuation minus "
        "its starting point (final minus start in brackets), over the samples it trained. *Sessions* are "
        f"{SESSION_TRAINING_HOURS} training hours of one core at the latest CPU rate "
        f"({cpu_rate_now(chains):.1f} samples/s): *linear* if PSNR kept rising at that continuation's best "
        "gain per sample (learning curves flatten, so this is a lower bound); *log-linear* from a "
        "least-squares line PSNR = a + b·log2(samples) through every point of the chain (*slope* b, dB per "
        "doubling of samples; *samples for floor* where the line meets the floor): an extrapolation, not a "
        f"measurement. *GPU hours*: the samples still missing at GPU run 2's {gpu_rate:,.0f} samples/s per run.",
        "",
        "| t | u | floor | shipped | gap | CPU gain (final) / samples | sessions, linear | slope dB/doubling | samples for floor | sessions, log-linear | GPU hours |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        cpu, linear = "—", "—"
        if "cpu_gain" in r:
            cpu = f"{r['cpu_gain']:+.2f} ({r['cpu_final_gain']:+.2f}) / {fmt_count(r['cpu_samples'])}"
            linear = "no gain measured" if r["cpu_sessions_linear"] is None else fmt_amount(r["cpu_sessions_linear"])
        lines.append(f"| ×{r['t']} | {r['u']} | {r['floor']:.2f} | {r['shipped']:.2f} | {r['gap']:+.2f} | {cpu} | {linear} | "
                     f"{r['slope']:+.3f} | {fmt_count(r['need'])} | {fmt_amount(r['cpu_sessions_loglinear'])} | "
                     f"{fmt_amount(r['gpu_hours'], ' h')} |")
    return "\n".join(lines) + "\n"


def main():
    chains = load_chains()
    paper_rows = json.load(open(os.path.join(HERE, "paper_set5.json")))["rows"]
    table9 = json.load(open(os.path.join(HERE, "table9.json")))
    rows = analyse(chains, paper_rows, table9)
    text = report(chains, rows)
    with open(os.path.join(HERE, "sr_budget.md"), "w") as f:
        f.write(text)
    plot(chains, rows, os.path.join(HERE, "sr_learning_curves.png"))
    print(text)


if __name__ == "__main__":
    main()
