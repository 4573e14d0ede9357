r"""Activation functions, written from their formulas, and the gated feed-forward layer.

Every activation is elementwise on a floating-point tensor and stays finite
and correct for inputs as large as |x| = 10**4 in float32 and float64:
exponentials only ever see -|x|, so they underflow to 0 instead of
overflowing to inf (and an inf in a branch that ``torch.where`` discards would
still poison the gradient with NaN).

The lesson's measurements live here too: the gradient each layer of a deep
MLP receives at initialization, the fraction of narrow bias-free ReLU
networks that are born dead (Lu et al. 2019), the best accuracy of a linear
classifier, a small classification task that compares feed-forward layers,
and LLaMA's sizing of its SwiGLU layer.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
from scipy.optimize import linprog
from torch import nn

from dlbook.checks import (
    check_choice,
    check_finite_array,
    check_int,
    check_positive,
    check_seed,
    check_tensor,
)
from dlbook.seeding import torch_threads

__all__ = [
    "ACTIVATIONS",
    "FFN_KINDS",
    "GATED_KINDS",
    "SHAZEER_TABLE1",
    "GatedFFN",
    "best_linear_accuracy",
    "born_dead_fraction",
    "checkerboard_labels",
    "elu",
    "gelu",
    "gelu_tanh",
    "layer_grad_norms",
    "leaky_relu",
    "llama_ffn_dim",
    "matched_d_ff",
    "mish",
    "relu",
    "selu",
    "sigmoid",
    "silu_minimum",
    "softplus",
    "step",
    "swish",
    "tanh",
    "train_ffn_classifier",
]

#: SELU's constants (Klambauer et al. 2017), as torch.nn.functional.selu uses them.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _x(x: torch.Tensor) -> torch.Tensor:
    # elementwise: any non-empty shape, a 0-d tensor (a scalar) too
    check_tensor("x", x.reshape(1) if isinstance(x, torch.Tensor) and x.ndim == 0 else x)
    return x


def _features(x: torch.Tensor, d_model: int) -> torch.Tensor:
    x = check_tensor("x", x)
    if x.shape[-1] != d_model:
        raise ValueError(f"x must have d_model = {d_model} features in its last dimension, got shape {tuple(x.shape)}")
    return x


# ----------------------------------------------------------------------------- the activations


def step(x: torch.Tensor) -> torch.Tensor:
    r"""The threshold unit: step(x) = 1 if x >= 0, else 0.

    Its derivative is 0 wherever it exists (everywhere but x = 0), so
    autograd returns a zero gradient: gradient descent gets no signal.
    """
    x = _x(x)
    # + 0 * x: the result stays in autograd's graph, with gradient 0
    return (x >= 0).to(x.dtype) + 0 * x


def sigmoid(x: torch.Tensor) -> torch.Tensor:
    r"""The logistic function sigma(x) = 1 / (1 + e**(-x)).

    1/(1 + e**(-x)) for x >= 0 and e**(x)/(1 + e**(x)) otherwise:
    each exponential sees a clamped argument <= 0, so none overflows.
    """
    x = _x(x)
    e_neg, e_pos = torch.exp(-x.clamp(min=0)), torch.exp(x.clamp(max=0))
    return torch.where(x >= 0, 1 / (1 + e_neg), e_pos / (1 + e_pos))


def tanh(x: torch.Tensor) -> torch.Tensor:
    r"""The hyperbolic tangent, a rescaled sigmoid: tanh(x) = 2 sigma(2x) - 1.

    Computed as (1 - e**(-2x)) / (1 + e**(-2x)) for x >= 0 (odd for x < 0),
    with expm1: 2 sigma(2x) - 1 would cancel to 0 for tiny |x|.
    """
    x = _x(x)
    pos, neg = -2 * x.clamp(min=0), 2 * x.clamp(max=0)  # both <= 0: no overflow
    return torch.where(
        x >= 0,
        -torch.expm1(pos) / (1 + torch.exp(pos)),
        torch.expm1(neg) / (1 + torch.exp(neg)),
    )


def relu(x: torch.Tensor) -> torch.Tensor:
    r"""The rectified linear unit relu(x) = max(x, 0) (gradient 0 at 0)."""
    x = _x(x)
    return x * (x > 0)


def leaky_relu(x: torch.Tensor, slope: float = 0.01) -> torch.Tensor:
    r"""Leaky ReLU: x for x > 0, slope * x otherwise (slope >= 0)."""
    slope = check_positive("slope", slope, allow_zero=True)
    x = _x(x)
    return torch.where(x > 0, x, slope * x)


def elu(x: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    r"""ELU: x for x > 0, alpha (e**x - 1) otherwise (alpha > 0).

    The exponential sees min(x, 0) only, so it never overflows.
    """
    alpha = check_positive("alpha", alpha)
    x = _x(x)
    return torch.where(x > 0, x, alpha * torch.expm1(x.clamp(max=0)))


def selu(x: torch.Tensor) -> torch.Tensor:
    r"""SELU: lambda * elu(x, alpha) with Klambauer et al.'s alpha ~ 1.6733 and lambda ~ 1.0507,
    which keep activations at mean 0 and variance 1 through a deep net with LeCun-normal weights."""
    return SELU_SCALE * elu(_x(x), SELU_ALPHA)


def gelu(x: torch.Tensor) -> torch.Tensor:
    r"""GELU, exact: x Phi(x), Phi the standard normal CDF.

    Phi(x) = erfc(-x / sqrt(2)) / 2; erfc keeps Phi accurate in the far
    negative tail, where 1 + erf(...) would cancel to 0.
    """
    x = _x(x)
    return x * 0.5 * torch.special.erfc(-x / math.sqrt(2))


def gelu_tanh(x: torch.Tensor) -> torch.Tensor:
    r"""GELU's tanh approximation (Hendrycks & Gimpel 2016), used by BERT and GPT-2:
    x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3))) / 2."""
    x = _x(x)
    return 0.5 * x * (1 + tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def swish(x: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    r"""Swish: x sigma(beta x) (beta > 0); beta = 1 is SiLU,
    beta ~ 1.702 approximates GELU, beta -> inf gives ReLU."""
    beta = check_positive("beta", beta)
    x = _x(x)
    return x * sigmoid(beta * x)


def softplus(x: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    r"""Softplus, a smooth ReLU: log(1 + e**(beta x)) / beta (beta > 0).

    For t = beta x > 0 it is computed as t + log(1 + e**(-t)), the same
    value with an exponential that cannot overflow.
    """
    beta = check_positive("beta", beta)
    t = beta * _x(x)
    pos = t + torch.log1p(torch.exp(-t.clamp(min=0)))
    return torch.where(t > 0, pos, torch.log1p(torch.exp(t.clamp(max=0)))) / beta


def mish(x: torch.Tensor) -> torch.Tensor:
    r"""Mish (Misra 2019): x tanh(softplus(x))."""
    return x * tanh(softplus(_x(x)))


#: The activations by name, for lessons that loop over them.
ACTIVATIONS = {
    "step": step,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "elu": elu,
    "selu": selu,
    "gelu": gelu,
    "gelu_tanh": gelu_tanh,
    "swish": swish,
    "softplus": softplus,
    "mish": mish,
}

# ----------------------------------------------------------------------------- gated feed-forward layers

#: Ungated kinds: activation(x W1) W2. Gated kinds: (gate(x W1) * x W3) W2 (Shazeer 2020).
UNGATED_KINDS = ("relu", "gelu", "swish")
GATED_KINDS = ("glu", "bilinear", "reglu", "geglu", "swiglu")
FFN_KINDS = UNGATED_KINDS + GATED_KINDS
_GATE = {
    "relu": relu,
    "gelu": gelu,
    "swish": swish,
    "glu": sigmoid,
    "bilinear": lambda h: h,
    "reglu": relu,
    "geglu": gelu,
    "swiglu": swish,
}


#: Shazeer (2020), "GLU Variants Improve Transformer", Table 1: held-out log-perplexity of T5-base-sized
#: models on C4 span filling, as (after 65,536 steps, its standard deviation over runs, after 524,288 steps).
SHAZEER_TABLE1 = {
    "relu": (1.997, 0.005, 1.677),
    "gelu": (1.983, 0.005, 1.679),
    "swish": (1.994, 0.003, 1.683),
    "glu": (1.982, 0.006, 1.663),
    "bilinear": (1.960, 0.005, 1.648),
    "geglu": (1.942, 0.004, 1.633),
    "swiglu": (1.944, 0.010, 1.636),
    "reglu": (1.953, 0.003, 1.645),
}


class GatedFFN(nn.Module):
    r"""A transformer's feed-forward layer, ungated or gated, with no biases (as in T5 and LLaMA).

    Ungated (``relu``, ``gelu``, ``swish``): FFN(x) = f(x W_1) W_2,
    two matrices. Gated (``glu``, ``bilinear``, ``reglu``, ``geglu``, ``swiglu``):
    FFN(x) = (f(x W_1) * x W_3) W_2, three matrices,
    with f = sigmoid, identity, ReLU, GELU or Swish (beta = 1).
    ``w1``, ``w3``, ``w2`` are named as in LLaMA's reference code.
    """

    def __init__(self, d_model: int, d_ff: int, kind: str = "swiglu") -> None:
        super().__init__()
        self.d_model = check_int("d_model", d_model, min_value=1)
        self.d_ff = check_int("d_ff", d_ff, min_value=1)
        self.kind = check_choice("kind", kind, FFN_KINDS)
        self.gated = kind in GATED_KINDS
        self.w1 = nn.Linear(d_model, d_ff, bias=False)
        self.w3 = nn.Linear(d_model, d_ff, bias=False) if self.gated else None
        self.w2 = nn.Linear(d_ff, d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _features(x, self.d_model)  # (..., d_model)
        h = _GATE[self.kind](self.w1(x))  # (..., d_ff)
        if self.gated:
            h = h * self.w3(x)  # (..., d_ff): gate times projection
        return self.w2(h)  # (..., d_model)


def matched_d_ff(d_ff: int) -> int:
    r"""The hidden width of a gated layer with the parameters of an ungated one of width ``d_ff``.

    Three matrices of d x d' against two of d x d_ff: 3 d d' = 2 d d_ff gives
    d' = 2/3 d_ff, rounded (Shazeer 2020: 3072 becomes 2048).
    """
    d_ff = check_int("d_ff", d_ff, min_value=1)
    return max(1, round(2 * d_ff / 3))


def llama_ffn_dim(
    dim: int,
    multiple_of: int = 256,
    ffn_dim_multiplier: float | None = None,
) -> int:
    r"""SwiGLU hidden width of LLaMA's code (FeedForward, llama/model.py).

    Start from the ungated 4 * dim, keep 2/3 of it (rounded down),
    multiply by ffn_dim_multiplier if given (LLaMA 2 70B: 1.3), then
    round up to a multiple of multiple_of.
    """
    dim = check_int("dim", dim, min_value=1)
    multiple_of = check_int("multiple_of", multiple_of, min_value=1)
    hidden = int(2 * (4 * dim) / 3)
    if ffn_dim_multiplier is not None:
        m = check_positive("ffn_dim_multiplier", ffn_dim_multiplier)
        hidden = int(m * hidden)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


# ----------------------------------------------------------------------------- measurements

#: Gains of the Gaussian initialization N(0, gain^2 / fan_in) per activation:
#: torch.nn.init.calculate_gain's values; GELU and Swish take ReLU's (torch lists none).
INIT_GAIN = {"sigmoid": 1.0, "tanh": 5.0 / 3.0, "relu": math.sqrt(2.0), "gelu": math.sqrt(2.0), "swish": math.sqrt(2.0)}


def layer_grad_norms(activation: str, *, depth: int, width: int = 64, n: int = 128, seed: int = 0) -> np.ndarray:
    r"""The norm of the loss gradient for each layer's weights of a fresh deep MLP, first layer first.

    ``depth`` linear layers of ``width`` units, each followed by ``activation``,
    weights drawn N(0, g**2 / width) with the activation's
    gain g (``INIT_GAIN``), no biases; the loss is the mean squared
    output on ``n`` standard normal inputs. Backpropagation multiplies the
    gradient by W^T diag(f'(z)) once per layer, so an
    activation with |f'| <= 1/4 shrinks it layer after layer.
    """
    check_choice("activation", activation, sorted(INIT_GAIN))
    depth = check_int("depth", depth, min_value=1)
    width = check_int("width", width, min_value=1)
    n = check_int("n", n, min_value=1)
    gen = torch.Generator().manual_seed(check_seed("seed", seed))
    std = INIT_GAIN[activation] / math.sqrt(width)
    f = ACTIVATIONS[activation]
    with torch_threads(1):  # tiny tensors: one thread is fastest on a busy machine
        weights = [
            (torch.randn(width, width, generator=gen, dtype=torch.float64) * std).requires_grad_() for _ in range(depth)
        ]
        h = torch.randn(n, width, generator=gen, dtype=torch.float64)  # (n, width)
        for w in weights:
            h = f(h @ w.T)  # (n, width)
        h.pow(2).mean().backward()
    return np.array([float(w.grad.norm()) for w in weights])


def born_dead_fraction(
    depth: int, width: int, *, n_nets: int = 2000, n_inputs: int = 256, slope: float = 0.0, seed: int = 0
) -> float:
    r"""The fraction of random bias-free (leaky) ReLU nets that are born dead: output 0 on every probe input.

    Each net has ``depth`` layers of ``width`` units (input dimension ``width``),
    weights i.i.d. standard normal (a bias-free ReLU net is positively homogeneous,
    so the weights' scale changes nothing). A net counts as dead when its last
    layer is zero on all ``n_inputs`` random probe inputs; a layer that is zero
    on an input stays zero after it, since there are no biases to revive it.
    Lu, Shin, Su & Karniadakis (2019) prove that this probability tends to 1 as
    the depth grows at fixed width. With ``slope > 0`` (leaky ReLU) each layer
    is injective, so no net dies.
    """
    depth = check_int("depth", depth, min_value=1)
    width = check_int("width", width, min_value=1)
    n_nets = check_int("n_nets", n_nets, min_value=1)
    n_inputs = check_int("n_inputs", n_inputs, min_value=1)
    slope = check_positive("slope", slope, allow_zero=True)
    gen = torch.Generator().manual_seed(check_seed("seed", seed))
    with torch_threads(1):  # many tiny products: one thread is fastest on a busy machine
        h = torch.randn(n_nets, n_inputs, width, generator=gen, dtype=torch.float64)  # (nets, inputs, width)
        for _ in range(depth):
            w = torch.randn(n_nets, width, width, generator=gen, dtype=torch.float64)  # (nets, width, width)
            z = h @ w.transpose(1, 2)  # (nets, inputs, width)
            h = torch.where(z > 0, z, slope * z)
    dead = (h == 0).flatten(1).all(dim=1)  # (nets,)
    return float(dead.double().mean())


def best_linear_accuracy(X: np.ndarray, y: np.ndarray) -> float:
    r"""The best accuracy any linear classifier step(w . x + b) reaches on ``(X, y)``.

    Exact, by brute force for small data sets: the largest subset of the samples
    that is strictly linearly separable, tested with a linear program
    (s_i (w . x_i + b) >= 1, s_i = 2 y_i - 1, is feasible).
    """
    X = check_finite_array("X", X, ndim=2)
    y = check_finite_array("y", y, ndim=1)
    if len(y) != len(X) or not np.isin(y, (0, 1)).all():
        raise ValueError(f"y must hold one label 0 or 1 per row of X ({len(X)}), got {y.tolist()}")
    if len(X) > 12:
        raise ValueError(f"X must have at most 12 rows (the search tries every subset), got {len(X)}")
    s = 2 * y - 1
    a = -s[:, None] * np.c_[X, np.ones(len(X))]  # rows: -s_i (x_i, 1)
    for k in range(len(X), 0, -1):
        for subset in itertools.combinations(range(len(X)), k):
            rows = list(subset)
            lp = linprog(np.zeros(a.shape[1]), A_ub=a[rows], b_ub=-np.ones(k), bounds=(None, None))
            if lp.status == 0:
                return k / len(X)
    return 0.0


def checkerboard_labels(n: int, *, cells: int = 4, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    r"""``n`` points uniform on the square [-1, 1] x [-1, 1], labelled by the colour of their square on a
    ``cells`` x ``cells`` checkerboard: XOR, repeated."""
    n = check_int("n", n, min_value=1)
    cells = check_int("cells", cells, min_value=1)
    gen = torch.Generator().manual_seed(check_seed("seed", seed))
    x = torch.rand(n, 2, generator=gen) * 2 - 1  # (n, 2)
    square = ((x + 1) / 2 * cells).floor().clamp(max=cells - 1)  # (n, 2)
    return x, (square.sum(dim=1) % 2)


def _classifier(kind: str, d_model: int, d_ff: int, blocks: int) -> nn.Module:
    layers: list[nn.Module] = [nn.Linear(2, d_model)]
    for _ in range(blocks):
        layers.append(_Residual(nn.Sequential(nn.LayerNorm(d_model), GatedFFN(d_model, d_ff, kind))))
    layers += [nn.LayerNorm(d_model), nn.Linear(d_model, 1)]
    return nn.Sequential(*layers)


class _Residual(nn.Module):
    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.inner(x)


def train_ffn_classifier(
    kind: str,
    *,
    d_model: int = 16,
    d_ff: int = 48,
    blocks: int = 2,
    steps: int = 200,
    lr: float = 1e-2,
    n_train: int = 512,
    n_test: int = 4096,
    seed: int = 0,
) -> dict[str, float | int]:
    r"""Train a small pre-norm residual MLP whose blocks are ``GatedFFN(kind)`` on the 4 x 4 checkerboard.

    Ungated kinds get width ``d_ff``, gated kinds ``matched_d_ff(d_ff)``, so all
    have about the same number of parameters. Full-batch Adam for ``steps``
    steps on ``n_train`` points; returns the held-out log-loss (cross-entropy,
    nats) and accuracy on ``n_test`` fresh points, and the parameter count.
    """
    check_choice("kind", kind, FFN_KINDS)
    width = matched_d_ff(d_ff) if kind in GATED_KINDS else check_int("d_ff", d_ff, min_value=1)
    steps = check_int("steps", steps, min_value=1)
    lr = check_positive("lr", lr)
    seed = check_seed("seed", seed)
    x, y = checkerboard_labels(check_int("n_train", n_train, min_value=1), seed=seed)
    x_test, y_test = checkerboard_labels(check_int("n_test", n_test, min_value=1), seed=seed + 1)
    with torch_threads(1):
        torch.manual_seed(seed)
        model = _classifier(
            kind, check_int("d_model", d_model, min_value=1), width, check_int("blocks", blocks, min_value=1)
        )
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        loss_fn = nn.BCEWithLogitsLoss()
        for _ in range(steps):
            opt.zero_grad()
            loss_fn(model(x).squeeze(1), y).backward()
            opt.step()
        with torch.no_grad():
            logits = model(x_test).squeeze(1)  # (n_test,)
            test_loss = float(loss_fn(logits, y_test))
            accuracy = float(((logits > 0).float() == y_test).float().mean())
    return {"test_loss": test_loss, "accuracy": accuracy, "params": sum(p.numel() for p in model.parameters())}


def silu_minimum() -> tuple[float, float]:
    r"""Where SiLU x sigma(x) is smallest, in closed form with Lambert's W.

    Setting the derivative sigma(x) (1 + x (1 - sigma(x))) to 0 gives
    1 + x + e**x = 0, i.e. x_min = -1 - W(1/e), where the value is
    x_min sigma(x_min) = -W(1/e). Returns (x_min, SiLU(x_min)).
    """
    from scipy.special import lambertw

    w = float(lambertw(1 / math.e).real)
    return -1.0 - w, -w
