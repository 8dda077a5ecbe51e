"""Quality benchmark: sknn.DeepNet defaults vs scikit-learn's MLP defaults and a PyTorch recipe.

On small real datasets that ship with scikit-learn (no download), one run
fits, for every seed, three contenders back to back on the same train/test
split (stratified for classification):

* ``deepnet`` -- ``sknn.DeepNetClassifier()`` (``DeepNetRegressor()`` for
  regression) with every default;
* ``sklearn`` -- ``sklearn.neural_network.MLPClassifier()`` (``MLPRegressor``)
  with every default; ConvergenceWarnings are counted, not silenced away;
* ``torch``   -- a hand-written PyTorch MLP with the modern recipe: the
  same hidden layers as DeepNet's default (3 x 100), Linear -> BatchNorm ->
  ReLU -> Dropout(0.2) blocks, He-normal initialization, AdamW (no weight
  decay on biases and batch-norm parameters), a OneCycleLR schedule over
  every step and a fixed number of epochs (100), minibatches of 32;
* ``deepnet+`` -- only with ``--deepnet-params JSON``: DeepNet with those
  constructor parameters, to measure candidate defaults in the same run.

Every contender sits in a pipeline behind ``StandardScaler``; for
regression the target is standardized too (``TransformedTargetRegressor``)
for every contender. Reported per dataset: test accuracy (R^2 for regression)
median and min over the seeds, seeds better/equal/worse than the torch
recipe on the same split, fit seconds median (the whole pipeline's
``fit``), epochs run, and how many fits warned about convergence.

Run ``python benchmarks/bench_deep_net.py --help`` for the options.
"""

import argparse
import json
import math
import os
import platform
import statistics
import time
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from _common import (RESULTS_DIR, available_cores, blas_limit, blas_threads, comma_list,
                     import_torch, library_versions, loadavg_line, now_iso, record_lines,
                     threadpools, title_lines, write_results)
from sknn import DeepNetClassifier, DeepNetRegressor

#: name -> (loader, task). All ship inside scikit-learn: nothing is downloaded.
DATASETS = {
    "digits": (load_digits, "classification"),
    "breast_cancer": (load_breast_cancer, "classification"),
    "wine": (load_wine, "classification"),
    "iris": (load_iris, "classification"),
    "diabetes": (load_diabetes, "regression"),
}
METHODS = ("deepnet", "sklearn", "torch")
#: The optional fourth contender: DeepNet with the constructor parameters of
#: ``--deepnet-params``, to measure candidate defaults in the same run.
CANDIDATE = "deepnet+"
TEST_SIZE = 0.25

# The PyTorch recipe. Hidden layers as DeepNet's default (n_hidden=3,
# n_neurons=100). The peak rate of each task was picked among 1e-3, 3e-3 and
# 1e-2 by the mean over datasets of the median validation score on splits
# cut from the training sets (never the test sets): see benchmarks/README.md.
TORCH_HIDDEN = (100, 100, 100)
TORCH_DROPOUT = 0.2
TORCH_MAX_LR = {"classification": 1e-2, "regression": 3e-3}
TORCH_WEIGHT_DECAY = 1e-2
TORCH_BATCH_SIZE = 32
TORCH_EPOCHS = 100

# "Clearly ahead of scikit-learn": the median score must beat sklearn's by
# at least this much (half a point of accuracy or of R^2).
CLEAR_MARGIN = 0.005

# OpenBLAS worker threads spin ~0.1 s after a product; a run started inside
# that window pays for it (see bench_mlp.py). Pause between timed fits.
SETTLE_SECONDS = 0.2


