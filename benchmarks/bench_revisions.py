"""Training speed of two checkouts of sknn, measured in one run.

For a refactoring that must not slow training down: each workload is fitted
with the sknn of ``--before`` and with the sknn of ``--after`` (any two
checkouts, e.g. a ``git worktree`` of the old commit), alternating, in fresh
processes with one BLAS thread, and the medians of ``--repeats`` runs are
compared. Alternating makes machine noise hit both alike; the ratio
``after / before`` is the number to read.

    git worktree add /tmp/sknn-before <old commit>
    python benchmarks/bench_revisions.py --before /tmp/sknn-before --after .

The workloads are bench_mlp.py's network (784-300-100, three batch sizes,
both dtypes, adam and sgd), a small network where per-step overhead
dominates, and a default DeepNetClassifier block.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

WORKLOADS = [
    dict(kind="mlp", n=6000, d=784, hidden=[300, 100], batch=32, dtype="float32", epochs=2),
    dict(kind="mlp", n=6000, d=784, hidden=[300, 100], batch=200, dtype="float32", epochs=3),
    dict(kind="mlp", n=6000, d=784, hidden=[300, 100], batch=1024, dtype="float64", epochs=3),
    dict(kind="mlp", n=6000, d=784, hidden=[300, 100], batch=200, dtype="float64", epochs=3,
         solver="sgd"),
    dict(kind="mlp", n=20000, d=40, hidden=[100], batch=200, dtype="float64", epochs=3),
    dict(kind="deep", n=6000, d=40, hidden=[100], batch=64, dtype="float32", epochs=3),
]

# Run in a fresh interpreter with the checkout first on sys.path: prints seconds per epoch.
TIME_ONE_FIT = """
import json, sys, time, warnings
import numpy as np
from threadpoolctl import threadpool_limits
from sknn import DeepNetClassifier, MLPClassifier
warnings.simplefilter("ignore")
w = json.loads(sys.argv[1])
rng = np.random.default_rng(0)
X = rng.normal(size=(w["n"], w["d"])).astype(w["dtype"])
y = rng.integers(0, 10, size=w["n"])
if w["kind"] == "mlp":
    model = MLPClassifier(hidden_layer_sizes=tuple(w["hidden"]), batch_size=w["batch"],
                          max_iter=w["epochs"], tol=0, n_iter_no_change=10**6, random_state=0,
                          solver=w.get("solver", "adam"))
else:
    model = DeepNetClassifier(n_hidden=3, n_neurons=w["hidden"][0], batch_size=w["batch"],
                              max_iter=w["epochs"], random_state=0)
with threadpool_limits(1):
    start = time.perf_counter()
    model.fit(X, y)
    print((time.perf_counter() - start) / w["epochs"])
"""


def seconds_per_epoch(checkout, workload):
    env = dict(os.environ, PYTHONPATH=os.path.abspath(checkout))
    result = subprocess.run([sys.executable, "-c", TIME_ONE_FIT, json.dumps(workload)],
                            cwd=checkout, env=env, capture_output=True, text=True, check=True)
    return float(result.stdout.split()[-1])


def label(workload):
    solver = workload.get("solver", "adam" if workload["kind"] == "mlp" else "nadam")
    widths = "-".join(str(width) for width in [workload["d"], *workload["hidden"]])
    return (f"{workload['kind']} {widths} batch {workload['batch']} {workload['dtype']} "
            f"{solver}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="checkout of the old sknn")
    parser.add_argument("--after", default=".", help="checkout of the new sknn")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print("| workload | before s/epoch | after s/epoch | after / before |")
    print("|---|---|---|---|")
    for workload in WORKLOADS:
        times = {"before": [], "after": []}
        for _ in range(args.repeats):
            for name in times:
                times[name].append(seconds_per_epoch(getattr(args, name), workload))
        before, after = (statistics.median(times[name]) for name in ("before", "after"))
        print(f"| {label(workload)} | {before:.4f} | {after:.4f} | {after / before:.3f} |",
              flush=True)


if __name__ == "__main__":
    main()
