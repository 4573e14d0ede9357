"""The timing rule the chapter benchmarks share: the best of a few wall-clock runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def best_time(fn: Callable[[], Any], repeat: int = 3, *, warmup: bool = False) -> tuple[float, Any]:
    """Shortest wall time of ``repeat`` calls of ``fn`` (after one untimed call if ``warmup``), and the last result.

    The minimum, not the mean: other processes only ever add time to a run.
    """
    if warmup:
        fn()
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result