# --------------------------------------------------------------------------- #
# Command line
# --------------------------------------------------------------------------- #
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=comma_list(str.strip), default=list(DATASETS),
                        help=f"comma-separated, from {', '.join(DATASETS)} (default: all)")
    parser.add_argument("--seeds", type=int, default=5,
                        help="seeds 0..N-1: split, initialization and shuffling (default 5)")
    parser.add_argument("--epochs", type=int, default=TORCH_EPOCHS,
                        help=f"epochs of the PyTorch recipe (default {TORCH_EPOCHS})")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads of every contender: BLAS pools (threadpoolctl) and "
                             "torch.set_num_threads (default 1: sknn picks 1 BLAS thread "
                             "itself for networks this small; 0 leaves the BLAS pools as "
                             "they are and gives torch as many threads as NumPy's BLAS)")
    parser.add_argument("--max-iter", type=int, default=None,
                        help="override max_iter of DeepNet and scikit-learn (smoke tests "
                             "only; default: each library's own default)")
    parser.add_argument("--deepnet-params", type=json.loads, default=None, metavar="JSON",
                        help="also run DeepNet with these constructor parameters (row "
                             "'deepnet+'), e.g. '{\"max_iter\": 50, \"dropout\": 0.2}'")
    parser.add_argument("--skip-torch", action="store_true", help="leave out the PyTorch recipe")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 2 seeds, 20 torch epochs (overrides those options)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.datasets if name not in DATASETS]
    if unknown:
        parser.error(f"--datasets: unknown {unknown}; choose from {list(DATASETS)}")
    if args.quick:
        args.seeds, args.epochs = 2, 20
    return args


# --------------------------------------------------------------------------- #
# The PyTorch recipe, as a scikit-learn estimator so it fits in a pipeline
# --------------------------------------------------------------------------- #
class TorchRecipe(BaseEstimator):
    """He init + BatchNorm + ReLU + dropout, AdamW and 1cycle, a fixed number of epochs."""

    def __init__(self, task="classification", hidden_layer_sizes=TORCH_HIDDEN,
                 dropout=TORCH_DROPOUT, max_lr=None, weight_decay=TORCH_WEIGHT_DECAY,
                 batch_size=TORCH_BATCH_SIZE, epochs=TORCH_EPOCHS, random_state=0):
        self.task = task
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.max_lr = max_lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.epochs = epochs
        self.random_state = random_state

    def _build(self, torch, n_features, n_outputs):
        nn = torch.nn
        layers, width = [], n_features
        for units in self.hidden_layer_sizes:
            dense = nn.Linear(width, units, bias=False)  # batch norm's shift is the bias
            nn.init.kaiming_normal_(dense.weight, nonlinearity="relu")
            layers += [dense, nn.BatchNorm1d(units), nn.ReLU(), nn.Dropout(self.dropout)]
            width = units
        output = nn.Linear(width, n_outputs)
        nn.init.xavier_normal_(output.weight)  # softmax / linear output: Glorot
        nn.init.zeros_(output.bias)
        return nn.Sequential(*layers, output)

    def _optimizer(self, torch, model):
        # Decoupled weight decay on the weight matrices only: decaying biases
        # and batch-norm scales only fights the normalization.
        decay = [p for p in model.parameters() if p.ndim == 2]
        no_decay = [p for p in model.parameters() if p.ndim != 2]
        return torch.optim.AdamW([{"params": decay, "weight_decay": self.weight_decay},
                                  {"params": no_decay, "weight_decay": 0.0}], lr=self._max_lr())

    def fit(self, X, y):
        import torch

        torch.manual_seed(self.random_state)
        generator = torch.Generator().manual_seed(self.random_state)
        inputs = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
        if self.task == "classification":
            self.classes_, codes = np.unique(y, return_inverse=True)
            targets = torch.from_numpy(codes.astype(np.int64))
            n_outputs, loss_fn = len(self.classes_), torch.nn.CrossEntropyLoss()
        else:
            targets = torch.from_numpy(np.asarray(y, dtype=np.float32).reshape(len(X), -1))
            n_outputs, loss_fn = targets.shape[1], torch.nn.MSELoss()
        model = self._build(torch, inputs.shape[1], n_outputs)
        optimizer = self._optimizer(torch, model)
        n_samples = len(inputs)
        # Balanced batches (sizes differ by at most one): no 1-row batch for batch norm.
        n_batches = max(1, math.ceil(n_samples / self.batch_size))
        scheduler = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=self._max_lr(), total_steps=self.epochs * n_batches)
        model.train()
        for _ in range(self.epochs):
            order = torch.randperm(n_samples, generator=generator)
            for idx in order.tensor_split(n_batches):
                optimizer.zero_grad(set_to_none=True)
                loss_fn(model(inputs[idx]), targets[idx]).backward()
                optimizer.step()
                scheduler.step()
        self.model_ = model.eval()
        self.n_iter_ = self.epochs
        return self

    def _max_lr(self):
        return TORCH_MAX_LR[self.task] if self.max_lr is None else self.max_lr

    def _outputs(self, X):
        import torch

        with torch.inference_mode():
            return self.model_(torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))).numpy()


