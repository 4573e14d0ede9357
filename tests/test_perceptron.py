"""Tests for dlbook.perceptron: threshold units and the perceptron."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import Perceptron

from dlbook.perceptron import (
    augment,
    convergence_bound,
    frozen_threshold_bound,
    margin,
    origin_surrounded,
    perceptron_step,
    predict,
    separable_blobs,
    threshold_unit,
    train_perceptron,
)

SEEDS = range(6)


# --- the threshold unit is step(w . x + b) with b = -T ----------------------------


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), d=st.integers(1, 5), T=st.floats(-10, 10, allow_nan=False))
def test_threshold_unit_equals_bias_form(seed, n, d, T):
    rng = np.random.default_rng(seed)
    X, w = rng.normal(size=(n, d)), rng.normal(size=d)
    np.testing.assert_array_equal(threshold_unit(X, w, T), predict(X, w, -T))


def test_threshold_unit_matches_definition_and_ties_fire():
    X = np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    w = np.array([1.0, 1.0])
    np.testing.assert_array_equal(threshold_unit(X, w, 1.0), [1, 1, 0])  # 1 >= 1 fires
    np.testing.assert_array_equal(threshold_unit(X, w, 2.0), [1, 0, 0])
    assert threshold_unit(X, w, 0.0).dtype.kind == "i"


@pytest.mark.parametrize("seed", SEEDS)
def test_larger_threshold_fires_on_a_subset(seed):
    rng = np.random.default_rng(seed)
    X, w = rng.normal(size=(200, 3)), rng.normal(size=3)
    counts = [threshold_unit(X, w, T).sum() for T in np.linspace(-3, 3, 13)]
    assert all(a >= b for a, b in pairwise(counts))
    low, high = threshold_unit(X, w, -0.5), threshold_unit(X, w, 0.5)
    assert np.all(high <= low)


def test_bias_moves_boundary_to_distance_minus_b_over_norm_w():
    w, b = np.array([3.0, 4.0]), -10.0  # boundary at distance 2 along w / ||w||
    u = w / np.linalg.norm(w)
    assert predict((2.0 + 1e-9) * u[None], w, b)[0] == 1
    assert predict((2.0 - 1e-9) * u[None], w, b)[0] == 0
    assert predict(np.zeros((1, 2)), w, 0.0)[0] == 1  # no bias: the origin is always on the boundary


def test_augmented_input_carries_the_bias():
    rng = np.random.default_rng(0)
    X, w, b = rng.normal(size=(30, 2)), rng.normal(size=2), 0.7
    Xa = augment(X)
    assert Xa.shape == (30, 3) and np.all(Xa[:, -1] == 1)
    np.testing.assert_array_equal(predict(Xa, np.append(w, b), 0.0), predict(X, w, b))


# --- learning with and without bias ----------------------------------------------


def test_perceptron_step_update_rule():
    w, b = np.zeros(2), 0.0
    x = np.array([1.0, 2.0])
    w1, b1, moved = perceptron_step(w, b, x, 0, lr=0.5, bias=True)  # zero weights predict 1: false alarm
    assert moved and np.allclose(w1, -0.5 * x) and b1 == -0.5
    w2, b2, moved = perceptron_step(w, b, x, 1, lr=0.5, bias=True)
    assert not moved and np.all(w2 == 0) and b2 == 0.0
    _, b3, _ = perceptron_step(w, b, x, 0, lr=0.5, bias=False)
    assert b3 == 0.0


@pytest.mark.parametrize("seed", SEEDS)
def test_bias_converges_and_no_bias_never_does(seed):
    X, y, w_star, b_star = separable_blobs(60, offset=1.5, margin=0.2, seed=seed)
    assert np.all(predict(X, w_star, b_star) == y)
    with_b = train_perceptron(X, y, bias=True, seed=seed)
    without = train_perceptron(X, y, bias=False, max_epochs=50, seed=seed)
    assert with_b.converged and with_b.history[-1] == 0
    assert with_b.n_updates == sum(with_b.history) and len(with_b.snapshots) == with_b.n_epochs
    np.testing.assert_array_equal(predict(X, with_b.w, with_b.b), y)
    assert not without.converged and without.b == 0.0
    assert len(without.history) == 50 and min(without.history) > 0
    # why: the class-0 points surround the origin, and a line through 0 cannot cut them off
    assert origin_surrounded(X[y == 0])


@pytest.mark.parametrize("seed", SEEDS)
def test_sklearn_perceptron_agrees(seed):
    """Reference: scikit-learn's perceptron also needs the intercept on this data."""
    X, y, _, _ = separable_blobs(60, offset=1.5, margin=0.2, seed=seed)
    ours = train_perceptron(X, y, bias=True, seed=seed)
    ref = Perceptron(fit_intercept=True, tol=None, max_iter=1000, random_state=seed).fit(X, y)
    ref0 = Perceptron(fit_intercept=False, tol=None, max_iter=1000, random_state=seed).fit(X, y)
    assert ref.score(X, y) == 1.0
    np.testing.assert_array_equal(predict(X, ours.w, ours.b), ref.predict(X))
    assert ref0.score(X, y) < 1.0
    assert np.mean(predict(X, ours.w, 0.0) == y) < 1.0  # dropping our bias breaks it too


