"""Biases in modern networks: homogeneity without them, redundancy before BatchNorm.

A stack of bias-free linear layers and ReLUs is positively homogeneous,
``f(alpha * x) = alpha * f(x)`` for ``alpha > 0`` (so ``f(0) = 0``), which rules
out targets such as ``|x - 1|`` or a constant offset; biases fix it. A bias right
before BatchNorm (training mode) is cancelled by the mean subtraction, and
BatchNorm's own shift ``beta`` takes its role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from dlbook.checks import check_bool, check_device, check_finite_array, check_int, check_positive, check_seed
from dlbook.seeding import torch_threads

__all__ = [
    "make_mlp",
    "homogeneity_gap",
    "best_homogeneous_mse_1d",
    "Fit1D",
    "fit_1d",
    "bias_before_batchnorm_gap",
    "bias_grad_before_batchnorm",
]


def make_mlp(
    bias: bool, *, in_features: int = 1, hidden: int = 32, depth: int = 2, out_features: int = 1, seed: int = 0
) -> nn.Sequential:
    """An MLP of ``depth`` hidden ReLU layers, with or without biases in every layer.

    Without biases every layer is ``x -> W x`` and ReLU satisfies
    ``relu(alpha z) = alpha relu(z)`` for ``alpha > 0``, so the whole network is
    positively homogeneous: ``f(alpha x) = alpha f(x)``. Weights are drawn from
    PyTorch's default initialisation under ``torch.manual_seed(seed)`` without
    touching the global random state.
    """
    bias = check_bool("bias", bias)
    in_features = check_int("in_features", in_features, min_value=1)
    hidden = check_int("hidden", hidden, min_value=1)
    depth = check_int("depth", depth, min_value=1)
    out_features = check_int("out_features", out_features, min_value=1)
    seed = check_seed("seed", seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layers: list[nn.Module] = []
        width = in_features
        for _ in range(depth):
            layers += [nn.Linear(width, hidden, bias=bias), nn.ReLU()]
            width = hidden
        layers.append(nn.Linear(width, out_features, bias=bias))
        return nn.Sequential(*layers)


def _check_module(name: str, value: Any) -> nn.Module:
    if not isinstance(value, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(value).__name__}")
    return value


def homogeneity_gap(model: nn.Module, x: Any, alpha: float) -> float:
    """``max |f(alpha x) - alpha f(x)|`` over the batch ``x``: zero for a bias-free ReLU net.

    ``alpha`` must be positive (ReLU is not odd, so ``alpha < 0`` is not covered).
    """
    model = _check_module("model", model)
    alpha = check_positive("alpha", alpha)
    x_np = check_finite_array("x", x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x, ndim=2)
    if x_np.size == 0:
        raise ValueError(f"x must hold at least one row and column, got shape {x_np.shape}")
    param = next(model.parameters(), None)
    kw = {"dtype": param.dtype, "device": param.device} if param is not None else {}
    xt = torch.as_tensor(x_np, **kw)
    with torch.no_grad():
        try:
            gap = (model(alpha * xt) - alpha * model(xt)).abs().max()
        except RuntimeError as exc:  # e.g. x has the wrong number of features for the model
            raise ValueError(f"x of shape {x_np.shape} does not fit model: {exc}") from exc
    return float(gap)


def best_homogeneous_mse_1d(x: Any, y: Any) -> float:
    """The smallest MSE *any* positively homogeneous ``f: R -> R`` can reach on ``(x, y)``.

    Homogeneity forces ``f(x) = x f(1)`` for ``x > 0``, ``f(x) = |x| f(-1)`` for
    ``x < 0`` and ``f(0) = 0``: two free numbers ``a = f(1)``, ``c = f(-1)``. Least
    squares on each half-line gives the optimum in closed form, a floor that no
    bias-free ReLU network, however wide or deep, can go below.
    """
    x = check_finite_array("x", x).ravel()
    y = check_finite_array("y", y).ravel()
    if x.shape != y.shape or x.size == 0:
        raise ValueError(f"x and y must be non-empty and of equal length, got {x.size} and {y.size}")
    residual = np.where(x == 0, y, 0.0) ** 2
    total = float(residual.sum())
    for mask in (x > 0, x < 0):
        u, v = np.abs(x[mask]), y[mask]
        if u.size:
            coef = float(u @ v / (u @ u))
            total += float(np.sum((v - coef * u) ** 2))
    return total / x.size


@dataclass
class Fit1D:
    """A trained 1-D regressor: the model, its loss per step and its final MSE."""

    model: nn.Sequential
    losses: list[float]
    final_loss: float

    def __call__(self, x: Any) -> np.ndarray:
        """Predictions at the points ``x`` (any shape, finite, not empty), as a flat NumPy array."""
        x = check_finite_array("x", x)
        if x.size == 0:
            raise ValueError("x must hold at least one point")
        param = next(self.model.parameters())
        xt = torch.as_tensor(x.astype(np.float32).reshape(-1, 1), device=param.device)
        with torch.no_grad():
            return self.model(xt).cpu().numpy().ravel()


def fit_1d(
    x: Any,
    y: Any,
    *,
    bias: bool,
    hidden: int = 32,
    depth: int = 2,
    steps: int = 1500,
    lr: float = 0.01,
    seed: int = 0,
    device: str | torch.device = "cpu",
) -> Fit1D:
    """Fit ``y ~ f(x)`` with :func:`make_mlp` by full-batch Adam on the mean squared error.

    Small and seeded: the same arguments give the same losses on the same device.
    """
    x = check_finite_array("x", x).ravel()
    y = check_finite_array("y", y).ravel()
    if x.shape != y.shape or x.size == 0:
        raise ValueError(f"x and y must be non-empty and of equal length, got {x.size} and {y.size}")
    steps = check_int("steps", steps, min_value=1)
    lr = check_positive("lr", lr)
    device = check_device("device", device)
    model = make_mlp(bias, hidden=hidden, depth=depth, seed=seed).to(device)
    xt = torch.as_tensor(x, dtype=torch.float32, device=device).reshape(-1, 1)
    yt = torch.as_tensor(y, dtype=torch.float32, device=device).reshape(-1, 1)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses: list[float] = []
    with torch_threads(1):  # tensors this small: one thread beats a contended pool
        for _ in range(steps):
            opt.zero_grad()
            loss = torch.mean((model(xt) - yt) ** 2)
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
        with torch.no_grad():
            final = float(torch.mean((model(xt) - yt) ** 2))
    return Fit1D(model=model, losses=losses, final_loss=final)


def _check_batch(x: Any) -> np.ndarray:
    x_np = check_finite_array("x", x, ndim=2)
    if x_np.shape[0] < 2 or x_np.shape[1] < 1:
        raise ValueError(f"x must hold a batch of at least 2 rows for BatchNorm, got shape {x_np.shape}")
    return x_np


def _check_gap_args(x: Any, bias: Any, out_features: Any, seed: Any) -> tuple[np.ndarray, np.ndarray, int, int]:
    bias_np = check_finite_array("bias", bias, ndim=1)
    out = check_int("out_features", bias_np.shape[0] if out_features is None else out_features, min_value=1)
    if bias_np.shape[0] != out:
        raise ValueError(f"bias must have length out_features={out}, got {bias_np.shape[0]}")
    return _check_batch(x), bias_np, out, check_seed("seed", seed)


def bias_before_batchnorm_gap(x: Any, bias: Any, *, out_features: int | None = None, seed: int = 0) -> float:
    """``max |BN(W x + bias) - BN(W x)|`` with BatchNorm in training mode.

    In training mode BatchNorm subtracts the batch mean of each feature, and
    ``mean(W x + bias) = mean(W x) + bias``, so the bias cancels exactly (up to
    rounding); BatchNorm's own shift ``beta`` plays its role. ``bias`` has one entry
    per output feature (``out_features``, default: ``len(bias)``).
    """
    x_np, bias_np, out, seed = _check_gap_args(x, bias, out_features, seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        linear = nn.Linear(x_np.shape[1], out, bias=True, dtype=torch.float64)
        bn = nn.BatchNorm1d(out, dtype=torch.float64)
        with torch.no_grad():  # give BatchNorm a non-trivial affine part
            bn.weight.uniform_(0.5, 2.0)
            bn.bias.uniform_(-1.0, 1.0)
    bn.train()
    xt = torch.as_tensor(x_np, dtype=torch.float64)
    with torch.no_grad():
        linear.bias.zero_()
        without = bn(linear(xt))
        linear.bias.copy_(torch.as_tensor(bias_np))
        with_bias = bn(linear(xt))
    return float((with_bias - without).abs().max())


def bias_grad_before_batchnorm(x: Any, *, out_features: int = 4, seed: int = 0) -> float:
    """Largest ``|d loss / d bias|`` for a bias placed right before BatchNorm (training mode).

    Because ``BN(z + c) = BN(z)`` for every constant ``c``, the loss does not depend
    on the bias at all, so its gradient is zero (up to rounding) whatever the loss:
    here a random linear functional of the BatchNorm output, in float64.
    """
    x_np = _check_batch(x)
    out_features = check_int("out_features", out_features, min_value=1)
    seed = check_seed("seed", seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        linear = nn.Linear(x_np.shape[1], out_features, bias=True, dtype=torch.float64)
        bn = nn.BatchNorm1d(out_features, dtype=torch.float64)
        probe = torch.randn(x_np.shape[0], out_features, dtype=torch.float64)
    bn.train()
    loss = (bn(linear(torch.as_tensor(x_np, dtype=torch.float64))) * probe).sum()
    loss.backward()
    return float(linear.bias.grad.abs().max())
