"""Blur estimator: from a crop of a low-resolution photo's luma, the probabilities of the blur u that made it
(class 0: bicubic downscaling, class i >= 1: a Gaussian of std u = i * U_STEP), one head per scale.
Mirrored by src/engine/networks/blur-estimator.ts.

  x  = (crop - mean(crop)) / (std(crop) + STD_FLOOR)       (contrast does not say how blurred a photo is)
  c1 conv3x3 1 -> W, ReLU;  c2 conv3x3 W -> W, ReLU                      (full resolution)
  c3 conv3x3 stride 2 W -> 2W, ReLU;  c4 conv3x3 2W -> 2W, ReLU           (1/2)
  c5 conv3x3 stride 2 2W -> 2W, ReLU;  c6 conv3x3 2W -> 2W, ReLU          (1/4)
  mean over the map, then the scale's head: linear 2W -> CLASSES logits
Convolutions pad by 1 with zeros; strided ones halve even sizes.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

U_STEP = 0.1
U_BINS = 30  # u = 0.1 .. 3.0
CLASSES = U_BINS + 1
SCALES = (2, 3, 4)
STD_FLOOR = 0.01


def normalise(crops):
    """crops: N1HW luma 0..1 -> zero mean, unit contrast per crop."""
    mean = crops.mean((2, 3), keepdim=True)
    std = crops.std((2, 3), keepdim=True, unbiased=False)
    return (crops - mean) / (std + STD_FLOOR)


def class_targets(u):
    """Soft targets [N, CLASSES]: bicubic (u == 0) is class 0; a Gaussian u splits between its two nearest bins."""
    n = u.shape[0]
    target = torch.zeros(n, CLASSES)
    pos = (u / U_STEP).clamp(1, U_BINS)
    lo = pos.floor().clamp(max=U_BINS - 1)
    frac = pos - lo
    rows = torch.arange(n)
    gaussian = u > 0
    target[rows[gaussian], lo[gaussian].long()] = 1 - frac[gaussian]
    target[rows[gaussian], lo[gaussian].long() + 1] += frac[gaussian]
    target[rows[~gaussian], 0] = 1
    return target


class BlurEstimator(nn.Module):
    def __init__(self, width=32):
        super().__init__()
        self.width = width
        w, w2 = width, 2 * width
        self.convs = nn.ModuleList([
            nn.Conv2d(1, w, 3, padding=1),
            nn.Conv2d(w, w, 3, padding=1),
            nn.Conv2d(w, w2, 3, stride=2, padding=1),
            nn.Conv2d(w2, w2, 3, padding=1),
            nn.Conv2d(w2, w2, 3, stride=2, padding=1),
            nn.Conv2d(w2, w2, 3, padding=1),
        ])
        self.heads = nn.ModuleList(nn.Linear(w2, CLASSES) for _ in SCALES)

    def forward(self, crops, scale):
        """Logits [N, CLASSES] for crops (N1HW luma 0..1) of a photo to be upscaled by `scale`."""
        a = normalise(crops)
        for conv in self.convs:
            a = F.relu(conv(a))
        return self.heads[SCALES.index(scale)](a.mean((2, 3)))


def decide(log_probs):
    """One photo's suggestion from its crops' log-probabilities [N, CLASSES]: the crops' mean log-probability,
    renormalised, is the photo's posterior; bicubic when that is the likelier kind, else the posterior mean u
    of the Gaussian classes. Returns (u, posterior)."""
    posterior = torch.softmax(log_probs.mean(0), 0)
    if posterior[0] >= 0.5:
        return 0.0, posterior
    gaussian = posterior[1:] / posterior[1:].sum()
    u = float((gaussian * torch.arange(1, CLASSES) * U_STEP).sum())
    return u, posterior
