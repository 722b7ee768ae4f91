"""Diagnostic, not the protocol: does the ×2 u = 2.6 cell climb faster when the LR input is not rounded to 8 bits?

Fine-tunes the told ×2 joint network of GPU run 3 (checkpoints/sr_x2.pt, entry sr-x2-cond-joint) on u = 2.6 only,
MSE, Adam 2e-4, batch 32, one thread, 900 s, once as the protocol says (LR rounded and clipped to 8 bits) and once
with the rounding switched off in training AND evaluation (`float`). Logs: reports/logs/quantization-diagnostic-*.jsonl.

    OPENBLAS_NUM_THREADS=1 python3 training/reports/quantization_diagnostic.py 8bit
    OPENBLAS_NUM_THREADS=1 python3 training/reports/quantization_diagnostic.py float
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import train_sr  # noqa: E402

if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else "8bit"
    if mode not in ("8bit", "float"):
        sys.exit("usage: quantization_diagnostic.py 8bit|float")
    if mode == "float":
        train_sr.quantize8 = lambda x: x
    train_sr.main(["--scale", "2", "--regime", "joint", "--blur", "2.6",
                   "--init", os.path.join(HERE, "..", "checkpoints", "sr_x2.pt"), "--init-entry", "sr-x2-cond-joint",
                   "--batch", "32", "--lr", "2e-4", "--threads", "1", "--budget", "900", "--val-every", "150",
                   "--ckpt-every", "900", "--run", f"/tmp/quantdiag-{mode}"])