def test_training_with_bias_equals_training_on_augmented_input():
    X, y, _, _ = separable_blobs(50, seed=3)
    a = train_perceptron(X, y, bias=True, lr=0.3, seed=7)
    b = train_perceptron(augment(X), y, bias=False, lr=0.3, seed=7)
    np.testing.assert_allclose(b.w[:-1], a.w)
    assert b.w[-1] == pytest.approx(a.b)
    assert a.history == b.history


def test_training_is_deterministic_and_seeded():
    X, y, _, _ = separable_blobs(80, margin=0.05, seed=1)
    r1, r2 = train_perceptron(X, y, seed=4), train_perceptron(X, y, seed=4)
    assert r1.history == r2.history and np.array_equal(r1.w, r2.w)


@pytest.mark.parametrize("seed", SEEDS)
def test_fixed_threshold_works_only_with_the_origin_on_the_non_firing_side(seed):
    X, y, w_star, b_star = separable_blobs(60, offset=1.5, margin=0.2, seed=seed)
    T = 1.0
    # reachable: only T / ||w|| places the line, so w* scaled by T / -b* is a separator with threshold T
    np.testing.assert_array_equal(threshold_unit(X, w_star * T / -b_star, T), y)
    fixed = train_perceptron(X, y, bias=False, T=T, max_epochs=2000, seed=seed)
    assert fixed.converged and fixed.b == -T
    np.testing.assert_array_equal(threshold_unit(X, fixed.w, T), y)
    # flip the labels: the origin is now on the firing side, which no T > 0 can put it on
    flipped = 1 - y
    assert origin_surrounded(X[flipped == 1])
    stuck = train_perceptron(X, flipped, bias=False, T=T, max_epochs=50, seed=seed)
    assert not stuck.converged and min(stuck.history) > 0
    assert train_perceptron(X, flipped, bias=False, T=-T, max_epochs=2000, seed=seed).converged
    learned = train_perceptron(X, flipped, bias=True, seed=seed)
    assert learned.converged and learned.b > 0  # a learned bias finds the side by itself


def test_fixed_threshold_run_depends_only_on_T_over_lr():
    X, y, _, _ = separable_blobs(50, seed=3)
    a = train_perceptron(X, y, bias=False, T=1.0, lr=1.0, max_epochs=30, seed=1)
    b = train_perceptron(X, y, bias=False, T=3.0, lr=3.0, max_epochs=30, seed=1)
    assert a.history == b.history and np.allclose(3 * a.w, b.w)


def test_fixed_threshold_can_miss_with_a_large_learning_rate():
    """Two points on a line: the separating weights lie in [0.1, 1/9); steps of 1 jump over them."""
    X, y = np.array([[10.0], [9.0]]), np.array([1, 0])
    assert not train_perceptron(X, y, bias=False, T=1.0, lr=1.0, max_epochs=500).converged
    assert train_perceptron(X, y, bias=False, T=1.0, lr=0.01, max_epochs=500).converged
    assert train_perceptron(X, y, bias=True, lr=1.0, max_epochs=500).converged  # Novikoff: any lr


