"""Benchmark the book: cold execution time per notebook, where it goes, and the weight of each page.

    python tools/bench.py                 # every notebook; needs a built site (`make book`) for page weights
    python tools/bench.py NOTEBOOK...     # only these notebooks, no page weights

Cold means what a fresh clone's build sees: each notebook runs in a fresh
kernel (imports included), in table-of-contents order, against an EMPTY
training cache (a new ``DLBOOK_CACHE_DIR``), so the first diffusion page trains
and the later ones load, as in a build. Each notebook's time is split by what
its cells do (a cell counts under the first of training, sampling, frame
rendering, imports that its code mentions; the rest is "other", and kernel
start-up is the time outside cells).

Budgets: a notebook's own ``metadata.dlbook.budget_s`` (default 30 s), the
whole book 300 s, a page 3 MB (its HTML, which embeds the widget frames, plus
the images it references; the site's shared JavaScript and CSS are counted
once, separately, since the browser caches them). Exits 1 when a budget is broken.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat

from nbtool import ROOT, book_notebooks, execute

SITE = ROOT / "_build" / "html"
NOTEBOOK_BUDGET_S = 30.0
BOOK_BUDGET_S = 300.0
PAGE_BUDGET_MB = 3.0
# What a cell spends its time on, by the first pattern its code matches.
KINDS = {
    "training": re.compile(r"\b(train_\w+|cached|fit)\(|\.train\("),
    "sampling": re.compile(r"\b(sample_\w+|ddim_invert)\("),
    "frames": re.compile(r"\b(static_slider|static_grid|static_animation|live_slider)\("),
    "imports": re.compile(r"^\s*(import|from)\s+\w", re.MULTILINE),
}
COLUMNS = ["kernel", *KINDS, "other"]
SLOWEST = 3  # cells listed per notebook


def cell_seconds(cell: nbformat.NotebookNode) -> float:
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    return (datetime.fromisoformat(end.rstrip("Z")) - datetime.fromisoformat(start.rstrip("Z"))).total_seconds()


def kind(source: str) -> str:
    return next((name for name, pattern in KINDS.items() if pattern.search(source)), "other")


def profile_notebook(path: Path) -> tuple[float, dict[str, float], list[str]]:
    """Cold wall time of ``path``, its split over COLUMNS, and its slowest cells."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    execute(nb, path)
    total = time.perf_counter() - start
    split = dict.fromkeys(COLUMNS, 0.0)
    cells = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            seconds, what = cell_seconds(cell), kind(cell.source)
            split[what] += seconds
            first = cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
            cells.append((seconds, f"cell {i:>3} {what:<9} {seconds:>5.1f}s  {first}"))
    split["kernel"] = max(total - sum(split.values()), 0.0)
    return total, split, [line for _, line in sorted(cells, reverse=True)[:SLOWEST]]


def page_weight(html: Path) -> int:
    """Bytes of the page plus the images it references from _images/."""
    text = html.read_text(encoding="utf-8")
    images = set(re.findall(r'src="([^"]*_images/[^"]+)"', text))
    return len(text.encode()) + sum((html.parent / src).resolve().stat().st_size for src in images)


def mb(n: float) -> str:
    return f"{n / 1e6:.2f} MB"


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory(prefix="dlbook-bench-cache-") as cache:
        os.environ["DLBOOK_CACHE_DIR"] = cache  # the kernels inherit it
        return bench([Path(p).resolve() for p in argv] or book_notebooks(), whole_book=not argv)


def bench(notebooks: list[Path], whole_book: bool) -> int:
    failures = []
    order = "table-of-contents order" if whole_book else "the order given"
    print(f"cold runs: fresh kernel per notebook, {order}, starting from an EMPTY training cache\n")
    print(f"{'notebook':<44} {'cold run':>9} {'budget':>7}  " + " ".join(f"{c:>8}" for c in COLUMNS))
    total, details = 0.0, []
    for path in notebooks:
        budget = nbformat.read(path, as_version=4).metadata.get("dlbook", {}).get("budget_s", NOTEBOOK_BUDGET_S)
        seconds, split, slowest = profile_notebook(path)
        total += seconds
        flag = "" if seconds <= budget else "  OVER"
        failures += [f"{path.name}: {seconds:.1f} s > {budget} s"] if flag else []
        parts = " ".join(f"{split[c]:>7.1f}s" for c in COLUMNS)
        print(f"{str(path.relative_to(ROOT)):<44} {seconds:>8.1f}s {budget:>6.0f}s  {parts}{flag}")
        details += [f"{path.relative_to(ROOT)}:", *(f"  {line}" for line in slowest)]
    print(f"{'total':<44} {total:>8.1f}s {BOOK_BUDGET_S:>6.0f}s")
    print(f"\nslowest cells (first match of {', '.join(KINDS)}):", *details, sep="\n")
    if total > BOOK_BUDGET_S:
        failures.append(f"book: {total:.1f} s > {BOOK_BUDGET_S} s")
    if not whole_book:
        return 1 if failures else 0

    if not (SITE / "intro.html").exists():
        print("\nno built site: run `make book` for page weights")
        return 1
    print(f"\n{'page':<44} {'weight':>9}")
    for html in sorted(SITE.rglob("*.html")):
        if {"_static", "_sources", "vendor"} & set(html.relative_to(SITE).parts):
            continue
        weight = page_weight(html)
        flag = "" if weight <= PAGE_BUDGET_MB * 1e6 else "  OVER"
        failures += [f"{html.name}: {mb(weight)} > {PAGE_BUDGET_MB} MB"] if flag else []
        print(f"{str(html.relative_to(SITE)):<44} {mb(weight):>9}{flag}")
    shared = sum(f.stat().st_size for d in ("_static", "vendor") for f in (SITE / d).rglob("*") if f.is_file())
    print(f"{'shared assets (_static, vendor; cached)':<44} {mb(shared):>9}")

    for failure in failures:
        print("over budget:", failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
