"""HTML and text views shared by the lessons (a token split, raw bytes).

Pure functions that return strings; a notebook shows them with
``IPython.display.HTML`` or as a widget frame.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from dlbook.checks import check_bytes, check_str

__all__ = ["show_bytes", "tokens_html", "TOKEN_COLORS"]

#: Pale backgrounds that cycle over consecutive tokens.
TOKEN_COLORS = ["#cfe3f2", "#fde6bf", "#c9eadf", "#f6d0bb", "#f0d5e6", "#d4ecfa", "#fbf3b9"]


def show_bytes(data: bytes) -> str:
    """A token's bytes for display: the text if it is valid UTF-8, else ``<e4 bd>``-style hex."""
    data = check_bytes("data", data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "<" + " ".join(f"{b:02x}" for b in data) + ">"


def tokens_html(pieces: Sequence[bytes], *, title: str | None = None) -> str:
    """Colored HTML of a token split: one shaded box per token, visible spaces and newlines.

    Spaces show as ``·`` and newlines as ``↵`` so that a word's leading space is
    visible; tokens that are not valid UTF-8 on their own show as hex bytes.
    """
    if isinstance(pieces, (str, bytes)) or not isinstance(pieces, Sequence):
        raise TypeError(f"pieces must be a sequence of bytes (one per token), got {type(pieces).__name__}")
    pieces = [check_bytes("pieces", piece) for piece in pieces]  # empty: a text with no tokens
    title = None if title is None else check_str("title", title)
    spans = []
    for k, piece in enumerate(pieces):
        try:
            label = piece.decode("utf-8").replace(" ", "·").replace("\n", "↵").replace("\t", "⇥")
        except UnicodeDecodeError:
            label = show_bytes(piece)
        color = TOKEN_COLORS[k % len(TOKEN_COLORS)]
        spans.append(
            f'<span style="background:{color};padding:1px 2px;margin:1px;border-radius:3px;'
            f'display:inline-block" title="{k}">{html.escape(label)}</span>'
        )
    head = f'<div style="font-weight:bold;margin-bottom:4px">{html.escape(title)}</div>' if title else ""
    return (
        f'<div style="font-family:monospace;font-size:13px;line-height:1.9;max-width:640px">'
        f"{head}{''.join(spans)}</div>"
    )
