r"""Smooth surrogates of discrete metrics: smooth max, soft one-hot, soft accuracy and F1.

A network computes continuous numbers; the metrics we report (accuracy, F1)
are built from ``argmax`` and indicators, so their gradient is zero almost
everywhere. Each discrete piece has a smooth stand-in with a temperature
``k``:

$$\max_i x_i \approx \tfrac1k \log\textstyle\sum_i e^{k x_i},\qquad
\operatorname{onehot}(\operatorname{argmax} x) \approx \operatorname{softmax}(k x),$$

and replacing the one-hot prediction by the probability vector ``p`` turns
accuracy into ``mean <1_y, p>`` and positive-class F1 into
``2 sum p y / sum (p + y)``.

The second half is the lesson's experiments: the three-point example of the
EXACT paper (Karpukhin et al., 2022), where cross-entropy and hinge minimise
at a ``b`` that misclassifies a point, and an imbalanced problem on which a
linear classifier is trained with cross-entropy or soft F1.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from scipy.optimize import brentq, minimize_scalar
from torch import Tensor, nn

from dlbook.checks import (
    check_choice,
    check_finite_array,
    check_int,
    check_positive,
    check_probabilities,
    check_seed,
    check_tensor,
)
from dlbook.seeding import torch_threads

__all__ = [
    "smooth_max",
    "smooth_onehot",
    "soft_argmax",
    "onehot_l1_bound",
    "soft_accuracy",
    "soft_f1",
    "THREE_X",
    "THREE_Y",
    "PERFECT_BAND",
    "LOSSES",
    "three_point_risk",
    "risk_argmin",
    "cross_entropy_optimum",
    "band_temperature",
    "imbalanced_gaussians",
    "fit_linear",
    "predict_proba",
    "best_threshold",
    "batch_soft_f1",
    "METHODS",
    "f1_comparison",
]


def _check_logits(x: Any, k: Any, dim: Any) -> tuple[Tensor, float, int]:
    x = check_tensor("x", x)
    k = check_positive("k", k)
    dim = check_int("dim", dim, min_value=-x.ndim)
    if dim >= x.ndim:
        raise ValueError(f"dim must be in [-{x.ndim}, {x.ndim - 1}] for x of shape {tuple(x.shape)}, got {dim}")
    if x.shape[dim] == 0:
        raise ValueError(f"x must hold at least one entry along dim {dim}, got shape {tuple(x.shape)}")
    return x, k, dim


def smooth_max(x: Tensor, k: float = 1.0, dim: int = -1) -> Tensor:
    r"""The smooth maximum ``logsumexp(k x) / k`` along ``dim``.

    $\max_i x_i \le \frac1k \log \sum_{i=1}^n e^{k x_i}
    \le \max_i x_i + \frac{\log n}{k}$: the sum holds the term
    $e^{k \max x}$, and $n$ terms no larger than it.
    """
    x, k, dim = _check_logits(x, k, dim)
    return torch.logsumexp(k * x, dim=dim) / k


def smooth_onehot(x: Tensor, k: float = 1.0, dim: int = -1) -> Tensor:
    r"""The soft one-hot ``softmax(k x)`` along ``dim``; it tends to ``onehot(argmax x)`` as ``k`` grows.

    It is the gradient of the smooth maximum: $\partial\, \mathrm{smooth\_max}(x) / \partial x_i
    = \operatorname{softmax}(k x)_i$.
    """
    x, k, dim = _check_logits(x, k, dim)
    return torch.softmax(k * x, dim=dim)


def soft_argmax(x: Tensor, k: float = 1.0, dim: int = -1) -> Tensor:
    r"""The soft index of the maximum, $\sum_i i\, \operatorname{softmax}(k x)_i$ (indices from 0)."""
    x, k, dim = _check_logits(x, k, dim)
    p = torch.softmax(k * x, dim=dim)
    shape = [1] * x.ndim
    shape[dim] = x.shape[dim]
    index = torch.arange(x.shape[dim], dtype=x.dtype, device=x.device).reshape(shape)
    return (index * p).sum(dim=dim)


def onehot_l1_bound(x: Tensor, k: float = 1.0, dim: int = -1) -> Tensor:
    r"""A bound on $\lVert \operatorname{softmax}(k x) - \operatorname{onehot}(\operatorname{argmax} x) \rVert_1$.

    With $\Delta$ the gap between the largest and the second largest entry,
    $\lVert \cdot \rVert_1 = 2\,(1 - p_{\max})$ and
    $1 - p_{\max} = \sum_{j \ne i^*} e^{k (x_j - x_{\max})} / Z \le (n - 1)\, e^{-k \Delta}$
    because $Z \ge 1$ after shifting by the maximum. So the bound is
    $2 (n - 1) e^{-k \Delta}$ (useless when there is a tie, $\Delta = 0$).
    """
    x, k, dim = _check_logits(x, k, dim)
    n = x.shape[dim]
    if n == 1:
        return torch.zeros_like(x.select(dim, 0))
    top2 = x.topk(2, dim=dim).values  # (..., 2) along dim
    gap = top2.select(dim, 0) - top2.select(dim, 1)
    return 2 * (n - 1) * torch.exp(-k * gap)


def _check_labels(labels: Any, n: int, n_classes: int) -> Tensor:
    if not isinstance(labels, torch.Tensor) or labels.is_floating_point() or labels.dtype == torch.bool:
        raise TypeError(f"labels must be an integer torch.Tensor of class indices, got {type(labels).__name__}")
    if labels.shape != (n,):
        raise ValueError(f"labels must have shape ({n},), one class per row of probs, got {tuple(labels.shape)}")
    if bool(((labels < 0) | (labels >= n_classes)).any()):
        raise ValueError(f"labels must lie in [0, {n_classes - 1}] (the columns of probs), got {labels.tolist()[:8]}")
    return labels


def soft_accuracy(probs: Tensor, labels: Tensor) -> Tensor:
    r"""Soft accuracy $\frac1N \sum_n \langle 1_{y_n}, p_n \rangle$, the mean probability of the true class.

    ``probs``: ``(N, C)``, rows summing to 1; ``labels``: ``(N,)`` integer classes.
    On one-hot rows it is the accuracy.
    """
    probs = check_probabilities("probs", probs, ndim=2, rows_sum_to_one=True)
    labels = _check_labels(labels, probs.shape[0], probs.shape[1])
    return probs.gather(1, labels[:, None]).mean()  # (N, 1) -> scalar


def _check_binary(probs: Any, targets: Any) -> tuple[Tensor, Tensor]:
    """Two ``(N,)`` tensors in [0, 1] of one shape, not both all zero."""
    probs = check_probabilities("probs", probs, ndim=1)
    targets = check_probabilities("targets", targets, ndim=1)
    if targets.shape != probs.shape:
        raise ValueError(f"targets must have the shape of probs {tuple(probs.shape)}, got {tuple(targets.shape)}")
    if not bool(((probs + targets) > 0).any()):
        raise ValueError("probs and targets are all zero: F1 is undefined (no positives, none predicted)")
    return probs, targets


def soft_f1(probs: Tensor, targets: Tensor) -> Tensor:
    r"""Soft F1 of the positive class, $2 \sum p_n t_n / \sum (p_n + t_n)$.

    ``probs``, ``targets``: ``(N,)``, values in [0, 1], not both all 0.
    On 0/1 predictions it is F1 $= 2\,TP / (2\,TP + FP + FN)$, the
    Dice coefficient of the predicted and the true positive sets.
    """
    probs, targets = _check_binary(probs, targets)
    return 2 * (probs * targets).sum() / (probs + targets).sum()


# ----------------------------------------------------------------------------- the three-point example

#: The EXACT paper's three points on a line and their classes (1 = positive).
THREE_X = np.array([-0.25, 0.0, 0.25])
THREE_Y = np.array([0, 0, 1])
#: The thresholds ``b`` for which ``f(x) = k (x - b) > 0`` classifies all three points right.
PERFECT_BAND = (0.0, 0.25)
#: The per-point losses of the margin ``m = s k (x - b)``, ``s = 2 y - 1``.
LOSSES = ("cross_entropy", "hinge", "error")


def three_point_risk(b: Any, loss: str = "cross_entropy", k: float = 1.0) -> np.ndarray:
    r"""Summed loss of the classifier $f(x) = k\,(x - b)$ on the three points, for each ``b`` (a number or 1-D).

    With the margin $m = s\,k\,(x - b)$, $s = 2y - 1$: cross-entropy
    $\log(1 + e^{-m})$ (sigmoid output), hinge $\max(0, 1 - m)$, error
    $[m \le 0]$ (a point on the boundary counts as wrong).
    """
    b = check_finite_array("b", b)
    if b.ndim > 1 or b.size == 0:
        raise ValueError(f"b must be a number or a non-empty 1-D array of thresholds, got shape {b.shape}")
    loss = check_choice("loss", loss, LOSSES)
    k = check_positive("k", k)
    m = (2 * THREE_Y - 1) * k * (THREE_X - b[..., None])  # (..., 3)
    per_point = {
        "cross_entropy": lambda: np.logaddexp(0.0, -m),
        "hinge": lambda: np.maximum(0.0, 1.0 - m),
        "error": lambda: (m <= 0).astype(float),
    }[loss]()
    return per_point.sum(axis=-1)


def risk_argmin(loss: str = "cross_entropy", k: float = 1.0, *, step: float = 1e-5) -> tuple[float, float]:
    r"""The smallest and largest minimiser of :func:`three_point_risk` on a grid of ``b`` in [-1, 2].

    The grid has spacing ``step``; a ``b`` counts as a minimiser when its risk
    is within ``1e-12`` of the grid's minimum.
    """
    step = check_positive("step", step)
    if step > 0.01:
        raise ValueError(f"step must be <= 0.01 to resolve the band of width 0.25, got {step}")
    grid = np.arange(-1.0, 2.0 + step / 2, step)
    risk = three_point_risk(grid, loss, k)
    best = grid[risk <= risk.min() + 1e-12]
    return float(best.min()), float(best.max())


def cross_entropy_optimum(k: float = 1.0) -> float:
    r"""The unique minimiser ``b`` of the three-point cross-entropy at temperature ``k``.

    The risk is strictly convex in ``b``, so a bounded scalar minimisation
    finds it to ``1e-10``.
    """
    k = check_positive("k", k)
    result = minimize_scalar(
        lambda b: float(three_point_risk(np.array(b), "cross_entropy", k)),
        bounds=(-1.0, 2.0),
        method="bounded",
        options={"xatol": 1e-10},
    )
    return float(result.x)


def band_temperature(low: float = 1.0, high: float = 64.0) -> float:
    r"""The temperature ``k`` at which the cross-entropy optimum enters the perfect band: ``b*(k) = 0.25``.

    ``b*(k)`` falls from 0.70 at ``k = 1`` towards 0.125 as ``k`` grows; the
    root is bracketed by ``[low, high]`` (checked).
    """
    low, high = check_positive("low", low), check_positive("high", high)
    edge = PERFECT_BAND[1]
    f_low, f_high = cross_entropy_optimum(low) - edge, cross_entropy_optimum(high) - edge
    if not (f_low > 0 > f_high):
        raise ValueError(f"low and high must bracket the temperature where b* = {edge}, got [{low}, {high}]")
    return float(brentq(lambda k: cross_entropy_optimum(k) - edge, low, high, xtol=1e-10))


# ----------------------------------------------------------------------------- an imbalanced problem


def imbalanced_gaussians(
    n: int, *, pos_rate: float = 0.05, dim: int = 2, shift: float = 2.0, seed: int = 0
) -> tuple[Tensor, Tensor]:
    r"""``n`` points of two Gaussian classes, a rare positive one: ``(X (n, dim), y (n,))``, float32.

    Each point is positive with probability ``pos_rate``; negatives are
    $\mathcal N(0, I)$, positives $\mathcal N(\mathrm{shift} \cdot \mathbf 1 / \sqrt{dim}, I)$,
    so the class means lie ``shift`` apart whatever ``dim``. Pure function of ``seed``.
    """
    n = check_int("n", n, min_value=1)
    pos_rate = check_positive("pos_rate", pos_rate)
    if pos_rate >= 1:
        raise ValueError(f"pos_rate must lie in (0, 1), got {pos_rate}")
    dim = check_int("dim", dim, min_value=1)
    shift = check_positive("shift", shift, allow_zero=True)
    rng = np.random.default_rng(check_seed("seed", seed))
    y = (rng.random(n) < pos_rate).astype(np.float32)
    X = rng.standard_normal((n, dim)) + y[:, None] * shift / math.sqrt(dim)
    return torch.from_numpy(X.astype(np.float32)), torch.from_numpy(y)


def _check_data(X: Any, y: Any) -> tuple[Tensor, Tensor]:
    X = check_tensor("X", X, ndim=2)
    y = check_probabilities("y", y, ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have one label per row of X ({X.shape[0]}), got {y.shape[0]}")
    if not bool(((y == 0) | (y == 1)).all()):
        raise ValueError("y must contain only the labels 0 and 1")
    return X, y


def predict_proba(model: nn.Module, X: Tensor) -> Tensor:
    r"""The positive-class probabilities ``sigmoid(model(X))``, shape ``(N,)``, without gradients."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    X = check_tensor("X", X, ndim=2)
    with torch.no_grad():
        try:
            return torch.sigmoid(model(X)).reshape(-1)  # (N, 1) -> (N,)
        except RuntimeError as exc:
            raise ValueError(f"X of shape {tuple(X.shape)} does not fit model: {exc}") from exc


