r"""Biases in modern networks: homogeneity without them, redundancy before BatchNorm.

A stack of bias-free linear layers and ReLUs (or leaky ReLUs) is positively
homogeneous, ``f(alpha * x) = alpha * f(x)`` for ``alpha > 0`` (so ``f(0) = 0``),
which rules out targets such as ``|x - 1|`` or a constant offset; biases fix it.
GELU and SiLU are not positively homogeneous; an MLP with an RMSNorm in front is
scale-invariant instead, ``f(alpha * x) = f(x)``; and a pre-norm residual network
(LLaMA's layout) mixes a degree-1 skip path with degree-0 blocks and is neither.
A bias right before BatchNorm (training mode) is cancelled by the mean
subtraction, and BatchNorm's own shift ``beta`` takes its role: it gets no
gradient (up to rounding), so SGD leaves it alone and weight decay pulls it to 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from dlbook.checks import (
    check_bool,
    check_choice,
    check_device,
    check_finite_array,
    check_int,
    check_positive,
    check_seed,
)
from dlbook.seeding import torch_threads

__all__ = [
    "ACTIVATIONS",
    "DTYPES",
    "OPTIMIZERS",
    "make_mlp",
    "make_prenorm_residual",
    "homogeneity_gap",
    "best_homogeneous_mse_1d",
    "Fit1D",
    "fit_1d",
    "bias_before_batchnorm_gap",
    "bias_grad_before_batchnorm",
    "bias_norms_before_batchnorm",
]

#: The activations :func:`make_mlp` offers; ReLU and leaky ReLU are positively
#: homogeneous (``act(alpha z) = alpha act(z)`` for ``alpha > 0``), GELU and SiLU are not.
ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "gelu": nn.GELU, "silu": nn.SiLU}

#: The floating-point types :func:`bias_norms_before_batchnorm` trains in.
DTYPES = {"float32": torch.float32, "float64": torch.float64}

#: The optimizers :func:`bias_norms_before_batchnorm` trains with.
OPTIMIZERS = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}


def make_mlp(
    bias: bool,
    *,
    activation: str = "relu",
    rms_norm: bool = False,
    in_features: int = 1,
    hidden: int = 32,
    depth: int = 2,
    out_features: int = 1,
    seed: int = 0,
) -> nn.Sequential:
    r"""An MLP of ``depth`` hidden layers, with or without biases in every layer.

    Without biases every layer is ``x -> act(W x)``. For ``activation`` ``"relu"``
    or ``"leaky_relu"``, ``act(alpha z) = alpha act(z)`` for ``alpha > 0``, so the
    whole network is positively homogeneous: ``f(alpha x) = alpha f(x)``; for
    ``"gelu"`` and ``"silu"`` it is not. ``rms_norm=True`` puts a bias-free
    ``nn.RMSNorm`` before every linear layer of this plain MLP (no skip
    connections, so not a transformer: see :func:`make_prenorm_residual`);
    ``RMSNorm(alpha x) = RMSNorm(x)`` up to its ``eps``, so the first one drops the
    input's scale and the MLP is scale-invariant, ``f(alpha x) = f(x)``, with
    or without biases. Weights are drawn from
    PyTorch's default initialisation under ``torch.manual_seed(seed)`` without
    touching the global random state.
    """
    bias = check_bool("bias", bias)
    act = ACTIVATIONS[check_choice("activation", activation, tuple(ACTIVATIONS))]
    rms_norm = check_bool("rms_norm", rms_norm)
    in_features = check_int("in_features", in_features, min_value=1)
    hidden = check_int("hidden", hidden, min_value=1)
    depth = check_int("depth", depth, min_value=1)
    out_features = check_int("out_features", out_features, min_value=1)
    seed = check_seed("seed", seed)

    def linear(width: int, out: int) -> list[nn.Module]:
        norm = [nn.RMSNorm(width, elementwise_affine=True)] if rms_norm else []
        return [*norm, nn.Linear(width, out, bias=bias)]

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layers: list[nn.Module] = []
        width = in_features
        for _ in range(depth):
            layers += [*linear(width, hidden), act()]
            width = hidden
        layers += linear(width, out_features)
        return nn.Sequential(*layers)


class _PreNormGLU(nn.Module):
    r"""``h + W_down (act(W_gate z) * W_up z)`` with ``z = RMSNorm(h)``, no biases."""

    def __init__(self, width: int, act: type[nn.Module]) -> None:
        super().__init__()
        self.norm = nn.RMSNorm(width)
        self.gate, self.up = (nn.Linear(width, 2 * width, bias=False) for _ in range(2))
        self.down = nn.Linear(2 * width, width, bias=False)
        self.act = act()

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        z = self.norm(h)
        return h + self.down(self.act(self.gate(z)) * self.up(z))


def make_prenorm_residual(
    *,
    activation: str = "silu",
    in_features: int = 4,
    width: int = 16,
    n_blocks: int = 4,
    out_features: int = 1,
    seed: int = 0,
) -> nn.Sequential:
    r"""A bias-free pre-norm residual network, the layout of LLaMA's feed-forward path.

    A linear embedding, then ``n_blocks`` blocks
    ``h <- h + W_down(act(W_gate z) * (W_up z))`` with ``z = RMSNorm(h)``
    (``activation="silu"``: SwiGLU; ``"relu"``: ReGLU), a final RMSNorm and a
    linear head; no attention, no biases. Each block's update is scale-invariant
    in ``h``, but the skip path carries ``h`` itself (degree 1), so the network is
    neither positively homogeneous nor scale-invariant, whatever the gate (a gated
    product of two degree-1 maps is degree 2 even with ReLU). Seeded like
    :func:`make_mlp`.
    """
    act = ACTIVATIONS[check_choice("activation", activation, tuple(ACTIVATIONS))]
    in_features = check_int("in_features", in_features, min_value=1)
    width = check_int("width", width, min_value=1)
    n_blocks = check_int("n_blocks", n_blocks, min_value=1)
    out_features = check_int("out_features", out_features, min_value=1)
    seed = check_seed("seed", seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(
            nn.Linear(in_features, width, bias=False),
            *(_PreNormGLU(width, act) for _ in range(n_blocks)),
            nn.RMSNorm(width),
            nn.Linear(width, out_features, bias=False),
        )


def _check_module(name: str, value: Any) -> nn.Module:
    if not isinstance(value, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(value).__name__}")
    return value


def homogeneity_gap(model: nn.Module, x: Any, alpha: float, *, degree: int = 1) -> float:
    r"""``max |f(alpha x) - alpha**degree f(x)|`` over the batch ``x``.

    Zero for a positively homogeneous network of that ``degree``: ``1`` for a
    bias-free ReLU MLP, ``0`` (scale invariance) for an MLP with an RMSNorm in
    front; neither for a pre-norm residual network. ``alpha`` must be positive (ReLU is not odd, so
    ``alpha < 0`` is not covered).
    """
    model = _check_module("model", model)
    alpha = check_positive("alpha", alpha)
    degree = check_int("degree", degree, min_value=0)
    x_np = check_finite_array("x", x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else x, ndim=2)
    if x_np.size == 0:
        raise ValueError(f"x must hold at least one row and column, got shape {x_np.shape}")
    param = next(model.parameters(), None)
    kw = {"dtype": param.dtype, "device": param.device} if param is not None else {}
    xt = torch.as_tensor(x_np, **kw)
    with torch.no_grad():
        try:
            gap = (model(alpha * xt) - alpha**degree * model(xt)).abs().max()
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
    activation: str = "relu",
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
    model = make_mlp(bias, activation=activation, hidden=hidden, depth=depth, seed=seed).to(device)
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


def bias_norms_before_batchnorm(
    x: Any,
    *,
    optimizer: str = "sgd",
    weight_decay: float = 0.0,
    lr: float = 0.1,
    steps: int = 50,
    dtype: str = "float64",
    out_features: int = 4,
    seed: int = 0,
) -> np.ndarray:
    r"""``||bias||`` of a linear layer followed by BatchNorm, before and after each training step.

    Trains ``BN(W x + bias)`` (training mode, in ``dtype``) on the mean squared
    error to a random target with ``optimizer`` (``"sgd"``, ``"adam"`` or
    ``"adamw"``). The loss gives the bias no gradient beyond rounding
    (:func:`bias_grad_before_batchnorm`), so SGD leaves it where it started, and so
    does Adam in float64; in float32 the rounding noise is comparable to Adam's
    ``eps`` and Adam turns it into steps of up to about ``lr``. ``weight_decay > 0``
    pulls it to ``0``: by ``(1 - lr * weight_decay)`` per step for SGD and AdamW;
    Adam normalizes its gradient ``weight_decay * bias`` into steps of about ``lr``
    whatever ``weight_decay`` is, overshooting and oscillating around ``0``.
    Returns ``steps + 1`` norms.
    """
    x_np = _check_batch(x)
    make_opt = OPTIMIZERS[check_choice("optimizer", optimizer, tuple(OPTIMIZERS))]
    weight_decay = check_positive("weight_decay", weight_decay, allow_zero=True)
    lr = check_positive("lr", lr)
    steps = check_int("steps", steps, min_value=1)
    dtype_t = DTYPES[check_choice("dtype", dtype, tuple(DTYPES))]
    out_features = check_int("out_features", out_features, min_value=1)
    seed = check_seed("seed", seed)
    with torch.random.fork_rng(devices=[]):  # drawn in float64: the same start in either dtype
        torch.manual_seed(seed)
        linear = nn.Linear(x_np.shape[1], out_features, bias=True, dtype=torch.float64).to(dtype_t)
        bn = nn.BatchNorm1d(out_features, dtype=torch.float64).to(dtype_t)
        target = torch.randn(x_np.shape[0], out_features, dtype=torch.float64).to(dtype_t)
    bn.train()
    xt = torch.as_tensor(x_np, dtype=dtype_t)
    opt = make_opt([*linear.parameters(), *bn.parameters()], lr=lr, weight_decay=weight_decay)
    norms = [float(linear.bias.detach().norm())]
    for _ in range(steps):
        opt.zero_grad()
        torch.mean((bn(linear(xt)) - target) ** 2).backward()
        opt.step()
        norms.append(float(linear.bias.detach().norm()))
    return np.array(norms)
