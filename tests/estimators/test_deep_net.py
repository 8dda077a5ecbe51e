"""DeepNetClassifier and DeepNetRegressor: checks, parametrization, validation set,
MC dropout, the SELU preset and the defaults."""

import inspect
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sknn import DeepNetClassifier, DeepNetRegressor, MLPClassifier, MLPRegressor
from sknn.estimators.deep_net import CLASSIFIER_DEFAULTS, DEEP_NET_DEFAULTS, REGRESSOR_DEFAULTS
from tests.estimators.test_mlp_checks import (BATCH_WEIGHT_REASON, PARTIAL_FIT_CHECKS,
                                              PARTIAL_FIT_REASON, SPLIT_WEIGHT_REASON)

SMALL = dict(n_hidden=2, n_neurons=8, max_iter=20, random_state=0)

CONFIGURATIONS = [
    DeepNetClassifier(**SMALL),  # the defaults: dropout, a fixed 1cycle budget
    DeepNetClassifier(early_stopping=True, validation_fraction=0.2, **SMALL),
    # without dropout, sample weights must equal repeated samples (float64)
    DeepNetClassifier(dropout=0.0, dtype="float64", **SMALL),
    DeepNetClassifier(n_hidden=3, n_neurons=8, max_iter=20, dropout=0.1, random_state=0),
    DeepNetRegressor(early_stopping=True, validation_fraction=0.2, **SMALL),
    DeepNetRegressor(dropout=0.0, dtype="float64", **SMALL),
    # the periodic embedding: sparse input, sample weights, pickling, ...
    DeepNetClassifier(numeric_embedding="periodic", n_frequencies=3, **SMALL),
    DeepNetRegressor(numeric_embedding="periodic", n_frequencies=3, dropout=0.0,
                     dtype="float64", **SMALL),
]


# float32 sums in another order differ by ~1e-7 relative: the check's rtol.
FLOAT32_WEIGHT_REASON = ("float32 rounding of weighted vs repeated sums exceeds the "
                         "check's rtol=1e-7 (the float64 configurations pass)")


# The check weights class 0 by 1000 and the others by 1e-4, then wants class 0
# predicted for > 87% of the test set. The weighted validation accuracy is
# perfect as soon as class 0 is right, so early stopping restores those
# weights before the extreme weights push every prediction to class 0.
CLASS_WEIGHT_REASON = ("early stopping restores the first weights that classify the "
                       "heavy class right, before every prediction becomes that class")


def expected_failures(estimator):
    failures = {}
    if estimator.early_stopping:
        failures = {check: PARTIAL_FIT_REASON for check in PARTIAL_FIT_CHECKS}
        if isinstance(estimator, DeepNetClassifier):
            failures["check_class_weight_classifiers"] = CLASS_WEIGHT_REASON
    batch_norm = estimator._uses_batch_norm()
    weight_reason = (SPLIT_WEIGHT_REASON if estimator.early_stopping else
                     BATCH_WEIGHT_REASON if batch_norm or estimator.dropout else
                     FLOAT32_WEIGHT_REASON if estimator.dtype == "float32" else None)
    if weight_reason:
        for data in ("dense", "sparse"):
            failures[f"check_sample_weight_equivalence_on_{data}_data"] = weight_reason
    return failures


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(CONFIGURATIONS, expected_failed_checks=expected_failures)
def test_sklearn_estimator_checks_pass(estimator, check):
    check(estimator)


def _classification(n_samples=200):
    X, y = make_classification(n_samples=n_samples, n_features=6, n_informative=4,
                               n_classes=3, random_state=0)
    return StandardScaler().fit_transform(X), y


def _regression(n_samples=200):
    X, y = make_regression(n_samples=n_samples, n_features=5, noise=1.0, random_state=0)
    return X, y / 100


def test_n_hidden_and_n_neurons_build_the_expected_layers():
    X, y = _classification()
    clf = DeepNetClassifier(n_hidden=4, n_neurons=7, max_iter=2, random_state=0).fit(X, y)
    assert [c.shape for c in clf.coefs_] == [(6, 7), (7, 7), (7, 7), (7, 7), (7, 3)]


