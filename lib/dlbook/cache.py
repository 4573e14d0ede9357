r"""Train once per build: a disk cache for trained models and other expensive results.

``cached(train_eps_model, data, steps=6000, seed=0)`` returns what
``train_eps_model(data, steps=6000, seed=0)`` returns. The first call computes
and stores it; every later call with the same configuration, in any process,
loads it. The key holds everything the result depends on:

* the function's qualified name and source code,
* every argument, defaults filled in, with tensors and models keyed by their
  content (dtype, shape, bytes) rather than by identity,
* a hash of every ``dlbook`` source file, so any library edit invalidates,
* the torch and NumPy versions and torch's thread count (results are
  bit-identical only for the same ones).

Entries live in ``$DLBOOK_CACHE_DIR``, by default ``.cache/dlbook/`` in the
book's checkout (git-ignored; ``~/.cache/dlbook`` for an installed package).
Storage is ``joblib.Memory`` (atomic writes; a corrupt entry is recomputed);
a ``filelock`` per key makes a second process wait for the first one's result
instead of computing it again.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import joblib
import numpy as np
import torch
from filelock import FileLock

from dlbook.checks import check_callable

__all__ = ["cache_dir", "cached", "compute_seconds", "source_digest"]

R = TypeVar("R")
_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent.parent  # the book's root when dlbook runs from lib/ in a checkout


def cache_dir() -> Path:
    """Where entries are stored: ``$DLBOOK_CACHE_DIR``, else ``.cache/dlbook`` in the checkout."""
    if os.environ.get("DLBOOK_CACHE_DIR"):
        return Path(os.environ["DLBOOK_CACHE_DIR"])
    if (_CHECKOUT / "_toc.yml").exists():
        return _CHECKOUT / ".cache" / "dlbook"
    return Path.home() / ".cache" / "dlbook"


def source_digest() -> str:
    """SHA-256 over every ``dlbook/*.py`` file (names and bytes): changes with any library edit.

    Recomputed on every call (well under a millisecond), so an edited library
    is seen even by a kernel that imported the old one.
    """
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _content(value: Any) -> Any:
    """``value`` with tensors and modules replaced by what they hold, for hashing."""
    if isinstance(value, torch.Tensor):
        raw = value.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy()
        return ("tensor", str(value.dtype), tuple(value.shape), str(value.device), raw)
    if isinstance(value, torch.nn.Module):
        state = {k: _content(v) for k, v in value.state_dict().items()}
        return ("module", type(value).__qualname__, value.training, state)
    if isinstance(value, (list, tuple)):
        return type(value).__name__, [_content(v) for v in value]
    if isinstance(value, dict):
        return {k: _content(v) for k, v in value.items()}
    if isinstance(value, torch.device):
        return str(value)
    return value


def _key(fn: Callable[..., Any], args: tuple, kwargs: dict) -> dict:
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError) as err:
        raise TypeError(f"fn must be a function whose source Python can read, got {fn!r}") from err
    call = inspect.signature(fn).bind(*args, **kwargs)  # a wrong argument fails here, by name
    call.apply_defaults()
    return {
        "function": f"{fn.__module__}.{fn.__qualname__}",
        "source": source,
        "library": source_digest(),
        "versions": (torch.__version__, np.__version__),
        "threads": torch.get_num_threads(),
        "arguments": _content(dict(call.arguments)),
    }


class _Entry(NamedTuple):
    value: Any
    seconds: float  # how long the computation took, when it ran


def _call(key: dict, fn: Callable[..., Any], args: tuple, kwargs: dict) -> _Entry:
    """The stored function: joblib hashes ``key`` only, then runs ``fn`` on a miss."""
    start = time.perf_counter()
    value = fn(*args, **kwargs)
    return _Entry(value, time.perf_counter() - start)


def _entry(fn: Callable[..., Any], args: tuple, kwargs: dict) -> _Entry:
    check_callable("fn", fn)
    key = _key(fn, args, kwargs)
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    stored = joblib.Memory(root, verbose=0).cache(_call, ignore=["fn", "args", "kwargs"])
    with FileLock(root / f"{joblib.hash(key)}.lock"):
        return stored(key, fn, args, kwargs)


def cached(fn: Callable[..., R], /, *args: Any, **kwargs: Any) -> R:
    r"""Return ``fn(*args, **kwargs)``, computed once per configuration and then loaded from disk.

    The key is the function (name and source), every argument by content, the
    ``dlbook`` source code and the torch/NumPy versions and thread count (see the
    module docstring); any change to them computes afresh. Concurrent calls with
    the same key compute once: the others wait, then load.
    """
    return _entry(fn, args, kwargs).value


def compute_seconds(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> float:
    r"""Seconds that ``fn(*args, **kwargs)`` took when it was computed for :func:`cached`.

    A page that loads a stored model can still state how long training took.
    Computes (and stores) the entry if it is missing, exactly as ``cached`` would.
    """
    return _entry(fn, args, kwargs).seconds
