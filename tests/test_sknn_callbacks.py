"""sknn's own callbacks (sknn.callbacks): EarlyStopping, ModelCheckpoint, CSVLogger and
OptunaPruning, on scikit-learn's callback protocol."""

import csv
import io
import math
import pickle
import warnings

import joblib
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sknn.estimators._base
from sknn import MLPClassifier, MLPRegressor, PerceptronClassifier, StackedAutoencoder
from sknn.callbacks import (
    CSVLogger,
    EarlyStopping,
    FitTask,
    ModelCheckpoint,
    OptunaPruning,
)
from sknn.training import HISTORY_KEYS
from tests._optional import installed
from tests.test_callbacks import CountingCalls, backends

X, y = make_classification(n_samples=120, n_features=8, n_informative=4, flip_y=0.2,
                           random_state=0)
X_train, y_train, X_val, y_val = X[:60], y[:60], X[60:], y[60:]
# On this split the validation loss is lowest after epoch 7 and rises from epoch 8 on.
NET = dict(hidden_layer_sizes=(32,), learning_rate_init=0.005, tol=0.0,
           n_iter_no_change=10**6, random_state=0)


def net(max_iter=200, **params):
    return MLPClassifier(**{**NET, "max_iter": max_iter, **params})


def fit_quietly(estimator, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short fits do not converge
        return estimator.fit(*args, **kwargs)


def same_weights(a, b):
    return all(np.array_equal(left, right)
               for left, right in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_))


# -- EarlyStopping's arithmetic, on crafted sequences ------------------------------------


def epochs_until_stop(stopper, values, key):
    """Feed ``values`` to ``stopper`` as the history entry ``key`` of successive epochs;
    the number of epochs that ran."""
    estimator = MLPClassifier().set_callbacks(stopper)
    task = FitTask.start(estimator, None, None, max_subtasks=len(values))
    history = {name: [] for name in HISTORY_KEYS}
    task.begin_training(None, history)
    task.validation = (X_val, y_val, None)
    for epoch, value in enumerate(values, 1):
        task.begin_epoch()
        history[key].append(value)
        if task.end_epoch():
            return epoch
    return len(values)


@pytest.mark.parametrize("monitor, mode, patience, min_delta, values, stopped, best_epoch", [
    ("loss", "auto", 2, 0.0, [5, 4, 4, 4, 3], 4, 2),
    ("loss", "auto", 2, 0.0, [5, 6, 4, 6, 6, 1], 5, 3),  # an improvement restarts patience
    # changes below min_delta are no improvement, and do not move the best either
    ("loss", "auto", 2, 0.1, [1.0, 0.95, 0.91, 0.5], 3, 1),
    ("val_score", "auto", 2, 0.0, [0.5, 0.6, 0.6, 0.7, 0.65, 0.7, 0.9], 6, 4),  # ties do not
    ("val_score", "auto", 1, 0.05, [0.5, 0.54, 0.9], 2, 1),
    ("loss", "max", 1, 0.0, [1, 2, 1], 3, 2),
    ("val_loss", "auto", 2, 0.0, [1.0, math.nan, math.nan, 0.5], 3, 1),  # NaN never improves
    ("loss", "auto", 3, 0.0, [3, 2, 1], 0, 3),  # 0: never stopped
])
def test_early_stopping_stops_after_patience_epochs_without_a_min_delta_improvement(
        monitor, mode, patience, min_delta, values, stopped, best_epoch):
    stopper = EarlyStopping(monitor, patience=patience, min_delta=min_delta, mode=mode,
                            restore_best_weights=False)
    assert epochs_until_stop(stopper, values, monitor) == (stopped or len(values))
    assert stopper.stopped_epoch_ == stopped
    assert stopper.best_epoch_ == best_epoch
    assert stopper.best_ == values[best_epoch - 1]


@pytest.mark.parametrize("params, message", [
    (dict(patience=0), "patience must be an integer >= 1"),
    (dict(min_delta=-0.1), "min_delta must be a finite number >= 0"),
    (dict(mode="up"), "mode must be 'auto', 'min' or 'max'"),
    (dict(monitor="precision_macro_typo"), "scikit-learn scorer"),
])
def test_early_stopping_refuses_bad_parameters_naming_them(params, message):
    with pytest.raises(ValueError, match=message):
        EarlyStopping(**params)


