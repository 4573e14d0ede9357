"""Shared test setup: tools/ scripts are importable, and hypothesis is deterministic."""

import sys
from pathlib import Path

from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

# Same examples on every run (no flaky tests), no per-example deadline (a busy
# 2-core CI machine is slow, not wrong), and no example database on disk.
settings.register_profile("book", derandomize=True, deadline=None, database=None)
settings.load_profile("book")
