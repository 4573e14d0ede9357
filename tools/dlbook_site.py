"""A small Sphinx extension for the book's website and its build log.

sphinx-thebe registers its inline configuration script once per reading pass,
so pages declared ``const THEBE_JS_URL`` twice and the browser raised a
SyntaxError on every page (the repeat has filename ``""`` instead of ``None``).
Dropping repeated script entries fixes it, whatever registered them.

The build starts one kernel per notebook over localhost TCP, and ipykernel 7
warns "Kernel is running over TCP without encryption" each time unless the
manager provisions CurveZMQ keys. The kernelspec declares support
(``supported_encryption: curve``) but the manager's default policy is
"disabled", and myst-nb offers no way to pass a kernel-manager setting, so the
extension makes "auto" the default: the kernels are encrypted, the warning's
cause is gone, and every other warning still reaches the log.
"""

from __future__ import annotations

from typing import Any

from jupyter_client.manager import KernelManager


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
    KernelManager.transport_encryption.default_value = "auto"
    app.connect("html-page-context", drop_repeated_scripts, priority=1000)  # after every adder
    return {"parallel_read_safe": True, "parallel_write_safe": True}
