"""Shared helpers: validators, seeding and source display."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import dlbook
from dlbook.checks import (
    check_bool,
    check_callable,
    check_finite_array,
    check_int,
    check_positive,
    check_real,
    check_values,
)
from dlbook.seeding import seed_everything, torch_threads
from dlbook.source import show_source, source_markdown


def test_version_is_defined():
    assert isinstance(dlbook.__version__, str) and dlbook.__version__.count(".") == 2


def test_seed_everything_repeats_every_generator():
    def draw():
        seed_everything(123)
        return np.random.rand(), torch.rand(1).item(), __import__("random").random()

    assert draw() == draw()


def test_torch_threads_restores_the_setting():
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before


def test_source_markdown_is_the_real_source():
    text = source_markdown(check_int)
    assert text.startswith("```python\ndef check_int(") and text.endswith("```")
    assert show_source(check_int).data == text
    with pytest.raises(TypeError, match="obj must be"):
        source_markdown(42)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: check_int("n", 1.5), TypeError, "n must be an int"),
        (lambda: check_int("n", True), TypeError, "n must be an int"),
        (lambda: check_int("n", 0, min_value=1), ValueError, "n must be >= 1"),
        (lambda: check_positive("lr", 0), ValueError, "lr must be a finite number > 0"),
        (lambda: check_positive("lr", math.nan), ValueError, "lr must be a finite number"),
        (lambda: check_positive("lr", "1"), TypeError, "lr must be a real number"),
        (lambda: check_callable("f", 3), TypeError, "f must be callable"),
        (lambda: check_real("b", math.inf), ValueError, "b must be a finite number"),
        (lambda: check_real("b", None), TypeError, "b must be a real number"),
        (lambda: check_bool("bias", 1), TypeError, "bias must be a bool"),
        (lambda: check_values("xs", []), ValueError, "xs must not be empty"),
        (lambda: check_finite_array("X", [[1.0, np.nan]]), ValueError, "X must contain only finite"),
        (lambda: check_finite_array("X", [1.0], ndim=2), ValueError, "X must be 2-D"),
    ],
)
def test_validators_name_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_validators_pass_good_values_through():
    assert check_int("n", np.int64(3), min_value=1) == 3
    assert check_positive("x", 0, allow_zero=True) == 0.0
    assert check_values("v", range(3)) == [0, 1, 2]
    assert check_real("b", np.float32(-0.5)) == -0.5 and check_bool("bias", np.bool_(True)) is True
    assert check_finite_array("X", [[1, 2]], ndim=2).shape == (1, 2)
