"""Export a trained model to resources/models/<id>/ (docs/protocols.md §4): model.json + weights.bin + README.md.

    python3 training/export.py --pack artifacts/gpu-run-1/sr_x3.pt --entry sr-x3-cond-dlnet --id sr-x3 \
        --name "Super-resolution ×3 (DL-Net)" --dest resources/models
    python3 training/export.py --checkpoint training/runs/inpaint-dlnet/checkpoint.pt --id inpaint ...

Layouts written (TensorFlow.js order): conv kernels HWIO, transposed-conv kernels HWOI, biases C,
channel-wise FC weight CIO. Batch norm (inference statistics) is folded into the conv before it.
"""
import argparse
import hashlib
import json
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from train_sr import git_commit  # noqa: E402
from export_onnx import write_onnx  # noqa: E402
from fconv_inpaint import SWEEPS  # noqa: E402

FORMAT = {"format": "dlnet-studio-model", "formatVersion": 1}


def f32(t):
    return t.detach().float().cpu()


def sr_tensors(params, cfg):
    out = []
    for i in range(cfg["depth"]):
        out.append((f"g.{i}.kernel", f32(params[f"convs.{i}.weight"]).permute(2, 3, 1, 0), "HWIO"))
        out.append((f"g.{i}.bias", f32(params[f"convs.{i}.bias"]), "C"))
    out.append(("out.kernel", f32(params["out.weight"]).permute(2, 3, 1, 0), "HWIO"))
    out.append(("out.bias", f32(params["out.bias"]), "C"))
    return out


def fconv_inpaint_tensors(params):
    """Layers of fconv_inpaint.FConvInpaint under their own names (e0, e1, e2, mid.i, u1, u0, out)."""
    names = ["e0", "e1", "e2"] + [f"mid.{i}" for i in range(4)] + ["u1", "u0", "out"]
    out = []
    for name in names:
        out += [(f"{name}.kernel", f32(params[f"{name}.weight"]).permute(2, 3, 1, 0), "HWIO"), (f"{name}.bias", f32(params[f"{name}.bias"]), "C")]
    return out


def drrn_tensors(params):
    out = []
    for ours, theirs in (("entry", "entry"), ("unitA", "unit_a"), ("unitB", "unit_b"), ("fuse", "fuse")):
        out += [(f"g.{ours}.kernel", f32(params[f"{theirs}.weight"]).permute(2, 3, 1, 0), "HWIO"), (f"g.{ours}.bias", f32(params[f"{theirs}.bias"]), "C")]
    out += [("out.kernel", f32(params["out.weight"]).permute(2, 3, 1, 0), "HWIO"), ("out.bias", f32(params["out.bias"]), "C")]
    return out


def idn_tensors(params, blocks):
    names = [("g.f0", "fblock.0"), ("g.f1", "fblock.1")]
    for i in range(blocks):
        names += [(f"g.b{i}.{ours}", f"dblocks.{i}.{j}") for j, ours in enumerate(("c1", "c2", "c3", "c4", "c5", "c6", "compress"))]
    names.append(("out", "out"))
    out = []
    for ours, theirs in names:
        w = f32(params[f"{theirs}.weight"])
        groups = 4 if ours.endswith((".c2", ".c5")) else 1
        out += [(f"{ours}.kernel", w.permute(2, 3, 1, 0), "HWIO" if groups == 1 else f"HWIO/{groups}"), (f"{ours}.bias", f32(params[f"{theirs}.bias"]), "C")]
    return out


def fold_bn(params, bn, weight, bias, out_dim):
    scale = f32(params[f"{bn}.weight"]) / torch.sqrt(f32(params[f"{bn}.running_var"]) + 1e-5)
    shape = [1] * weight.dim()
    shape[out_dim] = -1
    return weight * scale.view(shape), (bias - f32(params[f"{bn}.running_mean"])) * scale + f32(params[f"{bn}.bias"])


def context_encoder_tensors(params):
    out = []
    for i in range(4):
        w, b = fold_bn(params, f"enc_bn.{i}", f32(params[f"enc.{i}.weight"]), f32(params[f"enc.{i}.bias"]), 0)
        out += [(f"enc.{i}.kernel", w.permute(2, 3, 1, 0), "HWIO"), (f"enc.{i}.bias", b, "C")]
    out += [("fc.weight", f32(params["fc.weight"]), "CIO"), ("fc.bias", f32(params["fc.bias"]), "CO")]
    for i in range(3):
        w, b = fold_bn(params, f"dec_bn.{i}", f32(params[f"dec.{i}.weight"]), f32(params[f"dec.{i}.bias"]), 1)
        out += [(f"dec.{i}.kernel", w.permute(2, 3, 1, 0), "HWOI"), (f"dec.{i}.bias", b, "C")]
    out += [("out.kernel", f32(params["out.weight"]).permute(2, 3, 1, 0), "HWOI"), ("out.bias", f32(params["out.bias"]), "C")]
    return out


