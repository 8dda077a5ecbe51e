"""Behaviour of sknn's MLPs beyond scikit-learn's own test-suite."""

import pickle
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn import neural_network as sk
from sklearn.datasets import load_digits, make_regression
from sklearn.exceptions import ConvergenceWarning

from sknn import MLPClassifier, MLPRegressor

X_digits, y_digits = load_digits(n_class=4, return_X_y=True)
X_digits = X_digits[:240] / 16.0
y_digits = y_digits[:240]
X_reg, y_reg = make_regression(n_samples=150, n_features=6, n_targets=2, noise=1.0,
                               random_state=0)
y_reg = y_reg / 100.0

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _fit_pair(sknn_cls, sk_cls, X, y, **params):
    return sknn_cls(**params).fit(X, y), sk_cls(**params).fit(X, y)


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("activation", ["relu", "logistic", "tanh", "identity"])
def test_same_seed_gives_scikit_learns_weights(solver, activation):
    params = dict(hidden_layer_sizes=(12, 7), solver=solver, activation=activation,
                  max_iter=15, random_state=3, batch_size=50)
    ours, theirs = _fit_pair(MLPClassifier, sk.MLPClassifier, X_digits, y_digits, **params)
    for mine, reference in zip(ours.coefs_ + ours.intercepts_,
                               theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(mine, reference, rtol=1e-7, atol=1e-9)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=1e-7)


@pytest.mark.parametrize("params", [
    dict(solver="sgd", learning_rate="invscaling"),
    dict(solver="sgd", learning_rate="adaptive", tol=0.5, n_iter_no_change=2),
    dict(solver="adam", early_stopping=True),
    dict(solver="sgd", nesterovs_momentum=False, shuffle=False),
])
def test_regressor_training_follows_scikit_learn_step_for_step(params):
    params = dict(hidden_layer_sizes=(10,), max_iter=25, random_state=1, **params)
    ours, theirs = _fit_pair(MLPRegressor, sk.MLPRegressor, X_reg, y_reg, **params)
    np.testing.assert_allclose(ours.predict(X_reg), theirs.predict(X_reg), rtol=1e-6,
                               atol=1e-9)
    assert ours.n_iter_ == theirs.n_iter_
    if params["solver"] == "sgd":  # scikit-learn's Adam reports a bias-corrected rate
        np.testing.assert_allclose(ours._optimizer.learning_rate,
                                   theirs._optimizer.learning_rate, rtol=1e-12)


def test_joblib_round_trip_gives_identical_predictions(tmp_path):
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=20, random_state=0)
    clf.fit(X_digits, y_digits)
    joblib.dump(clf, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X_digits), clf.predict_proba(X_digits))
    np.testing.assert_array_equal(loaded.predict(X_digits), clf.predict(X_digits))


def test_pickled_model_holds_only_numpy_state():
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=5, random_state=0)
    state = pickle.loads(pickle.dumps(clf.fit(X_digits, y_digits))).__dict__
    assert not any("engine" in key.lower() for key in state)
    # the optimizer pickles its state vectors, not its scratch space
    state_bytes = sum(value.nbytes for value in clf._optimizer.state_dict().values()
                      if isinstance(value, np.ndarray))
    assert len(pickle.dumps(clf._optimizer)) < state_bytes + 4096


def test_partial_fit_after_reload_continues_optimizer_state():
    params = dict(hidden_layer_sizes=(8,), shuffle=False, random_state=0)
    continuous = MLPRegressor(**params)
    for _ in range(4):
        continuous.partial_fit(X_reg, y_reg)
    reloaded = MLPRegressor(**params)
    for _ in range(2):
        reloaded.partial_fit(X_reg, y_reg)
    reloaded = pickle.loads(pickle.dumps(reloaded))
    for _ in range(2):
        reloaded.partial_fit(X_reg, y_reg)
    np.testing.assert_array_equal(reloaded.predict(X_reg), continuous.predict(X_reg))


@pytest.mark.parametrize("solver", ["adam", "sgd", "adagrad", "rmsprop", "nadam", "adamw",
                                    "adamax"])
