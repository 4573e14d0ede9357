"""The built website, in a real browser (Debian's Chromium driven by Playwright).

Every page loads with no console error, no failed request and no request to
another host; math is typeset; every image and widget renders; and moving each
static slider changes the visible frame with no kernel behind the page.

Every page also passes an accessibility audit (axe-core from node_modules,
WCAG 2 A/AA, no serious or critical violation), gives every image real alt text
and twice the pixels it is shown at, lets no code box scroll sideways at
1280 px, and shows none of the defects a reader noticed: raw Markdown tables,
untypeset ``$...$``, object reprs in outputs, doubled backslashes in the
docstrings ``show_source`` displays.

Needs `make book` first. Without a browser or a built site the tests skip with
a message locally; under CI (CI=true) that is a failure.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
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
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
WIDTH = 1280  # the viewport the code boxes must fit
NOT_PAGES = {"search.html", "genindex.html", "index.html"}  # Sphinx's own pages; index redirects
PAGES = sorted(
    str(p.relative_to(SITE))
    for p in SITE.rglob("*.html")
    if p.name not in NOT_PAGES and not {"_static", "_sources", "vendor"} & set(p.parts)
)


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
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
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
    """Open a page once, wait for math and widgets, and return (page, log); later tests reuse it."""
    pages = {}

    def open_page(path: str):
        if path not in PAGES:  # the parameter is a placeholder: there is no built site
            unavailable("no built site in _build/html: run `make book` first")
        if path in pages:
            return pages[path]
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        log = PageLog(page, server)
        page.goto(f"{server}/{path}", wait_until="networkidle")
        if page.evaluate("!!window.MathJax"):
            # window.MathJax (the inline config) exists before the deferred MathJax script has run;
            # under load, network idle can come first, so wait for the script's startup object.
            page.wait_for_function("() => window.MathJax?.startup?.promise", timeout=30_000)
            page.evaluate("MathJax.startup.promise")  # resolves once the page is typeset
        n_views = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
        if n_views:
            page.wait_for_function(
                f"document.querySelectorAll('.widget-subarea > .lm-Widget').length >= {n_views}", timeout=30_000
            )
        page.wait_for_load_state("networkidle")
        pages[path] = page, log
        return page, log

    yield open_page
    for page, _ in pages.values():
        page.close()


@pytest.mark.parametrize("path", PAGES or ["<no built site>"])
def test_page_loads_offline_with_math_images_and_widgets(opened, path: str):
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
            handle = handles.nth(h)
            handle.focus()
            at_end = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
            page.keyboard.press("ArrowLeft" if at_end else "ArrowRight")  # a view may open on its last frame
            page.wait_for_timeout(100)  # links update the stack synchronously; allow one repaint
            after = visible_frame(stack)
            assert after and after != before, f"slider {h} of static view {v} on {path} did not change the frame"
        play = view.locator(".widget-play button").first
        if play.count():
            before = visible_frame(stack)
            play.click()
            page.wait_for_function(
                """([el, old]) => Array.from(el.querySelectorAll('img, .widget-html-content'))
                .filter(x => x.offsetParent !== null).map(x => x.src || x.innerHTML).join('|') !== old""",
                arg=[stack.element_handle(), before],
                timeout=10_000,
            )
            play.click()  # pause
    assert not log.errors, f"console errors after moving sliders: {log.errors}"
    if path.endswith("how-to-use.html"):
        assert views.count() >= 3, "the tour shows a slider, a grid and an animation"


def axe_violations(page) -> list[dict]:
    """Run axe-core (injected from node_modules, never fetched) with the WCAG 2 A/AA rules."""
    if not AXE.exists():
        unavailable(f"no {AXE.relative_to(ROOT)}: run `npm ci --ignore-scripts`")
    if not page.evaluate("!!window.axe"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    return [
        {"id": v["id"], "impact": v["impact"], "targets": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
    ]


def image_problems(page) -> list[str]:
    """Images without real alt text (none, or the file name Sphinx falls back to), shown
    images with fewer than twice the pixels they are displayed at, and a figure shown
    twice by one cell (returned as the cell's value and drawn by the inline backend)."""
    return page.evaluate("""() => {
        const problems = [];
        document.querySelectorAll('.bd-article img').forEach(img => {
            const name = img.getAttribute('src').slice(0, 60), alt = (img.getAttribute('alt') || '').trim();
            if (!alt || /\\.(png|jpe?g|svg|gif)$/i.test(alt)) problems.push(`no alt text: ${name}`);
            if (img.offsetParent !== null && img.naturalWidth < 2 * img.clientWidth)
                problems.push(`${img.naturalWidth} px shown at ${img.clientWidth} px (want 2x): ${alt || name}`);
        });
        document.querySelectorAll('.cell_output').forEach(out => {
            const srcs = Array.from(out.querySelectorAll(':scope > .output img, :scope > img'), i => i.src);
            if (new Set(srcs).size < srcs.length) problems.push(`a cell shows one figure twice: ${srcs[0].slice(-40)}`);
        });
        return problems;
    }""")


def markup_problems(page) -> list[str]:
    """What a reader should never see: raw Markdown tables or ``$...$`` outside code, object
    reprs in outputs, doubled backslashes in displayed docstrings (non-raw docstrings)."""
    return page.evaluate(r"""() => {
        const problems = [];
        const prose = document.querySelector('.bd-article').cloneNode(true);
        prose.querySelectorAll('pre, code, script, style, mjx-container, .MathJax').forEach(e => e.remove());
        const text = prose.textContent;
        // a table row left as text: |...|...| on one line (its |---| rule may be typeset as |—|)
        for (const m of text.match(/^\s*\|.*\|.*\|\s*$/gm) || []) problems.push(`raw Markdown table: ${m.trim()}`);
        for (const m of text.match(/\$[^$\n]{1,80}\$/g) || []) problems.push(`untypeset math: ${m}`);
        document.querySelectorAll('.bd-article .math').forEach(math => {
            if (!math.querySelector('mjx-container')) problems.push(`untypeset math: ${math.textContent.slice(0, 60)}`);
        });
        const outputs = Array.from(document.querySelectorAll('.cell_output')).map(o => o.textContent).join('\n');
        const reprs = new RegExp(['<[\\w.]+ (object )?at 0x[0-9a-f]+>', '\\[Text\\(', '<Figure size [^>]*>',
                                  '<matplotlib\\.[\\w.]+ (object )?at'].join('|'), 'g');
        for (const m of outputs.match(reprs) || []) problems.push(`object repr in an output: ${m}`);
        document.querySelectorAll('.cell_output .highlight .sd').forEach(doc => {
            if (doc.textContent.includes('\\\\'))
                problems.push(`doubled backslash in a docstring: ${doc.textContent.slice(0, 80)}`);
        });
        return problems;
    }""")


def scrolling_code(page) -> list[str]:
    """Code boxes of notebook cells that need horizontal scrolling at this viewport,
    folded (``hide-input``) cells included: they are unfolded while measured."""
    return page.evaluate("""() => {
        const folded = Array.from(document.querySelectorAll('details:not([open])'))
            .filter(d => d.querySelector('.cell_input pre'));
        folded.forEach(d => { d.open = true; });
        const wide = Array.from(document.querySelectorAll('.cell_input pre'))
            .filter(pre => pre.scrollWidth > pre.clientWidth)
            .map(pre => `${pre.scrollWidth - pre.clientWidth} px too wide: `
                        + pre.textContent.split('\\n').reduce((a, b) => (b.length > a.length ? b : a)).trim());
        folded.forEach(d => { d.open = false; });
        return wide;
    }""")


@pytest.mark.parametrize("path", PAGES or ["<no built site>"])
def test_page_passes_the_accessibility_audit(opened, path: str):
    page, _ = opened(path)
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    assert not blocking, "axe-core (WCAG 2 A/AA):\n" + "\n".join(
        f"  {v['id']} ({v['impact']}): {v['targets'][:5]}" for v in blocking
    )


@pytest.mark.parametrize("path", PAGES or ["<no built site>"])
def test_every_image_has_alt_text_and_twice_the_pixels_shown(opened, path: str):
    page, _ = opened(path)
    problems = image_problems(page)
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("path", PAGES or ["<no built site>"])
def test_page_shows_no_raw_markup_reprs_or_doubled_backslashes(opened, path: str):
    page, _ = opened(path)
    problems = markup_problems(page)
    assert not problems, "\n".join(problems[:20])


@pytest.mark.parametrize("path", PAGES or ["<no built site>"])
def test_code_boxes_fit_without_scrolling(opened, path: str):
    page, _ = opened(path)
    too_wide = scrolling_code(page)
    assert not too_wide, f"code lines wider than the code box at {WIDTH} px:\n" + "\n".join(too_wide)


def test_root_redirect_names_an_existing_favicon():
    index = SITE / "index.html"
    if not index.exists():
        unavailable("no built site in _build/html: run `make book` first")
    icon = re.search(r'<link rel="icon" href="([^"]+)"', index.read_text(encoding="utf-8"))
    assert icon, "index.html names no icon: the browser asks for a missing /favicon.ico"
    assert (SITE / icon.group(1)).is_file(), f"index.html names a missing icon {icon.group(1)}"
