"""The book's plot style, and how a figure becomes a sharp PNG with alt text.

A figure is shown at ``SHOW_DPI`` CSS pixels per inch and rendered with
``DENSITY`` times as many pixels, so it stays crisp on high-density screens;
a palette PNG keeps that light. Its alt text is read off the figure itself
(titles, axis labels, legend entries), never made up: a figure that says
nothing gets no alt text, and the site's browser test fails on it.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from PIL import Image, PngImagePlugin

from dlbook.checks import check_bool, check_bytes, check_instance, check_int, check_positive, check_str

#: Colour-blind-safe palette (Okabe-Ito), used for every series in the book.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

#: CSS pixels per inch a figure is shown at, and the pixel density it is rendered with.
SHOW_DPI = 80
DENSITY = 2

BOOK_STYLE: dict[str, Any] = {
    "figure.figsize": (5.0, 3.2),
    "figure.dpi": SHOW_DPI,
    "savefig.dpi": SHOW_DPI * DENSITY,
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
    "legend.frameon": False,
    "figure.constrained_layout.use": True,
}


def subplots(
    nrows: int = 1, ncols: int = 1, *, width: float | None = None, height: float | None = None, **kwargs: Any
) -> tuple[Figure, Any]:
    """``plt.subplots`` with book-sized figures: ``width`` x ``height`` inches overall."""
    nrows, ncols = check_int("nrows", nrows, min_value=1), check_int("ncols", ncols, min_value=1)
    default_w, default_h = BOOK_STYLE["figure.figsize"]
    width = default_w * min(ncols, 2) ** 0.8 if width is None else check_positive("width", width)
    height = default_h * min(nrows, 2) ** 0.8 if height is None else check_positive("height", height)
    size = (width, height)
    return plt.subplots(nrows, ncols, figsize=size, **kwargs)


def figure_alt(fig: Figure) -> str:
    """What the figure says about itself: its title, then per panel the title, axes and legend."""
    check_instance("fig", fig, Figure)
    panels = []
    for ax in fig.axes:
        words = [ax.get_title()]
        x, y = ax.get_xlabel(), ax.get_ylabel()
        words.append(f"{y} against {x}" if x and y else x or y)
        legend = ax.get_legend()
        if legend is not None:
            words.append("legend: " + ", ".join(t.get_text() for t in legend.get_texts()))
        panels.append(", ".join(w for w in words if w))
    return "; ".join(p for p in [fig.get_suptitle(), *panels] if p)


def _check_png_args(fig: Any, alt: Any, close: Any, colors: Any) -> None:
    check_instance("fig", fig, Figure)
    check_str("alt", alt)
    check_bool("close", close)
    if check_int("colors", colors, min_value=2) > 256:
        raise ValueError(f"colors must be <= 256 (a PNG palette), got {colors}")


def figure_png(fig: Figure, *, alt: str = "", close: bool = True, colors: int = 256) -> bytes:
    """``fig`` as a palette PNG at ``DENSITY`` x its shown size (about 3x lighter than RGB).

    The PNG carries ``alt`` as its ``Description`` text, which the site turns
    into the ``<img>``'s alt text. ``close`` closes the figure afterwards.
    """
    _check_png_args(fig, alt, close, colors)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=SHOW_DPI * DENSITY)
    if close:
        plt.close(fig)
    image = Image.open(buffer).convert("RGB").quantize(colors=colors, dither=Image.Dither.NONE)
    info = PngImagePlugin.PngInfo()
    if alt:
        info.add_itxt("Description", alt)
    out = io.BytesIO()
    image.save(out, format="png", optimize=True, pnginfo=info)
    return out.getvalue()


def shown_width(png: bytes) -> int:
    """The CSS width, in pixels, a PNG from ``figure_png`` is shown at."""
    png = check_bytes("png", png)
    try:
        width = Image.open(io.BytesIO(png)).width
    except OSError as exc:
        raise ValueError("png must be the bytes of a PNG image (see figure_png)") from exc
    return width // DENSITY


def figure_html(fig: Figure, alt: str) -> str:
    """``fig`` as an ``<img>`` with ``alt`` text, embedded, shown at half its pixel width; closes it."""
    png = figure_png(fig, alt=alt)
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}" width="{shown_width(png)}" '
        'style="max-width: 100%; height: auto">'
    )


def _inline_png(fig: Figure) -> tuple[str, dict[str, int]]:
    """IPython's PNG for a figure in a notebook output: sharp, with alt text, shown at book size."""
    png = figure_png(fig, alt=figure_alt(fig), close=False)
    return base64.b64encode(png).decode("ascii"), {"width": shown_width(png)}


def use_book_style() -> None:
    """Apply the book's matplotlib style; in IPython, also show figures through ``figure_png``."""
    plt.rcParams.update(BOOK_STYLE)
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        # Loading the inline backend registers its own PNG formatter; ours must come after it.
        import matplotlib_inline.backend_inline  # noqa: F401

        shell.display_formatter.formatters["image/png"].for_type(Figure, _inline_png)


use_book_style()
