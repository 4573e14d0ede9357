"""Tests for dlbook.rnn: the forward pass against torch.nn.RNN, BPTT against torch.autograd."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbook.corpus import zen_of_python
from dlbook.rnn import (
    RNNParams,
    bptt,
    clip_by_norm,
    encode_text,
    init_params,
    jacobian_through_time,
    one_hot,
    rnn_forward,
    rnn_loss,
    sample_text,
    step_jacobian,
    train_char_rnn,
    unigram_entropy,
)

sizes = st.tuples(st.integers(1, 7), st.integers(1, 6), st.integers(1, 5), st.integers(1, 6))  # T, D, H, K


def problem(T: int, D: int, H: int, K: int, seed: int = 0, scale: float = 0.5):
    """Random weights (biases too), inputs, targets and initial state of the given sizes."""
    rng = np.random.default_rng(seed)
    params = RNNParams(*(scale * rng.standard_normal(s) for s in [(H, D), (H, H), (K, H), (H,), (K,)]))
    return params, rng.standard_normal((T, D)), rng.integers(0, K, T), rng.standard_normal(H)


def torch_loss(p: dict[str, torch.Tensor], xs, targets, h0, truncate: int | None = None) -> torch.Tensor:
    """The same loss in torch; with ``truncate=k`` each loss term sees only its last k steps."""
    xs, h0 = torch.from_numpy(xs), torch.from_numpy(h0)
    T, total = len(xs), torch.zeros((), dtype=torch.float64)
    for t in range(T):
        h = h0
        for s in range(t + 1):
            if truncate is not None and s == t + 1 - truncate:
                h = h.detach()  # cut the graph: the term reaches back k steps only
            h = torch.tanh(p["U"] @ xs[s] + p["W"] @ h + p["b"])
        logits = p["V"] @ h + p["c"]
        total = total - torch.log_softmax(logits, 0)[int(targets[t])]
    return total


def torch_grads(params: RNNParams, xs, targets, h0, truncate=None) -> dict[str, np.ndarray]:
    p = {n: torch.tensor(a, requires_grad=True) for n, a in zip("UWVbc", params, strict=True)}
    torch_loss(p, xs, targets, h0, truncate).backward()
    return {n: t.grad.numpy() for n, t in p.items()}


# ----------------------------------------------------------------------------- forward


@settings(max_examples=25)
@given(sizes, st.integers(0, 10**6))
def test_forward_equals_torch_rnn(shape, seed):
    T, D, H, K = shape
    params, xs, _, h0 = problem(T, D, H, K, seed)
    net = torch.nn.RNN(D, H, nonlinearity="tanh").double()
    with torch.no_grad():
        net.weight_ih_l0.copy_(torch.from_numpy(params.U))
        net.weight_hh_l0.copy_(torch.from_numpy(params.W))
        net.bias_ih_l0.copy_(torch.from_numpy(params.b))
        net.bias_hh_l0.zero_()  # torch has two bias vectors; ours is their sum
        out, _ = net(torch.from_numpy(xs), torch.from_numpy(h0)[None])
    fwd = rnn_forward(params, xs, h0)
    assert fwd.hs.shape == (T, H) and fwd.logits.shape == (T, K) and fwd.probs.shape == (T, K)
    np.testing.assert_allclose(fwd.hs, out.numpy(), rtol=0, atol=1e-12)
    logits = out @ torch.from_numpy(params.V).T + torch.from_numpy(params.c)
    np.testing.assert_allclose(fwd.logits, logits.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(fwd.probs, torch.softmax(logits, 1).numpy(), rtol=0, atol=1e-12)


def test_h0_defaults_to_zeros_and_loss_matches_torch_cross_entropy():
    params, xs, targets, _ = problem(5, 3, 4, 6)
    np.testing.assert_array_equal(rnn_forward(params, xs).hs, rnn_forward(params, xs, np.zeros(4)).hs)
    logits = torch.from_numpy(rnn_forward(params, xs).logits)
    expected = torch.nn.functional.cross_entropy(logits, torch.from_numpy(targets), reduction="sum")
    assert rnn_loss(params, xs, targets) == pytest.approx(expected.item(), rel=1e-12)


# ----------------------------------------------------------------------------- BPTT


@settings(max_examples=25)
@given(sizes, st.integers(0, 10**6))
def test_bptt_equals_autograd(shape, seed):
    params, xs, targets, h0 = problem(*shape, seed)
    grads = bptt(params, xs, targets, h0)
    expected = torch_grads(params, xs, targets, h0)
    for name, g in zip("UWVbc", grads, strict=True):
        assert g.shape == getattr(params, name).shape
        np.testing.assert_allclose(g, expected[name], rtol=0, atol=1e-10, err_msg=name)


@settings(max_examples=20)
@given(sizes, st.integers(1, 8), st.integers(0, 10**6))
def test_truncated_bptt_equals_autograd_on_a_cut_graph(shape, k, seed):
    params, xs, targets, h0 = problem(*shape, seed)
    grads = bptt(params, xs, targets, h0, truncate=k)
    expected = torch_grads(params, xs, targets, h0, truncate=k)
    for name, g in zip("UWVbc", grads, strict=True):
        np.testing.assert_allclose(g, expected[name], rtol=0, atol=1e-10, err_msg=name)


def test_gradcheck_passes_on_the_torch_mirror():
    params, xs, targets, h0 = problem(4, 3, 3, 4)
    tensors = tuple(torch.tensor(a, requires_grad=True) for a in params)
    assert torch.autograd.gradcheck(
        lambda *ts: torch_loss(dict(zip("UWVbc", ts, strict=True)), xs, targets, h0), tensors
    )


@settings(max_examples=15)
@given(sizes, st.integers(0, 10**6))
def test_truncation_at_or_beyond_T_is_full_bptt(shape, seed):
    params, xs, targets, h0 = problem(*shape, seed)
    full = bptt(params, xs, targets, h0)
    for k in (len(xs), len(xs) + 3):
        for a, b in zip(full, bptt(params, xs, targets, h0, truncate=k), strict=True):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_truncation_error_shrinks_as_k_grows():
    params, xs, targets, h0 = problem(30, 4, 8, 5, scale=0.3)
    full = bptt(params, xs, targets, h0)

    def error(k: int) -> float:  # global L2 distance of all gradients
        return np.sqrt(
            sum(((a - b) ** 2).sum() for a, b in zip(bptt(params, xs, targets, h0, truncate=k), full, strict=True))
        )

    errors = [error(k) for k in range(1, 31)]
    assert all(b <= a for a, b in zip(errors, errors[1:], strict=False)) and errors[-1] < 1e-12 < errors[0]
    assert errors[9] < 0.01 * errors[0]  # ten steps leave under 1% of the error of one


def test_clip_by_norm_rescales_together_and_matches_torch():
    params, xs, targets, h0 = problem(6, 3, 4, 5)
    grads = bptt(params, xs, targets, h0)
    clipped = clip_by_norm(grads, 0.5)
    tensors = [torch.from_numpy(g.copy()) for g in grads]
    for t in tensors:
        t.grad = t.clone()
    torch.nn.utils.clip_grad_norm_(tensors, 0.5)
    for a, t in zip(clipped, tensors, strict=True):
        np.testing.assert_allclose(a, t.grad.numpy(), rtol=1e-6, atol=0)  # torch adds 1e-6 to the norm
    big = clip_by_norm(grads, 1e9)
    assert all(np.array_equal(a, b) for a, b in zip(big, grads, strict=True))


# ----------------------------------------------------------------------------- Jacobians through time


@settings(max_examples=15)
@given(sizes, st.integers(0, 10**6))
def test_jacobians_through_time_equal_autograd(shape, seed):
    params, xs, _, h0 = problem(*shape, seed)
    J = jacobian_through_time(params, xs, h0)
    T, H = len(xs), params.W.shape[0]
    assert J.shape == (T + 1, H, H)
    U, W, b = (torch.from_numpy(a) for a in (params.U, params.W, params.b))
    for t in range(T + 1):

        def run(h, t=t):
            for x in torch.from_numpy(xs[t:]):
                h = torch.tanh(U @ x + W @ h + b)
            return h

        h_t = torch.from_numpy(np.vstack([h0, rnn_forward(params, xs, h0).hs])[t])
        expected = torch.autograd.functional.jacobian(run, h_t)
        np.testing.assert_allclose(J[t], expected.numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("norm", [0.5, 0.9, 1.0, 1.5, 3.0])
def test_jacobian_norm_is_bounded_by_the_power_of_norm_W(norm):
    params, xs, _, h0 = problem(20, 3, 6, 4, seed=1)
    W = params.W * norm / np.linalg.norm(params.W, 2)
    J = jacobian_through_time(params._replace(W=W), xs, h0)
    T = len(xs)
    for t in range(T + 1):
        assert np.linalg.norm(J[t], 2) <= norm ** (T - t) * (1 + 1e-12)


def test_norm_W_above_one_grows_on_small_inputs_and_vanishes_on_saturated_ones():
    """||W||_2 > 1 is necessary for growth, not enough: saturated tanh units still shrink the product."""
    H, T = 16, 30
    rng = np.random.default_rng(1)
    Q, _ = np.linalg.qr(rng.standard_normal((H, H)))
    xs = rng.standard_normal((T, H))

    def norm_back(input_scale: float) -> float:  # ||dh(T)/dh(0)||_2 with W = 1.5 Q
        params = RNNParams(input_scale * np.eye(H), 1.5 * Q, np.zeros((1, H)), np.zeros(H), np.zeros(1))
        return np.linalg.norm(jacobian_through_time(params, xs)[0], 2)

    assert 10 < norm_back(0.1) <= 1.5**T and norm_back(3.0) < 1e-3


def test_step_jacobian_scales_rows_by_tanh_derivative():
    W, h = np.arange(4.0).reshape(2, 2), np.array([0.5, -0.2])
    np.testing.assert_allclose(step_jacobian(W, h), np.diag(1 - h**2) @ W)


# ----------------------------------------------------------------------------- the character model


def test_encode_one_hot_and_unigram_entropy():
    chars, ids = encode_text("abca")
    assert chars == "abc" and ids.tolist() == [0, 1, 2, 0]
    np.testing.assert_array_equal(one_hot(ids, 3), np.eye(3)[[0, 1, 2, 0]])
    expected = -(0.5 * np.log(0.5) + 2 * 0.25 * np.log(0.25))
    assert unigram_entropy(ids) == pytest.approx(expected)
    zen = zen_of_python()
    _, zen_ids = encode_text(zen)
    assert unigram_entropy(zen_ids) == pytest.approx(scipy.stats.entropy(np.bincount(zen_ids)), rel=1e-12)
    assert zen.startswith("The Zen of Python, by Tim Peters") and "Beautiful is better than ugly." in zen


def test_char_rnn_learns_a_short_text_and_is_seeded():
    text = "hello world, hello rnn. " * 4
    model = train_char_rnn(text, hidden_size=16, seq_length=8, steps=400, seed=1)
    chars, ids = encode_text(text)
    per_char = rnn_loss(model.params, one_hot(ids[:-1], len(chars)), ids[1:]) / (len(ids) - 1)
    assert per_char < 0.5 * unigram_entropy(ids)
    again = train_char_rnn(text, hidden_size=16, seq_length=8, steps=400, seed=1)
    np.testing.assert_array_equal(model.losses, again.losses)
    out = sample_text(model.params, chars, "hel", 10, seed=0)
    assert len(out) == 13 and out.startswith("hel") and set(out) <= set(chars)


def test_train_char_rnn_equals_a_torch_mirror_step_by_step():
    """Chunks, carried state, reset at the end of the text, clipping and Adagrad against torch autograd.

    torch.optim.Adagrad divides by sqrt(sum g^2) + eps; with eps = 0 and the sum started
    at 1e-8 that is min-char-rnn's sqrt(sum g^2 + 1e-8).
    """
    text, H, T, steps, lr, max_norm = "abcab cabba, abc. ", 5, 4, 9, 0.1, 0.05
    model = train_char_rnn(text, hidden_size=H, seq_length=T, steps=steps, lr=lr, max_norm=max_norm, seed=3)
    chars, ids = encode_text(text)
    K = len(chars)
    start = init_params(K, H, K, seed=3)
    p = {n: torch.tensor(a, requires_grad=True) for n, a in zip("UWVbc", start, strict=True)}
    opt = torch.optim.Adagrad(list(p.values()), lr=lr, eps=0.0, initial_accumulator_value=1e-8)
    losses, pos, h, clipped = [], 0, np.zeros(H), 0
    for _ in range(steps):
        if pos + T + 1 > len(ids):
            pos, h = 0, np.zeros(H)
        xs, targets = np.eye(K)[ids[pos : pos + T]], ids[pos + 1 : pos + T + 1]
        opt.zero_grad()
        loss = torch_loss(p, xs, targets, h)
        loss.backward()
        norm = torch.sqrt(sum((t.grad**2).sum() for t in p.values())).item()
        for t in p.values():  # by hand: clip_grad_norm_ divides by norm + 1e-6 (tested above)
            t.grad *= min(1.0, max_norm / norm)
        clipped += norm > max_norm
        opt.step()
        losses.append(loss.item() / T)
        with torch.no_grad():  # the state carried over, with the updated weights
            ht = torch.from_numpy(h)
            for x in torch.from_numpy(xs):
                ht = torch.tanh(p["U"] @ x + p["W"] @ ht + p["b"])
        h, pos = ht.numpy(), pos + T
    assert clipped > 0 and pos < steps * T  # the run clipped and wrapped around the text
    np.testing.assert_allclose(model.losses, losses, rtol=1e-9)
    for name, a in zip("UWVbc", model.params, strict=True):
        np.testing.assert_allclose(a, p[name].detach().numpy(), rtol=0, atol=1e-7, err_msg=name)


# ----------------------------------------------------------------------------- bad input


def test_bad_input_names_the_argument():
    params, xs, targets, h0 = problem(4, 3, 2, 5)
    cases = [
        (lambda: rnn_forward(params, xs[0]), "xs"),  # not 2-D
        (lambda: rnn_forward(params, xs[:, :2]), "xs"),  # D mismatch
        (lambda: rnn_forward(params, xs[:0]), "xs"),  # empty sequence
        (lambda: rnn_forward(params, xs, np.zeros(3)), "h0"),  # H mismatch
        (lambda: rnn_forward(params._replace(V=np.zeros((5, 3))), xs), "params.V"),  # K x H mismatch
        (lambda: rnn_forward(params._replace(c=np.zeros(4)), xs), "params.c"),
        (lambda: rnn_forward(params, np.where(xs > 0, np.nan, xs)), "xs"),  # NaN
        (lambda: rnn_loss(params, xs, np.array([0, 1, 5, 0])), "targets"),  # out of range
        (lambda: rnn_loss(params, xs, np.array([0, 1, -1, 0])), "targets"),
        (lambda: rnn_loss(params, xs, targets[:3]), "targets"),  # wrong length
        (lambda: rnn_loss(params, xs, targets.astype(float)), "targets"),
        (lambda: bptt(params, xs, targets, truncate=0), "truncate"),
        (lambda: bptt(params, xs, targets, truncate=1.5), "truncate"),
        (lambda: bptt(tuple(params), xs, targets), "params"),
    ]
    for call, name in cases:
        with pytest.raises((ValueError, TypeError), match=rf"\b{name}\b"):
            call()