def fit_linear(
    X: Tensor,
    y: Tensor,
    *,
    loss: str = "cross_entropy",
    epochs: int = 20,
    batch_size: int = 64,
    lr: float = 0.05,
    seed: int = 0,
    init: nn.Linear | None = None,
) -> nn.Linear:
    r"""Train a logistic-regression model ``sigmoid(w . x + b)`` with Adam on mini-batches.

    ``loss``: ``"cross_entropy"`` (mean binary cross-entropy) or ``"soft_f1"``
    (``1 - soft_f1`` of each batch). ``init``: a model to start from (copied,
    not changed), e.g. a cross-entropy model to fine-tune; else zero weights.
    Batches are a fresh seeded shuffle each epoch; CPU, deterministic.
    """
    X, y = _check_data(X, y)
    loss = check_choice("loss", loss, ("cross_entropy", "soft_f1"))
    epochs = check_int("epochs", epochs, min_value=1)
    batch_size = check_int("batch_size", batch_size, min_value=1)
    lr = check_positive("lr", lr)
    generator = torch.Generator().manual_seed(check_seed("seed", seed))
    model = nn.Linear(X.shape[1], 1)
    if init is None:
        nn.init.zeros_(model.weight)
        nn.init.zeros_(model.bias)
    else:
        if not isinstance(init, nn.Linear) or init.in_features != X.shape[1] or init.out_features != 1:
            raise TypeError(f"init must be a torch.nn.Linear({X.shape[1]}, 1) or None, got {init!r:.60}")
        model.load_state_dict(init.state_dict())
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    with torch_threads(1):  # tiny tensors: one thread beats a pool on a busy machine
        for _ in range(epochs):
            for batch in torch.randperm(X.shape[0], generator=generator).split(batch_size):
                logits = model(X[batch]).reshape(-1)  # (B,)
                if loss == "cross_entropy":
                    value = nn.functional.binary_cross_entropy_with_logits(logits, y[batch])
                else:
                    value = 1 - soft_f1(torch.sigmoid(logits), y[batch])
                optimizer.zero_grad()
                value.backward()
                optimizer.step()
    return model


