"""Divergence, interruption and determinism at the estimator level."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_regression

from sknn import DeepNetClassifier, MLPClassifier, MLPRegressor
from sknn.exceptions import DivergenceWarning

X, y = make_regression(n_samples=200, n_features=5, random_state=0)


def test_divergence_keeps_a_usable_fitted_model_and_says_what_to_try():
    reg = MLPRegressor(hidden_layer_sizes=(20,), solver="sgd", learning_rate_init=0.05,
                       max_iter=50, random_state=0)
    with pytest.warns(DivergenceWarning, match="learning_rate_init.*clip_norm.*batch_norm"):
        reg.fit(X, y)
    assert not np.isfinite(reg.loss_curve_[-1])
    assert np.isfinite(reg.predict(X)).all()
    assert all(np.isfinite(w).all() for w in reg.coefs_ + reg.intercepts_)


def test_divergence_from_the_first_epoch_raises_scikit_learns_error():
    huge = np.finfo(np.float64).max * np.random.RandomState(0).uniform(size=(10, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match="non-finite parameter weights"):
            MLPRegressor().fit(huge, np.arange(10.0))


def test_keyboard_interrupt_leaves_a_fitted_model_with_its_history(monkeypatch):
    from sknn.engines.numpy_engine import NumpyEngine
    real_step, calls = NumpyEngine.train_step, []

    def interrupted_step(self, data, idx, lr):
        calls.append(1)
        if len(calls) == 25:  # mid-epoch: 200 samples, batch 20 -> 10 steps per epoch
            raise KeyboardInterrupt
        return real_step(self, data, idx, lr)

    monkeypatch.setattr(NumpyEngine, "train_step", interrupted_step)
    reg = MLPRegressor(hidden_layer_sizes=(8,), batch_size=20, max_iter=50, random_state=0)
    with pytest.warns(UserWarning, match="interrupted by user after 2 completed"):
        reg.fit(X, y / 100)
    assert reg.n_iter_ == 2 and len(reg.loss_curve_) == 2 and len(reg.history_["loss"]) == 2
    assert np.isfinite(reg.predict(X)).all()


_FIT_IN_A_FRESH_PROCESS = """
import numpy as np, sys, warnings
warnings.simplefilter("ignore")
from sklearn.datasets import load_iris
from sknn import MLPClassifier
X, y = load_iris(return_X_y=True)
clf = MLPClassifier(hidden_layer_sizes=(16,), dropout=0.2, batch_norm=True, max_iter=20,
                    random_state=7).fit(X, y)
