"""Committed notebooks hold only the text outputs of nbval-checked cells, and all are in the book."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from conftest import ROOT
from nbtool import strip, toc_files, violations

NOTEBOOKS = sorted((ROOT / "chapters").rglob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_notebook_is_clean(path: Path):
    problems = violations(nbformat.read(path, as_version=4))
    name = path.relative_to(ROOT)
    assert not problems, (
        f"run `python tools/nbtool.py refresh {name}` (or `strip {name}` if its checked outputs are current):\n"
        + "\n".join(problems)
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_has_a_title_and_asserts_claims(path: Path):
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert any(c.cell_type == "code" and "assert " in c.source for c in nb.cells), "a lesson asserts its claims"


def test_every_notebook_is_in_the_table_of_contents_and_back():
    listed = set(toc_files())
    on_disk = {str(p.relative_to(ROOT).with_suffix("")) for p in NOTEBOOKS}
    assert on_disk <= listed, f"not in _toc.yml: {sorted(on_disk - listed)}"
    missing = [f for f in listed if not any((ROOT / f).with_suffix(s).exists() for s in (".ipynb", ".md"))]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


def test_strip_removes_images_widget_state_and_untagged_outputs():
    nb = nbformat.v4.new_notebook(metadata={"widgets": {"state": {}}})
    kept = nbformat.v4.new_code_cell(
        "print(1)",
        execution_count=1,
        metadata={"tags": ["nbval-check-output"]},
        outputs=[
            nbformat.v4.new_output("stream", name="stdout", text="1\n"),
            nbformat.v4.new_output("display_data", data={"image/png": "iVBOR", "text/plain": "<Figure>"}),
        ],
    )
    dropped = nbformat.v4.new_code_cell(
        "x", execution_count=2, outputs=[nbformat.v4.new_output("execute_result", data={"text/plain": "1"})]
    )
    nb.cells = [kept, dropped]
    assert len(violations(nb)) == 3
    strip(nb)
    assert not violations(nb)
    assert kept.execution_count == 1 and kept.outputs[1].data == {"text/plain": "<Figure>"}
    assert dropped.outputs == [] and dropped.execution_count is None
