"""Tests for dlbook.metrics: sliced Wasserstein against SciPy's 1-D Wasserstein."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import wasserstein_distance

from dlbook.metrics import random_directions, sliced_wasserstein, wasserstein_1d

finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=1, max_size=30), st.lists(finite, min_size=1, max_size=30))
def test_wasserstein_1d_matches_scipy(u, v):
    assert wasserstein_1d(u, v) == pytest.approx(wasserstein_distance(u, v), rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("n,m", [(50, 50), (37, 80), (1, 9)])
def test_sliced_wasserstein_in_1d_is_wasserstein(n, m):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=n), rng.exponential(size=m)
    expected = wasserstein_distance(a, b)
    assert sliced_wasserstein(a, b, n_projections=8) == pytest.approx(expected, rel=1e-12)
    assert sliced_wasserstein(a[:, None], b[:, None]) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("n,m", [(200, 200), (150, 260)])
def test_sliced_wasserstein_is_mean_of_projected_scipy_distances(n, m):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(n, 3)), rng.normal(size=(m, 3)) * [1.0, 2.0, 0.5] + 0.3
    theta = random_directions(16, 3, seed=4)
    expected = np.mean([wasserstein_distance(a @ th, b @ th) for th in theta])
    assert sliced_wasserstein(a, b, n_projections=16, seed=4) == pytest.approx(expected, rel=1e-10)


def test_directions_are_unit_vectors_and_seeded():
    theta = random_directions(100, 5, seed=2)
    assert theta.shape == (100, 5)
    np.testing.assert_allclose(np.linalg.norm(theta, axis=1), 1.0)
    np.testing.assert_array_equal(theta, random_directions(100, 5, seed=2))


def test_identity_symmetry_and_shift():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(300, 2))
    b = rng.normal(size=(300, 2))
    assert sliced_wasserstein(a, a) == 0.0
    assert sliced_wasserstein(a, b) == pytest.approx(sliced_wasserstein(b, a))
    shift = np.array([3.0, -4.0])
    theta = random_directions(256, 2, seed=0)
    # a pure translation moves every projection by theta . shift
    assert sliced_wasserstein(a, a + shift) == pytest.approx(np.abs(theta @ shift).mean())
    # E|theta . v| over the circle is 2|v|/pi
    assert sliced_wasserstein(a, a + shift, n_projections=20_000) == pytest.approx(2 * 5 / np.pi, rel=0.02)


def test_accepts_torch_and_shrinks_with_sample_size():
    gen = torch.Generator().manual_seed(0)
    small = sliced_wasserstein(torch.randn(100, 2, generator=gen), torch.randn(100, 2, generator=gen))
    large = sliced_wasserstein(torch.randn(10_000, 2, generator=gen), torch.randn(10_000, 2, generator=gen))
    assert large < small / 3


def test_bad_inputs():
    a = np.zeros((10, 2))
    with pytest.raises(ValueError, match="dimension"):
        sliced_wasserstein(a, np.zeros((10, 3)))
    with pytest.raises(ValueError, match="a must"):
        sliced_wasserstein(np.zeros((2, 3, 4)), a)
    with pytest.raises(ValueError, match="b must"):
        sliced_wasserstein(a, np.full((4, 2), np.nan))
    with pytest.raises(ValueError, match="a must"):
        sliced_wasserstein(np.zeros((0, 2)), a)
    with pytest.raises(ValueError, match="n_projections"):
        sliced_wasserstein(a, a, n_projections=0)
    with pytest.raises(TypeError, match="n_projections"):
        sliced_wasserstein(a, a, n_projections=2.0)
    with pytest.raises(ValueError, match="u must"):
        wasserstein_1d(np.zeros((2, 2)), [1.0])
    with pytest.raises(ValueError, match="non-empty"):
        wasserstein_1d([], [1.0])
