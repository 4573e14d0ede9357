r"""Flows: invertible maps with exact likelihoods (NICE), and ODEs built directly (rectified flow).

Time convention (Liu, Gong & Liu, 2022): $t = 0$ is noise $X_0 \sim \mathcal N(0, I)$,
$t = 1$ is data $X_1$, and the straight path is $X_t = t\,X_1 + (1 - t)\,X_0$. Write-ups
that put the data at time 0 (Su Jianlin's posts, the diffusion chapter's $\tau$) use
$\tau = 1 - t$, and their velocity is the negative of ours.

NICE (Dinh, Krueger & Bengio, 2014) stacks additive couplings, whose Jacobian is
triangular with a unit diagonal (log-determinant 0), and ends with a diagonal
scaling that carries the whole log-determinant $\sum_i \log s_i$.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from dlbook.checks import (
    check_bool,
    check_callable,
    check_choice,
    check_int,
    check_positive,
    check_real,
    check_returned,
    check_seed,
    check_tensor,
)
from dlbook.ode import Solution, integrate, time_grid

__all__ = [
    "AdditiveCoupling",
    "Scaling",
    "NICE",
    "train_nice",
    "gaussian_nll",
    "mixture_log_prob",
    "divergence",
    "mixture_velocity",
    "VelocityMLP",
    "train_velocity",
    "sample_flow",
    "straightness",
    "near_mode_fraction",
]

PRIORS = ("logistic", "gaussian")


# ----------------------------------------------------------------------------- guards


def _check_points(name: str, x: Any, dim: int) -> torch.Tensor:
    x = check_tensor(name, x, ndim=2)
    if x.shape[1] != dim:
        raise ValueError(f"{name} must have {dim} columns, got shape {tuple(x.shape)}")
    return x


def _check_time(t: Any) -> float:
    t = check_real("t", t.item() if isinstance(t, torch.Tensor) and t.numel() == 1 else t)
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"t must lie in [0, 1] (0 = noise, 1 = data), got {t}")
    return t


def _check_mixture(x: Any, means: Any, std: Any, weights: Any) -> tuple[torch.Tensor, ...]:
    x = check_tensor("x", x, ndim=2)
    means = _check_points("means", means, x.shape[1]).to(x.dtype)
    std = check_positive("std", std)
    if weights is None:
        weights = torch.full((means.shape[0],), 1.0 / means.shape[0], dtype=x.dtype)
    weights = check_tensor("weights", weights, ndim=1)
    if weights.shape[0] != means.shape[0]:
        raise ValueError(f"weights must hold one weight per row of means ({means.shape[0]}), got {weights.shape[0]}")
    if bool((weights <= 0).any()) or abs(weights.sum().item() - 1.0) > 1e-6:
        raise ValueError(f"weights must be positive and sum to 1, got sum {weights.sum().item():.6g}")
    return x, means, std, weights.to(x.dtype)


def _mlp(d_in: int, hidden: int, d_out: int, depth: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(d_in if i == 0 else hidden, hidden), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(hidden, d_out))


# ----------------------------------------------------------------------------- NICE


class AdditiveCoupling(nn.Module):
    r"""NICE's additive coupling, with log-determinant 0.

    $h_{keep} = x_{keep}$, $h_{other} = x_{other} + m(x_{keep})$.
    ``parity`` 0 keeps the first half of the ``dim`` coordinates, 1 the
    second; $m$ is an MLP with two hidden layers of width ``hidden``.
    The inverse subtracts the same shift:
    $x_{other} = h_{other} - m(h_{keep})$.
    """

    def __init__(self, dim: int, hidden: int, *, parity: int) -> None:
        super().__init__()
        self.dim = check_int("dim", dim, min_value=2)
        if dim % 2:
            raise ValueError(
                f"dim must be even (two equal halves), got {dim}",
            )
        parity = check_int("parity", parity)
        self.parity = check_choice("parity", parity, (0, 1))
        hidden = check_int("hidden", hidden, min_value=1)
        self.m = _mlp(dim // 2, hidden, dim // 2, depth=2)

    def _split(
        self,
        x: torch.Tensor,
        name: str,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        x = _check_points(name, x, self.dim)
        a, b = x.chunk(2, dim=1)
        return (a, b) if self.parity == 0 else (b, a)

    def _join(
        self,
        keep: torch.Tensor,
        other: torch.Tensor,
    ) -> torch.Tensor:
        halves = [keep, other] if self.parity == 0 else [other, keep]
        return torch.cat(halves, dim=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """``(y, logdet)``: coupled points, log-determinants (zeros)."""
        keep, other = self._split(x, "x")  # (n, d/2) each
        y = self._join(keep, other + self.m(keep))
        return y, x.new_zeros(x.shape[0])

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """The exact inverse: subtract the shift of the kept half."""
        keep, other = self._split(y, "y")
        return self._join(keep, other - self.m(keep))


class Scaling(nn.Module):
    r"""$y = s \odot x$ with $s = e^{\text{log\_scale}}$; log-determinant $\sum_i \log s_i$ per sample."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = check_int("dim", dim, min_value=1)
        self.log_scale = nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        r"""``(y, logdet)``: the scaled points and $\sum_i \log s_i$ for every sample."""
        x = _check_points("x", x, self.dim)
        logdet = self.log_scale.sum().expand(x.shape[0])  # (n,)
        return x * self.log_scale.exp(), logdet

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """Divide by the scales."""
        return _check_points("y", y, self.dim) * (-self.log_scale).exp()


