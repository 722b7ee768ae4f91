"""Export the blur estimator (train_blur_estimator.py) to resources/models/blur-estimator/ (model.json + weights.bin),
and its parity fixture tests/fixtures/parity-blur-estimator.json (three crops, their log-probabilities per scale).

    /usr/bin/python3 training/export_blur_estimator.py training/checkpoints/cpu/blur-estimator
"""
import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from blur_estimator import CLASSES, SCALES, U_STEP, BlurEstimator  # noqa: E402
from export import f32, write_model  # noqa: E402
from make_fixtures import b64  # noqa: E402
from make_model_cards import card  # noqa: E402
from paths import data_path  # noqa: E402
from train_blur_estimator import validate  # noqa: E402
from train_sr import split_heldout  # noqa: E402

FIXTURE = os.path.join(HERE, "..", "tests", "fixtures", "parity-blur-estimator.json")


def fixture_crops():
    """Three 48 x 48 luma crops: a blurred step, a sine grating, seeded noise (1 x 48 x 48 each)."""
    r = torch.arange(48, dtype=torch.float32)
    yy, xx = torch.meshgrid(r, r, indexing="ij")
    step = torch.sigmoid((xx - 23.5 + 0.3 * yy - 7) / 1.5) * 0.6 + 0.2
    grating = 0.5 + 0.3 * torch.sin(0.7 * xx + 0.2 * yy)
    noise = torch.rand(48, 48, generator=torch.Generator().manual_seed(7)) * 0.5 + 0.25
    return torch.stack([step, grating, noise])[:, None]


def write_fixture(net):
    crops = fixture_crops()
    with torch.no_grad():
        expected = {f"x{s}": b64(torch.log_softmax(net(crops, s), 1)) for s in SCALES}
    with open(FIXTURE, "w") as f:
        json.dump({"model": "blur-estimator", "kind": "blur-estimator", "crops": b64(crops[:, 0]), "count": 3, "side": 48,
                   "classes": CLASSES, "logProbabilities": expected}, f, indent=1)
        f.write("\n")


def tensors(params):
    out = []
    for i in range(6):
        out += [(f"c{i}.kernel", f32(params[f"convs.{i}.weight"]).permute(2, 3, 1, 0), "HWIO"), (f"c{i}.bias", f32(params[f"convs.{i}.bias"]), "C")]
    for i, s in enumerate(SCALES):
        out += [(f"head.x{s}.weight", f32(params[f"heads.{i}.weight"]).t().contiguous(), "IO"), (f"head.x{s}.bias", f32(params[f"heads.{i}.bias"]), "C")]
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", help="run folder of train_blur_estimator.py (checkpoint.pt, config.json, log.jsonl)")
    p.add_argument("--dest", default=os.path.join(HERE, "../resources/models"))
    p.add_argument("--lr-note", help="the learning rates of a run resumed with another --lr (config.json keeps the last)")
    args = p.parse_args()
    state = torch.load(os.path.join(args.run, "checkpoint.pt"), map_location="cpu")
    config = json.load(open(os.path.join(args.run, "config.json")))
    net = BlurEstimator(state["width"])
    net.load_state_dict(state["net"])
    # Scored here, on the exported weights: the run's log may end at an earlier step.
    _, heldout = split_heldout([data_path(os.path.join("train", os.path.basename(d))) for d in config["data"]], config["heldout"])
    heldout_scores = validate(net, heldout, config["patch"], config["crops"])
    net.eval()  # validate() leaves it in training mode
    meta = {
        "name": "Blur estimator (suggests u for super-resolution)",
        "task": "blur",
        "backbone": {"type": "blur-estimator", "width": state["width"], "scales": list(SCALES), "classes": CLASSES, "uStep": U_STEP},
        "dlnet": None,
        "color": {"network": "luma (Y of docs/protocols.md §5.1, 0..1 = Y/255) of the low-resolution photo", "range": "0..1"},
        "training": {"data": [os.path.basename(d) for d in config["data"]], "heldout_bsd400": config["heldout"],
                     "batch": config["batch"], "patch": config["patch"], "lr": args.lr_note or config["lr"], "optimizer": "adam",
                     "loss": "cross-entropy, soft two-bin targets", "steps": state["step"], "samples": state["step"] * config["batch"],
                     "cpu_seconds": round(state["elapsed"]), "threads": config["threads"],
                     "samples_per_s": round(state["step"] * config["batch"] / state["elapsed"], 1)},
        "metrics": {"heldout_bsd400": heldout_scores},
    }
    folder = write_model(args.dest, "blur-estimator", meta, tensors(state["net"]))
    card(folder)
    print(folder)
    write_fixture(net)
    print(FIXTURE)


if __name__ == "__main__":
    main()
