r"""Gradient checkpointing: keep a few activations, recompute the rest in backward.

Backpropagation through a chain of ``n`` layers needs every layer's activation,
so storing them all costs memory ``O(n)``. Recomputing each one from the input
when backward needs it costs ``O(1)`` memory but ``n (n + 1) / 2`` layer
evaluations. Checkpointing keeps every ``k``-th activation and recomputes one
segment at a time: about ``n / k + k`` activations in memory, smallest near
``k = sqrt(n)``, for at most one extra forward pass (Chen et al. 2016,
*Training Deep Nets with Sublinear Memory Cost*).

:func:`simulate` plays the three strategies on a chain, node by node;
:class:`ActivationMemory` and :func:`saved_tensor_bytes` measure real torch
models on CPU; :func:`checkpoint_sequential` is the book's checkpointing.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

from dlbook.checks import check_bool, check_callable, check_choice, check_instance, check_int, check_seed, check_tensor

__all__ = [
    "STRATEGIES",
    "Step",
    "Schedule",
    "simulate",
    "ActivationMemory",
    "saved_tensor_bytes",
    "checkpoint_sequential",
    "make_chain",
    "training_step",
    "count_layer_calls",
]

#: The strategies :func:`simulate` plays: keep every activation, keep none, keep every ``every``-th.
STRATEGIES = ("store_all", "recompute_all", "checkpoint")


@dataclass(frozen=True)
class Step:
    r"""One step of a schedule: ``kind`` ("forward", "recompute" or "backward") at ``node``.

    ``memory`` lists the activations held while the step runs (its inputs and its
    output included), in node order; node ``0`` is the input, always available
    and never counted.
    """

    kind: str
    node: int
    memory: tuple[int, ...]


@dataclass(frozen=True)
class Schedule:
    r"""What :func:`simulate` returns: the steps, the peak number held, the evaluations."""

    n: int
    strategy: str
    every: int | None
    steps: tuple[Step, ...]
    peak: int
    evaluations: int


def simulate(n: int, strategy: str, *, every: int | None = None) -> Schedule:
    r"""Forward and backward over a chain ``f_1, ..., f_n``, node by node.

    Forward evaluates ``f_j`` from ``f_{j-1}``; backward visits ``j = n, ..., 1``
    and needs ``f_j`` in memory, then frees it. What forward keeps decides the rest:

    * ``"store_all"`` keeps every node: peak ``n``, ``n`` evaluations;
    * ``"recompute_all"`` keeps none: each backward step recomputes ``f_1..f_j``
      from the input holding two nodes at a time; ``n (n + 1) / 2`` evaluations;
    * ``"checkpoint"`` keeps ``f_every, f_2 every, ...`` (``every`` defaults to
      ``ceil(sqrt(n))``); a backward step whose node is gone recomputes its segment
      from the checkpoint below and keeps it: at most ``2 n`` evaluations and about
      ``n / every + every`` nodes held.
    """
    n = check_int("n", n, min_value=1)
    strategy = check_choice("strategy", strategy, STRATEGIES)
    if every is not None:
        every = check_int("every", every, min_value=1)
    if strategy == "checkpoint" and every is None:
        every = math.isqrt(n - 1) + 1 if n > 1 else 1  # ceil(sqrt(n))
    keep = {
        "store_all": set(range(1, n + 1)),
        "recompute_all": set(),
        "checkpoint": set(range(every or 1, n, every or 1)),
    }[strategy]
    held: set[int] = set()
    steps: list[Step] = []

    def evaluate(kind: str, j: int, keep_input: bool) -> None:
        steps.append(Step(kind, j, tuple(sorted(held | {j}))))
        if not keep_input:
            held.discard(j - 1)
        held.add(j)

    for j in range(1, n + 1):  # forward: the previous node goes unless kept
        evaluate("forward", j, keep_input=j - 1 in keep)
    for j in range(n, 0, -1):
        if j not in held:  # recompute from the nearest node below that is still held
            start = max((i for i in held if i < j), default=0)
            for i in range(start + 1, j + 1):
                evaluate("recompute", i, keep_input=strategy != "recompute_all" or i - 1 == start)
        steps.append(Step("backward", j, tuple(sorted(held))))
        held.discard(j)
    peak = max(len(s.memory) for s in steps)
    evaluations = sum(s.kind != "backward" for s in steps)
    return Schedule(n, strategy, every, tuple(steps), peak, evaluations)


class ActivationMemory(TorchDispatchMode):
    r"""Peak bytes of the tensors created inside the ``with`` block and still alive.

    A dispatch mode sees every tensor an operator returns, in forward and in
    backward; a returned storage that none of the operator's inputs shares is new
    and is counted until it is freed (``weakref.finalize``). Storages that existed
    before the block (parameters, inputs, gradients already allocated) are never
    counted, and neither are in-place updates of them. ``peak_bytes`` is the
    peak inside the block; ``current_bytes`` the bytes of those tensors still
    alive (it keeps falling after the block as they are freed).
    """

    def __init__(self) -> None:
        super().__init__()
        self.current_bytes = 0
        self.peak_bytes = 0
        self._live: set[int] = set()

    def __enter__(self) -> ActivationMemory:
        self.current_bytes = self.peak_bytes = 0
        self._live = set()
        super().__enter__()
        return self

    def _free(self, key: int, nbytes: int) -> None:
        self._live.discard(key)
        self.current_bytes -= nbytes

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        inputs = {t.untyped_storage().data_ptr() for t in tree_flatten((args, kwargs))[0] if _has_storage(t)}
        for t in tree_flatten(out)[0]:
            if not _has_storage(t):
                continue
            storage = t.untyped_storage()
            key = storage.data_ptr()
            if key in inputs or key in self._live or storage.nbytes() == 0:
                continue
            self._live.add(key)
            self.current_bytes += storage.nbytes()
            self.peak_bytes = max(self.peak_bytes, self.current_bytes)
            weakref.finalize(storage, self._free, key, storage.nbytes())
        return out


def _has_storage(t: Any) -> bool:
    return isinstance(t, torch.Tensor) and t.layout == torch.strided and t.device.type != "meta"


def saved_tensor_bytes(fn: Callable[..., Any], *args: Any) -> int:
    r"""Bytes of the distinct storages autograd saves for backward while ``fn(*args)`` runs.

    Counted with ``torch.autograd.graph.saved_tensors_hooks``; the storages of the
    tensor ``args`` and of ``fn``'s parameters and buffers (when ``fn`` is an
    ``nn.Module``) exist anyway and are left out, so what remains is the
    activations kept for backward.
    """
    check_callable("fn", fn)
    for i, a in enumerate(args):
        check_instance(f"args[{i}]", a, torch.Tensor)
    module = [*fn.parameters(), *fn.buffers()] if isinstance(fn, nn.Module) else []
    owned = [*args, *module]
    skip = {t.untyped_storage().data_ptr() for t in owned}
    saved: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in skip:
            saved[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn(*args)
    return sum(saved.values())


class _Recomputed(torch.autograd.Function):
    r"""``run(x)`` saving only ``x``; backward reruns it with autograd."""

    @staticmethod
    def forward(ctx: Any, run: nn.Module, x: Any, *params: Any) -> Any:
        ctx.run = run
        ctx.save_for_backward(x)
        return run(x)  # autograd is off in here: nothing but x is kept

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> tuple[Any, ...]:
        (x,) = ctx.saved_tensors
        x = x.detach().requires_grad_(ctx.needs_input_grad[1])
        needs = ctx.needs_input_grad[2:]  # one flag per parameter
        pairs = zip(ctx.run.parameters(), needs, strict=True)
        params = [p for p, n in pairs if n]
        with torch.enable_grad():
            y = ctx.run(x)  # the recomputation, kept until grads are out
        wrt = [x, *params] if x.requires_grad else params
        grads = iter(torch.autograd.grad(y, wrt, grad_out))
        grad_x = next(grads) if x.requires_grad else None
        return (None, grad_x, *(next(grads) if n else None for n in needs))


def _segments(layers: Sequence[nn.Module], segments: int) -> list[nn.Sequential]:
    """``layers`` cut like torch's ``checkpoint_sequential``: ``n // segments`` each, the rest in the last."""
    size = len(layers) // segments
    cuts = [i * size for i in range(segments)] + [len(layers)]
    return [nn.Sequential(*layers[a:b]) for a, b in zip(cuts, cuts[1:], strict=False)]


