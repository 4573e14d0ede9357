"""Why neurons need a bias: the threshold unit and the perceptron.

The threshold unit fires when the weighted sum of its inputs reaches a threshold
``T``::

    y = 1  if  x1*w1 + ... + xn*wn >= T  else 0.

Moving ``T`` to the left gives ``w . x + b >= 0`` with the *bias* ``b = -T``, so the
unit is ``step(w . x + b)`` and ``b`` can be learned like any weight. Geometrically
``b`` moves the decision boundary ``w . x + b = 0`` off the origin, to signed
distance ``-b / ||w||``.

Biases in modern networks are in :mod:`dlbook.bias_networks`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dlbook.checks import check_bool, check_finite_array, check_int, check_positive, check_real, check_seed

__all__ = [
    "PerceptronResult",
    "threshold_unit",
    "predict",
    "augment",
    "perceptron_step",
    "train_perceptron",
    "separable_blobs",
    "convergence_bound",
    "frozen_threshold_bound",
    "margin",
    "origin_surrounded",
]


# ---------------------------------------------------------------------------
# validation helpers for this lesson (the shared ones live in dlbook.checks)
# ---------------------------------------------------------------------------


def _check_X(X: Any, name: str = "X") -> np.ndarray:
    X = check_finite_array(name, X, ndim=2)
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} must have at least one row and one column, got shape {X.shape}")
    return X


def _check_w(w: Any, n_features: int, name: str = "w") -> np.ndarray:
    w = check_finite_array(name, w, ndim=1)
    if w.shape[0] != n_features:
        raise ValueError(f"{name} must have length {n_features} (the number of columns of X), got length {w.shape[0]}")
    return w


def _check_unit(X: Any, w: Any, offset: Any, offset_name: str) -> tuple[np.ndarray, np.ndarray, float]:
    """Samples ``X`` (n, d), weights ``w`` (d,) and the unit's threshold or bias."""
    X = _check_X(X)
    return X, _check_w(w, X.shape[1]), check_real(offset_name, offset)


def _check_labels(y: Any, n_samples: int, name: str = "y") -> np.ndarray:
    y = check_finite_array(name, y, ndim=1)
    if y.shape[0] != n_samples:
        raise ValueError(f"{name} must have one label per row of X ({n_samples}), got {y.shape[0]}")
    if not np.all((y == 0) | (y == 1)):
        bad = sorted(set(np.unique(y[(y != 0) & (y != 1)]).tolist()))[:5]
        raise ValueError(f"{name} must contain only the labels 0 and 1, got also {bad}")
    return y.astype(int)


# ---------------------------------------------------------------------------
# the threshold unit and the perceptron
# ---------------------------------------------------------------------------


def threshold_unit(X: Any, w: Any, T: float) -> np.ndarray:
    """Threshold unit: ``1`` where ``X @ w >= T``, else ``0``.

    McCulloch and Pitts' neuron (1943) with real-valued weights (theirs counted
    binary excitatory inputs equally, and any active inhibitory input vetoed).

    ``X`` has one sample per row (shape ``(n, d)``), ``w`` has shape ``(d,)``.
    A larger threshold ``T`` makes the unit harder to activate.
    """
    X, w, T = _check_unit(X, w, T, "T")
    return (X @ w >= T).astype(int)


def predict(X: Any, w: Any, b: float) -> np.ndarray:
    """Perceptron with a bias: ``1`` where ``X @ w + b >= 0``, else ``0``.

    This is ``threshold_unit(X, w, T)`` with ``b = -T``: the same unit, written so
    that the threshold becomes one more learnable number.
    """
    X, w, b = _check_unit(X, w, b, "b")
    return (X @ w + b >= 0).astype(int)


def augment(X: Any) -> np.ndarray:
    """Append a constant input ``1`` to every sample: ``x~ = (x, 1)``.

    With ``w~ = (w, b)`` we get ``w~ . x~ = w . x + b``: the bias is just the weight
    of an input that is always on.
    """
    X = _check_X(X)
    return np.hstack([X, np.ones((X.shape[0], 1))])


@dataclass
class PerceptronResult:
    """What :func:`train_perceptron` learned and how it got there.

    ``history[k]`` is the number of mistakes (= updates) in epoch ``k``;
    ``snapshots[k]`` is ``(w, b)`` at the end of epoch ``k``.
    """

    w: np.ndarray
    b: float
    n_updates: int
    converged: bool
    history: list[int] = field(default_factory=list)
    snapshots: list[tuple[np.ndarray, float]] = field(default_factory=list)

    @property
    def n_epochs(self) -> int:
        """Number of epochs run (the last one is mistake-free if ``converged``)."""
        return len(self.history)


