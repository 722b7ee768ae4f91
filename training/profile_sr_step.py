"""Profile one SR training step phase by phase: patch sampling, the degradation, the network (forward and
backward), the optimiser, and the DL-Net stage; and a plain 64->64 3x3 conv as the machine's ceiling.

    OPENBLAS_NUM_THREADS=1 python3 training/profile_sr_step.py --scale 3 --threads 1
Prints one line per phase (milliseconds per step, share of the step) and samples/s, for the layouts and
blur sampling given, so a recipe change can be judged by measurement.
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import PatchSampler  # noqa: E402
from paths import data_path  # noqa: E402
from train_sr import HERE, blur_operand, make_batch, restore  # noqa: E402
from sr_model import SRNet  # noqa: E402


def timed(fn, repeats):
    fn()
    start = time.perf_counter()
    for _ in range(repeats):
        out = fn()
    return (time.perf_counter() - start) / repeats * 1000, out


def conv_ceiling(threads, channels_last, batch=32, side=40, width=64, repeats=10):
    """GFLOP/s of a width->width 3x3 conv, forward only (the ceiling the network's convs can reach)."""
    conv = torch.nn.Conv2d(width, width, 3, padding=1)
    x = torch.rand(batch, width, side, side)
    if channels_last:
        conv = conv.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.no_grad():
        ms, _ = timed(lambda: conv(x), repeats)
    return 2 * width * width * 9 * batch * side * side / (ms / 1000) / 1e9


def profile(args, channels_last, blur_per, K):
    class Settings:
        scale, batch, patch, regime, blur = args.scale, args.batch, args.patch, "joint", None
    Settings.blur_per = blur_per
    sampler = PatchSampler([data_path("train/T91")], torch.device("cpu"))
    gen = torch.Generator().manual_seed(0)
    net = SRNet(args.scale, args.depth, args.width)
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    t, m = args.scale, 4
    phases = {}
    phases["sample patches"], hr = timed(lambda: sampler.sample(args.batch, (args.patch + 2 * m) * t), args.repeats)
    phases["degrade (make_batch - sampling)"], batch = timed(lambda: make_batch(sampler, Settings, gen, "cpu", net), args.repeats)
    phases["degrade (make_batch - sampling)"] -= phases["sample patches"]
    lr, hr, u, skip = batch
    if channels_last:
        lr = lr.contiguous(memory_format=torch.channels_last)

    def forward():
        return restore(net, lr, u, K, 1e-3, True, skip)

    phases["network forward" + (" (K steps)" if K > 1 else "")], out = timed(forward, args.repeats)

    def backward():
        opt.zero_grad(set_to_none=True)
        (forward() - hr).pow(2).mean().backward()

    ms_fb, _ = timed(backward, args.repeats)
    phases["network backward"] = ms_fb - phases[next(k for k in phases if k.startswith("network forward"))]
    phases["optimiser step"], _ = timed(opt.step, args.repeats)
    total = sum(phases.values())
    flops = 3 * 2 * 9 * (3 * args.width + (args.depth - 1) * args.width**2 + args.width * t * t) * args.patch**2 * args.batch
    print(f"\nlayout {'channels_last' if channels_last else 'NCHW'}, blur per {blur_per}, K = {K}, "
          f"{args.depth} x {args.width}, batch {args.batch} of {args.patch}^2 LR, x{t}, {args.threads} thread(s)")
    for name, ms in phases.items():
        print(f"  {name:34s} {ms:8.1f} ms  {100 * ms / total:5.1f} %")
    gflops = flops / (phases[next(k for k in phases if k.startswith("network forward"))] + phases["network backward"]) / 1e6
    print(f"  {'step':34s} {total:8.1f} ms   {args.batch / total * 1000:6.1f} samples/s"
          + (f"   network {gflops:.0f} GFLOP/s (K = 1 count)" if K == 1 else ""))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scale", type=int, default=3)
    p.add_argument("--depth", type=int, default=16)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--patch", type=int, default=40)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--dlnet", action="store_true", help="also profile the K = 5 DL-Net step")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    for cl in (False, True):
        print(f"conv 64->64 3x3 ceiling, {'channels_last' if cl else 'NCHW'}: {conv_ceiling(args.threads, cl):.0f} GFLOP/s")
    for cl, per in ((False, "sample"), (True, "sample"), (True, "batch")):
        profile(args, cl, per, 1)
    if args.dlnet:
        for per in ("sample", "batch"):
            profile(args, True, per, 5)


if __name__ == "__main__":
    main()