class NICE(nn.Module):
    r"""``n_couplings`` additive couplings, then a :class:`Scaling`: $z = f(x)$, prior $p_Z$.

    $\log p_X(x) = \log p_Z(f(x)) + \sum_i \log s_i$ (the couplings add 0). The kept
    half alternates from one coupling to the next; ``alternate=False`` keeps the
    first half every time, so that half is never transformed. ``prior`` is
    ``"logistic"`` (as in the paper) or ``"gaussian"``, independent per dimension.
    """

    def __init__(
        self, dim: int, *, n_couplings: int = 4, hidden: int = 64, prior: str = "logistic", alternate: bool = True
    ) -> None:
        super().__init__()
        n_couplings = check_int("n_couplings", n_couplings, min_value=1)
        check_bool("alternate", alternate)
        self.dim = check_int("dim", dim, min_value=2)
        self.prior = check_choice("prior", prior, PRIORS)
        self.couplings = nn.ModuleList(
            AdditiveCoupling(dim, hidden, parity=i % 2 if alternate else 0) for i in range(n_couplings)
        )
        self.scaling = Scaling(dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """``(z, logdet)``: data to latent, log-determinant per sample."""
        x = _check_points("x", x, self.dim)
        for coupling in self.couplings:
            x, _ = coupling(x)  # log-determinant 0
        return self.scaling(x)

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        """Latent to data: undo the scaling, then the couplings in reverse order."""
        x = self.scaling.inverse(_check_points("z", z, self.dim))
        for coupling in reversed(self.couplings):
            x = coupling.inverse(x)
        return x

    def prior_log_prob(self, z: torch.Tensor) -> torch.Tensor:
        r"""$\log p_Z(z)$ per sample, independent per dimension.

        Logistic: $-\sum_i(\operatorname{softplus}(z_i) + \operatorname{softplus}(-z_i))$;
        Gaussian: $-\tfrac12\lVert z\rVert^2 - \tfrac d2\log 2\pi$.
        """
        z = _check_points("z", z, self.dim)
        if self.prior == "logistic":
            return -(nn.functional.softplus(z) + nn.functional.softplus(-z)).sum(dim=1)
        return -0.5 * (z**2).sum(dim=1) - 0.5 * self.dim * math.log(2 * math.pi)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        r"""Per sample, the change of variables:

        $\log p_X(x) = \log p_Z(f(x))
        + \log\lvert\det \partial f/\partial x\rvert$.
        """
        z, logdet = self(x)
        return self.prior_log_prob(z) + logdet

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` samples: draw $z$ from the prior and map it back, $x = f^{-1}(z)$."""
        n = check_int("n", n, min_value=1)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
        dtype = self.scaling.log_scale.dtype
        if self.prior == "logistic":
            u = torch.rand(n, self.dim, generator=generator, dtype=dtype).clamp(1e-7, 1 - 1e-7)
            z = u.log() - (-u).log1p()  # inverse logistic CDF
        else:
            z = torch.randn(n, self.dim, generator=generator, dtype=dtype)
        return self.inverse(z)


def train_nice(
    data: torch.Tensor,
    *,
    steps: int = 2000,
    batch_size: int = 256,
    lr: float = 1e-3,
    seed: int = 0,
    n_couplings: int = 4,
    hidden: int = 64,
    prior: str = "logistic",
    alternate: bool = True,
) -> NICE:
    r"""Fit a :class:`NICE` to ``data`` (``(n, d)``) by maximum likelihood: Adam on $-\log p_X$."""
    data = check_tensor("data", data, ndim=2)
    steps = check_int("steps", steps, min_value=1)
    batch_size = check_int("batch_size", batch_size, min_value=1)
    lr = check_positive("lr", lr)
    gen = torch.Generator().manual_seed(check_seed("seed", seed))
    torch.manual_seed(seed)
    model = NICE(data.shape[1], n_couplings=n_couplings, hidden=hidden, prior=prior, alternate=alternate)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    data = data.float()
    for _ in range(steps):
        batch = data[torch.randint(len(data), (batch_size,), generator=gen)]
        loss = -model.log_prob(batch).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


def gaussian_nll(train: torch.Tensor, test: torch.Tensor) -> float:
    r"""Mean negative log-likelihood (nats) on ``test`` of the best single Gaussian for ``train``.

    The maximum-likelihood fit: the sample mean and the (biased) sample covariance.
    """
    train = check_tensor("train", train, ndim=2, min_rows=2).double()
    test = _check_points("test", test, train.shape[1]).double()
    mean = train.mean(dim=0)
    cov = (train - mean).T @ (train - mean) / len(train)  # (d, d)
    dist = torch.distributions.MultivariateNormal(mean, covariance_matrix=cov)
    return float(-dist.log_prob(test).mean())


# ----------------------------------------------------------------------------- densities and divergence


def mixture_log_prob(
    x: torch.Tensor, means: torch.Tensor, std: float, weights: torch.Tensor | None = None
) -> torch.Tensor:
    r"""$\log \sum_k \pi_k\,\mathcal N(x; \mu_k, s^2 I)$ per row of ``x`` (``means``: rows $\mu_k$)."""
    x, means, std, weights = _check_mixture(x, means, std, weights)
    d = x.shape[1]
    sq = ((x[:, None, :] - means[None]) ** 2).sum(-1)  # (n, K)
    log_normal = -0.5 * sq / std**2 - d * math.log(std) - 0.5 * d * math.log(2 * math.pi)
    return torch.logsumexp(log_normal + weights.log(), dim=1)


def divergence(drift: Callable[[torch.Tensor, float], torch.Tensor], x: torch.Tensor, t: float) -> torch.Tensor:
    r"""$\nabla\cdot f(x, t) = \sum_i \partial f_i/\partial x_i$ per row, exactly (one autograd pass per dimension)."""
    check_callable("drift", drift)
    x = check_tensor("x", x, ndim=2).detach().requires_grad_(True)
    t = check_real("t", t)
    with torch.enable_grad():
        f = drift(x, t)  # (n, d)
        return sum(
            torch.autograd.grad(f[:, i].sum(), x, retain_graph=True)[0][:, i] for i in range(x.shape[1])
        ).detach()


# ----------------------------------------------------------------------------- rectified flow


def mixture_velocity(
    x: torch.Tensor,
    t: float,
    means: torch.Tensor,
    std: float,
    weights: torch.Tensor | None = None,
) -> torch.Tensor:
    r"""The exact velocity $v(x, t) = \mathbb E[X_1 - X_0 \mid X_t = x]$.

    Data $X_1 \sim \sum_k \pi_k \mathcal N(\mu_k, s^2 I)$, noise
    $X_0 \sim \mathcal N(0, I)$, $X_t = t X_1 + (1-t) X_0$. Given
    component $k$, $(X_1 - X_0, X_t)$ is Gaussian:
    $X_t \sim \mathcal N(t\mu_k, \sigma_t^2 I)$ with
    $\sigma_t^2 = t^2 s^2 + (1-t)^2$, and
    $\mathbb E[X_1 - X_0 \mid x, k]
    = \mu_k + \frac{t s^2 - (1-t)}{\sigma_t^2}(x - t\mu_k)$;
    average over $k$ with the responsibilities
    $w_k(x) \propto \pi_k \mathcal N(x; t\mu_k, \sigma_t^2 I)$.
    At $t = 0$ it is $\bar\mu - x$: one Euler step of length 1 lands
    on the data mean.
    """
    x, means, std, weights = _check_mixture(x, means, std, weights)
    t = _check_time(t)
    var = t**2 * std**2 + (1 - t) ** 2  # sigma_t^2
    centres = t * means  # (K, d)
    sq = ((x[:, None, :] - centres) ** 2).sum(-1)  # (n, K)
    log_w = weights.log() - 0.5 * sq / var  # (n, K)
    w = torch.softmax(log_w, dim=1)  # responsibilities
    gain = (t * std**2 - (1 - t)) / var
    per_k = means[None] + gain * (x[:, None, :] - centres)  # (n, K, d)
    return (w[..., None] * per_k).sum(dim=1)


class VelocityMLP(nn.Module):
    r"""A velocity network $v_\theta(x, t)$: an MLP on $(x, t)$ with SiLU activations."""

    def __init__(self, dim: int = 2, *, hidden: int = 64, depth: int = 3) -> None:
        super().__init__()
        self.dim = check_int("dim", dim, min_value=1)
        hidden, depth = check_int("hidden", hidden, min_value=1), check_int("depth", depth, min_value=1)
        layers: list[nn.Module] = []
        for i in range(depth):
            layers += [nn.Linear(dim + 1 if i == 0 else hidden, hidden), nn.SiLU()]
        self.net = nn.Sequential(*layers, nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor, t: float | torch.Tensor) -> torch.Tensor:
        """``x``: ``(n, dim)``; ``t``: a time in [0, 1] or one time per row (``(n,)``)."""
        x = _check_points("x", x, self.dim)
        if isinstance(t, torch.Tensor) and t.numel() > 1:
            t = check_tensor("t", t, ndim=1, like=x[:, 0], like_name="x's rows")
            if bool(((t < 0) | (t > 1)).any()):
                raise ValueError("t must lie in [0, 1] (0 = noise, 1 = data)")
            tt = t[:, None]
        else:
            tt = x.new_full((x.shape[0], 1), _check_time(t))
        return self.net(torch.cat([x, tt.to(x.dtype)], dim=1))


def train_velocity(
    x0: torch.Tensor,
    x1: torch.Tensor,
    *,
    steps: int = 2000,
    batch_size: int = 512,
    lr: float = 5e-3,
    seed: int = 0,
    hidden: int = 64,
    depth: int = 3,
) -> VelocityMLP:
    r"""Regress $v_\theta(X_t, t)$ on $X_1 - X_0$ for pairs (rows of ``x0``, ``x1``), $t \sim U[0, 1]$.

    Independent pairs (noise drawn apart from the data) give the 1-rectified flow;
    pairs $(z, \text{flow}(z))$ of an earlier flow give its reflow.
    """
    x0 = check_tensor("x0", x0, ndim=2)
    x1 = check_tensor("x1", x1, like=x0, like_name="x0")
    steps = check_int("steps", steps, min_value=1)
    batch_size = check_int("batch_size", batch_size, min_value=1)
    lr = check_positive("lr", lr)
    gen = torch.Generator().manual_seed(check_seed("seed", seed))
    torch.manual_seed(seed)
    model = VelocityMLP(x0.shape[1], hidden=hidden, depth=depth)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    x0, x1 = x0.float(), x1.float()
    for _ in range(steps):
        i = torch.randint(len(x0), (batch_size,), generator=gen)
        t = torch.rand(batch_size, generator=gen)
        xt = t[:, None] * x1[i] + (1 - t[:, None]) * x0[i]  # the straight path
        loss = ((model(xt, t) - (x1[i] - x0[i])) ** 2).sum(dim=1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    return model.eval()


def sample_flow(
    velocity: Callable[[torch.Tensor, float], torch.Tensor], x0: torch.Tensor, *, steps: int, record: bool = False
) -> Solution:
    r"""Integrate $dx/dt = v(x, t)$ from $t = 0$ (noise ``x0``) to $t = 1$ with ``steps`` Euler steps."""
    check_callable("velocity", velocity)
    x0 = check_tensor("x0", x0, ndim=2)

    def drift(x: torch.Tensor, t: float) -> torch.Tensor:
        return check_returned("velocity", velocity(x, t), x)

    with torch.no_grad():
        return integrate(drift, x0, time_grid(0.0, 1.0, check_int("steps", steps, min_value=1)), record=record)


def straightness(
    velocity: Callable[[torch.Tensor, float], torch.Tensor],
    x0: torch.Tensor,
    *,
    steps: int = 100,
) -> float:
    r"""The straightness of a flow along its own paths $Z_t$.

    $S = \int_0^1 \mathbb E\,\lVert (Z_1 - Z_0) - v(Z_t, t)\rVert^2\,dt$,
    zero exactly when every path is a straight line travelled at constant
    speed (Liu, Gong & Liu, 2022).
    Euler with ``steps`` steps from ``x0``; the integral is the average
    over the steps of the velocity each step used.
    """
    run = sample_flow(velocity, x0, steps=steps, record=True)
    path = run.trajectory  # (K+1, n, d)
    v = (path[1:] - path[:-1]) * steps  # Euler: each step moves by v dt
    chord = path[-1] - path[0]  # Z_1 - Z_0
    return float(((chord - v) ** 2).sum(-1).mean())


def near_mode_fraction(x: torch.Tensor, means: torch.Tensor, radius: float) -> float:
    """The fraction of rows of ``x`` within ``radius`` of their nearest row of ``means``."""
    x = check_tensor("x", x, ndim=2)
    means = _check_points("means", means, x.shape[1]).to(x.dtype)
    radius = check_positive("radius", radius)
    return float((torch.cdist(x, means).min(dim=1).values < radius).double().mean())
