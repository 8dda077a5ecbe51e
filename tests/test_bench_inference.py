"""Smoke test of benchmarks/bench_inference.py on a tiny configuration."""

import importlib.util
import sys
from pathlib import Path

import pytest

pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")

BENCH_PATH = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_inference.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_inference", BENCH_PATH)
    module = importlib.util.module_from_spec(spec)
    # run as a script it finds its sibling `_common` on sys.path[0]
    sys.path.insert(0, str(BENCH_PATH.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH_PATH.parent))
    return module


def test_the_benchmark_times_every_contender_and_reports_the_goal(bench):
    results, percentiles = bench.run_benchmark(["mlp-digits"], [1, 3], calls=4, rounds=2,
                                               epochs=1, log=lambda line: None)
    assert [(row["model"], row["rows"]) for row in results] == [("mlp-digits", 1),
                                                                ("mlp-digits", 3)]
    for row in results:
        assert set(row["median_us"]) == set(bench.CONTENDERS)
        assert all(value > 0 for value in row["median_us"].values())
        assert row["calls"] == (4 if row["rows"] == 1 else 2)
        expected = row["median_us"]["sklearn proba"] / row["median_us"]["ort sknn"]
        assert row["sklearn_proba_over_ort"] == pytest.approx(expected)
    assert set(percentiles[0]["us"]["ort sknn"]) == {"min", "p10", "median", "p90"}
    table = bench.result_table(results)
    assert len(table) == 2 + len(results) and "| mlp-digits | 1 |" in table[2]
    assert bench.target_lines(results)[0].startswith("- goal: one digits row")
