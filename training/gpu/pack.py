"""Collect the runs of train_all.sh into at most 8 files under OUT (the device call's return limit).

sr_x{t}.pt: {run name: {params, config, state}} for the SR runs of scale t; the conditioned (and
DRRN, IDN) joint and DL-Net models keep float32 weights, the comparison models (reference, blind) float16.
{task}.pt: the DL-Net inpainting/interpolation model in float16 (22 MB in float32 is over the limit).
logs.json: every run's log.jsonl and the tail of its console output.
"""
import glob
import json
import os
import sys

import torch


def load(run):
    path = os.path.join(run, "checkpoint.pt")
    if not os.path.exists(path):
        return None
    ck = torch.load(path, map_location="cpu", weights_only=False)
    return {"params": ck["params"], "config": ck["config"], "state": ck["state"]}


def half(entry):
    entry["params"] = {k: v.half() if v.is_floating_point() else v for k, v in entry["params"].items()}
    entry["stored_as"] = "float16"
    return entry


def main(runs, out):
    for t in (2, 3, 4):
        pack = {}
        for run in sorted(glob.glob(os.path.join(runs, f"sr-x{t}-*"))):
            if not os.path.isdir(run) or (entry := load(run)) is None:
                continue
            name = os.path.basename(run)
            pack[name] = entry if name.endswith(("cond-joint", "cond-dlnet", "drrn-joint", "drrn-dlnet", "idn-joint", "idn-dlnet")) else half(entry)
        if pack:
            torch.save(pack, os.path.join(out, f"sr_x{t}.pt.tmp"))
            os.replace(os.path.join(out, f"sr_x{t}.pt.tmp"), os.path.join(out, f"sr_x{t}.pt"))
    for task in ("inpaint", "interpolate"):
        entry = load(os.path.join(runs, f"{task}-dlnet")) or load(os.path.join(runs, f"{task}-joint"))
        if entry:
            torch.save(half(entry), os.path.join(out, f"{task}.pt.tmp"))
            os.replace(os.path.join(out, f"{task}.pt.tmp"), os.path.join(out, f"{task}.pt"))
    logs = {}
    for run in sorted(glob.glob(os.path.join(runs, "*"))):
        name = os.path.basename(run)
        if os.path.isdir(run) and os.path.exists(os.path.join(run, "log.jsonl")):
            logs[name] = [json.loads(line) for line in open(os.path.join(run, "log.jsonl"))]
        elif name.endswith(".out"):
            logs[name] = open(run, errors="replace").read()[-4000:]
    with open(os.path.join(out, "logs.json"), "w") as f:
        json.dump(logs, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
