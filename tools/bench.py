"""Benchmark the book: cold execution time per notebook and the weight of each page.

    python tools/bench.py            # needs a built site (`make book`) for page weights

Each notebook runs in a fresh kernel (imports included), as a reader's first
run would. Budgets: a notebook's own ``metadata.dlbook.budget_s`` (default 60 s),
the whole book 300 s, a page 3 MB (its HTML, which embeds the widget frames,
plus the images it references; the site's shared JavaScript and CSS are counted
once, separately, since the browser caches them). Exits 1 when a budget is broken.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import nbformat

from nbtool import ROOT, book_notebooks, execute

SITE = ROOT / "_build" / "html"
NOTEBOOK_BUDGET_S = 60.0
BOOK_BUDGET_S = 300.0
PAGE_BUDGET_MB = 3.0


def time_notebook(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    execute(nb, path)
    return time.perf_counter() - start


def page_weight(html: Path) -> int:
    """Bytes of the page plus the images it references from _images/."""
    text = html.read_text(encoding="utf-8")
    images = {m for m in re.findall(r'src="([^"]*_images/[^"]+)"', text)}
    return len(text.encode()) + sum((html.parent / src).resolve().stat().st_size for src in images)


def mb(n: float) -> str:
    return f"{n / 1e6:.2f} MB"


def main() -> int:
    failures = []
    print(f"{'notebook':<48} {'cold run':>9} {'budget':>7}")
    total = 0.0
    for path in book_notebooks():
        budget = nbformat.read(path, as_version=4).metadata.get("dlbook", {}).get("budget_s", NOTEBOOK_BUDGET_S)
        seconds = time_notebook(path)
        total += seconds
        flag = "" if seconds <= budget else "  OVER"
        failures += [f"{path.name}: {seconds:.1f} s > {budget} s"] if flag else []
        print(f"{str(path.relative_to(ROOT)):<48} {seconds:>8.1f}s {budget:>6.0f}s{flag}")
    print(f"{'total':<48} {total:>8.1f}s {BOOK_BUDGET_S:>6.0f}s")
    if total > BOOK_BUDGET_S:
        failures.append(f"book: {total:.1f} s > {BOOK_BUDGET_S} s")

    if not (SITE / "intro.html").exists():
        print("\nno built site: run `make book` for page weights")
        return 1
    print(f"\n{'page':<48} {'weight':>9}")
    for html in sorted(SITE.rglob("*.html")):
        if {"_static", "_sources", "vendor"} & set(html.relative_to(SITE).parts):
            continue
        weight = page_weight(html)
        flag = "" if weight <= PAGE_BUDGET_MB * 1e6 else "  OVER"
        failures += [f"{html.name}: {mb(weight)} > {PAGE_BUDGET_MB} MB"] if flag else []
        print(f"{str(html.relative_to(SITE)):<48} {mb(weight):>9}{flag}")
    shared = sum(f.stat().st_size for d in ("_static", "vendor") for f in (SITE / d).rglob("*") if f.is_file())
    print(f"{'shared assets (_static, vendor; cached)':<48} {mb(shared):>9}")

    for failure in failures:
        print("over budget:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
