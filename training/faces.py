"""64x64 inpainting/interpolation data: faces (centre square crop, resized) and scene crops.

Faces are split by file with a fixed seed before any training: splits/faces_test.txt (500 files,
never trained on), splits/faces_val.txt (200, for learning curves), the rest train. Scene photos
listed in splits/scenes_test.txt (train/scenes files 41–80 in sorted order) are the held-out photos
the photo-strategy reports measure on (training/reports/*_strategies.mts): never trained on.
Arrays are N x 3 x 64 x 64 float32 on the [-1, 1] scale.
"""
import glob
import os

import numpy as np
import torch
from PIL import Image

from paths import require_folder

HERE = os.path.dirname(os.path.abspath(__file__))
SPLITS = os.path.join(HERE, "splits")


def face_split(face_dir):
    """Returns (train, val, test) file-name lists; writes the split files the first time."""
    require_folder(face_dir)
    test_path = os.path.join(SPLITS, "faces_test.txt")
    val_path = os.path.join(SPLITS, "faces_val.txt")
    names = sorted(os.path.basename(f) for f in glob.glob(os.path.join(face_dir, "*.jpg")))
    if not os.path.exists(test_path):
        perm = np.random.default_rng(0).permutation(len(names))
        os.makedirs(SPLITS, exist_ok=True)
        with open(test_path, "w") as f:
            f.write("\n".join(sorted(names[i] for i in perm[:500])) + "\n")
        with open(val_path, "w") as f:
            f.write("\n".join(sorted(names[i] for i in perm[500:700])) + "\n")
    test = open(test_path).read().split()
    val = open(val_path).read().split()
    held = set(test) | set(val)
    return [n for n in names if n not in held], val, test


def load_face(path):
    im = Image.open(path).convert("RGB")
    w, h = im.size
    s = min(w, h)
    left, top = (w - s) // 2, (h - s) // 2
    im = im.crop((left, top, left + s, top + s)).resize((64, 64), Image.BICUBIC)
    return np.asarray(im, dtype=np.uint8)


def load_faces(face_dir, names):
    arr = np.stack([load_face(os.path.join(face_dir, n)) for n in names if os.path.exists(os.path.join(face_dir, n))])
    return torch.from_numpy(arr).permute(0, 3, 1, 2).float() / 127.5 - 1


def held_out_scenes():
    path = os.path.join(SPLITS, "scenes_test.txt")
    return set(open(path).read().split()) if os.path.exists(path) else set()


class SceneCrops:
    """Random square crops (64x64 unless told) of scene photos (each photo first shrunk to max_side), resampled to size.

    Leaves out BSD400/302003.jpg (Set5's "woman") and the held-out scene photos (`exclude`).
    """

    def __init__(self, folders, device, max_side=512, exclude=None, size=64, max_zoom=None):
        """max_zoom: crops span at most max_zoom × size pixels of the (shrunk) photo, so that content keeps
        roughly the scale it has in users' photos (None: up to the photo's short side)."""
        self.size, self.max_zoom = size, max_zoom
        exclude = held_out_scenes() if exclude is None else exclude
        self.images = []
        for folder in folders:
            for path in sorted(glob.glob(os.path.join(require_folder(folder), "*"))):
                name = os.path.basename(path)
                if not path.lower().endswith((".jpg", ".png", ".bmp")) or name == "302003.jpg" or name in exclude:
                    continue
                im = Image.open(path).convert("RGB")
                im.thumbnail((max_side, max_side), Image.BICUBIC)
                self.images.append(torch.from_numpy(np.asarray(im, dtype=np.uint8)).permute(2, 0, 1).to(device))

    def sample(self, n, gen):
        out = []
        for _ in range(n):
            im = self.images[int(torch.randint(0, len(self.images), (1,), generator=gen))]
            _, h, w = im.shape
            largest = min(h, w) if self.max_zoom is None else min(h, w, int(self.max_zoom * self.size))
            side = int(torch.randint(min(self.size, h, w), largest + 1, (1,), generator=gen))
            top = int(torch.randint(0, h - side + 1, (1,), generator=gen))
            left = int(torch.randint(0, w - side + 1, (1,), generator=gen))
            crop = im[:, top : top + side, left : left + side].float()[None]
            crop = torch.nn.functional.interpolate(crop, size=(self.size, self.size), mode="bicubic", align_corners=False, antialias=True)[0]
            if int(torch.randint(0, 2, (1,), generator=gen)):
                crop = torch.flip(crop, [2])
            out.append(crop.clamp(0, 255))
        return torch.stack(out) / 127.5 - 1
