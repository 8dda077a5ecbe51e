"""Smoke test of benchmarks/bench_inference.py on a tiny configuration."""

import pytest

from tests._optional import load_benchmark

pytest.importorskip("onnxruntime")
pytest.importorskip("skl2onnx")

@pytest.fixture(scope="module")
def bench():
    return load_benchmark("bench_inference")


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
