"""Benchmark the checkpointing chapter: the time of a checkpointed training step over a plain one.

Prints, for the chapter's tanh chains (width 16, batch 256, float64, one
thread), the best-of-``REPEAT`` wall time of a plain step and of a step with
torch's ``checkpoint_sequential`` (``use_reentrant=False``) and with the book's
``checkpoint_sequential``, at ``k = sqrt(n)`` segments, and their ratios to the
plain step. Counting layers says the overhead is at most one forward pass:
torch recomputes ``(k - 1) n / k`` layers, the book's version all ``n``.

There is no budget here, only a report: exit status 0.
"""

from __future__ import annotations

import math

import torch

from benchtime import best_time
from dlbook.checkpointing import make_chain, training_step
from dlbook.seeding import torch_threads

DEPTHS = (16, 64, 256)
BATCH, WIDTH = 256, 16
REPEAT = 7


def main() -> int:
    x = torch.randn(BATCH, WIDTH, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    print("checkpointing: training-step time relative to the plain step (best of 7, one thread)")
    print(f"{'layers':>6} {'k':>3} {'plain ms':>9} {'torch':>7} {'ours':>7}")
    with torch_threads(1):
        for n in DEPTHS:
            model, k = make_chain(n, width=WIDTH), math.isqrt(n)
            plain, _ = best_time(lambda: training_step(model, x), REPEAT, warmup=True)  # noqa: B023 - called within the iteration
            theirs, _ = best_time(lambda: training_step(model, x, segments=k), REPEAT, warmup=True)  # noqa: B023
            ours, _ = best_time(lambda: training_step(model, x, segments=k, ours=True), REPEAT, warmup=True)  # noqa: B023
            print(f"{n:>6} {k:>3} {plain * 1e3:>9.2f} {theirs / plain:>6.2f}x {ours / plain:>6.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
