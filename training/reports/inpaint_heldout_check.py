"""A quick check of a fully convolutional inpainting checkpoint on held-out photos, in PyTorch, between the
report's runs (inpaint_strategies.mts scores held-out scene files 41-60 through the engine; this uses files
61-80, so that choosing between runs does not tune to the report's photos).

Per photo, one square hole of each size at a seeded position, cropped with 64 px of context (as the engine
crops holes), padded to the network's multiple of 32 with unknown pixels. Prints, per size, the hole PSNR
(8-bit RGB) pooled over the photos and the mean over the photos of each photo's hole PSNR (capped at 60 dB),
for the network, for its own first guess (the approximate membrane fill: its Jacobi sweeps per pyramid level)
and for a near-converged membrane fill (the same with 300 sweeps per level), the report's classical baseline.

    python3 training/reports/inpaint_heldout_check.py training/checkpoints/cpu/<run>/checkpoint.pt [--sizes 15,40,100]
"""
import argparse
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from fconv_inpaint import membrane_fill  # noqa: E402
from inpaint_model import build_net  # noqa: E402
from paths import data_path  # noqa: E402

CONTEXT = 64


def squared_error(out, x, hole):
    a = torch.round((out.clamp(-1, 1) + 1) * 127.5)
    b = torch.round((x + 1) * 127.5)
    h = hole.expand_as(a)
    return float(((a - b) ** 2 * h).sum()), float(h.sum())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("checkpoint")
    p.add_argument("--sizes", default="15,40,100")
    p.add_argument("--seed", type=int, default=7)
    args = p.parse_args()
    torch.set_num_threads(1)
    ck = torch.load(args.checkpoint, weights_only=False)
    net = build_net(ck["config"])
    net.load_state_dict(ck["params"])
    net.eval()
    folder = data_path("train/scenes")
    files = sorted(os.listdir(folder))[60:80]
    rng = np.random.default_rng(args.seed)
    for s in (int(v) for v in args.sizes.split(",")):
        rows = []
        for f in files:
            im = np.asarray(Image.open(os.path.join(folder, f)).convert("RGB"), np.float32) / 127.5 - 1
            H, W, _ = im.shape
            x0 = int(rng.integers(CONTEXT, W - s - 2 * CONTEXT))
            y0 = int(rng.integers(CONTEXT, H - s - 2 * CONTEXT))
            side = s + 2 * CONTEXT
            padded = (side + 31) // 32 * 32
            crop = np.zeros((padded, padded, 3), np.float32)
            crop[:side, :side] = im[y0 - CONTEXT : y0 - CONTEXT + side, x0 - CONTEXT : x0 - CONTEXT + side]
            m = np.zeros((padded, padded), np.float32)
            m[:side, :side] = 1
            m[CONTEXT : CONTEXT + s, CONTEXT : CONTEXT + s] = 0
            x = torch.from_numpy(crop).permute(2, 0, 1)[None]
            mask = torch.from_numpy(m)[None, None]
            hole = torch.zeros_like(mask)
            hole[..., CONTEXT : CONTEXT + s, CONTEXT : CONTEXT + s] = 1
            with torch.no_grad():
                fills = (net(x * mask, mask), membrane_fill(x * mask, mask, sweeps=net.sweeps), membrane_fill(x * mask, mask, sweeps=300))
                rows.append([squared_error(f, x, hole) for f in fills])
        pooled = [10 * np.log10(255**2 * sum(r[i][1] for r in rows) / sum(r[i][0] for r in rows)) for i in range(3)]
        mean = [np.mean([min(60.0, 10 * np.log10(255**2 * r[i][1] / max(r[i][0], 1e-3))) for r in rows]) for i in range(3)]
        print(f"s = {s}: pooled {pooled[0]:.2f} (guess {pooled[1]:.2f}, membrane {pooled[2]:.2f}), "
              f"mean of photos {mean[0]:.2f} (guess {mean[1]:.2f}, membrane {mean[2]:.2f})", flush=True)


if __name__ == "__main__":
    main()
