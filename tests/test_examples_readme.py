"""The README's first command works on a machine with only Python and pip.

README.md opens with ``pip install . && python examples/quickstart.py``. The
scripts that line runs may import only what that ``pip install`` brings: the
standard library, sknn, the core dependencies of pyproject.toml and those of
any extra the command names (``".[test]"``). A plotting import there would
fail with ModuleNotFoundError right after a successful install.
"""

import ast
import importlib.metadata
import re
import shlex
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
README = REPO_ROOT / "README.md"
PYPROJECT = REPO_ROOT / "pyproject.toml"
PYTHONS = {"python", "python3", sys.executable}


def readme_commands():
    """The lines of README.md's first ```bash block."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index("```bash") + 1
    end = lines.index("```", start)
    return [line for line in lines[start:end] if line.strip()]


def parse_command_line(line):
    """``(requirement targets of pip install, scripts run with python)`` of one line."""
    targets, scripts = [], []
    for command in re.split(r"&&|;|\|\|", line):
        words = shlex.split(command)
        if words[:2] == ["pip", "install"] or words[1:4] == ["-m", "pip", "install"]:
            start = 2 if words[0] == "pip" else 4
            targets += [word for word in words[start:] if not word.startswith("-")]
        elif words and words[0] in PYTHONS and len(words) > 1 and words[1].endswith(".py"):
            scripts.append(REPO_ROOT / words[1])
    return targets, scripts


def distribution_name(requirement):
    """``'scikit-learn'`` of ``'scikit-learn>=1.6'``; ``'dask'`` of ``'dask[distributed]>=1'``."""
    return canonical(re.match(r"[A-Za-z0-9._-]+", requirement).group())


def canonical(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_distributions(targets):
    """Canonical names of the distributions ``pip install TARGETS`` brings from this checkout."""
    tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python 3.11")
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    names = set()
    for target in targets:
        match = re.fullmatch(r"\.(?:\[([\w,-]+)\])?", target)
        assert match, f"README installs {target!r}, not this checkout ('.' or '.[extra]')"
        requirements = list(project["dependencies"])
        for extra in filter(None, (match.group(1) or "").split(",")):
            requirements += project["optional-dependencies"][extra]
        names |= {distribution_name(requirement) for requirement in requirements}
    return names


def import_names(distributions):
    """Top-level module names the distributions provide (``scikit-learn`` -> ``sklearn``)."""
    provided = {canonical(distribution): set() for distribution in distributions}
    for module, owners in importlib.metadata.packages_distributions().items():
        for owner in owners:
            if canonical(owner) in provided:
                provided[canonical(owner)].add(module)
    # a distribution not installed here: its name is the usual guess
    return {module for distribution, modules in provided.items()
            for module in modules or {distribution.replace("-", "_")}}


def imported_top_level_modules(path):
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_readme_opens_with_an_install_and_run_command():
    targets, scripts = parse_command_line(readme_commands()[0])
    assert targets, "the first README command installs nothing"
    assert scripts, "the first README command runs no script"
    for script in scripts:
        assert script.is_file(), f"the first README command runs {script}, which does not exist"


def test_scripts_of_the_first_readme_command_import_only_what_it_installs():
    targets, scripts = parse_command_line(readme_commands()[0])
    allowed = set(sys.stdlib_module_names) | {"sknn"}
    allowed |= import_names(installed_distributions(targets))
    for script in scripts:
        missing = sorted(imported_top_level_modules(script) - allowed)
        assert not missing, (
            f"{script.relative_to(REPO_ROOT)} imports {missing}, which "
            f"`{readme_commands()[0]}` does not install")


def test_command_parser_finds_installs_extras_and_scripts():
    targets, scripts = parse_command_line(
        'pip install ".[test]" && python examples/a.py; python -m pytest -n 2')
    assert targets == [".[test]"]
    assert scripts == [REPO_ROOT / "examples" / "a.py"]
    assert parse_command_line("python -m pip install -U . && python3 b.py") == (
        ["."], [REPO_ROOT / "b.py"])


def test_extras_add_their_dependencies_and_sklearn_maps_to_its_import_name():
    core = installed_distributions(["."])
    assert {"numpy", "scikit-learn"} <= core and "matplotlib" not in core
    assert "matplotlib" in installed_distributions([".[plot]"])
    assert "sklearn" in import_names({"scikit-learn"})
