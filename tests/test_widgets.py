"""dlbook.widgets: static views switch precomputed frames via client-side links."""

from __future__ import annotations

import io

import ipywidgets as W
import matplotlib.pyplot as plt
import pytest
from ipywidgets.widgets.widget import _instances
from ipywidgets.widgets.widget_link import Link
from PIL import Image

from dlbook.plotting import subplots
from dlbook.widgets import (STATIC_CLASS, LIVE_CLASS, figure_png, grid_view, live_slider, slider_view,
                            static_animation, static_grid, static_slider)


def line_plot(slope: float):
    fig, ax = subplots(width=3, height=2)
    ax.plot([0, 1], [0, slope])
    return fig


def links_between(source: W.Widget, target: W.Widget) -> list[Link]:
    """The jslinks (browser-side links) from ``source`` to ``target``."""
    return [w for w in _instances.values() if isinstance(w, Link)
            and w.source[0] is source and w.target[0] is target]


def test_static_slider_has_one_frame_per_value_linked_in_the_browser():
    view = static_slider(line_plot, [0.5, 1.0, 2.0], description="slope")
    slider, stack = view.children
    assert STATIC_CLASS in view._dom_classes
    assert isinstance(stack, W.Stack) and len(stack.children) == 3
    assert [label for label, _ in slider.options] == ["0.5", "1", "2"]
    link, = links_between(slider, stack)
    assert (link.source[1], link.target[1]) == ("index", "selected_index")
    pngs = [frame.value for frame in stack.children]
    assert len(set(pngs)) == 3, "each value must give a different frame"
    assert not plt.get_fignums(), "frames must close their figures"


def test_frames_are_light_palette_pngs():
    png = figure_png(line_plot(1.0))
    assert png.startswith(b"\x89PNG") and len(png) < 30_000
    assert Image.open(io.BytesIO(png)).mode == "P"


def test_html_frames_become_html_widgets():
    view = static_slider(lambda s: f"<b>{s}</b>", ["a", "b"])
    assert [f.value for f in view.children[1].children] == ["<b>a</b>", "<b>b</b>"]


def test_static_grid_nests_one_stack_per_x_and_links_y_to_each():
    view = static_grid(lambda x, y: f"{x},{y}", [1, 2, 3], ["p", "q"], x_description="x", y_description="y")
    x_slider, y_slider, outer = view.children
    assert len(outer.children) == 3 and all(len(s.children) == 2 for s in outer.children)
    assert outer.children[2].children[1].value == "3,q"
    assert links_between(x_slider, outer)
    for inner in outer.children:
        assert links_between(y_slider, inner)


def test_static_animation_links_play_to_slider_to_stack():
    view = static_animation(lambda step: f"step {step}", list(range(4)), interval_ms=50)
    controls, stack = view.children
    play, slider = controls.children
    assert isinstance(play, W.Play) and play.max == 3 and play.interval == 50
    assert links_between(play, slider) and links_between(slider, stack)


def test_live_slider_recomputes_in_the_kernel():
    calls = []

    def plot(b):
        calls.append(b)
        return f"b={b}"

    view = live_slider(plot, b=(0.0, 1.0, 0.5))
    assert LIVE_CLASS in view._dom_classes
    view.children[0].value = 1.0
    assert calls[-1] == 1.0


@pytest.mark.parametrize("make, error, match", [
    (lambda: static_slider(line_plot, []), ValueError, "values must not be empty"),
    (lambda: static_slider(line_plot, "abc"), TypeError, "values"),
    (lambda: static_slider("not a function", [1]), TypeError, "plot_fn must be callable"),
    (lambda: static_slider(lambda v: 1 / 0, [1]), ValueError, "plot_fn failed to render"),
    (lambda: static_slider(lambda v: 42, [1]), TypeError, r"frame \(what plot_fn returns\) must be"),
    (lambda: static_slider(line_plot, [1, 1.0]), ValueError, "values must have distinct labels"),
    (lambda: static_grid(lambda x, y: "", [1], []), ValueError, "ys must not be empty"),
    (lambda: grid_view([[W.HTML()]], [1, 2], [1]), ValueError, r"frames must hold one row of frames per x value \(2\)"),
    (lambda: grid_view([[W.HTML()], [W.HTML()]], [1, 2], [1, 2]), ValueError, r"frames\[0\] must hold"),
    (lambda: slider_view([W.HTML()], [1, 2]), ValueError, "frames must hold one frame per value"),
    (lambda: static_animation(lambda s: "", [0, 1], interval_ms=0), ValueError, "interval_ms must be >= 1"),
    (lambda: live_slider(line_plot), ValueError, "controls must name"),
    (lambda: live_slider(None, b=(0, 1)), TypeError, "plot_fn must be callable"),
])
def test_bad_input_names_the_argument(make, error, match):
    with pytest.raises(error, match=match):
        make()
    plt.close("all")
