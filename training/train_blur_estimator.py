"""Train the blur estimator (blur_estimator.py) on random patches of T91 + BSD400, degraded on the fly exactly as
the SR training data (u = 0, i.e. bicubic, with probability 1/4, else U(0, 3]); the last 10 BSD400 photos are
held out and scored every --val-every seconds. With --data … scenes it also trains on the scene photos, less the
ones the suggestion is calibrated on. Resumable: rerun the same command to continue a run.

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 training/train_blur_estimator.py --budget 1800 \
      --run training/checkpoints/cpu/blur-estimator
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from blur_estimator import SCALES, BlurEstimator, class_targets, decide  # noqa: E402
from data import PatchSampler, load_luma  # noqa: E402
from degradations import crop_to_multiple, quantize8, sr_degrade  # noqa: E402
from paths import data_path  # noqa: E402
from train_sr import blur_operand, sample_blurs, split_heldout  # noqa: E402

VAL_BLURS = (0.0, 0.7, 1.3, 2.0, 2.6)
# The suggestion's decision is calibrated on every 8th scene photo (training/reports/calibrate_suggest_blur.mts):
# a run given the scenes folder never trains on those.
CALIBRATION_SCENE_STRIDE = 8


def without_calibration_scenes(files):
    """`files` less every CALIBRATION_SCENE_STRIDE-th photo (sorted) of a folder named scenes."""
    scenes = sorted(f for f in files if os.path.basename(os.path.dirname(f)) == "scenes")
    calibration = set(scenes[::CALIBRATION_SCENE_STRIDE])
    return [f for f in files if f not in calibration]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run", required=True, help="run folder (checkpoint.pt, log.jsonl)")
    p.add_argument("--data", nargs="+", default=[data_path("train/T91"), data_path("train/BSD400")])
    p.add_argument("--heldout", type=int, default=10)
    p.add_argument("--budget", type=float, default=1800, help="total training seconds (across resumes)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--patch", type=int, default=48, help="LR patch side")
    p.add_argument("--width", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--val-every", type=float, default=300)
    p.add_argument("--ckpt-every", type=float, default=120)
    p.add_argument("--crops", type=int, default=32, help="textured crops per held-out photo")
    p.add_argument("--ambiguous", type=float, default=0.0,
                   help="share of the Gaussian patches whose u is drawn near 0.4·t instead (U(0.4t - 0.3, 0.4t + 0.3)), "
                        "where Gaussian blur looks most like bicubic downscaling")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def grid_starts(n, size, stride):
    starts = list(range(0, n - size + 1, stride))
    return starts if starts[-1] == n - size else starts + [n - size]


def textured_crops(lr, count, size, stride=16):
    """The `count` most textured size x size crops of a 11HW image (Laplacian energy) on a grid of `stride`, overlaps
    allowed, the most textured first — as the engine picks them (src/engine/suggest-blur.ts texturedCrops)."""
    h, w = lr.shape[-2:]
    if h <= size or w <= size:
        return lr[..., :size, :size]
    lap = F.conv2d(lr, torch.tensor([[0.0, -1, 0], [-1, 4, -1], [0, -1, 0]]).view(1, 1, 3, 3)) ** 2
    scored = sorted(((-float(lap[0, 0, y0 : y0 + size - 2, x0 : x0 + size - 2].sum()), y0, x0)
                     for y0 in grid_starts(h, size, stride) for x0 in grid_starts(w, size, stride)))
    return torch.cat([lr[..., y : y + size, x : x + size] for _, y, x in scored[:count]])


def sample_training_blurs(n, scale, ambiguous, gen):
    """u per patch as the SR training data has it (sample_blurs, joint), except that a share `ambiguous` of the
    Gaussian ones is drawn from U(0.4·t - 0.3, 0.4·t + 0.3): there a Gaussian blur looks most like bicubic
    downscaling ×t while the two sample the photo half a pixel apart, so telling them apart matters most."""
    u = sample_blurs(n, "joint", gen)
    if ambiguous <= 0:
        return u
    near = (u > 0) & (torch.rand(n, generator=gen) < ambiguous)
    return torch.where(near, 0.4 * scale + 0.6 * (torch.rand(n, generator=gen) - 0.5), u)


@torch.no_grad()
def validate(net, files, patch, crops):
    net.eval()
    result = {}
    for scale in SCALES:
        errors, signed, bicubic_right = [], [], []
        for path in files:
            hr = crop_to_multiple(load_luma(path)[None], scale)
            for u in VAL_BLURS:
                lr = quantize8(sr_degrade(hr, scale, u))
                est, _ = decide(torch.log_softmax(net(textured_crops(lr, crops, patch), scale), 1))
                if u == 0:
                    bicubic_right.append(est == 0)
                else:
                    errors.append(abs(est - u) if est > 0 else u)
                    signed.append(est - u)
        result[f"x{scale}"] = {"mean_abs_error": sum(errors) / len(errors),
                               "mean_error": sum(signed) / len(signed),
                               "within_0.1": sum(e <= 0.1 for e in errors) / len(errors),
                               "bicubic_right": sum(bicubic_right) / len(bicubic_right)}
    net.train()
    return result


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    os.makedirs(args.run, exist_ok=True)
    ckpt_path = os.path.join(args.run, "checkpoint.pt")
    net = BlurEstimator(args.width).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    step, elapsed = 0, 0.0
    if os.path.exists(ckpt_path):
        state = torch.load(ckpt_path)
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        step, elapsed = state["step"], state["elapsed"]
        for group in opt.param_groups:  # a resumed run takes the --lr it is given (e.g. a lower one to finish)
            group["lr"] = args.lr
        print(f"resumed {ckpt_path} at step {step}, {elapsed:.0f}s, lr {args.lr}", flush=True)
    with open(os.path.join(args.run, "config.json"), "w") as f:
        json.dump(vars(args), f, indent=1)
    train_files, heldout = split_heldout(args.data, args.heldout)
    train_files = without_calibration_scenes(train_files)
    sampler = PatchSampler(train_files, "cpu", seed=args.seed + step)
    gen = torch.Generator().manual_seed(args.seed + 1 + step)
    m = 4
    last_val = last_ckpt = elapsed
    start = time.time() - elapsed
    losses = []

    def save():
        torch.save({"net": net.state_dict(), "opt": opt.state_dict(), "step": step, "elapsed": elapsed,
                    "width": args.width}, ckpt_path + ".tmp")
        os.replace(ckpt_path + ".tmp", ckpt_path)

    while elapsed < args.budget:
        scale = SCALES[step % len(SCALES)]
        hr = sampler.sample(args.batch, (args.patch + 2 * m) * scale)
        u = sample_training_blurs(args.batch, scale, args.ambiguous, gen)
        lr = quantize8(sr_degrade(hr, scale, blur_operand(u)))[:, :, m : m + args.patch, m : m + args.patch]
        logits = net(lr.contiguous(memory_format=torch.channels_last), scale)
        loss = -(class_targets(u) * torch.log_softmax(logits, 1)).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
        step += 1
        elapsed = time.time() - start
        if elapsed - last_ckpt >= args.ckpt_every:
            save()
            last_ckpt = elapsed
        if elapsed - last_val >= args.val_every or elapsed >= args.budget:
            record = {"step": step, "elapsed": round(elapsed, 1), "samples": step * args.batch,
                      "loss": sum(losses) / len(losses), "val": validate(net, heldout, args.patch, args.crops)}
            losses = []
            print(json.dumps(record), flush=True)
            with open(os.path.join(args.run, "log.jsonl"), "a") as f:
                f.write(json.dumps(record) + "\n")
            last_val = elapsed
            start = time.time() - elapsed  # validation time does not count against the budget
    save()


if __name__ == "__main__":
    main()
