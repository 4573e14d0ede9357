r"""Tests for dlbook.diffusion and dlbook.diffusion_models: the formulas, the samplers on an analytic model, bad input.

For Gaussian data $x_0 \sim N(\mu, s^2 I)$ the optimal noise predictor is known in
closed form, $\epsilon^*(x_t) = \sqrt{1-\bar\alpha}(x_t - \sqrt{\bar\alpha}\mu)/(\bar\alpha s^2 + 1 - \bar\alpha)$,
so every sampler can be checked without training: it must return $N(\mu, s^2 I)$.
"""

from __future__ import annotations

import math
import pickle
from itertools import pairwise

import pytest
import torch

from dlbook import diffusion as D
from dlbook import diffusion_models as M

MU = torch.tensor([1.0, -2.0])
S = 0.5
T = 1000
BETAS = D.linear_beta_schedule(T)
AB = D.alpha_bars(BETAS)


class GaussianEps:
    """$\\epsilon^*$ for N(MU, S^2 I); ``alpha_bar_of(tau)`` gives the schedule."""

    def __init__(self, alpha_bar_of):
        self.alpha_bar_of = alpha_bar_of
        self.calls = 0

    def __call__(self, x, tau):
        self.calls += 1
        ab = torch.tensor([self.alpha_bar_of(float(v)) for v in tau.unique()], dtype=x.dtype, device=x.device)
        assert ab.numel() == 1, "samplers query one time per call"
        return (1 - ab).sqrt() * (x - ab.sqrt() * MU.to(x.device)) / (ab * S**2 + 1 - ab)


def discrete_eps():
    return GaussianEps(lambda tau: AB[round(tau * T) - 1].item())


def continuous_eps():
    return GaussianEps(D.VPSDE().alpha_bar)


def assert_gaussian(x, tol_mean=0.05, tol_std=0.05):
    assert x.shape == (4000, 2)
    assert torch.allclose(x.mean(0), MU, atol=tol_mean), x.mean(0)
    assert torch.allclose(x.std(0), torch.full((2,), S), atol=tol_std), x.std(0)


# ----------------------------------------------------------------------------- schedules


def test_linear_schedule_and_alpha_bars():
    assert BETAS.shape == (T,) and BETAS.dtype == torch.float64
    assert BETAS[0].item() == pytest.approx(1e-4) and BETAS[-1].item() == pytest.approx(0.02)
    torch.testing.assert_close(AB, torch.cumprod(1 - BETAS, 0))
    assert AB[-1].item() < 1e-4  # x_T is almost pure noise
    assert (AB[1:] < AB[:-1]).all()


def test_vpsde_is_the_continuous_limit():
    sde = D.VPSDE()
    assert sde.beta(0.0) == pytest.approx(T * BETAS[0].item())
    assert sde.beta(1.0) == pytest.approx(T * BETAS[-1].item())
    for t in [0, 99, 499, 999]:
        assert math.log(sde.alpha_bar((t + 1) / T)) == pytest.approx(math.log(AB[t].item()), rel=0.01, abs=1e-3)


def test_q_sample_formula_scalar_and_per_row_t():
    gen = torch.Generator().manual_seed(0)
    x0, noise = torch.randn(6, 2, generator=gen), torch.randn(6, 2, generator=gen)
    out = D.q_sample(x0, 300, AB, noise=noise)
    ab = AB[300].item()
    torch.testing.assert_close(out, math.sqrt(ab) * x0 + math.sqrt(1 - ab) * noise)
    t = torch.tensor([0, 1, 10, 100, 500, 999])
    out = D.q_sample(x0, t, AB, noise=noise)
    ab = AB[t].float()[:, None]
    torch.testing.assert_close(out, ab.sqrt() * x0 + (1 - ab).sqrt() * noise)


def test_closed_form_matches_iterating_the_chain():
    gen = torch.Generator().manual_seed(1)
    x0 = torch.tensor([1.5, -0.5]).repeat(20_000, 1).double()
    x = x0.clone()
    for t in range(200):
        x = (1 - BETAS[t]).sqrt() * x + BETAS[t].sqrt() * torch.randn(x.shape, generator=gen, dtype=x.dtype)
    ab = AB[199].item()
    torch.testing.assert_close(x.mean(0), math.sqrt(ab) * x0[0], atol=0.02, rtol=0)
    torch.testing.assert_close(x.var(0), torch.full((2,), 1 - ab, dtype=x.dtype), atol=0.02, rtol=0)


