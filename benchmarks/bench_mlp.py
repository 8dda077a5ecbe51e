"""Training-speed benchmark: sknn.MLPClassifier vs scikit-learn, PyTorch and a GEMM floor.

For every (batch size, dtype) pair, one run on the same data times:

* ``sklearn`` -- ``sklearn.neural_network.MLPClassifier``;
* ``sknn``    -- ``sknn.MLPClassifier`` with the identical constructor;
* ``torch``   -- a minimal hand-written PyTorch CPU training loop;
* ``floor``   -- only the 8 matrix products (3 forward, 5 backward) of each
  minibatch, done with ``np.dot`` into preallocated buffers.  No real trainer
  can beat it, so ``sknn / floor`` shows how much time goes elsewhere.

The metric is seconds per epoch: the wall time of the whole ``fit`` (or the
whole torch loop / GEMM sweep) divided by the number of epochs run.  One
uniform method for every contender; the price is that the first epoch's
share includes setup (input validation, weight init, buffer allocation).
Each measurement is repeated and the median is reported.  The contenders
are interleaved inside every repeat so machine noise hits them alike.

A second section times sklearn and sknn on a small problem with the BLAS
pool limited to 1 versus 2 threads.

Run ``python benchmarks/bench_mlp.py --help`` for the options.
"""

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier
from threadpoolctl import threadpool_limits

from _common import (RESULTS_DIR, available_cores, blas_limit, blas_threads, classification_data,
                     comma_list, fmt, import_torch, library_versions, loadavg_line, now_iso,
                     record_lines, threadpools, timed_fit, title_lines, torch_relu_mlp,
                     write_results)
from sknn import MLPClassifier as SknnMLPClassifier

N_FEATURES = 784
N_CLASSES = 10
HIDDEN = (300, 100)
LEARNING_RATE = 1e-3
SEED = 0
THREAD_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")

# The goals sknn is held to: (min speedup vs sklearn, max ratio to the floor)
# per batch size, and it should beat the torch loop everywhere.
TARGETS = {32: (2.0, 2.5), 200: (1.5, 1.8), 1024: (1.25, 1.3)}

# OpenBLAS worker threads keep spinning ~0.1 s after a product; a torch run
# started inside that window measured 60-100 ms slower. Pause between runs.
SETTLE_SECONDS = 0.3

# The small problem of the "blas threads" section.
THREADS_SECTION = dict(n_samples=20_000, n_features=40, hidden=(100,), batch_size=200)


# --------------------------------------------------------------------------- #
# Command line
# --------------------------------------------------------------------------- #
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per fit (default 3)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats; medians are reported")
    parser.add_argument("--batch-sizes", type=comma_list(int), default=[32, 200, 1024])
    parser.add_argument("--dtypes", type=comma_list(np.dtype), default=["float32", "float64"])
    parser.add_argument("--n-samples", type=int, default=20_000)
    parser.add_argument(
        "--threads", type=int, default=None,
        help="BLAS and torch thread count (default: leave the BLAS pool as it is)",
    )
    parser.add_argument("--skip-torch", action="store_true", help="leave out the torch loop")
    parser.add_argument(
        "--skip-threads-section", action="store_true", help="leave out the 'blas threads' section"
    )
    parser.add_argument(
        "--quick", action="store_true",
        help="smoke run: 2,000 samples, 1 epoch, 1 repeat (overrides those options)",
    )
    args = parser.parse_args(argv)
    args.dtypes = [np.dtype(dt) for dt in args.dtypes]
    if args.quick:
        args.n_samples, args.epochs, args.repeats = 2_000, 1, 1
    return args


# --------------------------------------------------------------------------- #
# Data and estimators
# --------------------------------------------------------------------------- #
def make_data(n_samples, n_features):
    """Fixed-seed 10-class problem; labels are int64 so torch can use them as is."""
    return classification_data(n_samples, n_features, N_CLASSES, SEED)


def estimator_params(batch_size, epochs, hidden=HIDDEN):
    """One constructor for sklearn and sknn: exactly `epochs` epochs, no early stop."""
    return dict(
        hidden_layer_sizes=hidden, activation="relu", solver="adam",
        learning_rate_init=LEARNING_RATE, batch_size=batch_size, max_iter=epochs,
        tol=0.0, n_iter_no_change=np.inf, early_stopping=False, shuffle=True,
        random_state=SEED,
    )


def time_estimator(cls, X, y, batch_size, epochs, hidden=HIDDEN):
    """Seconds per epoch of one ``fit``: whole fit wall time / ``n_iter_``."""
    estimator = cls(**estimator_params(batch_size, epochs, hidden))
    elapsed = timed_fit(estimator, X, y)
    n_iter = getattr(estimator, "n_iter_", epochs)
    if n_iter != epochs:
        print(f"  note: {cls.__module__} ran {n_iter} epochs, not {epochs}", file=sys.stderr)
    return elapsed / n_iter