# -- EarlyStopping on real fits -------------------------------------------------------------


@pytest.mark.parametrize("backend", backends())
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_restore_best_weights_gives_the_weights_a_refit_to_the_best_epoch_gives(backend,
                                                                                solver):
    stopper = EarlyStopping(monitor="val_loss", patience=3)
    params = dict(backend=backend, solver=solver, learning_rate_init=0.005 if solver == "adam"
                  else 0.2)
    clf = fit_quietly(net(**params).set_callbacks(stopper), X_train, y_train,
                      validation_data=(X_val, y_val))
    assert 1 < stopper.best_epoch_ < stopper.stopped_epoch_ == clf.n_iter_ < 200
    assert stopper.stopped_epoch_ == stopper.best_epoch_ + 3
    # n_iter_ and the history count every epoch that ran, as in Keras
    assert len(clf.history_["loss"]) == clf.n_iter_
    assert stopper.best_ == min(clf.history_["val_loss"])
    refit = fit_quietly(net(max_iter=stopper.best_epoch_, **params), X_train, y_train)
    assert same_weights(clf, refit)


def test_without_restore_best_weights_the_last_epoch_is_kept():
    stopper = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=False)
    clf = fit_quietly(net().set_callbacks(stopper), X_train, y_train,
                      validation_data=(X_val, y_val))
    assert same_weights(clf, fit_quietly(net(max_iter=clf.n_iter_), X_train, y_train))


def test_restore_best_weights_also_when_max_iter_ends_the_fit_first():
    stopper = EarlyStopping(monitor="val_loss", patience=50)
    clf = fit_quietly(net(max_iter=12).set_callbacks(stopper), X_train, y_train,
                      validation_data=(X_val, y_val))
    assert clf.n_iter_ == 12 and stopper.stopped_epoch_ == 0
    assert same_weights(clf, fit_quietly(net(max_iter=stopper.best_epoch_), X_train, y_train))


def test_early_stopping_on_lbfgs_iterations_restores_the_best_iteration():
    stopper = EarlyStopping(monitor="accuracy", patience=2)
    params = dict(solver="lbfgs", hidden_layer_sizes=(8,), random_state=0)
    clf = fit_quietly(MLPClassifier(max_iter=200, **params).set_callbacks(stopper), X, y)
    assert stopper.stopped_epoch_ == clf.n_iter_ == stopper.best_epoch_ + 2
    refit = fit_quietly(MLPClassifier(max_iter=stopper.best_epoch_, **params), X, y)
    assert same_weights(clf, refit)
    assert stopper.best_ == refit.score(X, y)


@pytest.mark.parametrize("validation", [True, False])
def test_a_scorer_name_is_scored_on_the_validation_set_when_there_is_one(validation):
    stopper = EarlyStopping(monitor="neg_log_loss", patience=2)
    fit_kwargs = dict(validation_data=(X_val, y_val)) if validation else {}
    fit_quietly(net(max_iter=30).set_callbacks(stopper), X_train, y_train, **fit_kwargs)
    refit = fit_quietly(net(max_iter=stopper.best_epoch_), X_train, y_train)
    X_scored, y_scored = (X_val, y_val) if validation else (X_train, y_train)
    probabilities = refit.predict_proba(X_scored)[np.arange(len(y_scored)), y_scored]
    assert stopper.best_ == pytest.approx(np.mean(np.log(probabilities)), rel=1e-12)


def test_a_regressor_monitors_r2_on_its_validation_set():
    target = X @ np.linspace(-1, 1, X.shape[1])
    stopper = EarlyStopping(monitor="r2", patience=2)
    params = dict(hidden_layer_sizes=(8,), learning_rate_init=0.01, random_state=0)
    fit_quietly(MLPRegressor(max_iter=40, **params).set_callbacks(stopper), X_train,
                target[:60], validation_data=(X_val, target[60:]))
    refit = fit_quietly(MLPRegressor(max_iter=stopper.best_epoch_, **params), X_train,
                        target[:60])
    assert stopper.best_ == refit.score(X_val, target[60:])


