"""The reader's features on the built website: exercises, folded solutions, glossary links, notebook downloads.

Needs `make book` first; skips (fails under CI) without a built site or a
browser, like `test_site.py`, whose fixtures it shares.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from bs4 import BeautifulSoup

import test_site
from conftest import ROOT
from test_exercises import NOTEBOOKS, exercises
from test_site import PAGES, SITE, unavailable

server, browser = test_site.server, test_site.browser  # the site's fixtures, shared with test_site.py

CHAPTER_PAGES = {str(p.relative_to(ROOT).with_suffix(".html")): p for p in NOTEBOOKS}


def require_site() -> None:
    if not (SITE / "intro.html").exists():
        unavailable("no built site in _build/html: run `make book` first")


@pytest.fixture
def page(server, browser):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    yield page
    page.close()


def open_page(page, server: str, path: str) -> None:
    page.goto(f"{server}/{path}", wait_until="networkidle")


@pytest.mark.parametrize("path", sorted(CHAPTER_PAGES))
def test_exercises_and_solutions_render(page, server, path: str):
    open_page(page, server, path)
    labels = exercises(CHAPTER_PAGES[path])
    assert page.locator("div.exercise").count() == len(labels)
    assert page.locator("div.solution").count() == len(labels)
    for label in labels:
        box = page.locator(f"div.exercise#{label}")
        assert box.count() == 1, f"exercise {label} is not on {path}"
        assert box.locator(".admonition-title").inner_text().startswith("Exercise")
    # a self-checked exercise says so in its title, every other one does not
    for box in page.locator("div.exercise").all():
        checked = "self-check" in (box.get_attribute("class") or "").split()
        title = box.locator(":scope > .admonition-title").inner_text()
        assert ("(self-check)" in title) == checked, f"{title!r} on {path}"


@pytest.mark.parametrize("path", sorted(CHAPTER_PAGES))
def test_solutions_are_folded_until_clicked(page, server, path: str):
    open_page(page, server, path)
    solutions = page.locator("div.solution")
    for k in range(solutions.count()):
        solution = solutions.nth(k)
        body = solution.locator(":scope > :not(.admonition-title)").first
        button = solution.locator(".admonition-title button.toggle-button")  # the title's text links to the exercise
        assert not body.is_visible(), f"solution {k} on {path} is open before any click"
        assert button.get_attribute("aria-expanded") == "false"
        button.click()
        body.wait_for(state="visible", timeout=5_000)
        assert button.get_attribute("aria-expanded") == "true"
        assert body.inner_text().strip(), f"solution {k} on {path} opened but shows nothing"


def test_every_glossary_link_points_to_a_glossary_entry():
    require_site()
    glossary = BeautifulSoup((SITE / "glossary.html").read_text(encoding="utf-8"), "html.parser")
    anchors = {dt.get("id") for dt in glossary.select("dl.glossary dt")}
    assert len(anchors) >= 30, "the glossary page has too few entries"
    linked: dict[str, int] = {}
    for path in PAGES:
        html = BeautifulSoup((SITE / path).read_text(encoding="utf-8"), "html.parser")
        for link in html.select("a.reference:has(.std-term)"):  # {term} links, not the page's own contents
            target = urlparse(urljoin(f"http://site/{path}", link.get("href", "")))
            if target.path.endswith("/glossary.html") and target.fragment:
                assert target.fragment in anchors, f"{path} links to a missing glossary entry #{target.fragment}"
                linked[path] = linked.get(path, 0) + 1
    for path in CHAPTER_PAGES:
        assert linked.get(path, 0) > 0, f"{path} links to no glossary term"


@pytest.mark.parametrize("path", sorted(CHAPTER_PAGES))
def test_download_button_offers_the_notebook(page, server, path: str):
    open_page(page, server, path)
    page.locator("button[aria-label='Download this page']").click()
    item = page.locator("a.btn-download-source-button")
    item.wait_for(state="visible", timeout=5_000)
    assert item.inner_text().strip() == ".ipynb"
    href = urljoin(page.url, item.get_attribute("href"))
    response = page.request.get(href)
    assert response.status == 200, f"{href}: HTTP {response.status}"
    notebook = json.loads(response.body())
    committed = json.loads(Path(CHAPTER_PAGES[path]).read_text(encoding="utf-8"))
    assert notebook["cells"] == committed["cells"], "the download is not the book's notebook"