sys.stdout.write(np.concatenate([w.ravel() for w in clf.coefs_]).tobytes().hex())
"""


def test_same_seed_gives_bit_identical_weights_across_processes():
    runs = [subprocess.run([sys.executable, "-c", _FIT_IN_A_FRESH_PROCESS], check=True,
                           capture_output=True, text=True).stdout for _ in range(2)]
    assert runs[0] == runs[1] and len(runs[0]) > 0
    from sklearn.datasets import load_iris
    X_iris, y_iris = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        here = MLPClassifier(hidden_layer_sizes=(16,), dropout=0.2, batch_norm=True,
                             max_iter=20, random_state=7).fit(X_iris, y_iris)
    assert np.concatenate([w.ravel() for w in here.coefs_]).tobytes().hex() == runs[0]


def test_loading_a_model_saved_by_another_sknn_version_warns():
    import pickle

    from sknn.exceptions import InconsistentVersionWarning
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=5).fit(X, y / 100)
    state = reg.__getstate__()
    assert state["_sknn_version"] == __import__("sknn").__version__
    state["_sknn_version"] = "0.0.1"
    restored = MLPRegressor.__new__(MLPRegressor)
    with pytest.warns(InconsistentVersionWarning, match="0.0.1"):
        restored.__setstate__(state)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        pickle.loads(pickle.dumps(reg))  # same version: silent


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
@pytest.mark.parametrize("bad_input, message", [
    (dict(X=np.full((20, 3), np.nan)), "NaN"),
    (dict(X=np.full((20, 3), np.inf)), "infinity"),
    (dict(X=np.empty((0, 3)), y=np.empty(0)), "0 sample"),
    (dict(X=np.ones((20, 3, 1))), "dim 3"),
    (dict(X=np.array([["a", "b", "c"]] * 20)), "string"),
    (dict(X=np.ones((20, 3)) + 1j), "Complex"),
    (dict(sample_weight=np.ones(5)), "sample_weight"),
    (dict(sample_weight=-np.ones(20)), "sample_weight"),
])
def test_bad_fit_input_raises_a_value_error_naming_the_problem(Estimator, bad_input, message):
    arguments = dict(X=np.random.RandomState(0).rand(20, 3), y=np.arange(20) % 2,
                     sample_weight=None)
    arguments.update(bad_input)
    with pytest.raises(ValueError, match=message):
        Estimator(max_iter=5).fit(**arguments)


def test_fit_refuses_nan_targets_and_predict_refuses_the_wrong_width():
    with pytest.raises(ValueError, match="y contains NaN"):
        MLPRegressor(max_iter=5).fit(X, np.where(y > 0, np.nan, y))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = MLPRegressor(max_iter=5).fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features"):
        reg.predict(X[:, :2])


@pytest.mark.parametrize("params", [
    dict(), dict(batch_norm=True, activation="prelu", solver="sgd", learning_rate="one_cycle"),
])
def test_skops_round_trip_needs_to_trust_only_sknn_types(params):
    sio = pytest.importorskip("skops.io")
    from sklearn.datasets import load_iris
    X_iris, y_iris = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=10, random_state=0,
                            **params).fit(X_iris, y_iris)
    data = sio.dumps(clf)
    untrusted = sio.get_untrusted_types(data=data)
    assert untrusted and all(name.startswith("sknn.") for name in untrusted)
    loaded = sio.loads(data, trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict_proba(X_iris), clf.predict_proba(X_iris))


def test_search_results_do_not_depend_on_n_jobs():
    from sklearn.datasets import load_iris
    from sklearn.model_selection import GridSearchCV
    X_iris, y_iris = load_iris(return_X_y=True)
    grid = {"dropout": [0.0, 0.2], "activation": ["relu", "elu"]}
    results = []
    for n_jobs in (1, 2):
        search = GridSearchCV(MLPClassifier(hidden_layer_sizes=(8,), max_iter=15,
                                            random_state=3), grid, cv=2, n_jobs=n_jobs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results.append(search.fit(X_iris, y_iris).cv_results_["mean_test_score"])
    np.testing.assert_array_equal(results[0], results[1])


# -- memory ------------------------------------------------------------------

def _traced_peak_of_fit(estimator, X, y):
    """Bytes allocated at the peak of ``fit`` beyond what was allocated before it."""
    import gc
    import tracemalloc
    gc.collect()
    already_tracing = tracemalloc.is_tracing()
    if not already_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimator.fit(X, y)
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        if not already_tracing:
            tracemalloc.stop()


_MEMORY_ROWS, _MEMORY_FEATURES = 10_000, 784


@pytest.mark.parametrize("make_estimator, dtype, copies", [
    (lambda: MLPClassifier(hidden_layer_sizes=(32,), max_iter=1, random_state=0),
     np.float32, 0),
    (lambda: MLPClassifier(hidden_layer_sizes=(32,), max_iter=1, early_stopping=True,
                           random_state=0), np.float32, 0),
    (lambda: DeepNetClassifier(n_hidden=2, n_neurons=32, batch_size=256, max_iter=1,
                               random_state=0), np.float32, 0),
    (lambda: DeepNetClassifier(n_hidden=2, n_neurons=32, batch_size=256, max_iter=1,
                               random_state=0), np.float64, 1),
    (lambda: MLPClassifier(hidden_layer_sizes=(32,), max_iter=1, random_state=0),
     np.int64, 1),
], ids=["mlp-float32", "mlp-float32-early-stopping", "deep-net-float32",
        "deep-net-float64-to-float32", "mlp-int64-to-float64"])
def test_fit_copies_X_at_most_once_for_dtype_conversion(make_estimator, dtype, copies):
    """Training allocates at most one converted copy of X, plus a small share of it.

    The small share is the early-stopping validation rows (10%), minibatch
    buffers and weights; an extra full copy of X (a split, a shuffled copy
    per epoch) would add 1.0 and fail. benchmarks/bench_memory.py measures
    the same at 200,000 x 784.
    """
    rng = np.random.default_rng(0)
    X = rng.standard_normal((_MEMORY_ROWS, _MEMORY_FEATURES), dtype=np.float32)
    X = (X * 10).astype(dtype) if dtype == np.int64 else X.astype(dtype, copy=False)
    y = rng.integers(0, 10, _MEMORY_ROWS)
    estimator = make_estimator()
    peak = _traced_peak_of_fit(estimator, X, y)
    network_dtype = estimator.coefs_[0].dtype
    converted_copy = X.size * network_dtype.itemsize
    small_share = 0.35 * X.size * 4  # of a float32 X
    assert peak < copies * converted_copy + small_share, (peak / X.nbytes, copies)
    if copies:
        assert peak > 0.9 * copies * converted_copy  # the conversion is counted


# -- partial_fit from a memory-mapped array -----------------------------------

@pytest.mark.parametrize("Estimator, make_y", [
    (MLPClassifier, lambda X: (X[:, 0] + X[:, 1] > 0).astype(int)),
    (MLPRegressor, lambda X: X[:, 0] - 2 * X[:, 1]),
])
def test_partial_fit_trains_chunk_by_chunk_from_a_read_only_memmap(tmp_path, Estimator,
                                                                   make_y):
    """Chunks of a memmap train as the same chunks of an in-memory array do,
    the file is never written, and the estimator keeps no chunk: its size
    does not grow with the data it has seen."""
    import pickle
    rng = np.random.default_rng(0)
    n_rows, n_features, chunk = 6_000, 20, 500
    path = tmp_path / "X.dat"
    on_disk = np.memmap(path, dtype=np.float32, mode="w+", shape=(n_rows, n_features))
    on_disk[:] = rng.standard_normal((n_rows, n_features), dtype=np.float32)
    on_disk.flush()
    del on_disk
    file_bytes = path.read_bytes()
    X_map = np.memmap(path, dtype=np.float32, mode="r", shape=(n_rows, n_features))
    X_memory = np.array(X_map)
    y = make_y(X_memory)
    kwargs = {"classes": [0, 1]} if Estimator is MLPClassifier else {}
    params = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    from_map, from_memory = Estimator(**params), Estimator(**params)
    sizes = []
    for start in range(0, n_rows, chunk):
        rows = slice(start, start + chunk)
        from_map.partial_fit(X_map[rows], y[rows], **kwargs)
        from_memory.partial_fit(X_memory[rows], y[rows], **kwargs)
        sizes.append(len(pickle.dumps(from_map)))
    assert not X_map.flags.writeable
    for trained, reference in zip(from_map.coefs_ + from_map.intercepts_,
                                  from_memory.coefs_ + from_memory.intercepts_):
        np.testing.assert_array_equal(trained, reference)
        assert trained.dtype == np.float32  # trained in the memmap's dtype, no float64 copy
    assert from_map.t_ == n_rows
    # what grows per call is the history (a few floats), not data: a chunk is 40,000 bytes
    growth_per_chunk = (sizes[-1] - sizes[0]) / (len(sizes) - 1)
    assert max(sizes) < 0.1 * X_memory.nbytes and growth_per_chunk < 200
    score = from_map.score(X_memory, y)
    assert score > 0.75  # one pass learned the rule (chance: accuracy 0.5, R^2 0)
    del X_map
    assert path.read_bytes() == file_bytes


@pytest.mark.parametrize("shuffle", [True, False])
def test_early_stopping_without_copying_X_keeps_scikit_learns_split_and_weights(shuffle):
    """The training rows are read in place, yet every batch holds the rows that
    scikit-learn's copied training split gives it: the weights are scikit-learn's."""
    import sklearn.neural_network as sk
    from sklearn.datasets import load_digits
    X_digits, y_digits = load_digits(return_X_y=True)
    params = dict(hidden_layer_sizes=(12,), max_iter=12, early_stopping=True,
                  validation_fraction=0.2, n_iter_no_change=3, shuffle=shuffle,
                  batch_size=64, random_state=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = MLPClassifier(**params).fit(X_digits, y_digits)
        theirs = sk.MLPClassifier(**params).fit(X_digits, y_digits)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_)
    for mine, reference in zip(ours.coefs_ + ours.intercepts_,
                               theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(mine, reference, rtol=1e-7, atol=1e-9)


# -- one Ctrl-C stops the whole fit ----------------------------------------------------

def _interrupt_at(monkeypatch, cls, method, call_number):
    """Make ``cls.method`` raise KeyboardInterrupt at its ``call_number``-th call;
    returns the list of calls made (to check that training stopped there)."""
    real, calls = getattr(cls, method), []

    def interrupted(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == call_number:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(cls, method, interrupted)
    return calls


X_small = X[:100] / 100


def test_an_interrupted_autoencoder_layer_stops_the_whole_fit(monkeypatch):
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    from sknn import StackedAutoencoder
    from sknn.engines.numpy_engine import NumpyEngine

    calls = _interrupt_at(monkeypatch, NumpyEngine, "train_step", 3)  # in layer 1 of 2
    autoencoder = StackedAutoencoder(hidden_layer_sizes=(4, 2), batch_size=20, max_iter=5,
                                     random_state=0)
    with pytest.raises(KeyboardInterrupt):
        autoencoder.fit(X_small)
    assert len(calls) == 3  # layer 2 never trained
    with pytest.raises(NotFittedError):  # no stack missing its top layer is left behind
        check_is_fitted(autoencoder)


def test_an_interrupted_refit_keeps_the_previous_model(monkeypatch):
    from sknn import StackedAutoencoder
    from sknn.engines.numpy_engine import NumpyEngine

    autoencoder = StackedAutoencoder(hidden_layer_sizes=(4, 2), batch_size=20, max_iter=5,
                                     random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        autoencoder.fit(X_small)
    codes = autoencoder.transform(X_small)
    _interrupt_at(monkeypatch, NumpyEngine, "train_step", 3)
    with pytest.raises(KeyboardInterrupt):
        autoencoder.set_params(max_iter=50).fit(X_small)
    np.testing.assert_array_equal(autoencoder.transform(X_small), codes)


@pytest.mark.parametrize("fine_tune_iter, call_number", [(0, 17), (3, 28)],
                         ids=["top layer", "fine-tune"])
def test_an_interrupted_last_phase_ends_the_autoencoder_cleanly(monkeypatch, fine_tune_iter,
                                                                call_number):
    from sknn import StackedAutoencoder
    from sknn.engines.numpy_engine import NumpyEngine

    # 100 rows in batches of 20: 5 steps per epoch, layers of 2 epochs each; the
    # interruption comes in the second epoch of the top layer or of the fine-tune
    calls = _interrupt_at(monkeypatch, NumpyEngine, "train_step", call_number)
    autoencoder = StackedAutoencoder(hidden_layer_sizes=(4, 2), batch_size=20, max_iter=2,
                                     fine_tune_iter=fine_tune_iter, random_state=0)
    with pytest.warns(UserWarning, match="interrupted by user after 1 completed"):
        autoencoder.fit(X_small)
    assert len(calls) == call_number
    assert autoencoder.transform(X_small).shape == (100, 2)
    assert [len(curve) for curve in autoencoder.loss_curves_] == (
        [2, 2, 1] if fine_tune_iter else [2, 1])


@pytest.mark.parametrize("call_number", [3, 7], ids=["first layer", "top layer"])
def test_an_interrupted_pretraining_stops_the_whole_fit(monkeypatch, call_number):
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    from sknn import StackedAutoencoder
    from sknn.engines.numpy_engine import NumpyEngine

    labels = (np.arange(100) % 2).astype(int)
    labels[50:] = -1  # unlabeled rows only pretrain
    calls = _interrupt_at(monkeypatch, NumpyEngine, "train_step", call_number)
    clf = DeepNetClassifier(n_hidden=2, n_neurons=4, batch_size=20, max_iter=5,
                            pretraining=StackedAutoencoder(batch_size=20, max_iter=1),
                            random_state=0)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X_small, labels)
    assert len(calls) == call_number  # neither the next layer nor the supervised phase ran
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)


def test_an_interrupted_supervised_phase_after_pretraining_ends_cleanly(monkeypatch):
    from sknn import StackedAutoencoder
    from sknn.engines.numpy_engine import NumpyEngine

    labels = (np.arange(100) % 2).astype(int)
    labels[50:] = -1
    # pretraining: 2 layers x 1 epoch x 5 steps; the supervised phase: 3 steps per epoch
    calls = _interrupt_at(monkeypatch, NumpyEngine, "train_step", 10 + 3 * 2 + 1)
    clf = DeepNetClassifier(n_hidden=2, n_neurons=4, batch_size=20, max_iter=5,
                            pretraining=StackedAutoencoder(batch_size=20, max_iter=1),
                            random_state=0)
    with pytest.warns(UserWarning, match="interrupted by user after 2 completed"):
        clf.fit(X_small, labels)
    assert len(calls) == 17  # nothing trained after the interruption
    assert clf.n_iter_ == 2 and clf.predict(X_small).shape == (100,)


def test_an_interrupted_lbfgs_fit_keeps_its_last_completed_iteration(monkeypatch):
    from sknn.engines.numpy_engine import NumpyEngine

    _interrupt_at(monkeypatch, NumpyEngine, "loss_and_gradient", 12)
    reg = MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=200, random_state=0)
    with pytest.warns(UserWarning, match=r"interrupted by user after \d+ completed L-BFGS"):
        reg.fit(X, y / 100)
    assert 0 < reg.n_iter_ == len(reg.history_["loss"]) < 12
    # the weights are those of the last completed iteration, whose loss was recorded
    assert reg.loss_ == reg.history_["loss"][-1]
    residual = reg.predict(X) - y / 100
    assert 0.5 * np.mean(residual**2) <= reg.loss_


def test_an_interrupted_perceptron_keeps_its_last_completed_epoch(monkeypatch):
    from sklearn.datasets import load_iris

    from sknn import PerceptronClassifier

    X_iris, y_iris = load_iris(return_X_y=True)
    two_epochs = PerceptronClassifier(max_iter=2, tol=None, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        two_epochs.fit(X_iris, y_iris)
    calls = _interrupt_at(monkeypatch, PerceptronClassifier, "_epoch", 3)
    clf = PerceptronClassifier(max_iter=50, tol=None, random_state=0)
    with pytest.warns(UserWarning, match="interrupted by user after 2 completed"):
        clf.fit(X_iris, y_iris)
    assert len(calls) == 3 and clf.n_iter_ == 2
    np.testing.assert_array_equal(clf.coef_, two_epochs.coef_)


def test_an_interruption_before_training_leaves_the_estimator_as_it_was(monkeypatch):
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    from sknn.engines.numpy_engine import NumpyEngine

    _interrupt_at(monkeypatch, NumpyEngine, "prepare", 1)  # moving the data, say
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    with pytest.raises(KeyboardInterrupt):
        reg.fit(X, y / 100)
    with pytest.raises(NotFittedError):  # not the initial weights posing as a fitted model
        check_is_fitted(reg)


# -- global state ---------------------------------------------------------------------

def _blas_threads():
    from threadpoolctl import threadpool_info

    return sorted((info["filepath"], info["num_threads"]) for info in threadpool_info()
                  if info["user_api"] == "blas")


def test_overlapping_fits_restore_the_blas_thread_limits(monkeypatch):
    # fit A starts, fit B starts, A ends, B ends: saving and restoring per fit would
    # leave B's saved value (A's limit of 1) in place
    import threading

    from threadpoolctl import threadpool_limits

    from sknn.engines._threads import compute_threads
    from sknn.spec import mlp_spec

    spec = mlp_spec(4, (8,), 1, "relu", "squared_error")  # small products: limit 1
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def fit_a():
        with compute_threads(spec, 10):
            a_in.set()
            b_in.wait()
        a_out.set()

    def fit_b():
        a_in.wait()
        with compute_threads(spec, 10):
            b_in.set()
            a_out.wait()

    with threadpool_limits(limits=2, user_api="blas"):
        expected = _blas_threads()
        assert any(count == 2 for _, count in expected)  # a leftover 1 would show
        threads = [threading.Thread(target=fit_a), threading.Thread(target=fit_b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert _blas_threads() == expected


def test_concurrent_fits_in_threads_leave_no_blas_limit_behind():
    import threading

    from threadpoolctl import threadpool_limits

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y / 100)

    with threadpool_limits(limits=2, user_api="blas"):
        expected = _blas_threads()
        for _ in range(5):
            threads = [threading.Thread(target=fit) for _ in range(3)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert _blas_threads() == expected
