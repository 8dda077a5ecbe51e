"""Peak memory of training, as a multiple of the size of X.

Each contender trains in a fresh Python process, so one run's arrays and
caches cannot lower or raise another's numbers. In that process, after the
imports (the interpreter's baseline), the benchmark starts ``tracemalloc``
(NumPy reports its array buffers to it), creates ``X`` (float32, 200,000 x
784 by default, standard normal) and 10-class labels, and fits a small
network for a fixed number of epochs (``tol=0``, no early exit). It reports:

* **traced peak / X**: the highest total of traced allocations during
  ``fit``, X itself (and y) included, divided by ``X.nbytes``. 1.0 would mean training allocated
  nothing beyond the data; every full copy of X adds 1.0.
* **RSS peak / X**: ``ru_maxrss`` (the process's resident high-water mark)
  minus the resident size at the baseline, divided by ``X.nbytes``. This
  also counts what tracemalloc cannot see (BLAS buffers, allocator slack).

The target (issue 8) is a peak below 3x the size of X. ``--dtype float64``
feeds float64 data instead (the cast to the network's float32 is then the
one copy DeepNetClassifier makes; the MLPs train in float64 then).

Run from the repository root::

    python benchmarks/bench_memory.py            # 200,000 x 784, 2 epochs
    python benchmarks/bench_memory.py --quick    # 20,000 x 784, 1 epoch
"""

import argparse
import json
import platform
import subprocess
import sys

CONTENDERS = {
    "MLPClassifier": "MLPClassifier(hidden_layer_sizes=(64,), max_iter={epochs}, tol=0.0, "
                     "n_iter_no_change=10**6, random_state=0)",
    "MLPClassifier early_stopping": "MLPClassifier(hidden_layer_sizes=(64,), "
                                    "max_iter={epochs}, tol=0.0, n_iter_no_change=10**6, "
                                    "early_stopping=True, random_state=0)",
    "DeepNetClassifier": "DeepNetClassifier(n_hidden=2, n_neurons=64, batch_size=256, "
                         "max_iter={epochs}, tol=0.0, n_iter_no_change=10**6, random_state=0)",
}

# Runs in a fresh interpreter; prints one JSON line.
_CHILD = """
import gc, json, resource, time, tracemalloc, warnings
import numpy as np
import sknn
from sknn import MLPClassifier, DeepNetClassifier

def resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()

warnings.simplefilter("ignore")
gc.collect()
baseline_rss = resident_bytes()
tracemalloc.start()
rng = np.random.default_rng(0)
X = rng.standard_normal(({n_samples}, {n_features}), dtype=np.dtype("{dtype}"))
y = rng.integers(0, 10, {n_samples})
after_data = tracemalloc.get_traced_memory()[0]
tracemalloc.reset_peak()  # the peak of fit, X and y included (they are allocated)
estimator = {constructor}
start = time.perf_counter()
estimator.fit(X, y)
seconds = time.perf_counter() - start
current, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps(dict(x_bytes=X.nbytes, data_bytes=after_data, traced_peak=peak,
                      rss_peak=max_rss - baseline_rss, seconds=seconds,
                      epochs=estimator.n_iter_)))
"""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-samples", type=int, default=200_000)
    parser.add_argument("--n-features", type=int, default=784)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--contenders", default=",".join(CONTENDERS),
                        help="comma list of: " + ", ".join(CONTENDERS))
    parser.add_argument("--quick", action="store_true", help="20,000 samples, 1 epoch")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_samples, args.epochs = 20_000, 1
    return args


def measure(name, args):
    code = _CHILD.format(n_samples=args.n_samples, n_features=args.n_features,
                         dtype=args.dtype,
                         constructor=CONTENDERS[name].format(epochs=args.epochs))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{result.stderr}")
    row = json.loads(result.stdout.strip().splitlines()[-1])
    row["contender"] = name
    return row


def main(argv=None):
    args = parse_args(argv)
    rows = [measure(name, args) for name in args.contenders.split(",")]
    x_mb = rows[0]["x_bytes"] / 2**20
    print(f"X: {args.n_samples:,} x {args.n_features} {args.dtype} = {x_mb:.0f} MiB; "
          f"{args.epochs} epoch(s); Python {platform.python_version()}, "
          f"{platform.machine()}")
    print(f"| {'contender':<30} | traced peak / X | RSS peak / X | traced peak MiB | s |")
    print(f"|{'-' * 32}|-----------------|--------------|-----------------|---|")
    for row in rows:
        x = row["x_bytes"]
        print(f"| {row['contender']:<30} | {row['traced_peak'] / x:15.2f} | "
              f"{row['rss_peak'] / x:12.2f} | {row['traced_peak'] / 2**20:15.0f} | "
              f"{row['seconds']:.1f} |")
    if args.json:
        with open(args.json, "w") as file:
            json.dump(dict(args=vars(args), rows=rows), file, indent=2)
    return rows


if __name__ == "__main__":
    main()
