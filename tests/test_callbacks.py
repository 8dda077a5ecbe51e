"""scikit-learn's callback API (sklearn.callback) on every sknn estimator."""

import io
import pickle
import warnings

import joblib
import numpy as np
import pytest
from sklearn.callback import ProgressBar, ScoringMonitor
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import get_scorer
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sknn.estimators._base
from sknn import (
    DeepNetClassifier,
    MLPClassifier,
    MLPRegressor,
    PerceptronClassifier,
    StackedAutoencoder,
)
from sknn.exceptions import DivergenceWarning
from sknn.nn.optimizers import OPTIMIZERS

X, y = make_classification(n_samples=60, n_features=5, n_informative=3, random_state=0)
# a regression target, for MLPRegressor
Y_SUM = X.sum(axis=1)
# no stopping rule ends these fits before max_iter
STEADY = dict(tol=0.0, n_iter_no_change=10**6, random_state=0)


class Recorder:
    """Records each hook call as (hook, task name, task id); stops where ``stop_at`` says."""

    def __init__(self, stop_at=None):
        self.calls, self.fitted, self.stop_at = [], [], stop_at

    def setup(self, estimator, context):
        self.calls.append(("setup",))

    def teardown(self, estimator, context):
        self.calls.append(("teardown",))

    def on_fit_task_begin(self, estimator, context):
        self.calls.append(("begin", context.task_name, context.task_id))

    def on_fit_task_end(self, estimator, context, *, X=None, y=None, metadata=None,
                        fitted_estimator=None):
        self.calls.append(("end", context.task_name, context.task_id))
        self.fitted.append((context.task_name, X, y, metadata, fitted_estimator))
        return (context.task_name, context.task_id) == self.stop_at


class PropagatedRecorder(Recorder):
    """Set on a meta-estimator, scikit-learn hands it to the sub-estimators too."""

    max_propagation_depth = None

    def on_fit_task_end(self, estimator, context, **ignored):
        self.calls.append(("end", context.estimator_name, context.task_name,
                           context.source_estimator_name))


def expected_calls(n_epochs, task_name="epoch", root="fit"):
    epochs = [call for i in range(n_epochs)
              for call in (("begin", task_name, i), ("end", task_name, i))]
    return [("setup",), ("begin", root, 0), *epochs, ("end", root, 0), ("teardown",)]


def backends():
    return ["numpy", pytest.param("torch", marks=pytest.mark.skipif(
        not _has_torch(), reason="torch is not installed"))]


def _has_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def same_weights(a, b):
    return all(np.array_equal(left, right) for left, right in zip(a, b))


@pytest.mark.parametrize("backend", backends())
@pytest.mark.parametrize("solver", ["lbfgs", *OPTIMIZERS.names()])
def test_hooks_begin_and_end_every_epoch_in_order(solver, backend):
    recorder = Recorder()
    reg = MLPRegressor(hidden_layer_sizes=(4,), solver=solver, max_iter=3, backend=backend,
                       **STEADY).set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 3 epochs do not converge
        reg.fit(X, Y_SUM)
    assert reg.n_iter_ == 3
    assert recorder.calls == expected_calls(3, "iteration" if solver == "lbfgs" else "epoch")


def test_a_deep_net_with_its_default_optimizer_has_one_task_per_epoch():
    recorder = Recorder()
    clf = DeepNetClassifier(n_hidden=1, n_neurons=4, max_iter=4, early_stopping=False,
                            **STEADY).set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    assert clf.n_iter_ == 4
    assert recorder.calls == expected_calls(4)


def test_the_perceptron_has_one_task_per_epoch_and_partial_fit_is_one_leaf_task():
    recorder = Recorder()
    clf = PerceptronClassifier(max_iter=5, tol=None).set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    assert recorder.calls == expected_calls(5)
    recorder.calls.clear()
    clf.partial_fit(X, y)
    assert recorder.calls == [("setup",), ("begin", "partial_fit", 0),
                              ("end", "partial_fit", 0), ("teardown",)]


