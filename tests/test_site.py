"""The built website, in a real browser (Debian's Chromium driven by Playwright).

Every page loads with no console error, no failed request and no request to
another host; math is typeset; every image and widget renders; and moving each
static slider changes the visible frame with no kernel behind the page.

Needs `make book` first. Without a browser or a built site the tests skip with
a message locally; under CI (CI=true) that is a failure.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import ROOT

SITE = ROOT / "_build" / "html"
CHROMIUM = os.environ.get("DLBOOK_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
NOT_PAGES = {"search.html", "genindex.html", "index.html"}  # Sphinx's own pages; index redirects
PAGES = sorted(str(p.relative_to(SITE)) for p in SITE.rglob("*.html")
               if p.name not in NOT_PAGES and not {"_static", "_sources", "vendor"} & set(p.parts))


def unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (required under CI)")
    pytest.skip(reason)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    if not (SITE / "intro.html").exists():
        unavailable("no built site in _build/html: run `make book` first")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=SITE))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        unavailable(f"no Chromium at {CHROMIUM}: `apt-get install chromium` (never a downloaded browser)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


class PageLog:
    """What a page asked for and complained about while it loaded."""

    def __init__(self, page, origin: str) -> None:
        self.origin = origin
        self.requests: list[str] = []
        self.failures: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("requestfailed", lambda r: self.failures.append(f"{r.url} ({r.failure})"))
        page.on("response", lambda r: r.status >= 400 and self.failures.append(f"{r.url} (HTTP {r.status})"))
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def foreign(self) -> list[str]:
        host = urlparse(self.origin).netloc
        return [u for u in self.requests if urlparse(u).scheme not in ("data", "blob") and urlparse(u).netloc != host]


def visible_frame(stack) -> str:
    """A signature of the frame a Stack shows: its image source or its HTML."""
    return stack.evaluate("""el => Array.from(el.querySelectorAll('img, .widget-html-content'))
        .filter(x => x.offsetParent !== null).map(x => x.src || x.innerHTML).join('|')""")


@pytest.fixture(scope="module")
def opened(server, browser):
    """Open one page, wait for math and widgets, and return (page, log)."""
    pages = []

    def open_page(path: str):
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        log = PageLog(page, server)
        page.goto(f"{server}/{path}", wait_until="networkidle")
        if page.evaluate("!!window.MathJax"):
            page.evaluate("MathJax.startup.promise")  # resolves once the page is typeset
        n_views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
        if n_views:
            page.wait_for_function(
                f"document.querySelectorAll('.widget-subarea > .lm-Widget').length >= {n_views}", timeout=30_000)
        page.wait_for_load_state("networkidle")
        pages.append(page)
        return page, log

    yield open_page
    for page in pages:
        page.close()


@pytest.mark.parametrize("path", PAGES or ["<no built site>"])
def test_page_loads_offline_with_math_images_and_widgets(opened, path: str):
    if path not in PAGES:
        unavailable("no built site in _build/html: run `make book` first")
    page, log = opened(path)
    assert not log.foreign(), f"requests to other hosts: {log.foreign()}"
    assert not log.failures, f"failed requests: {log.failures}"
    assert not log.errors, f"console errors: {log.errors}"

    has_math = page.locator(".math, span.math, div.math").count() > 0
    if has_math:
        assert page.locator("mjx-container").count() > 0, "math present but not typeset"
    assert page.locator("mjx-merror").count() == 0, "MathJax reported an error"

    broken = page.evaluate("""() => Array.from(document.images)
        .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)""")
    assert not broken, f"images that did not load: {broken}"

    views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
    rendered = page.locator(".widget-subarea > .lm-Widget").count()
    assert rendered == views, f"{views} widget views in the page, {rendered} rendered"
    assert page.locator(".jupyter-widgets-error-widget, .widget-error").count() == 0


@pytest.mark.parametrize("path", PAGES or ["<no built site>"])
def test_every_static_slider_changes_the_visible_frame(opened, path: str):
    if path not in PAGES:
        unavailable("no built site in _build/html: run `make book` first")
    page, log = opened(path)
    views = page.locator(".dlbook-static")
    for v in range(views.count()):
        view = views.nth(v)
        stack = view.locator(":scope > .widget-box, :scope > .widget-container").last
        handles = view.locator(".noUi-handle")
        assert handles.count() >= 1, f"static view {v} has no slider"
        for h in range(handles.count()):
            before = visible_frame(stack)
            assert before, f"static view {v} shows no frame"
            handles.nth(h).focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_timeout(100)  # links update the stack synchronously; allow one repaint
            after = visible_frame(stack)
            assert after and after != before, f"slider {h} of static view {v} on {path} did not change the frame"
        play = view.locator(".widget-play button").first
        if play.count():
            before = visible_frame(stack)
            play.click()
            page.wait_for_function("""([el, old]) => Array.from(el.querySelectorAll('img, .widget-html-content'))
                .filter(x => x.offsetParent !== null).map(x => x.src || x.innerHTML).join('|') !== old""",
                                   arg=[stack.element_handle(), before], timeout=10_000)
            play.click()  # pause
    assert not log.errors, f"console errors after moving sliders: {log.errors}"
    if path.endswith("how-to-use.html"):
        assert views.count() >= 3, "the tour shows a slider, a grid and an animation"
