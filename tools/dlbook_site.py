"""A small Sphinx extension for the book's website.

sphinx-thebe registers its inline configuration script once per reading pass,
so pages declared ``const THEBE_JS_URL`` twice and the browser raised a
SyntaxError on every page (the repeat has filename ``""`` instead of ``None``).
Dropping repeated script entries fixes it, whatever registered them.
"""

from __future__ import annotations

from typing import Any


def drop_repeated_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    seen: set[tuple] = set()
    unique = []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {})
        key = (getattr(script, "filename", None) or "", tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app: Any) -> dict:
    app.connect("html-page-context", drop_repeated_scripts, priority=1000)  # after every adder
    return {"parallel_read_safe": True, "parallel_write_safe": True}