def test_partial_fit_of_an_mlp_is_one_leaf_task_whose_fitted_estimator_is_the_estimator():
    recorder = Recorder()
    clf = MLPClassifier(hidden_layer_sizes=(4,), random_state=0).set_callbacks(recorder)
    clf.partial_fit(X, y, classes=[0, 1])
    assert recorder.calls == [("setup",), ("begin", "partial_fit", 0),
                              ("end", "partial_fit", 0), ("teardown",)]
    fitted = recorder.fitted[-1][-1]
    assert fitted is not clf
    np.testing.assert_array_equal(fitted.predict_proba(X), clf.predict_proba(X))


def test_the_autoencoder_has_a_task_per_stage_and_one_per_epoch_in_each():
    recorder = Recorder()
    ae = StackedAutoencoder(hidden_layer_sizes=(4, 2), max_iter=2, fine_tune_iter=1,
                            **STEADY).set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ae.fit(X)
    epochs = [("begin", "epoch", 0), ("end", "epoch", 0), ("begin", "epoch", 1),
              ("end", "epoch", 1)]
    assert recorder.calls == [
        ("setup",), ("begin", "fit", 0),
        ("begin", "layer 1", 0), *epochs, ("end", "layer 1", 0),
        ("begin", "layer 2", 1), *epochs, ("end", "layer 2", 1),
        ("begin", "fine-tune", 2), *epochs[:2], ("end", "fine-tune", 2),
        ("end", "fit", 0), ("teardown",)]