# ----------------------------------------------------------------------------- steps


def test_ddpm_step_formula_and_last_step():
    gen = torch.Generator().manual_seed(2)
    x, eps, z = (torch.randn(5, 2, generator=gen) for _ in range(3))
    t = 400
    beta, ab, ab_prev = BETAS[t].item(), AB[t].item(), AB[t - 1].item()
    mean = (x - beta / math.sqrt(1 - ab) * eps) / math.sqrt(1 - beta)
    var = beta * (1 - ab_prev) / (1 - ab)
    torch.testing.assert_close(D.ddpm_step(x, eps, t, BETAS, noise=z), mean + math.sqrt(var) * z)
    mean0 = (x - BETAS[0].item() / math.sqrt(1 - AB[0].item()) * eps) / math.sqrt(1 - BETAS[0].item())
    torch.testing.assert_close(D.ddpm_step(x, eps, 0, BETAS, noise=None), mean0)
    torch.testing.assert_close(D.ddpm_step(x, eps, 0, BETAS, noise=z), mean0)  # no noise at t = 0


def test_ddim_step_formula():
    gen = torch.Generator().manual_seed(3)
    x, eps, z = (torch.randn(5, 2, generator=gen) for _ in range(3))
    ab_t, ab_prev, eta = 0.3, 0.7, 0.6
    sigma = eta * math.sqrt((1 - ab_prev) / (1 - ab_t)) * math.sqrt(1 - ab_t / ab_prev)
    x0 = (x - math.sqrt(1 - ab_t) * eps) / math.sqrt(ab_t)
    expected = math.sqrt(ab_prev) * x0 + math.sqrt(1 - ab_prev - sigma**2) * eps + sigma * z
    torch.testing.assert_close(D.ddim_step(x, eps, ab_t, ab_prev, eta=eta, noise=z), expected)
    # eta = 0: deterministic, noise ignored
    det = D.ddim_step(x, eps, ab_t, ab_prev)
    torch.testing.assert_close(det, D.ddim_step(x, eps, ab_t, ab_prev, eta=0.0, noise=z))
    torch.testing.assert_close(det, math.sqrt(ab_prev) * x0 + math.sqrt(1 - ab_prev) * eps)


@pytest.mark.parametrize("t", [1, 10, 500, 999])
def test_ddim_eta_one_on_consecutive_steps_is_ddpm(t):
    gen = torch.Generator().manual_seed(t)
    x, eps, z = (torch.randn(5, 2, generator=gen, dtype=torch.float64) for _ in range(3))
    ddim = D.ddim_step(x, eps, AB[t], AB[t - 1], eta=1.0, noise=z)
    torch.testing.assert_close(ddim, D.ddpm_step(x, eps, t, BETAS, noise=z))


def test_ddim_step_backwards_inverts_with_the_same_eps():
    gen = torch.Generator().manual_seed(4)
    x, eps = (
        torch.randn(5, 2, generator=gen, dtype=torch.float64),
        torch.randn(5, 2, generator=gen, dtype=torch.float64),
    )
    up = D.ddim_step(x, eps, 0.8, 0.2)
    torch.testing.assert_close(D.ddim_step(up, eps, 0.2, 0.8), x)


def test_score_from_eps_is_the_gaussian_score():
    ab = 0.4
    x = torch.randn(7, 2, generator=torch.Generator().manual_seed(5))
    eps = math.sqrt(1 - ab) * (x - math.sqrt(ab) * MU) / (ab * S**2 + 1 - ab)
    torch.testing.assert_close(D.score_from_eps(eps, ab), -(x - math.sqrt(ab) * MU) / (ab * S**2 + 1 - ab))


def test_mixture_eps_is_the_mixture_score():
    gen = torch.Generator().manual_seed(6)
    means, std, ab = torch.randn(3, 2, generator=gen, dtype=torch.float64), 0.3, 0.4
    x = torch.randn(7, 2, generator=gen, dtype=torch.float64).requires_grad_()
    # log p_t by hand: the mixture of N(sqrt(ab) mu_k, v I); its gradient by autograd
    var = ab * std**2 + 1 - ab
    log_p = torch.logsumexp(-((x[:, None] - math.sqrt(ab) * means) ** 2).sum(-1) / (2 * var), dim=1)
    (score,) = torch.autograd.grad(log_p.sum(), x)
    eps = D.mixture_eps(x.detach(), ab, means=means, std=std)
    torch.testing.assert_close(D.score_from_eps(eps, ab), score)


