"""The documentation builds with warnings as errors, and its code examples run.

The build runs Sphinx in a subprocess on a copy of docs/ and examples/ in a
temporary directory (so generated sources never land in the checkout), with
``-D plot_gallery=0``: the gallery pages are rendered but the scripts are
not executed, because tests/test_examples.py already runs every one of them.
Skipped when Sphinx or one of the documentation extensions is missing
(``pip install ".[docs]"``).
"""

import doctest
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from sklearn.exceptions import ConvergenceWarning

import sknn
from tests._optional import installed

REPO_ROOT = Path(__file__).resolve().parent.parent
DOCS_DIR = REPO_ROOT / "docs"
EXAMPLES_DIR = REPO_ROOT / "examples"
DOC_PACKAGES = ("sphinx", "pydata_sphinx_theme", "numpydoc", "sphinx_gallery", "matplotlib")
# Written into the source tree by a build; never copied into the test's build.
GENERATED = ("_build", "api", "generated", "auto_examples", "sg_execution_times.rst",
             "__pycache__")
BUILD_TIMEOUT_S = 300


def _missing_doc_packages():
    return [name for name in DOC_PACKAGES if not installed(name)]


def _source_pages():
    """Hand-written .rst pages of docs/, relative to it."""
    pages = (path.relative_to(DOCS_DIR) for path in DOCS_DIR.rglob("*.rst"))
    # _templates/ holds autosummary's Jinja templates, not pages
    return sorted(page for page in pages
                  if not any(part in GENERATED or part.startswith("_") for part in page.parts))


def _public_names():
    return [name for name in sknn.__all__ if not name.startswith("_")]


@pytest.fixture(scope="module")
def built_docs(tmp_path_factory):
    """``(html directory, completed Sphinx process)`` of one warnings-as-errors build."""
    missing = _missing_doc_packages()
    if missing:
        pytest.skip(f"documentation packages not installed: {', '.join(missing)} "
                    "(pip install '.[docs]')")
    root = tmp_path_factory.mktemp("docs_build")
    shutil.copytree(DOCS_DIR, root / "docs", ignore=shutil.ignore_patterns(*GENERATED))
    shutil.copytree(EXAMPLES_DIR, root / "examples",
                    ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, MPLBACKEND="Agg")
    # The copy has no sknn next to it: Sphinx imports the one under test.
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p)
    html = root / "html"
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
               "-D", "plot_gallery=0", "-d", str(root / "doctrees"), str(root / "docs"),
               str(html)]
    result = subprocess.run(command, cwd=root, env=env, stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    return html, result


def test_docs_build_without_warnings(built_docs):
    _, result = built_docs
    assert result.returncode == 0, (
        f"sphinx -W exited with {result.returncode}\n--- stderr ---\n{result.stderr}\n"
        f"--- stdout ---\n{result.stdout}")


def test_every_source_page_is_rendered(built_docs):
    html, _ = built_docs
    missing = [str(page) for page in _source_pages()
               if not (html / page.with_suffix(".html")).is_file()]
    assert not missing, f"pages not rendered: {missing}"


def test_every_public_name_has_an_api_page(built_docs):
    html, _ = built_docs
    missing = [name for name in _public_names()
               if not (html / "generated" / f"sknn.{name}.html").is_file()]
    assert not missing, f"no API page for: {missing}"


def test_api_pages_document_sknn_methods_but_not_scikit_learn_internals(built_docs):
    html, _ = built_docs
    page = (html / "generated" / "sknn.MLPClassifier.html").read_text(encoding="utf-8")
    # defined by sknn (one inherited from the shared base class): documented
    for method in ("fuse_batch_norm", "predict_proba", "partial_fit"):
        assert f"sknn.MLPClassifier.{method}" in page, method
    # scikit-learn's metadata-routing helpers are documented by scikit-learn
    assert "set_fit_request" not in page


def test_every_example_has_a_gallery_page(built_docs):
    html, _ = built_docs
    missing = [path.name for path in sorted(EXAMPLES_DIR.glob("*.py"))
               if not (html / "auto_examples" / f"{path.stem}.html").is_file()]
    assert not missing, f"examples missing from the gallery: {missing}"


_DOCTEST_LINE = re.compile(r"^\s*>>> ", re.M)
PAGES_WITH_CODE = [page for page in _source_pages()
                   if _DOCTEST_LINE.search((DOCS_DIR / page).read_text(encoding="utf-8"))]


def test_the_user_guide_has_runnable_examples():
    assert len(PAGES_WITH_CODE) >= 10, PAGES_WITH_CODE


# pages whose examples need an optional extra, skipped where it is not installed
PAGE_EXTRAS = {"user_guide/onnx.rst": ("onnx", "skl2onnx", "onnxruntime"),
               "user_guide/search.rst": ("optuna", "optuna_integration")}


@pytest.mark.parametrize("page", PAGES_WITH_CODE, ids=str)
def test_code_examples_in_the_docs_run(page):
    missing = [name for name in PAGE_EXTRAS.get(page.as_posix(), ())
               if not installed(name)]
    if missing:
        pytest.skip(f"docs/{page} needs {', '.join(missing)} (the test extra installs them)")
    with warnings.catch_warnings():
        # a few epochs on tiny data cannot converge; that is not what these show
        warnings.simplefilter("ignore", ConvergenceWarning)
        failures, attempted = doctest.testfile(
            str(DOCS_DIR / page), module_relative=False, encoding="utf-8",
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0
    assert failures == 0, f"{failures} of {attempted} examples in docs/{page} failed (see stdout)"