@pytest.mark.parametrize("seed", SEEDS)
def test_frozen_threshold_converges_within_its_bound_for_a_small_lr(seed):
    X, y, w_star, b_star = separable_blobs(60, offset=1.0, margin=0.3, angle=seed, seed=seed)
    T = 1.0
    u = w_star * T / -b_star  # separates with the threshold T
    gamma_T, lr_max, _ = frozen_threshold_bound(X, y, u, T, lr=1e-3)
    R2 = np.max(np.sum(X**2, axis=1))
    assert gamma_T == pytest.approx(np.min((2 * y - 1) * (X @ u - T))) and lr_max == pytest.approx(2 * gamma_T / R2)
    for lr in (0.9 * lr_max, 0.5 * lr_max, 0.1 * lr_max):
        _, _, bound = frozen_threshold_bound(X, y, u, T, lr)
        run = train_perceptron(X, y, bias=False, T=T, lr=lr, max_epochs=100_000, seed=seed)
        assert run.converged and run.n_updates <= bound
    assert frozen_threshold_bound(X, y, u, T, lr_max)[2] == np.inf  # no guarantee at or above lr_max


def test_frozen_threshold_bound_rejects_a_non_separator():
    X, y, w_star, b_star = separable_blobs(30, seed=0)
    with pytest.raises(ValueError, match="u must separate"):
        frozen_threshold_bound(X, y, -w_star, 1.0, 0.01)
    with pytest.raises(ValueError, match="lr"):
        frozen_threshold_bound(X, y, w_star, 1.0, 0.0)
    with pytest.raises(ValueError, match="u"):
        frozen_threshold_bound(X, y, np.ones(3), 1.0, 0.01)


def test_separable_data_through_origin_needs_no_bias():
    X, y, _, _ = separable_blobs(60, offset=0.0, margin=0.3, seed=2)
    assert train_perceptron(X, y, bias=False, seed=0).converged


# --- the convergence bound (Novikoff, augmented space) --------------------------


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("lr", [1.0, 0.1])
def test_updates_within_novikoff_bound(seed, lr):
    rng = np.random.default_rng(seed)
    X, y, w_star, b_star = separable_blobs(
        int(rng.integers(20, 120)),
        offset=float(rng.uniform(0, 2)),
        margin=float(rng.uniform(0.05, 0.5)),
        angle=float(rng.uniform(0, 2 * np.pi)),
        seed=seed,
    )
    R, gamma, bound = convergence_bound(X, y, w_star, b_star)
    res = train_perceptron(X, y, bias=True, lr=lr, max_epochs=10_000, seed=seed)
    assert res.converged
    assert res.n_updates <= bound
    assert pytest.approx(np.max(np.linalg.norm(np.c_[X, np.ones(len(X))], axis=1))) == R
    assert bound == pytest.approx((R / gamma) ** 2)


def test_margin_is_scale_invariant_and_signed():
    X, y, w_star, b_star = separable_blobs(40, margin=0.4, seed=0)
    g = margin(X, y, w_star, b_star)
    assert g > 0 and margin(X, y, 5 * w_star, 5 * b_star) == pytest.approx(g)
    # the data margin is >= 0.4 for the unit w*; augmenting with b* shrinks it by sqrt(1 + b*^2)
    assert g >= 0.4 / np.sqrt(1 + b_star**2) - 1e-12
    assert margin(X, 1 - y, w_star, b_star) < 0
    with pytest.raises(ValueError, match="w_star"):
        convergence_bound(X, 1 - y, w_star, b_star)


def test_origin_surrounded():
    square = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], dtype=float)
    assert origin_surrounded(square)
    assert not origin_surrounded(square + 2.0)
    assert not origin_surrounded(np.array([[1.0, 0.0], [-1.0, 0.0]]))  # on the hull, not inside


# --- bad input ---------------------------------------------------------------------

X_OK = np.array([[0.0, 1.0], [2.0, 1.0], [1.0, -1.0]])
Y_OK = np.array([0, 1, 1])


