"""Writes the model card (README.md) beside every exported model from its model.json and the
generated reports (reports/table9.json, reports/eval_*.json) — no number is typed by hand.
    python3 training/make_model_cards.py
"""
import glob
import json
import os

from eval_keys import result_key

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BLURS = ("0", "1.3", "2.6")


def sr_metrics(model_id, scale):
    path = os.path.join(HERE, "reports/table9.json")
    table = json.load(open(path)) if os.path.exists(path) else {}
    rows = []
    for key, entry in table.items():
        if entry.get("model") == model_id:
            ds = key.split("/")[0]
            rows.append(f"| {ds} ×{scale} | " + " | ".join(f"{entry['psnr'][u]:.2f}" for u in BLURS) + " |")
    if not rows:
        return ["(not evaluated yet: run `node training/reports/make_table9.mjs`)"]
    return ["| data | u = 0 | u = 1.3 | u = 2.6 |", "|---|---:|---:|---:|"] + sorted(rows)


def masked_metrics(task, regime):
    path = os.path.join(HERE, f"reports/eval_{task}.json")
    if not os.path.exists(path) or regime not in json.load(open(path))["results"]:
        return ["(not evaluated)"]
    r = json.load(open(path))["results"][regime]["table"]
    rows = ["| setting | PSNR raw | PSNR composite | l1 raw | l2 raw |", "|---|---:|---:|---:|---:|"]
    rows += [f"| {s} | {m['raw_psnr']:.2f} | {m['comp_psnr']:.2f} | {m['raw_l1']:.4f} | {m['raw_l2']:.4f} |" for s, m in r.items()]
    return rows


def strategy_section(task):
    """The measurements on real photos (reports/<task>_strategies.md, generated) that chose how the
    app runs the 64×64 model on photos of any size."""
    path = os.path.join(HERE, f"reports/{task}_strategies.md")
    if not os.path.exists(path):
        return []
    text = open(path).read().splitlines()
    table = [line for line in text if line.startswith("|")]
    return ["", "## Photos of any size", "", f"From training/reports/{task}_strategies.md (PSNR in dB; generated, see there for the method):", ""] + table


def sr_backbone(b):
    if b["type"] == "drrn-lr":
        return (f"Backbone `drrn-lr`: DRRN B1U{b['recursions']} ({b['width']} channels, units fused every {b['fuseEvery']} "
                f"by a 1×1 conv to {b['zWidth']}) at low resolution")
    if b["type"] == "idn-lr":
        return f"Backbone `idn-lr`: IDN with {b['blocks']} distillation blocks at low resolution"
    return (f"Backbone `vdsr-lr`: {b['depth']} conv layers × {b['width']} channels at low resolution "
            "(reduced from VDSR's 20 layers for CPU inference, see training/README.md)")


def stage_line(tr):
    shared = " (several runs shared one GPU)" if tr.get("device") == "cuda" else ""
    threads = f" ({tr['threads']} threads)" if tr.get("threads") else ""
    return (f"{tr.get('steps')} steps ({tr.get('samples')} samples) in {tr.get('wall_seconds')} s on {tr.get('device')}{threads}: "
            f"**{tr.get('samples_per_second')} samples/s**{shared}")


def blur_estimator_card(m):
    tr, b = m["training"], m["backbone"]
    lines = [f"# {m['name']} (`{m['id']}`)", "",
             f"Rates how a low-resolution photo was degraded — bicubic downscaling, or a Gaussian of std u = {b['uStep']}·i for "
             f"i = 1 … {b['classes'] - 1} — from 48 × 48 crops of its luma, with one head per scale (×{', ×'.join(map(str, b['scales']))}): "
             f"six 3×3 convs ({b['width']}–{2 * b['width']} channels), a mean over the map, a linear head. Behind `--blur auto` and the "
             "app's Suggest button (docs/protocols.md §8).", "", "## Measured", "",
             "On the 10 BSD400 photos held out of training, u ∈ {0, 0.7, 1.3, 2.0, 2.6}, 32 textured crops each "
             "(mean |error| of the posterior-mean u over the Gaussian cases, share within 0.1, bicubic cases told apart):", "",
             "| scale | mean abs error | within 0.1 | bicubic right |", "| --- | --- | --- | --- |"]
    for scale, v in m["metrics"]["heldout_bsd400"].items():
        lines.append(f"| ×{scale[1:]} | {v['mean_abs_error']:.3f} | {v['within_0.1']:.0%} | {v['bicubic_right']:.0%} |")
    lines += ["", "How much PSNR the suggestions keep on Set14: training/reports/suggest_blur.md.", "", "## Training", "",
              f"- data: {', '.join(tr['data'])} (the last {tr['heldout_bsd400']} BSD400 photos held out); random {tr['patch']}² LR patches, "
              f"batch {tr['batch']}; loss {tr['loss']}; {tr['optimizer']} lr {tr['lr']}",
              f"- trained: {tr['steps']:,} steps ({tr['samples']:,} samples) in {tr['cpu_seconds']:,} s on the CPU "
              f"({tr['threads']} thread{'s' if tr['threads'] > 1 else ''} at the end): **{tr['samples_per_s']} samples/s**",
              f"- weights sha256: `{m['weights']['sha256']}`", ""]
    return lines


