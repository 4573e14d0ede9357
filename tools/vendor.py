"""Copy the site's JavaScript from node_modules into _vendor/vendor/ (published as-is).

The website must make no requests to other hosts, so MathJax 3, require.js and
the ipywidgets HTML manager are served by the site itself. They live outside
``_static`` because jupyter-book injects every script found there into every page.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "node_modules"
TARGET = ROOT / "_vendor" / "vendor"
SKIP = shutil.ignore_patterns("*.map", "*.md", "*.LICENSE.txt", "embed.js", "libembed-amd.js")


def main() -> int:
    sources = {
        "mathjax": MODULES / "mathjax" / "es5",
        "html-manager": MODULES / "@jupyter-widgets" / "html-manager" / "dist",
        "require.js": MODULES / "requirejs" / "require.js",
        "widgets-assets.js": ROOT / "tools" / "widgets-assets.js",
    }
    missing = [str(p) for p in sources.values() if not p.exists()]
    if missing:
        print("missing site assets (run `npm ci --ignore-scripts`):", *missing, sep="\n  ", file=sys.stderr)
        return 1
    shutil.rmtree(TARGET, ignore_errors=True)
    TARGET.mkdir(parents=True)
    for name, source in sources.items():
        if source.is_dir():
            shutil.copytree(source, TARGET / name, ignore=SKIP)
        else:
            shutil.copy2(source, TARGET / name)
    print(f"site assets copied to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