def _check_step_args(w: Any, b: Any, x: Any, y: Any, lr: Any, bias: Any) -> None:
    """Cheap checks for the inner loop: types, shapes and finiteness, no copies."""
    if not isinstance(w, np.ndarray) or w.ndim != 1 or w.dtype.kind not in "fiu":
        raise TypeError(f"w must be a 1-D numeric NumPy array, got {type(w).__name__} {getattr(w, 'dtype', '')}")
    if not isinstance(x, np.ndarray) or x.shape != w.shape or x.dtype.kind not in "fiu":
        raise ValueError(
            f"x must be a numeric NumPy array of shape {w.shape} like w, got {getattr(x, 'shape', type(x))}"
        )
    if w.size == 0 or not (np.isfinite(w).all() and np.isfinite(x).all()):
        raise ValueError("w and x must be non-empty and finite (no NaN or inf)")
    if isinstance(y, bool) or y not in (0, 1):
        raise ValueError(f"y must be the label 0 or 1, got {y!r}")
    check_real("b", b)
    check_positive("lr", lr)
    check_bool("bias", bias)


def perceptron_step(
    w: np.ndarray, b: float, x: np.ndarray, y: int, *, lr: float, bias: bool
) -> tuple[np.ndarray, float, bool]:
    """One perceptron step on sample ``(x, y)``: predict, and on a mistake move.

    ``y_hat = step(w . x + b)``; the update is ``w += lr (y - y_hat) x`` and
    ``b += lr (y - y_hat)``. On a correct prediction ``y - y_hat = 0``, nothing moves.
    On a missed ``1`` the boundary is pulled towards ``x``, on a false alarm pushed away.
    Returns the new ``(w, b)`` and whether they moved.
    """
    _check_step_args(w, b, x, y, lr, bias)
    y_hat = int(x @ w + b >= 0)
    error = y - y_hat
    if error == 0:
        return w, b, False
    w = w + lr * error * x
    if bias:
        b = b + lr * error
    return w, b, True


def train_perceptron(
    X: Any,
    y: Any,
    *,
    bias: bool = True,
    T: float = 0.0,
    lr: float = 1.0,
    max_epochs: int = 100,
    seed: int = 0,
) -> PerceptronResult:
    r"""Rosenblatt's perceptron rule, from zero weights and bias ``b = -T``, labels ``y`` in ``{0, 1}``.

    Each epoch visits the samples in a fresh random order drawn from
    ``np.random.default_rng(seed)`` and applies :func:`perceptron_step`. Training
    stops after the first epoch with zero mistakes (``converged=True``) or after
    ``max_epochs``. With ``bias=False`` the bias stays ``-T``: a threshold picked
    by hand, and with the default ``T = 0`` a boundary forced through the origin.
    """
    X = _check_X(X)
    y = _check_labels(y, X.shape[0])
    bias = check_bool("bias", bias)
    T = check_real("T", T)
    lr = check_positive("lr", lr)
    max_epochs = check_int("max_epochs", max_epochs, min_value=1)
    seed = check_seed("seed", seed)

    rng = np.random.default_rng(seed)
    w = np.zeros(X.shape[1])
    b = -T
    history: list[int] = []
    snapshots: list[tuple[np.ndarray, float]] = []
    converged = False
    for _ in range(max_epochs):
        mistakes = 0
        for i in rng.permutation(X.shape[0]):
            w, b, moved = perceptron_step(w, b, X[i], int(y[i]), lr=lr, bias=bias)
            mistakes += moved
        history.append(mistakes)
        snapshots.append((w.copy(), float(b)))
        if mistakes == 0:
            converged = True
            break
    return PerceptronResult(
        w=w, b=float(b), n_updates=int(sum(history)), converged=converged, history=history, snapshots=snapshots
    )


