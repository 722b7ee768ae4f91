"""LR-level super-resolution networks split as f = h ∘ g (docs/protocols.md §2, §3): VDSR-style (SRNet), DRRN
and IDN; and the DL-Net module.

Layout NCHW, luma on the 0..1 scale. The network works at low resolution:
  g: [y, (u/3 map, bicubic-flag map) if conditioned] -> conv3x3 + ReLU, (depth-2) x (conv3x3 + ReLU),
     conv3x3 -> z (last hidden map, before its activation)
  h: ReLU(z) -> conv3x3 to t*t channels -> pixel shuffle -> + bicubic_up(y)   (global skip)
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from deconv import tikhonov_upsample
from degradations import bicubic_up, sr_degrade


class SRNet(nn.Module):
    skip_kind = "bicubic"

    def __init__(self, scale: int, depth: int = 16, width: int = 64, conditioned: bool = True, skip: str = "bicubic"):
        super().__init__()
        self.scale, self.depth, self.width, self.conditioned, self.skip_kind = scale, depth, width, conditioned, skip
        in_ch = (3 if conditioned else 1) + (scale * scale if skip == "deconv" else 0)
        self.convs = nn.ModuleList(
            [nn.Conv2d(in_ch, width, 3, padding=1)] + [nn.Conv2d(width, width, 3, padding=1) for _ in range(depth - 1)]
        )
        self.out = nn.Conv2d(width, scale * scale, 3, padding=1)
        with torch.no_grad():
            # He initialisation keeps activations O(1) through the plain ReLU stack (PyTorch's
            # default init shrinks them ~6x per layer: a 16-layer net then starts with no gradient).
            for conv in self.convs:
                nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
                conv.bias.zero_()
            self.out.weight.mul_(0.1)  # start near plain bicubic upsampling: the skip carries the image
            self.out.bias.zero_()

    def inputs(self, y, u):
        """Network input: y plus, when conditioned, the degradation maps (u/3, bicubic flag)."""
        if not self.conditioned:
            return y
        n, _, hh, ww = y.shape
        u = torch.as_tensor(u, dtype=y.dtype, device=y.device).reshape(-1, 1, 1, 1).expand(n, 1, hh, ww)
        return torch.cat([y, u / 3.0, (u == 0).to(y.dtype)], 1)

    def g(self, y, u, skip=None):
        a = self.inputs(y, u)
        if self.skip_kind == "deconv":  # g sees the skip it corrects, its t x t phases as LR channels
            skip = self.upsample(y, u) if skip is None else skip
            a = torch.cat([a, F.pixel_unshuffle(skip, self.scale)], 1)
        for conv in self.convs[:-1]:
            a = F.relu(conv(a))
        return self.convs[-1](a)

    def h(self, z, skip):
        r = F.pixel_shuffle(self.out(F.relu(z)), self.scale)
        return r + skip

    def upsample(self, y, u):
        """The global skip: bicubic upsampling, or (skip "deconv") the degradation's regularised inverse."""
        if self.skip_kind == "deconv":
            return tikhonov_upsample(y, self.scale, u)
        return bicubic_up(y, self.scale)

    def forward(self, y, u, skip=None):
        skip = self.upsample(y, u) if skip is None else skip
        return self.h(self.g(y, u, skip), skip)


