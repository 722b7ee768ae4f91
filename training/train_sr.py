"""Train one super-resolution model (one scale, one regime), time-budgeted, checkpointed, resumable.

Regimes (the paper's three): reference = bicubic inputs only, K = 1; joint = all blur widths,
K = 1; dlnet = all blur widths, K = 5, fine-tuned from a joint checkpoint (--init).
Degradations sampled for joint/dlnet: u = 0 with probability 1/4, else u ~ Uniform(0, 3].

    python3 training/train_sr.py --scale 3 --regime joint --budget 600 --run training/runs/x3-joint
Run it again with the same --run to resume from the last checkpoint until the budget is spent.
"""
import argparse
import math
import os
import subprocess
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import PatchSampler, list_images, load_rgb  # noqa: E402
from paths import data_path  # noqa: E402
from degradations import crop_to_multiple, psnr_y, quantize8, rgb_to_y, sr_degrade  # noqa: E402
from sr_model import build_sr_net, dlnet_sr  # noqa: E402
from trainer import Trainer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
VAL_BLURS = (0.0, 1.3, 2.6)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=int, choices=(2, 3, 4), required=True)
    p.add_argument("--regime", choices=("reference", "joint", "dlnet"), required=True)
    p.add_argument("--blind", action="store_true", help="paper-faithful: g is not told the degradation")
    p.add_argument("--run", required=True, help="run folder: checkpoint.pt, log.jsonl, config.json")
    p.add_argument("--init", help="checkpoint to start from (dlnet fine-tunes from joint), or a pack file with --init-entry")
    p.add_argument("--init-entry", help="run name inside a pack file from training/gpu/pack.py (training/checkpoints/)")
    p.add_argument("--budget", type=float, required=True, help="training seconds in all, across resumes")
    p.add_argument("--backbone", choices=("vdsr-lr", "drrn-lr", "idn-lr"), default="vdsr-lr")
    p.add_argument("--blocks", type=int, default=4, help="idn-lr: distillation blocks")
    p.add_argument("--depth", type=int, default=16, help="vdsr-lr: conv layers in g")
    p.add_argument("--width", type=int, default=None, help="channels (default 64 for vdsr-lr, 128 for drrn-lr)")
    p.add_argument("--recursions", type=int, default=9, help="drrn-lr: residual units (B1U<n>)")
    p.add_argument("--fuse-every", type=int, default=3, help="drrn-lr: every n-th unit's output goes to the 1x1 fusion")
    p.add_argument("--z-width", type=int, default=64, help="drrn-lr: channels of z (the fusion's output)")
    p.add_argument("--skip", choices=("bicubic", "deconv"), default="bicubic",
                   help="vdsr-lr: the global skip h adds: bicubic upsampling, or the degradation's regularised inverse (deconv.py)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--patch", type=int, default=40, help="LR patch side")
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--schedule", choices=("constant", "cosine"), default="constant",
                   help="constant: the base rate after a short warm-up, times --final-lr-factor over the last "
                        "--final-fraction of the budget; cosine: the old decay to 2%% (starves short budgets)")
    p.add_argument("--final-fraction", type=float, default=0.0, help="constant schedule: share of the budget at the lower rate")
    p.add_argument("--final-lr-factor", type=float, default=0.2)
    p.add_argument("--loss", choices=("mse", "l1"), default="mse")
    p.add_argument("--blur-per", choices=("batch", "sample"), default="sample",
                   help="sample: one u per patch; batch: one u per batch, so W is a plain separable conv (faster DL-Net "
                        "steps, but at a constant rate the net drifts towards the last batches' u: measured -1.4 dB at "
                        "u = 1.3 between two validations of a x3 joint run)")
    p.add_argument("--heldout", type=int, default=10,
                   help="BSD400 images split off for validation (the last N, sorted); Set5 is logged, never used to decide")
    p.add_argument("--K", type=int, default=None)
    p.add_argument("--gamma", type=float, default=1e-3)
    p.add_argument("--blur", type=float, default=None,
                   help="train at this one blur width u only (a diagnostic specialist; default: the regime's mix)")
    p.add_argument("--data", nargs="+", default=[data_path("train/T91"), data_path("train/BSD400")])
    p.add_argument("--val", default=data_path("eval/Set5"))
    p.add_argument("--val-every", type=float, default=60.0, help="seconds between validations")
    p.add_argument("--ckpt-every", type=float, default=60.0)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--amp", action="store_true", help="bfloat16 autocast for the network (GPU)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.blur is not None and not 0 <= args.blur <= 3:
        p.error("--blur is a blur width u in [0, 3]")
    return args


def git_commit():
    try:
        return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, stderr=subprocess.DEVNULL).decode().strip()
    except Exception:
        return "unknown"


def sample_blurs(n, regime, gen, fixed=None, per="sample"):
    """u per patch (or one u for the whole batch, repeated): 0 with probability 1/4, else U(0, 3]."""
    if fixed is not None:
        return torch.full((n,), fixed)
    if regime == "reference":
        return torch.zeros(n)
    draws = 1 if per == "batch" else n
    u = 3.0 * (1.0 - torch.rand(draws, generator=gen))  # (0, 3]
    bicubic = torch.rand(draws, generator=gen) < 0.25
    return torch.where(bicubic, torch.zeros(draws), u).expand(n).clone()


