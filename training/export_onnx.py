"""ONNX files of g for a model folder (model.json + weights.bin), for the engine's onnxruntime backend.

    python3 training/export_onnx.py resources/models/sr-x2 resources/models/interpolate ...

export.py calls write_onnx() on every folder it writes, so a fresh export carries the ONNX files of
the same checkpoint; this script adds them to folders exported before (the shipped models). The
networks are rebuilt in PyTorch from the exported tensors themselves (HWIO kernels, C biases), so
the ONNX graphs hold exactly the weights the tfjs engine loads.

g is written in parts of consecutive layers (g.0.onnx, g.1.onnx, …): the engine checks for
cancellation between parts (onnxruntime-node runs a session synchronously, so a part is the
longest stretch it cannot interrupt). Part 0 takes the engine's NHWC network input `a`; the last
part gives z in NHWC; the maps in between stay NCHW (PyTorch's order, no transposes). Height,
width and batch are dynamic. Each file's sha256 goes into model.json's additive `onnx` list
(engines that do not know the field ignore it). Backbones without a converter here (drrn-lr,
idn-lr, context-encoder) get no ONNX and run g in tfjs on every backend.
"""
import argparse
import hashlib
import io
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OPSET = 13
# Layers per part of a plain conv stack: 4 of the shipped 16 × 64 SR stack take ≤ 0.3 s per
# 100 k LR pixels on one core at onnxruntime's ~85 GFLOP/s (the cancellation grain).
LAYERS_PER_PART = 4


def read_tensors(folder):
    meta = json.load(open(os.path.join(folder, "model.json")))
    blob = np.fromfile(os.path.join(folder, meta["weights"]["file"]), dtype="<f4")
    tensors, offset = {}, 0
    for t in meta["tensors"]:
        n = int(np.prod(t["shape"]))
        tensors[t["name"]] = torch.from_numpy(blob[offset:offset + n].copy()).reshape(t["shape"])
        offset += n
    return meta, tensors


class ConvStackPart(nn.Module):
    """Layers [first, last) of a plain 3×3 conv stack (ReLU after every layer but the stack's last)."""

    def __init__(self, tensors, first, last, depth, nhwc_in, nhwc_out):
        super().__init__()
        self.first, self.last, self.depth = first, last, depth
        self.nhwc_in, self.nhwc_out = nhwc_in, nhwc_out
        self.convs = nn.ModuleList()
        for i in range(first, last):
            k = tensors[f"g.{i}.kernel"]  # HWIO
            conv = nn.Conv2d(k.shape[2], k.shape[3], 3, padding=1)
            with torch.no_grad():
                conv.weight.copy_(k.permute(3, 2, 0, 1))
                conv.bias.copy_(tensors[f"g.{i}.bias"])
            self.convs.append(conv)

    def forward(self, a):
        x = a.permute(0, 3, 1, 2) if self.nhwc_in else a
        for j, conv in enumerate(self.convs):
            x = conv(x)
            if self.first + j < self.depth - 1:
                x = F.relu(x)
        return x.permute(0, 2, 3, 1) if self.nhwc_out else x


def conv_stack_parts(meta, tensors):
    """(module, input spec, output spec, layers) per part of a vdsr-lr / fconv-masked g."""
    b = meta["backbone"]
    depth = b["depth"]
    cin = tensors["g.0.kernel"].shape[2]
    width = tensors["g.0.kernel"].shape[3]
    per = depth if b["type"] == "fconv-masked" else LAYERS_PER_PART  # interpolation runs 64×64 crops: one part
    bounds = list(range(0, depth, per)) + [depth]
    parts = []
    for p, (first, last) in enumerate(zip(bounds[:-1], bounds[1:])):
        nhwc_in, nhwc_out = first == 0, last == depth
        name_in = "a" if nhwc_in else f"h{first}"
        name_out = "z" if nhwc_out else f"h{last}"
        spec_in = {"name": name_in, "shape": ["n", "h", "w", cin] if nhwc_in else ["n", width, "h", "w"], "layout": "NHWC" if nhwc_in else "NCHW"}
        spec_out = {"name": name_out, "shape": ["n", "h", "w", width] if nhwc_out else ["n", width, "h", "w"], "layout": "NHWC" if nhwc_out else "NCHW"}
        parts.append((ConvStackPart(tensors, first, last, depth, nhwc_in, nhwc_out).eval(), spec_in, spec_out, [first, last]))
    return parts


def onnx_bytes(module, spec_in, spec_out):
    dims = {i: d for i, d in enumerate(spec_in["shape"]) if isinstance(d, str)}
    dims_out = {i: d for i, d in enumerate(spec_out["shape"]) if isinstance(d, str)}
    example = torch.zeros([2 if d == "n" else 9 if isinstance(d, str) else d for d in spec_in["shape"]])
    buf = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(module, (example,), buf, opset_version=OPSET, input_names=[spec_in["name"]],
                          output_names=[spec_out["name"]], dynamic_axes={spec_in["name"]: dims, spec_out["name"]: dims_out},
                          do_constant_folding=True)
    return buf.getvalue()


def write_onnx(folder, log=print):
    """Writes g.<i>.onnx next to weights.bin and records them in model.json; returns the entries ([] if unsupported)."""
    meta, tensors = read_tensors(folder)
    if meta["backbone"]["type"] not in ("vdsr-lr", "fconv-masked"):
        log(f"{folder}: no ONNX converter for backbone {meta['backbone']['type']}; g stays on tfjs")
        return []
    parts = conv_stack_parts(meta, tensors)
    entries = []
    for i, (module, spec_in, spec_out, layers) in enumerate(parts):
        data = onnx_bytes(module, spec_in, spec_out)
        name = f"g.{i}.onnx"
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        entries.append({"file": name, "part": "g", "index": i, "parts": len(parts), "layers": layers, "opset": OPSET,
                        "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(), "inputs": [spec_in], "outputs": [spec_out]})
    for stale in os.listdir(folder):  # parts of an earlier split
        if stale.startswith("g.") and stale.endswith(".onnx") and stale not in {e["file"] for e in entries}:
            os.remove(os.path.join(folder, stale))
    meta["onnx"] = entries
    with open(os.path.join(folder, "model.json"), "w") as f:
        json.dump(meta, f, indent=1, ensure_ascii=False)
        f.write("\n")
    log(f"{folder}: {len(entries)} ONNX part(s), {sum(e['bytes'] for e in entries) / 1e6:.2f} MB")
    return entries


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folders", nargs="+", help="model folders (model.json + weights.bin)")
    args = p.parse_args()
    torch.set_num_threads(1)
    for folder in args.folders:
        write_onnx(folder)


if __name__ == "__main__":
    sys.exit(main())