def best_threshold(probs: Tensor, targets: Tensor) -> float:
    r"""The threshold ``t`` whose predictions ``probs >= t`` have the highest F1 on these targets.

    Only the distinct values of ``probs`` can change the predictions, so they
    are the candidates; ties go to the smallest such ``t``.
    """
    probs, targets = _check_binary(probs, targets)
    if not bool((targets > 0).any()):
        raise ValueError("targets must hold at least one positive: F1 is undefined without one")
    candidates = torch.unique(probs)  # sorted
    predicted = (probs[None, :] >= candidates[:, None]).to(targets.dtype)  # (T, N)
    tp = (predicted * targets).sum(dim=1)
    f1 = 2 * tp / (predicted.sum(dim=1) + targets.sum())
    return float(candidates[int(torch.argmax(f1))])


def batch_soft_f1(probs: Tensor, targets: Tensor, batch_size: int, *, n_batches: int = 1000, seed: int = 0) -> Tensor:
    r"""Soft F1 of ``n_batches`` random batches (drawn without replacement), shape ``(n_batches,)``.

    Soft F1 is a ratio of two batch sums, so its mean over batches is not the
    soft F1 of the whole set: a biased estimate, most of all for small batches
    (a batch with no positive scores 0 whatever the model does).
    """
    probs, targets = _check_binary(probs, targets)
    batch_size = check_int("batch_size", batch_size, min_value=1)
    if batch_size > probs.shape[0]:
        raise ValueError(f"batch_size must be <= the number of samples {probs.shape[0]}, got {batch_size}")
    if not bool((probs > 0).all()):
        raise ValueError("probs must be > 0 so that every batch has a defined soft F1")
    n_batches = check_int("n_batches", n_batches, min_value=1)
    generator = torch.Generator().manual_seed(check_seed("seed", seed))
    keys = torch.rand(n_batches, probs.shape[0], generator=generator)
    index = keys.topk(batch_size, dim=1).indices  # (n_batches, B): B distinct samples
    p, t = probs[index], targets[index]
    return 2 * (p * t).sum(dim=1) / (p + t).sum(dim=1)


