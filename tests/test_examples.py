"""Every script in examples/ runs to completion in quick mode and draws its figures.

The scripts are found by glob, so a new example is covered without editing
this file. The examples carry no test plumbing: ``tests/_examples_harness.py``
runs each one with a few epochs per fit, headless (``MPLBACKEND=Agg``), and
saves every figure left open into a fresh temporary directory. An example
that imports matplotlib must leave at least one figure there, none of them
blank.

Importing NumPy, SciPy, scikit-learn, sknn and matplotlib costs about 1.5 s
of CPU, most of a quick example's run. Where ``os.fork`` exists, one server
process (this file run as a script) imports them once and forks a fresh
child per example, which runs the script as ``python examples/x.py`` would
(``__main__``, its own sys.argv, environment, working directory and output
streams). Elsewhere, or with ``SKNN_EXAMPLES_NO_FORK=1``, every example gets
a new interpreter.
"""

import ast
import functools
import inspect
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

# the harness also runs as a script (and in forked children) by its own name
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _examples_harness import (  # noqa: E402
    NETWORK_BUDGET,
    SEARCH_BUDGET,
    budgeted_fits,
    budgeted_methods,
    quick_mode,
)
from _optional import installed  # noqa: E402

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
HARNESS = TESTS_DIR / "_examples_harness.py"
EXAMPLES = sorted((REPO_ROOT / "examples").glob("*.py"))
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Quick mode promises a smoke run of a few seconds; this is a generous bound
# for a loaded machine, there to catch a knob quick mode does not lower.
QUICK_SECONDS = 60
EXAMPLE_TIMEOUT = 300

# Text an example's stdout must contain, beyond exiting cleanly.
EXPECTED_STDOUT = {
    "quickstart.py": ("sknn", "scikit-learn", "test score", "fit seconds"),
    "gpu_backend.py": ("backend='numpy'",),
    "saving_and_loading.py": ("identical predictions: True",),
    "lr_range_test.py": ("suggested rate",),
    "mc_dropout_uncertainty.py": ("misclassified",),
    "checkpointed_pruned_search.py": ("trials pruned", "its checkpoint", "test accuracy"),
}


def example_environment():
    env = dict(os.environ, MPLBACKEND="Agg")
    # `python examples/x.py` puts examples/ first on sys.path, not the repo
    # root; prepend the root so the script imports the same sknn as the rest
    # of the suite (which `python -m pytest` runs from the root).
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), env.get("PYTHONPATH")) if p
    )
    return env


def run_in_new_interpreter(path, output_dir):
    """(returncode, stdout, stderr) of the example run by the harness in a new Python."""
    result = subprocess.run([sys.executable, str(HARNESS), str(path), str(output_dir)],
                            cwd=REPO_ROOT, env=example_environment(),
                            stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=EXAMPLE_TIMEOUT)
    return result.returncode, result.stdout, result.stderr


# -- the fork server ----------------------------------------------------------
PRELOADED = ("numpy", "scipy.stats", "sklearn.model_selection", "sklearn.datasets",
             "sklearn.pipeline", "sklearn.preprocessing", "sklearn.metrics", "sknn",
             "matplotlib.pyplot", "_examples_harness")