def test_hidden_layer_sizes_overrides_n_hidden_and_n_neurons():
    X, y = _classification()
    clf = DeepNetClassifier(hidden_layer_sizes=(5, 4), n_hidden=4, max_iter=2,
                            random_state=0).fit(X, y)
    assert [c.shape for c in clf.coefs_] == [(6, 5), (5, 4), (4, 3)]


def test_batch_norm_auto_normalizes_deep_stacks_only():
    assert DeepNetClassifier(n_hidden=3)._uses_batch_norm()
    assert not DeepNetClassifier(n_hidden=2)._uses_batch_norm()
    assert not DeepNetClassifier(n_hidden=5, activation="selu")._uses_batch_norm()
    assert DeepNetClassifier(n_hidden=1, batch_norm=True)._uses_batch_norm()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_sets_weight_and_prediction_types(dtype):
    X, y = _regression()
    reg = DeepNetRegressor(n_hidden=2, n_neurons=8, max_iter=3, dtype=dtype,
                           random_state=0).fit(X, y)
    assert all(c.dtype == dtype for c in reg.coefs_ + reg.intercepts_)
    assert reg.predict(X).dtype == dtype


def test_validation_data_is_the_early_stopping_set():
    X, y = _classification(300)
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
    clf = DeepNetClassifier(n_hidden=2, n_neurons=16, max_iter=5, n_iter_no_change=100,
                            early_stopping=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X_train, y_train, validation_data=(X_val, y_val))
    # all of X_train trained (no split), and the last epoch's score is on X_val;
    # with n_iter_no_change never reached, the final weights are the best ones
    # only if the last score is the best: compare against the best instead.
    assert len(clf.validation_scores_) == clf.n_iter_ == 5
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    best = int(np.argmax(clf.validation_scores_))
    assert accuracy_score(y_val, clf.predict(X_val)) == pytest.approx(
        clf.validation_scores_[best])
    assert clf.t_ == 5 * X_train.shape[0]