def test_early_stopping_true_splits_the_validation_set_the_callback_monitors():
    stopper = EarlyStopping(monitor="val_score", patience=2)
    clf = fit_quietly(net(early_stopping=True, validation_fraction=0.3).set_callbacks(stopper),
                      X, y)
    assert stopper.best_ == max(clf.history_["val_score"])


@pytest.mark.parametrize("params, fit_kwargs", [
    (dict(), {}),
    (dict(solver="lbfgs"), {}),
], ids=["no validation set", "lbfgs"])
@pytest.mark.parametrize("monitor", ["val_loss", "val_score"])
def test_a_validation_monitor_without_a_validation_set_says_how_to_give_one(params,
                                                                            fit_kwargs,
                                                                            monitor):
    clf = net(max_iter=3, **params).set_callbacks(EarlyStopping(monitor))
    with pytest.raises(ValueError, match="has no validation set.*validation_data="):
        fit_quietly(clf, X, y, **fit_kwargs)


def test_the_perceptron_is_stopped_by_a_scorer_and_refuses_what_it_cannot_do():
    stopper = EarlyStopping(monitor="accuracy", patience=2, restore_best_weights=False)
    clf = fit_quietly(PerceptronClassifier(max_iter=100, tol=None, random_state=0)
                      .set_callbacks(stopper), X, y)
    assert stopper.stopped_epoch_ == clf.n_iter_ < 100
    with pytest.raises(ValueError, match="records no per-epoch history"):
        clf.set_callbacks(EarlyStopping("loss", restore_best_weights=False)).fit(X, y)
    with pytest.raises(ValueError, match="restore_best_weights=False"):
        clf.set_callbacks(EarlyStopping("accuracy")).fit(X, y)


def test_each_stage_of_an_autoencoder_stops_on_its_own():
    # any change below 1e3 is no improvement: every stage stops after its second epoch
    stopper = EarlyStopping(monitor="loss", patience=1, min_delta=1e3)
    ae = StackedAutoencoder(hidden_layer_sizes=(4, 2), max_iter=20, fine_tune_iter=20,
                            random_state=0).set_callbacks(stopper)
    fit_quietly(ae, X)
    assert [len(curve) for curve in ae.loss_curves_] == [2, 2, 2]
    assert ae.n_iter_ == 6


def test_history_monitors_copy_no_weights_and_keep_weights_only_on_improvement(monkeypatch):
    built = CountingCalls(sknn.estimators._base._epoch_attributes)
    monkeypatch.setattr(sknn.estimators._base, "_epoch_attributes", built)
    kept, keep_weights = [], FitTask.keep_weights

    def counted_keep_weights(task):
        kept.append(len(task.history["val_loss"]))
        keep_weights(task)

    monkeypatch.setattr(FitTask, "keep_weights", counted_keep_weights)
    clf = fit_quietly(net(max_iter=15).set_callbacks(EarlyStopping("val_loss", patience=20)),
                      X_train, y_train, validation_data=(X_val, y_val))
    losses = clf.history_["val_loss"]
    assert built.calls == 0
    # on the epochs that lower the validation loss (1 to 7 here), and on no other
    assert kept == [i + 1 for i, loss in enumerate(losses)
                    if loss < min(losses[:i], default=np.inf)] == list(range(1, 8))


# -- ModelCheckpoint ---------------------------------------------------------------------


def loaded(path, format):
    if format == "joblib":
        return joblib.load(path)
    skops_io = pytest.importorskip("skops.io")
    return skops_io.load(path, trusted=skops_io.get_untrusted_types(file=path))


@pytest.mark.parametrize("backend, format", [
    ("numpy", "joblib"),
    pytest.param("numpy", "skops", marks=pytest.mark.skipif(
        not installed("skops"), reason="skops is not installed")), *[
        pytest.param("torch", "joblib", marks=param.marks)
        for param in backends()[1:]]])