def test_warm_start_continues_weights_and_optimizer_state(solver):
    params = dict(hidden_layer_sizes=(8,), solver=solver, shuffle=False, tol=0,
                  random_state=0)
    in_one_go = MLPRegressor(max_iter=6, **params).fit(X_reg, y_reg)
    in_two_fits = MLPRegressor(max_iter=3, warm_start=True, **params).fit(X_reg, y_reg)
    in_two_fits.fit(X_reg, y_reg)
    np.testing.assert_allclose(in_two_fits.predict(X_reg), in_one_go.predict(X_reg),
                               rtol=1e-12)
    assert in_two_fits._optimizer.n_steps == in_one_go._optimizer.n_steps
    assert len(in_two_fits.loss_curve_) == 6


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_float32_input_trains_and_predicts_in_float32(Estimator):
    X = X_digits.astype(np.float32)
    model = Estimator(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y_digits)
    assert all(w.dtype == np.float32 for w in model.coefs_ + model.intercepts_)
    assert model._optimizer.state_dict()["m"].dtype == np.float32
    output = model.predict_proba(X) if Estimator is MLPClassifier else model.predict(X)
    assert output.dtype == np.float32


def test_history_has_one_entry_per_epoch():
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=7, tol=0, random_state=0)
    clf.fit(X_digits, y_digits)
    assert set(clf.history_) == {"loss", "val_loss", "val_score", "learning_rate", "seconds"}
    assert all(len(values) == 7 for values in clf.history_.values())
    assert clf.history_["loss"] == clf.loss_curve_
    assert clf.history_["val_score"] == [None] * 7
    assert all(seconds > 0 for seconds in clf.history_["seconds"])


def test_history_records_validation_loss_and_score_with_early_stopping():
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, early_stopping=True,
                        random_state=0).fit(X_digits, y_digits)
    assert clf.history_["val_score"] == clf.validation_scores_
    val_loss = clf.history_["val_loss"]
    assert len(val_loss) == clf.n_iter_ and all(np.isfinite(val_loss))
    assert val_loss[-1] < val_loss[0]


def test_history_records_the_adaptive_learning_rate_drop():
    reg = MLPRegressor(hidden_layer_sizes=(8,), solver="sgd", learning_rate="adaptive",
                       tol=10.0, n_iter_no_change=1, max_iter=6, random_state=0)
    reg.fit(X_reg, y_reg)
    rates = reg.history_["learning_rate"]
    assert rates[0] == pytest.approx(0.001)
    assert rates[-1] == pytest.approx(rates[0] / 5 ** 2)


def test_sparse_and_dense_input_give_the_same_model():
    X_sparse = sp.csr_matrix(np.where(X_digits > 0.5, X_digits, 0.0))
    dense = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    sparse = MLPClassifier(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    dense.fit(X_sparse.toarray(), y_digits)
    sparse.fit(X_sparse, y_digits)
    np.testing.assert_allclose(sparse.coefs_[0], dense.coefs_[0], rtol=1e-10, atol=1e-12)


def test_fit_does_not_modify_its_inputs():
    X, y = X_digits.copy(), y_digits.copy()
    weights = np.linspace(0.5, 1.5, len(y))
    weights_before = weights.copy()
    MLPClassifier(hidden_layer_sizes=(8,), max_iter=3).fit(X, y, sample_weight=weights)
    np.testing.assert_array_equal(X, X_digits)
    np.testing.assert_array_equal(y, y_digits)
    np.testing.assert_array_equal(weights, weights_before)


def test_sample_weight_matches_scikit_learn():
    weights = np.random.RandomState(0).uniform(0.1, 2.0, len(y_digits))
    params = dict(hidden_layer_sizes=(10,), max_iter=10, random_state=0)
    ours = MLPClassifier(**params).fit(X_digits, y_digits, sample_weight=weights)
    theirs = sk.MLPClassifier(**params).fit(X_digits, y_digits, sample_weight=weights)
    np.testing.assert_allclose(ours.predict_proba(X_digits), theirs.predict_proba(X_digits),
                               rtol=1e-7)


def test_max_iter_raises_convergence_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning, match="Maximum iterations \\(2\\)"):
            MLPClassifier(max_iter=2, tol=0).fit(X_digits, y_digits)


