"""Training and validation images for super-resolution.

Images are read as RGB uint8 (HWC), converted to luma Y = 16 + (65.481 R + 128.553 G + 24.966 B)/255
on the 0..1 scale (docs/protocols.md §5.1), and kept as float32 tensors (1 x H x W) on the training device.
"""
import glob
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from paths import require_folder

EXCLUDED = {"302003.jpg"}  # BSD400's copy of Set5 "woman" (the same photo, cropped and scaled differently)
IMAGE_EXT = (".png", ".jpg", ".jpeg", ".bmp")


def list_images(folder):
    require_folder(folder)
    files = [f for f in sorted(glob.glob(os.path.join(folder, "*"))) if f.lower().endswith(IMAGE_EXT)]
    return [f for f in files if os.path.basename(f) not in EXCLUDED]


def load_luma(path):
    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
    y = (16.0 + 65.481 * rgb[..., 0] + 128.553 * rgb[..., 1] + 24.966 * rgb[..., 2]) / 255.0
    return torch.from_numpy(y)[None]


def load_rgb(path):
    """N=1, C=3, H, W float on 0..1; grey files become 3 equal channels."""
    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(rgb).permute(2, 0, 1)[None]


class PatchSampler:
    """Random HR luma patches with flips, 90° rotations and rescaling (0.6–1.0) augmentation."""

    RESCALES = (1.0, 0.9, 0.8, 0.7, 0.6)

    def __init__(self, files, device, seed=0):
        """files: image paths (a folder name stands for every image in it)."""
        self.images = []
        for entry in files:
            for path in list_images(entry) if os.path.isdir(entry) else [entry]:
                y = load_luma(path).to(device)
                for s in self.RESCALES:
                    if s == 1.0:
                        self.images.append(y)
                    else:
                        size = (int(y.shape[1] * s), int(y.shape[2] * s))
                        self.images.append(F.interpolate(y[None], size=size, mode="bicubic", align_corners=False, antialias=True)[0].clamp(0, 1))
        self.areas = torch.tensor([float(im.shape[1] * im.shape[2]) for im in self.images])
        self.gen = torch.Generator().manual_seed(seed)

    def sample(self, batch, size):
        """batch x 1 x size x size patches (images smaller than size are skipped)."""
        out = []
        while len(out) < batch:
            picks = torch.multinomial(self.areas, batch, replacement=True, generator=self.gen).tolist()
            offsets = torch.rand(batch, 2, generator=self.gen).tolist()
            flips = torch.randint(0, 8, (batch,), generator=self.gen).tolist()
            for i, (fy, fx), r in zip(picks, offsets, flips):
                if len(out) < batch:
                    self._crop(out, self.images[i], size, fy, fx, r)
        return torch.stack(out)

    @staticmethod
    def _crop(out, im, size, fy, fx, r):
        h, w = im.shape[1:]
        if h < size or w < size:
            return
        top = int(fy * (h - size + 1))
        left = int(fx * (w - size + 1))
        p = im[:, top : top + size, left : left + size]
        if r & 1:
            p = torch.flip(p, [2])
        if r & 2:
            p = torch.flip(p, [1])
        if r & 4:
            p = p.transpose(1, 2)
        out.append(p)
