r"""Integrating an ODE $dx/dt = f(x, t)$ on a time grid: Euler, Heun, and recorded paths.

Generic machinery shared by the lessons that move points along a vector field
(the diffusion probability-flow ODE, rectified flows): a *drift* is any callable
``drift(x, t) -> dx/dt`` with the shape of ``x``; time may run forwards or
backwards (``t_next < t``). :func:`integrate` walks a grid and returns a
:class:`Solution`; samplers with extra terms (noise, other updates) use the
single steps and a :class:`Recorder` directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import torch

from dlbook.checks import (
    check_bool,
    check_callable,
    check_choice,
    check_int,
    check_real,
    check_returned,
    check_tensor,
    check_values,
)

__all__ = ["Drift", "Solution", "Recorder", "time_grid", "euler_step", "heun_step", "integrate"]

#: A vector field: ``drift(x, t) -> dx/dt``, a tensor of the shape of ``x``.
Drift = Callable[[torch.Tensor, float], torch.Tensor]


@dataclass
class Solution:
    """Where integration ended: points ``x`` (CPU) after ``nfe`` drift (network) evaluations.

    ``trajectory`` (``(K+1, n, d)``, the start first) and ``times`` (the matching
    times) are filled when recording was asked for.
    """

    x: torch.Tensor
    nfe: int
    trajectory: torch.Tensor | None = None
    times: list[float] | None = None


class Recorder:
    """Collects the points visited (as CPU float32 copies) and their times, if ``on``."""

    def __init__(self, x: torch.Tensor, t: float, *, on: bool) -> None:
        self.on = check_bool("on", on)
        self.frames: list[torch.Tensor] = []
        self.times: list[float] = []
        self.add(x, t)

    def add(self, x: torch.Tensor, t: float) -> None:
        """Record ``x`` at time ``t`` (nothing when recording is off)."""
        x, t = check_tensor("x", x), check_real("t", t)
        if self.on:
            self.frames.append(x.detach().float().cpu().clone())
            self.times.append(t)

    def solution(self, x: torch.Tensor, nfe: int) -> Solution:
        """The final points ``x`` and, if recorded, the whole path."""
        x, nfe = check_tensor("x", x), check_int("nfe", nfe, min_value=0)
        if not self.on:
            return Solution(x.detach().cpu(), nfe)
        return Solution(x.detach().cpu(), nfe, torch.stack(self.frames), list(self.times))


def time_grid(start: float, end: float, steps: int) -> list[float]:
    r"""``steps + 1`` evenly spaced times $t_k = t_{start} + k\,(t_{end} - t_{start})/K$, both ends included."""
    start, end = check_real("start", start), check_real("end", end)
    steps = check_int("steps", steps, min_value=1)
    if start == end:
        raise ValueError(f"end must differ from start, got {start} for both")
    return [start + k * (end - start) / steps for k in range(steps + 1)]


def _drift(drift: Drift, x: torch.Tensor, t: float) -> torch.Tensor:
    return check_returned("drift", drift(x, t), x)


def _check_step(drift: Any, x: Any, t: Any, t_next: Any) -> tuple[torch.Tensor, float, float]:
    check_callable("drift", drift)
    return check_tensor("x", x), check_real("t", t), check_real("t_next", t_next)


def euler_step(drift: Drift, x: torch.Tensor, t: float, t_next: float) -> torch.Tensor:
    r"""One Euler step: $x + (t_{next} - t)\,f(x, t)$ (one drift evaluation, first order)."""
    x, t, t_next = _check_step(drift, x, t, t_next)
    return x + (t_next - t) * _drift(drift, x, t)


def heun_step(drift: Drift, x: torch.Tensor, t: float, t_next: float) -> torch.Tensor:
    r"""One Heun step: Euler predictor $\tilde x = x + h\,f(x, t)$, then the trapezoid.

    $x + h\,\tfrac12(f(x, t) + f(\tilde x, t_{next}))$ with $h = t_{next} - t$: two drift
    evaluations, second order.
    """
    x, t, t_next = _check_step(drift, x, t, t_next)
    h = t_next - t
    d1 = _drift(drift, x, t)
    d2 = _drift(drift, x + h * d1, t_next)
    return x + h * 0.5 * (d1 + d2)


_STEPS = {"euler": (euler_step, 1), "heun": (heun_step, 2)}


def integrate(
    drift: Drift, x: torch.Tensor, times: Sequence[float], *, method: str = "euler", record: bool = False
) -> Solution:
    """Integrate ``dx/dt = drift(x, t)`` from ``times[0]`` through every time of the grid ``times``.

    ``method`` is ``"euler"`` or ``"heun"``; ``record`` keeps every point visited.
    """
    check_callable("drift", drift)
    x = check_tensor("x", x)
    times = [check_real("times", t) for t in check_values("times", times)]
    if len(times) < 2:
        raise ValueError(f"times must hold at least 2 times, got {len(times)}")
    step, calls = _STEPS[check_choice("method", method, tuple(_STEPS))]
    rec = Recorder(x, times[0], on=check_bool("record", record))
    for t, t_next in pairwise(times):
        x = step(drift, x, t, t_next)
        rec.add(x, t_next)
    return rec.solution(x, calls * (len(times) - 1))