def test_validation_data_regressor_scores_r2_on_it():
    X, y = _regression(300)
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
    reg = DeepNetRegressor(n_hidden=2, n_neurons=16, max_iter=5, n_iter_no_change=100,
                           early_stopping=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg.fit(X_train, y_train, validation_data=(X_val, y_val))
    assert reg.score(X_val, y_val) == pytest.approx(max(reg.validation_scores_), rel=1e-5)


def test_validation_data_without_early_stopping_only_monitors():
    X, y = _classification(300)
    X_train, X_val, y_train, y_val = train_test_split(X, y, random_state=0)
    params = dict(n_hidden=2, n_neurons=16, max_iter=6, random_state=0)
    monitored = DeepNetClassifier(**params).fit(X_train, y_train, validation_data=(X_val, y_val))
    plain = DeepNetClassifier(**params).fit(X_train, y_train)
    # the same training (all epochs, no restore) as without the set ...
    assert monitored.n_iter_ == plain.n_iter_ == 6
    for a, b in zip(monitored.coefs_, plain.coefs_):
        np.testing.assert_array_equal(a, b)
    assert monitored.validation_scores_ is None
    # ... with the set scored after every epoch; the last score is the model's
    history = monitored.history_
    assert len(history["val_score"]) == len(history["val_loss"]) == 6
    assert all(value is not None for value in history["val_score"] + history["val_loss"])
    assert history["val_score"][-1] == pytest.approx(
        accuracy_score(y_val, monitored.predict(X_val)))
    assert plain.history_["val_score"] == [None] * 6


def test_mc_predict_proba_shapes_reproducibility_and_spread():
    X, y = _classification()
    clf = DeepNetClassifier(n_hidden=3, n_neurons=16, dropout=0.3, max_iter=5,
                            random_state=0).fit(X, y)
    mean, std = clf.mc_predict_proba(X[:10], n_samples=15)
    assert mean.shape == std.shape == (10, 3)
    np.testing.assert_allclose(mean.sum(axis=1), 1, rtol=1e-5)
    assert (std > 0).all()
    again = clf.mc_predict_proba(X[:10], n_samples=15)
    np.testing.assert_array_equal(mean, again[0])
    np.testing.assert_array_equal(std, again[1])


def test_mc_predict_proba_binary_has_two_columns():
    X, y = _classification()
    y = (y == 0).astype(int)
    clf = DeepNetClassifier(n_hidden=2, n_neurons=8, dropout=0.2, max_iter=3,
                            random_state=0).fit(X, y)
    mean, std = clf.mc_predict_proba(X[:4], n_samples=5)
    assert mean.shape == std.shape == (4, 2)
    np.testing.assert_allclose(std[:, 0], std[:, 1], atol=1e-6)


def test_mc_dropout_without_dropout_has_zero_spread():
    X, y = _regression()
    reg = DeepNetRegressor(n_hidden=3, n_neurons=8, max_iter=3, dropout=0.0,
                           random_state=0).fit(X, y)
    mean, std = reg.mc_predict(X[:6], n_samples=5)
    assert mean.shape == std.shape == (6,)
    assert (std == 0).all()
    np.testing.assert_allclose(mean, reg.predict(X[:6]), rtol=1e-6)


def test_mc_predict_keeps_batch_norm_in_inference_mode():
    # a single sample through training-mode batch norm would be all zeros
    X, y = _regression()
    reg = DeepNetRegressor(n_hidden=3, n_neurons=8, dropout=0.2, max_iter=3,
                           random_state=0).fit(X, y)
    mean, std = reg.mc_predict(X[:1], n_samples=50)
    assert std[0] > 0
    assert abs(mean[0] - reg.predict(X[:1])[0]) < 5 * std[0] + 1e-3


def test_selu_preset_uses_lecun_alpha_dropout_and_no_batch_norm():
    X, y = _classification()
    clf = DeepNetClassifier(activation="selu", n_hidden=4, n_neurons=8, dropout=0.1,
                            max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    kinds = [type(layer).__name__ for layer in clf.network_.spec.layers]
    assert "BatchNorm" not in kinds
    assert {layer.kind for layer in clf.network_.spec.layers
            if type(layer).__name__ == "Dropout"} == {"alpha"}
    assert clf._initializer()[0] == "lecun_normal"


@pytest.mark.parametrize("params, message", [
    (dict(batch_norm=True), "batch_norm=True"),
    (dict(alpha=1e-3), "penalty"),
    (dict(l1=1e-3), "penalty"),
])
def test_selu_warns_when_self_normalization_cannot_hold(params, message):
    X, y = _classification()
    clf = DeepNetClassifier(activation="selu", n_hidden=2, n_neurons=8, max_iter=2,
                            random_state=0, **params)
    with pytest.warns(UserWarning, match=message):
        clf.fit(X, y)


def test_selu_warns_on_unstandardized_inputs():
    X, y = _classification()
    clf = DeepNetClassifier(activation="selu", n_hidden=2, n_neurons=8, max_iter=2,
                            random_state=0)
    with pytest.warns(UserWarning, match="far from zero mean and unit variance"):
        clf.fit(X * 10 + 5, y)


def test_selu_does_not_warn_when_a_standard_scaler_left_constant_columns():
    # digits has all-zero pixels; StandardScaler leaves them at 0 (std 0)
    from sklearn.pipeline import make_pipeline

    X, y = load_digits(return_X_y=True)
    assert (X.std(axis=0) == 0).any()
    model = make_pipeline(StandardScaler(), DeepNetClassifier(
        activation="selu", n_hidden=1, n_neurons=8, max_iter=1, random_state=0))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X[:300], y[:300])
    assert not [w for w in caught if "selu" in str(w.message)]


def test_selu_warning_names_the_unscaled_columns_only():
    X, y = _classification()
    X = StandardScaler().fit_transform(X)
    X[:, 2] = X[:, 2] * 10 + 3
    clf = DeepNetClassifier(activation="selu", n_hidden=1, n_neurons=8, max_iter=1,
                            random_state=0)
    with pytest.warns(UserWarning, match=r"1 of \d+ input features .*columns 2;"):
        clf.fit(X, y)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_defaults_learn_digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
    scaler = StandardScaler().fit(X_train)
    clf = DeepNetClassifier(max_iter=40, random_state=0).fit(scaler.transform(X_train),
                                                             y_train)
    assert clf.score(scaler.transform(X_test), y_test) > 0.95


# -- validation data weighed as training is ---------------------------------------------

def _imbalanced_split():
    X, y = _classification(400)
    y = (y == 0).astype(int)  # a third are class 1
    return train_test_split(X, y, random_state=0, stratify=y)


@pytest.mark.parametrize("class_weight", [{0: 1.0, 1: 5.0}, "balanced"])
def test_validation_data_is_scored_with_the_training_class_weights(class_weight):
    from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight

    X_train, X_val, y_train, y_val = _imbalanced_split()
    clf = DeepNetClassifier(n_hidden=2, n_neurons=8, max_iter=2, class_weight=class_weight,
                            random_state=0)
    clf.fit(X_train, y_train, validation_data=(X_val[:40], y_val[:40]))
    if class_weight == "balanced":  # the training set's frequencies, not the validation set's
        class_weight = dict(enumerate(compute_class_weight("balanced", classes=np.array([0, 1]),
                                                           y=y_train)))
    weights = compute_sample_weight(class_weight, y_val[:40])
    predicted = clf.predict(X_val[:40])
    assert clf.history_["val_score"][-1] == pytest.approx(
        accuracy_score(y_val[:40], predicted, sample_weight=weights))
    assert accuracy_score(y_val[:40], predicted) != pytest.approx(
        accuracy_score(y_val[:40], predicted, sample_weight=weights))


def test_validation_data_takes_its_own_sample_weights_too():
    X_train, X_val, y_train, y_val = _imbalanced_split()
    weights = np.linspace(0.1, 2.0, 40)
    clf = DeepNetClassifier(n_hidden=2, n_neurons=8, max_iter=2, class_weight={0: 1, 1: 3},
                            random_state=0)
    clf.fit(X_train, y_train, validation_data=(X_val[:40], y_val[:40], weights))
    combined = weights * np.where(y_val[:40] == 1, 3.0, 1.0)
    assert clf.history_["val_score"][-1] == pytest.approx(
        accuracy_score(y_val[:40], clf.predict(X_val[:40]), sample_weight=combined))


# -- partial_fit and a fixed-budget schedule --------------------------------------------

def test_partial_fit_past_the_one_cycle_budget_warns_once_and_keeps_the_final_rate():
    from sknn.exceptions import ScheduleBudgetWarning

    X, y = _classification()
    clf = DeepNetClassifier(n_hidden=1, n_neurons=8, max_iter=4, batch_size=200,
                            random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(7):
            clf.partial_fit(X, y, classes=[0, 1, 2])
    budget = [w for w in caught if issubclass(w.category, ScheduleBudgetWarning)]
    assert len(budget) == 1
    assert "all max_iter=4 epochs" in str(budget[0].message)
    rates = clf.history_["learning_rate"]
    assert rates[4:] == [rates[3]] * 3  # one step per call: the last step's rate from then on
    assert rates[3] < 1e-5 < max(rates)
    # a new fit starts the schedule, and the count, again
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf.fit(X, y)
        for _ in range(5):
            clf.partial_fit(X, y)
    assert len([w for w in caught if issubclass(w.category, ScheduleBudgetWarning)]) == 1


def test_partial_fit_with_a_schedule_without_budget_never_warns():
    from sknn.exceptions import ScheduleBudgetWarning

    X, y = _classification()
    clf = DeepNetClassifier(n_hidden=1, n_neurons=8, max_iter=2, learning_rate="constant",
                            random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(4):
            clf.partial_fit(X, y, classes=[0, 1, 2])
    assert not [w for w in caught if issubclass(w.category, ScheduleBudgetWarning)]


# -- Monte Carlo dropout -----------------------------------------------------------------

def _stacked_passes(estimator, X, n_samples):
    """What MC dropout averages: every pass, stacked (the reference computation)."""
    from sklearn.utils import check_random_state

    seed = check_random_state(estimator.random_state).randint(np.iinfo(np.int32).max)
    rng = np.random.default_rng(seed)
    network = estimator.network_
    X = np.asarray(X, dtype=network.spec.dtype)
    return np.stack([network.predict(X, dropout_rng=rng)
                     for _ in range(n_samples)]).astype(np.float64)


def test_mc_moments_equal_the_mean_and_std_of_the_stacked_passes():
    X, y = _regression()
    reg = DeepNetRegressor(n_hidden=2, n_neurons=16, dropout=0.3, max_iter=3,
                           random_state=0).fit(X, y)
    # the network's passes, mapped from target_scaling's space to the target's
    passes = _stacked_passes(reg, X[:20], 40) * reg.target_scale_ + reg.target_mean_
    mean, std = reg.mc_predict(X[:20], n_samples=40)
    np.testing.assert_allclose(mean, passes.mean(axis=0).ravel(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(std, passes.std(axis=0).ravel(), rtol=1e-4, atol=1e-7)


def test_mc_dropout_memory_does_not_grow_with_the_number_of_passes():
    import tracemalloc

    X, y = _regression(2000)
    Y = np.column_stack([y * k for k in range(1, 21)])  # 20 outputs
    reg = DeepNetRegressor(n_hidden=2, n_neurons=32, dropout=0.2, max_iter=1,
                           random_state=0).fit(X, Y)

    def peak(n_samples):
        tracemalloc.start()
        reg.mc_predict(X, n_samples=n_samples)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    # 200 stacked passes of 2000 x 20 float32 outputs alone would be 32 MB, while one
    # pass needs well under 2 MB
    assert peak(200) < 1.5 * peak(5)


@pytest.mark.parametrize("n_samples", [0, -1, 2.5, True, "30"])
def test_mc_dropout_refuses_a_bad_number_of_passes(n_samples):
    X, y = _regression()
    reg = DeepNetRegressor(n_hidden=1, n_neurons=4, max_iter=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        reg.mc_predict(X[:2], n_samples=n_samples)


def test_classifier_mc_predict_gives_the_labels_of_the_averaged_probabilities():
    X, y = _classification()
    clf = DeepNetClassifier(n_hidden=2, n_neurons=16, dropout=0.3, max_iter=5,
                            random_state=0).fit(X, y)
    labels, spread = clf.mc_predict(X[:30], n_samples=20)
    mean, std = clf.mc_predict_proba(X[:30], n_samples=20)
    chosen = np.argmax(mean, axis=1)
    np.testing.assert_array_equal(labels, clf.classes_[chosen])
    np.testing.assert_array_equal(spread, std[np.arange(30), chosen])
    assert accuracy_score(y[:30], labels) >= accuracy_score(y[:30], clf.predict(X[:30])) - 0.1


def test_binary_classifier_mc_predict_has_one_spread_per_sample():
    X, y = _classification()
    y = np.where(y == 0, "yes", "no")
    clf = DeepNetClassifier(n_hidden=2, n_neurons=8, dropout=0.2, max_iter=3,
                            random_state=0).fit(X, y)
    labels, spread = clf.mc_predict(X[:5], n_samples=10)
    mean, std = clf.mc_predict_proba(X[:5], n_samples=10)
    assert set(labels) <= {"yes", "no"} and spread.shape == (5,)
    np.testing.assert_array_equal(labels, clf.classes_[np.argmax(mean, axis=1)])
    np.testing.assert_allclose(spread, std[:, 1])


def test_mc_functions_take_a_pipeline_ending_in_a_deep_net():
    from sklearn.pipeline import make_pipeline

    from sknn import mc_predict, mc_predict_proba

    X, y = _classification()
    X_raw = X * 10 + 3
    pipeline = make_pipeline(StandardScaler(), DeepNetClassifier(
        n_hidden=2, n_neurons=8, dropout=0.2, max_iter=3, random_state=0)).fit(X_raw, y)
    network, X_scaled = pipeline[-1], pipeline[0].transform(X_raw[:8])
    for function, method in ((mc_predict_proba, network.mc_predict_proba),
                             (mc_predict, network.mc_predict)):
        for got, expected in zip(function(pipeline, X_raw[:8], n_samples=6),
                                 method(X_scaled, n_samples=6)):
            np.testing.assert_array_equal(got, expected)
    # the network alone works too, and anything without MC dropout is refused
    np.testing.assert_array_equal(mc_predict(network, X_scaled, n_samples=6)[0],
                                  network.mc_predict(X_scaled, n_samples=6)[0])
    from sklearn.linear_model import LogisticRegression
    with pytest.raises(TypeError, match="Pipeline ends in LogisticRegression"):
        mc_predict_proba(make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y), X)
    with pytest.raises(TypeError, match="got MLPClassifier"):
        from sknn import MLPClassifier
        mc_predict(MLPClassifier(), X)


@pytest.mark.parametrize("deep, mlp, recipe", [
    (DeepNetClassifier, MLPClassifier, CLASSIFIER_DEFAULTS),
    (DeepNetRegressor, MLPRegressor, REGRESSOR_DEFAULTS)])
def test_deep_net_defaults_are_the_declared_recipe_and_otherwise_the_mlps(deep, mlp, recipe):
    deep_defaults = {name: p.default for name, p in inspect.signature(deep).parameters.items()}
    mlp_defaults = {name: p.default for name, p in inspect.signature(mlp).parameters.items()}
    for name, value in deep_defaults.items():
        assert value == recipe.get(name, mlp_defaults.get(name, value)), name
    assert set(DEEP_NET_DEFAULTS) <= set(recipe) <= set(deep_defaults)


@pytest.mark.parametrize("n_samples, expected", [(100, 64), (2047, 64), (2048, 128),
                                                 (4095, 128), (4096, 256), (50_000, 256)])
def test_auto_batch_size_leaves_at_least_16_batches_per_epoch(n_samples, expected):
    from sknn.estimators.deep_net import auto_batch_size
    assert auto_batch_size(n_samples) == expected


@pytest.mark.parametrize("n_samples, batch_size", [(300, 64), (2500, 128), (4200, 256)])
def test_deep_net_auto_batch_size_trains_as_the_explicit_size(n_samples, batch_size):
    X, y = make_classification(n_samples=n_samples, n_features=6, random_state=0)
    params = dict(n_hidden=1, n_neurons=8, max_iter=2, random_state=0)
    auto = DeepNetClassifier(**params).fit(X, y)
    explicit = DeepNetClassifier(batch_size=batch_size, **params).fit(X, y)
    neighbour = DeepNetClassifier(batch_size=batch_size // 2, **params).fit(X, y)
    for got, want in zip(auto.coefs_, explicit.coefs_):
        np.testing.assert_array_equal(got, want)
    assert not np.array_equal(auto.coefs_[0], neighbour.coefs_[0])


@pytest.mark.parametrize("n_samples, epochs", [(300, 100), (2100, 200)])
def test_deep_net_auto_max_iter_runs_100_or_200_epochs_by_rows(n_samples, epochs):
    from sknn.estimators.deep_net import auto_max_iter
    assert auto_max_iter(n_samples) == epochs
    X, y = make_classification(n_samples=n_samples, n_features=4, random_state=0)
    params = dict(n_hidden=1, n_neurons=4, batch_size=512, random_state=0)
    auto = DeepNetClassifier(**params).fit(X, y)
    assert auto.n_iter_ == epochs
    explicit = DeepNetClassifier(max_iter=epochs, **params).fit(X, y)
    np.testing.assert_array_equal(auto.coefs_[0], explicit.coefs_[0])
    # partial_fit cannot know the data size: its cycle spans the first 100 calls
    streamed = DeepNetClassifier(**params).partial_fit(X, y, classes=[0, 1])
    reference = DeepNetClassifier(max_iter=100, **params).partial_fit(X, y, classes=[0, 1])
    np.testing.assert_array_equal(streamed.coefs_[0], reference.coefs_[0])
    assert DeepNetRegressor().max_iter == 100