class TorchRecipeClassifier(ClassifierMixin, TorchRecipe):
    def predict(self, X):
        return self.classes_[self._outputs(X).argmax(axis=1)]


class TorchRecipeRegressor(RegressorMixin, TorchRecipe):
    def predict(self, X):
        out = self._outputs(X)
        return out.ravel() if out.shape[1] == 1 else out


# --------------------------------------------------------------------------- #
# Contenders
# --------------------------------------------------------------------------- #
def make_model(method, task, seed, epochs=TORCH_EPOCHS, max_iter=None, deepnet_params=None):
    """The pipeline of one contender: StandardScaler, then the network."""
    overrides = {} if max_iter is None else {"max_iter": max_iter}
    if method in ("deepnet", CANDIDATE):
        cls = DeepNetClassifier if task == "classification" else DeepNetRegressor
        params = {**(deepnet_params or {}), **overrides} if method == CANDIDATE else overrides
        net = cls(random_state=seed, **params)
    elif method == "sklearn":
        cls = MLPClassifier if task == "classification" else MLPRegressor
        net = cls(random_state=seed, **overrides)
    elif method == "torch":
        cls = TorchRecipeClassifier if task == "classification" else TorchRecipeRegressor
        net = cls(task=task, epochs=epochs, random_state=seed)
    else:
        raise ValueError(f"method must be one of {METHODS + (CANDIDATE,)}, got {method!r}.")
    model = make_pipeline(StandardScaler(), net)
    if task == "regression":
        model = TransformedTargetRegressor(regressor=model, transformer=StandardScaler())
    return model


def final_estimator(model):
    return (model.regressor_ if isinstance(model, TransformedTargetRegressor) else model)[-1]


def load_dataset(name):
    loader, task = DATASETS[name]
    X, y = loader(return_X_y=True)
    return X, y, task


def split(X, y, task, seed):
    """75/25 train/test split, stratified for classification."""
    return train_test_split(X, y, test_size=TEST_SIZE, random_state=seed,
                            stratify=y if task == "classification" else None)


