"""Show a ``dlbook`` function's own source inside a lesson (no pasted copies)."""

from __future__ import annotations

import inspect
from typing import Any

from IPython.display import Markdown


def source_markdown(obj: Any) -> str:
    """The source of a function, class or module as a fenced Python block."""
    try:
        code = inspect.getsource(obj)
    except (TypeError, OSError) as exc:
        raise TypeError(f"obj must be a function, class or module defined in Python source, got {obj!r}") from exc
    return f"```python\n{code.rstrip()}\n```"


def show_source(obj: Any) -> Markdown:
    """Display ``obj``'s source, highlighted, as the page renders Markdown code."""
    return Markdown(source_markdown(obj))
