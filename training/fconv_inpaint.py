"""Fully convolutional inpainting network for photos of any size (backbone "fconv-inpaint"), with the
DL-Net module on its last hidden map. Mirrored by src/engine/networks/fconv-inpaint.ts.

First guess b = membrane_fill(y, M): an approximate membrane fill (push-pull pyramid, smoothed at every
level) that reaches into holes of any size (the network only refines it). The input's height and width must be multiples of 2**LEVELS (the engine pads its crops).
  g: [y, M, b] (7 ch)
     e0  conv3x3 7 -> W0, ReLU                      (full resolution)      = s0
     e1  conv3x3 stride 2 W0 -> W1, ReLU            (1/2)                  = s1
     e2  conv3x3 stride 2 W1 -> W1, ReLU            (1/4)
     c_i conv3x3 W1 -> W1 dilation 2, 4, 8, 16, ReLU (1/4, receptive field of about 300 px)
     u1  nearest x2, concat s1, conv3x3 2·W1 -> W1, ReLU   (1/2)
     u0  nearest x2, concat s0, conv3x3 W1 + W0 -> W0      (full) = z, no activation
  h: ReLU(z) -> conv3x3 W0 -> 3, + b
Convolutions pad by (kernel reach) on every side, zeros; strided ones therefore halve even sizes exactly.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

LEVELS = 5
DILATIONS = (2, 4, 8, 16)


def upsample_bilinear2(b):
    """x2 bilinear with half-pixel centres, edges clamped (the engine computes the same by hand)."""
    return F.interpolate(b, scale_factor=2, mode="bilinear", align_corners=False)


def push_pull(y, mask, levels=LEVELS):
    """Pyramid fill: known pixels kept; a missing pixel takes the fill of the coarser level, each level
    mixing its cells' mean of known pixels with the coarser fill by the cells' known fraction w:
    b_l = v_l + (1 - w_l) * up(b_{l+1}), v_l and w_l being 2x2 averages of y*M and M; below the coarsest
    level stands the mean of all known pixels of the image."""
    v, w = y * mask, mask
    pyramid = [(v, w)]
    for _ in range(levels):
        v, w = F.avg_pool2d(v, 2), F.avg_pool2d(w, 2)
        pyramid.append((v, w))
    known = mask.sum((2, 3), keepdim=True)
    b = (y * mask).sum((2, 3), keepdim=True) / known.clamp(min=1)
    v, w = pyramid[-1]
    b = v + (1 - w) * b
    for v, w in reversed(pyramid[:-1]):
        b = v + (1 - w) * upsample_bilinear2(b)
    return b


SWEEPS = 20


def smooth(b, v, w, sweeps=SWEEPS):
    """Jacobi sweeps of b <- v + (1 - w) * (mean of the 4 neighbours), edges replicated: cells keep their
    known share and take the rest from their neighbours (at full resolution: the membrane equation).
    The neighbours are summed from four shifted slices: a depthwise 3×3 convolution computed the same
    14× slower on this CPU (16 crops of 128²: 3.6 s against 0.25 s for 20 sweeps, one thread), and the
    first guess was most of a training step."""
    keep = 1 - w
    for _ in range(sweeps):
        p = F.pad(b, (1, 1, 1, 1), mode="replicate")
        b = v + keep * (0.25 * (p[..., :-2, 1:-1] + p[..., 2:, 1:-1] + p[..., 1:-1, :-2] + p[..., 1:-1, 2:]))
    return b


def membrane_fill(y, mask, levels=LEVELS, sweeps=SWEEPS):
    """First guess: an approximate membrane (harmonic) fill of the holes, coarse to fine: the push-pull
    pyramid of push_pull with `sweeps` smoothing sweeps at every level."""
    v, w = y * mask, mask
    pyramid = [(v, w)]
    for _ in range(levels):
        v, w = F.avg_pool2d(v, 2), F.avg_pool2d(w, 2)
        pyramid.append((v, w))
    known = mask.sum((2, 3), keepdim=True)
    b = (y * mask).sum((2, 3), keepdim=True) / known.clamp(min=1)
    v, w = pyramid[-1]
    b = smooth(v + (1 - w) * b, v, w, sweeps)
    for v, w in reversed(pyramid[:-1]):
        b = smooth(v + (1 - w) * upsample_bilinear2(b), v, w, sweeps)
    return b


class FConvInpaint(nn.Module):
    def __init__(self, width0=32, width1=64, sweeps=SWEEPS):
        super().__init__()
        self.width0, self.width1, self.sweeps = width0, width1, sweeps
        w0, w1 = width0, width1
        self.e0 = nn.Conv2d(7, w0, 3, padding=1)
        self.e1 = nn.Conv2d(w0, w1, 3, stride=2, padding=1)
        self.e2 = nn.Conv2d(w1, w1, 3, stride=2, padding=1)
        self.mid = nn.ModuleList(nn.Conv2d(w1, w1, 3, padding=d, dilation=d) for d in DILATIONS)
        self.u1 = nn.Conv2d(2 * w1, w1, 3, padding=1)
        self.u0 = nn.Conv2d(w1 + w0, w0, 3, padding=1)
        self.out = nn.Conv2d(w0, 3, 3, padding=1)
        with torch.no_grad():
            for conv in [self.e0, self.e1, self.e2, *self.mid, self.u1, self.u0]:
                nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
                conv.bias.zero_()
            # start exactly at the membrane fill: training can only move away from it where that pays
            self.out.weight.zero_()
            self.out.bias.zero_()

    def g(self, y, mask, base):
        s0 = F.relu(self.e0(torch.cat([y, mask, base], 1)))
        s1 = F.relu(self.e1(s0))
        a = F.relu(self.e2(s1))
        for conv in self.mid:
            a = F.relu(conv(a))
        a = F.relu(self.u1(torch.cat([F.interpolate(a, scale_factor=2, mode="nearest"), s1], 1)))
        return self.u0(torch.cat([F.interpolate(a, scale_factor=2, mode="nearest"), s0], 1))

    def split(self, y, mask):
        """(z, h) for this input: h closes over the first guess b."""
        base = membrane_fill(y, mask, sweeps=self.sweeps)
        z = self.g(y, mask, base)
        return z, lambda zk: self.out(F.relu(zk)) + base

    def forward(self, y, mask):
        z, h = self.split(y, mask)
        return h(z)
