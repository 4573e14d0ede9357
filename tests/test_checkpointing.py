"""Tests for dlbook.checkpointing: schedules against closed forms, memory against known allocations,
our checkpointing against torch.utils.checkpoint and against no checkpointing."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.checkpoint import checkpoint_sequential as torch_checkpoint_sequential

from dlbook.checkpointing import (
    ActivationMemory,
    checkpoint_sequential,
    count_layer_calls,
    make_chain,
    saved_tensor_bytes,
    simulate,
    training_step,
)


def grads(model: nn.Sequential) -> list[torch.Tensor]:
    return [p.grad.clone() for p in model.parameters()]


def gradients_of(run, model: nn.Sequential, x: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
    model.zero_grad(set_to_none=True)
    x = x.clone().requires_grad_(True)
    run(x).square().sum().backward()
    return grads(model), x.grad


# ----------------------------------------------------------------------------- gradients


@settings(max_examples=30)
@given(n=st.integers(1, 12), data=st.data(), seed=st.integers(0, 1000))
def test_checkpointed_gradients_equal_plain_and_torch_exactly(n, data, seed):
    k = data.draw(st.integers(1, n), label="segments")
    model = make_chain(n, width=5, seed=seed)
    x = torch.randn(7, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    plain = gradients_of(model, model, x)
    ours = gradients_of(lambda h: checkpoint_sequential(model, k, h), model, x)
    theirs = gradients_of(lambda h: torch_checkpoint_sequential(model, k, h, use_reentrant=False), model, x)
    for other in (ours, theirs):
        assert all(torch.equal(a, b) for a, b in zip(plain[0], other[0], strict=True))
        assert torch.equal(plain[1], other[1])


def test_checkpointing_accepts_an_input_without_grad_and_a_list_of_layers():
    model = make_chain(4, width=3)
    x = torch.randn(2, 3, dtype=torch.float64)
    model(x).sum().backward()
    want = grads(model)
    model.zero_grad(set_to_none=True)
    checkpoint_sequential(list(model), 3, x).sum().backward()
    assert all(torch.equal(a, b) for a, b in zip(want, grads(model), strict=True))


def test_frozen_layers_get_no_gradient():
    model = make_chain(3, width=3)
    model[0].requires_grad_(False)
    x = torch.randn(2, 3, dtype=torch.float64)
    checkpoint_sequential(model, 3, x).sum().backward()
    assert model[0][0].weight.grad is None and model[2][0].weight.grad is not None


@pytest.mark.parametrize("m", [2, 3, 5])
def test_gradient_accumulation_gives_the_full_batch_gradient(m):
    model = make_chain(6, width=4)
    x = torch.randn(10, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    full_loss = training_step(model, x)
    full = grads(model)
    acc_loss = training_step(model, x, micro_batches=m)
    assert math.isclose(full_loss, acc_loss, rel_tol=1e-12)
    assert all(torch.allclose(a, b, rtol=1e-12, atol=1e-15) for a, b in zip(full, grads(model), strict=True))


# ----------------------------------------------------------------------------- recomputation


@pytest.mark.parametrize("n, k", [(8, 1), (8, 2), (8, 4), (8, 8), (12, 3)])
def test_recomputation_counts(n, k):
    model = make_chain(n, width=3)
    x = torch.randn(4, 3, dtype=torch.float64)
    assert count_layer_calls(model, lambda: training_step(model, x)) == n
    torch_calls = count_layer_calls(model, lambda: training_step(model, x, segments=k))
    assert torch_calls == n + (k - 1) * (n // k)  # torch keeps its last segment
    assert count_layer_calls(model, lambda: training_step(model, x, segments=k, ours=True)) == 2 * n


# ----------------------------------------------------------------------------- simulate


@given(n=st.integers(1, 60))
def test_store_all_and_recompute_all_closed_forms(n):
    store = simulate(n, "store_all")
    assert (store.peak, store.evaluations) == (n, n)
    poor = simulate(n, "recompute_all")
    assert poor.peak == min(n, 2) and poor.evaluations == n * (n + 1) // 2
    every_node = simulate(n, "checkpoint", every=1)  # every node a checkpoint: store-all
    assert (every_node.peak, every_node.evaluations) == (n, n)


@given(n=st.integers(2, 80), data=st.data())
def test_checkpoint_closed_forms(n, data):
    k = data.draw(st.integers(1, n), label="every")
    s = simulate(n, "checkpoint", every=k)
    kept = (n - 1) // k  # checkpoints f_k, f_2k, ... below f_n
    assert s.evaluations == n + (n - 1 - kept) <= 2 * n
    if k >= 2 and n % k == 0:
        assert s.peak == n // k + max(k - 2, 1)
    backward = [st_.node for st_ in s.steps if st_.kind == "backward"]
    assert backward == list(range(n, 0, -1))
    assert all(st_.node in st_.memory for st_ in s.steps)  # every step holds what it computes or needs


@pytest.mark.parametrize("n", [16, 64, 256, 1000])
def test_sqrt_checkpoints_hold_about_two_sqrt_n(n):
    s = simulate(n, "checkpoint")
    assert s.every == math.ceil(math.sqrt(n))
    assert s.peak <= 2 * math.sqrt(n) + 1 and s.evaluations <= 2 * n


def test_simulate_small_case_step_by_step():
    s = simulate(4, "checkpoint", every=2)
    got = [(x.kind[0], x.node, x.memory) for x in s.steps]
    assert got == [
        ("f", 1, (1,)),
        ("f", 2, (1, 2)),
        ("f", 3, (2, 3)),
        ("f", 4, (2, 3, 4)),
        ("b", 4, (2, 4)),
        ("r", 3, (2, 3)),
        ("b", 3, (2, 3)),
        ("b", 2, (2,)),
        ("r", 1, (1,)),
        ("b", 1, (1,)),
    ]


# ----------------------------------------------------------------------------- memory


def test_activation_memory_counts_a_known_allocation_and_its_release():
    before = torch.ones(1000)
    with ActivationMemory() as mem:
        a = torch.zeros(250, dtype=torch.float64)  # 2,000 bytes
        b = a + 1  # 2,000 bytes more
        del a
        c = torch.empty(10, dtype=torch.float32)  # 40 bytes, while only b is alive
        before.mul_(2)  # in place on an old storage: not counted
        view = b[:10]  # a view: no new storage
    assert mem.peak_bytes == 4000
    assert mem.current_bytes == 2040
    del b, c, view


def test_activation_memory_sees_backward_and_ignores_parameters():
    model = make_chain(4, width=8)
    x = torch.randn(32, 8, dtype=torch.float64)
    training_step(model, x)  # allocate .grad before measuring
    with ActivationMemory() as mem:
        training_step(model, x)
    unit = 32 * 8 * 8
    assert 4 * unit <= mem.peak_bytes < 8 * unit


def test_training_peak_is_saved_activations_plus_the_loss_backward():
    # two independent measurements (dispatch mode vs saved_tensors_hooks) agree to the byte:
    # the peak of a plain step is every saved activation plus the loss's own backward
    model = make_chain(6, width=5)
    x = torch.randn(7, 5, dtype=torch.float64)
    y = torch.randn(7, 5, dtype=torch.float64, requires_grad=True)
    with ActivationMemory() as loss_only:
        (y.square().sum() / 7).backward()
    training_step(model, x)  # allocate .grad before measuring
    with ActivationMemory() as mem:
        training_step(model, x)
    assert mem.peak_bytes == saved_tensor_bytes(model, x) + loss_only.peak_bytes


def test_saved_tensor_bytes_counts_one_activation_per_layer():
    model = make_chain(5, width=6)
    x = torch.randn(3, 6, dtype=torch.float64)
    assert saved_tensor_bytes(model, x) == 5 * 3 * 6 * 8  # each tanh output, once
    assert saved_tensor_bytes(lambda h: checkpoint_sequential(model, 5, h), x) == 4 * 3 * 6 * 8  # boundaries


# ----------------------------------------------------------------------------- bad input


def test_bad_input_names_the_argument():
    model = make_chain(3, width=2)
    x = torch.randn(2, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match="segments"):
        checkpoint_sequential(model, 0, x)
    with pytest.raises(ValueError, match="segments"):
        checkpoint_sequential(model, 4, x)
    with pytest.raises(TypeError, match="layers"):
        checkpoint_sequential([model[0], "relu"], 1, x)
    with pytest.raises(TypeError, match="layers"):
        checkpoint_sequential(nn.Linear(2, 2), 1, x)
    with pytest.raises(ValueError, match="layers"):
        checkpoint_sequential([], 1, x)
    with pytest.raises(ValueError, match="n"):
        simulate(0, "store_all")
    with pytest.raises(ValueError, match="strategy"):
        simulate(4, "sqrt")
    with pytest.raises(ValueError, match="every"):
        simulate(4, "checkpoint", every=0)
    with pytest.raises(ValueError, match="micro_batches"):
        training_step(model, x, micro_batches=3)
    with pytest.raises(TypeError, match="fn"):
        saved_tensor_bytes(3, x)
