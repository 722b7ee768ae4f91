"""Train one 64x64 inpainting or interpolation model (one regime), time-budgeted and resumable.

Regimes: reference (inpaint: s = 32 centred; interpolate: r = 75 %), joint (s in 1..30 with ±10 px
shift / r in [0, 75 %], K = 1), dlnet (K = 5, fine-tuned from joint with --init).
Data: half faces (train split), half scene crops (train/scenes + train/BSD400).

    python3 training/train_inpaint.py --task inpaint --regime joint --budget 600 --run training/runs/inpaint-joint
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faces import SceneCrops, face_split, load_faces  # noqa: E402
from inpaint_model import build_net, dlnet_masked  # noqa: E402
from fconv_inpaint import SWEEPS, membrane_fill  # noqa: E402
from masks import photo_holes, sample_mask, square_hole, bernoulli  # noqa: E402
from paths import data_path  # noqa: E402
from train_sr import adopt_init_config, git_commit, learning_rate, load_init  # noqa: E402
from trainer import Trainer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GAMMA = {"inpaint": 1e-3, "interpolate": 1e-2, "fconv-inpaint": 1e-2}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", choices=("inpaint", "interpolate"), required=True)
    p.add_argument("--regime", choices=("reference", "joint", "dlnet"), required=True)
    p.add_argument("--run", required=True)
    p.add_argument("--backbone", choices=("context-encoder", "fconv", "fconv-inpaint"), default="context-encoder",
                   help="fconv: the fully convolutional interpolation network (inpaint_model.FConvMasked); "
                        "fconv-inpaint: the photo inpainting network (fconv_inpaint.FConvInpaint)")
    p.add_argument("--width0", type=int, default=32, help="fconv-inpaint: channels at full resolution")
    p.add_argument("--width1", type=int, default=64, help="fconv-inpaint: channels at 1/2 and 1/4")
    p.add_argument("--photo-size", type=int, default=128, help="fconv-inpaint: side of the scene crops (multiple of 32)")
    p.add_argument("--max-zoom", type=float, default=2.0,
                   help="fconv-inpaint: scene crops span 1 to this many times --photo-size px of the photo (1 = its own scale)")
    p.add_argument("--sweeps", type=int, default=SWEEPS,
                   help="fconv-inpaint: Jacobi sweeps per pyramid level of the first guess (more: closer to the membrane fill)")
    p.add_argument("--photo-batch", type=int, default=8, help="fconv-inpaint: scene crops per step (besides --batch faces)")
    p.add_argument("--depth", type=int, default=8, help="fconv: conv layers in g")
    p.add_argument("--width", type=int, default=48, help="fconv: channels")
    p.add_argument("--init")
    p.add_argument("--budget", type=float, default=float("inf"), help="seconds of training (the schedule spans it)")
    p.add_argument("--steps", type=int, default=0, help="train this many steps instead (the schedule spans them)")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--K", type=int, default=None)
    p.add_argument("--loss", choices=("mse", "log-mse"), default="mse",
                   help="fconv-inpaint: MSE over the batch, or the mean over crops of log MSE (what a mean of per-photo PSNRs scores)")
    p.add_argument("--weight-decay", type=float, default=1e-4, help="Adam's L2 penalty")
    p.add_argument("--beta1", type=float, default=0.5, help="Adam's first-moment decay")
    p.add_argument("--faces", default=data_path("train/faces"))
    p.add_argument("--scenes", nargs="+", default=[data_path("train/scenes"), data_path("train/BSD400")])
    p.add_argument("--max-faces", type=int, default=0, help="use at most this many training faces (0 = all)")
    p.add_argument("--val-every", type=float, default=60.0)
    p.add_argument("--ckpt-every", type=float, default=60.0)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def masks_for(task, regime, n, rng, device):
    return torch.from_numpy(np.stack([sample_mask(task, regime, 64, rng) for _ in range(n)]))[:, None].to(device)


def validation_masks(task, n):
    rng = np.random.default_rng(1234)
    if task == "inpaint":
        m = [square_hole(64, [10, 20, 30][i % 3], 10, rng) for i in range(n)]
    else:
        m = [bernoulli(64, [0.15, 0.45, 0.75][i % 3], rng) for i in range(n)]
    return torch.from_numpy(np.stack(m))[:, None]


def steps_in_regime(ck, regime):
    """Steps a checkpoint was trained in `regime`, counting the runs it continued: 0 for another regime."""
    if ck["config"].get("regime") != regime:
        return 0
    return ck["state"]["step"] + ck["config"].get("init_steps_in_regime", 0)


def run_net(net, y, mask, K, gamma, create_graph):
    if K == 1:
        return net(y, mask)
    with torch.enable_grad():
        return dlnet_masked(net, y, mask, K=K, gamma=gamma, create_graph=create_graph)


# Below any error that matters in 8 bits (the rounding's own variance on −1..1 is ~5e-6).
LOG_EPS = 1e-5


def hole_psnr(out, ref, mask):
    """PSNR (8-bit) over the hole pixels of the whole batch pooled: small holes do not drown large ones."""
    a = torch.round((out.clamp(-1, 1) + 1) * 127.5)
    b = torch.round((ref + 1) * 127.5)
    hole = (1 - mask).expand_as(a)
    mse = ((a - b).pow(2) * hole).sum() / hole.sum().clamp(min=1)
    return (10 * torch.log10(255.0**2 / mse.clamp(min=1e-10))).item()


def psnr_batch(out, ref):
    a = torch.round((out.clamp(-1, 1) + 1) * 127.5)
    b = torch.round((ref + 1) * 127.5)
    mse = (a - b).pow(2).flatten(1).mean(1).clamp(min=1e-10)
    return (10 * torch.log10(255.0**2 / mse)).mean().item()


def main(argv=None):
    args = parse_args(argv)
    if not args.steps and args.budget == float("inf"):
        sys.exit("give --budget SECONDS or --steps N")
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    K = args.K or (5 if args.regime == "dlnet" else 1)
    gamma = GAMMA["fconv-inpaint" if args.backbone == "fconv-inpaint" else args.task]
    base_lr = args.lr or (5e-5 if args.regime == "dlnet" else 2e-4)
    init = load_init(args.init) if args.init else None
    if init:
        adopt_init_config(args, init, ("backbone", "depth", "width", "width0", "width1"))
    net = build_net(vars(args)).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=base_lr, betas=(args.beta1, 0.999), weight_decay=args.weight_decay)
    config = dict(vars(args), K=K, gamma=gamma, base_lr=base_lr, git_commit=git_commit(), loss="l2" if args.loss == "mse" else args.loss)
    if init:
        config["init_steps_in_regime"] = steps_in_regime(init, args.regime)
    trainer = Trainer(args.run, net, opt, config, budget=args.budget, steps=args.steps, val_every=args.val_every,
                      ckpt_every=args.ckpt_every, device=device)
    if init:
        trainer.start_from(init["params"], args.init)
    trainer.write_config()

    train_names, val_names, _ = face_split(args.faces)
    if args.max_faces:
        train_names = train_names[: args.max_faces]
    faces = load_faces(args.faces, train_names).to(device)
    val_faces = load_faces(args.faces, val_names).to(device)
    val_masks = validation_masks(args.task, len(val_faces)).to(device)
    photo = args.backbone == "fconv-inpaint"
    # The photo network fills holes in photos at their own resolution: crops at 1–2× of it (the context
    # encoder's 64×64 crops keep the earlier shrunk-photo sampling).
    scenes = (SceneCrops(args.scenes, device, max_side=1024, size=args.photo_size, max_zoom=args.max_zoom) if photo
              else SceneCrops(args.scenes, device, size=64))
    gen = torch.Generator().manual_seed(args.seed + trainer.state["step"])
    rng = np.random.default_rng(args.seed + trainer.state["step"])

    if photo:  # a fixed set of scene crops with painted holes (drawn from the training photos)
        val_gen = torch.Generator().manual_seed(4321)
        val_scenes = scenes.sample(32, val_gen).to(device)
        val_rng = np.random.default_rng(4321)
        val_holes = torch.from_numpy(np.stack([photo_holes(args.photo_size, val_rng) for _ in range(32)]))[:, None].to(device)

        fill = membrane_fill(val_scenes * val_holes, val_holes, sweeps=args.sweeps)
        membrane_scene_psnr = psnr_batch(val_holes * val_scenes + (1 - val_holes) * fill, val_scenes)
        membrane_hole_psnr = hole_psnr(fill, val_scenes, val_holes)

    def scores(x, m):
        out = run_net(net, x * m, m, K, gamma, False).detach()
        comp = m * x + (1 - m) * out
        return {"raw": psnr_batch(out, x), "composite": psnr_batch(comp, x)}

    def validate():
        result = {"val_psnr": scores(val_faces, val_masks)}
        if photo:
            result["val_scene_psnr"] = scores(val_scenes, val_holes)
            result["val_scene_membrane_psnr"] = membrane_scene_psnr
            out = run_net(net, val_scenes * val_holes, val_holes, K, gamma, False).detach()
            result["val_scene_hole_psnr"] = hole_psnr(out, val_scenes, val_holes)
            result["val_scene_membrane_hole_psnr"] = membrane_hole_psnr
        return result

    def photo_loss(x, m):
        """Mean squared error over the image plus over the hole alone (the hole is what the user sees). With
        --loss log-mse, each crop's log MSE instead: the report scores the mean over photos of each photo's
        PSNR, where a flat hole that the membrane fills almost exactly counts as much as a busy one, while a
        pooled MSE lets the network trade small errors in flat holes for gains in busy ones."""
        out = run_net(net, x * m, m, K, gamma, True)
        err = (out - x).pow(2)
        hole = (1 - m).expand_as(err)
        if args.loss == "mse":
            return err.mean() + (err * hole).sum() / hole.sum().clamp(min=1)
        per_crop = (err * hole).flatten(1).sum(1) / hole.flatten(1).sum(1).clamp(min=1)
        return err.flatten(1).mean(1).add(LOG_EPS).log().mean() + per_crop.add(LOG_EPS).log().mean()

    def photo_step():
        crops = scenes.sample(args.photo_batch, gen).to(device)
        holes = torch.from_numpy(np.stack([photo_holes(args.photo_size, rng) for _ in range(args.photo_batch)]))[:, None].to(device)
        loss = photo_loss(crops, holes)
        if args.batch == 0:  # photos only
            return loss
        idx = torch.randint(0, len(faces), (args.batch,), generator=gen).to(device)
        face_batch = faces[idx]
        flip = torch.rand(args.batch, generator=gen).to(device) < 0.5
        face_batch = torch.where(flip[:, None, None, None], torch.flip(face_batch, [3]), face_batch)
        face_masks = masks_for("inpaint", "joint", args.batch, rng, device)
        return photo_loss(face_batch, face_masks) + loss

    def train_step():
        half = args.batch // 2
        idx = torch.randint(0, len(faces), (half,), generator=gen).to(device)
        face_batch = faces[idx]
        flip = torch.rand(half, generator=gen).to(device) < 0.5
        face_batch = torch.where(flip[:, None, None, None], torch.flip(face_batch, [3]), face_batch)
        x = torch.cat([face_batch, scenes.sample(args.batch - half, gen).to(device)])
        mask = masks_for(args.task, args.regime, args.batch, rng, device)
        out = run_net(net, x * mask, mask, K, gamma, True)
        return (out - x).pow(2).mean()

    # The photo network: a constant rate with a final drop (a cosine over a short CPU budget starves it).
    schedule = ("constant", 0.2) if photo else ("cosine", 0.0)
    trainer.run(photo_step if photo else train_step, validate, lambda progress: learning_rate(base_lr, progress, *schedule),
                args.batch + (args.photo_batch if photo else 0))

if __name__ == "__main__":
    main()
