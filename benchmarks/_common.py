"""Helpers shared by the benchmark scripts: data, timing, machine records, results files.

The scripts run as ``python benchmarks/bench_x.py``, which puts this folder on
``sys.path``, so they import this module as ``_common``.
"""

import contextlib
import datetime
import hashlib
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy
import sklearn
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info, threadpool_limits

import sknn

RESULTS_DIR = Path(__file__).resolve().parent / "results"


# --------------------------------------------------------------------------- #
# Command line
# --------------------------------------------------------------------------- #
def comma_list(cast):
    """argparse type: ``comma_list(int)`` turns ``"32,200"`` into ``[32, 200]``."""
    return lambda text: [cast(item) for item in text.split(",") if item.strip()]


# --------------------------------------------------------------------------- #
# Data, timing and PyTorch
# --------------------------------------------------------------------------- #
def classification_data(n_samples, n_features, n_classes, seed):
    """Fixed-seed multi-class problem; labels are int64 so torch can use them as is."""
    X, y = make_classification(
        n_samples=n_samples, n_features=n_features, n_informative=min(64, n_features // 2),
        n_redundant=0, n_classes=n_classes, n_clusters_per_class=1, random_state=seed,
    )
    return X, y.astype(np.int64)


def timed_fit(estimator, X, y):
    """Wall seconds of ``estimator.fit(X, y)``.

    The benchmarks stop at ``max_iter`` on purpose, so the ConvergenceWarning
    says nothing there and is silenced.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        estimator.fit(X, y)
        return time.perf_counter() - start


def import_torch(skip):
    """Return (torch module or None, note saying why it is missing)."""
    if skip:
        return None, "torch skipped (--skip-torch)"
    try:
        import torch
    except ImportError as exc:
        return None, f"torch column skipped: import failed ({exc})"
    return torch, ""


def torch_relu_mlp(torch, n_features, hidden, n_classes):
    """``nn.Sequential`` of Linear/ReLU blocks and a linear output layer (default init)."""
    sizes = [n_features, *hidden]
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out), torch.nn.ReLU()]
    layers.append(torch.nn.Linear(sizes[-1], n_classes))
    return torch.nn.Sequential(*layers)


# --------------------------------------------------------------------------- #
# Threads and machine records
# --------------------------------------------------------------------------- #
def available_cores():
    """Cores this process may run on (the affinity mask where the OS has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def blas_threads():
    """Thread count of NumPy's BLAS pool (torch's OpenMP pool may be listed first)."""
    blas = [lib for lib in threadpool_info() if lib["user_api"] == "blas"]
    return blas[0]["num_threads"] if blas else os.cpu_count()


def blas_limit(threads):
    """Limit every BLAS/OpenMP pool to `threads`; a falsy count leaves them as they are."""
    return threadpool_limits(limits=threads) if threads else contextlib.nullcontext()


def threadpools(keys):
    """One dict per thread pool threadpoolctl sees, with the fields named in `keys`."""
    return [{k: lib.get(k) for k in keys} for lib in threadpool_info()]


def now_iso():
    """Local date and time with its UTC offset, to the second."""
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def sknn_fingerprint():
    """Short digest of sknn's sources, to tie the numbers to the exact code measured."""
    root = Path(sknn.__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:12]


def library_versions(torch):
    """Versions of Python and the libraries measured; sknn's with its source digest."""
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "scipy": scipy.__version__, "scikit-learn": sklearn.__version__,
                "sknn": f"{sknn.__version__} (source {sknn_fingerprint()})"}
    if torch is not None:
        versions["torch"] = torch.__version__
    return versions


# --------------------------------------------------------------------------- #
# Report
# --------------------------------------------------------------------------- #
def fmt(value, spec=".4f", suffix=""):
    """``format(value, spec) + suffix``, or ``"n/a"`` for a missing value."""
    return "n/a" if value is None else format(value, spec) + suffix


def loadavg_line(when, loadavg=None):
    """Markdown bullet of the 1/5/15-minute load averages (now, unless given).

    Others' load on a small shared machine skews every timing: keep it on record.
    """
    loadavg = os.getloadavg() if loadavg is None else loadavg
    return f"- load average at {when}: " + ", ".join(f"{x:.2f}" for x in loadavg)


def title_lines(title, info, machine_details=""):
    """The report's first lines: ``# sknn <title> benchmark -- <date>`` and the machine."""
    return [f"# sknn {title} benchmark -- {info['date']}", "",
            f"- machine: {info['platform']}, nproc={info['nproc']}{machine_details}"]


def record_lines(info):
    """Load average at the start and the library versions, from a machine record."""
    return [loadavg_line("start", info["loadavg_start"]),
            "- versions: " + ", ".join(f"{k} {v}" for k, v in info["versions"].items())]


def write_results(results_dir, script, quick, markdown, options, machine, **sections):
    """Save ``<script>_<stamp>[_quick].json`` and ``.md`` in `results_dir`; return the stem.

    The JSON holds the command line, `options`, the `machine` record and every
    entry of `sections` (raw timings included); the Markdown file the report.
    """
    results_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = results_dir / f"{script}_{stamp}{'_quick' if quick else ''}"
    payload = {"command": " ".join(sys.argv), "options": options, "machine": machine,
               **sections}
    base.with_suffix(".json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    base.with_suffix(".md").write_text("\n".join(markdown) + "\n")
    return base

