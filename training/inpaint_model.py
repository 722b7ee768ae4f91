"""Context-encoder autoencoder (docs/protocols.md §3) split as f = h ∘ g, with the DL-Net module (§2), and a
fully convolutional variant for interpolating photos of any size (FConvMasked).

Layout NCHW; images on the [-1, 1] scale; missing pixels are 0 in the input. The mask M
(1 = observed) is fed as a fourth input channel (docs/protocols.md §3).
  g: 4x[conv 4x4 s2 + BN + LeakyReLU 0.2] (64, 128, 256, 512) -> channel-wise FC on the 4x4x512 code
     -> 3x[convT 4x4 s2 + BN] (256, 128, 64) with ReLU between; z = the 32x32x64 map after the last BN
  h: ReLU(z) -> convT 4x4 s2 to 3 channels (no output activation)
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ChannelwiseFC(nn.Module):
    def __init__(self, channels, side):
        super().__init__()
        n = side * side
        self.weight = nn.Parameter(torch.randn(channels, n, n) / n**0.5)
        self.bias = nn.Parameter(torch.zeros(channels, n))

    def forward(self, x):
        b, c, h, w = x.shape
        y = torch.einsum("bcn,cnm->bcm", x.reshape(b, c, h * w), self.weight) + self.bias
        return y.reshape(b, c, h, w)


class ContextEncoder(nn.Module):
    def __init__(self, feed_mask=True):
        super().__init__()
        self.feed_mask = feed_mask
        chans = [4 if feed_mask else 3, 64, 128, 256, 512]
        self.enc = nn.ModuleList(nn.Conv2d(chans[i], chans[i + 1], 4, 2, 1) for i in range(4))
        self.enc_bn = nn.ModuleList(nn.BatchNorm2d(chans[i + 1]) for i in range(4))
        self.fc = ChannelwiseFC(512, 4)
        dec = [512, 256, 128, 64]
        self.dec = nn.ModuleList(nn.ConvTranspose2d(dec[i], dec[i + 1], 4, 2, 1) for i in range(3))
        self.dec_bn = nn.ModuleList(nn.BatchNorm2d(dec[i + 1]) for i in range(3))
        self.out = nn.ConvTranspose2d(64, 3, 4, 2, 1)

    def g(self, y, mask):
        a = torch.cat([y, mask], 1) if self.feed_mask else y
        for conv, bn in zip(self.enc, self.enc_bn):
            a = F.leaky_relu(bn(conv(a)), 0.2)
        a = self.fc(a)
        for i, (conv, bn) in enumerate(zip(self.dec, self.dec_bn)):
            if i > 0:
                a = F.relu(a)
            a = bn(conv(a))
        return a

    def h(self, z):
        return self.out(F.relu(z))

    def forward(self, y, mask):
        return self.h(self.g(y, mask))


def gaussian_kernel(radius=3, sigma=1.5):
    t = torch.arange(-radius, radius + 1, dtype=torch.float64)
    k = torch.exp(-(t[:, None] ** 2 + t[None, :] ** 2) / (2 * sigma**2))
    return k / k.sum()


def normalized_convolution(y, mask, kernel):
    """Gaussian-weighted mean of the known pixels around each pixel (0 where none is within reach).

    y: N x C x H x W with missing pixels 0; mask: N x 1 x H x W. The cheap first guess the fully
    convolutional model refines; the engine computes the same (src/engine/networks/fconv-masked.ts).
    """
    n, c, hh, ww = y.shape
    k = kernel.to(y.dtype).to(y.device)[None, None]
    r = k.shape[-1] // 2
    num = F.conv2d(y.reshape(n * c, 1, hh, ww), k, padding=r).reshape(n, c, hh, ww)
    den = F.conv2d(mask, k, padding=r)
    return num / den.clamp(min=1e-4)


class FConvMasked(nn.Module):
    """Fully convolutional interpolation network (beyond the paper: for photos of any size).

    Input [y, M, b] with b = normalized_convolution(y, M) (7 channels); works on any size.
      g: conv3x3 + ReLU, (depth - 2) x (conv3x3 + ReLU), conv3x3 -> z (last hidden map, no activation)
      h: ReLU(z) -> conv3x3 to 3 channels -> + b
    """

    def __init__(self, depth=8, width=48):
        super().__init__()
        self.depth, self.width = depth, width
        self.convs = nn.ModuleList([nn.Conv2d(7, width, 3, padding=1)] + [nn.Conv2d(width, width, 3, padding=1) for _ in range(depth - 1)])
        self.out = nn.Conv2d(width, 3, 3, padding=1)
        self.register_buffer("kernel", gaussian_kernel().float(), persistent=False)
        with torch.no_grad():
            for conv in self.convs:
                nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
                conv.bias.zero_()
            self.out.weight.mul_(0.1)  # start near the normalized-convolution guess
            self.out.bias.zero_()

    def split(self, y, mask):
        """(z, h) for this input: h closes over the first guess b."""
        base = normalized_convolution(y, mask, self.kernel)
        a = torch.cat([y, mask, base], 1)
        for conv in self.convs[:-1]:
            a = F.relu(conv(a))
        z = self.convs[-1](a)
        return z, lambda zk: self.out(F.relu(zk)) + base

    def forward(self, y, mask):
        z, h = self.split(y, mask)
        return h(z)


def build_net(config):
    """The network a training config names (checkpoints keep their config)."""
    if config.get("backbone", "context-encoder") == "fconv":
        return FConvMasked(config["depth"], config["width"])
    if config.get("backbone") == "fconv-inpaint":
        from fconv_inpaint import SWEEPS, FConvInpaint

        return FConvInpaint(config["width0"], config["width1"], config.get("sweeps", SWEEPS))
    return ContextEncoder()


def split(net, y, mask):
    """The network's last hidden map z for this input, and its head h (x̂ = h(z))."""
    if hasattr(net, "split"):
        return net.split(y, mask)
    return net.g(y, mask), net.h


def likelihood_per_image(xhat, y, mask):
    """L(z) = 1/2 mean over observed entries (M = 1, every channel) of (M ⊙ x̂ − y)^2, per image."""
    r = (xhat * mask - y) * mask
    count = (mask.flatten(1).sum(1) * xhat.shape[1]).clamp(min=1)
    return 0.5 * r.pow(2).flatten(1).sum(1) / count


def dlnet_masked(net, y, mask, K=5, gamma=1e-3, beta1=0.9, beta2=0.999, create_graph=False, trace=None):
    z, h = split(net, y, mask)
    m = torch.zeros_like(z)
    v = torch.zeros_like(z)
    xhat = None
    for k in range(1, K + 1):
        if K > 1 and not z.requires_grad:
            z = z.requires_grad_(True)
        xhat = h(z)
        if k == K and trace is None:
            break
        lik = likelihood_per_image(xhat, y, mask)
        if trace is not None:
            trace.append((k, xhat.detach(), lik.detach()))
        if k == K:
            break
        (d,) = torch.autograd.grad(lik.sum(), z, create_graph=create_graph)
        m = beta1 * m + (1 - beta1) * d
        v = beta2 * v + (1 - beta2) * d * d
        z = z - gamma * (m / (1 - beta1**k)) / torch.sqrt(torch.clamp(v / (1 - beta2**k), min=1e-16))
    return xhat
