"""Tests for dlbook.surrogates: smooth max and one-hot, soft accuracy/F1, the three-point example."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, f1_score, hinge_loss, log_loss

from dlbook.checks import check_probabilities
from dlbook.surrogates import (
    METHODS,
    PERFECT_BAND,
    THREE_X,
    THREE_Y,
    band_temperature,
    batch_soft_f1,
    best_threshold,
    cross_entropy_optimum,
    f1_comparison,
    fit_linear,
    imbalanced_gaussians,
    onehot_l1_bound,
    predict_proba,
    risk_argmin,
    smooth_max,
    smooth_onehot,
    soft_accuracy,
    soft_argmax,
    soft_f1,
    three_point_risk,
)

KS = st.sampled_from([0.1, 0.5, 1.0, 3.0, 10.0, 100.0])


def randn(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


# ----------------------------------------------------------------------------- smooth max and one-hot


@settings(max_examples=60)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 12), k=KS, scale=st.sampled_from([0.01, 1.0, 100.0]))
def test_smooth_max_lies_within_log_n_over_k_above_the_max(seed, n, k, scale):
    x = scale * randn(7, n, seed=seed)
    s, m = smooth_max(x, k), x.max(dim=-1).values
    ulps = 4 * torch.finfo(x.dtype).eps * m.abs()  # k x / k rounds: equality may miss by an ulp
    assert bool((s >= m - ulps).all()) and bool((s <= m + math.log(n) / k + ulps).all())


def test_smooth_max_reaches_both_ends_of_its_band():
    x = torch.tensor([[3.0, 3.0, 3.0, 3.0], [3.0, -1e9, -1e9, -1e9]], dtype=torch.float64)
    assert torch.allclose(smooth_max(x, 2.0), torch.tensor([3.0 + math.log(4) / 2, 3.0], dtype=torch.float64))


def test_smooth_max_matches_torch_logsumexp_and_dim():
    x = randn(3, 4, 5)
    for dim in (0, 1, -1):
        assert torch.allclose(smooth_max(x, 2.5, dim), torch.logsumexp(2.5 * x, dim=dim) / 2.5)


def test_smooth_onehot_is_the_gradient_of_the_smooth_max():
    x = randn(6, 5).requires_grad_(True)
    smooth_max(x, 3.0).sum().backward()
    assert torch.allclose(x.grad, smooth_onehot(x.detach(), 3.0))
    assert torch.allclose(smooth_onehot(x.detach(), 3.0), torch.nn.functional.softmax(3.0 * x.detach(), dim=-1))


@settings(max_examples=60)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 10), k=KS)
def test_softmax_approaches_the_onehot_within_the_bound(seed, n, k):
    x = randn(5, n, seed=seed)
    onehot = torch.nn.functional.one_hot(x.argmax(-1), n).to(x.dtype)
    gap = (smooth_onehot(x, k) - onehot).abs().sum(-1)
    assert bool((gap <= onehot_l1_bound(x, k) + 1e-12).all())


def test_the_onehot_gap_goes_to_zero_as_k_grows():
    x = randn(4, 6, seed=3)
    onehot = torch.nn.functional.one_hot(x.argmax(-1), 6).to(x.dtype)
    gaps = [float((smooth_onehot(x, k) - onehot).abs().sum(-1).max()) for k in (1, 10, 100, 1000)]
    assert all(a > b for a, b in zip(gaps, gaps[1:], strict=False)) and gaps[-1] < 1e-6


def test_soft_argmax_approaches_the_argmax():
    x = torch.tensor([2.0, 1.0, 4.0, 5.0, 3.0], dtype=torch.float64)  # Su Jianlin's example: argmax 3
    assert abs(float(soft_argmax(x, 50.0)) - 3.0) < 1e-9
    assert 0 < float(soft_argmax(x, 1e-3)) - 2.0 < 1e-2  # tiny k: the mean index, 2


# ----------------------------------------------------------------------------- soft accuracy and F1


@settings(max_examples=40)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), c=st.integers(2, 6))
def test_soft_accuracy_on_onehot_rows_is_sklearns_accuracy(seed, n, c):
    rng = np.random.default_rng(seed)
    labels, predicted = rng.integers(0, c, n), rng.integers(0, c, n)
    probs = torch.nn.functional.one_hot(torch.from_numpy(predicted), c).double()
    assert float(soft_accuracy(probs, torch.from_numpy(labels))) == accuracy_score(labels, predicted)


@settings(max_examples=60)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60))
def test_soft_f1_on_hard_predictions_is_sklearns_f1(seed, n):
    rng = np.random.default_rng(seed)
    targets, predicted = rng.integers(0, 2, n), rng.integers(0, 2, n)
    if targets.sum() + predicted.sum() == 0:
        predicted[0] = 1
    ours = float(soft_f1(torch.from_numpy(predicted).double(), torch.from_numpy(targets).double()))
    assert ours == pytest.approx(f1_score(targets, predicted), abs=1e-15)


def test_soft_f1_is_the_expected_counts_ratio():
    p, t = torch.tensor([0.9, 0.2, 0.6, 0.1]), torch.tensor([1.0, 0.0, 1.0, 1.0])
    tp, fp, fn = 0.9 + 0.6 + 0.1, 0.2, 0.1 + 0.4 + 0.9
    assert float(soft_f1(p, t)) == pytest.approx(2 * tp / (2 * tp + fp + fn))


def test_soft_metrics_have_gradients_where_the_exact_ones_have_none():
    logits = randn(8, 3, seed=1).requires_grad_(True)
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    soft_accuracy(torch.softmax(logits, -1), labels).backward()
    assert float(logits.grad.abs().min()) > 0

    def exact(z: torch.Tensor) -> float:
        return float((z.argmax(-1) == labels).double().mean())

    z, eps = logits.detach(), 1e-6  # the exact accuracy is flat around z: every finite difference is 0
    for i in range(8):
        for j in range(3):
            dz = torch.zeros_like(z)
            dz[i, j] = eps
            assert exact(z + dz) == exact(z)

    scores = randn(10, seed=2).requires_grad_(True)
    targets = torch.tensor([1.0, 0, 1, 1, 0, 0, 1, 0, 0, 1])
    soft_f1(torch.sigmoid(scores), targets).backward()
    assert float(scores.grad.abs().min()) > 0


# ----------------------------------------------------------------------------- the three-point example


def test_three_point_risks_match_sklearns_losses():
    for b in (-0.3, 0.1, 0.7):
        decision = THREE_X - b
        assert three_point_risk(np.array(b), "cross_entropy") == pytest.approx(
            3 * log_loss(THREE_Y, 1 / (1 + np.exp(-decision)), labels=[0, 1])
        )
        assert three_point_risk(np.array(b), "hinge") == pytest.approx(3 * hinge_loss(2 * THREE_Y - 1, decision))
    errors = three_point_risk(np.array([-0.1, 0.0, 0.1, 0.25, 0.3]), "error")
    assert errors.tolist() == [1.0, 1.0, 0.0, 1.0, 1.0]  # the band (0, 0.25) is open


def test_the_exact_papers_optima():
    lo, hi = risk_argmin("cross_entropy")
    assert hi - lo < 2e-5 and round(lo, 3) == 0.700 and round(cross_entropy_optimum(), 3) == 0.700
    assert risk_argmin("hinge") == pytest.approx((0.75, 1.0), abs=2e-5)  # the grid step
    lo, hi = risk_argmin("error")
    assert lo == pytest.approx(PERFECT_BAND[0], abs=2e-5) and hi == pytest.approx(PERFECT_BAND[1], abs=2e-5)


def test_a_temperature_moves_cross_entropys_optimum_into_the_band():
    k_band = band_temperature()
    assert 2 < k_band < 4  # b*(2) = 0.36, b*(4) = 0.20
    assert cross_entropy_optimum(k_band) == pytest.approx(0.25, abs=1e-8)
    optima = [cross_entropy_optimum(k) for k in (1, 2, 4, 8, 64, 512)]
    assert all(a > b for a, b in zip(optima, optima[1:], strict=False))
    assert optima[-1] == pytest.approx(0.125, abs=1e-6)  # the band's middle: the max-margin threshold
    with pytest.raises(ValueError, match="low and high must bracket"):
        band_temperature(4.0, 8.0)


@pytest.mark.parametrize("k", [4.5, 5.0, 7.0, 8.0, 10.0, 64.0])
def test_the_hinge_minimisers_lie_inside_the_band_for_every_k_above_4(k):
    # 4 < k < 8: the flat stretch [0.25 - 1/k, 1/k], loss 2 - k/4 > 0; from k = 8: the zero-loss [1/k, 0.25 - 1/k]
    lo, hi = risk_argmin("hinge", k)
    assert (lo, hi) == pytest.approx(tuple(sorted((1 / k, 0.25 - 1 / k))), abs=2e-5)
    assert PERFECT_BAND[0] < lo <= hi < PERFECT_BAND[1]
    assert three_point_risk(np.array(lo), "hinge", k) == pytest.approx(max(0.0, 2 - k / 4), abs=1e-9)


def test_at_k_4_the_hinge_minimisers_reach_both_misclassifying_ends():
    assert risk_argmin("hinge", 4.0) == pytest.approx(PERFECT_BAND, abs=2e-5)
    assert three_point_risk(np.array([0.0, 0.25]), "hinge", 4.0) == pytest.approx([1.0, 1.0])


# ----------------------------------------------------------------------------- training


def test_imbalanced_gaussians_are_seeded_and_rare():
    X, y = imbalanced_gaussians(4000, pos_rate=0.1, dim=3, shift=2.0, seed=5)
    X2, y2 = imbalanced_gaussians(4000, pos_rate=0.1, dim=3, shift=2.0, seed=5)
    assert torch.equal(X, X2) and torch.equal(y, y2) and X.shape == (4000, 3)
    assert 0.08 < float(y.mean()) < 0.12
    gap = X[y == 1].mean(0) - X[y == 0].mean(0)
    assert float(gap.norm()) == pytest.approx(2.0, abs=0.25)


def test_fit_linear_matches_sklearns_logistic_regression_direction():
    from sklearn.linear_model import LogisticRegression

    X, y = imbalanced_gaussians(2000, pos_rate=0.2, seed=0)
    model = fit_linear(X, y, epochs=30, seed=0)
    ref = LogisticRegression(C=1e6).fit(X.numpy(), y.numpy())
    w = model.weight.detach().numpy().ravel()
    cosine = w @ ref.coef_.ravel() / np.linalg.norm(w) / np.linalg.norm(ref.coef_)
    assert cosine > 0.99
    agree = ((predict_proba(model, X) >= 0.5).numpy() == ref.predict(X.numpy())).mean()
    assert agree > 0.98


def test_fine_tuning_starts_from_init_and_leaves_it_alone():
    X, y = imbalanced_gaussians(500, pos_rate=0.2, seed=1)
    ce = fit_linear(X, y, epochs=3, seed=0)
    before = ce.weight.detach().clone()
    tuned = fit_linear(X, y, loss="soft_f1", epochs=1, lr=1e-9, seed=0, init=ce)
    assert torch.equal(ce.weight, before) and torch.allclose(tuned.weight, before, atol=1e-6)


def test_best_threshold_beats_every_threshold_by_brute_force():
    rng = np.random.default_rng(0)
    targets = (rng.random(300) < 0.2).astype(float)
    probs = np.clip(0.3 * targets + rng.random(300) * 0.7, 0, 1)
    t = best_threshold(torch.from_numpy(probs), torch.from_numpy(targets))
    best = f1_score(targets, probs >= t)
    assert all(f1_score(targets, probs >= s) <= best for s in np.unique(probs))


def test_batch_soft_f1_bias_shrinks_with_the_batch():
    X, y = imbalanced_gaussians(4000, pos_rate=0.05, seed=2)
    probs = predict_proba(fit_linear(X, y, epochs=3, seed=0), X)
    full = float(soft_f1(probs, y))
    bias = [abs(float(batch_soft_f1(probs, y, b, n_batches=2000).mean()) - full) for b in (8, 32, 128, 512)]
    assert all(a > b for a, b in zip(bias, bias[1:], strict=False))
    assert float(batch_soft_f1(probs, y, 4000, n_batches=3).std()) < 1e-6  # the whole set, in any order


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("fn", [smooth_max, smooth_onehot, soft_argmax, onehot_l1_bound])
def test_the_smooth_operators_refuse_bad_k_dim_and_empty_input(fn):
    x = randn(3, 4)
    for k in (0.0, -1.0, math.inf):
        with pytest.raises(ValueError, match="k must be"):
            fn(x, k)
    with pytest.raises(ValueError, match="dim must be"):
        fn(x, 1.0, 2)
    with pytest.raises(ValueError, match="x must hold"):
        fn(torch.zeros(3, 0), 1.0)
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        fn([1.0, 2.0], 1.0)


def test_soft_accuracy_refuses_bad_probs_and_labels():
    probs = torch.tensor([[0.2, 0.8], [0.5, 0.5]])
    with pytest.raises(ValueError, match="probs must have rows that sum to 1"):
        soft_accuracy(torch.tensor([[0.2, 0.7], [0.5, 0.5]]), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"probs must lie in \[0, 1\]"):
        soft_accuracy(torch.tensor([[-0.2, 1.2], [0.5, 0.5]]), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="labels must lie in"):
        soft_accuracy(probs, torch.tensor([0, 2]))
    with pytest.raises(ValueError, match="labels must have shape"):
        soft_accuracy(probs, torch.tensor([0, 1, 1]))
    with pytest.raises(TypeError, match="labels must be an integer"):
        soft_accuracy(probs, torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match="probs must"):
        soft_accuracy(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long))


def test_soft_f1_refuses_bad_probs_and_targets():
    with pytest.raises(ValueError, match=r"probs must lie in \[0, 1\]"):
        soft_f1(torch.tensor([0.5, 1.5]), torch.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match="targets must have the shape"):
        soft_f1(torch.tensor([0.5, 0.5]), torch.tensor([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="F1 is undefined"):
        soft_f1(torch.zeros(3), torch.zeros(3))
    with pytest.raises(ValueError, match="probs must"):
        soft_f1(torch.zeros(0), torch.zeros(0))


def test_check_probabilities_accepts_float64_rounding_and_refuses_bad_rows():
    p = torch.softmax(randn(4, 7), -1)
    assert check_probabilities("p", p, ndim=2, rows_sum_to_one=True) is p
    with pytest.raises(ValueError, match="p must have rows that sum to 1"):
        check_probabilities("p", p * 0.99, ndim=2, rows_sum_to_one=True)


def test_the_training_helpers_refuse_bad_labels_and_losses():
    X, y = imbalanced_gaussians(50, pos_rate=0.3, seed=0)
    with pytest.raises(ValueError, match="y must contain only the labels 0 and 1"):
        fit_linear(X, y * 0.5 + 0.25)
    with pytest.raises(ValueError, match="loss must be one of"):
        fit_linear(X, y, loss="mse")
    with pytest.raises(ValueError, match="pos_rate must lie in"):
        imbalanced_gaussians(10, pos_rate=1.0)
    with pytest.raises(ValueError, match="targets must hold at least one positive"):
        best_threshold(torch.full((5,), 0.5), torch.zeros(5))
    with pytest.raises(ValueError, match="batch_size must be <="):
        batch_soft_f1(torch.full((5,), 0.5), torch.ones(5), 6)


def test_f1_comparison_reports_test_f1_as_sklearn_computes_it():
    kw = {"n_train": 400, "n_val": 300, "n_test": 500, "pos_rate": 0.2, "epochs": 2, "finetune_epochs": 1}
    result = f1_comparison(3, **kw)
    assert set(result) == {*METHODS, "tuned threshold"} and result == f1_comparison(3, **kw)
    X, y = imbalanced_gaussians(1200, pos_rate=0.2, shift=2.5, seed=3)
    ce = fit_linear(X[:400], y[:400], epochs=2, seed=3)
    t = best_threshold(predict_proba(ce, X[400:700]), y[400:700])
    assert result["tuned threshold"] == t
    test_probs, test_y = predict_proba(ce, X[700:]).numpy(), y[700:].numpy()
    assert result[METHODS[0]] == pytest.approx(f1_score(test_y, test_probs >= 0.5), abs=1e-6)
    assert result[METHODS[3]] == pytest.approx(f1_score(test_y, test_probs >= t), abs=1e-6)
