"""Tests for dlbook.activations against torch.nn.functional, the papers' numbers and LLaMA's code."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import lambertw

from dlbook import activations as A

# |x| up to 1e4, both signs, zero and the region where the curves bend.
GRID = [
    -1e4,
    -1e3,
    -100.0,
    -30.0,
    -10.0,
    -3.0,
    -1.0,
    -0.1,
    -1e-3,
    0.0,
    1e-3,
    0.1,
    1.0,
    3.0,
    10.0,
    30.0,
    100.0,
    1e3,
    1e4,
]
DTYPES = {torch.float32: dict(rtol=1e-5, atol=1e-6), torch.float64: dict(rtol=1e-10, atol=1e-12)}

#: ours, torch's (same name in the tests' ids)
REFERENCES = {
    "sigmoid": (A.sigmoid, torch.sigmoid),
    "tanh": (A.tanh, torch.tanh),
    "relu": (A.relu, F.relu),
    "leaky_relu": (A.leaky_relu, F.leaky_relu),
    "leaky_relu_0.2": (lambda x: A.leaky_relu(x, slope=0.2), lambda x: F.leaky_relu(x, 0.2)),
    "elu": (A.elu, F.elu),
    "elu_0.5": (lambda x: A.elu(x, alpha=0.5), lambda x: F.elu(x, alpha=0.5)),
    "selu": (A.selu, F.selu),
    "gelu": (A.gelu, F.gelu),
    "gelu_tanh": (A.gelu_tanh, lambda x: F.gelu(x, approximate="tanh")),
    "swish": (A.swish, F.silu),
    "softplus": (A.softplus, F.softplus),
    "softplus_2": (lambda x: A.softplus(x, beta=2.0), lambda x: F.softplus(x, beta=2.0)),
    "mish": (A.mish, F.mish),
}


def value_and_grad(fn, x):
    x = x.detach().clone().requires_grad_()
    y = fn(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    return y.detach(), g


@pytest.mark.parametrize("dtype", list(DTYPES), ids=str)
@pytest.mark.parametrize("name", list(REFERENCES))
def test_each_activation_equals_torch_with_its_gradient_at_extremes(name, dtype):
    ours, theirs = REFERENCES[name]
    x = torch.tensor(GRID, dtype=dtype)
    y, g = value_and_grad(ours, x)
    y_ref, g_ref = value_and_grad(theirs, x)
    assert y.dtype == dtype and torch.isfinite(y).all() and torch.isfinite(g).all()
    # softplus: torch switches to y = x above beta x = 20, an error of e^-20 relative
    tol = dict(DTYPES[dtype], rtol=3e-9) if name.startswith("softplus") and dtype == torch.float64 else DTYPES[dtype]
    torch.testing.assert_close(y, y_ref, **tol)
    torch.testing.assert_close(g, g_ref, **tol)


@pytest.mark.parametrize("dtype", list(DTYPES), ids=str)
@pytest.mark.parametrize("name", list(REFERENCES))
def test_each_activation_keeps_its_relative_accuracy_near_zero(name, dtype):
    # tiny |x|: an absolute tolerance would hide a formula that cancels (2 sigma(2x) - 1 gives tanh(1e-8) = 0)
    ours, theirs = REFERENCES[name]
    x = torch.tensor([-1e-7, -1e-12, -1e-30, 1e-30, 1e-12, 1e-8, 1e-5], dtype=dtype)
    rtol = 1e-5 if dtype == torch.float32 else 1e-12
    torch.testing.assert_close(ours(x), theirs(x), rtol=rtol, atol=0.0)


@settings(max_examples=50)
@given(st.lists(st.floats(-50, 50), min_size=1, max_size=20))
def test_activations_equal_torch_on_random_inputs(values):
    x = torch.tensor(values, dtype=torch.float64)
    for ours, theirs in REFERENCES.values():
        torch.testing.assert_close(ours(x), theirs(x), rtol=1e-9, atol=1e-12)


def test_step_is_the_threshold_unit_and_has_zero_gradient():
    x = torch.tensor(GRID, dtype=torch.float64)
    y, g = value_and_grad(A.step, x)
    assert torch.equal(y, (x >= 0).double())
    assert torch.equal(g, torch.zeros_like(x))


@settings(max_examples=30)
@given(st.floats(0.1, 20.0))
def test_swish_limits(beta):
    x = torch.linspace(-6, 6, 241, dtype=torch.float64)
    # beta -> infinity: ReLU, within the tail x sigma(-beta |x|) <= 1 / (e beta)
    assert (A.swish(x, beta=1e4) - A.relu(x)).abs().max() <= 1 / (math.e * 1e4)
    # swish_beta(x) = x sigma(beta x) by definition, against torch
    torch.testing.assert_close(A.swish(x, beta=beta), x * torch.sigmoid(beta * x))


def test_gelu_tanh_error_and_the_1702_sigmoid_approximation():
    x = torch.linspace(-8, 8, 160_001, dtype=torch.float64)
    err = (A.gelu_tanh(x) - A.gelu(x)).abs()
    assert abs(float(err.max()) - 4.73e-4) < 5e-6
    assert abs(abs(float(x[err.argmax()])) - 2.70) < 0.02
    err_sig = (A.swish(x, beta=1.702) - A.gelu(x)).abs().max()
    assert abs(float(err_sig) - 0.020) < 5e-4


def test_silu_minimum_matches_lambert_w_and_a_grid_search():
    x_star, y_star = A.silu_minimum()
    w = float(lambertw(1 / math.e).real)
    assert x_star == pytest.approx(-1 - w) and y_star == pytest.approx(-0.27846, abs=1e-5)
    x = torch.linspace(-3, 0, 300_001, dtype=torch.float64)
    y = A.swish(x)
    assert float(y.min()) == pytest.approx(y_star, abs=1e-10)
    assert float(x[y.argmin()]) == pytest.approx(x_star, abs=1e-5)


# ----------------------------------------------------------------------------- gated feed-forward layers


@pytest.mark.parametrize("kind", A.FFN_KINDS)
def test_gated_ffn_matches_its_formula(kind):
    torch.manual_seed(0)
    ffn = A.GatedFFN(6, 9, kind).double()
    x = torch.randn(4, 3, 6, dtype=torch.float64)
    w1, w2 = ffn.w1.weight, ffn.w2.weight
    act = {
        "relu": F.relu,
        "gelu": F.gelu,
        "swish": F.silu,
        "glu": torch.sigmoid,
        "bilinear": lambda h: h,
        "reglu": F.relu,
        "geglu": F.gelu,
        "swiglu": F.silu,
    }[kind]
    h = act(x @ w1.T)
    if kind in A.GATED_KINDS:
        h = h * (x @ ffn.w3.weight.T)
    torch.testing.assert_close(ffn(x), h @ w2.T)
    n_mats = 3 if kind in A.GATED_KINDS else 2
    assert sum(p.numel() for p in ffn.parameters()) == n_mats * 6 * 9
    assert all(not isinstance(m, torch.nn.Linear) or m.bias is None for m in ffn.modules())


def test_glu_kind_equals_torch_glu():
    # F.glu(a, b) = a * sigmoid(b) on the two halves; ours is sigmoid(x W1) * x W3
    torch.manual_seed(1)
    ffn = A.GatedFFN(5, 7, "glu").double()
    x = torch.randn(8, 5, dtype=torch.float64)
    both = torch.cat([ffn.w3(x), ffn.w1(x)], dim=-1)
    torch.testing.assert_close(ffn(x), ffn.w2(F.glu(both, dim=-1)))


@pytest.mark.parametrize("d_ff", [64, 96, 100, 3072, 4 * 4096, 12_345])
def test_matched_d_ff_keeps_the_parameter_count_within_one_percent(d_ff):
    d = 16
    ungated = sum(p.numel() for p in A.GatedFFN(d, d_ff, "relu").parameters()) if d_ff < 5000 else 2 * d * d_ff
    gated = 3 * d * A.matched_d_ff(d_ff)
    assert abs(gated / ungated - 1) < 0.01
    assert A.matched_d_ff(3072) == 2048  # Shazeer 2020


def test_the_lessons_table_quotes_shazeer_table1_as_the_library_holds_it():
    # the page's Markdown table and SHAZEER_TABLE1 (which the page computes its gaps from) must agree
    import nbformat

    notebook = Path(__file__).resolve().parents[1] / "chapters/05-activations/activations.ipynb"
    text = "\n".join(c.source for c in nbformat.read(notebook, 4).cells if c.cell_type == "markdown")
    rows = re.findall(r"^\| (\w+) \| ([\d.]+) \(([\d.]+)\) \| ([\d.]+) \|$", text, flags=re.M)
    quoted = {name.lower(): tuple(float(v) for v in values) for name, *values in rows}
    assert quoted == A.SHAZEER_TABLE1


def test_llama_ffn_dim_reproduces_the_published_sizes():
    # LLaMA 7B / 13B / 33B hidden sizes, llama2.c's stories15M (multiple_of 32),
    # and LLaMA 2 70B (params.json: multiple_of 4096, ffn_dim_multiplier 1.3)
    assert A.llama_ffn_dim(4096) == 11008
    assert A.llama_ffn_dim(5120) == 13824
    assert A.llama_ffn_dim(6656) == 17920
    assert A.llama_ffn_dim(288, multiple_of=32) == 768
    assert A.llama_ffn_dim(8192, multiple_of=4096, ffn_dim_multiplier=1.3) == 28672


@given(st.integers(1, 20_000), st.integers(1, 512))
def test_llama_ffn_dim_is_the_smallest_multiple_above_two_thirds(dim, multiple_of):
    got = A.llama_ffn_dim(dim, multiple_of=multiple_of)
    target = int(8 * dim / 3)
    assert got % multiple_of == 0 and target <= got < target + multiple_of


# ----------------------------------------------------------------------------- measurements


def test_best_linear_accuracy_on_xor_and_on_separable_data():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    assert A.best_linear_accuracy(X, np.array([0, 1, 1, 0])) == 0.75
    assert A.best_linear_accuracy(X, np.array([0, 1, 1, 1])) == 1.0  # OR
    # against a dense search over lines: never better than the exact answer, and it reaches it
    rng = np.random.default_rng(0)
    Xr, yr = rng.normal(size=(7, 2)), rng.integers(0, 2, size=7)
    best = A.best_linear_accuracy(Xr, yr)
    angles = np.linspace(0, 2 * np.pi, 3601)
    W = np.c_[np.cos(angles), np.sin(angles)]  # (angles, 2)
    scores = Xr @ W.T  # (7, angles)
    search = 0.0
    for b in np.unique(np.r_[scores.ravel(), scores.ravel() + 1e-9, scores.ravel() - 1e-9]):
        search = max(search, float(((scores - b > 0) == yr[:, None]).mean(axis=0).max()))
    assert search == pytest.approx(best)


def test_sigmoid_gradient_vanishes_at_depth_but_relu_does_not():
    sig = A.layer_grad_norms("sigmoid", depth=20, seed=0)
    relu = A.layer_grad_norms("relu", depth=20, seed=0)
    assert sig.shape == relu.shape == (20,)
    assert sig[0] < 1e-6 * relu[0]
    assert sig[0] < 1e-6 * sig[-1]


def test_born_dead_fraction_grows_with_depth_and_leaky_relu_never_dies():
    fractions = [A.born_dead_fraction(d, 2, n_nets=500, seed=0) for d in (1, 5, 20)]
    assert fractions[0] < fractions[1] < fractions[2]
    assert A.born_dead_fraction(20, 2, n_nets=500, slope=0.01) == 0.0
    # one layer of width 1 on inputs of dimension 1: dead iff the weight is negative and
    # every probe positive, or the reverse; with 2 probes of random sign that is 1/2 * 1/2
    assert A.born_dead_fraction(1, 1, n_nets=20_000, n_inputs=2) == pytest.approx(0.25, abs=0.015)


def test_checkerboard_labels_are_the_colour_of_the_square():
    x, y = A.checkerboard_labels(1000, cells=2, seed=0)
    assert torch.equal(y, ((x[:, 0] > 0) != (x[:, 1] > 0)).float())  # XOR of the signs


def test_train_ffn_classifier_matches_parameter_counts_and_learns():
    relu = A.train_ffn_classifier("relu", steps=200, seed=0)
    swiglu = A.train_ffn_classifier("swiglu", steps=200, seed=0)
    assert abs(swiglu["params"] / relu["params"] - 1) < 0.01
    for run in (relu, swiglu):
        assert run["accuracy"] > 0.75 and run["test_loss"] < math.log(2)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("name", [n for n in A.ACTIVATIONS])
def test_activations_take_any_shape_like_torch(name):
    fn = A.ACTIVATIONS[name]
    for x in (torch.tensor(0.5), torch.full((2, 3, 4), -0.5)):
        assert fn(x).shape == x.shape


@pytest.mark.parametrize("name", [n for n in A.ACTIVATIONS])
def test_activations_refuse_what_is_not_a_float_tensor(name):
    fn = A.ACTIVATIONS[name]
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        fn([1.0, 2.0])
    with pytest.raises(TypeError, match="x must be a floating-point tensor"):
        fn(torch.tensor([1, 2]))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: A.leaky_relu(torch.ones(2), slope=-0.1), "slope"),
        (lambda: A.elu(torch.ones(2), alpha=0.0), "alpha"),
        (lambda: A.swish(torch.ones(2), beta=0.0), "beta"),
        (lambda: A.softplus(torch.ones(2), beta=-1.0), "beta"),
        (lambda: A.GatedFFN(4, 8, "tanh"), "kind"),
        (lambda: A.GatedFFN(4, 0, "relu"), "d_ff"),
        (lambda: A.GatedFFN(0, 4, "relu"), "d_model"),
        (lambda: A.GatedFFN(4, 8, "relu")(torch.ones(2, 3)), "x must have d_model"),
        (lambda: A.matched_d_ff(0), "d_ff"),
        (lambda: A.llama_ffn_dim(4096, multiple_of=0), "multiple_of"),
        (lambda: A.llama_ffn_dim(4096, ffn_dim_multiplier=0.0), "ffn_dim_multiplier"),
        (lambda: A.llama_ffn_dim(0), "dim"),
        (lambda: A.layer_grad_norms("step", depth=3), "activation"),
        (lambda: A.born_dead_fraction(3, 2, slope=-1.0), "slope"),
        (lambda: A.best_linear_accuracy(np.ones((3, 2)), np.array([0, 2, 1])), "y must hold"),
        (lambda: A.best_linear_accuracy(np.ones((13, 2)), np.zeros(13)), "at most 12"),
    ],
)
def test_bad_arguments_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_matched_d_ff_refuses_a_float():
    with pytest.raises(TypeError, match="d_ff must be an int"):
        A.matched_d_ff(3072.0)
