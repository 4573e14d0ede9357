"""Toy data sets generated on the fly: 2-D point clouds for generative models.

Every generator returns a ``float32`` torch tensor of shape ``(n, 2)`` and is a
pure function of its arguments: the same ``seed`` gives the same points (a
private ``numpy.random.default_rng(seed)``; the global random state is never
touched). The clouds are *roughly standardized*: fixed affine constants,
chosen once from a large sample, put each coordinate at mean about 0 and
standard deviation about 1, so one network and one noise schedule fit them all
(a diffusion model's noise at the final step is ``N(0, I)``, on the same scale).
The constants do not depend on ``n``, so a small sample is a sub-sample in
distribution of a large one.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from dlbook.checks import check_choice, check_int, check_positive, check_seed

__all__ = ["two_moons", "swiss_roll", "eight_gaussians", "checkerboard", "DATASETS", "make"]


def _rng(n: int, seed: int) -> np.random.Generator:
    check_int("n", n, min_value=1)
    return np.random.default_rng(check_seed("seed", seed))


def _finish(points: np.ndarray, rng: np.random.Generator) -> torch.Tensor:
    """Shuffle rows (so any prefix is a fair sample) and return float32 torch."""
    points = points[rng.permutation(len(points))]
    return torch.from_numpy(np.ascontiguousarray(points, dtype=np.float32))


def two_moons(n: int, *, noise: float = 0.05, seed: int = 0) -> torch.Tensor:
    """Two interleaved half circles (as ``sklearn.datasets.make_moons``), standardized.

    A point on the upper moon is ``(cos s, sin s)``, on the lower
    ``(1 - cos s, 1/2 - sin s)``, with ``s ~ U[0, pi]``; isotropic Gaussian
    noise of std ``noise`` is added before standardizing by the fixed map
    ``((x - 0.5) / 0.87, (y - 0.25) / 0.5)``.
    """
    rng = _rng(n, seed)
    noise = check_positive("noise", noise, allow_zero=True)
    upper = rng.random(n) < 0.5
    s = rng.uniform(0.0, math.pi, size=n)
    x = np.where(upper, np.cos(s), 1.0 - np.cos(s))
    y = np.where(upper, np.sin(s), 0.5 - np.sin(s))
    points = np.stack([x, y], axis=1) + noise * rng.standard_normal((n, 2))
    points = (points - np.array([0.5, 0.25])) / np.array([0.87, 0.5])
    return _finish(points, rng)


def swiss_roll(n: int, *, noise: float = 0.25, seed: int = 0) -> torch.Tensor:
    """A 2-D spiral ``(s cos s, s sin s)`` with ``s ~ 1.5 pi (1 + 2 U[0, 1])``.

    Gaussian noise of std ``noise`` (in the spiral's own units, where the
    outer radius is about 14) is added, then everything is divided by 6.8
    and shifted so each coordinate has mean about 0 and std about 1.
    """
    rng = _rng(n, seed)
    noise = check_positive("noise", noise, allow_zero=True)
    s = 1.5 * math.pi * (1.0 + 2.0 * rng.random(n))
    points = np.stack([s * np.cos(s), s * np.sin(s)], axis=1)
    points = points + noise * rng.standard_normal((n, 2))
    points = (points - np.array([2.0, 0.2])) / 6.8
    return _finish(points, rng)


def eight_gaussians(n: int, *, radius: float = 1.4, std: float = 0.1, seed: int = 0) -> torch.Tensor:
    """A mixture of eight equally weighted Gaussians on a circle.

    Component ``k`` is centred at ``radius * (cos(k pi/4), sin(k pi/4))`` with
    covariance ``std**2 I``. The defaults give each coordinate a standard
    deviation of ``sqrt(radius**2 / 2 + std**2)``, about 1.
    """
    rng = _rng(n, seed)
    radius = check_positive("radius", radius)
    std = check_positive("std", std, allow_zero=True)
    k = rng.integers(0, 8, size=n)
    angle = k * (math.pi / 4)
    centres = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    points = centres + std * rng.standard_normal((n, 2))
    return _finish(points, rng)


def checkerboard(n: int, *, seed: int = 0) -> torch.Tensor:
    """Uniform on the dark squares of a 4 x 4 checkerboard of side ``2 sqrt(3)``.

    Both marginals are uniform on ``[-sqrt(3), sqrt(3)]`` (mean 0, std 1), but
    the joint density is zero on half the squares: a hard target with sharp
    edges.
    """
    rng = _rng(n, seed)
    col = rng.integers(0, 4, size=n)
    row = 2 * rng.integers(0, 2, size=n) + (col % 2)  # dark squares: row + col even
    cells = np.stack([col, row], axis=1) + rng.random((n, 2))
    points = (cells / 4.0 * 2.0 - 1.0) * math.sqrt(3.0)
    return _finish(points, rng)


#: Name -> generator, for lessons that loop over data sets.
DATASETS: dict[str, Callable[..., torch.Tensor]] = {
    "two_moons": two_moons,
    "swiss_roll": swiss_roll,
    "eight_gaussians": eight_gaussians,
    "checkerboard": checkerboard,
}


def make(name: str, n: int, *, seed: int = 0, **kwargs: float) -> torch.Tensor:
    """``DATASETS[name](n, seed=seed, **kwargs)`` with a clear error for an unknown name."""
    check_choice("name", name, sorted(DATASETS))
    return DATASETS[name](n, seed=seed, **kwargs)
