"""The contributor page (docs/contributing.rst) stays true to the package.

Its module map lists every module under sknn/ and nothing else, and every
sknn object, file, test and code-level name the page mentions exists, so a
module, function or test that is added, renamed or removed fails here
instead of leaving the page stale. (tests/test_docs.py runs its examples.)
"""

import importlib
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PAGE = REPO_ROOT / "docs" / "contributing.rst"
TEXT = PAGE.read_text(encoding="utf-8")

# a row of the module map: "   * - ``sknn.fitting``"
_MODULE_ROW = re.compile(r"^\s*\* - ``(sknn[\w.]*)``\s*$", re.M)
# a Sphinx cross-reference to an sknn object: :func:`~sknn.fitting.run_fit`
_REFERENCE = re.compile(r":(?:mod|func|class|meth|data|attr):`~?(sknn[\w.]*)`")
# a file of the repository in double backquotes; <name> marks a placeholder
_FILE = re.compile(r"``((?:sknn|tests|docs)/[\w/.-]+\.(?:py|rst))``")
_TEST_NAME = re.compile(r"``(test_\w+)``")
# a bare private name (``_plan_fit``), class (``FitPlan``) or constant (``OPTIMIZER_RULES``)
_CODE_NAME = re.compile(r"``(_\w+|[A-Z]\w*)``")


def _package_modules():
    """Dotted names of every module and package under sknn/, from the files."""
    modules = []
    for path in sorted((REPO_ROOT / "sknn").rglob("*.py")):
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def _section(title):
    """The text of the page's section ``title`` (up to the next section title)."""
    lines = TEXT.splitlines()

    def is_title(i):
        underline = lines[i + 1] if i + 1 < len(lines) else ""
        return bool(lines[i]) and set(underline) == {"-"} and len(underline) >= len(lines[i])

    start = next(i for i in range(len(lines)) if lines[i] == title and is_title(i))
    end = next((i for i in range(start + 2, len(lines)) if is_title(i)), len(lines))
    return "\n".join(lines[start + 2:end])


MAPPED = _MODULE_ROW.findall(_section("Module map"))


def _sources(*folders):
    return "\n".join(path.read_text(encoding="utf-8") for folder in folders
                     for path in sorted((REPO_ROOT / folder).rglob("*.py")))


def _resolve(dotted):
    """The object ``dotted`` names: its longest importable module prefix, then
    attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError as error:
            if error.name == "torch":
                pytest.skip("PyTorch is not installed")
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ModuleNotFoundError(dotted)


def test_the_module_map_lists_every_module_of_the_package():
    missing = sorted(set(_package_modules()) - set(MAPPED))
    assert not missing, f"add these modules to the module map of docs/contributing.rst: {missing}"


def test_the_module_map_lists_only_modules_that_exist():
    gone = sorted(set(MAPPED) - set(_package_modules()))
    assert not gone, f"the module map of docs/contributing.rst lists missing modules: {gone}"


def test_the_module_map_lists_each_module_once():
    repeated = sorted({name for name in MAPPED if MAPPED.count(name) > 1})
    assert not repeated, repeated


@pytest.mark.parametrize("dotted", sorted(set(_REFERENCE.findall(TEXT))))
def test_every_sknn_object_the_page_refers_to_exists(dotted):
    assert _resolve(dotted) is not None


@pytest.mark.parametrize("path", sorted(set(_FILE.findall(TEXT))))
def test_every_file_the_page_names_exists(path):
    assert (REPO_ROOT / path).is_file(), path


def test_every_test_the_page_names_exists():
    defined = set(re.findall(r"^def (test_\w+)\(", _sources("tests"), re.M))
    missing = sorted(set(_TEST_NAME.findall(TEXT)) - defined)
    assert not missing, f"docs/contributing.rst names tests that do not exist: {missing}"


def test_every_bare_class_constant_or_private_name_on_the_page_occurs_in_the_code():
    source = _sources("sknn", "tests")
    missing = sorted(name for name in set(_CODE_NAME.findall(TEXT))
                     if not re.search(rf"\b{name}\b", source))
    assert not missing, f"docs/contributing.rst mentions names the code lacks: {missing}"


def test_the_page_is_in_the_documentation_table_of_contents():
    index = (REPO_ROOT / "docs" / "index.rst").read_text(encoding="utf-8")
    assert re.search(r"^\s+contributing\s*$", index, re.M)