@pytest.mark.parametrize(
    "kwargs, exc, name",
    [
        (dict(y=np.array([0, 1])), ValueError, "y"),
        (dict(y=np.array([0, 2, 1])), ValueError, "y"),
        (dict(y=np.array([-1, 1, 1])), ValueError, "y"),
        (dict(X=np.array([1.0, 2.0, 3.0])), ValueError, "X"),
        (dict(X=np.array([[np.nan, 1.0], [2.0, 1.0], [1.0, -1.0]])), ValueError, "X"),
        (dict(X=[["a", "b"]]), TypeError, "X"),
        (dict(lr=0.0), ValueError, "lr"),
        (dict(lr=-1.0), ValueError, "lr"),
        (dict(lr="1"), TypeError, "lr"),
        (dict(max_epochs=0), ValueError, "max_epochs"),
        (dict(max_epochs=2.5), TypeError, "max_epochs"),
        (dict(max_epochs=True), TypeError, "max_epochs"),
        (dict(seed=-1), ValueError, "seed"),
        (dict(bias=1), TypeError, "bias"),
        (dict(T=float("nan")), ValueError, "T"),
        (dict(T="1"), TypeError, "T"),
    ],
)
def test_train_perceptron_rejects_bad_input(kwargs, exc, name):
    args = dict(X=X_OK, y=Y_OK) | kwargs
    X, y = args.pop("X"), args.pop("y")
    with pytest.raises(exc, match=name):
        train_perceptron(X, y, **args)


@pytest.mark.parametrize("fn", [threshold_unit, predict])
def test_units_reject_bad_input(fn):
    with pytest.raises(ValueError, match="w"):
        fn(X_OK, np.ones(3), 0.0)
    with pytest.raises(ValueError, match="X"):
        fn(np.ones(2), np.ones(2), 0.0)
    with pytest.raises(ValueError, match="X"):
        fn(np.array([[np.inf, 0.0]]), np.ones(2), 0.0)
    name = "T" if fn is threshold_unit else "b"
    with pytest.raises(ValueError, match=name):
        fn(X_OK, np.ones(2), float("nan"))
    with pytest.raises(TypeError, match=name):
        fn(X_OK, np.ones(2), "0")


def test_perceptron_step_rejects_bad_input():
    w, x = np.zeros(2), np.ones(2)
    with pytest.raises(ValueError, match="x"):
        perceptron_step(w, 0.0, np.ones(3), 1, lr=1.0, bias=True)
    with pytest.raises(TypeError, match="w"):
        perceptron_step([0.0, 0.0], 0.0, x, 1, lr=1.0, bias=True)
    with pytest.raises(ValueError, match="y"):
        perceptron_step(w, 0.0, x, 2, lr=1.0, bias=True)
    with pytest.raises(TypeError, match="b"):
        perceptron_step(w, None, x, 1, lr=1.0, bias=True)
    with pytest.raises(ValueError, match="lr"):
        perceptron_step(w, 0.0, x, 1, lr=0.0, bias=True)
    with pytest.raises(TypeError, match="bias"):
        perceptron_step(w, 0.0, x, 1, lr=1.0, bias=1)


def test_other_functions_reject_bad_input():
    with pytest.raises(ValueError, match="margin"):
        separable_blobs(10, margin=0.0)
    with pytest.raises(ValueError, match="offset"):
        separable_blobs(10, offset=5.0)
    with pytest.raises(TypeError, match="n"):
        separable_blobs(10.0)
    with pytest.raises(ValueError, match="y"):
        convergence_bound(X_OK, np.array([0, 1]), np.ones(2), 0.0)
    with pytest.raises(ValueError, match="w_star"):
        convergence_bound(X_OK, Y_OK, np.ones(3), 0.0)
    with pytest.raises(TypeError, match="b_star"):
        convergence_bound(X_OK, Y_OK, np.ones(2), None)
    with pytest.raises(ValueError, match="w and b"):
        margin(X_OK, Y_OK, np.zeros(2), 0.0)
    with pytest.raises(ValueError, match="X"):
        origin_surrounded(np.ones((3, 3)))
