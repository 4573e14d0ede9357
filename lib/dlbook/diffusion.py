r"""Diffusion models: DDPM, DDIM and the SDE/ODE view, as small tested functions.

Conventions used throughout:

* **Discrete time is 0-based.** A schedule has ``T`` steps ``t = 0, ..., T-1``;
  the paper's step ``t`` (1-based) is our ``t - 1``. ``betas[t]`` is
  $\beta_t$ and ``alpha_bar[t]`` is $\bar\alpha_t = \prod_{s \le t}(1 - \beta_s)$;
  "$\bar\alpha_{-1}$" (clean data) is 1.
* **Networks see continuous time** $\tau \in (0, 1]$: discrete step ``t``
  is $\tau = (t + 1) / T$, so the same $\epsilon$-model serves the discrete
  samplers and the VP-SDE samplers.
* Schedules are float64 tensors; samples stay float32. Noise is always passed
  by keyword (``noise=``).

This module holds the schedules, the single-step updates and the SDE; the
network, its trainer and the samplers that loop over these steps live in
:mod:`dlbook.diffusion_models` (which imports this module, never the reverse).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from dlbook.checks import (
    check_choice,
    check_fraction,
    check_int,
    check_positive,
    check_real,
    check_schedule,
    check_tensor,
)

__all__ = [
    "linear_beta_schedule",
    "alpha_bars",
    "q_sample",
    "timestep_subsequence",
    "ddpm_step",
    "ddim_step",
    "VPSDE",
    "score_from_eps",
    "mixture_eps",
]

# ----------------------------------------------------------------------------- guards


def _check_t(t: Any, T: int, n: int | None = None) -> Any:
    """An int in ``[0, T-1]`` or an integer tensor of such (shape ``(n,)`` if given)."""
    if isinstance(t, torch.Tensor):
        if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
            raise TypeError(f"t must be an integer tensor, got dtype {t.dtype}")
        if t.ndim == 0:
            t = int(t.item())
        else:
            if n is not None and t.shape != (n,):
                raise ValueError(f"t must be an int or have shape ({n},), got {tuple(t.shape)}")
            if t.ndim != 1 or t.numel() == 0:
                raise ValueError(f"t must be an int or a non-empty 1-D tensor, got shape {tuple(t.shape)}")
            if bool((t < 0).any()) or bool((t >= T).any()):
                raise ValueError(f"t must lie in [0, {T - 1}], got values in [{t.min().item()}, {t.max().item()}]")
            return t
    t = check_int("t", t)
    if not 0 <= t < T:
        raise ValueError(f"t must lie in [0, {T - 1}] (0-based), got {t}")
    return t


def _check_q_sample(
    x0: Any, t: Any, alpha_bar: Any, noise: Any
) -> tuple[torch.Tensor, Any, torch.Tensor, torch.Tensor]:
    x0 = check_tensor("x0", x0)
    noise = check_tensor("noise", noise, like=x0, like_name="x0")
    alpha_bar = check_schedule("alpha_bar", alpha_bar)
    return x0, _check_t(t, alpha_bar.numel(), x0.shape[0]), alpha_bar, noise


def _check_ddpm_step(
    x_t: Any, eps: Any, t: Any, betas: Any, noise: Any
) -> tuple[torch.Tensor, torch.Tensor, int, torch.Tensor, Any]:
    x_t = check_tensor("x_t", x_t)
    eps = check_tensor("eps", eps, like=x_t, like_name="x_t")
    betas = check_schedule("betas", betas)
    if isinstance(t, torch.Tensor) and t.ndim > 0:
        raise ValueError(f"t must be a single int for ddpm_step (all rows share one step), got shape {tuple(t.shape)}")
    t = _check_t(t, betas.numel())
    if noise is None and t > 0:
        raise ValueError("noise must be given for t > 0 (the step is stochastic)")
    if noise is not None:
        noise = check_tensor("noise", noise, like=x_t, like_name="x_t")
    return x_t, eps, t, betas, noise


def _check_ddim_step(
    x_t: Any, eps: Any, alpha_bar_t: Any, alpha_bar_prev: Any, eta: Any, noise: Any
) -> tuple[torch.Tensor, torch.Tensor, float, float, float, Any]:
    x_t = check_tensor("x_t", x_t)
    eps = check_tensor("eps", eps, like=x_t, like_name="x_t")
    ab_t, ab_prev = check_fraction("alpha_bar_t", alpha_bar_t), check_fraction("alpha_bar_prev", alpha_bar_prev)
    eta = check_positive("eta", eta, allow_zero=True)
    if eta > 1:
        raise ValueError(f"eta must lie in [0, 1] (1 is DDPM's noise level), got {eta}")
    if eta > 0:
        if ab_t >= 1:
            raise ValueError("alpha_bar_t must be < 1 when eta > 0 (a noisy point to denoise)")
        if ab_prev < ab_t:
            raise ValueError(
                f"alpha_bar_prev must be >= alpha_bar_t when eta > 0 (a denoising step), got {ab_prev} < {ab_t}"
            )
        if noise is None:
            raise ValueError("noise must be given when eta > 0 (the step is stochastic)")
    if noise is not None:
        noise = check_tensor("noise", noise, like=x_t, like_name="x_t")
    return x_t, eps, ab_t, ab_prev, eta, noise


# ----------------------------------------------------------------------------- schedules


def linear_beta_schedule(T: int = 1000, *, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    r"""DDPM's schedule: $\beta_t$ evenly spaced from ``beta_start`` to ``beta_end``.

    Returns a float64 tensor of shape ``(T,)``; ``betas[t]`` is the variance
    of the noise added at (0-based) step ``t``. With the defaults and
    ``T = 1000``, $T\beta_t$ runs from 0.1 to 20: the VP-SDE's $\beta(\tau)$.
    """
    T = check_int("T", T, min_value=1)
    beta_start = check_fraction("beta_start", beta_start, allow_one=False)
    beta_end = check_fraction("beta_end", beta_end, allow_one=False)
    return torch.linspace(beta_start, beta_end, T, dtype=torch.float64)


def alpha_bars(betas: torch.Tensor) -> torch.Tensor:
    r"""$\bar\alpha_t = \prod_{s=0}^{t} (1 - \beta_s)$: the signal kept after step ``t``."""
    betas = check_schedule("betas", betas)
    return torch.cumprod(1.0 - betas.double(), dim=0)


def q_sample(x0: torch.Tensor, t: Any, alpha_bar: torch.Tensor, *, noise: torch.Tensor) -> torch.Tensor:
    r"""Jump straight to step ``t``: $x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon$.

    This is a sample of $q(x_t \mid x_0) = \mathcal N(\sqrt{\bar\alpha_t}x_0, (1-\bar\alpha_t)I)$.
    ``t`` is an int (all rows) or an integer tensor of shape ``(n,)`` (one per row).
    """
    x0, t, alpha_bar, noise = _check_q_sample(x0, t, alpha_bar, noise)
    ab = alpha_bar.to(x0.device)[t]
    if isinstance(t, torch.Tensor):  # one step per row: broadcast over the other dimensions
        ab = ab.reshape(-1, *([1] * (x0.ndim - 1)))
    ab = torch.as_tensor(ab, dtype=x0.dtype, device=x0.device)
    return ab.sqrt() * x0 + (1 - ab).sqrt() * noise


def timestep_subsequence(T: int, steps: int, *, spacing: str = "uniform") -> list[int]:
    r"""``steps`` distinct 0-based steps from ``[0, T-1]``, ascending, ending at ``T - 1``.

    ``"uniform"``: evenly spaced, both ends included. ``"quadratic"``: step
    $k$ at $\lfloor (T-1)(k/(S-1))^2 \rceil$, dense near the data where the
    trajectory bends most (the DDIM paper's choice for CIFAR-10); collisions
    are pushed up so all steps stay distinct.
    """
    T = check_int("T", T, min_value=1)
    steps = check_int("steps", steps, min_value=1)
    spacing = check_choice("spacing", spacing, ("uniform", "quadratic"))
    if steps > T:
        raise ValueError(f"steps must be <= T = {T}, got {steps}")
    if steps == 1:
        return [T - 1]
    power = 1 if spacing == "uniform" else 2
    seq = [round((T - 1) * (k / (steps - 1)) ** power) for k in range(steps)]
    for k in range(1, steps):  # keep strictly increasing (only quadratic can collide)
        seq[k] = max(seq[k], seq[k - 1] + 1)
    return seq


# ----------------------------------------------------------------------------- one reverse step


def ddpm_step(
    x_t: torch.Tensor, eps: torch.Tensor, t: int, betas: torch.Tensor, *, noise: torch.Tensor | None = None
) -> torch.Tensor:
    r"""One ancestral DDPM step $x_t \to x_{t-1}$ (Ho et al. 2020, Algorithm 2).

    $$x_{t-1} = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,\epsilon\Big)
       + \sqrt{\tilde\beta_t}\, z,\qquad
       \tilde\beta_t = \beta_t\,\frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t},$$

    the posterior variance of $q(x_{t-1} \mid x_t, x_0)$. ``t`` is 0-based; at
    ``t = 0`` the step returns the mean (no noise, ``noise`` may be ``None``).
    """
    x_t, eps, t, betas, noise = _check_ddpm_step(x_t, eps, t, betas, noise)
    ab = alpha_bars(betas)
    beta, ab_t = betas[t].item(), ab[t].item()
    ab_prev = ab[t - 1].item() if t > 0 else 1.0
    mean = (x_t - beta / math.sqrt(1 - ab_t) * eps) / math.sqrt(1 - beta)
    if t == 0:
        return mean
    posterior_var = beta * (1 - ab_prev) / (1 - ab_t)
    return mean + math.sqrt(posterior_var) * noise


def ddim_step(
    x_t: torch.Tensor,
    eps: torch.Tensor,
    alpha_bar_t: float,
    alpha_bar_prev: float,
    *,
    eta: float = 0.0,
    noise: torch.Tensor | None = None,
) -> torch.Tensor:
    r"""One DDIM step from $\bar\alpha_t$ to $\bar\alpha_{prev}$ (Song et al. 2021, Eq. 12).

    $$x_{prev} = \sqrt{\bar\alpha_{prev}}\,\hat x_0
       + \sqrt{1-\bar\alpha_{prev}-\sigma_t^2}\;\epsilon + \sigma_t z,\qquad
       \hat x_0 = \frac{x_t - \sqrt{1-\bar\alpha_t}\,\epsilon}{\sqrt{\bar\alpha_t}},$$
    $$\sigma_t = \eta\sqrt{\frac{1-\bar\alpha_{prev}}{1-\bar\alpha_t}}
       \sqrt{1-\frac{\bar\alpha_t}{\bar\alpha_{prev}}}.$$

    ``eta`` lies in $[0, 1]$: ``eta = 0`` is deterministic (``noise`` is ignored);
    ``eta = 1`` with consecutive steps is exactly DDPM's ancestral step. With
    ``eta = 0`` the step may also run *forwards* (``alpha_bar_prev < alpha_bar_t``):
    DDIM inversion.
    """
    x_t, eps, ab_t, ab_prev, eta, noise = _check_ddim_step(x_t, eps, alpha_bar_t, alpha_bar_prev, eta, noise)
    sigma = 0.0
    if eta > 0:
        sigma = eta * math.sqrt((1 - ab_prev) / (1 - ab_t)) * math.sqrt(1 - ab_t / ab_prev)
    x0_pred = (x_t - math.sqrt(1 - ab_t) * eps) / math.sqrt(ab_t)
    # For eta <= 1 the variance left is >= 0; max() only absorbs rounding below zero.
    direction = math.sqrt(max(1 - ab_prev - sigma**2, 0.0)) * eps
    x_prev = math.sqrt(ab_prev) * x0_pred + direction
    return x_prev + sigma * noise if sigma > 0 else x_prev


# ----------------------------------------------------------------------------- continuous time


def _check_tau(tau: Any) -> float:
    tau = check_real("tau", tau)
    if not 0 <= tau <= 1:
        raise ValueError(f"tau must lie in [0, 1], got {tau}")
    return tau


def _check_x_eps(x: Any, tau: Any, eps: Any) -> tuple[torch.Tensor, float, torch.Tensor]:
    x = check_tensor("x", x)
    return x, _check_tau(tau), check_tensor("eps", eps, like=x, like_name="x")


@dataclass(frozen=True)
class VPSDE:
    r"""The variance-preserving SDE $dx = -\tfrac12\beta(\tau)x\,d\tau + \sqrt{\beta(\tau)}\,dw$.

    $\beta(\tau) = \beta_{min} + \tau(\beta_{max} - \beta_{min})$ on $\tau \in [0, 1]$
    is the continuous limit of the linear schedule ($\beta_t \approx \beta(\tau)/T$),
    and $\bar\alpha(\tau) = \exp(-\int_0^\tau \beta)$ plays the role of $\bar\alpha_t$.
    """

    beta_min: float = 0.1
    beta_max: float = 20.0

    def __post_init__(self) -> None:
        check_positive("beta_min", self.beta_min)
        check_positive("beta_max", self.beta_max)
        if self.beta_max < self.beta_min:
            raise ValueError(f"beta_max must be >= beta_min, got {self.beta_max} < {self.beta_min}")

    def beta(self, tau: float) -> float:
        r"""$\beta(\tau)$, the noise rate at time ``tau``."""
        tau = _check_tau(tau)
        return self.beta_min + tau * (self.beta_max - self.beta_min)

    def alpha_bar(self, tau: float) -> float:
        r"""$\bar\alpha(\tau) = \exp(-\beta_{min}\tau - \tfrac12(\beta_{max} - \beta_{min})\tau^2)$."""
        tau = _check_tau(tau)
        return math.exp(-(self.beta_min * tau + 0.5 * (self.beta_max - self.beta_min) * tau**2))

    def drift(self, x: torch.Tensor, tau: float) -> torch.Tensor:
        r"""$f(x, \tau) = -\tfrac12\beta(\tau)\,x$."""
        x = check_tensor("x", x)
        return -0.5 * self.beta(tau) * x

    def diffusion(self, tau: float) -> float:
        r"""$g(\tau) = \sqrt{\beta(\tau)}$."""
        return math.sqrt(self.beta(tau))

    def reverse_sde_drift(self, x: torch.Tensor, tau: float, eps: torch.Tensor) -> torch.Tensor:
        r"""$f - g^2\nabla\log p_\tau$: the drift of the reverse-time SDE (Anderson 1982)."""
        x, tau, eps = _check_x_eps(x, tau, eps)
        return self.drift(x, tau) - self.diffusion(tau) ** 2 * score_from_eps(eps, self.alpha_bar(tau))

    def pf_ode_drift(self, x: torch.Tensor, tau: float, eps: torch.Tensor) -> torch.Tensor:
        r"""$f - \tfrac12 g^2\nabla\log p_\tau$: the probability-flow ODE (same marginals, no noise)."""
        x, tau, eps = _check_x_eps(x, tau, eps)
        return self.drift(x, tau) - 0.5 * self.diffusion(tau) ** 2 * score_from_eps(eps, self.alpha_bar(tau))


def score_from_eps(eps: torch.Tensor, alpha_bar: float) -> torch.Tensor:
    r"""$\nabla_x \log p_t(x) = -\epsilon / \sqrt{1 - \bar\alpha_t}$ for an optimal noise predictor.

    ``alpha_bar`` must be below 1: clean data has no noise, hence no score.
    """
    eps, alpha_bar = check_tensor("eps", eps), check_fraction("alpha_bar", alpha_bar, allow_one=False)
    return -eps / math.sqrt(1 - alpha_bar)


def mixture_eps(x: torch.Tensor, alpha_bar: float, *, means: torch.Tensor, std: float) -> torch.Tensor:
    r"""The exact noise prediction $\mathbb E[\epsilon \mid x_t = x]$ when the data are a Gaussian mixture.

    For data $\tfrac1K\sum_k \mathcal N(\mu_k, s^2 I)$ (``means`` holds the $\mu_k$ as
    rows, ``std`` is $s$), $x_t$ is the mixture of $\mathcal N(\sqrt{\bar\alpha}\,\mu_k,
    v I)$ with $v = \bar\alpha s^2 + 1 - \bar\alpha$, whose score is
    $\sum_k w_k(x)\,(\sqrt{\bar\alpha}\,\mu_k - x)/v$ with responsibilities
    $w_k \propto \exp(-\lVert x - \sqrt{\bar\alpha}\,\mu_k\rVert^2 / 2v)$; then
    $\epsilon = -\sqrt{1-\bar\alpha}\,\nabla\log p$. The network-free reference that
    a perfectly trained $\epsilon_\theta$ would be.
    """
    x = check_tensor("x", x, ndim=2)
    alpha_bar = check_fraction("alpha_bar", alpha_bar, allow_one=False)
    means = check_tensor("means", means, ndim=2)
    if means.shape[1] != x.shape[1]:
        raise ValueError(f"means must have {x.shape[1]} columns like x, got shape {tuple(means.shape)}")
    std = check_positive("std", std, allow_zero=True)
    centres = math.sqrt(alpha_bar) * means.to(x.dtype)
    var = alpha_bar * std**2 + 1 - alpha_bar
    weights = torch.softmax(-(torch.cdist(x, centres) ** 2) / (2 * var), dim=1)
    score = (weights @ centres - x) / var
    return -math.sqrt(1 - alpha_bar) * score