#: The four ways :func:`f1_comparison` trains and thresholds a classifier for F1.
METHODS = (
    "cross-entropy, t = 0.5",
    "soft F1 from scratch",
    "cross-entropy, then soft F1",
    "cross-entropy, tuned t",
)


def f1_comparison(
    seed: int,
    *,
    n_train: int = 2000,
    n_val: int = 1000,
    n_test: int = 20000,
    pos_rate: float = 0.05,
    shift: float = 2.5,
    epochs: int = 10,
    finetune_epochs: int = 5,
    finetune_lr: float = 0.01,
    batch_size: int = 64,
) -> dict[str, float]:
    r"""Test F1 of the four :data:`METHODS` on one seeded draw of :func:`imbalanced_gaussians`.

    Train, validation and test sets are disjoint draws. Cross-entropy and soft
    F1 from scratch train ``epochs`` epochs (Adam, lr 0.05); fine-tuning starts
    from the cross-entropy model and trains ``finetune_epochs`` more with soft
    F1 at ``finetune_lr``. A model predicts positive where its probability is
    at least 0.5, except the last method, whose threshold maximises F1 on the
    validation set (:func:`best_threshold`). Also returns that threshold as
    ``"tuned threshold"``.
    """
    seed = check_seed("seed", seed)
    finetune_epochs = check_int("finetune_epochs", finetune_epochs, min_value=1)
    finetune_lr = check_positive("finetune_lr", finetune_lr)
    sizes = [
        check_int(name, v, min_value=1) for name, v in [("n_train", n_train), ("n_val", n_val), ("n_test", n_test)]
    ]
    X, y = imbalanced_gaussians(sum(sizes), pos_rate=pos_rate, shift=shift, seed=seed)
    (X_tr, X_va, X_te), (y_tr, y_va, y_te) = X.split(sizes), y.split(sizes)
    if not bool(y_va.any()):
        raise ValueError(f"n_val must be large enough to hold a positive, got {n_val}")
    fit = {"epochs": epochs, "batch_size": batch_size, "seed": seed}
    ce = fit_linear(X_tr, y_tr, loss="cross_entropy", **fit)
    models = {
        METHODS[0]: ce,
        METHODS[1]: fit_linear(X_tr, y_tr, loss="soft_f1", **fit),
        METHODS[2]: fit_linear(
            X_tr,
            y_tr,
            loss="soft_f1",
            epochs=finetune_epochs,
            lr=finetune_lr,
            batch_size=batch_size,
            seed=seed,
            init=ce,
        ),
    }
    threshold = best_threshold(predict_proba(ce, X_va), y_va)
    thresholds = {METHODS[0]: 0.5, METHODS[1]: 0.5, METHODS[2]: 0.5, METHODS[3]: threshold}
    models[METHODS[3]] = ce
    result = {
        name: float(soft_f1((predict_proba(models[name], X_te) >= t).float(), y_te)) for name, t in thresholds.items()
    }
    return {**result, "tuned threshold": threshold}
