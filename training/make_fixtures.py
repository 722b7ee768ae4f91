"""Write the parity fixtures the TypeScript tests check the engine against (tests/fixtures/).

degradations.json: a small deterministic image and its W outputs (bicubic and Gaussian, t = 2..4)
and bicubic upscales, from training/degradations.py.
parity-<id>.json: a small input, and x̂_1..x̂_K with L(z_k) from PyTorch for the exported model <id>.
Float arrays are base64 of little-endian float32, row-major NHWC (channels last), like the engine.

    python3 training/make_fixtures.py --model resources/models/sr-x3 --checkpoint <pack or ckpt> [--entry name]
"""
import argparse
import base64
import json
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from degradations import bicubic_up, sr_degrade  # noqa: E402

FIXTURES = os.path.join(HERE, "../tests/fixtures")


def b64(t):
    a = t.detach().cpu().float()
    if a.dim() == 4:
        a = a.permute(0, 2, 3, 1)  # NCHW -> NHWC
    return base64.b64encode(np.ascontiguousarray(a.numpy(), dtype="<f4").tobytes()).decode()


def test_image(h, w, c=1, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    base = 0.5 + 0.3 * np.sin(xx / 2.3) * np.cos(yy / 3.1)
    img = np.stack([base + 0.1 * rng.standard_normal((h, w)) for _ in range(c)])
    return torch.from_numpy(np.clip(img, 0, 1).astype(np.float32))[None].double()


def degradations_fixture():
    x = test_image(25, 37)
    out = {"input": {"shape": [1, 25, 37, 1], "data": b64(x)}, "down": [], "up": []}
    for t in (2, 3, 4):
        xc = x[..., : 25 - 25 % t, : 37 - 37 % t]
        for u in (0.0, 0.7, 1.3, 2.6):
            y = sr_degrade(xc, t, u)
            out["down"].append({"scale": t, "blur": u, "shape": [1, *y.shape[2:], 1], "data": b64(y)})
        up = bicubic_up(x[..., :7, :9], t)
        out["up"].append({"scale": t, "inputShape": [1, 7, 9, 1], "shape": [1, *up.shape[2:], 1], "data": b64(up)})
    return out


def load_entry(path, entry):
    ck = torch.load(path, map_location="cpu", weights_only=False)
    return ck[entry] if entry else ck


def sr_parity(model_json, entry):
    from sr_model import build_sr_net

    net = build_sr_net(entry["config"]).double()
    net.load_state_dict({k: v.double() for k, v in entry["params"].items()})
    return sr_cases(model_json, net)


def sr_cases(model_json, net):
    from sr_model import dlnet_sr

    net.eval()
    cases = []
    for blur in (0.0, 1.7):
        y = test_image(11, 14, seed=1)
        trace = []
        K = model_json["dlnet"]["K"] if model_json["dlnet"] else 1
        gamma = model_json["dlnet"]["gamma"] if model_json["dlnet"] else 0.0
        with torch.enable_grad():
            dlnet_sr(net, y, torch.tensor([blur], dtype=torch.float64), K=K, gamma=gamma, trace=trace)
        cases.append({"blur": blur, "input": {"shape": [1, 11, 14, 1], "data": b64(y)},
                      "steps": [{"k": k, "likelihood": float(l[0]), "shape": [1, *x.shape[2:], 1], "data": b64(x)} for k, x, l in trace]})
    return cases


def masked_parity(model_json, entry):
    from inpaint_model import build_net, dlnet_masked
    from masks import bernoulli, square_hole

    net = build_net(entry.get("config", {})).double()
    net.load_state_dict({k: v.double() if v.is_floating_point() else v for k, v in entry["params"].items()})
    net.eval()
    rng = np.random.default_rng(5)
    mask = square_hole(64, 20, 10, rng) if model_json["task"] == "inpaint" else bernoulli(64, 0.5, rng)
    m = torch.from_numpy(mask).double()[None, None]
    x = test_image(64, 64, 3, seed=2) * 2 - 1
    y = x * m
    trace = []
    with torch.enable_grad():
        dlnet_masked(net, y, m, K=model_json["dlnet"]["K"], gamma=model_json["dlnet"]["gamma"], trace=trace)
    return [{"input": {"shape": [1, 64, 64, 3], "data": b64(y)}, "mask": {"shape": [1, 64, 64, 1], "data": b64(m)},
             "steps": [{"k": k, "likelihood": float(l[0]), "shape": [1, 64, 64, 3], "data": b64(xh)} for k, xh, l in trace]}]


def fconv_fixture():
    """A seeded tiny FConvMasked (depth 3, width 8), exported to tests/fixtures/models/fconv-tiny, and
    its parity cases: the engine's fconv-masked backbone is checked before any such model ships."""
    from export import sr_tensors, write_model
    from inpaint_model import FConvMasked, dlnet_masked
    from masks import bernoulli

    torch.manual_seed(7)
    net = FConvMasked(depth=3, width=8)
    with torch.no_grad():
        net.out.weight.normal_(0, 0.2)  # a head that does more than pass the first guess through
        net.out.bias.normal_(0, 0.05)
    meta = {"name": "fconv parity fixture (random weights)", "task": "interpolate",
            "backbone": {"type": "fconv-masked", "depth": 3, "width": 8},
            "dlnet": {"K": 4, "gamma": 1e-2, "beta1": 0.9, "beta2": 0.999},
            "color": {"network": "RGB", "range": "-1..1 (2·v − 1); missing pixels 0; mask channel 1 = observed"}}
    params = {k: v.detach().float() for k, v in net.state_dict().items()}
    folder = write_model(os.path.join(FIXTURES, "models"), "fconv-tiny", meta, sr_tensors(params, {"depth": 3}))
    model_json = json.load(open(os.path.join(folder, "model.json")))
    net = net.double()
    net.eval()
    rng = np.random.default_rng(9)
    m = torch.from_numpy(bernoulli(64, 0.5, rng)).double()[None, None]
    y = (test_image(64, 64, 3, seed=3) * 2 - 1) * m
    trace = []
    with torch.enable_grad():
        dlnet_masked(net, y, m, K=4, gamma=1e-2, trace=trace)
    cases = [{"input": {"shape": [1, 64, 64, 3], "data": b64(y)}, "mask": {"shape": [1, 64, 64, 1], "data": b64(m)},
              "steps": [{"k": k, "likelihood": float(l[0]), "shape": [1, 64, 64, 3], "data": b64(xh)} for k, xh, l in trace]}]
    return {"model": "fconv-tiny", "modelDir": "models/fconv-tiny", "sha256": model_json["weights"]["sha256"], "cases": cases}


def fconv_inpaint_fixture():
    """A seeded tiny FConvInpaint (widths 6 and 8), exported to tests/fixtures/models/fconv-inpaint-tiny, and
    its parity case on a 96×64 crop with a hole: the engine's fconv-inpaint backbone (push-pull first guess,
    strided, dilated and upsampled convs) is checked before any such model ships."""
    from export import fconv_inpaint_tensors, write_model
    from fconv_inpaint import FConvInpaint
    from inpaint_model import dlnet_masked

    torch.manual_seed(17)
    net = FConvInpaint(width0=6, width1=8, sweeps=7)  # not the default 20: the engine must read it
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    meta = {"name": "fconv-inpaint parity fixture (random weights)", "task": "inpaint",
            "backbone": {"type": "fconv-inpaint", "width0": 6, "width1": 8, "sweeps": 7},
            "dlnet": {"K": 3, "gamma": 1e-2, "beta1": 0.9, "beta2": 0.999},
            "color": {"network": "RGB", "range": "-1..1 (2·v − 1); missing pixels 0; mask channel 1 = observed"}}
    params = {k: v.detach().float() for k, v in net.state_dict().items()}
    folder = write_model(os.path.join(FIXTURES, "models"), "fconv-inpaint-tiny", meta, fconv_inpaint_tensors(params))
    model_json = json.load(open(os.path.join(folder, "model.json")))
    net = net.double()
    net.eval()
    m = torch.ones(1, 1, 64, 96, dtype=torch.float64)
    m[..., 20:50, 30:75] = 0
    y = (test_image(64, 96, 3, seed=4) * 2 - 1) * m
    trace = []
    with torch.enable_grad():
        dlnet_masked(net, y, m, K=3, gamma=1e-2, trace=trace)
    cases = [{"input": {"shape": [1, 64, 96, 3], "data": b64(y)}, "mask": {"shape": [1, 64, 96, 1], "data": b64(m)},
              "steps": [{"k": k, "likelihood": float(l[0]), "shape": [1, 64, 96, 3], "data": b64(xh)} for k, xh, l in trace]}]
    return {"model": "fconv-inpaint-tiny", "modelDir": "models/fconv-inpaint-tiny", "sha256": model_json["weights"]["sha256"],
            "cases": cases}


def drrn_fixture():
    """A seeded tiny DRRN (B1U4, fused every 2, width 8, z 6, ×3), exported to tests/fixtures/models/drrn-tiny,
    and its parity cases: the engine's drrn-lr backbone is checked before any such model ships."""
    from export import drrn_tensors, write_model
    from sr_model import DRRN

    torch.manual_seed(11)
    net = DRRN(3, recursions=4, width=8, fuse_every=2, z_width=6)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.05)  # biases and the scaled-down layers do something
    meta = {"name": "drrn parity fixture (random weights)", "task": "sr", "scale": 3,
            "backbone": {"type": "drrn-lr", "recursions": 4, "width": 8, "fuseEvery": 2, "zWidth": 6, "conditioned": True},
            "dlnet": {"K": 3, "gamma": 1e-2, "beta1": 0.9, "beta2": 0.999},
            "color": {"network": "luma (Y of docs/protocols.md §5.1, 0..1 = Y/255)", "chroma": "bicubic", "range": "0..1"}}
    params = {k: v.detach().float() for k, v in net.state_dict().items()}
    folder = write_model(os.path.join(FIXTURES, "models"), "drrn-tiny", meta, drrn_tensors(params))
    model_json = json.load(open(os.path.join(folder, "model.json")))
    return {"model": "drrn-tiny", "modelDir": "models/drrn-tiny", "sha256": model_json["weights"]["sha256"],
            "cases": sr_cases(model_json, net.double())}


