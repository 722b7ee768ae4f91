"""The evaluation of docs/protocols.md §5.2 for inpainting / interpolation on held-out 64x64 faces.

Each test image gets 10 seeded degradations per setting; the masks are drawn once (make_masks),
saved in an .npz (bit-packed) and reused for every model compared. Metrics: l1 and l2 on the
[-1, 1] scale and PSNR per image on 8-bit outputs (peak 255), averaged; raw network output and the
composite M ⊙ y + (1 − M) ⊙ x̂.

    python3 training/eval_inpaint.py --task inpaint --models runs/inpaint-*/checkpoint.pt --json out.json
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faces import face_split, load_faces  # noqa: E402
from inpaint_model import build_net, dlnet_masked  # noqa: E402
from eval_keys import result_key  # noqa: E402
from masks import bernoulli, square_hole  # noqa: E402
from paths import data_path  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DRAWS = 10
SETTINGS = {
    "inpaint": ["s=10", "s=20", "s=30", "s=20 centred"],
    "interpolate": ["r=15%", "r=45%", "r=75%", "r=[0,75%]"],
}


def draw_mask(setting, rng):
    if setting.startswith("s="):
        side = int(setting[2:4])
        return square_hole(64, side, 10, rng, centred=setting.endswith("centred"))
    if setting == "r=[0,75%]":
        return bernoulli(64, float(rng.uniform(0, 0.75)), rng)
    return bernoulli(64, int(setting[2:-1]) / 100, rng)


def make_masks(task, n_images, path):
    """masks[setting] : n_images x DRAWS x 64 x 64 uint8 (1 = observed), seeded per setting."""
    if os.path.exists(path):
        data = np.load(path)
        return {s: np.unpackbits(data[s], axis=-1)[..., :64].reshape(n_images, DRAWS, 64, 64) for s in SETTINGS[task]}
    masks = {}
    for i, s in enumerate(SETTINGS[task]):
        rng = np.random.default_rng(1000 + i)
        masks[s] = np.stack([[draw_mask(s, rng) for _ in range(DRAWS)] for _ in range(n_images)]).astype(np.uint8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.savez_compressed(path, **{s: np.packbits(m, axis=-1) for s, m in masks.items()})
    return masks


def metrics(out, ref):
    out = out.clamp(-1, 1)
    l1 = (out - ref).abs().flatten(1).mean(1)
    l2 = (out - ref).pow(2).flatten(1).mean(1)
    a, b = torch.round((out + 1) * 127.5), torch.round((ref + 1) * 127.5)
    mse = (a - b).pow(2).flatten(1).mean(1).clamp(min=1e-10)
    return l1, l2, 10 * torch.log10(255.0**2 / mse)


@torch.no_grad()
def evaluate(net, K, gamma, faces, masks, device, batch=500):
    net.eval()
    table = {}
    for setting, m in masks.items():
        sums = {k: 0.0 for k in ("raw_l1", "raw_l2", "raw_psnr", "comp_l1", "comp_l2", "comp_psnr")}
        count = 0
        for d in range(DRAWS):
            for start in range(0, len(faces), batch):
                x = faces[start : start + batch].to(device)
                mk = torch.from_numpy(m[start : start + batch, d]).float()[:, None].to(device)
                y = x * mk
                with torch.enable_grad():
                    out = dlnet_masked(net, y, mk, K=K, gamma=gamma) if K > 1 else net(y, mk)
                out = out.detach()
                comp = mk * x + (1 - mk) * out
                for prefix, o in (("raw", out), ("comp", comp)):
                    l1, l2, ps = metrics(o, x)
                    sums[prefix + "_l1"] += l1.sum().item()
                    sums[prefix + "_l2"] += l2.sum().item()
                    sums[prefix + "_psnr"] += ps.sum().item()
                count += len(x)
        table[setting] = {k: v / count for k, v in sums.items()}
    return table


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", choices=("inpaint", "interpolate"), required=True)
    p.add_argument("--models", nargs="+", required=True, help="checkpoint.pt files (their config says K)")
    p.add_argument("--faces", default=data_path("train/faces"))
    p.add_argument("--masks", default=None)
    p.add_argument("--json", required=True)
    p.add_argument("--merge", action="store_true", help="keep the other regimes' results already in --json (same masks)")
    p.add_argument("--limit", type=int, default=0, help="evaluate on the first N test faces only (smoke tests)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = p.parse_args()
    _, _, test = face_split(args.faces)
    faces = load_faces(args.faces, test)
    masks = make_masks(args.task, len(faces), args.masks or os.path.join(HERE, f"reports/eval_masks_{args.task}.npz"))
    print("mask checksum", {s: int(np.packbits(m).astype(np.uint64).sum()) for s, m in masks.items()}, flush=True)
    if args.limit:
        faces = faces[: args.limit]
        masks = {s: m[: args.limit] for s, m in masks.items()}
    results = {}
    if args.merge and os.path.exists(args.json):
        earlier = json.load(open(args.json))
        if (earlier["task"], earlier["test_images"], earlier["draws"]) != (args.task, len(faces), DRAWS):
            sys.exit(f"{args.json} holds a different evaluation ({earlier['task']}, {earlier['test_images']} images): not merging")
        results = earlier["results"]
    for path in args.models:
        ck = torch.load(path, map_location=args.device, weights_only=False)
        cfg = ck["config"]
        net = build_net(cfg).to(args.device)
        net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in ck["params"].items()})
        key = result_key(cfg.get("backbone"), cfg["regime"])
        results[key] = {"K": cfg["K"], "steps": ck["state"]["step"] + cfg.get("init_steps_in_regime", 0), "table": evaluate(net, cfg["K"], cfg["gamma"], faces, masks, args.device)}
        print(path, json.dumps(results[key]), flush=True)
    with open(args.json, "w") as f:
        json.dump({"task": args.task, "test_images": len(faces), "draws": DRAWS, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
