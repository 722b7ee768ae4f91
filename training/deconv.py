"""A classical upsampler that knows the degradation: regularised least squares (Tikhonov) by conjugate gradients.

x* = argmin_x ||W x - y||^2 + lam ||grad x||^2, started from bicubic upsampling, with W the exact SR degradation
(docs/protocols.md §1) for each sample's (t, u). On Set5 luma (×2, lam 1e-4, 30 iterations) it gives 35.2 / 34.6 /
30.6 dB at u = 0 / 1.3 / 2.6, against 33.7 / 29.0 / 26.1 for bicubic upsampling, so it is tried as the SR net's
global skip (`--skip deconv`) in place of bicubic upsampling.

W is separable and the same along both axes, so per sample W x = A_H x A_W^T with A the 1-D operator as a
matrix (built by applying W's 1-D pass to an identity); W^T r = A_H^T r A_W. A batch of CG steps is then a few
batched matmuls.
"""
import torch

from degradations import bicubic_down_taps, bicubic_up, gaussian_taps, _sep_conv, replicate_pad, symmetric_pad


def axis_operator(size, t, u, dtype=torch.float32, device="cpu"):
    """The (size/t × size) matrix of W's pass along one axis, for blur width u (0 = bicubic)."""
    eye = torch.eye(size, dtype=dtype, device=device)[None, None]  # 1 1 size size: columns are deltas
    if u == 0:
        first, w = bicubic_down_taps(t)
        padded = symmetric_pad(eye, -first, first + len(w) - t, 2)
    else:
        w = gaussian_taps(u)
        padded = replicate_pad(eye, 7, 7, 2)
    return _sep_conv(padded, w, t, 2)[0, 0]


def operators(shape, t, u, dtype, device):
    """Per-sample (A_H, A_W) stacks [N, h, H] and [N, w, W]; u is a float or a per-sample tensor."""
    n, _, hh, ww = shape
    us = [float(v) for v in (u.tolist() if isinstance(u, torch.Tensor) else [u] * n)]
    if len(us) == 1:
        us = us * n
    cache = {}
    rows, cols = [], []
    for v in us:
        if v not in cache:
            cache[v] = (axis_operator(hh * t, t, v, dtype, device), axis_operator(ww * t, t, v, dtype, device))
        rows.append(cache[v][0])
        cols.append(cache[v][1])
    return torch.stack(rows), torch.stack(cols)


def _gradient_penalty_normal(x):
    """(grad^T grad) x with zero-flux borders (the discrete Laplacian, negated)."""
    gx = x[..., :, 1:] - x[..., :, :-1]
    gy = x[..., 1:, :] - x[..., :-1, :]
    out = torch.zeros_like(x)
    out[..., :, 1:] += gx
    out[..., :, :-1] -= gx
    out[..., 1:, :] += gy
    out[..., :-1, :] -= gy
    return out


def tikhonov_upsample(y, t, u, lam=1e-4, iters=30):
    """y: N1hw on 0..1; u: float or per-sample tensor [N]. Returns the N1(th)(tw) regularised inverse (no grad)."""
    y = y.detach()
    a_h, a_w = operators(y.shape, t, u, y.dtype, y.device)
    a_ht, a_wt = a_h.transpose(1, 2), a_w.transpose(1, 2)

    def degrade(x):  # N1HW -> N1hw
        return (a_h @ x[:, 0] @ a_wt)[:, None]

    def adjoint(r):  # N1hw -> N1HW
        return (a_ht @ r[:, 0] @ a_w)[:, None]

    def normal(p):
        return adjoint(degrade(p)) + lam * _gradient_penalty_normal(p)

    def dot(a, b):
        return (a * b).sum((1, 2, 3), keepdim=True)

    x = bicubic_up(y, t).contiguous()
    r = adjoint(y) - normal(x)
    p = r.clone()
    rs = dot(r, r)
    for _ in range(iters):
        q = normal(p)
        alpha = rs / dot(p, q).clamp_min(1e-30)
        x = x + alpha * p
        r = r - alpha * q
        rs_next = dot(r, r)
        p = r + (rs_next / rs.clamp_min(1e-30)) * p
        rs = rs_next
    return x