def test_each_checkpoint_loads_and_predicts_as_the_estimator_at_that_epoch(tmp_path, backend,
                                                                          format):
    checkpoint = ModelCheckpoint(tmp_path / ("model-{epoch:02d}." + format), format=format)
    fit_quietly(net(max_iter=4, backend=backend).set_callbacks(checkpoint), X, y)
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        f"model-0{epoch}.{format}" for epoch in range(1, 5)]
    assert checkpoint.filepath_ == str(tmp_path / f"model-04.{format}")
    for epoch in (1, 3, 4):
        model = loaded(tmp_path / f"model-0{epoch}.{format}", format)
        refit = fit_quietly(net(max_iter=epoch, backend=backend), X, y)
        np.testing.assert_array_equal(model.predict_proba(X), refit.predict_proba(X))
        assert model.n_iter_ == epoch and len(model.history_["loss"]) == epoch
        # a model only: no callbacks, no fit context, no training state
        assert not {"_skl_callbacks", "_callback_fit_ctx", "_train_state",
                    "_optimizer"} & set(vars(model))


def test_a_skops_checkpoint_needs_only_the_types_its_docstring_lists(tmp_path):
    skops_io = pytest.importorskip("skops.io")
    path = tmp_path / "model.skops"
    fit_quietly(net(max_iter=2, batch_norm=True, dropout=0.1)
                .set_callbacks(ModelCheckpoint(path, format="skops")), X, y)
    untrusted = skops_io.get_untrusted_types(file=path)
    assert set(untrusted) <= {"sknn.estimators.mlp.MLPClassifier", "sknn.network.Network",
                              "sknn.nn.losses.LossSpec"} | {
        f"sknn.spec.{name}" for name in ("Dense", "Activation", "BatchNorm", "Dropout",
                                         "NetworkSpec")}
    assert "sknn.spec.BatchNorm" in untrusted


def test_save_best_only_writes_each_improvement_and_ends_with_the_best(tmp_path):
    checkpoint = ModelCheckpoint(tmp_path / "model-{epoch}-{val_loss:.4f}.joblib",
                                 save_best_only=True)
    clf = fit_quietly(net(max_iter=12).set_callbacks(checkpoint), X_train, y_train,
                      validation_data=(X_val, y_val))
    losses = clf.history_["val_loss"]
    best_epoch = int(np.argmin(losses)) + 1
    assert checkpoint.best_epoch_ == best_epoch == 7
    assert sorted(int(path.name.split("-")[1]) for path in tmp_path.iterdir()) == list(
        range(1, 8))
    assert checkpoint.filepath_.endswith(f"model-7-{losses[6]:.4f}.joblib")
    best = joblib.load(checkpoint.filepath_)
    assert same_weights(best, fit_quietly(net(max_iter=7), X_train, y_train))


def test_a_checkpoint_path_may_name_a_scorer_it_monitors(tmp_path):
    checkpoint = ModelCheckpoint(tmp_path / "m{epoch}-{accuracy:.3f}", monitor="accuracy")
    fit_quietly(net(max_iter=2).set_callbacks(checkpoint), X, y)
    score = fit_quietly(net(max_iter=2), X, y).score(X, y)
    assert checkpoint.filepath_ == str(tmp_path / f"m2-{score:.3f}")


def test_a_checkpoint_path_with_an_unknown_placeholder_is_refused_at_once():
    with pytest.raises(ValueError, match=r"placeholders \['acc'\].*\{epoch\}"):
        ModelCheckpoint("model-{acc}.joblib")
    with pytest.raises(ValueError, match="format must be 'joblib' or 'skops'"):
        ModelCheckpoint("model.pkl", format="pickle")


def test_with_early_stopping_true_too_the_callbacks_best_epoch_is_kept(tmp_path):
    checkpoint = ModelCheckpoint(tmp_path / "{epoch}.joblib")
    stopper = EarlyStopping(monitor="loss", patience=2, min_delta=0.02)
    clf = fit_quietly(net(early_stopping=True, validation_fraction=0.3)
                      .set_callbacks(stopper, checkpoint), X, y)
    assert stopper.best_epoch_ < clf.n_iter_
    best = joblib.load(tmp_path / f"{stopper.best_epoch_}.joblib")
    np.testing.assert_array_equal(clf.predict_proba(X), best.predict_proba(X))


