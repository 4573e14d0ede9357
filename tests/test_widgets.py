"""dlbook.widgets and dlbook.plotting: static views switch precomputed frames via client-side links;
figures and frames are sharp PNGs whose alt text says what they show."""

from __future__ import annotations

import base64
import io
import re

import ipywidgets as W
import matplotlib.pyplot as plt
import pytest
from ipywidgets.widgets.widget import _instances
from ipywidgets.widgets.widget_link import Link
from PIL import Image

from dlbook.plotting import DENSITY, SHOW_DPI, figure_alt, figure_html, figure_png, subplots
from dlbook.widgets import (
    LIVE_CLASS,
    STATIC_CLASS,
    grid_view,
    live_slider,
    slider_view,
    static_animation,
    static_grid,
    static_slider,
)


def line_plot(slope: float):
    fig, ax = subplots(width=3, height=2)
    ax.plot([0, 1], [0, slope])
    return fig


def titled_plot(slope: float):
    fig = line_plot(slope)
    fig.axes[0].set(title="a line", xlabel="x", ylabel="y")
    return fig


def frame_img(frame: W.HTML) -> tuple[str, Image.Image, int]:
    """A figure frame's alt text, its PNG and the width it is shown at."""
    alt, data, width = re.fullmatch(
        r'<img src="data:image/png;base64,([^"]+)" alt="([^"]*)" width="(\d+)" [^>]*>', frame.value
    ).group(2, 1, 3)
    return alt, Image.open(io.BytesIO(base64.b64decode(data))), int(width)


def links_between(source: W.Widget, target: W.Widget) -> list[Link]:
    """The jslinks (browser-side links) from ``source`` to ``target``."""
    return [w for w in _instances.values() if isinstance(w, Link) and w.source[0] is source and w.target[0] is target]


def test_static_slider_has_one_frame_per_value_linked_in_the_browser():
    view = static_slider(line_plot, [0.5, 1.0, 2.0], description="slope")
    slider, stack = view.children
    assert STATIC_CLASS in view._dom_classes
    assert isinstance(stack, W.Stack) and len(stack.children) == 3
    assert [label for label, _ in slider.options] == ["0.5", "1", "2"]
    (link,) = links_between(slider, stack)
    assert (link.source[1], link.target[1]) == ("index", "selected_index")
    frames = [frame.value for frame in stack.children]
    assert len(set(frames)) == 3, "each value must give a different frame"
    assert not plt.get_fignums(), "frames must close their figures"


def test_a_static_slider_opens_on_its_start_value():
    view = static_slider(line_plot, [0.5, 1.0, 2.0], description="slope", start=2.0)
    slider, stack = view.children
    assert slider.index == 2 and slider.label == "2" and stack.selected_index == 2
    assert static_slider(line_plot, [0.5, 1.0]).children[1].selected_index == 0  # the first by default
    assert not plt.get_fignums()


def test_frames_are_light_palette_pngs_at_twice_the_shown_density():
    png = figure_png(line_plot(1.0), alt="a line")
    assert png.startswith(b"\x89PNG") and len(png) < 30_000
    image = Image.open(io.BytesIO(png))
    assert image.mode == "P" and image.size == (3 * SHOW_DPI * DENSITY, 2 * SHOW_DPI * DENSITY)
    assert image.text["Description"] == "a line"  # the site turns this into the <img>'s alt text
    alt, image, width = frame_img(W.HTML(figure_html(line_plot(1.0), "a <line> & more")))
    assert alt == "a &lt;line&gt; &amp; more" and image.width == DENSITY * width == DENSITY * 3 * SHOW_DPI


def test_figure_alt_reads_titles_axes_and_legends_off_the_figure():
    fig, (left, right) = subplots(1, 2)
    fig.suptitle("two panels")
    left.plot([0, 1], label="ours")
    left.plot([1, 0], label="theirs")
    left.set(title="lines", xlabel="step", ylabel="loss")
    left.legend()
    right.set(xlabel="only x")
    assert figure_alt(fig) == "two panels; lines, loss against step, legend: ours, theirs; only x"
    fig, _ = subplots()
    assert figure_alt(fig) == ""  # nothing to say: no alt text is made up
    plt.close("all")