def test_verbose_prints_scikit_learn_style_progress(capsys):
    MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, verbose=True).fit(X_digits, y_digits)
    out = capsys.readouterr().out
    assert "Iteration 1, loss = " in out and "Iteration 2, loss = " in out


def test_unknown_activation_error_lists_registered_choices():
    with pytest.raises(ValueError, match="activation.*'relu'"):
        MLPClassifier(activation="sigmoid").fit(X_digits, y_digits)


def test_registered_activations_beyond_scikit_learn_train():
    for activation in ["leaky_relu", "elu", "selu", "softplus"]:
        clf = MLPClassifier(hidden_layer_sizes=(16,), activation=activation, max_iter=100,
                            random_state=0).fit(X_digits, y_digits)
        assert clf.score(X_digits, y_digits) > 0.9, activation


def test_poisson_rejects_negative_targets():
    with pytest.raises(ValueError, match="negative"):
        MLPRegressor(loss="poisson").fit(X_reg, y_reg[:, 0])


def test_partial_fit_is_unavailable_with_lbfgs():
    for Estimator in (MLPClassifier, MLPRegressor):
        assert not hasattr(Estimator(solver="lbfgs"), "partial_fit")


def _imbalanced_problem():
    rng = np.random.RandomState(0)
    X = rng.randn(400, 4)
    y = (X[:, 0] + 0.3 * rng.randn(400) > 1.2).astype(int)
    return X, y


@pytest.mark.parametrize("class_weight", ["balanced", {0: 1.0, 1: 8.0}])
def test_class_weight_equals_the_matching_sample_weight(class_weight):
    from sklearn.utils.class_weight import compute_sample_weight
    X, y = _imbalanced_problem()
    params = dict(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    weighted = MLPClassifier(class_weight=class_weight, **params).fit(X, y)
    explicit = MLPClassifier(**params).fit(
        X, y, sample_weight=compute_sample_weight(class_weight, y))
    np.testing.assert_allclose(weighted.predict_proba(X), explicit.predict_proba(X), rtol=1e-12)


def test_class_weight_shifts_predictions_toward_the_rare_class():
    X, y = _imbalanced_problem()
    params = dict(hidden_layer_sizes=(8,), max_iter=300, random_state=0)
    plain = MLPClassifier(**params).fit(X, y).predict(X).sum()
    balanced = MLPClassifier(class_weight="balanced", **params).fit(X, y).predict(X).sum()
    assert balanced > plain + 20


def test_balanced_class_weight_is_refused_by_partial_fit():
    X, y = _imbalanced_problem()
    with pytest.raises(ValueError, match="balanced"):
        MLPClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1])


def test_zeros_initializer_shows_the_symmetry_problem():
    X, y = _imbalanced_problem()
    clf = MLPClassifier(kernel_initializer="zeros", hidden_layer_sizes=(6,), max_iter=30,
                        random_state=0).fit(X, y)
    hidden_units = clf.coefs_[0].T
    assert np.allclose(hidden_units, hidden_units[0])


@pytest.mark.parametrize("initializer", ["auto", "he_normal", "glorot_normal", "lecun_uniform"])
def test_named_initializers_set_the_initial_weight_scale(initializer):
    clf = MLPClassifier(kernel_initializer=initializer, hidden_layer_sizes=(300,), max_iter=1,
                        learning_rate_init=1e-12, random_state=0)
    X = np.random.RandomState(0).randn(50, 400)
    clf.fit(X, np.arange(50) % 2)
    expected = {"auto": 2 / 400, "he_normal": 2 / 400, "glorot_normal": 2 / 700,
                "lecun_uniform": 1 / 400}[initializer]
    assert clf.coefs_[0].var() == pytest.approx(expected, rel=0.05)
    assert np.abs(clf.intercepts_[0]).max() < 1e-10  # zero biases, moved by one tiny step


def test_variance_scaling_object_is_a_valid_initializer_and_clones():
    from sklearn.base import clone

    from sknn.nn.initializers import VarianceScaling
    clf = MLPClassifier(kernel_initializer=VarianceScaling(4.0, "fan_in", "normal"),
                        hidden_layer_sizes=(300,), max_iter=1, learning_rate_init=1e-12,
                        random_state=0)
    X = np.random.RandomState(0).randn(50, 400)
    assert clone(clf).fit(X, np.arange(50) % 2).coefs_[0].var() == pytest.approx(0.01, rel=0.05)


