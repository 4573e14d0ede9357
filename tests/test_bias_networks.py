"""Tests for dlbook.bias_networks: homogeneity without biases, redundancy before BatchNorm."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbook.bias_networks import (
    best_homogeneous_mse_1d,
    bias_before_batchnorm_gap,
    bias_grad_before_batchnorm,
    fit_1d,
    homogeneity_gap,
    make_mlp,
)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), alpha=st.floats(1e-3, 1e3), depth=st.integers(1, 3), in_features=st.integers(1, 3))
def test_bias_free_relu_net_is_positively_homogeneous(seed, alpha, depth, in_features):
    torch.manual_seed(seed)
    net = make_mlp(False, in_features=in_features, hidden=16, depth=depth, seed=seed).double()
    x = torch.randn(32, in_features, dtype=torch.float64)
    with torch.no_grad():
        scale = float(net(x).abs().max()) * alpha + 1.0
    assert homogeneity_gap(net, x, alpha) <= 1e-12 * scale
    with torch.no_grad():
        assert float(net(torch.zeros(1, in_features, dtype=torch.float64)).abs()) == 0.0


@pytest.mark.parametrize("seed", range(3))
def test_biased_net_is_not_homogeneous(seed):
    net = make_mlp(True, seed=seed)
    x = np.random.default_rng(seed).normal(size=(32, 1))
    assert homogeneity_gap(net, x, 2.0) > 1e-3


def test_make_mlp_is_seeded_and_bias_flag_is_honoured():
    a, b = make_mlp(True, seed=5), make_mlp(True, seed=5)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    free = make_mlp(False, seed=5)
    assert all(m.bias is None for m in free if isinstance(m, torch.nn.Linear))
    state = torch.random.get_rng_state()
    make_mlp(True, seed=1)
    assert torch.equal(state, torch.random.get_rng_state())  # global RNG untouched


def test_best_homogeneous_mse_matches_least_squares_reference():
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, 100)
    y = np.abs(x - 1) + 0.1 * rng.normal(size=100)
    features = np.c_[np.maximum(x, 0), np.maximum(-x, 0)]  # every homogeneous f(x) in 1-D
    coef, *_ = np.linalg.lstsq(features, y, rcond=None)
    ref = np.mean((features @ coef - y) ** 2)
    assert best_homogeneous_mse_1d(x, y) == pytest.approx(ref)
    # a constant offset is out of reach too: f(0) = 0 while the target is 1 there
    assert best_homogeneous_mse_1d(np.linspace(-1, 1, 51), np.ones(51)) > 0.2


def test_bias_fits_abs_x_minus_1_and_bias_free_cannot():
    x = np.linspace(-3, 3, 120)
    y = np.abs(x - 1)
    floor = best_homogeneous_mse_1d(x, y)
    free = fit_1d(x, y, bias=False, steps=600, seed=0)
    biased = fit_1d(x, y, bias=True, steps=600, seed=0)
    assert floor > 0.15
    assert free.final_loss >= floor - 1e-6 and free.final_loss > 0.15
    assert biased.final_loss < 0.01
    assert len(biased.losses) == 600
    assert biased(np.array([1.0])).shape == (1,)
    assert abs(float(free(np.array([0.0]))[0])) == 0.0


@pytest.mark.parametrize("seed", range(4))
def test_bias_before_batchnorm_cancels(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(16, 5))
    bias = rng.normal(scale=10.0, size=4)
    assert bias_before_batchnorm_gap(x, bias, seed=seed) < 1e-10


@pytest.mark.parametrize("seed", range(3))
def test_bias_before_batchnorm_gets_zero_gradient(seed):
    x = np.random.default_rng(seed).normal(size=(16, 3))
    assert bias_grad_before_batchnorm(x, seed=seed) < 1e-12
    # the weights, by contrast, do get a gradient: the zero is specific to the bias
    torch.manual_seed(seed)
    linear = torch.nn.Linear(3, 4, dtype=torch.float64)
    bn = torch.nn.BatchNorm1d(4, dtype=torch.float64)
    (bn(linear(torch.as_tensor(x))) * torch.randn(16, 4, dtype=torch.float64)).sum().backward()
    assert float(linear.weight.grad.abs().max()) > 1e-3


def test_functions_reject_bad_input():
    with pytest.raises(TypeError, match="bias"):
        make_mlp("yes")
    with pytest.raises(ValueError, match="hidden"):
        make_mlp(True, hidden=0)
    with pytest.raises(ValueError, match="alpha"):
        homogeneity_gap(make_mlp(False), np.ones((2, 1)), -1.0)
    with pytest.raises(TypeError, match="model"):
        homogeneity_gap(lambda t: t, np.ones((2, 1)), 2.0)
    with pytest.raises(ValueError, match="x and y"):
        fit_1d(np.ones(3), np.ones(4), bias=True)
    with pytest.raises(ValueError, match="steps"):
        fit_1d(np.ones(3), np.ones(3), bias=True, steps=0)
    with pytest.raises(ValueError, match="x and y"):
        best_homogeneous_mse_1d(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match="bias"):
        bias_before_batchnorm_gap(np.ones((4, 2)), np.ones(3), out_features=2)
    with pytest.raises(ValueError, match="x"):
        bias_before_batchnorm_gap(np.ones((1, 2)), np.ones(3))
    with pytest.raises(ValueError, match="x"):
        bias_grad_before_batchnorm(np.ones((1, 2)))
    with pytest.raises(ValueError, match="out_features"):
        bias_grad_before_batchnorm(np.ones((3, 2)), out_features=0)