def test_the_autoencoders_fitted_estimator_transforms_with_the_stack_so_far():
    recorder = Recorder()
    ae = StackedAutoencoder(hidden_layer_sizes=(4, 2), max_iter=2, **STEADY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ae.set_callbacks(recorder).fit(X)
        one_layer = StackedAutoencoder(hidden_layer_sizes=(4,), max_iter=2, **STEADY).fit(X)
    after_layer_1 = next(fitted for name, *_, fitted in recorder.fitted if name == "layer 1")
    np.testing.assert_array_equal(after_layer_1.transform(X), one_layer.transform(X))
    np.testing.assert_array_equal(after_layer_1.inverse_transform(one_layer.transform(X)),
                                  one_layer.inverse_transform(one_layer.transform(X)))
    last_epoch = [fitted for name, *_, fitted in recorder.fitted if name == "epoch"][-1]
    np.testing.assert_array_equal(last_epoch.transform(X), ae.transform(X))


def test_a_stop_at_a_stage_keeps_the_layers_trained_so_far():
    ae = StackedAutoencoder(hidden_layer_sizes=(4, 2), max_iter=2, fine_tune_iter=2, **STEADY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ae.set_callbacks(Recorder(stop_at=("layer 1", 0))).fit(X)
        one_layer = StackedAutoencoder(hidden_layer_sizes=(4,), max_iter=2, **STEADY).fit(X)
    assert ae.n_iter_ == 2 and len(ae.loss_curves_) == 1
    assert ae.get_feature_names_out().shape == (4,)
    np.testing.assert_array_equal(ae.transform(X), one_layer.transform(X))


def test_a_stop_in_a_stage_ends_that_stage_only():
    recorder = Recorder(stop_at=("epoch", 0))
    ae = StackedAutoencoder(hidden_layer_sizes=(4, 2), max_iter=3, **STEADY)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a deliberate stop is no convergence failure
        ae.set_callbacks(recorder).fit(X)
    assert [len(curve) for curve in ae.loss_curves_] == [1, 1]
    assert ae.n_iter_ == 2


STOPPABLE = [
    dict(solver="adam"),
    dict(solver="sgd", learning_rate="adaptive"),
    dict(solver="adam", early_stopping=True, validation_fraction=0.2),
    dict(solver="lbfgs"),
    pytest.param(dict(solver="nadam", backend="torch"), marks=pytest.mark.skipif(
        not _has_torch(), reason="torch is not installed")),
]


@pytest.mark.parametrize("params", STOPPABLE)
def test_a_stop_after_epoch_k_fits_what_max_iter_k_fits(params):
    k = 3
    task = "iteration" if params["solver"] == "lbfgs" else "epoch"
    clf = MLPClassifier(hidden_layer_sizes=(6,), max_iter=20, **params, **STEADY)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a deliberate stop is no convergence failure
        clf.set_callbacks(Recorder(stop_at=(task, k - 1))).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = MLPClassifier(hidden_layer_sizes=(6,), max_iter=k, **params,
                                  **STEADY).fit(X, y)
    assert clf.n_iter_ == k == reference.n_iter_
    assert len(clf.history_["loss"]) == k
    assert same_weights(clf.coefs_ + clf.intercepts_, reference.coefs_ + reference.intercepts_)


def test_a_stop_after_epoch_k_of_the_perceptron_fits_what_max_iter_k_fits():
    clf = PerceptronClassifier(max_iter=20, tol=None, random_state=0)
    clf.set_callbacks(Recorder(stop_at=("epoch", 2))).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = PerceptronClassifier(max_iter=3, tol=None, random_state=0).fit(X, y)
    assert clf.n_iter_ == 3
    np.testing.assert_array_equal(clf.coef_, reference.coef_)
    np.testing.assert_array_equal(clf.intercept_, reference.intercept_)


@pytest.mark.parametrize("make, method", [
    (lambda k: MLPClassifier(hidden_layer_sizes=(6,), solver="sgd", max_iter=k, **STEADY),
     "predict_proba"),
    (lambda k: MLPClassifier(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=k, **STEADY),
     "predict_proba"),
    (lambda k: PerceptronClassifier(max_iter=k, tol=None, random_state=0), "decision_function"),
], ids=["sgd", "lbfgs", "perceptron"])
def test_fitted_estimator_of_epoch_k_predicts_as_a_fit_with_max_iter_k(make, method):
    recorder = Recorder()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make(5).set_callbacks(recorder).fit(X, y)
        references = {k: make(k).fit(X, y) for k in (1, 3, 5)}
    epochs = [fitted for name, *_, fitted in recorder.fitted if name != "fit"]
    assert len(epochs) == 5
    for k, reference in references.items():
        # read after the fit ended: a fitted estimator keeps its epoch's weights
        np.testing.assert_array_equal(getattr(epochs[k - 1], method)(X),
                                      getattr(reference, method)(X))
        assert epochs[k - 1].n_iter_ == k


def test_scoring_monitor_logs_the_score_of_a_refit_with_max_iter_k():
    monitor = ScoringMonitor(scoring="neg_log_loss")
    params = dict(hidden_layer_sizes=(6,), solver="adam", **STEADY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPClassifier(max_iter=5, **params).set_callbacks(monitor).fit(X, y)
        refits = {k: MLPClassifier(max_iter=k, **params).fit(X, y) for k in (1, 2, 5)}
    logged = [row["neg_log_loss"] for row in monitor.get_logs().data
              if row["task_name"] == "epoch"]
    assert len(logged) == 5
    scorer = get_scorer("neg_log_loss")
    assert [logged[k - 1] for k in refits] == [scorer(refit, X, y) for refit in refits.values()]


def test_a_diverged_epoch_has_no_fitted_estimator_and_the_fit_keeps_its_fallback():
    X_big, y_big = make_regression(n_samples=200, n_features=5, random_state=0)
    monitor = ScoringMonitor(scoring="r2")
    # diverges in a few epochs (tests/test_reliability.py)
    reg = MLPRegressor(hidden_layer_sizes=(20,), solver="sgd", learning_rate_init=0.05,
                       max_iter=50, random_state=0).set_callbacks(monitor)
    with pytest.warns(DivergenceWarning), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflows on the way
        reg.fit(X_big, y_big)
    epochs = [row for row in monitor.get_logs().data if row["task_name"] == "epoch"]
    # every epoch before the diverged one is scored, the diverged one is not
    assert len(epochs) == reg.n_iter_ - 1
    assert np.isfinite(reg.predict(X_big)).all()


def test_hooks_get_the_data_as_passed_and_sample_weight_as_metadata():
    recorder = Recorder()
    weights = np.linspace(0.5, 1.5, len(y))
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, **STEADY).set_callbacks(recorder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y, sample_weight=weights)
    assert len(recorder.fitted) == 3
    for _, X_seen, y_seen, metadata, _ in recorder.fitted:
        assert X_seen is X and y_seen is y
        assert metadata.keys() == {"sample_weight"} and metadata["sample_weight"] is weights
    recorder.fitted.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    assert [metadata for _, _, _, metadata, _ in recorder.fitted] == [{}, {}, {}]


class CountingCalls:
    def __init__(self, function):
        self.function, self.calls = function, 0

    def __call__(self, *args):
        self.calls += 1
        return self.function(*args)


class NoFittedEstimator(Recorder):
    def on_fit_task_end(self, estimator, context):
        self.calls.append(("end", context.task_name, context.task_id))


@pytest.mark.parametrize("callback, built", [(NoFittedEstimator(), 0), (Recorder(), 4)])
def test_an_epochs_fitted_estimator_is_built_only_for_a_hook_that_asks(monkeypatch, callback,
                                                                      built):
    counting = CountingCalls(sknn.estimators._base._epoch_attributes)
    monkeypatch.setattr(sknn.estimators._base, "_epoch_attributes", counting)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPClassifier(hidden_layer_sizes=(4,), max_iter=4, **STEADY).set_callbacks(
            callback).fit(X, y)
    assert counting.calls == built


def test_no_callbacks_set_means_no_callback_machinery(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("no callback context without callbacks")

    monkeypatch.setattr(MLPClassifier, "_init_callback_context", refuse)
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, **STEADY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    assert not hasattr(clf, "_callback_fit_ctx")


def test_auto_propagated_callbacks_reach_an_sknn_estimator_in_a_pipeline():
    recorder = PropagatedRecorder()
    pipeline = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(4,),
                                                             max_iter=2, **STEADY))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipeline.set_callbacks(recorder).fit(X, y)
    ends = [call for call in recorder.calls if call[0] == "end"]
    assert ("end", "MLPClassifier", "epoch", None) in ends
    assert ("end", "MLPClassifier", "fit", "Pipeline") in ends  # merged with the step's task
    assert ends.count(("end", "MLPClassifier", "epoch", None)) == 2


@pytest.mark.parametrize("search", [
    lambda estimator: GridSearchCV(estimator, {"alpha": [1e-4, 1e-2]}, cv=2, n_jobs=2),
    lambda estimator: RandomizedSearchCV(estimator, {"alpha": [1e-4, 1e-2]}, n_iter=2, cv=2,
                                         n_jobs=2, random_state=0),
], ids=["GridSearchCV", "RandomizedSearchCV"])
def test_callbacks_work_in_a_search_with_two_processes(search, capsys):
    pytest.importorskip("rich")
    monitor = ScoringMonitor(scoring="accuracy")
    estimator = MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, **STEADY)
    searcher = search(estimator.set_callbacks(monitor)).set_callbacks(ProgressBar())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        searcher.fit(X, y)
    rows = monitor.get_logs().data
    # 2 candidates x 2 folds, then the refit: 5 fits of 3 epochs each
    assert sum(row["task_name"] == "epoch" for row in rows) == 15
    assert sum(row["task_name"] == "fit" for row in rows) == 5
    assert "MLPClassifier - fit" in capsys.readouterr().out


