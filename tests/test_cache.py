"""dlbook.cache: one computation per configuration, never trusted across a change."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from conftest import ROOT
from dlbook import cache
from dlbook.cache import cached, compute_seconds

CALLS: list[tuple] = []


def fit(data: torch.Tensor, *, steps: int = 3, seed: int = 0) -> torch.nn.Linear:
    """A stand-in for training: records each real call, returns a seeded model."""
    CALLS.append((steps, seed))
    torch.manual_seed(seed + steps)
    model = torch.nn.Linear(data.shape[1], 1)
    model.weight.data += data.mean()
    return model


@pytest.fixture(autouse=True)
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DLBOOK_CACHE_DIR", str(tmp_path / "cache"))
    CALLS.clear()
    return tmp_path / "cache"


def same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    return all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())


def test_same_configuration_computes_once_and_loads_the_same_result():
    data = torch.arange(6.0).reshape(3, 2)
    first = cached(fit, data, steps=5)
    again = cached(fit, data.clone(), steps=5)  # another tensor with the same content
    assert CALLS == [(5, 0)]
    assert same(first, again) and again is not first


def test_compute_seconds_is_the_time_of_the_real_computation():
    data = torch.ones(4, 2)
    cached(sleepy, data, 0.3)
    assert compute_seconds(sleepy, data, 0.3) >= 0.3  # loaded, not re-timed
    assert len(CALLS) == 1


def sleepy(data: torch.Tensor, seconds: float) -> float:
    CALLS.append(seconds)
    time.sleep(seconds)
    return seconds


def test_defaults_filled_in_are_the_same_configuration():
    data = torch.ones(4, 2)
    cached(fit, data)
    cached(fit, data, steps=3, seed=0)
    assert len(CALLS) == 1


@pytest.mark.parametrize("change", ["steps", "seed", "data", "dtype", "threads"])
def test_any_changed_argument_data_or_setting_computes_afresh(change, monkeypatch):
    data = torch.ones(4, 2)
    cached(fit, data, steps=5)
    if change == "steps":
        cached(fit, data, steps=6)
    elif change == "seed":
        cached(fit, data, steps=5, seed=1)
    elif change == "data":
        changed = data.clone()
        changed[3, 1] = 1.0 + 2**-20  # one element, one low bit
        cached(fit, changed, steps=5)
    elif change == "dtype":
        cached(fit, data.double(), steps=5)
    else:
        monkeypatch.setattr(torch, "get_num_threads", lambda: 97)
        cached(fit, data, steps=5)
    assert len(CALLS) == 2


def test_a_library_edit_computes_afresh(monkeypatch):
    data = torch.ones(4, 2)
    cached(fit, data)
    monkeypatch.setattr(cache, "source_digest", lambda: "an edited library")
    cached(fit, data)
    assert len(CALLS) == 2


def test_source_digest_covers_every_library_file(tmp_path, monkeypatch):
    package = tmp_path / "dlbook"
    shutil.copytree(ROOT / "lib" / "dlbook", package, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache, "_PACKAGE", package)
    before = cache.source_digest()
    for path in sorted(package.glob("*.py")):
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        assert cache.source_digest() != before, path.name
        path.write_bytes(original)
    assert cache.source_digest() == before


def test_a_corrupt_entry_is_recomputed(empty_cache, caplog):
    data = torch.ones(4, 2)
    first = cached(fit, data)
    (entry,) = empty_cache.rglob("output.pkl")
    entry.write_bytes(b"not a pickle")
    again = cached(fit, data)
    assert "Exception while loading results" in caplog.text  # joblib logs it as a warning
    assert len(CALLS) == 2 and same(first, again)
    assert same(cached(fit, data), first) and len(CALLS) == 2  # the rewritten entry loads


WORKER = """
import sys, time
from pathlib import Path
from dlbook.cache import cached, compute_seconds

def slow_fit(n: int, log: str) -> int:
    with open(log, "a") as f:
        f.write("trained\\n")
    time.sleep(2)
    return n * n

print(cached(slow_fit, 7, sys.argv[1]))
"""


def test_two_processes_asking_at_once_compute_once(tmp_path):
    script, log = tmp_path / "worker.py", tmp_path / "calls.log"
    script.write_text(textwrap.dedent(WORKER))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "lib"), os.environ.get("PYTHONPATH", "")])}
    workers = [
        subprocess.Popen([sys.executable, str(script), str(log)], env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=120)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0]
    assert outputs == ["49\n", "49\n"]
    assert log.read_text() == "trained\n"


def test_cache_dir_defaults_to_the_checkout(monkeypatch):
    monkeypatch.delenv("DLBOOK_CACHE_DIR")
    assert cache.cache_dir() == ROOT / ".cache" / "dlbook"


def test_bad_input_names_the_argument():
    with pytest.raises(TypeError, match="fn must be callable"):
        cached(3, torch.ones(2, 2))
    with pytest.raises(TypeError, match="fn must be callable"):
        compute_seconds("train", torch.ones(2, 2))
    with pytest.raises(TypeError, match="fn must be a function whose source"):
        cached(len, [1, 2])
    with pytest.raises(TypeError, match="stepz"):
        cached(fit, torch.ones(2, 2), stepz=3)
    assert not CALLS
