"""Prediction latency of sknn, scikit-learn and onnxruntime: one row and 1,000 rows.

Four classifiers, each with a scikit-learn ``MLPClassifier`` of the same
hidden sizes (ReLU) beside it:

* ``mlp-digits`` -- ``sknn.MLPClassifier(hidden_layer_sizes=(100,))``
  (scikit-learn's default size) on ``load_digits``: 64-100-10;
* ``mlp-large`` -- 784-300-100-10 on 2,000 synthetic rows;
* ``deepnet-digits`` -- ``sknn.DeepNetClassifier()`` defaults on digits:
  3 x 100 ELU with batch norm and dropout (scikit-learn: 3 x 100 ReLU);
* ``deepnet-large`` -- ``DeepNetClassifier(n_neurons=300)``, 784-3 x 300-10.

The models train for a few epochs only: the weights' values do not change
the cost of a prediction. Every contender predicts float32 input:

* ``sknn proba`` / ``sknn predict`` -- the estimator's ``predict_proba`` /
  ``predict``;
* ``sklearn proba`` / ``sklearn predict`` -- the same for scikit-learn's MLP;
* ``ort sknn`` -- onnxruntime running ``sknn.onnx.to_onnx(estimator)``
  (labels and probabilities in one call, ``zipmap=False``);
* ``ort sklearn`` -- onnxruntime running ``skl2onnx.to_onnx`` of the
  scikit-learn MLP (the same outputs).

One thread everywhere: onnxruntime sessions get ``intra_op_num_threads=1``
and ``inter_op_num_threads=1``, NumPy's BLAS pool is limited to one thread
with threadpoolctl. Each call is timed alone (``time.perf_counter``);
the calls run in rounds, every contender making ``calls / rounds`` calls
in turn within a round, so a busy neighbour slows them alike. The table
reports the median over all calls, in microseconds, and the ratios of
those medians. The goal (issue 16): one digits row through onnxruntime at
least 5x faster than scikit-learn's ``predict_proba``.

Run ``python benchmarks/bench_inference.py --help`` for the options.
"""

import argparse
import os
import platform
import statistics
import time
import warnings

import numpy as np
import onnxruntime as ort
import skl2onnx
from sklearn.datasets import load_digits
from sklearn.neural_network import MLPClassifier as SklearnMLPClassifier

import sknn.onnx
from _common import (RESULTS_DIR, available_cores, blas_limit, classification_data, comma_list,
                     fmt, library_versions, loadavg_line, now_iso, record_lines, threadpools,
                     title_lines, write_results)
from sknn import DeepNetClassifier, MLPClassifier

MODELS = ("mlp-digits", "mlp-large", "deepnet-digits", "deepnet-large")
CONTENDERS = ("sknn proba", "sknn predict", "sklearn proba", "sklearn predict", "ort sknn",
              "ort sklearn")
TARGET_SPEEDUP = 5.0  # sklearn predict_proba / onnxruntime on one digits row, at least
SEED = 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=comma_list(str), default=list(MODELS))
    parser.add_argument("--rows", type=comma_list(int), default=[1, 1000],
                        help="rows per prediction call (default 1,1000)")
    parser.add_argument("--calls", type=int, default=2000,
                        help="timed calls per contender for one row; 1,000-row calls get "
                             "a tenth of it (default 2000)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=5, help="training epochs of each model")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 100 calls in 2 rounds, 1 epoch")
    args = parser.parse_args(argv)
    if args.quick:
        args.calls, args.rounds, args.epochs = 100, 2, 1
    return args


def model_data(name):
    """float32 ``(X, y)``: digits scaled to [0, 1], or 2,000 x 784 synthetic rows."""
    if name.endswith("digits"):
        X, y = load_digits(return_X_y=True)
        return (X / 16).astype(np.float32), y
    X, y = classification_data(2000, 784, 10, SEED)
    return X.astype(np.float32), y


