"""Seeding and device choice, so every run of a lesson prints the same numbers."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import numpy as np
import torch

from dlbook.checks import check_int, check_seed


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch, and ask PyTorch for deterministic kernels."""
    seed = check_seed("seed", seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    # cuBLAS needs this for deterministic matrix products on CUDA.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)


def device() -> torch.device:
    """CUDA when present, else the CPU: lessons run on either."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def torch_threads(n: int) -> AbstractContextManager[None]:
    """Run the block with ``n`` PyTorch CPU threads, then restore the caller's setting.

    The lessons' tensors are tiny: on a busy 2-core machine one thread trains a
    small MLP several times faster than a pool whose threads wait on each other.
    ``n`` is checked here, when the context is made, not on entering it.
    """
    return _threads(check_int("n", n, min_value=1))


@contextmanager
def _threads(n: int) -> Iterator[None]:
    previous = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