class DRRN(SRNet):
    """DRRN at low resolution (docs/protocols.md §3, B1U<recursions>), the same h as SRNet:
      g: entry conv3x3 -> H0; H_u = H0 + B(lrelu(A(lrelu(H_{u-1})))) for u = 1..U, A and B shared
         (leaky ReLU 0.05); z = conv1x1 of [H_f, H_2f, ...] (f = fuse_every) to z_width channels
    """

    def __init__(self, scale: int, recursions: int = 9, width: int = 128, fuse_every: int = 3, z_width: int = 64,
                 conditioned: bool = True):
        nn.Module.__init__(self)
        self.scale, self.conditioned = scale, conditioned
        self.recursions, self.width, self.fuse_every, self.z_width = recursions, width, fuse_every, z_width
        in_ch = 3 if conditioned else 1
        self.entry = nn.Conv2d(in_ch, width, 3, padding=1)
        self.unit_a = nn.Conv2d(width, width, 3, padding=1)
        self.unit_b = nn.Conv2d(width, width, 3, padding=1)
        self.fuse = nn.Conv2d(width * (recursions // fuse_every), z_width, 1)
        self.out = nn.Conv2d(z_width, scale * scale, 3, padding=1)
        with torch.no_grad():
            for conv in (self.entry, self.unit_a, self.fuse):
                nn.init.kaiming_normal_(conv.weight, a=0.05, nonlinearity="leaky_relu")
                conv.bias.zero_()
            # The residual branch starts small so that H_u stays near H0 through the recursion.
            nn.init.kaiming_normal_(self.unit_b.weight, a=0.05, nonlinearity="leaky_relu")
            self.unit_b.weight.mul_(0.1)
            self.unit_b.bias.zero_()
            self.out.weight.mul_(0.1)
            self.out.bias.zero_()

    def g(self, y, u, skip=None):  # skip: the bicubic skip, which this g does not take as input
        h0 = self.entry(self.inputs(y, u))
        h, kept = h0, []
        for step in range(1, self.recursions + 1):
            h = h0 + self.unit_b(F.leaky_relu(self.unit_a(F.leaky_relu(h, 0.05)), 0.05))
            if step % self.fuse_every == 0:
                kept.append(h)
        return self.fuse(torch.cat(kept, 1))


class IDN(SRNet):
    """IDN (Hui et al. 2018) at low resolution, the same h as SRNet (docs/protocols.md §3):
      g: FBlock (two conv3x3 to 64, leaky ReLU 0.05), then `blocks` distillation blocks, each
         an enhancement unit (conv3x3 64->48, grouped 48->32, 32->64; 16 of those 64 channels are
         concatenated to the block input (80), the other 48 go through conv3x3 48->64, grouped
         64->48, 48->80, and the two 80-channel maps are added) and a 1x1 compression to 64;
         every conv followed by leaky ReLU 0.05 except the last compression, whose output is z.
    """

    def __init__(self, scale: int, blocks: int = 4, conditioned: bool = True):
        nn.Module.__init__(self)
        self.scale, self.conditioned, self.blocks = scale, conditioned, blocks
        in_ch = 3 if conditioned else 1
        self.fblock = nn.ModuleList([nn.Conv2d(in_ch, 64, 3, padding=1), nn.Conv2d(64, 64, 3, padding=1)])
        self.dblocks = nn.ModuleList()
        for _ in range(blocks):
            self.dblocks.append(nn.ModuleList([
                nn.Conv2d(64, 48, 3, padding=1), nn.Conv2d(48, 32, 3, padding=1, groups=4), nn.Conv2d(32, 64, 3, padding=1),
                nn.Conv2d(48, 64, 3, padding=1), nn.Conv2d(64, 48, 3, padding=1, groups=4), nn.Conv2d(48, 80, 3, padding=1),
                nn.Conv2d(80, 64, 1)]))
        self.out = nn.Conv2d(64, scale * scale, 3, padding=1)
        with torch.no_grad():
            for conv in [*self.fblock, *(c for b in self.dblocks for c in b)]:
                nn.init.kaiming_normal_(conv.weight, a=0.05, nonlinearity="leaky_relu")
                conv.bias.zero_()
            self.out.weight.mul_(0.1)
            self.out.bias.zero_()

    def g(self, y, u, skip=None):  # skip: the bicubic skip, which this g does not take as input
        act = lambda x: F.leaky_relu(x, 0.05)  # noqa: E731
        a = act(self.fblock[1](act(self.fblock[0](self.inputs(y, u)))))
        for i, (c1, c2, c3, c4, c5, c6, compress) in enumerate(self.dblocks):
            t = act(c3(act(c2(act(c1(a))))))
            kept = torch.cat([a, t[:, :16]], 1)
            t = act(c6(act(c5(act(c4(t[:, 16:]))))))
            a = compress(kept + t)
            if i < len(self.dblocks) - 1:
                a = act(a)
        return a


def build_sr_net(config):
    """The SR network a training config names (checkpoints keep their config)."""
    conditioned = not config.get("blind", False)
    if config.get("backbone") == "idn-lr":
        return IDN(config["scale"], config.get("blocks", 4), conditioned=conditioned)
    if config.get("backbone", "vdsr-lr") == "drrn-lr":
        return DRRN(config["scale"], config["recursions"], config["width"], config.get("fuse_every", 3), config.get("z_width", 64),
                    conditioned=conditioned)
    return SRNet(config["scale"], config["depth"], config["width"], conditioned=conditioned, skip=config.get("skip", "bicubic"))


def likelihood_per_image(xhat, y, scale, u):
    """L(z) = 1/2 mean over LR pixels of (W h(z) - y)^2, one value per image."""
    r = sr_degrade(xhat, scale, u) - y
    return 0.5 * r.pow(2).flatten(1).mean(1)


def dlnet_sr(net: SRNet, y, u, K=5, gamma=1e-3, beta1=0.9, beta2=0.999, create_graph=False, trace=None, skip=None):
    """The DL-Net module (docs/protocols.md §2). Returns x̂_K. With create_graph, gradients flow through all K steps (training).

    trace, if a list, receives (k, x̂_k, L(z_k) per image) for k = 1..K.
    u: float or per-sample tensor [N].
    """
    skip = net.upsample(y, u) if skip is None else skip
    z = net.g(y, u, skip)
    m = torch.zeros_like(z)
    v = torch.zeros_like(z)
    for k in range(1, K + 1):
        if k > 1 and not z.requires_grad:
            z = z.detach().requires_grad_(True)
        if K > 1 and not z.requires_grad:
            z = z.requires_grad_(True)
        xhat = net.h(z, skip)
        if k == K and trace is None:
            return xhat
        lik = likelihood_per_image(xhat, y, net.scale, u)
        if trace is not None:
            trace.append((k, xhat.detach(), lik.detach()))
        if k == K:
            return xhat
        (d,) = torch.autograd.grad(lik.sum(), z, create_graph=create_graph)
        m = beta1 * m + (1 - beta1) * d
        v = beta2 * v + (1 - beta2) * d * d
        mhat = m / (1 - beta1**k)
        vhat = v / (1 - beta2**k)
        z = z - gamma * mhat / torch.sqrt(torch.clamp(vhat, min=1e-16))
    return xhat