def test_progress_bar_shows_an_sknn_fit(capsys):
    pytest.importorskip("rich")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, **STEADY).set_callbacks(
            ProgressBar()).fit(X, y)
    out = capsys.readouterr().out
    assert "MLPClassifier - fit" in out and "100%" in out


@pytest.mark.parametrize("dump, load", [
    (pickle.dumps, pickle.loads),
    (lambda obj: (joblib.dump(obj, buffer := io.BytesIO()), buffer)[1],
     lambda buffer: joblib.load(io.BytesIO(buffer.getvalue()))),
], ids=["pickle", "joblib"])
def test_an_estimator_with_callbacks_pickles_and_fits_again(dump, load):
    pytest.importorskip("rich")
    clf = MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, **STEADY).set_callbacks(
        ScoringMonitor(scoring="accuracy"), ProgressBar(), Recorder())
    restored_unfitted = load(dump(clf))
    assert [type(c) for c in restored_unfitted._skl_callbacks] == [
        ScoringMonitor, ProgressBar, Recorder]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
        restored = load(dump(clf))
        np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
        restored.fit(X, y)
    monitor, _, recorder = restored._skl_callbacks
    assert sum(row["task_name"] == "epoch" for row in monitor.get_logs().data) == 2
    assert recorder.calls[-3:] == [("end", "epoch", 1), ("end", "fit", 0), ("teardown",)]
