"""scikit-learn's private API is imported in sknn/_sklearn_compat.py and nowhere else.

A private name is one with a component that starts with an underscore
(``sklearn.utils._param_validation``, ``sklearn.utils._safe_indexing``);
dunders such as ``sklearn.__version__`` are public.
"""

import ast
import importlib
import sys
from pathlib import Path

import pytest

from sknn import _sklearn_compat

ROOT = Path(__file__).resolve().parent.parent
SCANNED = ("sknn", "examples", "benchmarks")
COMPAT = Path("sknn", "_sklearn_compat.py")


def _private(dotted):
    return any(part.startswith("_") and not (part.startswith("__") and part.endswith("__"))
               for part in dotted.split("."))


def _dotted(node):
    """``a.b.c`` for a chain of attribute accesses on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else None


def private_sklearn_uses(source):
    """``[(line, dotted name)]`` of the private scikit-learn names ``source`` imports or reads."""
    uses = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sklearn":
            uses += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names
                     if _private(f"{node.module}.{alias.name}")]
        elif isinstance(node, ast.Import):
            uses += [(node.lineno, alias.name) for alias in node.names
                     if alias.name.split(".")[0] == "sklearn" and _private(alias.name)]
        elif isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            if dotted and dotted.split(".")[0] == "sklearn" and _private(dotted):
                uses.append((node.lineno, dotted))
    return uses


def _python_files():
    for folder in SCANNED:
        yield from sorted((ROOT / folder).rglob("*.py"))


def test_the_scanner_finds_each_way_of_reaching_a_private_name():
    source = ("from sklearn.utils._param_validation import Interval\n"
              "from sklearn.utils import _safe_indexing, check_array\n"
              "import sklearn.utils._testing\n"
              "import sklearn\n"
              "sklearn.utils._safe_indexing([1], [0])\n"
              "print(sklearn.__version__)\n"
              "from sklearn.base import clone\n")
    assert private_sklearn_uses(source) == [
        (1, "sklearn.utils._param_validation.Interval"),
        (2, "sklearn.utils._safe_indexing"),
        (3, "sklearn.utils._testing"),
        (5, "sklearn.utils._safe_indexing"),
    ]


def test_the_scan_covers_the_package_the_examples_and_the_benchmarks():
    scanned = {path.relative_to(ROOT).parts[0] for path in _python_files()}
    assert scanned == set(SCANNED)


def test_private_sklearn_names_are_imported_only_in_the_compat_module():
    found = [f"{path.relative_to(ROOT)}:{line}: {name}"
             for path in _python_files() if path.relative_to(ROOT) != COMPAT
             for line, name in private_sklearn_uses(path.read_text(encoding="utf-8"))]
    assert not found, "import these through sknn._sklearn_compat:\n" + "\n".join(found)


def _names_imported_from_compat():
    names = set()
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "sknn._sklearn_compat":
                names.update(alias.name for alias in node.names)
    return names


def test_compat_all_lists_exactly_what_sknn_imports_from_it():
    assert sorted(_names_imported_from_compat()) == sorted(_sklearn_compat.__all__)


@pytest.mark.parametrize("name", _sklearn_compat.__all__)
def test_each_compat_name_comes_from_sklearn_or_is_defined_there(name):
    module = getattr(getattr(_sklearn_compat, name), "__module__", "")
    assert module == _sklearn_compat.__name__ or module.split(".")[0] == "sklearn", module


def test_without_a_callback_api_set_callbacks_says_which_scikit_learn_it_needs(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.callback", None)  # as if it did not exist
    try:
        stand_in = importlib.reload(_sklearn_compat).CallbackSupportMixin
    finally:
        monkeypatch.undo()
        importlib.reload(_sklearn_compat)
    assert stand_in.__module__ == _sklearn_compat.__name__
    with pytest.raises(ImportError, match="scikit-learn 1.9"):
        stand_in().set_callbacks()
    assert _sklearn_compat.CallbackSupportMixin.__module__.startswith("sklearn.callback")
