"""Diagnostic, not the protocol: does a u = 2.6 cell climb faster when the LR input is not rounded to 8 bits?

Fine-tunes the told ×t joint network of GPU run 3 (checkpoints/sr_x{t}.pt, entry sr-x{t}-cond-joint; t = 2 unless
given) on u = 2.6 only,
MSE, Adam 2e-4, batch 32, one thread, 900 s, once as the protocol says (LR rounded and clipped to 8 bits) and once
with the rounding switched off in training AND evaluation (`float`). Logs: reports/logs/quantization-diagnostic-*.jsonl.

    OPENBLAS_NUM_THREADS=1 python3 training/reports/quantization_diagnostic.py 8bit
    OPENBLAS_NUM_THREADS=1 python3 training/reports/quantization_diagnostic.py float
    OPENBLAS_NUM_THREADS=1 python3 training/reports/quantization_diagnostic.py 8bit 3
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import train_sr  # noqa: E402

if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "8bit"
    scale = sys.argv[2] if len(sys.argv) > 2 else "2"
    if mode not in ("8bit", "float") or scale not in ("2", "3", "4"):
        sys.exit("usage: quantization_diagnostic.py 8bit|float [2|3|4]")
    if mode == "float":
        train_sr.quantize8 = lambda x: x
    train_sr.main(["--scale", scale, "--regime", "joint", "--blur", "2.6",
                   "--init", os.path.join(HERE, "..", "checkpoints", f"sr_x{scale}.pt"), "--init-entry", f"sr-x{scale}-cond-joint",
                   "--batch", "32", "--lr", "2e-4", "--threads", "1", "--budget", "900", "--val-every", "150",
                   "--ckpt-every", "900", "--run", f"/tmp/quantdiag-{mode}" if scale == "2" else f"/tmp/quantdiag-x{scale}-{mode}"])
