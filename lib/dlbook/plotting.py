"""The book's plot style: one palette and figure size, applied on import."""

from __future__ import annotations

from typing import Any

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from dlbook.checks import check_int, check_positive

#: Colour-blind-safe palette (Okabe-Ito), used for every series in the book.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]

BOOK_STYLE: dict[str, Any] = {
    "figure.figsize": (5.0, 3.2),
    "figure.dpi": 80,
    "savefig.dpi": 80,
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


def use_book_style() -> None:
    """Apply the book's matplotlib style globally."""
    plt.rcParams.update(BOOK_STYLE)


def subplots(nrows: int = 1, ncols: int = 1, *, width: float | None = None,
             height: float | None = None, **kwargs: Any) -> tuple[Figure, Any]:
    """``plt.subplots`` with book-sized figures: ``width`` x ``height`` inches overall."""
    nrows, ncols = check_int("nrows", nrows, min_value=1), check_int("ncols", ncols, min_value=1)
    default_w, default_h = BOOK_STYLE["figure.figsize"]
    width = default_w * min(ncols, 2) ** 0.8 if width is None else check_positive("width", width)
    height = default_h * min(nrows, 2) ** 0.8 if height is None else check_positive("height", height)
    size = (width, height)
    return plt.subplots(nrows, ncols, figsize=size, **kwargs)


use_book_style()