def test_mixture_eps_of_one_component_is_the_gaussian_eps():
    x = torch.randn(5, 2, generator=torch.Generator().manual_seed(7))
    ab = 0.3
    expected = math.sqrt(1 - ab) * (x - math.sqrt(ab) * MU) / (ab * S**2 + 1 - ab)
    torch.testing.assert_close(D.mixture_eps(x, ab, means=MU[None], std=S), expected)


def test_mixture_eps_rejects_means_of_another_dimension():
    with pytest.raises(ValueError, match="means"):
        D.mixture_eps(torch.zeros(4, 2), 0.5, means=torch.zeros(3, 3), std=0.1)


def test_sde_drifts():
    sde, x, eps, tau = D.VPSDE(), torch.ones(3, 2), torch.full((3, 2), 0.5), 0.3
    score = D.score_from_eps(eps, sde.alpha_bar(tau))
    torch.testing.assert_close(sde.reverse_sde_drift(x, tau, eps), -0.5 * sde.beta(tau) * x - sde.beta(tau) * score)
    torch.testing.assert_close(sde.pf_ode_drift(x, tau, eps), -0.5 * sde.beta(tau) * (x + score))


def test_timestep_subsequence():
    assert D.timestep_subsequence(1000, 1000) == list(range(1000))
    assert D.timestep_subsequence(1000, 1) == [999]
    seq = D.timestep_subsequence(1000, 10)
    assert seq[0] == 0 and seq[-1] == 999 and len(seq) == 10
    for steps in range(1, 51):
        for spacing in ("uniform", "quadratic"):
            seq = D.timestep_subsequence(50, steps, spacing=spacing)
            assert len(seq) == steps and seq[-1] == 49 and all(b > a for a, b in pairwise(seq))
    quad = D.timestep_subsequence(1000, 10, spacing="quadratic")
    assert quad[1] - quad[0] < quad[-1] - quad[-2]


# ----------------------------------------------------------------------------- samplers on the analytic model


def test_sample_ddpm_recovers_the_gaussian():
    model = discrete_eps()
    out = M.sample_ddpm(model, 4000, seed=0, device="cpu")
    assert out.nfe == T == model.calls
    assert_gaussian(out.x)


@pytest.mark.parametrize("eta", [0.0, 1.0])
@pytest.mark.parametrize("steps", [100, 1000])
def test_sample_ddim_recovers_the_gaussian(eta, steps):
    model = discrete_eps()
    out = M.sample_ddim(model, 4000, steps=steps, eta=eta, seed=1, device="cpu")
    assert out.nfe == steps == model.calls
    assert_gaussian(out.x)


def test_few_step_ddim_shrinks_towards_the_posterior_mean():
    """With few steps the last DDIM step returns E[x_0 | x_t] from a sizeable t: too narrow."""
    model = discrete_eps()
    stds = [M.sample_ddim(model, 4000, steps=steps, seed=1).x.std(0).mean().item() for steps in (10, 20, 100)]
    assert stds[0] < stds[1] < stds[2] < S * 1.02
    assert stds[0] < 0.8 * S


def test_sample_ddim_eta0_is_deterministic_and_returns_trajectory():
    model = discrete_eps()
    x_T = torch.randn(30, 2, generator=torch.Generator().manual_seed(0))
    a = M.sample_ddim(model, steps=20, x_T=x_T, seed=1, return_trajectory=True)
    b = M.sample_ddim(model, steps=20, x_T=x_T, seed=2)
    assert torch.equal(a.x, b.x)
    assert a.trajectory.shape == (21, 30, 2) and len(a.times) == 21
    assert torch.equal(a.trajectory[0], x_T) and torch.equal(a.trajectory[-1], a.x)
    assert a.times[0] == 1.0 and a.times[-1] == 0.0
    c = M.sample_ddim(model, steps=20, eta=1.0, x_T=x_T, seed=1)
    assert not torch.equal(a.x, c.x)


def test_sample_reverse_sde_recovers_the_gaussian():
    model = continuous_eps()
    out = M.sample_reverse_sde(model, 4000, steps=500, seed=0, device="cpu", return_trajectory=True)
    assert out.nfe == 500 and out.trajectory.shape == (501, 4000, 2)
    assert_gaussian(out.x)