def write_model(dest, model_id, meta, tensors):
    folder = os.path.join(dest, model_id)
    os.makedirs(folder, exist_ok=True)
    blob = b"".join(np.ascontiguousarray(t.numpy(), dtype="<f4").tobytes() for _, t, _ in tensors)
    with open(os.path.join(folder, "weights.bin"), "wb") as f:
        f.write(blob)
    meta = dict(FORMAT, id=model_id, **meta)
    meta["weights"] = {"file": "weights.bin", "dtype": "float32", "byteOrder": "little-endian", "bytes": len(blob),
                       "sha256": hashlib.sha256(blob).hexdigest()}
    meta["tensors"] = [{"name": n, "shape": list(t.shape), "layout": l} for n, t, l in tensors]
    with open(os.path.join(folder, "model.json"), "w") as f:
        json.dump(meta, f, indent=1, ensure_ascii=False)
        f.write("\n")
    return folder


def describe(entry, log=None):
    cfg, state = entry["config"], entry["state"]
    recipe = {k: cfg.get(k) for k in ("regime", "backbone", "scale", "task", "blind", "recursions", "batch", "patch", "base_lr", "loss", "optimizer", "K", "gamma", "init", "max_faces", "weight_decay")
              if cfg.get(k) is not None}
    recipe["data"] = [os.path.basename(os.path.normpath(d)) for d in (cfg.get("data") or [cfg.get("faces"), *(cfg.get("scenes") or [])]) if d]
    recipe.update(steps=state["step"], samples=state["samples"], wall_seconds=round(state["elapsed"], 1),
                  samples_per_second=round(state["samples"] / max(state["elapsed"], 1e-9), 1),
                  device=cfg.get("device"), **({"threads": cfg.get("threads")} if cfg.get("device") == "cpu" else {}),
                  trained_at_commit=cfg.get("git_commit"), exported_at_commit=git_commit())
    if entry.get("stored_as"):
        recipe["weights_transport"] = entry["stored_as"] + " (rounded from float32 for the trip back from the GPU machine)"
    if cfg.get("regime") == "reference":
        recipe["degradations"] = "bicubic only" if "scale" in cfg else ("s = 32 centred" if cfg.get("task") == "inpaint" else "r = 75 %")
    elif "scale" in cfg:
        recipe["degradations"] = "u = 0 (bicubic) with probability 1/4, else u ~ Uniform(0, 3] Gaussian"
    else:
        recipe["degradations"] = "s ~ 1..30, shift ±10 px" if cfg.get("task") == "inpaint" else "r ~ Uniform[0, 75 %]"
    if cfg.get("backbone") == "fconv-inpaint":
        recipe["photo_batch"], recipe["photo_size"] = cfg.get("photo_batch"), cfg.get("photo_size")
        recipe["sweeps"] = cfg.get("sweeps", SWEEPS)  # the first guess's Jacobi sweeps per level (SWEEPS before it was a flag)
        recipe["degradations"] = (f"64×64 faces: square hole s ~ 1..30, shift ±10 px; {cfg.get('photo_size')}² scene crops: "
                                  "painted holes (one square of 8 px to 3/4 of the side, 2–4 rectangles, or brush strokes 4–24 px wide)")
    metrics = {}
    if log:
        metrics["validation_during_training"] = log[-1].get("val_psnr")
    return recipe, metrics


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pack", help="a pack file from training/gpu/pack.py")
    p.add_argument("--entry", help="run name inside the SR pack")
    p.add_argument("--checkpoint", help="a checkpoint.pt (or a single-model pack)")
    p.add_argument("--logs", help="logs.json from the same GPU run")
    p.add_argument("--continues", help="model.json of the model this one continued training from: its recipe is kept as training.continued_from")
    p.add_argument("--init-checkpoint", nargs="+", help="checkpoint.pt this run was initialised from (e.g. the joint stage), then what that one "
                   "was initialised from, and so on (PACK#ENTRY names a run in a pack file): kept as training.continued_from, nested")
    p.add_argument("--id", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--dest", default=os.path.join(HERE, "../resources/models"))
    args = p.parse_args()
    if args.pack and args.entry:
        entry = torch.load(args.pack, map_location="cpu", weights_only=False)[args.entry]
    else:
        entry = torch.load(args.checkpoint or args.pack, map_location="cpu", weights_only=False)
    log = None
    if args.logs:
        logs = json.load(open(args.logs))
        log = logs.get(args.entry or f"{entry['config']['task']}-{entry['config']['regime']}")
    cfg = entry["config"]
    recipe, metrics = describe(entry, log)
    dlnet = {"K": cfg["K"], "gamma": cfg["gamma"], "beta1": 0.9, "beta2": 0.999} if cfg["K"] > 1 else None
    if "scale" in cfg and cfg.get("backbone") == "idn-lr":
        meta = {"name": args.name, "task": "sr", "scale": cfg["scale"],
                "backbone": {"type": "idn-lr", "blocks": cfg["blocks"], "conditioned": not cfg["blind"]},
                "dlnet": dlnet,
                "color": {"network": "luma (Y of docs/protocols.md §5.1, 0..1 = Y/255)", "chroma": "bicubic", "range": "0..1"}}
        tensors = idn_tensors(entry["params"], cfg["blocks"])
    elif "scale" in cfg and cfg.get("backbone") == "drrn-lr":
        meta = {"name": args.name, "task": "sr", "scale": cfg["scale"],
                "backbone": {"type": "drrn-lr", "recursions": cfg["recursions"], "width": cfg["width"], "fuseEvery": cfg["fuse_every"],
                             "zWidth": cfg["z_width"], "conditioned": not cfg["blind"]},
                "dlnet": dlnet,
                "color": {"network": "luma (Y of docs/protocols.md §5.1, 0..1 = Y/255)", "chroma": "bicubic", "range": "0..1"}}
        tensors = drrn_tensors(entry["params"])
    elif "scale" in cfg:
        meta = {"name": args.name, "task": "sr", "scale": cfg["scale"],
                "backbone": {"type": "vdsr-lr", "depth": cfg["depth"], "width": cfg["width"], "conditioned": not cfg["blind"]},
                "dlnet": dlnet,
                "color": {"network": "luma (Y of docs/protocols.md §5.1, 0..1 = Y/255)", "chroma": "bicubic", "range": "0..1"}}
        tensors = sr_tensors(entry["params"], meta["backbone"])
    elif cfg.get("backbone") == "fconv":
        meta = {"name": args.name, "task": cfg["task"], "backbone": {"type": "fconv-masked", "depth": cfg["depth"], "width": cfg["width"]},
                "dlnet": dlnet, "color": {"network": "RGB", "range": "-1..1 (2·v − 1); missing pixels 0; mask channel 1 = observed"}}
        tensors = sr_tensors(entry["params"], cfg)  # the same layer names: convs.i, out
    elif cfg.get("backbone") == "fconv-inpaint":
        meta = {"name": args.name, "task": cfg["task"],
                "backbone": {"type": "fconv-inpaint", "width0": cfg["width0"], "width1": cfg["width1"],
                             "sweeps": cfg.get("sweeps", SWEEPS)},
                "dlnet": dlnet, "color": {"network": "RGB", "range": "-1..1 (2·v − 1); missing pixels 0; mask channel 1 = observed"}}
        tensors = fconv_inpaint_tensors(entry["params"])
    else:
        meta = {"name": args.name, "task": cfg["task"], "backbone": {"type": "context-encoder", "size": 64, "feedMask": True},
                "dlnet": dlnet, "color": {"network": "RGB", "range": "-1..1 (2·v − 1); missing pixels 0; mask channel 1 = observed"}}
        tensors = context_encoder_tensors(entry["params"])
    if args.continues:
        recipe["continued_from"] = json.load(open(args.continues))["training"]
    elif args.init_checkpoint:
        stage = recipe
        for source in args.init_checkpoint:
            path, _, name = source.partition("#")
            earlier = torch.load(path, map_location="cpu", weights_only=False)
            stage["continued_from"] = describe(earlier[name] if name else earlier)[0]
            stage = stage["continued_from"]
    meta["training"], meta["metrics"] = recipe, metrics
    folder = write_model(args.dest, args.id, meta, tensors)
    write_onnx(folder)  # ONNX parts of g from the same tensors, for the engine's onnxruntime backend
    print(folder)


if __name__ == "__main__":
    main()
