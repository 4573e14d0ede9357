"""The bilingual glossary and each page's key-terms table agree with each other."""

from __future__ import annotations

import re

import nbformat
import pytest

from conftest import ROOT

NOTEBOOKS = sorted((ROOT / "chapters").rglob("*.ipynb"))
BLOCK = re.compile(r"^```\{glossary\}\n(.*?)^```", re.M | re.S)
ENTRY = re.compile(r"^(\S[^\n]*)\n  \*\*([^*]+)\*\*\. (\S[^\n]*)$", re.M)
ROW = re.compile(r"^\| \{term\}`([^`]+)` \| ([^|]+?) \|$", re.M)
CJK = re.compile(r"[\u4e00-\u9fff]")


def glossary() -> dict[str, tuple[str, str]]:
    """English term -> (Chinese name, definition), from glossary.md."""
    text = (ROOT / "glossary.md").read_text(encoding="utf-8")
    entries = {}
    for block in BLOCK.findall(text):
        for term, chinese, definition in ENTRY.findall(block):
            assert term not in entries, f"{term!r} is defined twice"
            entries[term] = (chinese, definition)
    return entries


def key_terms(path) -> dict[str, str]:
    """English term -> Chinese name, from the page's "Key terms" table."""
    cells = [
        c.source
        for c in nbformat.read(path, as_version=4).cells
        if c.cell_type == "markdown" and c.source.startswith("## Key terms")
    ]
    assert len(cells) == 1, f"{path.name} needs one 'Key terms' cell, has {len(cells)}"
    return dict(ROW.findall(cells[0]))


def test_every_entry_has_a_chinese_name_and_a_one_line_definition():
    entries = glossary()
    assert len(entries) >= 30
    for term, (chinese, definition) in entries.items():
        assert CJK.search(chinese), f"{term!r} has no Chinese name"
        assert definition.endswith("."), f"the definition of {term!r} is not one sentence line"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_page_ends_with_key_terms_that_are_in_the_glossary(path):
    entries, table = glossary(), key_terms(path)
    assert table, f"{path.name} has an empty key-terms table"
    for term, chinese in table.items():
        assert term in entries, f"{term!r} of {path.name} is not in glossary.md"
        glossary_name = entries[term][0]
        assert chinese == glossary_name, f"{term!r}: {chinese!r} in {path.name}, {glossary_name!r} in the glossary"


def test_every_glossary_term_belongs_to_a_page():
    listed = {term for path in NOTEBOOKS for term in key_terms(path)}
    assert set(glossary()) == listed