# -- CSVLogger --------------------------------------------------------------------------


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def as_history(rows):
    return {key: [float(row[key]) if row[key] else None for row in rows]
            for key in HISTORY_KEYS}


def test_csv_logger_rows_equal_the_history(tmp_path):
    path = tmp_path / "log.csv"
    clf = fit_quietly(net(max_iter=5).set_callbacks(CSVLogger(path)), X_train, y_train,
                      validation_data=(X_val, y_val))
    rows = read_rows(path)
    assert [row["epoch"] for row in rows] == ["1", "2", "3", "4", "5"]
    assert as_history(rows) == clf.history_
    assert None not in clf.history_["val_score"]


def test_csv_logger_leaves_what_an_lbfgs_fit_does_not_record_empty(tmp_path):
    path = tmp_path / "log.csv"
    clf = fit_quietly(net(max_iter=3, solver="lbfgs").set_callbacks(CSVLogger(path)), X, y)
    rows = read_rows(path)
    assert as_history(rows) == clf.history_
    assert {row["val_loss"] + row["val_score"] + row["learning_rate"] for row in rows} == {""}


def test_csv_logger_appends_or_replaces_and_partial_fit_leaves_the_file_alone(tmp_path):
    path = tmp_path / "log.csv"
    logger = CSVLogger(path, append=True)
    clf = net(max_iter=2).set_callbacks(logger)
    clf.partial_fit(X, y, classes=[0, 1])
    assert not path.exists()
    fit_quietly(clf, X, y)
    fit_quietly(clf, X, y)
    assert [row["epoch"] for row in read_rows(path)] == ["1", "2", "1", "2"]
    logger.append = False
    fit_quietly(clf, X, y)
    assert [row["epoch"] for row in read_rows(path)] == ["1", "2"]


def test_csv_logger_refuses_the_perceptron_which_records_no_history(tmp_path):
    clf = PerceptronClassifier(max_iter=3).set_callbacks(CSVLogger(tmp_path / "log.csv"))
    with pytest.raises(ValueError, match="records no per-epoch history"):
        fit_quietly(clf, X, y)


# -- OptunaPruning ----------------------------------------------------------------------