def card(folder):
    m = json.load(open(os.path.join(folder, "model.json")))
    if m["task"] == "blur":
        with open(os.path.join(folder, "README.md"), "w") as f:
            f.write("\n".join(blur_estimator_card(m)))
        return
    tr = m.get("training", {})
    b = m["backbone"]
    lines = [f"# {m['name']} (`{m['id']}`)", ""]
    if m["task"] == "sr":
        told = "told the degradation (u/3 and a bicubic flag as extra input channels)" if b["conditioned"] else "blind (paper-faithful: g is not told the degradation)"
        lines += [f"Super-resolution ×{m['scale']} of photos that may also be blurred (Gaussian width u ∈ [0, 3], or bicubic "
                  f"downscaling at u = 0). Luma goes through the network, chroma is bicubic-upscaled. {sr_backbone(b)}, "
                  f"pixel-shuffle ×{m['scale']} output, bicubic global skip; {told}.", ""]
    elif b["type"] == "fconv-masked":
        lines += [f"{'Inpainting of painted holes' if m['task'] == 'inpaint' else 'Interpolation of scattered missing pixels'} "
                  f"with the fully convolutional network `fconv-masked` ({b['depth']} conv layers × {b['width']} channels refining "
                  "the normalized convolution of the known pixels; training/README.md). Photos of any size: blended 64-px tiles "
                  "(src/engine/restore-masked.ts).", ""]
    elif b["type"] == "fconv-inpaint":
        lines += [f"Inpainting of painted holes at the photo's own resolution with the fully convolutional network `fconv-inpaint` "
                  f"({b['width0']} channels at full resolution, {b['width1']} at 1/2 and 1/4 with dilated convs; it refines a "
                  f"membrane fill of the hole, coarse to fine with {b.get('sweeps', 20)} Jacobi sweeps per pyramid level; training/README.md). Every hole gets a crop of its bounding box plus "
                  "64 px of context (src/engine/restore-holes.ts); known pixels are kept exactly.", ""]
    else:
        lines += [f"{'Inpainting of painted holes' if m['task'] == 'inpaint' else 'Interpolation of scattered missing pixels'} "
                  "with the 64×64 context-encoder autoencoder (docs/protocols.md §3), mask fed as a fourth input channel. "
                  "Photos of any size: see src/engine/restore-masked.ts (crops around holes / blended 64-px tiles).", ""]
    d = m.get("dlnet")
    lines += ["DL-Net: " + (f"K = {d['K']}, γ = {d['gamma']}, β1 = {d['beta1']}, β2 = {d['beta2']}" if d else "none (plain network, K = 1)"), ""]
    lines += ["## Measured", ""]
    if m["task"] == "sr":
        lines += ["Luma PSNR (dB), docs/protocols.md §5.1 (`dlnet eval`):", ""] + sr_metrics(m["id"], m["scale"])
    else:
        note = "; GPU float32 weights before float16 transport" if tr.get("weights_transport") else ""
        lines += [f"500 held-out 64×64 faces, 10 seeded masks each (docs/protocols.md §5.2{note}):", ""]
        lines += masked_metrics(m["task"], result_key(tr.get("backbone"), tr.get("regime", "dlnet")))
        lines += strategy_section(m["task"])
    lines += ["", "## Training", ""]
    lines += [f"- regime: {tr.get('regime')}; degradations: {tr.get('degradations')}",
              f"- data: {', '.join(tr.get('data', []))}; batch {tr.get('batch')}"
              + (f" faces + {tr['photo_batch']} scene crops of {tr['photo_size']}²" if tr.get("photo_batch") else "")
              + f"; loss {tr.get('loss')}; lr {tr.get('base_lr')}",
              f"- trained: {stage_line(tr)}"]
    transport = tr.get("weights_transport")
    while earlier := tr.get("continued_from"):  # newest stage first, back to the joint model
        joint_start = earlier.get("regime") == "joint" and tr.get("regime") != "joint"
        what = "fine-tuned from joint weights" if joint_start else f"continued from the earlier {earlier.get('regime')} weights"
        recipe = [f"{k.replace('base_', '')} {earlier[k]}" for k in ("batch", "loss", "base_lr") if earlier.get(k) != tr.get(k)]
        lines.append(f"- {what}: {stage_line(earlier)}" + (f" (that stage: {', '.join(recipe)})" if recipe else "")
                     + (f"; those weights travelled as {earlier['weights_transport']}" if earlier.get("weights_transport") else ""))
        tr = earlier  # what it was fine-tuned from is the earlier stage's story
    seconds, stage = {}, m["training"]
    while stage:
        device = "CPU" if stage.get("device") == "cpu" else "GPU"
        seconds[device] = seconds.get(device, 0.0) + (stage.get("wall_seconds") or 0) * (stage.get("threads") or 1 if device == "CPU" else 1)
        stage = stage.get("continued_from")
    for device, total in seconds.items():
        how = "threads × wall seconds" if device == "CPU" else "wall seconds; the GPU was shared by the runs trained beside it"
        lines.append(f"- total {device} time of the stages above: {total:,.0f} s ({how})")
    if tr.get("init"):
        lines.append("- fine-tuned from the joint model of the same run (for SR its card is training/models/<id>-joint; that stage dominates the training time)")
    if transport:
        lines.append(f"- weights: {transport}")
    lines += [f"- weights sha256: `{m['weights']['sha256']}`", ""]
    with open(os.path.join(folder, "README.md"), "w") as f:
        f.write("\n".join(lines))


def main():
    for folder in sorted(glob.glob(os.path.join(ROOT, "resources/models/*")) + glob.glob(os.path.join(ROOT, "training/models/*"))):
        if os.path.exists(os.path.join(folder, "model.json")):
            card(folder)


if __name__ == "__main__":
    main()
