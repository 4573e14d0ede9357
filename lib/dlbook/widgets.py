"""Widgets that work on the static website and, live, in Jupyter.

A *static* view computes every frame when the notebook executes and stacks them
in an ``ipywidgets.Stack``; a slider is ``jslink``-ed to the stack's
``selected_index``, so the browser switches frames with no kernel. The rendered
page embeds the widget state, so the same view works on the website and in
Jupyter. Use it for everything a reader should see move on the site.

A *live* view (``live_slider``) calls the plotting function in the kernel on
every change, with continuous controls. It needs a running kernel: use it as an
extra for readers who run the notebook, in a cell tagged ``remove-output``.

A frame is whatever a plotting function returns: a matplotlib ``Figure``
(rendered to a small palette PNG, then closed) or an HTML string.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as W
import matplotlib.pyplot as plt
from IPython.display import HTML, display
from matplotlib.figure import Figure
from PIL import Image

from dlbook.checks import check_callable, check_instance, check_int, check_str, check_values

Frame = Figure | str

#: CSS classes that mark the views (the browser test finds them by these).
STATIC_CLASS = "dlbook-static"
LIVE_CLASS = "dlbook-live"

FRAME_DPI = 72


def _check_png_args(fig: Any, dpi: Any, colors: Any) -> None:
    check_instance("fig", fig, Figure)
    check_int("dpi", dpi, min_value=1)
    if check_int("colors", colors, min_value=2) > 256:
        raise ValueError(f"colors must be <= 256 (a PNG palette), got {colors}")


def figure_png(fig: Figure, *, dpi: int = FRAME_DPI, colors: int = 256) -> bytes:
    """Render ``fig`` to a palette PNG (about 3x lighter than RGB) and close it."""
    _check_png_args(fig, dpi, colors)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    plt.close(fig)
    image = Image.open(buffer).convert("RGB").quantize(colors=colors, dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, format="png", optimize=True)
    return out.getvalue()


def frame_widget(frame: Frame) -> W.Widget:
    """One frame as a widget: a figure becomes an ``Image``, a string an ``HTML``."""
    if isinstance(frame, Figure):
        return W.Image(value=figure_png(frame), format="png", layout=W.Layout(max_width="100%"))
    if isinstance(frame, str):
        return W.HTML(value=frame)
    raise TypeError(f"frame (what plot_fn returns) must be a matplotlib Figure or an HTML string, "
                    f"got {type(frame).__name__}")


def render_frames(plot_fn: Callable[..., Frame], arguments: Sequence[tuple[Any, ...]]) -> list[W.Widget]:
    """Call ``plot_fn(*args)`` for each tuple of ``arguments`` and wrap each frame."""
    check_callable("plot_fn", plot_fn)
    arguments = check_values("arguments", arguments)
    if not all(isinstance(args, tuple) for args in arguments):
        raise TypeError("arguments must hold one tuple of positional arguments per frame")
    widgets = []
    for args in arguments:
        try:
            frame = plot_fn(*args)
        except Exception as exc:  # report which frame failed, keep the cause
            raise ValueError(f"plot_fn failed to render the frame for arguments {args!r}: {exc!r}") from exc
        widgets.append(frame_widget(frame))
    return widgets


def _labels(values: Sequence[Any], fmt: str | Callable[[Any], str] | None, name: str = "fmt") -> list[str]:
    if fmt is None:
        labels = [f"{v:.4g}" if isinstance(v, float) else str(v) for v in values]
    elif isinstance(fmt, str):
        try:
            labels = [format(v, fmt) for v in values]
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name} {fmt!r} cannot format the values: {exc}") from exc
    else:
        check_callable(name, fmt)
        labels = [check_str(f"{name}(value)", fmt(v)) for v in values]
    if len(set(labels)) != len(labels):
        raise ValueError(f"values must have distinct labels, got {labels}")
    return labels


def _selector(values: Sequence[Any], description: str, fmt: Any, names: tuple[str, str] = ("description", "fmt")
              ) -> W.SelectionSlider:
    description = check_str(names[0], description)
    labels = _labels(values, fmt, names[1])
    return W.SelectionSlider(options=[(label, i) for i, label in enumerate(labels)],
                             description=description, continuous_update=True,
                             style={"description_width": "initial"},
                             layout=W.Layout(width="min(100%, 420px)"))


def _static_box(children: list[W.Widget]) -> W.VBox:
    box = W.VBox(children)
    box.add_class(STATIC_CLASS)
    return box


def _check_frames(name: str, frames: Sequence[W.Widget], n: int, of: str) -> list[W.Widget]:
    frames = check_values(name, frames)
    if not all(isinstance(frame, W.Widget) for frame in frames):
        raise TypeError(f"{name} must hold ipywidgets widgets (see frame_widget)")
    if len(frames) != n:
        raise ValueError(f"{name} must hold one frame per {of} ({n}), got {len(frames)}")
    return frames


def slider_view(frames: Sequence[W.Widget], values: Sequence[Any], *, description: str = "value",
                fmt: str | Callable[[Any], str] | None = None) -> W.VBox:
    """A slider over ``values`` switching between precomputed frame widgets in the browser."""
    values = check_values("values", values)
    frames = _check_frames("frames", frames, len(values), "value")
    slider = _selector(values, description, fmt)
    stack = W.Stack(frames, selected_index=0)
    W.jslink((slider, "index"), (stack, "selected_index"))
    return _static_box([slider, stack])


def grid_view(frames: Sequence[Sequence[W.Widget]], xs: Sequence[Any], ys: Sequence[Any], *,
              x_description: str = "x", y_description: str = "y",
              x_fmt: Any = None, y_fmt: Any = None) -> W.VBox:
    """Two sliders over a grid of precomputed frames, ``frames[i][j]`` for ``(xs[i], ys[j])``.

    One stack per x holds the y frames; the x slider picks the stack and the y
    slider drives every inner stack, so both move in the browser.
    """
    xs, ys = check_values("xs", xs), check_values("ys", ys)
    rows = check_values("frames", frames)
    if len(rows) != len(xs):
        raise ValueError(f"frames must hold one row of frames per x value ({len(xs)}), got {len(rows)}")
    inner = [W.Stack(_check_frames(f"frames[{i}]", row, len(ys), "y value"), selected_index=0)
             for i, row in enumerate(rows)]
    x_slider = _selector(xs, x_description, x_fmt, ("x_description", "x_fmt"))
    y_slider = _selector(ys, y_description, y_fmt, ("y_description", "y_fmt"))
    outer = W.Stack(inner, selected_index=0)
    W.jslink((x_slider, "index"), (outer, "selected_index"))
    for stack in inner:
        W.jslink((y_slider, "index"), (stack, "selected_index"))
    return _static_box([x_slider, y_slider, outer])


def _check_plot_args(plot_fn: Any, name: str, values: Any) -> list[Any]:
    check_callable("plot_fn", plot_fn)
    return check_values(name, values)


def static_slider(plot_fn: Callable[[Any], Frame], values: Sequence[Any], *, description: str = "value",
                  fmt: str | Callable[[Any], str] | None = None) -> W.VBox:
    """Precompute ``plot_fn(v)`` for each of ``values``; a slider switches them with no kernel."""
    values = _check_plot_args(plot_fn, "values", values)
    return slider_view(render_frames(plot_fn, [(v,) for v in values]), values,
                       description=description, fmt=fmt)


def static_grid(plot_fn: Callable[[Any, Any], Frame], xs: Sequence[Any], ys: Sequence[Any], *,
                x_description: str = "x", y_description: str = "y",
                x_fmt: Any = None, y_fmt: Any = None) -> W.VBox:
    """Precompute ``plot_fn(x, y)`` on the grid ``xs`` x ``ys``; two sliders switch frames."""
    check_callable("plot_fn", plot_fn)
    xs, ys = check_values("xs", xs), check_values("ys", ys)
    frames = [render_frames(plot_fn, [(x, y) for y in ys]) for x in xs]
    return grid_view(frames, xs, ys, x_description=x_description, y_description=y_description,
                     x_fmt=x_fmt, y_fmt=y_fmt)


def static_animation(plot_fn: Callable[[Any], Frame], steps: Sequence[Any], *, description: str = "step",
                     interval_ms: int = 300, fmt: str | Callable[[Any], str] | None = None) -> W.VBox:
    """Precompute ``plot_fn(step)`` for each step; a Play button animates them in the browser."""
    check_callable("plot_fn", plot_fn)
    steps = check_values("steps", steps)
    interval_ms = check_int("interval_ms", interval_ms, min_value=1)
    view = static_slider(plot_fn, steps, description=description, fmt=fmt)
    slider = view.children[0]
    play = W.Play(min=0, max=len(steps) - 1, interval=interval_ms, description="play")
    W.jslink((play, "value"), (slider, "index"))
    view.children = (W.HBox([play, slider]), *view.children[1:])
    return view


def live_slider(plot_fn: Callable[..., Frame], **controls: Any) -> W.VBox:
    """A kernel-backed view: ``plot_fn(**values)`` reruns on every change of ``controls``.

    ``controls`` are what ``ipywidgets.interactive`` takes: ``(min, max, step)``
    tuples, lists of options, or widgets. Needs a kernel, so it is frozen on the
    static website; tag its cell ``remove-output``.
    """
    check_callable("plot_fn", plot_fn)
    if not controls:
        raise ValueError("controls must name at least one parameter of plot_fn, e.g. live_slider(f, b=(-2.0, 2.0))")

    def show(**values: Any) -> None:
        frame = plot_fn(**values)
        if isinstance(frame, Figure):
            display(frame)
            plt.close(frame)
        elif isinstance(frame, str):
            display(HTML(frame))
        else:
            raise TypeError(f"plot_fn must return a matplotlib Figure or an HTML string, got {type(frame).__name__}")

    for key, abbrev in controls.items():  # name the control that ipywidgets cannot turn into a widget
        if abbrev is None or (isinstance(abbrev, (tuple, list)) and not abbrev):
            raise ValueError(f"{key} must be a control: a (min, max, step) tuple, a list of options or a widget, "
                             f"got {abbrev!r}")
    view = W.interactive(show, **controls)
    view.add_class(LIVE_CLASS)
    return view
