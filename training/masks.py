"""Masks of docs/protocols.md §1.2 and §1.3 for inpainting and interpolation. 1 = observed pixel, 0 = missing.

Sampling uses numpy's PCG64 generator; the TypeScript engine has its own seeded generator, so
evaluation degradations are drawn once here, saved, and reused by every model compared (docs/protocols.md §5.2).
"""
import numpy as np


def square_hole(size, side, max_shift, rng, centred=False):
    """One square hole of `side` px, centred with a random shift of up to ±max_shift px, kept inside."""
    m = np.ones((size, size), np.float32)
    if side <= 0:
        return m
    top = (size - side) // 2
    left = (size - side) // 2
    if not centred and max_shift > 0:
        top += int(rng.integers(-max_shift, max_shift + 1))
        left += int(rng.integers(-max_shift, max_shift + 1))
    top = min(max(top, 0), size - side)
    left = min(max(left, 0), size - side)
    m[top : top + side, left : left + side] = 0
    return m


def bernoulli(size, rate, rng):
    return (rng.random((size, size)) >= rate).astype(np.float32)


def sample_mask(task, regime, size, rng):
    """A training mask for the regime: reference = one fixed level, joint/dlnet = the whole range."""
    if task == "inpaint":
        if regime == "reference":
            return square_hole(size, 32, 0, rng, centred=True)
        return square_hole(size, int(rng.integers(1, 31)), 10, rng)
    if regime == "reference":
        return bernoulli(size, 0.75, rng)
    return bernoulli(size, float(rng.uniform(0, 0.75)), rng)


def photo_holes(size, rng):
    """A training mask for the photo inpainting network: what users paint. One square hole of 8..size·3/4
    px (half the masks), a few rectangles (a quarter), or brush strokes 4..24 px wide (a quarter)."""
    m = np.ones((size, size), np.float32)
    kind = rng.random()
    if kind < 0.5:
        side = int(rng.integers(8, size * 3 // 4 + 1))
        top, left = rng.integers(0, size - side + 1, 2)
        m[top : top + side, left : left + side] = 0
    elif kind < 0.75:
        for _ in range(int(rng.integers(2, 5))):
            hh, ww = rng.integers(4, size // 3 + 1, 2)
            top, left = rng.integers(0, size - hh + 1), rng.integers(0, size - ww + 1)
            m[top : top + hh, left : left + ww] = 0
    else:
        yy, xx = np.mgrid[0:size, 0:size]
        for _ in range(int(rng.integers(1, 4))):
            radius = rng.uniform(2, 12)
            p = rng.uniform(0, size, 2)
            for _ in range(int(rng.integers(3, 9))):
                q = np.clip(p + rng.normal(0, size / 4, 2), 0, size - 1)
                for t in np.linspace(0, 1, 12):
                    c = p + t * (q - p)
                    m[(yy - c[0]) ** 2 + (xx - c[1]) ** 2 <= radius**2] = 0
                p = q
    return m
