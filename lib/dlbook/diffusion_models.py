"""The noise-prediction network, its trainer, and the samplers of the diffusion lessons.

Everything here is re-exported by :mod:`dlbook.diffusion`, which holds the
schedules and the single-step updates the samplers loop over. The network $\\epsilon_\\theta(x, \\tau)$
takes points ``x`` of shape ``(n, d)`` and continuous times ``tau`` in
$(0, 1]$ of shape ``(n,)`` (discrete step ``t`` of ``T`` is $\\tau = (t+1)/T$).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from dlbook.checks import check_callable, check_int, check_positive
from dlbook.diffusion import (VPSDE, _check_schedule, _check_tensor, alpha_bars, ddim_step, ddpm_step,
                              linear_beta_schedule, q_sample, timestep_subsequence)
from dlbook.seeding import device as default_device

__all__ = ["sinusoidal_embedding", "EpsMLP", "train_eps_model", "Sample", "sample_ddpm", "sample_ddim",
           "ddim_invert", "sample_reverse_sde", "sample_pf_ode"]

#: A noise predictor: ``model(x, tau) -> eps``, ``x`` of shape (n, d), ``tau`` of shape (n,).
Model = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def sinusoidal_embedding(tau: torch.Tensor, dim: int = 32, *, scale: float = 1000.0) -> torch.Tensor:
    """Transformer-style features of a time: $[\\sin(s\\tau\\omega_k), \\cos(s\\tau\\omega_k)]$.

    Frequencies $\\omega_k = 10000^{-k/(dim/2)}$, $k = 0, \\dots, dim/2 - 1$; ``scale``
    stretches $\\tau \\in (0, 1]$ to the step range so neighbouring steps differ.
    Returns shape ``(n, dim)``.
    """
    if not isinstance(tau, torch.Tensor) or tau.ndim != 1:
        raise ValueError(f"tau must be a 1-D tensor of times, got {getattr(tau, 'shape', type(tau).__name__)}")
    dim = check_int("dim", dim, min_value=2)
    if dim % 2:
        raise ValueError(f"dim must be even, got {dim}")
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=tau.device, dtype=torch.float32) / half)
    angles = scale * tau.float()[:, None] * freqs[None, :]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


class EpsMLP(nn.Module):
    """$\\epsilon_\\theta(x, \\tau)$: an MLP on ``[x, embedding(tau)]`` with SiLU activations.

    ``depth`` hidden layers of width ``hidden``; output has the shape of ``x``.
    """

    def __init__(self, dim: int = 2, hidden: int = 128, depth: int = 3, emb_dim: int = 32) -> None:
        super().__init__()
        self.dim = check_int("dim", dim, min_value=1)
        hidden = check_int("hidden", hidden, min_value=1)
        depth = check_int("depth", depth, min_value=1)
        self.emb_dim = check_int("emb_dim", emb_dim, min_value=2)
        layers: list[nn.Module] = []
        width = dim + emb_dim
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.SiLU()]
            width = hidden
        layers.append(nn.Linear(width, dim))
        self.net = nn.Sequential(*layers)
        self.losses: list[float] = []

    def forward(self, x: torch.Tensor, tau: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"x must have shape (n, {self.dim}), got {tuple(x.shape)}")
        if tau.shape != (x.shape[0],):
            raise ValueError(f"tau must have shape ({x.shape[0]},), got {tuple(tau.shape)}")
        return self.net(torch.cat([x, sinusoidal_embedding(tau, self.emb_dim)], dim=1))


def train_eps_model(data: torch.Tensor, *, steps: int = 3000, batch_size: int = 256, lr: float = 2e-3,
                    seed: int = 0, T: int = 1000, hidden: int = 128, depth: int = 3,
                    device: torch.device | str | None = None) -> EpsMLP:
    """Fit $\\epsilon_\\theta$ by DDPM's simple loss $\\lVert\\epsilon - \\epsilon_\\theta(x_t, \\tau)\\rVert^2$.

    Each Adam step draws a batch of ``data`` rows, a 0-based step
    $t \\sim U\\{0..T-1\\}$ per row, noise $\\epsilon \\sim \\mathcal N(0, I)$, and regresses
    $\\epsilon$ from $x_t = \\sqrt{\\bar\\alpha_t}x_0 + \\sqrt{1-\\bar\\alpha_t}\\epsilon$
    (linear schedule). The learning rate decays to 0 on a cosine. Everything
    random comes from ``seed`` (same seed, device and thread count: identical
    weights). Returns the model in eval mode; ``model.losses`` holds the loss
    per step.
    """
    if not isinstance(data, torch.Tensor) or data.ndim != 2 or data.shape[0] < 1:
        raise ValueError(f"data must be a tensor of shape (n, d), got {getattr(data, 'shape', type(data).__name__)}")
    steps = check_int("steps", steps, min_value=1)
    batch_size = check_int("batch_size", batch_size, min_value=1)
    lr = check_positive("lr", lr)
    seed = check_int("seed", seed, min_value=0)
    T = check_int("T", T, min_value=1)
    device = torch.device(device) if device is not None else default_device()
    alpha_bar = alpha_bars(linear_beta_schedule(T)).to(device)
    data = data.to(device=device, dtype=torch.float32)

    with torch.random.fork_rng(devices=[]):  # seeded initialization, global RNG untouched
        torch.manual_seed(seed)
        model = EpsMLP(dim=data.shape[1], hidden=hidden, depth=depth).to(device)
    gen = torch.Generator(device=device).manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    model.train()
    for _ in range(steps):
        idx = torch.randint(0, data.shape[0], (batch_size,), generator=gen, device=device)
        x0 = data[idx]
        t = torch.randint(0, T, (batch_size,), generator=gen, device=device)
        noise = torch.randn(x0.shape, generator=gen, device=device)
        x_t = q_sample(x0, t, noise, alpha_bar)
        loss = (model(x_t, (t + 1).float() / T) - noise).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        model.losses.append(loss.item())
    return model.eval()


# ----------------------------------------------------------------------------- samplers

@dataclass
class Sample:
    """A sampler's output: final points ``x`` (CPU), network evaluations ``nfe``.

    ``trajectory`` (``(K+1, n, d)``, from noise to data) and ``times`` (the
    matching $\\tau$ values, 0 for clean data) are filled when asked for.
    """

    x: torch.Tensor
    nfe: int
    trajectory: torch.Tensor | None = None
    times: list[float] | None = None


class _Recorder:
    def __init__(self, x: torch.Tensor, tau: float, on: bool) -> None:
        self.on, self.frames, self.times = on, [], []
        self.add(x, tau)

    def add(self, x: torch.Tensor, tau: float) -> None:
        if self.on:
            self.frames.append(x.detach().float().cpu().clone())
            self.times.append(float(tau))

    def result(self, x: torch.Tensor, nfe: int) -> Sample:
        if not self.on:
            return Sample(x.detach().cpu(), nfe)
        return Sample(x.detach().cpu(), nfe, torch.stack(self.frames), self.times)


def _resolve_device(model: Any, like: torch.Tensor | None, device: torch.device | str | None) -> torch.device:
    """Explicit ``device``, else the model's (a module with parameters), else ``like``'s, else the default."""
    if device is not None:
        return torch.device(device)
    params = list(model.parameters()) if isinstance(model, torch.nn.Module) else []
    if params:
        return params[0].device
    return like.device if like is not None else default_device()


def _start(model: Any, n: int, dim: int, seed: int, x_T: torch.Tensor | None,
           device: torch.device | str | None) -> tuple[torch.Tensor, torch.Generator]:
    check_callable("model", model)
    check_int("seed", seed, min_value=0)
    if x_T is not None:
        x_T = _check_tensor("x_T", x_T)
        if x_T.ndim != 2:
            raise ValueError(f"x_T must have shape (n, d), got {tuple(x_T.shape)}")
        device = _resolve_device(model, x_T, device)
        gen = torch.Generator(device=device).manual_seed(seed)
        return x_T.to(device=device, dtype=torch.float32).clone(), gen
    check_int("n", n, min_value=1)
    check_int("dim", dim, min_value=1)
    device = _resolve_device(model, None, device)
    gen = torch.Generator(device=device).manual_seed(seed)
    return torch.randn(n, dim, generator=gen, device=device), gen


def _eps(model: Model, x: torch.Tensor, tau: float) -> torch.Tensor:
    return model(x, torch.full((x.shape[0],), tau, device=x.device, dtype=x.dtype))


@torch.no_grad()
def sample_ddpm(model: Model, n: int = 1000, *, betas: torch.Tensor | None = None, seed: int = 0,
                x_T: torch.Tensor | None = None, dim: int = 2, return_trajectory: bool = False,
                device: torch.device | str | None = None) -> Sample:
    """Ancestral sampling: all ``T`` steps of :func:`ddpm_step`, one network call each.

    The reverse process is Markov, so no step can be skipped: ``nfe == T``.
    ``betas`` defaults to :func:`linear_beta_schedule` (T = 1000).
    """
    betas = linear_beta_schedule() if betas is None else _check_schedule("betas", betas)
    T = betas.numel()
    x, gen = _start(model, n, dim, seed, x_T, device)
    rec = _Recorder(x, 1.0, return_trajectory)
    for t in reversed(range(T)):
        eps = _eps(model, x, (t + 1) / T)
        noise = torch.randn(x.shape, generator=gen, device=x.device) if t > 0 else None
        x = ddpm_step(x, eps, t, betas, noise)
        rec.add(x, t / T)
    return rec.result(x, T)


@torch.no_grad()
def sample_ddim(model: Model, n: int = 1000, steps: int = 50, eta: float = 0.0, *,
                spacing: str = "uniform", betas: torch.Tensor | None = None, seed: int = 0, x_T: torch.Tensor | None = None,
                dim: int = 2, return_trajectory: bool = False,
                device: torch.device | str | None = None) -> Sample:
    """DDIM on a sub-sequence of ``steps`` of the ``T`` training steps.

    Visits :func:`timestep_subsequence` (``spacing`` ``"uniform"`` or ``"quadratic"``) from the top, applying :func:`ddim_step`
    from $\\bar\\alpha_{\\tau_i}$ to $\\bar\\alpha_{\\tau_{i-1}}$ (and finally to 1,
    clean data): ``nfe == steps``. ``eta = 0`` is deterministic given ``x_T``;
    ``eta = 1`` with ``steps == T`` is DDPM.
    """
    betas = linear_beta_schedule() if betas is None else _check_schedule("betas", betas)
    eta = check_positive("eta", eta, allow_zero=True)
    T = betas.numel()
    seq = timestep_subsequence(T, steps, spacing)
    ab = alpha_bars(betas).tolist()
    x, gen = _start(model, n, dim, seed, x_T, device)
    rec = _Recorder(x, (seq[-1] + 1) / T, return_trajectory)
    for i in reversed(range(len(seq))):
        t = seq[i]
        ab_prev = ab[seq[i - 1]] if i > 0 else 1.0
        eps = _eps(model, x, (t + 1) / T)
        noise = torch.randn(x.shape, generator=gen, device=x.device) if eta > 0 else None
        x = ddim_step(x, eps, ab[t], ab_prev, eta=eta, noise=noise)
        rec.add(x, (seq[i - 1] + 1) / T if i > 0 else 0.0)
    return rec.result(x, len(seq))


@torch.no_grad()
def ddim_invert(model: Model, x0: torch.Tensor, steps: int = 50, *, spacing: str = "uniform",
                betas: torch.Tensor | None = None,
                return_trajectory: bool = False, device: torch.device | str | None = None) -> Sample:
    """Encode data to noise by running the deterministic DDIM update backwards.

    Walks the same sub-sequence as :func:`sample_ddim` upwards; each step
    moves from $\\bar\\alpha_{\\tau_{i-1}}$ (1 at the start) to $\\bar\\alpha_{\\tau_i}$
    using $\\epsilon$ evaluated at the current point and the *target* time (the
    usual approximation: the exact inverse would need it at the unknown end
    point). Decoding the result with ``sample_ddim(..., eta=0, x_T=...)``
    returns close to ``x0``; the gap shrinks as ``steps`` grows.
    """
    x0 = _check_tensor("x0", x0)
    if x0.ndim != 2:
        raise ValueError(f"x0 must have shape (n, d), got {tuple(x0.shape)}")
    check_callable("model", model)
    betas = linear_beta_schedule() if betas is None else _check_schedule("betas", betas)
    T = betas.numel()
    seq = timestep_subsequence(T, steps, spacing)
    ab = alpha_bars(betas).tolist()
    x = x0.to(device=_resolve_device(model, x0, device), dtype=torch.float32)
    rec = _Recorder(x, 0.0, return_trajectory)
    for i, t in enumerate(seq):
        ab_from = ab[seq[i - 1]] if i > 0 else 1.0
        eps = _eps(model, x, (t + 1) / T)
        x = ddim_step(x, eps, ab_from, ab[t], eta=0.0)
        rec.add(x, (t + 1) / T)
    result = rec.result(x, len(seq))
    if result.trajectory is not None:  # store noise -> data like the samplers
        result.trajectory = result.trajectory.flip(0)
        result.times = result.times[::-1]
    return result


def _time_grid(steps: int, t_end: float) -> list[float]:
    steps = check_int("steps", steps, min_value=1)
    t_end = check_positive("t_end", t_end)
    if t_end >= 1:
        raise ValueError(f"t_end must lie in (0, 1), got {t_end}")
    return [1.0 + k * (t_end - 1.0) / steps for k in range(steps + 1)]


@torch.no_grad()
def sample_reverse_sde(model: Model, n: int = 1000, steps: int = 1000, *, sde: VPSDE | None = None,
                       t_end: float = 1e-3, seed: int = 0, x_T: torch.Tensor | None = None, dim: int = 2,
                       return_trajectory: bool = False, device: torch.device | str | None = None) -> Sample:
    """Euler–Maruyama on the reverse-time VP-SDE, from $\\tau = 1$ down to ``t_end``.

    With step $h$: $x \\leftarrow x - h\\,[f - g^2\\nabla\\log p_\\tau](x) + g\\sqrt{h}\\,z$
    (no noise on the last step). One network call per step: ``nfe == steps``.
    """
    sde = sde or VPSDE()
    grid = _time_grid(steps, t_end)
    x, gen = _start(model, n, dim, seed, x_T, device)
    rec = _Recorder(x, grid[0], return_trajectory)
    for k in range(steps):
        tau, h = grid[k], grid[k] - grid[k + 1]
        eps = _eps(model, x, tau)
        x = x - h * sde.reverse_sde_drift(x, tau, eps)
        if k < steps - 1:
            x = x + sde.diffusion(tau) * math.sqrt(h) * torch.randn(x.shape, generator=gen, device=x.device)
        rec.add(x, grid[k + 1])
    return rec.result(x, steps)


@torch.no_grad()
def sample_pf_ode(model: Model, n: int = 1000, steps: int = 100, *, method: str = "euler",
                  sde: VPSDE | None = None, t_end: float = 1e-3, seed: int = 0,
                  x_T: torch.Tensor | None = None, dim: int = 2, return_trajectory: bool = False,
                  device: torch.device | str | None = None) -> Sample:
    """Integrate the probability-flow ODE from $\\tau = 1$ down to ``t_end``.

    ``method``: ``"euler"`` (1 call per step), ``"heun"`` (Euler predictor plus
    trapezoidal corrector, 2 calls per step, second order) or ``"ddim"`` (the
    DDIM $\\eta = 0$ update with $\\bar\\alpha(\\tau)$ on the same time grid: 1 call
    per step). Deterministic: the randomness is only in ``x_T``.
    """
    if method not in ("euler", "heun", "ddim"):
        raise ValueError(f"method must be 'euler', 'heun' or 'ddim', got {method!r}")
    sde = sde or VPSDE()
    grid = _time_grid(steps, t_end)
    x, _ = _start(model, n, dim, seed, x_T, device)
    rec = _Recorder(x, grid[0], return_trajectory)
    nfe = 0
    for k in range(steps):
        tau, tau_next = grid[k], grid[k + 1]
        h = tau - tau_next
        eps = _eps(model, x, tau)
        nfe += 1
        if method == "ddim":
            x = ddim_step(x, eps, sde.alpha_bar(tau), sde.alpha_bar(tau_next), eta=0.0)
        else:
            d1 = sde.pf_ode_drift(x, tau, eps)
            x_euler = x - h * d1
            if method == "euler":
                x = x_euler
            else:
                d2 = sde.pf_ode_drift(x_euler, tau_next, _eps(model, x_euler, tau_next))
                nfe += 1
                x = x - h * 0.5 * (d1 + d2)
        rec.add(x, tau_next)
    return rec.result(x, nfe)