# --------------------------------------------------------------------------- #
# PyTorch loop
# --------------------------------------------------------------------------- #
def build_torch_model(torch, dtype, n_features=N_FEATURES, hidden=HIDDEN):
    model = torch_relu_mlp(torch, n_features, hidden, N_CLASSES)
    return model.to(getattr(torch, dtype.name))


def time_torch(torch, X, y, batch_size, epochs):
    """Seconds per epoch of a plain Adam loop, setup included as for ``fit``."""
    torch.manual_seed(SEED)
    start = time.perf_counter()
    X_all, y_all = torch.from_numpy(X), torch.from_numpy(y)  # zero-copy views
    model = build_torch_model(torch, X.dtype, X.shape[1])
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    n_samples = len(X_all)
    for _ in range(epochs):
        order = torch.randperm(n_samples)
        for begin in range(0, n_samples, batch_size):
            idx = order[begin:begin + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss_fn(model(X_all[idx]), y_all[idx]).backward()
            optimizer.step()
    return (time.perf_counter() - start) / epochs


# --------------------------------------------------------------------------- #
# GEMM floor
# --------------------------------------------------------------------------- #
def floor_buffers(batch_size, dtype):
    """Weights, forward outputs Z, backward deltas D, input grads dX and weight grads dW."""
    rng = np.random.default_rng(SEED)
    sizes = [N_FEATURES, *HIDDEN, N_CLASSES]
    pairs = list(zip(sizes[:-1], sizes[1:]))
    # Scaled like a real init so the chained products stay finite in float32.
    W = [(rng.standard_normal((a, b)) / np.sqrt(a)).astype(dtype) for a, b in pairs]
    Z = [np.empty((batch_size, b), dtype) for _, b in pairs]
    D = [rng.standard_normal((batch_size, b)).astype(dtype) for _, b in pairs]
    dX = [np.empty((batch_size, a), dtype) for a, _ in pairs[1:]]
    dW = [np.empty_like(w) for w in W]
    return W, Z, D, dX, dW


def floor_plan(buffers, rows):
    """Operand tuples for a batch of `rows` rows; views built once, not per batch."""
    W, Z, D, dX, dW = buffers
    Z, D, dX = [z[:rows] for z in Z], [d[:rows] for d in D], [g[:rows] for g in dX]
    forward = [(Z[0], W[1], Z[1]), (Z[1], W[2], Z[2])]  # layer 0 takes the X batch
    backward = [(Z[1].T, D[2], dW[2]), (D[2], W[2].T, dX[1]),
                (Z[0].T, D[1], dW[1]), (D[1], W[1].T, dX[0])]
    return W[0], Z[0], D[0], dW[0], forward, backward


def floor_epoch(X, batch_size, buffers):
    """The 8 GEMMs of every minibatch of one epoch: 3 forward, dW x3, dX x2."""
    plans = {}
    for begin in range(0, len(X), batch_size):
        x = X[begin:begin + batch_size]
        if len(x) not in plans:
            plans[len(x)] = floor_plan(buffers, len(x))
        W0, Z0, D0, dW0, forward, backward = plans[len(x)]
        np.dot(x, W0, out=Z0)
        for a, b, out in forward:
            np.dot(a, b, out=out)
        for a, b, out in backward:
            np.dot(a, b, out=out)
        np.dot(x.T, D0, out=dW0)


def time_floor(X, y, batch_size, epochs):
    """Seconds per epoch of the GEMMs alone (`y` is unused: same signature as the others)."""
    buffers = floor_buffers(batch_size, X.dtype)  # allocation is not part of the floor
    start = time.perf_counter()
    for _ in range(epochs):
        floor_epoch(X, batch_size, buffers)
    return (time.perf_counter() - start) / epochs


# --------------------------------------------------------------------------- #
# Main table
# --------------------------------------------------------------------------- #
def contenders(torch):
    """name -> callable(X, y, batch_size, epochs) returning seconds per epoch."""
    table = {
        "sklearn": lambda X, y, b, e: time_estimator(SklearnMLPClassifier, X, y, b, e),
        "sknn": lambda X, y, b, e: time_estimator(SknnMLPClassifier, X, y, b, e),
    }
    if torch is not None:
        table["torch"] = lambda X, y, b, e: time_torch(torch, X, y, b, e)
        table["sknn-torch"] = lambda X, y, b, e: time_estimator(_sknn_torch, X, y, b, e)
    table["floor"] = time_floor
    return table


def _sknn_torch(**params):
    """sknn's MLPClassifier on its PyTorch engine (CPU)."""
    return SknnMLPClassifier(backend="torch", device="cpu", **params)


def warm_up(runners, X, y):
    """One untimed tiny run each, so lazy imports and thread-pool start-up miss repeat 1."""
    for run in runners.values():
        run(np.ascontiguousarray(X[:256]), y[:256], 32, 1)


def run_config(runners, X, y, batch_size, dtype, args):
    """Interleaved repeats of one (batch, dtype) pair -> {name: [s/epoch, ...]}."""
    X = np.ascontiguousarray(X, dtype=dtype)  # cast once, outside the timings
    times = {name: [] for name in runners}
    for repeat in range(args.repeats):
        for name, run in runners.items():
            time.sleep(SETTLE_SECONDS)
            times[name].append(run(X, y, batch_size, args.epochs))
        print(f"  batch {batch_size:>5} {dtype.name} repeat {repeat + 1}/{args.repeats}: "
              + ", ".join(f"{n} {t[-1]:.3f}s" for n, t in times.items()), flush=True)
    return times


def ratio(numerator, denominator):
    return None if numerator is None or denominator is None else numerator / denominator


def summarize(batch_size, dtype, times):
    """One table row: medians and the three ratios (None where a column is missing)."""
    med = {name: statistics.median(times[name]) if name in times else None
           for name in ("sklearn", "sknn", "torch", "floor", "sknn-torch")}
    return {
        "batch": batch_size, "dtype": dtype.name, **med,
        "sklearn/sknn": ratio(med["sklearn"], med["sknn"]),
        "torch/sknn": ratio(med["torch"], med["sknn"]),
        "sknn/floor": ratio(med["sknn"], med["floor"]),
        "sknn-torch/torch": ratio(med["sknn-torch"], med["torch"]),
        "raw": times,
    }


# --------------------------------------------------------------------------- #
# "blas threads" section
# --------------------------------------------------------------------------- #
def threads_section(args):
    """sklearn and sknn on a small problem, BLAS limited to 1 vs 2 threads.

    sknn may pick its own, tighter limit for small networks inside ``fit``;
    an outer limit of 2 then does not reach it (equal sknn rows show that).
    """
    cfg = dict(THREADS_SECTION, n_samples=min(THREADS_SECTION["n_samples"], args.n_samples))
    X, y = make_data(cfg["n_samples"], cfg["n_features"])
    estimators = {"sklearn": SklearnMLPClassifier, "sknn": SknnMLPClassifier}
    times = {(name, n): [] for name in estimators for n in (1, 2)}
    for _ in range(args.repeats):
        for (name, n_threads), ts in times.items():
            with threadpool_limits(limits=n_threads, user_api="blas"):
                ts.append(time_estimator(estimators[name], X, y, cfg["batch_size"],
                                         args.epochs, cfg["hidden"]))
    rows = [{"estimator": name, "blas_threads": n, "s/epoch": statistics.median(ts), "raw": ts}
            for (name, n), ts in times.items()]
    return cfg, rows


# --------------------------------------------------------------------------- #
# Reporting
# --------------------------------------------------------------------------- #
def machine_info(torch):
    return {
        "date": now_iso(), "platform": platform.platform(), "processor": platform.processor(),
        "nproc": available_cores(),
        "env": {name: os.environ.get(name) for name in THREAD_ENV},
        "loadavg_start": os.getloadavg(),
        "threadpools": threadpools(("user_api", "internal_api", "version", "architecture",
                                    "threading_layer", "num_threads", "filepath")),
        "versions": library_versions(torch),
        "torch_threads": None if torch is None else torch.get_num_threads(),
    }


def header_lines(info, args):
    lines = title_lines("MLP training", info)
    for lib in info["threadpools"]:
        # The parent folder tells whose copy it is (numpy.libs, scipy.libs, torch/lib, ...).
        owner = "/".join(Path(lib["filepath"]).parts[-3:-1])
        details = [lib.get("version"), lib.get("architecture"), lib.get("threading_layer")]
        details = [str(d) for d in details if d] + [f"threads={lib['num_threads']}"]
        lines.append(f"- {lib['user_api']}: {lib['internal_api']} from {owner} "
                     f"({', '.join(details)})")
    lines.append("- env: " + ", ".join(f"{k}={v if v is not None else '(unset)'}"
                                       for k, v in info["env"].items()))
    lines += record_lines(info)
    lines.append(f"- data: {args.n_samples} x {N_FEATURES}, {N_CLASSES} classes, hidden {HIDDEN}, "
                 f"adam lr {LEARNING_RATE}, {args.epochs} epochs, median of {args.repeats}, "
                 f"threads={args.threads or 'as is'}, torch threads={info['torch_threads'] or 'n/a'}")
    return lines


def main_table(rows):
    lines = ["| batch | dtype | sklearn s/epoch | sknn s/epoch | torch s/epoch | floor s/epoch "
             "| speedup sknn vs sklearn | sknn vs torch | sknn / floor "
             "| sknn backend='torch' s/epoch | sknn-torch / torch loop |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['batch']} | {r['dtype']} | {fmt(r['sklearn'], '.4f')} "
                     f"| {fmt(r['sknn'], '.4f')} | {fmt(r['torch'], '.4f')} "
                     f"| {fmt(r['floor'], '.4f')} | {fmt(r['sklearn/sknn'], '.2f', 'x')} "
                     f"| {fmt(r['torch/sknn'], '.2f', 'x')} | {fmt(r['sknn/floor'], '.2f', 'x')} "
                     f"| {fmt(r['sknn-torch'], '.4f')} "
                     f"| {fmt(r['sknn-torch/torch'], '.2f', 'x')} |")
    return lines


def target_lines(rows):
    """Which rows miss the goals in TARGETS (only for batch sizes that have one)."""
    lines = []
    for r in rows:
        if r["batch"] not in TARGETS:
            continue
        min_speedup, max_floor = TARGETS[r["batch"]]
        misses = []
        if r["sklearn/sknn"] < min_speedup:
            misses.append(f"sklearn/sknn {r['sklearn/sknn']:.2f} < {min_speedup}")
        if r["torch/sknn"] is not None and r["torch/sknn"] < 1.0:
            misses.append(f"torch/sknn {r['torch/sknn']:.2f} < 1")
        if r["sknn/floor"] > max_floor:
            misses.append(f"sknn/floor {r['sknn/floor']:.2f} > {max_floor}")
        verdict = "meets targets" if not misses else "MISSES " + "; ".join(misses)
        lines.append(f"- batch {r['batch']} {r['dtype']}: {verdict}")
    return lines


def noise_lines(rows, limit=1.5):
    """Flag configs whose repeats disagree by more than `limit`x: a neighbour was busy."""
    lines = []
    for r in rows:
        spread = {name: (min(ts), max(ts)) for name, ts in r["raw"].items()}
        noisy = [f"{name} {lo:.3f}-{hi:.3f}s" for name, (lo, hi) in spread.items() if hi > limit * lo]
        if noisy:
            lines.append(f"- noisy repeats at batch {r['batch']} {r['dtype']}: " + ", ".join(noisy))
    return lines


def threads_table(cfg, rows):
    lines = [f"## blas threads: {cfg['n_samples']} x {cfg['n_features']}, hidden {cfg['hidden']}, "
             f"batch {cfg['batch_size']}", "",
             "| estimator | BLAS threads | s/epoch |", "|---|---:|---:|"]
    lines += [f"| {r['estimator']} | {r['blas_threads']} | {r['s/epoch']:.4f} |" for r in rows]
    return lines


# --------------------------------------------------------------------------- #
# Driver
# --------------------------------------------------------------------------- #
def run_benchmark(args, torch):
    X, y = make_data(args.n_samples, N_FEATURES)
    runners = contenders(torch)
    warm_up(runners, X, y)
    rows = []
    for batch_size in args.batch_sizes:
        for dtype in args.dtypes:
            times = run_config(runners, X, y, batch_size, dtype, args)
            rows.append(summarize(batch_size, dtype, times))
    return rows


def main(argv=None):
    args = parse_args(argv)
    torch, torch_note = import_torch(args.skip_torch)
    if torch is not None:
        # Same thread count as the BLAS pool the estimators use.
        torch.set_num_threads(args.threads or blas_threads())
    with blas_limit(args.threads):
        info = machine_info(torch)
        header = header_lines(info, args) + ([f"- {torch_note}"] if torch_note else [])
        print("\n".join(header) + "\n", flush=True)
        rows = run_benchmark(args, torch)
        body = ["", *main_table(rows), "", *target_lines(rows), *noise_lines(rows)]
        threads = None
        if not args.skip_threads_section:
            cfg, threads = threads_section(args)
            body += ["", *threads_table(cfg, threads)]
    body += ["", loadavg_line("end")]
    print("\n".join(body))
    options = {k: [str(x) for x in v] if isinstance(v, list) else v for k, v in vars(args).items()}
    base = write_results(RESULTS_DIR, "bench_mlp", args.quick, header + body, options, info,
                         rows=rows, threads_section=threads)
    print(f"\nresults: {base}.json, {base}.md")


if __name__ == "__main__":
    main()