def fit_and_score(method, task, seed, data, epochs, max_iter, deepnet_params=None):
    """One timed fit -> {score, fit_s, epochs, convergence_warnings}."""
    X_train, X_test, y_train, y_test = data
    model = make_model(method, task, seed, epochs, max_iter, deepnet_params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        start = time.perf_counter()
        model.fit(X_train, y_train)
        fit_s = time.perf_counter() - start
    n_warnings = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
    return {"score": float(model.score(X_test, y_test)), "fit_s": fit_s,
            "epochs": int(final_estimator(model).n_iter_),
            "convergence_warnings": n_warnings}


def warm_up(methods, deepnet_params=None):
    """One untimed tiny fit each: lazy imports and thread pools stay out of seed 0."""
    X, y, task = load_dataset("iris")
    for method in methods:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            make_model(method, task, 0, epochs=1, max_iter=2,
                       deepnet_params=deepnet_params).fit(X, y)


# --------------------------------------------------------------------------- #
# Driver
# --------------------------------------------------------------------------- #
def run_benchmark(datasets, seeds, epochs=TORCH_EPOCHS, methods=METHODS, max_iter=None,
                  deepnet_params=None, log=print):
    """Fit every method on every (dataset, seed), interleaved per seed.

    Returns ``(rows, raw)``: one summary row per (dataset, method), and every
    single fit's measurements.
    """
    raw = []
    for name in datasets:
        X, y, task = load_dataset(name)
        for seed in range(seeds):
            data = split(X, y, task, seed)
            line = []
            for method in methods:
                time.sleep(SETTLE_SECONDS)
                result = fit_and_score(method, task, seed, data, epochs, max_iter,
                                       deepnet_params)
                raw.append({"dataset": name, "task": task, "seed": seed, "method": method,
                            **result})
                line.append(f"{method} {result['score']:.4f} in {result['fit_s']:.2f}s "
                            f"({result['epochs']} ep)")
            log(f"  {name} seed {seed}: " + ", ".join(line))
    return summarize(raw, datasets, methods), raw


def median_ratio(numerators, denominators):
    """Median of the per-seed ratios; None when a side is missing."""
    if numerators is None or denominators is None:
        return None
    return statistics.median(a / b for a, b in zip(numerators, denominators))


def paired_record(scores, reference):
    """``{"better", "equal", "worse"}`` counts of seeds, against the same seeds' reference."""
    if reference is None:
        return None
    return {"better": sum(a > b for a, b in zip(scores, reference)),
            "equal": sum(a == b for a, b in zip(scores, reference)),
            "worse": sum(a < b for a, b in zip(scores, reference))}


def summarize(raw, datasets, methods):
    """One row per (dataset, method): score median/min, fit seconds median, ratios."""
    rows = []
    for name in datasets:
        runs = [r for r in raw if r["dataset"] == name]
        fit_s = {m: [r["fit_s"] for r in runs if r["method"] == m] for m in methods}
        scores = {m: [r["score"] for r in runs if r["method"] == m] for m in methods}
        for method in methods:
            mine = [r for r in runs if r["method"] == method]
            row = {
                "dataset": name, "task": mine[0]["task"], "method": method,
                "n_seeds": len(mine),
                "score_median": statistics.median(r["score"] for r in mine),
                "score_min": min(r["score"] for r in mine),
                "fit_s_median": statistics.median(fit_s[method]),
                "epochs_median": statistics.median(r["epochs"] for r in mine),
                "convergence_warnings": sum(r["convergence_warnings"] > 0 for r in mine),
                # Medians over seeds of time ratios within the same seed: taken
                # in one run, robust to a busy neighbour.
                "time_vs_deepnet": median_ratio(fit_s[method], fit_s.get("deepnet")),
                "torch_time_ratio": median_ratio(fit_s.get("torch"), fit_s[method]),
                # Paired by seed (same split): differences of a test sample or
                # two decide medians on these small test sets.
                "seeds_vs_torch": paired_record(scores[method], scores.get("torch")),
            }
            rows.append(row)
    return rows


# --------------------------------------------------------------------------- #
# Reporting
# --------------------------------------------------------------------------- #
def metric_name(task):
    return "accuracy" if task == "classification" else "R^2"


def result_table(rows):
    lines = ["| dataset | method | test score | median | min | seeds better/equal/worse "
             "than torch | fit s (median) | time / deepnet | epochs (median) "
             "| ConvergenceWarning |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ratio = "n/a" if r["time_vs_deepnet"] is None else f"{r['time_vs_deepnet']:.2f}x"
        paired = ("n/a" if r["seeds_vs_torch"] is None or r["method"] == "torch"
                  else "/".join(str(r["seeds_vs_torch"][k]) for k in ("better", "equal", "worse")))
        lines.append(f"| {r['dataset']} | {r['method']} | {metric_name(r['task'])} "
                     f"| {r['score_median']:.4f} | {r['score_min']:.4f} | {paired} "
                     f"| {r['fit_s_median']:.3f} | {ratio} | {r['epochs_median']:g} "
                     f"| {r['convergence_warnings']}/{r['n_seeds']} |")
    return lines


def target_lines(rows):
    """Per dataset: does DeepNet (and the 'deepnet+' candidate) meet the issue's targets?

    At least torch's median score, at least ``CLEAR_MARGIN`` above
    scikit-learn's median score, and a shorter fit than torch's.
    """
    lines = []
    for name in dict.fromkeys(r["dataset"] for r in rows):
        by_method = {r["method"]: r for r in rows if r["dataset"] == name}
        for contender in ("deepnet", CANDIDATE):
            deep = by_method.get(contender)
            if deep is None:
                continue
            checks, misses = [], []
            if "torch" in by_method:
                torch_score = by_method["torch"]["score_median"]
                (checks if deep["score_median"] >= torch_score else misses).append(
                    f"median score {deep['score_median']:.4f} vs torch {torch_score:.4f}")
                (checks if deep["torch_time_ratio"] > 1 else misses).append(
                    f"torch takes {deep['torch_time_ratio']:.2f}x its time")
            if "sklearn" in by_method:
                ahead = deep["score_median"] - by_method["sklearn"]["score_median"]
                (checks if ahead >= CLEAR_MARGIN else misses).append(
                    f"{ahead:+.4f} vs sklearn (needs >= +{CLEAR_MARGIN})")
            verdict = "meets targets" if not misses else "MISSES " + "; ".join(misses)
            lines.append(f"- {name} {contender}: {verdict}"
                         + (f" (ok: {'; '.join(checks)})" if checks else ""))
    return lines


def machine_info(torch):
    return {
        "date": now_iso(), "platform": platform.platform(), "nproc": available_cores(),
        "loadavg_start": os.getloadavg(),
        "threadpools": threadpools(("user_api", "internal_api", "version", "num_threads")),
        "versions": library_versions(torch),
        "torch_threads": None if torch is None else torch.get_num_threads(),
    }


def header_lines(info, args):
    peaks = ", ".join(f"{rate:g} ({task})" for task, rate in TORCH_MAX_LR.items())
    pools = ", ".join(f"{lib['internal_api']} {lib['user_api']} x{lib['num_threads']}"
                      for lib in info["threadpools"])
    but_max_iter = "" if args.max_iter is None else f" but max_iter={args.max_iter}"
    return [
        *title_lines("DeepNet quality", info),
        f"- threads: --threads {args.threads}; pools {pools}; "
        f"torch threads={info['torch_threads'] or 'n/a'}",
        *record_lines(info),
        f"- protocol: StandardScaler pipelines (regression: standardized target too), "
        f"{1 - TEST_SIZE:.0%}/{TEST_SIZE:.0%} split (stratified for classification), "
        f"seeds 0-{args.seeds - 1}, methods interleaved per seed",
        "- deepnet: DeepNetClassifier()/DeepNetRegressor() defaults" + but_max_iter,
        *([f"- deepnet+: DeepNet with {json.dumps(args.deepnet_params)}{but_max_iter}"]
          if args.deepnet_params is not None else []),
        "- sklearn: MLPClassifier()/MLPRegressor() defaults" + but_max_iter,
        f"- torch: {len(TORCH_HIDDEN)} x {TORCH_HIDDEN[0]} "
        f"Linear-BN-ReLU-Dropout({TORCH_DROPOUT}), He init, "
        f"AdamW (wd {TORCH_WEIGHT_DECAY} on weights), OneCycleLR max_lr {peaks}, "
        f"batch {TORCH_BATCH_SIZE}, {args.epochs} epochs",
    ]


def main(argv=None):
    args = parse_args(argv)
    torch, torch_note = import_torch(args.skip_torch)
    if torch is not None:
        torch.set_num_threads(args.threads or blas_threads())
    methods = tuple(m for m in METHODS if m != "torch" or torch is not None)
    if args.deepnet_params is not None:
        methods += (CANDIDATE,)
    with blas_limit(args.threads):
        info = machine_info(torch)
        header = header_lines(info, args) + ([f"- {torch_note}"] if torch_note else [])
        print("\n".join(header) + "\n", flush=True)
        warm_up(methods, args.deepnet_params)
        rows, raw = run_benchmark(args.datasets, args.seeds, args.epochs, methods,
                                  args.max_iter, args.deepnet_params,
                                  log=lambda line: print(line, flush=True))
    body = ["", *result_table(rows), "", *target_lines(rows), "", loadavg_line("end")]
    print("\n".join(body))
    base = write_results(RESULTS_DIR, "bench_deep_net", args.quick, header + body, vars(args),
                         info, rows=rows, fits=raw)
    print(f"\nresults: {base}.json, {base}.md")
    return rows


if __name__ == "__main__":
    main()