def separable_blobs(
    n: int = 100, *, offset: float = 1.5, margin: float = 0.3, angle: float = 0.6, extent: float = 3.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """2-D data separated by a line that misses the origin, with a guaranteed margin.

    The true separator is ``w* . x + b* = 0`` with ``w* = (cos angle, sin angle)``
    (unit norm) and ``b* = -offset``: a line at distance ``offset`` from the origin.
    Points are drawn uniformly from the square ``[-extent, extent]^2`` and kept only
    if they lie at least ``margin`` from the line; the label is ``1`` on the side
    ``w* . x + b* > 0``. Returns ``X (n, 2), y (n,), w*, b*``.
    """
    n = check_int("n", n, min_value=2)
    offset = check_positive("offset", offset, allow_zero=True)
    margin = check_positive("margin", margin)
    angle = check_real("angle", angle)
    extent = check_positive("extent", extent)
    seed = check_seed("seed", seed)
    if offset + margin >= extent or offset - margin <= -extent:
        raise ValueError(
            f"offset +/- margin must lie inside the square of half-width extent={extent}, "
            f"got offset={offset}, margin={margin}"
        )

    rng = np.random.default_rng(seed)
    w_star = np.array([math.cos(angle), math.sin(angle)])
    b_star = -offset
    kept: list[np.ndarray] = []
    count = 0
    while count < n:
        cand = rng.uniform(-extent, extent, size=(4 * n, 2))
        cand = cand[np.abs(cand @ w_star + b_star) >= margin]
        kept.append(cand)
        count += len(cand)
    X = np.vstack(kept)[:n]
    y = (X @ w_star + b_star > 0).astype(int)
    if y.min() == y.max():  # pragma: no cover - astronomically unlikely for n >= 2 draws per side
        raise ValueError("the draw produced a single class; increase n")
    return X, y, w_star, float(b_star)


def margin(X: Any, y: Any, w: Any, b: float) -> float:
    """Geometric margin of ``(w, b)`` in augmented space.

    ``gamma = min_i s_i (w . x_i + b) / ||(w, b)||`` with ``s_i = 2 y_i - 1``. It is
    positive exactly when ``(w, b)`` puts every sample strictly on its own side.
    """
    X = _check_X(X)
    y = _check_labels(y, X.shape[0])
    w = _check_w(w, X.shape[1])
    b = check_real("b", b)
    norm = math.hypot(float(np.linalg.norm(w)), b)
    if norm == 0:
        raise ValueError("w and b must not both be zero")
    s = 2 * y - 1
    return float(np.min(s * (X @ w + b)) / norm)


def convergence_bound(X: Any, y: Any, w_star: Any, b_star: float) -> tuple[float, float, float]:
    """Novikoff's perceptron bound in augmented space: ``updates <= (R / gamma)^2``.

    With ``x~ = (x, 1)``, ``R = max_i ||x~_i||`` and ``gamma`` the margin of the
    separator ``(w*, b*)`` after normalising ``(w*, b*)`` to unit norm (see
    :func:`margin`). The bound holds for the perceptron started at zero, with any
    ``lr > 0`` and any visiting order. Returns ``(R, gamma, (R / gamma)^2)``;
    raises ``ValueError`` if ``(w*, b*)`` does not separate ``X`` with ``gamma > 0``.
    """
    X = _check_X(X)
    w_star = _check_w(w_star, X.shape[1], name="w_star")
    b_star = check_real("b_star", b_star)
    if not np.any(w_star) and b_star == 0:
        raise ValueError("w_star and b_star must not both be zero")
    gamma = margin(X, y, w_star, b_star)
    if gamma <= 0:
        raise ValueError(f"w_star, b_star must separate the data with a positive margin, got gamma={gamma:.3g}")
    R = float(np.max(np.linalg.norm(augment(X), axis=1)))
    return R, gamma, (R / gamma) ** 2


def frozen_threshold_bound(X: Any, y: Any, u: Any, T: float, lr: float) -> tuple[float, float, float]:
    r"""Mistake bound for the perceptron with its threshold frozen at ``T`` (``bias=False``).

    If ``u`` separates with threshold ``T``, ``gamma_T = min_i s_i (u . x_i - T) > 0``
    (``s_i = 2 y_i - 1``), and ``R = max_i ||x_i||``, every update from ``w`` to
    ``w + lr s_i x_i`` shrinks ``||w - u||^2`` by at least
    ``lr (2 gamma_T - lr R^2)``. Started at ``w = 0``, the run therefore makes at
    most ``||u||^2 / (lr (2 gamma_T - lr R^2))`` updates when
    ``lr < 2 gamma_T / R^2``, and there is no guarantee otherwise. Returns
    ``(gamma_T, lr_max, bound)`` with ``lr_max = 2 gamma_T / R^2`` and
    ``bound = inf`` for ``lr >= lr_max``; raises ``ValueError`` if ``gamma_T <= 0``.
    """
    X = _check_X(X)
    y = _check_labels(y, X.shape[0])
    u = _check_w(u, X.shape[1], name="u")
    T = check_real("T", T)
    lr = check_positive("lr", lr)
    gamma_T = float(np.min((2 * y - 1) * (X @ u - T)))
    if gamma_T <= 0:
        raise ValueError(f"u must separate the data with threshold T and a positive margin, got gamma_T={gamma_T:.3g}")
    R2 = float(np.max(np.sum(X**2, axis=1)))
    lr_max = 2 * gamma_T / R2
    bound = float(u @ u) / (lr * (2 * gamma_T - lr * R2)) if lr < lr_max else math.inf
    return gamma_T, lr_max, bound


def origin_surrounded(X: Any) -> bool:
    """True if the origin lies strictly inside the convex hull of the 2-D points ``X``.

    Then no line through the origin has all of ``X`` strictly on one side (a convex
    combination of the points equals ``0``, so ``sum_i lambda_i w . x_i = 0`` for
    every ``w``). Test: sort the points by angle; the origin is inside iff every
    angular gap between neighbours is smaller than pi.
    """
    X = _check_X(X)
    if X.shape[1] != 2:
        raise ValueError(f"X must have 2 columns (points in the plane), got shape {X.shape}")
    norms = np.linalg.norm(X, axis=1)
    if np.any(norms == 0):
        return False  # the origin is a vertex/sample, not strictly inside
    theta = np.sort(np.arctan2(X[:, 1], X[:, 0]))
    gaps = np.diff(np.concatenate([theta, theta[:1] + 2 * np.pi]))
    return bool(np.max(gaps) < np.pi)