def test_frame_alt_text_says_what_each_frame_shows():
    view = static_slider(titled_plot, [0.5, 2.0], description="slope")
    assert [frame_img(f)[0] for f in view.children[1].children] == [
        "a line, y against x: slope = 0.5",
        "a line, y against x: slope = 2",
    ]
    view = static_slider(line_plot, [0.5], description="slope", alt="a rising line")
    assert frame_img(view.children[1].children[0])[0] == "a rising line: slope = 0.5"
    grid = static_grid(
        lambda x, y: titled_plot(x * y),
        [1, 2],
        [3.0],
        x_description="a",
        y_description="b",
        y_fmt=".1f",
        alt=lambda x, y: f"slope {x * y:g}",
    )
    assert [frame_img(s.children[0])[0] for s in grid.children[2].children] == ["slope 3", "slope 6"]
    anim = static_animation(line_plot, [1, 2], description="epoch")
    assert frame_img(anim.children[1].children[1])[0] == "epoch = 2"  # an untitled figure: the values only


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


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: static_slider(line_plot, []), ValueError, "values must not be empty"),
        (lambda: static_slider(line_plot, "abc"), TypeError, "values"),
        (lambda: static_slider("not a function", [1]), TypeError, "plot_fn must be callable"),
        (lambda: static_slider(lambda v: 1 / 0, [1]), ValueError, "plot_fn failed to render"),
        (lambda: static_slider(lambda v: 42, [1]), TypeError, r"frame \(what plot_fn returns\) must be"),
        (lambda: static_slider(line_plot, [1, 1.0]), ValueError, "values must have distinct labels"),
        (lambda: static_grid(lambda x, y: "", [1], []), ValueError, "ys must not be empty"),
        (
            lambda: grid_view([[W.HTML()]], [1, 2], [1]),
            ValueError,
            r"frames must hold one row of frames per x value \(2\)",
        ),
        (lambda: grid_view([[W.HTML()], [W.HTML()]], [1, 2], [1, 2]), ValueError, r"frames\[0\] must hold"),
        (lambda: slider_view([W.HTML()], [1, 2]), ValueError, "frames must hold one frame per value"),
        (lambda: static_animation(lambda s: "", [0, 1], interval_ms=0), ValueError, "interval_ms must be >= 1"),
        (lambda: live_slider(line_plot), ValueError, "controls must name"),
        (lambda: live_slider(None, b=(0, 1)), TypeError, "plot_fn must be callable"),
        (lambda: static_slider(line_plot, [1], alt=3), TypeError, "alt must be a string, a function"),
        (lambda: static_slider(line_plot, [1, 2], start=3), ValueError, r"start must be one of the values \[1, 2\]"),
        (lambda: slider_view([W.HTML()], [1], start="1"), ValueError, "start must be one of the values"),
        (lambda: static_grid(lambda x, y: "", [1], [2], alt=b"x"), TypeError, "alt must be a string"),
        (lambda: static_animation(line_plot, [1], alt=lambda s: None), TypeError, "alt must return a string"),
    ],
)
def test_bad_input_names_the_argument(make, error, match):
    with pytest.raises(error, match=match):
        make()
    plt.close("all")


def test_notebook_figures_show_at_twice_the_density_with_alt_text():
    from IPython.core.interactiveshell import InteractiveShell

    from dlbook.plotting import use_book_style

    shell = InteractiveShell.instance()
    try:
        use_book_style()  # in IPython: figures go through figure_png
        data, metadata = shell.display_formatter.format(titled_plot(1.0))
        image = Image.open(io.BytesIO(base64.b64decode(data["image/png"])))
        assert image.width == DENSITY * metadata["image/png"]["width"] == DENSITY * 3 * SHOW_DPI
        assert image.text["Description"] == "a line, y against x"
    finally:
        InteractiveShell.clear_instance()
        plt.close("all")
