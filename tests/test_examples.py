"""Every script in examples/ runs to completion in quick mode and saves a figure.

The scripts are found by glob, so a new example is covered without editing
this file.  Each runs in its own process, with ``SKNN_EXAMPLE_QUICK=1`` and
``SKNN_EXAMPLE_OUTPUT_DIR`` set to a fresh temporary directory, which must
then hold at least one PNG that is not blank.

Importing NumPy, SciPy, scikit-learn, sknn and matplotlib costs about 1.5 s
of CPU, most of a quick example's run. Where ``os.fork`` exists, one server
process (this file run as a script) imports them once and forks a fresh
child per example, which runs the script as ``python examples/x.py`` would
(``__main__``, its own sys.argv, environment, working directory and output
streams). Elsewhere, or with ``SKNN_EXAMPLES_NO_FORK=1``, every example gets
a new interpreter.
"""

import ast
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((REPO_ROOT / "examples").glob("*.py"))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Quick mode promises a smoke run of a few seconds; this is a generous bound
# for a loaded machine, there to catch an example that ignores the flag.
QUICK_SECONDS = 60
EXAMPLE_TIMEOUT = 300

# Text an example's stdout must contain, beyond exiting cleanly.
EXPECTED_STDOUT = {
    "quickstart.py": ("sknn", "scikit-learn"),
    "gpu_backend.py": ("backend='numpy'",),
    "saving_and_loading.py": ("identical predictions: True",),
    "lr_range_test.py": ("suggested rate",),
    "mc_dropout_uncertainty.py": ("misclassified",),
}


def example_environment(output_dir):
    env = dict(os.environ, SKNN_EXAMPLE_QUICK="1", MPLBACKEND="Agg",
               SKNN_EXAMPLE_OUTPUT_DIR=str(output_dir))
    # `python examples/x.py` puts examples/ first on sys.path, not the repo
    # root; prepend the root so the script imports the same sknn as the rest
    # of the suite (which `python -m pytest` runs from the root).
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p
    )
    return env


def run_in_new_interpreter(path, output_dir):
    """(returncode, stdout, stderr) of ``python path``."""
    result = subprocess.run([sys.executable, str(path)], cwd=REPO_ROOT,
                            env=example_environment(output_dir), stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=EXAMPLE_TIMEOUT)
    return result.returncode, result.stdout, result.stderr


# -- the fork server ----------------------------------------------------------
PRELOADED = ("numpy", "scipy.stats", "sklearn.model_selection", "sklearn.datasets",
             "sklearn.pipeline", "sklearn.preprocessing", "sklearn.metrics", "sknn",
             "matplotlib.pyplot")


def _run_forked_child(request, warning_filters):
    """In the forked child: run one example as ``__main__``; never returns."""
    import runpy
    import signal
    import traceback
    import warnings

    code = 1
    try:
        signal.alarm(EXAMPLE_TIMEOUT)  # the default action ends the child
        os.chdir(REPO_ROOT)
        os.environ.clear()
        os.environ.update(request["env"])
        for fd, name, mode in ((0, os.devnull, os.O_RDONLY),
                               (1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                               (2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
            os.dup2(os.open(name, mode, 0o644), fd)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        sys.argv = [request["path"]]
        sys.path[0] = os.path.dirname(request["path"])
        warnings.filters[:] = warning_filters  # as a fresh interpreter starts
        runpy.run_path(request["path"], run_name="__main__")
        code = 0
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
        if not isinstance(exit_.code, (int, type(None))):
            print(exit_.code, file=sys.stderr)
    except BaseException:  # noqa: BLE001 - report whatever the example raised
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve():
    """Preload the heavy modules, then fork one child per request line on stdin."""
    import importlib
    import warnings

    warning_filters = list(warnings.filters)
    os.environ.setdefault("MPLBACKEND", "Agg")
    for module in PRELOADED:
        importlib.import_module(module)
    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _run_forked_child(request, warning_filters)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}), flush=True)


class ForkServer:
    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve"], cwd=REPO_ROOT,
            env=example_environment(REPO_ROOT), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True)
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("the example fork server failed to start")

    def run(self, path, output_dir):
        """(returncode, stdout, stderr) of the example run in a forked child."""
        logs = Path(output_dir).parent
        request = {"path": str(path), "env": example_environment(output_dir),
                   "stdout": str(logs / "stdout.txt"), "stderr": str(logs / "stderr.txt")}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        reply = self.process.stdout.readline()
        if not reply:
            raise RuntimeError("the example fork server died")
        return (json.loads(reply)["returncode"],
                Path(request["stdout"]).read_text(errors="replace"),
                Path(request["stderr"]).read_text(errors="replace"))

    def close(self):
        self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def run_example():
    if not hasattr(os, "fork") or os.environ.get("SKNN_EXAMPLES_NO_FORK") == "1":
        yield run_in_new_interpreter
        return
    server = ForkServer()
    try:
        yield server.run
    finally:
        server.close()


def assert_not_blank(png_path):
    """The file is a PNG image with more than one colour in it."""
    plt = pytest.importorskip("matplotlib.pyplot")
    assert png_path.read_bytes()[:8] == PNG_SIGNATURE, f"{png_path.name} is not a PNG file"
    pixels = plt.imread(png_path)
    assert pixels.ndim == 3 and min(pixels.shape[:2]) >= 50, \
        f"{png_path.name}: unexpected image shape {pixels.shape}"
    assert pixels.reshape(-1, pixels.shape[2]).std(axis=0).max() > 0.01, \
        f"{png_path.name} is blank"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_and_saves_a_figure(path, tmp_path, run_example):
    output_dir = tmp_path / "figures"
    output_dir.mkdir()
    start = time.perf_counter()
    returncode, stdout, stderr = run_example(path, output_dir)
    seconds = time.perf_counter() - start
    report = f"--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
    assert returncode == 0, f"{path.name} exited with {returncode}\n{report}"
    for text in EXPECTED_STDOUT.get(path.name, ()):
        assert text in stdout, f"{text!r} missing from output:\n{stdout}"

    pngs = sorted(output_dir.rglob("*.png"))
    assert pngs, f"{path.name} saved no PNG into SKNN_EXAMPLE_OUTPUT_DIR\n{report}"
    for png in pngs:
        assert_not_blank(png)
    assert seconds < QUICK_SECONDS, f"{path.name} took {seconds:.0f} s in quick mode"


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


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_honours_the_output_directory(path):
    # Figures must go where the test (and sphinx-gallery's users) ask, so
    # every example reads SKNN_EXAMPLE_OUTPUT_DIR and names the quick flag.
    source = path.read_text(encoding="utf-8")
    assert "SKNN_EXAMPLE_OUTPUT_DIR" in source, f"{path.name} ignores SKNN_EXAMPLE_OUTPUT_DIR"
    assert "SKNN_EXAMPLE_QUICK" in source, f"{path.name} has no quick mode"


def test_examples_directory_is_not_empty():
    assert EXAMPLES, "no examples/*.py found; the glob above would test nothing"


if __name__ == "__main__" and sys.argv[1:] == ["--serve"]:
    serve()
