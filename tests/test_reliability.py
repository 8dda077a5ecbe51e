"""Divergence, interruption and determinism at the estimator level."""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_regression

from sknn import MLPClassifier, MLPRegressor
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