def _run_forked_child(request, warning_filters):
    """In the forked child: run one example through the harness; never returns."""
    import signal
    import traceback
    import warnings

    import _examples_harness

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
        warnings.filters[:] = warning_filters  # as a fresh interpreter starts
        _examples_harness.run_example(request["path"], request["output_dir"])
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
    sys.modules["_examples_harness"].budgeted_fits()  # imports what quick mode patches
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
            env=example_environment(), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True)
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("the example fork server failed to start")

    def run(self, path, output_dir):
        """(returncode, stdout, stderr) of the example run in a forked child."""
        logs = Path(output_dir).parent
        request = {"path": str(path), "output_dir": str(output_dir),
                   "env": example_environment(),
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


def imported_modules(path):
    """Top-level names of every module ``path`` imports (absolute imports)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


#: Optional integrations an example may import; without one it is skipped.
OPTIONAL_PACKAGES = {"optuna", "optuna_integration", "skopt", "torch", "onnx", "skl2onnx",
                     "onnxruntime", "skops", "dask"}


def draws_figures(path):
    return "matplotlib.pyplot" in imported_modules(path)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_and_draws_its_figures(path, tmp_path, run_example):
    missing = sorted(name for name in OPTIONAL_PACKAGES & {module.split(".")[0] for module in
                                                           imported_modules(path)}
                     if not installed(name))
    if missing:
        pytest.skip(f"{path.name} needs {', '.join(missing)} (the test extra installs them)")
    output_dir = tmp_path / "figures"
    output_dir.mkdir()
    start = time.perf_counter()
    returncode, stdout, stderr = run_example(path, output_dir)
    seconds = time.perf_counter() - start
    report = f"--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
    assert returncode == 0, f"{path.name} exited with {returncode}\n{report}"
    for text in EXPECTED_STDOUT.get(path.name, ()):
        assert text in stdout, f"{text!r} missing from output:\n{stdout}"

    pngs = sorted(output_dir.glob("*.png"))
    if draws_figures(path):
        assert pngs, f"{path.name} imports matplotlib.pyplot but left no figure open\n{report}"
    else:
        assert not pngs, f"{path.name} drew figures without importing matplotlib.pyplot"
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


# What the harness and sphinx-gallery arrange from outside; a reader copying
# an example should not have to delete any of it.
TEST_PLUMBING = {
    "SKNN_EXAMPLE": "an environment switch for the tests",
    "environ": "environment-variable plumbing",
    "getenv": "environment-variable plumbing",
    "matplotlib.use(": "a backend choice (the test suite sets MPLBACKEND)",
    "savefig": "figure files (the harness and sphinx-gallery save the figures)",
    "plt.close(": "closing a figure before anyone can see it",
    "noqa": "a linter override",
}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_reads_like_a_gallery_script(path):
    source = path.read_text(encoding="utf-8")
    found = [f"{text!r} ({why})" for text, why in TEST_PLUMBING.items() if text in source]
    assert not found, f"{path.name} contains test plumbing: {', '.join(found)}"
    if draws_figures(path):
        # run from a terminal, the figures would otherwise never appear
        assert "plt.show()" in source, f"{path.name} draws figures but never calls plt.show()"


# -- quick mode ---------------------------------------------------------------
NETWORK_CLASSES = [cls for cls, budget in budgeted_fits() if budget is NETWORK_BUDGET]


def small_problem():
    from sklearn.datasets import make_classification

    return make_classification(n_samples=60, n_features=4, random_state=0)


@pytest.mark.parametrize("cls", NETWORK_CLASSES, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_quick_mode_caps_the_epochs_of_every_network(cls):
    X, y = small_problem()
    # a rule that never stops early: only the budget can end training
    params = {"max_iter": 50, "tol": 0.0, "n_iter_no_change": 50}
    estimator = cls(**{name: value for name, value in params.items()
                       if name in cls().get_params()})
    with quick_mode():
        estimator.fit(X, y)
    assert estimator.get_params()["max_iter"] == NETWORK_BUDGET["max_iter"]
    curves = getattr(estimator, "loss_curves_", None) or [estimator.loss_curve_]
    assert all(len(curve) <= NETWORK_BUDGET["max_iter"] for curve in curves)


def test_quick_mode_caps_the_candidates_of_a_randomized_search():
    from scipy.stats import loguniform
    from sklearn.model_selection import RandomizedSearchCV

    from sknn import MLPClassifier

    X, y = small_problem()
    search = RandomizedSearchCV(MLPClassifier(max_iter=50), {"alpha": loguniform(1e-5, 1e-1)},
                                n_iter=10, cv=2, random_state=0)
    with quick_mode():
        search.fit(X, y)
    assert len(search.cv_results_["params"]) == SEARCH_BUDGET["n_iter"]


def test_quick_mode_runs_parallel_work_in_this_process():
    # joblib's worker processes would import the unpatched estimators
    from joblib import Parallel, delayed

    with quick_mode():
        pids = Parallel(n_jobs=2)(delayed(os.getpid)() for _ in range(4))
    assert set(pids) == {os.getpid()}


@pytest.mark.parametrize("cls, name, budget", budgeted_methods(),
                         ids=lambda value: getattr(value, "__name__", value))
def test_quick_mode_lowers_the_arguments_of_budgeted_methods(cls, name, budget, monkeypatch):
    original = getattr(cls, name)
    signature = inspect.signature(original)
    received = []

    @functools.wraps(original)
    def record_arguments(*args, **kwargs):
        received.append(signature.bind(*args, **kwargs).arguments)

    monkeypatch.setattr(cls, name, record_arguments)
    many = {argument: 100 * cap for argument, cap in budget.items()}
    with quick_mode():
        getattr(cls(), name)(None, **many)  # given as keywords
        getattr(cls(), name)(None)  # left at their defaults
    for arguments in received:
        assert {argument: arguments[argument] for argument in budget} == budget


def test_quick_mode_is_undone_on_exit():
    patched = [(cls, "fit") for cls, _ in budgeted_fits()]
    patched += [(cls, name) for cls, name, _ in budgeted_methods()]
    own = {(cls, name): cls.__dict__.get(name) for cls, name in patched}
    with quick_mode():
        assert all(cls.__dict__.get(name) is not own[cls, name] for cls, name in patched)
    assert {(cls, name): cls.__dict__.get(name) for cls, name in patched} == own

    from sklearn.exceptions import ConvergenceWarning

    from sknn import MLPClassifier

    X, y = small_problem()
    with pytest.warns(ConvergenceWarning):  # quick mode's filter is gone too
        estimator = MLPClassifier(max_iter=5, n_iter_no_change=5, tol=0.0).fit(X, y)
    assert estimator.n_iter_ == 5


def test_examples_directory_is_not_empty():
    assert EXAMPLES, "no examples/*.py found; the glob above would test nothing"


if __name__ == "__main__" and sys.argv[1:] == ["--serve"]:
    serve()
