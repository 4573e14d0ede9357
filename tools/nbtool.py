"""Keep committed notebooks clean: only the text outputs of nbval-checked cells.

    python tools/nbtool.py refresh NOTEBOOK...   # execute, then strip
    python tools/nbtool.py strip NOTEBOOK...     # strip only
    python tools/nbtool.py check NOTEBOOK...     # list violations, exit 1 if any

A cell tagged ``nbval-check-output`` keeps its execution count and its text
outputs (streams and ``text/plain``), which ``pytest --nbval-lax`` compares on
every run. Everything else (images, widget state, HTML, untagged outputs) is
dropped: the website build re-executes every notebook anyway.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent

CHECK_TAG = "nbval-check-output"
TEXT_MIME = "text/plain"


def is_checked(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and CHECK_TAG in cell.get("metadata", {}).get("tags", [])


def text_outputs(outputs: list) -> list:
    """The outputs nbval should compare: streams and the text/plain of results."""
    kept = []
    for out in outputs:
        if out.output_type == "stream":
            kept.append(out)
        elif out.output_type in ("execute_result", "display_data") and TEXT_MIME in out.get("data", {}):
            out.data = {TEXT_MIME: out.data[TEXT_MIME]}
            out.metadata = {}
            kept.append(out)
    return kept


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if is_checked(cell):
            cell.outputs = text_outputs(cell.outputs)
        else:
            cell.outputs, cell.execution_count = [], None
    return nb


def violations(nb: nbformat.NotebookNode) -> list[str]:
    """Why a committed notebook is not clean (empty when it is)."""
    found = [] if "widgets" not in nb.metadata else ["notebook metadata holds widget state"]
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if not is_checked(cell):
            if cell.outputs or cell.execution_count is not None:
                found.append(f"cell {i}: untagged cell keeps outputs or an execution count")
            continue
        for out in cell.outputs:
            extra = set(out.get("data", {})) - {TEXT_MIME}
            if out.output_type not in ("stream", "execute_result", "display_data") or extra:
                found.append(f"cell {i}: tagged cell keeps non-text output {sorted(extra) or out.output_type}")
        if cell.outputs and cell.execution_count is None:
            found.append(f"cell {i}: tagged cell has outputs but no execution count (nbval would skip it)")
    return found


def toc_files(root: Path = ROOT) -> list[str]:
    """Every file the table of contents lists, root first, in reading order (no suffix)."""

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                yield node["file"]
            for key in ("parts", "chapters", "sections"):
                yield from walk(node.get(key, []))
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    return [toc["root"], *walk(toc)]


def book_notebooks(root: Path = ROOT) -> list[Path]:
    """The notebooks of the book, in reading order."""
    return [root / f"{f}.ipynb" for f in toc_files(root) if (root / f"{f}.ipynb").exists()]


def execute(nb: nbformat.NotebookNode, path: Path) -> None:
    """Run ``nb`` in a fresh kernel in its folder; each cell's metadata records its timing."""
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    # CurveZMQ keys for the local kernel (its kernelspec supports them): no plain-TCP warning per run
    client.execute(transport_encryption="auto")


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("refresh", "strip", "check"):
        print(__doc__)
        return 2
    command, paths = argv[0], [Path(p) for p in argv[1:]]
    status = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if command == "check":
            for problem in violations(nb):
                print(f"{path}: {problem}")
                status = 1
            continue
        if command == "refresh":
            execute(nb, path)
        nbformat.write(strip(nb), path)
        print(f"{command}ed {path}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