def blur_operand(u):
    """What W is given: a float when every patch shares u (plain separable convs), else the per-patch tensor."""
    return float(u[0]) if bool((u == u[0]).all()) else u


def make_batch(sampler, args, gen, device, net):
    """LR patches, their HR targets, u per patch, and h's skip computed with the margins (as bands are in the engine)."""
    t, m = args.scale, 4  # m LR pixels of margin so patch borders see real context
    hr = sampler.sample(args.batch, (args.patch + 2 * m) * t)
    u = sample_blurs(args.batch, args.regime, gen, args.blur, args.blur_per).to(device)
    lr = quantize8(sr_degrade(hr, t, blur_operand(u)))
    skip = net.upsample(lr, blur_operand(u))[:, :, m * t : (m + args.patch) * t, m * t : (m + args.patch) * t]
    lr = lr[:, :, m : m + args.patch, m : m + args.patch]
    hr = hr[:, :, m * t : (m + args.patch) * t, m * t : (m + args.patch) * t]
    return lr, hr, u, skip


def restore(net, lr, u, K, gamma, create_graph, skip=None):
    if K == 1:
        return net(lr, u, skip)
    with torch.enable_grad():
        return dlnet_sr(net, lr, blur_operand(u), K=K, gamma=gamma, create_graph=create_graph, skip=skip)


def evaluate(net, files, scale, K, gamma, device, blurs=VAL_BLURS):
    """Luma PSNR (the evaluation protocol: t pixels shaved) for each blur width; the LR RGB image is rounded to 8 bits."""
    net.eval()
    result = {}
    images = [crop_to_multiple(load_rgb(path), scale).to(device) for path in files]
    for u in blurs:
        scores = []
        for hr in images:
            lr_y = rgb_to_y(quantize8(sr_degrade(hr, scale, u)))
            out = restore(net, lr_y, torch.tensor([u], device=device), K, gamma, False).detach()
            scores.append(psnr_y(out.clamp(0, 1), rgb_to_y(hr), scale))
        result[str(u)] = sum(scores) / len(scores)
    net.train()
    return result


def load_init(path, entry=None):
    """The checkpoint (or pack entry) a run starts from, on the CPU."""
    ck = torch.load(path, map_location="cpu", weights_only=False)
    return ck[entry] if entry else ck


def adopt_init_config(args, init, keys):
    """The network a run starts from is the one its init checkpoint holds: copy those keys of its config."""
    config = init.get("config", {})
    for key in keys:
        if key in config:
            setattr(args, key, config[key])


def learning_rate(base, fraction, schedule="cosine", final_fraction=0.0, final_factor=0.2):
    warm = min(1.0, fraction / 0.02)
    if schedule == "constant":
        return base * warm * (final_factor if fraction >= 1.0 - final_fraction else 1.0)
    return base * warm * max(0.02, 0.5 * (1 + math.cos(math.pi * min(fraction, 1.0))))


def split_heldout(folders, count):
    """Training files, and the last `count` (sorted) of the BSD400 folder split off for validation."""
    train, heldout = [], []
    for folder in folders:
        files = list_images(folder)
        if count and os.path.basename(os.path.normpath(folder)) == "BSD400":
            files, held = files[:-count], files[-count:]
            heldout += held
        train += files
    return train, heldout


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.device.startswith("cuda"):
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    K = args.K or (5 if args.regime == "dlnet" else 1)
    base_lr = args.lr or (5e-4 if args.regime == "dlnet" else 1e-3)
    device = torch.device(args.device)

    init = load_init(args.init, args.init_entry) if args.init else None
    if init:
        adopt_init_config(args, init, ("backbone", "depth", "width", "recursions", "fuse_every", "z_width", "blocks", "skip"))
    if args.width is None:
        args.width = 128 if args.backbone == "drrn-lr" else 64
    net = build_sr_net(vars(args)).to(device).to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(net.parameters(), lr=base_lr)
    config = dict(vars(args), K=K, base_lr=base_lr, git_commit=git_commit(), optimizer="adam")
    trainer = Trainer(args.run, net, opt, config, budget=args.budget, val_every=args.val_every, ckpt_every=args.ckpt_every,
                      device=device)
    if init:
        trainer.start_from(init["params"], f"{args.init} {args.init_entry or ''}")
    trainer.write_config()

    train_files, heldout_files = split_heldout(args.data, args.heldout)
    step = trainer.state["step"]
    sampler = PatchSampler(train_files, device, seed=args.seed + step)
    gen = torch.Generator().manual_seed(args.seed + 1 + step)
    val_files = list_images(args.val)

    def train_step():
        lr_y, hr_y, u, skip = make_batch(sampler, args, gen, device, net)
        lr_y = lr_y.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=args.amp):
            out = restore(net, lr_y, u, K, args.gamma, True, skip)
        diff = out.float() - hr_y
        return diff.pow(2).mean() if args.loss == "mse" else diff.abs().mean()

    def validate():
        held = evaluate(net, heldout_files, args.scale, K, args.gamma, device) if heldout_files else None
        return {"val_psnr": evaluate(net, val_files, args.scale, K, args.gamma, device), "heldout_psnr": held}

    def rate(progress):
        return learning_rate(base_lr, progress, args.schedule, args.final_fraction, args.final_lr_factor)

    trainer.run(train_step, validate, rate, args.batch)

if __name__ == "__main__":
    main()
