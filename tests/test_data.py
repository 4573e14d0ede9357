"""Tests for dlbook.data: shapes, determinism, scale, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from dlbook import data

GENERATORS = list(data.DATASETS.items())


@pytest.mark.parametrize("name,make", GENERATORS)
def test_shape_dtype_and_determinism(name, make):
    x = make(300, seed=5)
    assert x.shape == (300, 2) and x.dtype == torch.float32
    assert torch.isfinite(x).all()
    assert torch.equal(x, make(300, seed=5))
    assert not torch.equal(x, make(300, seed=6))


@pytest.mark.parametrize("name,make", GENERATORS)
def test_roughly_standardized(name, make):
    x = make(20_000, seed=0)
    assert x.mean(0).abs().max() < 0.1
    assert ((x.std(0) - 1).abs() < 0.1).all()


@pytest.mark.parametrize("name,make", GENERATORS)
def test_global_rng_untouched(name, make):
    torch.manual_seed(0)
    np.random.seed(0)
    a = (torch.rand(1), np.random.rand())
    torch.manual_seed(0)
    np.random.seed(0)
    make(50, seed=3)
    assert (torch.rand(1), np.random.rand()) == a


def test_eight_gaussians_lie_near_eight_centres():
    x = data.eight_gaussians(4000, radius=1.4, std=0.05, seed=1).double().numpy()
    angles = np.arange(8) * math.pi / 4
    centres = 1.4 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    dist = np.linalg.norm(x[:, None, :] - centres[None], axis=2)
    nearest = dist.argmin(1)
    assert dist.min(1).max() < 0.05 * 6
    counts = np.bincount(nearest, minlength=8)
    assert counts.min() > 4000 / 8 * 0.8


def test_checkerboard_only_on_dark_squares():
    x = data.checkerboard(5000, seed=2).double().numpy()
    cell = np.floor((x / math.sqrt(3) + 1) / 2 * 4).astype(int)
    assert ((cell >= 0) & (cell <= 3)).all()
    assert ((cell[:, 0] + cell[:, 1]) % 2 == 0).all()


def test_two_moons_noise_zero_lies_on_circles():
    x = data.two_moons(1000, noise=0.0, seed=0).double().numpy()
    raw = x * np.array([0.87, 0.5]) + np.array([0.5, 0.25])
    r_upper = np.hypot(raw[:, 0], raw[:, 1])
    r_lower = np.hypot(raw[:, 0] - 1, raw[:, 1] - 0.5)
    assert np.minimum(abs(r_upper - 1), abs(r_lower - 1)).max() < 1e-5


def test_make_dispatches_and_rejects_unknown_names():
    assert torch.equal(data.make("swiss_roll", 10, seed=1), data.swiss_roll(10, seed=1))
    with pytest.raises(ValueError, match="name"):
        data.make("spiral", 10)


@pytest.mark.parametrize("name,make", GENERATORS)
@pytest.mark.parametrize("n", [0, -3])
def test_bad_n_is_a_value_error(name, make, n):
    with pytest.raises(ValueError, match="n must"):
        make(n)


@pytest.mark.parametrize("name,make", GENERATORS)
def test_non_integer_n_is_a_type_error(name, make):
    with pytest.raises(TypeError, match="n must"):
        make(2.5)


@pytest.mark.parametrize("name,make", GENERATORS)
def test_bad_seed(name, make):
    with pytest.raises(ValueError, match="seed"):
        make(10, seed=-1)


def test_bad_shape_parameters():
    with pytest.raises(ValueError, match="noise"):
        data.two_moons(10, noise=-0.1)
    with pytest.raises(ValueError, match="noise"):
        data.swiss_roll(10, noise=float("nan"))
    with pytest.raises(ValueError, match="radius"):
        data.eight_gaussians(10, radius=0.0)
    with pytest.raises(ValueError, match="std"):
        data.eight_gaussians(10, std=-1.0)
