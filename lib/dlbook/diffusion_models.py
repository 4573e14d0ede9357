r"""The noise-prediction network, its trainer, and the samplers of the diffusion lessons.

The schedules and single-step updates the samplers loop over are in
:mod:`dlbook.diffusion`; the time grids, Euler/Heun steps and path recording
in :mod:`dlbook.ode`. The network $\epsilon_\theta(x, \tau)$ takes points ``x``
of shape ``(n, d)`` and continuous times ``tau`` in $(0, 1]$ of shape ``(n,)``
(discrete step ``t`` of ``T`` is $\tau = (t+1)/T$). A *model* is any callable
``model(x, tau) -> eps`` of that kind; what it returns is checked (a finite
tensor of the shape of ``x``). Samplers return a :class:`dlbook.ode.Solution`
(CPU points, network evaluations ``nfe``, and on request the trajectory).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import torch
from torch import nn

from dlbook.checks import (
    check_bool,
    check_callable,
    check_choice,
    check_device,
    check_fraction,
    check_instance,
    check_int,
    check_positive,
    check_returned,
    check_schedule,
    check_seed,
    check_tensor,
)
from dlbook.diffusion import (
    VPSDE,
    alpha_bars,
    ddim_step,
    ddpm_step,
    linear_beta_schedule,
    q_sample,
    timestep_subsequence,
)
from dlbook.ode import Recorder, Solution, euler_step, heun_step, time_grid

__all__ = [
    "sinusoidal_embedding",
    "EpsMLP",
    "TrainResult",
    "train_eps_model",
    "sample_ddpm",
    "sample_ddim",
    "ddim_invert",
    "sample_reverse_sde",
    "sample_pf_ode",
]

#: A noise predictor: ``model(x, tau) -> eps``, ``x`` of shape (n, d), ``tau`` of shape (n,).
Model = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def sinusoidal_embedding(tau: torch.Tensor, dim: int = 32, *, scale: float = 1000.0) -> torch.Tensor:
    r"""Transformer-style features of a time: $[\sin(s\tau\omega_k), \cos(s\tau\omega_k)]$.

    Frequencies $\omega_k = 10000^{-k/(dim/2)}$, $k = 0, \dots, dim/2 - 1$; ``scale``
    stretches $\tau \in (0, 1]$ to the step range so neighbouring steps differ.
    Returns shape ``(n, dim)``.
    """
    tau = check_tensor("tau", tau, ndim=1)
    dim = check_int("dim", dim, min_value=2)
    if dim % 2:
        raise ValueError(f"dim must be even, got {dim}")
    scale = check_positive("scale", scale)
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=tau.device, dtype=torch.float32) / half)
    angles = scale * tau.float()[:, None] * freqs[None, :]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


class EpsMLP(nn.Module):
    r"""$\epsilon_\theta(x, \tau)$: an MLP on ``[x, embedding(tau)]`` with SiLU activations.

    ``depth`` hidden layers of width ``hidden``; output has the shape of ``x``.
    ``emb_dim`` (even) is the width of the time embedding.
    """

    def __init__(self, dim: int = 2, *, hidden: int = 128, depth: int = 3, emb_dim: int = 32) -> None:
        super().__init__()
        self.dim = check_int("dim", dim, min_value=1)
        hidden = check_int("hidden", hidden, min_value=1)
        depth = check_int("depth", depth, min_value=1)
        self.emb_dim = check_int("emb_dim", emb_dim, min_value=2)
        if emb_dim % 2:
            raise ValueError(f"emb_dim must be even (sine and cosine pairs), got {emb_dim}")
        layers: list[nn.Module] = []
        width = dim + emb_dim
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.SiLU()]
            width = hidden
        layers.append(nn.Linear(width, dim))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, tau: torch.Tensor) -> torch.Tensor:
        """Predicted noise for points ``x`` (n, dim) at times ``tau`` (n,); any float dtype."""
        x = check_tensor("x", x, ndim=2)
        if x.shape[1] != self.dim:
            raise ValueError(f"x must have shape (n, {self.dim}), got {tuple(x.shape)}")
        tau = check_tensor("tau", tau, ndim=1)
        if tau.shape != (x.shape[0],):
            raise ValueError(f"tau must have shape ({x.shape[0]},), got {tuple(tau.shape)}")
        x = x.to(self.net[0].weight.dtype)
        return self.net(torch.cat([x, sinusoidal_embedding(tau, self.emb_dim)], dim=1))


@dataclass
class TrainResult:
    """What :func:`train_eps_model` returns: the trained ``model`` (eval mode) and the loss per step."""

    model: EpsMLP
    losses: list[float] = field(default_factory=list)


def _check_training(
    data: Any, steps: Any, batch_size: Any, lr: Any, seed: Any, T: Any, device: Any
) -> tuple[torch.Tensor, int, int, float, int, int, torch.device]:
    data = check_tensor("data", data, ndim=2)
    return (
        data,
        check_int("steps", steps, min_value=1),
        check_int("batch_size", batch_size, min_value=1),
        check_positive("lr", lr),
        check_seed("seed", seed),
        check_int("T", T, min_value=1),
        check_device("device", device),
    )


def train_eps_model(
    data: torch.Tensor,
    *,
    steps: int = 3000,
    batch_size: int = 256,
    lr: float = 2e-3,
    seed: int = 0,
    T: int = 1000,
    hidden: int = 128,
    depth: int = 3,
    device: torch.device | str = "cpu",
) -> TrainResult:
    r"""Fit $\epsilon_\theta$ by DDPM's simple loss $\lVert\epsilon - \epsilon_\theta(x_t, \tau)\rVert^2$.

    Each Adam step draws a batch of ``data`` rows, a 0-based step
    $t \sim U\{0..T-1\}$ per row, noise $\epsilon \sim \mathcal N(0, I)$, and regresses
    $\epsilon$ from $x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon$
    (linear schedule). The learning rate decays to 0 on a cosine. Everything
    random comes from ``seed`` (same seed, device and thread count: identical
    weights). Returns a :class:`TrainResult`: the model in eval mode and the loss per step.
    """
    data, steps, batch_size, lr, seed, T, device = _check_training(data, steps, batch_size, lr, seed, T, device)
    alpha_bar = alpha_bars(linear_beta_schedule(T)).to(device)
    data = data.to(device=device, dtype=torch.float32)

    with torch.random.fork_rng(devices=[]):  # seeded initialization, global RNG untouched
        torch.manual_seed(seed)
        model = EpsMLP(data.shape[1], hidden=hidden, depth=depth).to(device)
    gen = torch.Generator(device=device).manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    losses: list[float] = []
    model.train()
    for _ in range(steps):
        idx = torch.randint(0, data.shape[0], (batch_size,), generator=gen, device=device)
        x0 = data[idx]
        t = torch.randint(0, T, (batch_size,), generator=gen, device=device)
        noise = torch.randn(x0.shape, generator=gen, device=device)
        x_t = q_sample(x0, t, alpha_bar, noise=noise)
        loss = (model(x_t, (t + 1).float() / T) - noise).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    return TrainResult(model.eval(), losses)


# ----------------------------------------------------------------------------- samplers


def _resolve_device(model: Any, like: torch.Tensor | None, device: Any) -> torch.device:
    """Explicit ``device``, else the model's (a module with parameters), else ``like``'s, else the CPU."""
    if device is not None:
        return check_device("device", device)
    params = list(model.parameters()) if isinstance(model, nn.Module) else []
    if params:
        return params[0].device
    return like.device if like is not None else torch.device("cpu")


def _start(
    model: Any, n: Any, dim: Any, seed: Any, x_T: Any, device: Any, record: Any
) -> tuple[torch.Tensor, torch.Generator, bool]:
    """Validate a sampler's common arguments; the starting noise and the sampler's generator."""
    check_callable("model", model)
    seed = check_seed("seed", seed)
    record = check_bool("return_trajectory", record)
    if x_T is not None:
        x_T = check_tensor("x_T", x_T, ndim=2)
        device = _resolve_device(model, x_T, device)
        gen = torch.Generator(device=device).manual_seed(seed)
        return x_T.to(device=device, dtype=torch.float32).clone(), gen, record
    n, dim = check_int("n", n, min_value=1), check_int("dim", dim, min_value=1)
    device = _resolve_device(model, None, device)
    gen = torch.Generator(device=device).manual_seed(seed)
    return torch.randn(n, dim, generator=gen, device=device), gen, record


def _betas(betas: Any) -> torch.Tensor:
    return linear_beta_schedule() if betas is None else check_schedule("betas", betas)


def _eps(model: Model, x: torch.Tensor, tau: float) -> torch.Tensor:
    """``model(x, tau)`` with ``tau`` broadcast to one time per row; the output is checked."""
    return check_returned("model", model(x, torch.full((x.shape[0],), tau, device=x.device, dtype=x.dtype)), x)


@torch.no_grad()
def sample_ddpm(
    model: Model,
    n: int = 1000,
    *,
    betas: torch.Tensor | None = None,
    seed: int = 0,
    x_T: torch.Tensor | None = None,
    dim: int = 2,
    return_trajectory: bool = False,
    device: torch.device | str | None = None,
) -> Solution:
    """Ancestral sampling: all ``T`` steps of :func:`~dlbook.diffusion.ddpm_step`, one network call each.

    The reverse process is Markov, so no step can be skipped: ``nfe == T``.
    ``betas`` defaults to :func:`~dlbook.diffusion.linear_beta_schedule` (T = 1000).
    """
    betas = _betas(betas)
    T = betas.numel()
    x, gen, record = _start(model, n, dim, seed, x_T, device, return_trajectory)
    rec = Recorder(x, 1.0, on=record)
    for t in reversed(range(T)):
        eps = _eps(model, x, (t + 1) / T)
        noise = torch.randn(x.shape, generator=gen, device=x.device) if t > 0 else None
        x = ddpm_step(x, eps, t, betas, noise=noise)
        rec.add(x, t / T)
    return rec.solution(x, T)


@torch.no_grad()
def sample_ddim(
    model: Model,
    n: int = 1000,
    *,
    steps: int = 50,
    eta: float = 0.0,
    spacing: str = "uniform",
    betas: torch.Tensor | None = None,
    seed: int = 0,
    x_T: torch.Tensor | None = None,
    dim: int = 2,
    return_trajectory: bool = False,
    device: torch.device | str | None = None,
) -> Solution:
    r"""DDIM on a sub-sequence of ``steps`` of the ``T`` training steps.

    Visits :func:`~dlbook.diffusion.timestep_subsequence` (``spacing`` ``"uniform"`` or
    ``"quadratic"``) from the top, applying :func:`~dlbook.diffusion.ddim_step`
    from $\bar\alpha_{\tau_i}$ to $\bar\alpha_{\tau_{i-1}}$ (and finally to 1,
    clean data): ``nfe == steps``. ``eta = 0`` is deterministic given ``x_T``;
    ``eta = 1`` with ``steps == T`` is DDPM.
    """
    betas = _betas(betas)
    eta = check_positive("eta", eta, allow_zero=True)
    T = betas.numel()
    seq = timestep_subsequence(T, steps, spacing=spacing)
    ab = alpha_bars(betas).tolist()
    x, gen, record = _start(model, n, dim, seed, x_T, device, return_trajectory)
    rec = Recorder(x, (seq[-1] + 1) / T, on=record)
    for i in reversed(range(len(seq))):
        t = seq[i]
        ab_prev = ab[seq[i - 1]] if i > 0 else 1.0
        eps = _eps(model, x, (t + 1) / T)
        noise = torch.randn(x.shape, generator=gen, device=x.device) if eta > 0 else None
        x = ddim_step(x, eps, ab[t], ab_prev, eta=eta, noise=noise)
        rec.add(x, (seq[i - 1] + 1) / T if i > 0 else 0.0)
    return rec.solution(x, len(seq))


@torch.no_grad()
def ddim_invert(
    model: Model,
    x0: torch.Tensor,
    *,
    steps: int = 50,
    spacing: str = "uniform",
    betas: torch.Tensor | None = None,
    return_trajectory: bool = False,
    device: torch.device | str | None = None,
) -> Solution:
    r"""Encode data to noise by running the deterministic DDIM update backwards.

    Walks the same sub-sequence as :func:`sample_ddim` upwards; each step
    moves from $\bar\alpha_{\tau_{i-1}}$ (1 at the start) to $\bar\alpha_{\tau_i}$
    using $\epsilon$ evaluated at the current point and the *target* time (the
    usual approximation: the exact inverse would need it at the unknown end
    point). Decoding the result with ``sample_ddim(..., eta=0, x_T=...)``
    returns close to ``x0``; the gap shrinks as ``steps`` grows.
    """
    check_callable("model", model)
    x0 = check_tensor("x0", x0, ndim=2)
    record = check_bool("return_trajectory", return_trajectory)
    betas = _betas(betas)
    T = betas.numel()
    seq = timestep_subsequence(T, steps, spacing=spacing)
    ab = alpha_bars(betas).tolist()
    x = x0.to(device=_resolve_device(model, x0, device), dtype=torch.float32)
    rec = Recorder(x, 0.0, on=record)
    for i, t in enumerate(seq):
        ab_from = ab[seq[i - 1]] if i > 0 else 1.0
        eps = _eps(model, x, (t + 1) / T)
        x = ddim_step(x, eps, ab_from, ab[t], eta=0.0)
        rec.add(x, (t + 1) / T)
    result = rec.solution(x, len(seq))
    if result.trajectory is not None:  # store noise -> data like the samplers
        result.trajectory = result.trajectory.flip(0)
        result.times = result.times[::-1]
    return result


def _check_sde(sde: Any, t_end: Any) -> tuple[VPSDE, float]:
    sde = VPSDE() if sde is None else check_instance("sde", sde, VPSDE)
    return sde, check_fraction("t_end", t_end, allow_one=False)


@torch.no_grad()
def sample_reverse_sde(
    model: Model,
    n: int = 1000,
    *,
    steps: int = 1000,
    sde: VPSDE | None = None,
    t_end: float = 1e-3,
    seed: int = 0,
    x_T: torch.Tensor | None = None,
    dim: int = 2,
    return_trajectory: bool = False,
    device: torch.device | str | None = None,
) -> Solution:
    r"""Euler–Maruyama on the reverse-time VP-SDE, from $\tau = 1$ down to ``t_end``.

    With step $h$: $x \leftarrow x - h\,[f - g^2\nabla\log p_\tau](x) + g\sqrt{h}\,z$
    (no noise on the last step). One network call per step: ``nfe == steps``.
    """
    sde, t_end = _check_sde(sde, t_end)
    grid = time_grid(1.0, t_end, steps)
    x, gen, record = _start(model, n, dim, seed, x_T, device, return_trajectory)
    rec = Recorder(x, grid[0], on=record)
    for k in range(steps):
        tau, h = grid[k], grid[k] - grid[k + 1]
        eps = _eps(model, x, tau)
        x = x - h * sde.reverse_sde_drift(x, tau, eps)
        if k < steps - 1:
            x = x + sde.diffusion(tau) * math.sqrt(h) * torch.randn(x.shape, generator=gen, device=x.device)
        rec.add(x, grid[k + 1])
    return rec.solution(x, steps)


@torch.no_grad()
def sample_pf_ode(
    model: Model,
    n: int = 1000,
    *,
    steps: int = 100,
    method: str = "euler",
    sde: VPSDE | None = None,
    t_end: float = 1e-3,
    seed: int = 0,
    x_T: torch.Tensor | None = None,
    dim: int = 2,
    return_trajectory: bool = False,
    device: torch.device | str | None = None,
) -> Solution:
    r"""Integrate the probability-flow ODE from $\tau = 1$ down to ``t_end``.

    ``method``: ``"euler"`` (1 call per step), ``"heun"`` (Euler predictor plus
    trapezoidal corrector, 2 calls per step, second order; both from :mod:`dlbook.ode`)
    or ``"ddim"`` (the DDIM $\eta = 0$ update with $\bar\alpha(\tau)$ on the same time
    grid: 1 call per step). Deterministic: the randomness is only in ``x_T``.
    """
    method = check_choice("method", method, ("euler", "heun", "ddim"))
    sde, t_end = _check_sde(sde, t_end)
    grid = time_grid(1.0, t_end, steps)
    x, _, record = _start(model, n, dim, seed, x_T, device, return_trajectory)

    def drift(x: torch.Tensor, tau: float) -> torch.Tensor:
        return sde.pf_ode_drift(x, tau, _eps(model, x, tau))

    rec = Recorder(x, grid[0], on=record)
    for tau, tau_next in pairwise(grid):
        if method == "ddim":
            x = ddim_step(x, _eps(model, x, tau), sde.alpha_bar(tau), sde.alpha_bar(tau_next), eta=0.0)
        else:
            x = (euler_step if method == "euler" else heun_step)(drift, x, tau, tau_next)
        rec.add(x, tau_next)
    return rec.solution(x, (2 if method == "heun" else 1) * steps)