def _check_checkpointing(layers: Any, segments: Any, x: Any) -> list[nn.Module]:
    """The layers as a list, once ``segments`` (1 to their number) and ``x`` are checked."""
    layers = _check_layers(layers)
    segments = check_int("segments", segments, min_value=1)
    if segments > len(layers):
        raise ValueError(f"segments must be <= the number of layers ({len(layers)}), got {segments}")
    check_tensor("x", x)
    return layers


def _check_layers(layers: Any) -> list[nn.Module]:
    if isinstance(layers, nn.Module) and not isinstance(layers, nn.Sequential):
        raise TypeError(f"layers must be an nn.Sequential or a list of nn.Module, got {type(layers).__name__}")
    if not isinstance(layers, (nn.Sequential, list, tuple)):
        raise TypeError(f"layers must be an nn.Sequential or a list of nn.Module, got {type(layers).__name__}")
    layers = list(layers)
    if not layers:
        raise ValueError("layers must hold at least one nn.Module")
    for i, layer in enumerate(layers):
        if not isinstance(layer, nn.Module):
            raise TypeError(f"layers[{i}] must be an nn.Module, got {type(layer).__name__}")
    return layers


def checkpoint_sequential(
    layers: nn.Sequential | Sequence[nn.Module],
    segments: int,
    x: torch.Tensor,
) -> torch.Tensor:
    r"""Run ``layers`` on ``x`` in ``segments`` checkpointed segments.

    Each segment runs without saving its activations; only its input (a
    checkpoint) is kept, and backward recomputes the segment from it.
    Gradients equal those of torch's ``checkpoint_sequential``, which runs
    its last segment normally (backward needs it at once); this one
    checkpoints every segment, the last one included. Unlike torch's, it
    does not save and restore the random-number state: with dropout or
    another random layer the recomputation draws anew and the gradients
    differ from plain backprop's.
    """
    layers = _check_checkpointing(layers, segments, x)
    for segment in _segments(layers, segments):
        params = segment.parameters()
        x = _Recomputed.apply(segment, x, *params)  # (batch, ...)
    return x


