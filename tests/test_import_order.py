"""sknn's modules import in any order: no module-level import cycle.

Importing any ``sknn.x`` runs ``sknn/__init__.py`` first, which imports
most of the package in one fixed order; that order can hide a cycle that
another entry point (``sknn.plot``, a future lazy import) would hit. So
the module-level import graph is checked as a graph, and fresh
interpreters import the public modules in several orders.
"""

import ast
import importlib.util
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import sknn

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sknn"


def _module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_level_statements(body):
    """Statements that run on import: the module's, and those inside its top-level
    ``if``/``try``/``with`` blocks and class bodies, not those inside functions."""
    for node in body:
        yield node
        if isinstance(node, ast.ClassDef):
            yield from _module_level_statements(node.body)
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for field in ("body", "orelse", "finalbody", "handlers"):
                yield from _module_level_statements(getattr(node, field, []))


def module_level_imports(source, modules, *, deferred=False):
    """The modules of ``modules`` that ``source`` imports when it is itself imported
    (with ``deferred=True``: also those its functions import when they run).

    ``from a import b`` counts as importing ``a.b`` when that is a module. The
    parent packages an import runs implicitly are left out: every module
    would otherwise import ``sknn/__init__.py``, which imports them back.
    """
    tree = ast.parse(source)
    imported = set()
    for node in ast.walk(tree) if deferred else _module_level_statements(tree.body):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imported.add(node.module)
            imported.update(f"{node.module}.{alias.name}" for alias in node.names)
    return imported & modules


def find_cycle(graph):
    """One cycle of ``graph`` (``{node: set of nodes}``) as a list of nodes, or None."""
    done, path = set(), []

    def visit(node):
        if node in path:
            return path[path.index(node):] + [node]
        if node in done:
            return None
        path.append(node)
        for successor in sorted(graph[node]):
            cycle = visit(successor)
            if cycle:
                return cycle
        path.pop()
        done.add(node)
        return None

    for node in sorted(graph):
        cycle = visit(node)
        if cycle:
            return cycle
    return None


def _import_graph(deferred=False):
    paths = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {name: module_level_imports(path.read_text(encoding="utf-8"), modules,
                                       deferred=deferred) - {name}
            for name, path in paths.items()}


def test_find_cycle_reports_a_cycle_and_accepts_a_chain():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_module_level_imports_skip_function_bodies_and_see_into_if_and_try():
    source = ("import sknn.spec\n"
              "from sknn.nn import losses\n"
              "try:\n    from sknn import training\nexcept ImportError:\n    pass\n"
              "def later():\n    from sknn import plot\n")
    modules = {"sknn", "sknn.spec", "sknn.nn", "sknn.nn.losses", "sknn.training", "sknn.plot"}
    assert module_level_imports(source, modules) == {
        "sknn", "sknn.spec", "sknn.nn", "sknn.nn.losses", "sknn.training"}


def test_the_package_has_no_module_level_import_cycle():
    graph = _import_graph()
    assert len(graph) > 30  # guards the discovery: every module of the package
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_plot_package_imports_the_lr_finder_and_not_the_other_way_round():
    graph = _import_graph()
    assert "sknn.lr_finder" in graph["sknn.plot._lr_finder"]
    assert not any(name.startswith("sknn.plot") for name in graph["sknn.lr_finder"])


def test_imports_inside_functions_close_no_cycle_but_the_plot_shortcut():
    # LRFinderResult.plot() draws with sknn.plot, which imports sknn.lr_finder:
    # the one way back, taken only when a plot is asked for
    graph = _import_graph(deferred=True)
    graph["sknn.lr_finder"].discard("sknn.plot")
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def _public_modules():
    names = [info.name for info in pkgutil.walk_packages(sknn.__path__, prefix="sknn.")
             if not any(part.startswith("_") for part in info.name.split("."))]
    if importlib.util.find_spec("torch") is None:
        names.remove("sknn.engines.torch_engine")
    if importlib.util.find_spec("skl2onnx") is None:  # the onnx extra
        names.remove("sknn.onnx")
    return ["sknn", *sorted(names)]


PUBLIC_MODULES = _public_modules()

IMPORT_ORDERS = {
    "plot_then_lr_finder": ["sknn.plot", "sknn.lr_finder"],
    "lr_finder_then_plot": ["sknn.lr_finder", "sknn.plot"],
    "the_lr_finder_display_alone": ["sknn.plot._lr_finder"],
    "every_public_module_alphabetically": PUBLIC_MODULES,
    "every_public_module_in_reverse": PUBLIC_MODULES[::-1],
}


@pytest.mark.parametrize("order", IMPORT_ORDERS.values(), ids=IMPORT_ORDERS.keys())
def test_a_fresh_interpreter_imports_the_modules_in_this_order(order):
    code = ("import importlib\n"
            + "".join(f"importlib.import_module({name!r})\n" for name in order)
            + "import sknn\nprint(sknn.__file__)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).parent == PACKAGE  # this checkout, not an install
