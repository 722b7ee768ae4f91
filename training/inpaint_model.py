"""Context-encoder autoencoder of DESIGN §5 split as f = h ∘ g, with the DL-Net module (§4).

Layout NCHW; images on the [-1, 1] scale; missing pixels are 0 in the input. The mask M
(1 = observed) is fed as a fourth input channel (DESIGN §5, "feed M").
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


def likelihood_per_image(xhat, y, mask):
    """L(z) = 1/2 mean over observed entries (M = 1, every channel) of (M ⊙ x̂ − y)^2, per image."""
    r = (xhat * mask - y) * mask
    count = (mask.flatten(1).sum(1) * xhat.shape[1]).clamp(min=1)
    return 0.5 * r.pow(2).flatten(1).sum(1) / count


def dlnet_masked(net, y, mask, K=5, gamma=1e-3, beta1=0.9, beta2=0.999, create_graph=False, trace=None):
    z = net.g(y, mask)
    m = torch.zeros_like(z)
    v = torch.zeros_like(z)
    xhat = None
    for k in range(1, K + 1):
        if K > 1 and not z.requires_grad:
            z = z.requires_grad_(True)
        xhat = net.h(z)
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