def make_chain(n: int, *, width: int = 16, seed: int = 0) -> nn.Sequential:
    r"""``n`` layers ``h -> tanh(W h + b)`` of ``width`` units, float64, seeded.

    Each layer keeps one activation for backward (tanh's output, which is also
    the next layer's input), so activation memory counts in units of one
    ``batch x width`` tensor.
    """
    n = check_int("n", n, min_value=1)
    width = check_int("width", width, min_value=1)
    seed = check_seed("seed", seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return nn.Sequential(*(nn.Sequential(nn.Linear(width, width), nn.Tanh()) for _ in range(n))).double()


def training_step(
    model: nn.Sequential, x: torch.Tensor, *, segments: int | None = None, micro_batches: int = 1, ours: bool = False
) -> float:
    r"""One gradient of ``L = mean over the batch of |model(x)|^2``, into the parameters' ``.grad``.

    ``segments``: checkpoint the model in that many segments (torch's
    ``checkpoint_sequential``, or ours with ``ours=True``); ``None`` stores every
    activation. ``micro_batches``: split the batch into that many pieces and add
    their gradients (gradient accumulation), each piece weighted by its share of
    the batch so the sum is the full batch's gradient. Gradients already allocated
    are zeroed in place. Returns ``L``.
    """
    check_instance("model", model, nn.Sequential)
    layers = _check_checkpointing(model, 1 if segments is None else segments, x)
    check_tensor("x", x, ndim=2)
    ours = check_bool("ours", ours)
    micro_batches = check_int("micro_batches", micro_batches, min_value=1)
    if micro_batches > x.shape[0]:
        raise ValueError(f"micro_batches must be <= the batch size ({x.shape[0]}), got {micro_batches}")
    for p in model.parameters():
        if p.grad is not None:
            p.grad.zero_()
    total = 0.0
    for chunk in x.tensor_split(micro_batches):  # (batch / m, width) each
        if segments is None:
            y = model(chunk)
        elif ours:
            y = checkpoint_sequential(layers, segments, chunk)
        else:
            y = torch.utils.checkpoint.checkpoint_sequential(model, segments, chunk, use_reentrant=False)
        loss = y.square().sum() / x.shape[0]  # this chunk's share of the batch mean
        loss.backward()
        total += loss.item()
    return total


def count_layer_calls(model: nn.Sequential, run: Callable[[], Any]) -> int:
    r"""How many times ``model``'s layers start forward during ``run()``, counted by forward pre-hooks.

    Backward's recomputations run the layers' forward again, so with
    checkpointing the count exceeds ``len(model)`` by the layers recomputed.
    Pre-hooks, because torch's non-reentrant checkpoint stops a recomputation
    as soon as the last saved tensor is back, inside the segment's last layer,
    before that layer's call returns (a forward hook would miss it).
    """
    check_instance("model", model, nn.Sequential)
    check_callable("run", run)
    calls = 0

    def hook(module: nn.Module, args: Any) -> None:
        nonlocal calls
        calls += 1

    handles = [layer.register_forward_pre_hook(hook) for layer in model]
    try:
        run()
    finally:
        for h in handles:
            h.remove()
    return calls