def fit_models(name, epochs):
    """``(sknn estimator, scikit-learn MLP, X)``: same hidden sizes, fitted on ``name``'s data."""
    X, y = model_data(name)
    hidden = (100,) if name == "mlp-digits" else (300, 100) if name == "mlp-large" else None
    if hidden is None:
        neurons = 100 if name == "deepnet-digits" else 300
        ours = DeepNetClassifier(n_neurons=neurons, max_iter=epochs, random_state=SEED)
        hidden = (neurons,) * ours.n_hidden
    else:
        ours = MLPClassifier(hidden_layer_sizes=hidden, max_iter=epochs, random_state=SEED)
    theirs = SklearnMLPClassifier(hidden_layer_sizes=hidden, max_iter=epochs,
                                  random_state=SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a few epochs do not converge, by design
        return ours.fit(X, y), theirs.fit(X, y), X


def session(onnx_model):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(onnx_model.SerializeToString(), options,
                                providers=["CPUExecutionProvider"])


def contenders(ours, theirs, X):
    """name -> callable(rows) making one prediction."""
    ours_session = session(sknn.onnx.to_onnx(ours, X[:1]))
    theirs_session = session(skl2onnx.to_onnx(theirs, X[:1], options={"zipmap": False}))
    return {
        "sknn proba": ours.predict_proba, "sknn predict": ours.predict,
        "sklearn proba": theirs.predict_proba, "sklearn predict": theirs.predict,
        "ort sknn": lambda rows: ours_session.run(None, {"X": rows}),
        "ort sklearn": lambda rows: theirs_session.run(None, {"X": rows}),
    }


def time_calls(runners, rows, calls, rounds):
    """Interleaved rounds of single timed calls -> {name: [seconds per call]}."""
    for run in runners.values():  # warm-up: lazy imports, caches, first allocations
        for _ in range(20):
            run(rows)
    seconds = {name: [] for name in runners}
    per_round = max(1, calls // rounds)
    for _ in range(rounds):
        for name, run in runners.items():
            for _ in range(per_round):
                start = time.perf_counter()
                run(rows)
                seconds[name].append(time.perf_counter() - start)
    return seconds


def run_benchmark(models, row_counts, calls, rounds, epochs, log=print):
    """One row of results per (model, rows), and percentiles of the per-call timings."""
    results, raw = [], []
    for name in models:
        ours, theirs, X = fit_models(name, epochs)
        runners = contenders(ours, theirs, X)
        for n_rows in row_counts:
            rows = np.ascontiguousarray(np.resize(X, (n_rows, X.shape[1])))
            n_calls = calls if n_rows == 1 else max(rounds, calls // 10)
            seconds = time_calls(runners, rows, n_calls, rounds)
            medians = {c: statistics.median(seconds[c]) * 1e6 for c in CONTENDERS}
            row = {"model": name, "rows": n_rows, "calls": len(seconds["ort sknn"]),
                   "median_us": medians,
                   "sklearn_proba_over_ort": medians["sklearn proba"] / medians["ort sknn"],
                   "sknn_proba_over_ort": medians["sknn proba"] / medians["ort sknn"]}
            results.append(row)
            raw.append({"model": name, "rows": n_rows, "us": {
                c: dict(zip(("min", "p10", "median", "p90"), np.percentile(
                    np.array(s) * 1e6, [0, 10, 50, 90]).round(2).tolist()))
                for c, s in seconds.items()}})
            log(f"  {name}, {n_rows} rows: " + ", ".join(
                f"{c} {m:.1f} us" for c, m in medians.items()))
    return results, raw


def result_table(results):
    lines = ["| model | rows | " + " | ".join(f"{c} (us)" for c in CONTENDERS)
             + " | sklearn proba / ort sknn | sknn proba / ort sknn |",
             "|---|---:|" + "---:|" * (len(CONTENDERS) + 2)]
    for row in results:
        cells = [fmt(row["median_us"][c], ".1f") for c in CONTENDERS]
        lines.append(f"| {row['model']} | {row['rows']} | " + " | ".join(cells)
                     + f" | {fmt(row['sklearn_proba_over_ort'], '.1f', 'x')}"
                     + f" | {fmt(row['sknn_proba_over_ort'], '.1f', 'x')} |")
    return lines


def target_lines(results):
    digits_row = [r for r in results if r["model"] == "mlp-digits" and r["rows"] == 1]
    if not digits_row:
        return []
    speedup = digits_row[0]["sklearn_proba_over_ort"]
    verdict = "meets" if speedup >= TARGET_SPEEDUP else "MISSES"
    return [f"- goal: one digits row through onnxruntime at least {TARGET_SPEEDUP:g}x faster "
            f"than scikit-learn's predict_proba: {speedup:.1f}x, {verdict} it"]


def machine_info():
    return {
        "date": now_iso(), "platform": platform.platform(), "nproc": available_cores(),
        "loadavg_start": os.getloadavg(),
        "threadpools": threadpools(("user_api", "internal_api", "version", "num_threads")),
        "versions": {**library_versions(None), "onnxruntime": ort.__version__,
                     "skl2onnx": skl2onnx.__version__},
    }


def main(argv=None):
    args = parse_args(argv)
    with blas_limit(1):
        info = machine_info()
        header = [*title_lines("inference latency", info), *record_lines(info),
                  f"- protocol: float32 input, one thread (BLAS and onnxruntime), {args.calls} "
                  f"timed calls for one row and {max(args.rounds, args.calls // 10)} for more, "
                  f"in {args.rounds} interleaved rounds; medians in microseconds"]
        print("\n".join(header) + "\n", flush=True)
        results, raw = run_benchmark(args.models, args.rows, args.calls, args.rounds,
                                     args.epochs, log=lambda line: print(line, flush=True))
    body = ["", *result_table(results), "", *target_lines(results), "", loadavg_line("end")]
    print("\n".join(body))
    base = write_results(RESULTS_DIR, "bench_inference", args.quick, header + body, vars(args),
                         info, results=results, percentiles=raw)
    print(f"\nresults: {base}.json, {base}.md")
    return results


if __name__ == "__main__":
    main()