def idn_fixture():
    """A seeded IDN of two distillation blocks (×2), exported to tests/fixtures/models/idn-tiny, and its
    parity cases: the engine's idn-lr backbone (grouped convs included) is checked before any such model ships."""
    from export import idn_tensors, write_model
    from sr_model import IDN

    torch.manual_seed(13)
    net = IDN(2, blocks=2)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.02)
    meta = {"name": "idn parity fixture (random weights)", "task": "sr", "scale": 2,
            "backbone": {"type": "idn-lr", "blocks": 2, "conditioned": True},
            "dlnet": {"K": 3, "gamma": 1e-2, "beta1": 0.9, "beta2": 0.999},
            "color": {"network": "luma (Y of docs/protocols.md §5.1, 0..1 = Y/255)", "chroma": "bicubic", "range": "0..1"}}
    params = {k: v.detach().float() for k, v in net.state_dict().items()}
    folder = write_model(os.path.join(FIXTURES, "models"), "idn-tiny", meta, idn_tensors(params, 2))
    model_json = json.load(open(os.path.join(folder, "model.json")))
    return {"model": "idn-tiny", "modelDir": "models/idn-tiny", "sha256": model_json["weights"]["sha256"],
            "cases": sr_cases(model_json, net.double())}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="an exported model folder")
    p.add_argument("--checkpoint")
    p.add_argument("--entry")
    p.add_argument("--fconv-tiny", action="store_true", help="(re)write the fconv-masked parity fixture and its tiny model")
    p.add_argument("--fconv-inpaint-tiny", action="store_true", help="(re)write the fconv-inpaint parity fixture and its tiny model")
    p.add_argument("--drrn-tiny", action="store_true", help="(re)write the drrn-lr parity fixture and its tiny model")
    p.add_argument("--idn-tiny", action="store_true", help="(re)write the idn-lr parity fixture and its small model")
    args = p.parse_args()
    os.makedirs(FIXTURES, exist_ok=True)
    with open(os.path.join(FIXTURES, "degradations.json"), "w") as f:
        json.dump(degradations_fixture(), f)
    if args.idn_tiny:
        with open(os.path.join(FIXTURES, "parity-idn-tiny.json"), "w") as f:
            json.dump(idn_fixture(), f)
    if args.drrn_tiny:
        with open(os.path.join(FIXTURES, "parity-drrn-tiny.json"), "w") as f:
            json.dump(drrn_fixture(), f)
    if args.fconv_inpaint_tiny:
        with open(os.path.join(FIXTURES, "parity-fconv-inpaint-tiny.json"), "w") as f:
            json.dump(fconv_inpaint_fixture(), f)
    if args.fconv_tiny:
        with open(os.path.join(FIXTURES, "parity-fconv-tiny.json"), "w") as f:
            json.dump(fconv_fixture(), f)
    if args.model:
        model_json = json.load(open(os.path.join(args.model, "model.json")))
        entry = load_entry(args.checkpoint, args.entry)
        cases = sr_parity(model_json, entry) if model_json["task"] == "sr" else masked_parity(model_json, entry)
        with open(os.path.join(FIXTURES, f"parity-{model_json['id']}.json"), "w") as f:
            json.dump({"model": model_json["id"], "sha256": model_json["weights"]["sha256"], "cases": cases}, f)


if __name__ == "__main__":
    main()
