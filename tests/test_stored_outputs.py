"""The book build's execution reproduces every stored output, as ``pytest --nbval-lax`` would check.

The build (``jupyter-book build``, ``execute_notebooks: force``, failing on any
error) already runs every notebook and keeps the executed copy under
``_build/jupyter_execute/``. Executing each notebook a second time under nbval
only to compare the outputs of cells tagged ``nbval-check-output`` doubled
``make test``; this test compares the committed notebook against that copy
instead, with nbval's own rules (imported from ``nbval.plugin``):

* the cells compared: nbval's tags and comment markers, in lax mode (only
  cells marked ``nbval-check-output``); a reference cell never run is skipped,
  one never run but holding outputs fails;
* streams of the same name coalesced (``\\r`` and ``\\b`` applied), then every
  output key and MIME type compared except nbval's skip list (metadata,
  execution counts, PNG/JPEG images, widget views), values passed through
  ``tests/nbval-sanitize.cfg``: the same key set, the same number of values
  per key, equal values.

It fails when the build's copy is missing or older than the committed
notebook or any library file, or runs different code. Authors checking one
notebook without a build can still run nbval itself (see CONTRIBUTING.md).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import coalesce_streams, find_comment_markers, find_metadata_tags, get_sanitize_patterns

from conftest import ROOT
from nbtool import book_notebooks

EXECUTED = ROOT / "_build" / "jupyter_execute"
LIBRARY = sorted((ROOT / "lib" / "dlbook").glob("*.py"))
SANITIZE = get_sanitize_patterns((ROOT / "tests" / "nbval-sanitize.cfg").read_text())
# nbval's IPyNbFile.skip_compare without --nbdime
SKIP = {
    "metadata",
    "traceback",
    "prompt_number",
    "output_type",
    "name",
    "execution_count",
    "application/vnd.jupyter.widget-view+json",
    "image/png",
    "image/jpeg",
}
NOTEBOOKS = [p for p in book_notebooks() if p.is_relative_to(ROOT / "chapters")]


def sanitize(value):
    if not isinstance(value, str):
        return value
    for regex, replace in SANITIZE:
        value = re.sub(regex, replace, value)
    return value


def checked(cell: nbformat.NotebookNode) -> bool:
    """Whether ``pytest --nbval-lax`` compares this cell's outputs."""
    options = dict(find_metadata_tags(cell.metadata))
    options.update(find_comment_markers(cell.source))
    return bool(options.get("check", False)) and not options.get("skip", False)


def comparable(outputs: list) -> dict[str, list]:
    """nbval's view of a cell's outputs: each key or MIME type -> its sanitized values, in order."""
    flat = defaultdict(list)
    for out in coalesce_streams([nbformat.from_dict(o) for o in outputs]):
        out = {"output_type": "stream", out.name: out.text} if out.output_type == "stream" else out
        for key, value in out.items():
            if key == "data":
                for mime, text in value.items():
                    if mime not in SKIP:
                        flat[mime].append(sanitize(text))
            elif key not in SKIP:
                flat[key].append(sanitize(value))
    return dict(flat)


def mismatches(committed: nbformat.NotebookNode, executed: nbformat.NotebookNode) -> list[str]:
    """Why the executed copy does not reproduce the committed notebook's checked outputs."""
    code = [c for c in committed.cells if c.cell_type == "code"]
    ran = [c for c in executed.cells if c.cell_type == "code"]
    if [c.source for c in code] != [c.source for c in ran]:
        return ["the build executed different code: rebuild the book"]
    found = []
    for i, (ref, new) in enumerate(zip(code, ran, strict=True)):
        if not checked(ref):
            continue
        if ref.execution_count is None:
            if ref.outputs:
                found.append(f"code cell {i}: unrun reference cell has outputs")
            continue
        want, got = comparable(ref.outputs), comparable(new.outputs)
        if want != got:
            found.append(f"code cell {i}: stored outputs\n{want}\ndiffer from the build's\n{got}")
    return found


def test_the_book_has_chapter_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_build_reproduces_the_stored_outputs(path: Path):
    copy = EXECUTED / path.relative_to(ROOT)
    assert copy.exists(), f"no executed copy {copy.relative_to(ROOT)}: build the book first (`make book`)"
    newer = [p for p in (path, *LIBRARY) if p.stat().st_mtime > copy.stat().st_mtime]
    assert not newer, f"{[str(p.relative_to(ROOT)) for p in newer]} changed after the build: rebuild the book"
    problems = mismatches(nbformat.read(path, as_version=4), nbformat.read(copy, as_version=4))
    assert not problems, "\n".join(problems)


def test_comparison_is_as_strict_as_nbval():
    """One changed digit, a missing or extra output, a changed stream name fail; sanitized parts pass."""

    def cell(*outputs):
        return nbformat.v4.new_code_cell(
            "x", execution_count=1, metadata={"tags": ["nbval-check-output"]}, outputs=list(outputs)
        )

    def nb(*cells):
        return nbformat.v4.new_notebook(cells=list(cells))

    out = nbformat.v4.new_output
    stdout = out("stream", name="stdout", text="loss 0.123 at 0x7f00aa11bb22 in 1.5 s\n")
    result = out("execute_result", data={"text/plain": "42", "image/png": "AAA"}, execution_count=1)
    ref = nb(cell(stdout, result))
    split = [
        out("stream", name="stdout", text="loss 0.123 at 0x7f00cc33dd44 "),
        out("stream", name="stdout", text="in 2.0 s\n"),
    ]
    assert not mismatches(ref, nb(cell(*split, out("execute_result", data={"text/plain": "42", "image/png": "BBB"}))))
    for bad in (
        [out("stream", name="stdout", text="loss 0.124 at 0x7f00aa11bb22 in 1.5 s\n"), result],
        [stdout],
        [stdout, result, result],
        [out("stream", name="stderr", text=stdout.text), result],
        [stdout, out("execute_result", data={"text/plain": "42", "text/html": "<b>42</b>"})],
    ):
        assert mismatches(ref, nb(cell(*bad)))
    untagged = nbformat.v4.new_code_cell("x", execution_count=1, outputs=[stdout])
    assert not mismatches(nb(untagged), nb(nbformat.v4.new_code_cell("x", outputs=[])))
    assert mismatches(nb(cell(stdout)), nb(nbformat.v4.new_code_cell("y", outputs=[stdout])))
