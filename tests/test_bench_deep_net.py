"""Smoke tests of benchmarks/bench_deep_net.py on tiny configurations."""

import json
import warnings

import pytest

from tests._optional import load_benchmark

try:
    import torch  # noqa: F401
    HAVE_TORCH = True
except ImportError:
    HAVE_TORCH = False

ROW_KEYS = {"dataset", "task", "method", "n_seeds", "score_median", "score_min", "fit_s_median",
            "epochs_median", "convergence_warnings", "time_vs_deepnet", "torch_time_ratio",
            "seeds_vs_torch"}


@pytest.fixture(scope="module")
def bench():
    module = load_benchmark("bench_deep_net")
    module.SETTLE_SECONDS = 0.0  # no pauses between fits in tests
    if not HAVE_TORCH:
        yield module
        return
    # As the benchmark's default: one torch thread (two ran ~30x slower here
    # on a busy 2-core machine). Restored afterwards for the other tests.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield module
    finally:
        torch.set_num_threads(threads)


def methods():
    return ("deepnet", "sklearn", "torch") if HAVE_TORCH else ("deepnet", "sklearn")


def test_one_tiny_configuration(bench):
    rows, raw = bench.run_benchmark(["wine"], seeds=1, epochs=3, methods=methods(),
                                    max_iter=4, log=lambda line: None)
    assert [r["method"] for r in rows] == list(methods())
    assert len(raw) == len(methods())
    for row in rows:
        assert set(row) == ROW_KEYS
        assert row["dataset"] == "wine" and row["task"] == "classification"
        assert row["n_seeds"] == 1
        assert 0.0 <= row["score_min"] <= row["score_median"] <= 1.0
        assert row["fit_s_median"] > 0
    by_method = {r["method"]: r for r in rows}
    assert by_method["deepnet"]["time_vs_deepnet"] == pytest.approx(1.0)
    # max_iter reaches both estimators; the recipe runs exactly its epochs.
    assert 1 <= by_method["deepnet"]["epochs_median"] <= 4
    assert by_method["sklearn"]["epochs_median"] == 4
    assert by_method["sklearn"]["convergence_warnings"] == 1  # 4 epochs cannot converge
    if HAVE_TORCH:
        assert by_method["torch"]["epochs_median"] == 3
        assert by_method["torch"]["seeds_vs_torch"] == {"better": 0, "equal": 1, "worse": 0}
        assert sum(by_method["deepnet"]["seeds_vs_torch"].values()) == 1
    table = bench.result_table(rows)
    assert len(table) == 2 + len(rows)
    assert all(line.count("|") == table[0].count("|") for line in table)


def test_summary_statistics_over_seeds(bench):
    raw = [{"dataset": "d", "task": "classification", "seed": seed, "method": method,
            "score": score, "fit_s": fit_s, "epochs": 10, "convergence_warnings": warned}
           for seed, (deep, sk) in enumerate([(0.9, 0.8), (0.7, 0.85), (0.8, 0.9)])
           for method, score, fit_s, warned in [("deepnet", deep, 1.0 + seed, 0),
                                                ("sklearn", sk, 4.0 * (1.0 + seed), seed % 2)]]
    rows = bench.summarize(raw, ["d"], ("deepnet", "sklearn"))
    deep, sk = rows
    assert (deep["score_median"], deep["score_min"]) == (0.8, 0.7)
    assert (sk["score_median"], sk["score_min"]) == (0.85, 0.8)
    assert deep["fit_s_median"] == 2.0 and sk["fit_s_median"] == 8.0
    assert sk["time_vs_deepnet"] == pytest.approx(4.0)
    assert sk["convergence_warnings"] == 1
    lines = bench.target_lines(rows)
    assert len(lines) == 1 and lines[0].startswith("- d deepnet: MISSES")
    assert "-0.0500 vs sklearn" in lines[0]
    assert deep["torch_time_ratio"] is None and deep["seeds_vs_torch"] is None  # no torch


def test_paired_record_counts_seeds(bench):
    record = bench.paired_record([0.9, 0.8, 0.7, 0.95], [0.85, 0.8, 0.75, 0.9])
    assert record == {"better": 2, "equal": 1, "worse": 1}


def test_candidate_parameters_reach_the_extra_row(bench):
    """--deepnet-params adds a 'deepnet+' contender built with exactly those parameters."""
    params = {"early_stopping": False, "max_iter": 6, "n_iter_no_change": 100}
    rows, raw = bench.run_benchmark(["iris"], seeds=1, methods=("deepnet", "deepnet+"),
                                    deepnet_params=params, log=lambda line: None)
    by_method = {r["method"]: r for r in rows}
    assert by_method["deepnet+"]["epochs_median"] == 6  # a fixed budget, no early stop
    # the 1cycle schedule is a fixed budget: running it out is no convergence failure
    assert by_method["deepnet+"]["convergence_warnings"] == 0
    model = bench.make_model("deepnet+", "classification", 3, deepnet_params=params)
    assert model[-1].get_params()["max_iter"] == 6 and model[-1].random_state == 3
    lines = bench.target_lines(rows)
    assert [line.split(":")[0] for line in lines] == ["- iris deepnet", "- iris deepnet+"]


@pytest.mark.skipif(not HAVE_TORCH, reason="torch is not installed")
def test_torch_recipe_learns(bench):
    """The baseline must be a working trainer: iris is easy, 30 epochs are plenty."""
    X, y, task = bench.load_dataset("iris")
    X_train, X_test, y_train, y_test = bench.split(X, y, task, seed=0)
    model = bench.make_model("torch", task, seed=0, epochs=30).fit(X_train, y_train)
    assert model.score(X_test, y_test) >= 0.85
    again = bench.make_model("torch", task, seed=0, epochs=30).fit(X_train, y_train)
    assert (again.predict(X_test) == model.predict(X_test)).all()  # seeded


def test_regression_rows(bench):
    rows, _ = bench.run_benchmark(["diabetes"], seeds=1, epochs=2, methods=methods(),
                                  max_iter=3, log=lambda line: None)
    assert {r["task"] for r in rows} == {"regression"}
    assert all(r["score_median"] <= 1.0 for r in rows)  # R^2 may be negative, never above 1


def test_main_writes_results(bench, tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "RESULTS_DIR", tmp_path)
    argv = ["--quick", "--datasets", "iris", "--max-iter", "3"] + ([] if HAVE_TORCH
                                                                    else ["--skip-torch"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = bench.main(argv)
    assert len(rows) == len(methods()) and all(r["n_seeds"] == 2 for r in rows)
    (md,) = tmp_path.glob("bench_deep_net_*_quick.md")
    payload = json.loads(md.with_suffix(".json").read_text())
    assert len(payload["fits"]) == 2 * len(methods())
    assert "| iris | deepnet | accuracy |" in md.read_text()


def test_unknown_dataset_is_an_error(bench):
    with pytest.raises(SystemExit):
        bench.parse_args(["--datasets", "digits,mnist"])
