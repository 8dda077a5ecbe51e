"""Perceptron training speed: sknn.PerceptronClassifier vs scikit-learn's Perceptron.

Seconds per epoch on ``make_classification`` data (100,000 x 100 by default,
50 informative features, seed 0), binary and 10-class, for the classic
per-sample rule (``batch_size=1``) and mini-batch settings. Every fit runs
a fixed number of epochs (``tol=None``), without shuffling, so both
libraries visit the samples in the same order: for ``batch_size=1`` they
learn the same weights, and the table shows it (``same coef``).

s/epoch = wall time of ``fit`` / epochs run; each row is the median of
``--repeats`` repeats, the contenders run back to back inside a repeat, and
the ratio is taken within each repeat and then the median (same run).

Run ``python benchmarks/bench_perceptron.py --help`` for the options.
"""

import argparse
import platform
import statistics
import time

import numpy as np
import sklearn
from sklearn.datasets import make_classification
from sklearn.linear_model import Perceptron

import sknn
from sknn import PerceptronClassifier
from sknn.nn import perceptron_compiled


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-samples", type=int, default=100_000)
    parser.add_argument("--n-features", type=int, default=100)
    parser.add_argument("--classes", default="2,10", help="comma list (default 2,10)")
    parser.add_argument("--batch-sizes", default="1,32,256",
                        help="sknn batch sizes (default 1,32,256); 1 is the classic rule")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--class-sep", type=float, default=1.0,
                        help="make_classification's class_sep (larger = fewer mistakes)")
    parser.add_argument("--shuffle", action="store_true",
                        help="shuffle every epoch (scikit-learn's default); then the two "
                             "libraries draw different orders and coefficients differ")
    parser.add_argument("--quick", action="store_true", help="10,000 samples, 1 repeat")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_samples, args.repeats = 10_000, 1
    return args


def timed_fit(estimator, X, y):
    start = time.perf_counter()
    estimator.fit(X, y)
    return (time.perf_counter() - start) / estimator.n_iter_, estimator


def run(args):
    rows = []
    for n_classes in [int(c) for c in args.classes.split(",")]:
        X, y = make_classification(args.n_samples, args.n_features,
                                   n_informative=args.n_features // 2, n_classes=n_classes,
                                   class_sep=args.class_sep, random_state=0)
        common = dict(max_iter=args.epochs, tol=None, shuffle=args.shuffle)
        timed_fit(Perceptron(max_iter=1, tol=None), X[:200], y[:200])  # warm-up
        timed_fit(PerceptronClassifier(max_iter=1, tol=None), X[:200], y[:200])  # compiles
        for batch_size, rule in contenders(args.batch_sizes):
            theirs_t, ours_t, ratios = [], [], []
            for _ in range(args.repeats):
                t_sk, sk = timed_fit(Perceptron(**common), X, y)
                perceptron_compiled.available = rule == "compiled"
                try:
                    t_ours, ours = timed_fit(
                        PerceptronClassifier(batch_size=batch_size, **common), X, y)
                finally:
                    perceptron_compiled.available = COMPILED
                theirs_t.append(t_sk)
                ours_t.append(t_ours)
                ratios.append(t_ours / t_sk)
            same = np.allclose(ours.coef_, sk.coef_, rtol=1e-6, atol=1e-6)
            rows.append(dict(classes=n_classes, batch=f"{batch_size} ({rule})",
                             sklearn=statistics.median(theirs_t),
                             sknn=statistics.median(ours_t),
                             ratio=statistics.median(ratios),
                             acc_sklearn=sk.score(X, y), acc_sknn=ours.score(X, y),
                             same=same))
    return rows


COMPILED = perceptron_compiled.available


def contenders(batch_sizes):
    """``(batch_size, rule)`` pairs: batch 1 runs with the compiled rule (when
    Numba is installed) and with the NumPy rule; larger batches use NumPy."""
    for batch_size in (int(b) for b in batch_sizes.split(",")):
        if batch_size == 1 and COMPILED:
            yield batch_size, "compiled"
        yield batch_size, "numpy"


def table(rows):
    lines = ["| classes | sknn batch_size | sklearn s/epoch | sknn s/epoch | sknn / sklearn "
             "| train acc sklearn | train acc sknn | same coef |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['classes']} | {r['batch']} | {r['sklearn']:.4f} | {r['sknn']:.4f} "
                     f"| {r['ratio']:.2f} | {r['acc_sklearn']:.4f} | {r['acc_sknn']:.4f} "
                     f"| {'yes' if r['same'] else 'no'} |")
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    print(f"# bench_perceptron: {args.n_samples} x {args.n_features}, {args.epochs} epochs, "
          f"median of {args.repeats}, class_sep={args.class_sep}, shuffle={args.shuffle}")
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"scikit-learn {sklearn.__version__}, sknn {sknn.__version__}\n")
    print(table(run(args)))


if __name__ == "__main__":
    main()
