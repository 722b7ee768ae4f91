"""Copy the training data the GPU recipe needs into one folder that travels with the device call.

The device machine cannot see the data root (DLNET_DATA, or data/ at the repository root), and a call carries at most 64 MiB, so this keeps:
T91 (BMP re-encoded as lossless PNG), BSD400 (original JPEGs, minus 302003.jpg), Set5, a subset of
the training faces plus the validation and test faces (split files in training/splits), and scenes.
    python3 training/gpu/pack_data.py .gpudata --faces 3400 --scenes 40
"""
import argparse
import os
import shutil
import sys

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from data import list_images  # noqa: E402
from faces import face_split  # noqa: E402
from paths import data_path, require_folder  # noqa: E402



def main():
    p = argparse.ArgumentParser()
    p.add_argument("dest")
    p.add_argument("--faces", type=int, default=3400)
    p.add_argument("--scenes", type=int, default=40)
    args = p.parse_args()
    d = args.dest
    for sub in ("T91", "BSD400", "Set5", "faces", "scenes"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    for path in list_images(data_path("train/T91")):
        Image.open(path).save(os.path.join(d, "T91", os.path.basename(path)[:-4] + ".png"))
    for path in list_images(data_path("train/BSD400")):
        shutil.copy(path, os.path.join(d, "BSD400"))
    for path in list_images(data_path("eval/Set5")):
        shutil.copy(path, os.path.join(d, "Set5"))
    train, val, test = face_split(require_folder(data_path("train/faces")))
    for name in train[: args.faces] + val + test:
        shutil.copy(data_path("train/faces", name), os.path.join(d, "faces"))
    for path in sorted(os.listdir(require_folder(data_path("train/scenes"))))[: args.scenes]:
        shutil.copy(data_path("train/scenes", path), os.path.join(d, "scenes"))


if __name__ == "__main__":
    main()