@pytest.mark.parametrize("method,steps,nfe", [("euler", 200, 200), ("heun", 30, 60), ("ddim", 30, 30)])
def test_sample_pf_ode_recovers_the_gaussian_deterministically(method, steps, nfe):
    model = continuous_eps()
    out = M.sample_pf_ode(model, 4000, steps=steps, method=method, seed=0, device="cpu")
    assert out.nfe == nfe == model.calls
    assert_gaussian(out.x)
    again = M.sample_pf_ode(model, 4000, steps=steps, method=method, seed=0, device="cpu")
    assert torch.equal(out.x, again.x)


def test_ddim_is_a_discretization_of_the_pf_ode():
    """DDIM (eta = 0) and Euler on the probability-flow ODE converge to each other."""
    model = continuous_eps()
    x_T = torch.randn(500, 2, generator=torch.Generator().manual_seed(0))
    gaps = []
    for steps in (10, 40, 160):
        ddim = M.sample_pf_ode(model, steps=steps, method="ddim", x_T=x_T).x
        euler = M.sample_pf_ode(model, steps=steps, method="euler", x_T=x_T).x
        gaps.append((ddim - euler).norm(dim=1).mean().item())
    assert gaps[0] > 2.5 * gaps[1] > 6 * gaps[2]


def test_ddim_inversion_reconstructs():
    model = discrete_eps()
    x0 = MU + S * torch.randn(500, 2, generator=torch.Generator().manual_seed(3))
    errors = []
    for steps in (50, 500):
        code = M.ddim_invert(model, x0, steps=steps, return_trajectory=True)
        assert code.nfe == steps and code.trajectory.shape == (steps + 1, 500, 2)
        assert torch.equal(code.trajectory[-1], x0) and torch.equal(code.trajectory[0], code.x)
        back = M.sample_ddim(model, steps=steps, x_T=code.x).x
        errors.append((back - x0).norm(dim=1).mean().item())
    assert errors[1] < errors[0] / 5 and errors[1] < 0.02  # first order: error ~ 1/steps
    # the code is (close to) standard normal noise
    assert code.x.std(0).sub(1).abs().max() < 0.15


# ----------------------------------------------------------------------------- network and trainer


def test_eps_mlp_and_trainer_are_seeded():
    data = MU + S * torch.randn(500, 2, generator=torch.Generator().manual_seed(0))
    a = M.train_eps_model(data, steps=30, batch_size=32, seed=3, hidden=16, depth=2, device="cpu")
    b = M.train_eps_model(data, steps=30, batch_size=32, seed=3, hidden=16, depth=2, device="cpu")
    assert len(a.losses) == 30 and a.losses == b.losses
    for p, q in zip(a.model.parameters(), b.model.parameters(), strict=True):
        assert torch.equal(p, q)
    assert pickle.loads(pickle.dumps(a)).losses == a.losses  # a disk cache can store the result
    out = M.sample_ddim(a.model, 7, steps=5, seed=0, device="cpu")
    assert out.x.shape == (7, 2) and torch.isfinite(out.x).all()
    emb = M.sinusoidal_embedding(torch.tensor([0.1, 0.2]), 8)
    assert emb.shape == (2, 8)
    torch.testing.assert_close(emb[:, :4] ** 2 + emb[:, 4:] ** 2, torch.ones(2, 4))


# ----------------------------------------------------------------------------- bad input


def test_schedule_bad_input():
    with pytest.raises(ValueError, match="T must"):
        D.linear_beta_schedule(0)
    with pytest.raises(ValueError, match="beta_end"):
        D.linear_beta_schedule(10, beta_start=1e-4, beta_end=1.5)
    with pytest.raises(ValueError, match="beta_start"):
        D.linear_beta_schedule(10, beta_start=0.0, beta_end=0.02)
    with pytest.raises(ValueError, match="betas"):
        D.alpha_bars(torch.tensor([0.1, 1.0], dtype=torch.float64))
    with pytest.raises(ValueError, match="betas"):
        D.alpha_bars(torch.tensor([0.0, 0.5], dtype=torch.float64))
    with pytest.raises(ValueError, match="betas"):
        D.alpha_bars(torch.ones(2, 2) * 0.1)