def pruned_study(pruner, n_trials=8, max_iter=9):
    """A study whose objective fits a network with OptunaPruning; (study, {trial: n_iter_})."""
    optuna = pytest.importorskip("optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    epochs = {}

    def objective(trial):
        pruning = OptunaPruning(trial)
        clf = net(max_iter=max_iter, learning_rate_init=trial.suggest_float(
            "learning_rate_init", 1e-4, 1e-1, log=True)).set_callbacks(pruning)
        fit_quietly(clf, X_train, y_train, validation_data=(X_val, y_val))
        epochs[trial.number] = clf.n_iter_
        if pruning.pruned_:
            raise optuna.TrialPruned()
        return clf.history_["val_score"][-1]

    study = optuna.create_study(direction="maximize", pruner=pruner,
                                sampler=optuna.samplers.RandomSampler(seed=0))
    study.optimize(objective, n_trials=n_trials)
    return study, epochs


@pytest.mark.parametrize("make_pruner", [
    lambda optuna: optuna.pruners.MedianPruner(n_startup_trials=2),
    lambda optuna: optuna.pruners.HyperbandPruner(min_resource=1, max_resource=9,
                                                  reduction_factor=3),
], ids=["median", "hyperband"])
def test_optuna_pruners_prune_trials_in_the_middle_of_full_fit_calls(make_pruner):
    optuna = pytest.importorskip("optuna")
    study, epochs = pruned_study(make_pruner(optuna))
    states = [trial.state for trial in study.trials]
    assert optuna.trial.TrialState.PRUNED in states
    assert optuna.trial.TrialState.COMPLETE in states
    for trial in study.trials:
        # one report per epoch, counted from 1; a pruned fit stops at its last report
        assert sorted(trial.intermediate_values) == list(range(1, epochs[trial.number] + 1))
        if trial.state == optuna.trial.TrialState.COMPLETE:
            assert epochs[trial.number] == 9
    assert any(epochs[trial.number] < 9 for trial in study.trials
               if trial.state == optuna.trial.TrialState.PRUNED)


def test_optuna_pruning_reports_the_monitored_history_entry():
    optuna = pytest.importorskip("optuna")
    study = optuna.create_study(direction="minimize")
    pruning = OptunaPruning(study.ask(), monitor="val_loss")
    clf = fit_quietly(net(max_iter=4).set_callbacks(pruning), X_train, y_train,
                      validation_data=(X_val, y_val))
    reported = study.trials[0].intermediate_values
    assert [reported[step] for step in (1, 2, 3, 4)] == clf.history_["val_loss"]
    assert pruning.pruned_ is False


def test_optuna_pruning_refuses_a_monitor_against_the_studys_direction():
    optuna = pytest.importorskip("optuna")
    trial = optuna.create_study(direction="maximize").ask()
    clf = net(max_iter=2).set_callbacks(OptunaPruning(trial, monitor="val_loss"))
    with pytest.raises(ValueError, match="to minimize, but the study's direction is maximize"):
        clf.fit(X_train, y_train, validation_data=(X_val, y_val))


# -- everywhere: searches, pipelines, pickles ------------------------------------------------


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_early_stopping_set_on_the_network_works_in_a_pipeline_in_a_search(n_jobs):
    stopper = EarlyStopping(monitor="loss", patience=1, min_delta=1e3)
    network = net(max_iter=50).set_callbacks(stopper)
    # the clones a search fits share the callback (scikit-learn's rule for callbacks)
    assert clone(network)._skl_callbacks == [stopper]
    search = GridSearchCV(make_pipeline(StandardScaler(), network),
                          {"mlpclassifier__alpha": [1e-4, 1e-2]}, cv=2, n_jobs=n_jobs)
    fit_quietly(search, X, y)
    assert search.best_estimator_[-1].n_iter_ == 2
    assert stopper.stopped_epoch_ == 2  # the refit, in this process


def test_sknn_callbacks_set_on_a_pipeline_say_where_they_belong():
    pipeline = make_pipeline(StandardScaler(), net(max_iter=2)).set_callbacks(EarlyStopping())
    with pytest.raises(TypeError, match="set it on the sknn estimator itself"):
        pipeline.fit(X, y)


@pytest.mark.parametrize("dump, load", [
    (pickle.dumps, pickle.loads),
    (lambda obj: (joblib.dump(obj, buffer := io.BytesIO()), buffer)[1],
     lambda buffer: joblib.load(io.BytesIO(buffer.getvalue()))),
], ids=["pickle", "joblib"])
def test_an_estimator_with_sknn_callbacks_pickles_and_fits_again(tmp_path, dump, load):
    callbacks = (EarlyStopping("val_loss", patience=3), ModelCheckpoint(
        tmp_path / "best.joblib", save_best_only=True), CSVLogger(tmp_path / "log.csv"))
    clf = fit_quietly(net().set_callbacks(*callbacks), X_train, y_train,
                      validation_data=(X_val, y_val))
    restored = load(dump(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    fit_quietly(restored, X_train, y_train, validation_data=(X_val, y_val))
    stopper, checkpoint, _ = restored._skl_callbacks
    assert stopper.stopped_epoch_ == restored.n_iter_ == clf.n_iter_
    assert same_weights(restored, clf)
    assert joblib.load(checkpoint.filepath_).n_iter_ == stopper.best_epoch_
    assert len(read_rows(tmp_path / "log.csv")) == restored.n_iter_


def test_a_pickled_optuna_pruning_leaves_its_trial_behind_and_says_so():
    optuna = pytest.importorskip("optuna")
    trial = optuna.create_study(direction="maximize").ask()
    restored = pickle.loads(pickle.dumps(net(max_iter=2).set_callbacks(OptunaPruning(trial))))
    assert restored._skl_callbacks[0].trial is None
    with pytest.raises(ValueError, match="pickled, which leaves its Optuna trial behind"):
        restored.fit(X_train, y_train, validation_data=(X_val, y_val))
