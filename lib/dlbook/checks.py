"""Shared input validators: each raises an error that names the argument.

Public functions across ``dlbook`` call these so that bad input fails early
with one consistent message shape: ``<name> must be <expectation>, got <value>``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch


def _got(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_int(name: str, value: Any, *, min_value: int | None = None) -> int:
    """Return ``value`` if it is an int (not a bool) and at least ``min_value``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {_got(value)}")
    if min_value is not None and value < min_value:
        raise ValueError(f"{name} must be >= {min_value}, got {value}")
    return int(value)


def check_bool(name: str, value: Any) -> bool:
    """Return ``value`` if it is a bool (Python's or NumPy's); 0 and 1 are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__} {_got(value)}")
    return bool(value)


def check_real(name: str, value: Any) -> float:
    """Return ``value`` as a float if it is a finite real number (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {_got(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return value


def check_positive(name: str, value: Any, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float if it is a finite real number > 0 (or >= 0)."""
    value = check_real(name, value)
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}, got {value}")
    return value


def check_callable(name: str, value: Any) -> None:
    """Raise ``TypeError`` unless ``value`` can be called."""
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {type(value).__name__} {_got(value)}")


def check_values(name: str, values: Any) -> list[Any]:
    """Return ``values`` as a non-empty list (any finite sequence; not a string)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray, range)):
        raise TypeError(f"{name} must be a sequence of values, got {type(values).__name__}")
    values = list(values)
    if not values:
        raise ValueError(f"{name} must not be empty")
    return values


def check_finite_array(name: str, value: Any, *, ndim: int | None = None) -> np.ndarray:
    """Return ``value`` as a float array, rejecting NaN/inf and a wrong ``ndim``."""
    try:
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":  # strings and objects would be parsed or turned into NaN
            raise TypeError(f"dtype {array.dtype}")
        array = array.astype(float)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be array-like of numbers, got {type(value).__name__}") from exc
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite numbers (no NaN or inf)")
    return array


#: Seeds must fit every generator a lesson seeds: NumPy's legacy ``np.random.seed`` takes
#: at most 32 bits, so the same bound holds for torch and ``default_rng`` seeds too.
MAX_SEED = 2**32 - 1


def check_seed(name: str, value: Any) -> int:
    """Return ``value`` if it is an int in ``[0, 2**32 - 1]``, a seed every generator accepts."""
    value = check_int(name, value, min_value=0)
    if value > MAX_SEED:
        raise ValueError(f"{name} must be <= 2**32 - 1 (a 32-bit seed), got {value}")
    return value


def check_str(name: str, value: Any, *, allow_empty: bool = True) -> str:
    """Return ``value`` if it is a ``str`` (non-empty unless ``allow_empty``)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__} {_got(value)}")
    if not value and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    return value


def check_bytes(name: str, value: Any) -> bytes:
    """Return ``value`` if it is ``bytes`` (a ``str`` is refused: encode it first)."""
    if not isinstance(value, (bytes, bytearray)):
        raise TypeError(f"{name} must be bytes, got {type(value).__name__} {_got(value)}")
    return bytes(value)


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """Return ``value`` if it is one of ``choices``."""
    if isinstance(value, (list, dict, set)) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {_got(value)}")
    return value


def check_instance(name: str, value: Any, cls: type | tuple[type, ...]) -> Any:
    """Return ``value`` if it is an instance of ``cls`` (falsy instances included)."""
    if not isinstance(value, cls):
        expected = " or ".join(c.__name__ for c in (cls if isinstance(cls, tuple) else (cls,)))
        raise TypeError(f"{name} must be a {expected}, got {type(value).__name__} {_got(value)}")
    return value


def check_tensor(
    name: str, value: Any, *, ndim: int | None = None, like: Any = None, like_name: str = "", min_rows: int = 1
) -> torch.Tensor:
    """Return ``value`` if it is a finite floating-point tensor.

    ``ndim`` fixes the number of dimensions; ``like`` (a tensor named ``like_name``)
    fixes the whole shape; otherwise the first dimension must hold ``min_rows`` or more.
    """
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
    if not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {value.dtype}")
    if like is not None and value.shape != like.shape:
        raise ValueError(f"{name} must have the shape of {like_name} {tuple(like.shape)}, got {tuple(value.shape)}")
    if ndim is not None and value.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D tensor, got shape {tuple(value.shape)}")
    if like is None and (value.ndim == 0 or value.shape[0] < min_rows):
        raise ValueError(f"{name} must hold at least {min_rows} row(s), got shape {tuple(value.shape)}")
    if not bool(torch.isfinite(value).all()):
        raise ValueError(f"{name} must contain only finite numbers (no NaN or inf)")
    return value


def check_returned(name: str, value: Any, like: torch.Tensor, what: str = "x") -> torch.Tensor:
    """Check what a user's callable ``name`` returned: a finite tensor of the shape of ``what``."""
    if not isinstance(value, torch.Tensor) or not value.is_floating_point():
        raise TypeError(f"{name} must return a floating-point torch.Tensor, got {type(value).__name__}")
    if value.shape != like.shape:
        raise ValueError(f"{name} must return the shape of {what} {tuple(like.shape)}, got {tuple(value.shape)}")
    if not bool(torch.isfinite(value).all()):
        raise ValueError(f"{name} returned NaN or inf")
    return value


def check_device(name: str, value: Any) -> torch.device:
    """Return ``value`` as a ``torch.device`` if it names one that exists on this machine."""
    if not isinstance(value, (str, torch.device)):
        raise TypeError(f"{name} must be a str or torch.device, got {type(value).__name__} {_got(value)}")
    try:
        device = torch.device(value)
    except RuntimeError as exc:
        raise ValueError(f"{name} must name a torch device such as 'cpu' or 'cuda', got {value!r}") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{name} is {value!r} but CUDA is not available here; use 'cpu'")
    if device.type not in ("cpu", "cuda"):
        raise ValueError(f"{name} must be 'cpu' or 'cuda', got {value!r}")
    return device


def check_schedule(name: str, value: Any) -> torch.Tensor:
    """Return ``value`` if it is a non-empty 1-D float tensor with every entry in (0, 1)."""
    value = check_tensor(name, value, ndim=1)
    if not bool(((value > 0) & (value < 1)).all()):
        raise ValueError(f"{name} must lie in (0, 1), got min {value.min().item():.3g} max {value.max().item():.3g}")
    return value


def check_fraction(name: str, value: Any, *, allow_one: bool = True) -> float:
    """Return ``value`` (a number or a one-element tensor) as a float in (0, 1] (or (0, 1))."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"{name} must be a scalar, got shape {tuple(value.shape)}")
        value = value.item()
    value = check_positive(name, value)
    if value > 1 or (value == 1 and not allow_one):
        raise ValueError(f"{name} must lie in (0, {'1]' if allow_one else '1)'}, got {value}")
    return value


def check_probabilities(name: str, value: Any, *, ndim: int, rows_sum_to_one: bool = False) -> torch.Tensor:
    """Return ``value`` if it is a finite float tensor of ``ndim`` dims with every entry in [0, 1].

    ``rows_sum_to_one``: each row (last dimension) must also sum to 1, within float rounding.
    """
    value = check_tensor(name, value, ndim=ndim)
    if value.shape[-1] == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(value.shape)}")
    if not bool(((value >= 0) & (value <= 1)).all()):
        raise ValueError(f"{name} must lie in [0, 1], got min {value.min().item():.3g} max {value.max().item():.3g}")
    if rows_sum_to_one:
        sums = value.sum(dim=-1)
        tol = 1e-5 if value.dtype in (torch.float32, torch.float16, torch.bfloat16) else 1e-9
        if not bool(((sums - 1).abs() <= tol * value.shape[-1]).all()):
            worst = (sums - 1).abs().max().item()
            raise ValueError(f"{name} must have rows that sum to 1, got a row off by {worst:.3g}")
    return value