def test_step_bad_input():
    x = torch.zeros(4, 2)
    with pytest.raises(ValueError, match="t must"):
        D.q_sample(x, 1000, AB, noise=x)
    with pytest.raises(ValueError, match="t must"):
        D.q_sample(x, torch.tensor([0, 1, 2, -1]), AB, noise=x)
    with pytest.raises(ValueError, match="t must"):
        D.q_sample(x, torch.tensor([0, 1]), AB, noise=x)
    with pytest.raises(ValueError, match="noise"):
        D.q_sample(x, 3, AB, noise=torch.zeros(4, 3))
    with pytest.raises(ValueError, match="t must"):
        D.ddpm_step(x, x, -1, BETAS, noise=x)
    with pytest.raises(ValueError, match="noise"):
        D.ddpm_step(x, x, 5, BETAS, noise=None)
    with pytest.raises(ValueError, match="eps"):
        D.ddpm_step(x, torch.zeros(3, 2), 5, BETAS, noise=x)
    with pytest.raises(ValueError, match="eta"):
        D.ddim_step(x, x, 0.5, 0.6, eta=-0.1)
    with pytest.raises(ValueError, match="noise"):
        D.ddim_step(x, x, 0.5, 0.6, eta=0.5)
    with pytest.raises(ValueError, match="noise"):
        D.ddim_step(x, x, 0.5, 0.6, eta=0.5, noise=torch.zeros(2, 2))
    with pytest.raises(ValueError, match="alpha_bar_t"):
        D.ddim_step(x, x, 1.5, 0.6)
    with pytest.raises(ValueError, match="alpha_bar_prev"):
        D.ddim_step(x, x, 0.5, 0.0)
    with pytest.raises(ValueError, match="alpha_bar_prev"):
        D.ddim_step(x, x, 0.5, 0.4, eta=1.0, noise=x)
    with pytest.raises(TypeError, match="x_t"):
        D.ddim_step(x.numpy(), x, 0.5, 0.6)


def test_sampler_bad_input():
    model = discrete_eps()
    with pytest.raises(ValueError, match="steps"):
        M.sample_ddim(model, 5, steps=1001)
    with pytest.raises(ValueError, match="steps"):
        M.sample_ddim(model, 5, steps=0)
    with pytest.raises(ValueError, match="eta"):
        M.sample_ddim(model, 5, steps=10, eta=-1.0)
    with pytest.raises(ValueError, match="spacing"):
        M.sample_ddim(model, 5, steps=10, spacing="cubic")
    with pytest.raises(ValueError, match="n must"):
        M.sample_ddpm(model, 0)
    with pytest.raises(ValueError, match="x_T"):
        M.sample_ddim(model, steps=10, x_T=torch.zeros(5))
    with pytest.raises(TypeError, match="model"):
        M.sample_ddim("not a model", 5, steps=10)
    with pytest.raises(ValueError, match="method"):
        M.sample_pf_ode(model, 5, steps=10, method="rk4")
    with pytest.raises(ValueError, match="t_end"):
        M.sample_reverse_sde(model, 5, steps=10, t_end=1.0)
    with pytest.raises(ValueError, match="x0"):
        M.ddim_invert(model, torch.zeros(3), steps=10)
    with pytest.raises(ValueError, match="beta_max"):
        D.VPSDE(beta_min=5.0, beta_max=1.0)
    with pytest.raises(ValueError, match="data"):
        M.train_eps_model(torch.zeros(5), steps=1)
    with pytest.raises(ValueError, match="dim must"):
        M.sample_ddpm(model, 5, dim=0)
    with pytest.raises(TypeError, match="sde must be a VPSDE"):
        M.sample_pf_ode(model, 5, steps=10, sde=0)  # a falsy wrong object is not the default
    with pytest.raises(ValueError, match="model must return the shape of x"):
        M.sample_pf_ode(lambda x, tau: x[:, :1], 5, steps=10)
    with pytest.raises(ValueError, match="model returned NaN"):
        M.sample_ddim(lambda x, tau: x * math.nan, 5, steps=10)


def test_eta_above_one_is_refused_not_clamped():
    x = torch.zeros(4, 2)
    with pytest.raises(ValueError, match=r"eta must lie in \[0, 1\]"):
        D.ddim_step(x, x, 0.5, 0.6, eta=1.5, noise=x)
    with pytest.raises(ValueError, match="eta"):
        M.sample_ddim(discrete_eps(), 5, steps=10, eta=1.01)


def test_eps_mlp_takes_float64_and_refuses_an_odd_embedding():
    torch.manual_seed(0)
    net = M.EpsMLP(2, hidden=8, depth=1)
    x, tau = torch.randn(3, 2), torch.rand(3)
    torch.testing.assert_close(net(x.double(), tau.double()), net(x, tau))
    with pytest.raises(ValueError, match="emb_dim must be even"):
        M.EpsMLP(emb_dim=3)