def test_lbfgs_fits_record_one_history_entry_per_iteration():
    import warnings

    from sklearn.datasets import make_regression

    from sknn import MLPRegressor

    X, y = make_regression(n_samples=100, n_features=4, noise=1.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = MLPRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=30,
                           random_state=0).fit(X, y / 100)
    history = reg.history_
    assert len(history["loss"]) == reg.n_iter_ == 30
    assert history["loss"][-1] == reg.loss_
    # L-BFGS-B's line search never accepts a step that raises the objective
    assert all(b <= a for a, b in zip(history["loss"], history["loss"][1:]))
    assert history["val_loss"] == history["val_score"] == history["learning_rate"] == [None] * 30
    assert all(seconds >= 0 for seconds in history["seconds"])
    assert not hasattr(reg, "loss_curve_")  # as scikit-learn: lbfgs has no loss_curve_


def test_the_held_out_validation_score_weighs_classes_as_training_does():
    import warnings

    from sklearn.datasets import make_blobs

    from sknn import MLPClassifier

    X, y = make_blobs(centers=3, random_state=0, cluster_std=20, n_samples=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = MLPClassifier(solver="sgd", early_stopping=True, max_iter=30, random_state=0,
                            class_weight={0: 1000, 1: 1e-4, 2: 1e-4}).fit(X, y)
    # unweighted, the accuracy of 20 held-out rows is 0, 1 or at least 0.05 away from
    # them; weighted, the light classes' rows move it by about 1e-7 from 0 or 1
    scores = np.array(clf.validation_scores_)
    assert np.any((scores > 0) & (scores < 1e-4)) and np.any((scores > 1 - 1e-4) & (scores < 1))


@pytest.mark.xfail(strict=True, reason=(
    "the weighted validation accuracy is near 1 as soon as the heavy class is right; "
    "early stopping keeps that first epoch, before the extreme weights push every "
    "prediction to class 0 (what the check asks for)"))
def test_scikit_learns_class_weight_check_with_early_stopping():
    from sklearn.utils.estimator_checks import check_class_weight_classifiers

    from sknn import MLPClassifier

    check_class_weight_classifiers("MLPClassifier",
                                   MLPClassifier(solver="sgd", early_stopping=True))


def _split_digits():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    return X[:1000], X[1000:1400], y[:1000], y[1000:1400]


def test_mlp_validation_data_is_scored_every_epoch_and_only_monitors():
    X, X_val, y, y_val = _split_digits()
    params = dict(hidden_layer_sizes=(16,), max_iter=6, tol=0.0, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        monitored = MLPClassifier(**params).fit(X, y, validation_data=(X_val, y_val))
        plain = MLPClassifier(**params).fit(X, y)
    for a, b in zip(monitored.coefs_, plain.coefs_):
        np.testing.assert_array_equal(a, b)
    scores = monitored.history_["val_score"]
    assert len(scores) == 6 and None not in scores
    assert scores[-1] == pytest.approx(monitored.score(X_val, y_val))
    assert plain.history_["val_score"] == [None] * 6


def test_mlp_validation_data_is_the_early_stopping_set():
    X, X_val, y, y_val = _split_digits()
    reg = MLPRegressor(hidden_layer_sizes=(16,), max_iter=8, early_stopping=True,
                       n_iter_no_change=100, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg.fit(X, y, validation_data=(X_val, y_val))
    # every row of X trained (no hold-out), and the kept weights score best on X_val
    assert reg.t_ == 8 * X.shape[0]
    assert len(reg.validation_scores_) == 8
    assert reg.score(X_val, y_val) == pytest.approx(max(reg.validation_scores_))


def test_mlp_validation_data_with_lbfgs_is_refused():
    X, X_val, y, y_val = _split_digits()
    with pytest.raises(ValueError, match="validation_data .* solver='lbfgs' has no epochs"):
        MLPClassifier(solver="lbfgs", max_iter=5).fit(X, y, validation_data=(X_val, y_val))
