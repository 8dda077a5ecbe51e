"""Every script in examples/ runs to completion in quick mode.

The scripts are found by glob, so a new example is covered without editing
this file.  Each runs in its own interpreter, as a user would run it.
"""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO_ROOT / "examples").glob("*.py"))

# Text an example's stdout must contain, beyond exiting cleanly.
EXPECTED_STDOUT = {
    "quickstart.py": ("sknn", "scikit-learn"),
}


def run_example(path):
    env = dict(os.environ, SKNN_EXAMPLE_QUICK="1", MPLBACKEND="Agg")
    # `python examples/x.py` puts examples/ first on sys.path, not the repo
    # root; prepend the root so the script imports the same sknn as the rest
    # of the suite (which `python -m pytest` runs from the root).
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p
    )
    return subprocess.run(
        [sys.executable, str(path)],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_to_completion(path):
    result = run_example(path)
    assert result.returncode == 0, (
        f"{path.name} exited with {result.returncode}\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )
    for text in EXPECTED_STDOUT.get(path.name, ()):
        assert text in result.stdout, f"{text!r} missing from output:\n{result.stdout}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_docstring_opens_with_an_underlined_title(path):
    # sphinx-gallery takes the title from the module docstring's first line,
    # underlined with "=".
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
    assert docstring, f"{path.name} has no module docstring"
    title, underline, *_ = docstring.splitlines() + ["", ""]
    assert title.strip(), f"{path.name}: docstring does not start with a title"
    assert underline and set(underline) == {"="}, f"{path.name}: title not underlined with '='"
    assert len(underline) >= len(title), f"{path.name}: underline shorter than title"


def test_examples_directory_is_not_empty():
    assert EXAMPLES, "no examples/*.py found; the glob above would test nothing"
