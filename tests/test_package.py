"""The shape of the ``dlbook`` package: one import direction, modules that import alone, raw docstrings."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import dlbook

LIB = Path(dlbook.__file__).parent
MODULES = sorted(f"dlbook.{info.name}" for info in pkgutil.iter_modules(dlbook.__path__))


def _tree(module: str) -> ast.Module:
    return ast.parse((LIB / f"{module.removeprefix('dlbook.')}.py").read_text(encoding="utf-8"))


def dlbook_imports(module: str) -> set[str]:
    """The ``dlbook`` modules that ``module`` imports anywhere in its source (also inside functions)."""
    found = set()
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("dlbook.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "dlbook":
            if node.module == "dlbook":  # from dlbook import data, widgets
                found |= {f"dlbook.{alias.name}" for alias in node.names if f"dlbook.{alias.name}" in MODULES}
            else:
                found.add(node.module)
    return found - {module}


def test_the_module_graph_has_no_cycle():
    graph = {module: dlbook_imports(module) for module in MODULES}
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        if state.get(module) == "done":
            return
        assert state.get(module) != "open", f"import cycle: {' -> '.join(path + [module])}"
        state[module] = "open"
        for target in sorted(graph[module]):
            visit(target, path + [module])
        state[module] = "done"

    for module in MODULES:
        visit(module, [])


def test_diffusion_imports_nothing_from_diffusion_models():
    assert "dlbook.diffusion_models" not in dlbook_imports("dlbook.diffusion")
    assert "dlbook.ode" in dlbook_imports("dlbook.diffusion_models")


def test_every_module_imports_alone():
    """Each module in a clean slate of ``dlbook`` modules (one interpreter, third-party imports cached)."""
    script = (
        "import importlib, sys\n"
        f"for name in {MODULES!r}:\n"
        "    for loaded in [m for m in sys.modules if m == 'dlbook' or m.startswith('dlbook.')]:\n"
        "        del sys.modules[loaded]\n"
        "    importlib.import_module(name)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]


def test_docstrings_with_backslashes_are_raw():
    """``r\"\"\"...\"\"\"`` keeps LaTeX readable in the source a lesson shows: no doubled backslashes."""
    bad = []
    for module in MODULES:
        source = (LIB / f"{module.removeprefix('dlbook.')}.py").read_text(encoding="utf-8")
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if not (
                node.body
                and isinstance(node.body[0], ast.Expr)
                and isinstance(node.body[0].value, ast.Constant)
                and isinstance(node.body[0].value.value, str)
            ):
                continue
            literal = ast.get_source_segment(source, node.body[0].value)
            if "\\" in node.body[0].value.value and not literal.lower().startswith("r"):
                bad.append(f"{module}:{node.body[0].lineno}")
    assert not bad, f'make these docstrings raw (r"""), with single backslashes: {bad}'
