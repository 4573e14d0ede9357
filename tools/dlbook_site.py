"""A small Sphinx extension for the book's website and its build log.

- sphinx-thebe registers its inline configuration script once per reading pass,
  so pages declared ``const THEBE_JS_URL`` twice and the browser raised a
  SyntaxError on every page (the repeat has filename ``""`` instead of ``None``).
  Dropping repeated script entries fixes it, whatever registered them.
- The build starts one kernel per notebook over localhost TCP, and ipykernel 7
  warns "Kernel is running over TCP without encryption" each time unless the
  manager provisions CurveZMQ keys. The kernelspec declares support
  (``supported_encryption: curve``) but the manager's default policy is
  "disabled", and myst-nb offers no way to pass a kernel-manager setting, so the
  extension makes "auto" the default: the kernels are encrypted, the warning's
  cause is gone, and every other warning still reaches the log.
- Accessibility: a notebook figure's ``<img>`` gets the alt text its PNG carries
  (``dlbook.plotting.figure_png`` writes the figure's own titles and labels into
  the PNG's ``Description``; nothing is made up here); the sidebar's
  collapse toggles get a name; ``site/a11y.js`` names the widgets' controls.
- The root ``index.html`` redirect names the favicon, so browsers do not ask
  for a missing ``/favicon.ico``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from jupyter_client.manager import KernelManager
from PIL import Image

SITE_STATIC = Path(__file__).parent / "site"


def drop_repeated_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    seen: set[tuple] = set()
    unique = []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", {})
        key = (getattr(script, "filename", None) or "", tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def alt_from_png(app: Any, doctree: nodes.document) -> None:
    """Give each image without alt text the ``Description`` its PNG carries, if any.

    Runs before Sphinx's image collector, while a notebook output's URI is still
    ``/``-rooted at the source folder (as myst-nb writes it).
    """
    for image in doctree.findall(nodes.image):
        if image.get("alt") or not image["uri"].endswith(".png"):
            continue
        path = Path(app.env.relfn2path(image["uri"], app.env.docname)[1])
        if path.is_file():
            description = Image.open(path).text.get("Description")
            if description:
                image["alt"] = description


def name_sidebar_toggles(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """The theme's ``<summary>`` that folds a chapter's sections holds only an icon: name it."""
    generate = context.get("generate_toctree_html")
    if generate is None:
        return

    def named(*args: Any, **kwargs: Any) -> Any:
        soup = generate(*args, **kwargs)  # the theme's parsed sidebar (a BeautifulSoup tree)
        for summary in soup.select("li.has-children > details > summary:not([aria-label])"):
            link = summary.find_parent("li").find("a", recursive=False)
            if link is not None:
                summary["aria-label"] = f"Sections of {link.get_text(strip=True)}"
        return soup

    context["generate_toctree_html"] = named


def icon_in_redirect(app: Any, exception: Exception | None) -> None:
    """Name the favicon in the root ``index.html`` redirect page (written by sphinx-external-toc)."""
    index = Path(app.outdir) / "index.html"
    favicon = app.config.html_favicon
    if exception is not None or not favicon or not index.is_file():
        return
    text = index.read_text(encoding="utf-8")
    if text.lstrip().startswith('<meta http-equiv="Refresh"') and 'rel="icon"' not in text:
        href = favicon if "://" in favicon else f"_static/{Path(favicon).name}"
        index.write_text(f'<link rel="icon" href="{href}" />\n{text}', encoding="utf-8")


def add_site_static(app: Any, config: Any) -> None:
    config.html_static_path.append(str(SITE_STATIC))


def setup(app: Any) -> dict:
    KernelManager.transport_encryption.default_value = "auto"
    app.connect("config-inited", add_site_static)
    app.add_js_file("a11y.js")
    app.connect("doctree-read", alt_from_png, priority=400)  # before the image collector
    app.connect("html-page-context", drop_repeated_scripts, priority=1000)  # after every adder
    app.connect("html-page-context", name_sidebar_toggles, priority=1000)  # after the theme's
    app.connect("build-finished", icon_in_redirect, priority=900)  # after sphinx-external-toc
    return {"parallel_read_safe": True, "parallel_write_safe": True}
