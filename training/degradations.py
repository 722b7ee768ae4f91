"""Degradation operators of docs/protocols.md §1, in PyTorch, usable as the differentiable W.

Layout: NCHW float tensors. Values on the 0..1 scale (8-bit value / 255).
Every operator here is linear; `quantize8` is applied only when synthesising inputs.
"""
import math

import torch
import torch.nn.functional as F


def cubic(x: float, a: float = -0.5) -> float:
    x = abs(x)
    if x <= 1:
        return (a + 2) * x**3 - (a + 3) * x**2 + 1
    if x < 2:
        return a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a
    return 0.0


def bicubic_down_taps(t: int):
    """MATLAB imresize(x, 1/t) along one axis: output i reads input t*i + first + n for n in taps.

    Returns (first_offset, weights). Kernel stretched by t (antialiasing), weights normalised.
    """
    centre = 0.5 * t - 0.5  # input coordinate sampled by output 0
    lo = math.ceil(centre - 2 * t)
    hi = math.floor(centre + 2 * t)
    offsets = list(range(lo, hi + 1))
    while cubic((centre - offsets[0]) / t) == 0.0:  # drop zero taps at the ends only: the
        offsets.pop(0)  # kernel must stay contiguous (odd t has interior zeros)
    while cubic((centre - offsets[-1]) / t) == 0.0:
        offsets.pop()
    weights = [cubic((centre - j) / t) / t for j in offsets]
    s = sum(weights)
    return offsets[0], [w / s for w in weights]


def bicubic_up_phases(t: int):
    """MATLAB imresize(x, t) along one axis: output t*m + p reads input m-2..m+2 with weights[p]."""
    phases = []
    for p in range(t):
        d = (p + 0.5) / t - 0.5
        w = [cubic(d - k) for k in range(-2, 3)]
        s = sum(w)
        phases.append([v / s for v in w])
    return phases


def gaussian_taps(u: float):
    """1-D factor of the 15x15 isotropic Gaussian with std u, normalised (the 2-D kernel is its outer product)."""
    g = [math.exp(-(k * k) / (2 * u * u)) for k in range(-7, 8)]
    s = sum(g)
    return [v / s for v in g]


def _sep_conv(x, kernel_1d, stride, axis):
    """Convolve each channel of NCHW x with a 1-D kernel along axis 2 (H) or 3 (W), valid, with stride."""
    n, c, h, w = x.shape
    k = torch.as_tensor(kernel_1d, dtype=x.dtype, device=x.device)
    if axis == 2:
        weight = k.view(1, 1, -1, 1)
        s = (stride, 1)
    else:
        weight = k.view(1, 1, 1, -1)
        s = (1, stride)
    y = F.conv2d(x.reshape(n * c, 1, x.shape[2], x.shape[3]), weight, stride=s)
    return y.reshape(n, c, y.shape[2], y.shape[3])


def symmetric_pad(x, left, right, axis):
    """Symmetric padding that repeats the edge pixel (..., x1, x0 | x0, x1, ...), built from flips + cat."""
    size = x.shape[axis]
    parts = []
    if left > 0:
        parts.append(torch.flip(x.narrow(axis, 0, left), [axis]))
    parts.append(x)
    if right > 0:
        parts.append(torch.flip(x.narrow(axis, size - right, right), [axis]))
    return torch.cat(parts, axis)


def replicate_pad(x, left, right, axis):
    size = x.shape[axis]
    parts = []
    if left > 0:
        parts.append(x.narrow(axis, 0, 1).expand(*[left if d == axis else -1 for d in range(x.dim())]))
    parts.append(x)
    if right > 0:
        parts.append(x.narrow(axis, size - 1, 1).expand(*[right if d == axis else -1 for d in range(x.dim())]))
    return torch.cat(parts, axis)


def bicubic_down(x, t):
    first, w = bicubic_down_taps(t)
    left = -first
    right = first + len(w) - t
    for axis in (2, 3):  # height first, as MATLAB does for equal scales
        x = _sep_conv(symmetric_pad(x, left, right, axis), w, t, axis)
    return x


def bicubic_up(x, t):
    phases = bicubic_up_phases(t)
    n, c, h, w = x.shape
    # rows: t phases, each a 5-tap conv on the symmetric-padded input, then interleave
    xp = symmetric_pad(x, 2, 2, 2)
    rows = torch.stack([_sep_conv(xp, ph, 1, 2) for ph in phases], 3)  # n c h t w
    x = rows.reshape(n, c, h * t, w)
    xp = symmetric_pad(x, 2, 2, 3)
    cols = torch.stack([_sep_conv(xp, ph, 1, 3) for ph in phases], 4)  # n c H w t
    return cols.reshape(n, c, h * t, w * t)


def gaussian_down(x, t, u):
    """(k_u * x) then keep pixels (t*i, t*j); replicate borders. u: float, or a per-sample 1-D tensor [N]."""
    n, c, h, w = x.shape
    if isinstance(u, torch.Tensor) and u.dim() == 1:
        ks = torch.arange(-7, 8, dtype=x.dtype, device=x.device)
        g = torch.exp(-(ks[None, :] ** 2) / (2 * u[:, None].to(x.dtype) ** 2))
        g = g / g.sum(1, keepdim=True)  # N x 15
        g = g.repeat_interleave(c, 0)  # N*c x 15
        y = x.reshape(1, n * c, h, w)
        y = replicate_pad(replicate_pad(y, 7, 7, 2), 7, 7, 3)
        y = F.conv2d(y, g.view(n * c, 1, 15, 1), stride=(t, 1), groups=n * c)
        y = F.conv2d(y, g.view(n * c, 1, 1, 15), stride=(1, t), groups=n * c)
        return y.reshape(n, c, y.shape[2], y.shape[3])
    g = gaussian_taps(float(u))
    for axis in (2, 3):
        x = _sep_conv(replicate_pad(x, 7, 7, axis), g, t, axis)
    return x


def sr_degrade(x, t, u):
    """W for super-resolution (no rounding). u == 0 is bicubic."""
    if isinstance(u, torch.Tensor) and u.dim() == 1:
        bic = bicubic_down(x, t)
        safe_u = torch.where(u > 0, u, torch.ones_like(u))
        gau = gaussian_down(x, t, safe_u)
        flag = (u == 0).to(x.dtype).view(-1, 1, 1, 1)
        return flag * bic + (1 - flag) * gau
    return bicubic_down(x, t) if float(u) == 0 else gaussian_down(x, t, float(u))


def crop_to_multiple(x, t):
    h, w = x.shape[-2:]
    return x[..., : h - h % t, : w - w % t]


def quantize8(x):
    return torch.clamp(torch.round(x * 255.0), 0, 255) / 255.0


def rgb_to_y(rgb):
    """Luma of docs/protocols.md §5.1 on 0..1 input, result on 0..1 (Y/255). rgb: N3HW."""
    r, g, b = rgb[:, 0:1], rgb[:, 1:2], rgb[:, 2:3]
    return (16.0 + 65.481 * r + 128.553 * g + 24.966 * b) / 255.0


def psnr_y(out_y, ref_y, shave):
    """PSNR of 0..1 luma planes, both rounded to 8 bits first, shaving `shave` pixels."""
    a = torch.clamp(torch.round(out_y * 255), 0, 255)
    b = torch.clamp(torch.round(ref_y * 255), 0, 255)
    if shave:
        a = a[..., shave:-shave, shave:-shave]
        b = b[..., shave:-shave, shave:-shave]
    mse = torch.mean((a - b) ** 2).item()
    return 10 * math.log10(255.0**2 / mse)
