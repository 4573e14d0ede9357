"""Tests for dlbook.bias_networks: homogeneity without biases, redundancy before BatchNorm."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbook.bias_networks import (
    ACTIVATIONS,
    best_homogeneous_mse_1d,
    bias_before_batchnorm_gap,
    bias_grad_before_batchnorm,
    bias_norms_before_batchnorm,
    fit_1d,
    homogeneity_gap,
    make_mlp,
    make_prenorm_residual,
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


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_homogeneity_needs_a_positively_homogeneous_activation(activation):
    net = make_mlp(False, activation=activation, in_features=3, seed=0).double()
    x = torch.randn(64, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    gaps = [homogeneity_gap(net, x, alpha) for alpha in (0.1, 3.0)]
    if activation in ("relu", "leaky_relu"):
        assert max(gaps) < 1e-12
    else:  # GELU and SiLU bend smoothly around 0: act(alpha z) != alpha act(z)
        assert min(gaps) > 1e-3


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_rms_norm_makes_a_bias_free_net_scale_invariant(activation):
    net = make_mlp(False, activation=activation, rms_norm=True, in_features=3, seed=1).double()
    assert sum(isinstance(m, torch.nn.RMSNorm) for m in net) == 3  # before each of the 3 linear layers
    x = torch.randn(64, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    for alpha in (0.5, 3.0, 100.0):
        assert homogeneity_gap(net, x, alpha, degree=0) < 1e-10  # f(alpha x) = f(x)
        assert homogeneity_gap(net, x, alpha, degree=1) > 1e-2  # not alpha f(x)
    biased = make_mlp(True, activation=activation, rms_norm=True, in_features=3, seed=1).double()
    assert homogeneity_gap(biased, x, 3.0, degree=0) < 1e-10  # the first norm already drops the scale


@pytest.mark.parametrize("activation", ["relu", "silu"])
def test_prenorm_residual_net_is_neither_homogeneous_nor_scale_invariant(activation):
    net = make_prenorm_residual(activation=activation, in_features=3, seed=0).double()
    assert all(m.bias is None for m in net.modules() if isinstance(m, torch.nn.Linear))
    x = torch.randn(64, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    for alpha in (0.5, 2.0):
        assert homogeneity_gap(net, x, alpha, degree=1) > 1e-2
        assert homogeneity_gap(net, x, alpha, degree=0) > 1e-2
    # each block alone is scale-invariant in its input, up to the skip path: block(a h) - a h = block(h) - h
    block, h = net[1], torch.randn(8, 16, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(block(3.0 * h) - 3.0 * h, block(h) - h)
    with pytest.raises(ValueError, match="n_blocks"):
        make_prenorm_residual(n_blocks=0)


def test_bias_free_silu_net_fits_below_the_homogeneous_floor():
    x = np.linspace(-3, 3, 120)
    y = np.abs(x - 1)
    silu = fit_1d(x, y, bias=False, activation="silu", steps=600, seed=0)
    assert silu.final_loss < 0.5 * best_homogeneous_mse_1d(x, y)


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


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
def test_only_weight_decay_moves_a_bias_before_batchnorm(optimizer):
    x = np.random.default_rng(0).normal(size=(16, 3))
    still = bias_norms_before_batchnorm(x, optimizer=optimizer, lr=0.1, steps=40)
    assert len(still) == 41 and np.max(np.abs(still - still[0])) < 1e-8 * still[0]
    decayed = bias_norms_before_batchnorm(x, optimizer=optimizer, weight_decay=0.2, lr=0.1, steps=40)
    assert decayed[-1] < 0.5 * decayed[0]
    if optimizer != "adam":  # SGD's L2 gradient and AdamW's decoupled decay shrink it by (1 - lr wd) a step
        np.testing.assert_allclose(decayed, decayed[0] * 0.98 ** np.arange(41), rtol=1e-7)


def test_adam_moves_a_bias_before_batchnorm_in_float32_only():
    x = np.random.default_rng(1).normal(size=(32, 6))
    f32 = {opt: bias_norms_before_batchnorm(x, optimizer=opt, dtype="float32") for opt in ("sgd", "adam")}
    f64 = bias_norms_before_batchnorm(x, optimizer="adam", dtype="float64")
    assert np.max(np.abs(f64 - f64[0])) < 1e-8 * f64[0]
    assert np.max(np.abs(f32["sgd"] - f32["sgd"][0])) < 1e-5 * f32["sgd"][0]  # SGD: steps of lr * 1e-8
    assert np.max(np.abs(f32["adam"] - f32["adam"][0])) > 0.1 * f32["adam"][0]  # Adam: rounding noise / eps


def test_adam_weight_decay_speed_does_not_depend_on_the_coefficient():
    x = np.random.default_rng(1).normal(size=(32, 6))
    a, b = (bias_norms_before_batchnorm(x, optimizer="adam", weight_decay=wd) for wd in (0.1, 0.01))
    np.testing.assert_allclose(a[:20], b[:20], rtol=1e-3)
    assert np.any(np.diff(a) > 0)  # it overshoots 0 and comes back: not a monotone decay


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
    with pytest.raises(ValueError, match="activation"):
        make_mlp(False, activation="tanh")
    with pytest.raises(TypeError, match="rms_norm"):
        make_mlp(False, rms_norm=1)
    with pytest.raises(ValueError, match="degree"):
        homogeneity_gap(make_mlp(False), np.ones((2, 1)), 2.0, degree=-1)
    with pytest.raises(ValueError, match="optimizer"):
        bias_norms_before_batchnorm(np.ones((3, 2)), optimizer="rmsprop")
    with pytest.raises(ValueError, match="weight_decay"):
        bias_norms_before_batchnorm(np.ones((3, 2)), weight_decay=-0.1)
    with pytest.raises(ValueError, match="x"):
        bias_norms_before_batchnorm(np.ones((1, 2)))
    with pytest.raises(ValueError, match="dtype"):
        bias_norms_before_batchnorm(np.ones((3, 2)), dtype="float16")
    with pytest.raises(ValueError, match="activation"):
        fit_1d(np.ones(3), np.ones(3), bias=False, activation="tanh")
