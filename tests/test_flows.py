"""dlbook.flows: exact inverses and log-determinants (against jacrev + slogdet), the exact mixture velocity
(against Monte Carlo), densities (against torch.distributions) and bad input."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from dlbook.flows import (
    NICE,
    AdditiveCoupling,
    Scaling,
    VelocityMLP,
    divergence,
    gaussian_nll,
    mixture_log_prob,
    mixture_velocity,
    near_mode_fraction,
    sample_flow,
    straightness,
    train_nice,
    train_velocity,
)


def _nice(seed: int, dim: int = 4, n_couplings: int = 3, **kw) -> NICE:
    torch.manual_seed(seed)
    model = NICE(dim, n_couplings=n_couplings, hidden=8, **kw).double()
    with torch.no_grad():
        model.scaling.log_scale.normal_()
    return model


def _jacobian_logdet(layer, x: torch.Tensor) -> torch.Tensor:
    def one(row):
        return layer(row[None])[0][0]

    jac = torch.stack([torch.func.jacrev(one)(row) for row in x])  # (n, d, d)
    return torch.linalg.slogdet(jac).logabsdet


@given(seed=st.integers(0, 2**16), half=st.integers(1, 3), parity=st.sampled_from([0, 1]))
def test_a_coupling_inverts_exactly_and_has_log_determinant_zero(seed, half, parity):
    torch.manual_seed(seed)
    layer = AdditiveCoupling(2 * half, 8, parity=parity).double()
    x = torch.randn(5, 2 * half, dtype=torch.float64)
    y, logdet = layer(x)
    assert (layer.inverse(y) - x).abs().max() <= 1e-10
    assert torch.equal(logdet, torch.zeros(5, dtype=torch.float64))
    assert torch.allclose(_jacobian_logdet(layer, x), logdet, atol=1e-10)
    kept = slice(0, half) if parity == 0 else slice(half, None)
    assert torch.equal(y[:, kept], x[:, kept])


@given(seed=st.integers(0, 2**16), prior=st.sampled_from(["logistic", "gaussian"]))
def test_nice_inverts_exactly_and_its_log_determinant_is_the_sum_of_log_scales(seed, prior):
    model = _nice(seed, prior=prior)
    x = torch.randn(6, 4, dtype=torch.float64)
    z, logdet = model(x)
    assert (model.inverse(z) - x).abs().max() <= 1e-10
    assert torch.allclose(logdet, model.scaling.log_scale.sum().expand(6))
    assert torch.allclose(_jacobian_logdet(model, x), logdet, atol=1e-10)


def test_the_scaling_layer_matches_its_jacobian():
    layer = Scaling(3).double()
    with torch.no_grad():
        layer.log_scale.copy_(torch.tensor([0.5, -1.0, 0.2]))
    x = torch.randn(4, 3, dtype=torch.float64)
    y, logdet = layer(x)
    assert torch.allclose(layer.inverse(y), x)
    assert torch.allclose(_jacobian_logdet(layer, x), logdet)


def test_without_alternation_the_kept_half_never_changes():
    model = _nice(0, n_couplings=6, alternate=False)
    x = torch.randn(5, 4, dtype=torch.float64)
    z, _ = model(x)
    s = model.scaling.log_scale.exp()
    assert torch.allclose(z[:, :2], x[:, :2] * s[:2])
    assert not torch.allclose(z[:, 2:], x[:, 2:] * s[2:])


@pytest.mark.parametrize("prior", ["logistic", "gaussian"])
def test_the_prior_matches_torch_distributions(prior):
    model = _nice(1, dim=2, prior=prior)
    z = torch.randn(7, 2, dtype=torch.float64)
    base = torch.distributions.Normal(0.0, 1.0)
    if prior == "logistic":
        base = torch.distributions.TransformedDistribution(
            torch.distributions.Uniform(0.0, 1.0),
            [torch.distributions.SigmoidTransform().inv],
        )
    expected = base.log_prob(z.clamp(-30, 30)).sum(dim=1)
    assert torch.allclose(model.prior_log_prob(z), expected.double(), atol=1e-6)


def test_nice_samples_are_the_inverse_of_prior_draws_and_are_seeded():
    model = _nice(2, dim=2, prior="logistic")
    a = model.sample(50, generator=torch.Generator().manual_seed(0))
    b = model.sample(50, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a, b) and a.shape == (50, 2)
    assert torch.isfinite(model.log_prob(a)).all()


def test_training_nice_beats_a_gaussian_on_a_bimodal_cloud():
    gen = torch.Generator().manual_seed(0)
    centres = torch.tensor([[-2.0, 0.0], [2.0, 0.0]])
    pts = centres[torch.randint(2, (2000,), generator=gen)] + 0.3 * torch.randn(2000, 2, generator=gen)
    model = train_nice(pts[:1500], steps=300, hidden=16, n_couplings=4, prior="gaussian")
    with torch.no_grad():
        nll = -model.log_prob(pts[1500:]).mean().item()
    assert nll < gaussian_nll(pts[:1500], pts[1500:]) - 0.3


def test_gaussian_nll_matches_scipy():
    from scipy.stats import multivariate_normal

    gen = torch.Generator().manual_seed(0)
    train = torch.randn(200, 2, generator=gen, dtype=torch.float64) @ torch.tensor(
        [[1.0, 0.3], [0.0, 0.5]], dtype=torch.float64
    )
    test = torch.randn(50, 2, generator=gen, dtype=torch.float64)
    mean, cov = train.mean(0).numpy(), torch.cov(train.T, correction=0).numpy()
    expected = -multivariate_normal(mean, cov).logpdf(test.numpy()).mean()
    assert gaussian_nll(train, test) == pytest.approx(expected, rel=1e-10)


def _means(k: int = 3) -> torch.Tensor:
    angles = torch.arange(k, dtype=torch.float64) * 2 * math.pi / k
    return 1.5 * torch.stack([angles.cos(), angles.sin()], dim=1)


def test_mixture_log_prob_matches_torch_distributions():
    means, weights = _means(), torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64)
    mix = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(weights),
        torch.distributions.Independent(torch.distributions.Normal(means, 0.4), 1),
    )
    x = torch.randn(9, 2, dtype=torch.float64)
    assert torch.allclose(mixture_log_prob(x, means, 0.4, weights), mix.log_prob(x))


def test_divergence_is_the_trace_of_the_jacobian():
    a = torch.tensor([[0.3, -1.0], [2.0, 0.7]], dtype=torch.float64)

    def drift(x, t):
        return torch.tanh(x @ a.T) * (1 + t)

    x = torch.randn(5, 2, dtype=torch.float64)
    jac = torch.stack([torch.func.jacrev(lambda r: drift(r[None], 0.5)[0])(row) for row in x])
    assert torch.allclose(divergence(drift, x, 0.5), jac.diagonal(dim1=1, dim2=2).sum(-1))


@pytest.mark.parametrize("t", [0.2, 0.5, 0.8])
def test_mixture_velocity_matches_a_monte_carlo_conditional_mean(t):
    means, std = _means(), 0.3
    weights = torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    n = 2_000_000
    k = torch.multinomial(weights, n, replacement=True, generator=gen)
    x1 = means[k] + std * torch.randn(n, 2, generator=gen, dtype=torch.float64)
    x0 = torch.randn(n, 2, generator=gen, dtype=torch.float64)
    xt = t * x1 + (1 - t) * x0
    # near each blurred mode, off its centre (where the velocity depends on x)
    probe = t * means + torch.tensor([0.1, -0.05], dtype=torch.float64)
    exact = mixture_velocity(probe, t, means, std, weights)
    for row, v in zip(probe, exact, strict=True):
        near = (xt - row).norm(dim=1) < 0.05
        assert near.sum() > 1000
        mc = (x1 - x0)[near].mean(0)
        assert torch.allclose(mc, v, atol=0.08), (mc, v)


def test_one_euler_step_from_noise_lands_on_the_data_mean():
    means, weights = _means(), torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64)
    z = torch.randn(100, 2, dtype=torch.float64)
    out = sample_flow(lambda x, t: mixture_velocity(x, t, means, 0.1, weights), z, steps=1).x
    assert torch.allclose(out, (weights[:, None] * means).sum(0).expand(100, 2))


def test_many_euler_steps_reach_the_modes_and_a_straight_flow_has_zero_straightness():
    means = _means(4)
    z = torch.randn(1000, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    out = sample_flow(lambda x, t: mixture_velocity(x, t, means, 0.1), z, steps=200).x
    theory = 1 - math.exp(-(0.3**2) / (2 * 0.1**2))
    assert abs(near_mode_fraction(out, means, 0.3) - theory) < 0.02
    shift = torch.tensor([1.0, -2.0], dtype=torch.float64)
    assert straightness(lambda x, t: shift.expand_as(x), z, steps=10) == pytest.approx(0.0, abs=1e-12)
    assert straightness(lambda x, t: mixture_velocity(x, t, means, 0.1), z, steps=50) > 0.1


def test_train_velocity_on_straight_pairs_learns_their_constant_velocity():
    gen = torch.Generator().manual_seed(0)
    x0 = torch.randn(1000, 2, generator=gen)
    x1 = x0 + torch.tensor([1.0, -0.5])
    net = train_velocity(x0, x1, steps=300, hidden=16, depth=2)
    with torch.no_grad():
        v = net(x0[:100], 0.5)
    assert torch.allclose(v, torch.tensor([1.0, -0.5]).expand(100, 2), atol=0.1)


def test_velocity_mlp_takes_a_time_per_row_or_one_time():
    net = VelocityMLP(2, hidden=8, depth=1)
    x = torch.randn(4, 2)
    assert torch.allclose(net(x, 0.3), net(x, torch.full((4,), 0.3)))


# ----------------------------------------------------------------------------- bad input


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="dim must be even"):
        AdditiveCoupling(3, 8, parity=0)
    with pytest.raises(ValueError, match="parity"):
        AdditiveCoupling(2, 8, parity=2)
    with pytest.raises(ValueError, match="n_couplings"):
        NICE(2, n_couplings=0)
    with pytest.raises(ValueError, match="prior"):
        NICE(2, prior="cauchy")
    with pytest.raises(ValueError, match="x must have 2 columns"):
        NICE(2)(torch.randn(3, 4))
    means = _means()
    with pytest.raises(ValueError, match="t must lie in"):
        mixture_velocity(torch.randn(3, 2), 1.5, means, 0.1)
    with pytest.raises(ValueError, match="t must lie in"):
        mixture_velocity(torch.randn(3, 2), -0.1, means, 0.1)
    with pytest.raises(ValueError, match="std"):
        mixture_velocity(torch.randn(3, 2), 0.5, means, 0.0)
    with pytest.raises(ValueError, match="weights must be positive and sum to 1"):
        mixture_velocity(torch.randn(3, 2), 0.5, means, 0.1, torch.tensor([0.5, 0.3, 0.3]))
    with pytest.raises(ValueError, match="weights must hold one weight"):
        mixture_velocity(torch.randn(3, 2), 0.5, means, 0.1, torch.tensor([0.5, 0.5]))
    with pytest.raises(ValueError, match="means must have 2 columns"):
        mixture_velocity(torch.randn(3, 2), 0.5, torch.zeros(3, 3), 0.1)
    with pytest.raises(ValueError, match="x1 must have the shape of x0"):
        train_velocity(torch.randn(5, 2), torch.randn(4, 2), steps=1)
    with pytest.raises(ValueError, match="radius"):
        near_mode_fraction(torch.randn(3, 2), means, 0.0)
