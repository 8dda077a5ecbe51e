"""Every technique parameter value trains a small network, and bad values are refused."""

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_regression
from sklearn.utils._param_validation import InvalidParameterError

from sknn import MLPClassifier, MLPRegressor
from sknn.nn.activations import ACTIVATIONS
from sknn.nn.initializers import INITIALIZERS
from sknn.nn.losses import OUTPUT_ACTIVATIONS
from sknn.nn.optimizers import OPTIMIZERS
from sknn.schedules import SCHEDULES, OneCycle

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X_iris, y_iris = load_iris(return_X_y=True)
X_iris = (X_iris - X_iris.mean(axis=0)) / X_iris.std(axis=0)
X_reg, y_reg = make_regression(n_samples=200, n_features=5, noise=5.0, random_state=0)
y_reg = (y_reg - y_reg.mean()) / y_reg.std()

TRAINABLE_ACTIVATIONS = [name for name in ACTIVATIONS.names()
                         if ACTIVATIONS.get(name).differentiable]
SMALL = dict(hidden_layer_sizes=(16,), max_iter=150, random_state=0,
             learning_rate_init=0.01)

# parameter -> values; each (parameter, value) pair must train better than chance
CLASSIFIER_CASES = (
    [("activation", name) for name in TRAINABLE_ACTIVATIONS]
    + [("kernel_initializer", name) for name in [*INITIALIZERS.names(), "auto"]
       if name != "zeros"]
    + [("solver", name) for name in ["lbfgs", *OPTIMIZERS.names()]]
    + [("batch_norm", True), ("batch_norm_position", "after"), ("dropout", 0.2),
       ("dropout", [0.1]), ("input_dropout", 0.1), ("dropout_kind", "alpha"), ("l1", 1e-3),
       ("max_norm", 2.0), ("clip_value", 0.5), ("clip_norm", 1.0), ("class_weight", "balanced"),
       ("activation_alpha", 0.2), ("bn_momentum", 0.9), ("bn_epsilon", 1e-5),
       ("rho", 0.95), ("weight_decay", 0.1)]
    + [("learning_rate", name) for name in [*SCHEDULES.names(), "adaptive"]]
    + [("learning_rate", OneCycle(max_lr=0.05))]
)


def _case_params(parameter, value):
    params = dict(SMALL, **{parameter: value})
    if parameter in ("batch_norm_position", "bn_momentum", "bn_epsilon"):
        params["batch_norm"] = True
    if parameter in ("rho", "weight_decay"):
        params["solver"] = "rmsprop" if parameter == "rho" else "adamw"
    if parameter == "activation_alpha":
        params["activation"] = "leaky_relu"
    if parameter == "learning_rate":
        # invscaling divides by sqrt(samples seen): too fast for 150 samples x 150 epochs
        params.update(solver="sgd", learning_rate_init=0.1, power_t=0.1)
    return params


@pytest.mark.parametrize("parameter, value", CLASSIFIER_CASES)
def test_every_technique_value_trains_a_classifier(parameter, value):
    clf = MLPClassifier(**_case_params(parameter, value)).fit(X_iris, y_iris)
    assert clf.score(X_iris, y_iris) > 0.8  # chance is 1/3


REGRESSION_CASES = (
    [("loss", name) for name in ["squared_error", "absolute_error", "huber"]]
    + [("huber_delta", 0.5)]
    + [("output_activation", name) for name in OUTPUT_ACTIVATIONS.names()
       if name in ("identity", "tanh", "logistic")]
)


@pytest.mark.parametrize("parameter, value", REGRESSION_CASES)
def test_every_regression_loss_and_output_trains_a_regressor(parameter, value):
    params = dict(SMALL, **{parameter: value})
    y = y_reg
    if value in ("tanh", "logistic"):
        params["output_bounds"] = (y.min() - 0.1, y.max() + 0.1)
    if parameter == "huber_delta":
        params["loss"] = "huber"
    reg = MLPRegressor(**params).fit(X_reg, y)
    assert reg.score(X_reg, y) > 0.8


@pytest.mark.parametrize("output_activation", ["relu", "softplus", "exp"])
def test_nonnegative_outputs_fit_nonnegative_targets(output_activation):
    y = np.exp(y_reg / 2)
    reg = MLPRegressor(output_activation=output_activation, **SMALL).fit(X_reg, y)
    assert reg.score(X_reg, y) > 0.7
    assert (reg.predict(X_reg) >= 0).all()
    assert reg.out_activation_ == output_activation


def test_bounded_output_predicts_inside_its_bounds():
    reg = MLPRegressor(output_activation="tanh", output_bounds=(-3, 4), **SMALL)
    reg.fit(X_reg, y_reg)
    assert reg.predict(X_reg * 100).min() >= -3 and reg.predict(X_reg * 100).max() <= 4


def test_targets_outside_the_output_range_are_refused():
    with pytest.raises(ValueError, match="y"):
        MLPRegressor(output_activation="relu").fit(X_reg, y_reg)
    with pytest.raises(ValueError, match="output_bounds"):
        MLPRegressor(output_activation="logistic", output_bounds=(0, 1)).fit(X_reg, y_reg)


@pytest.mark.parametrize("activation", ["heaviside", "sign"])
def test_step_activations_are_refused_for_gradient_training(activation):
    with pytest.raises(ValueError, match="PerceptronClassifier"):
        MLPClassifier(activation=activation).fit(X_iris, y_iris)


def test_activation_alpha_is_refused_where_it_means_nothing():
    with pytest.raises(ValueError, match="alpha"):
        MLPClassifier(activation="tanh", activation_alpha=0.3).fit(X_iris, y_iris)


@pytest.mark.parametrize("parameter, value", [
    ("activation", "sigmoid"), ("solver", "adamm"), ("kernel_initializer", "glorot"),
    ("batch_norm_position", "middle"), ("dropout_kind", "gaussian"), ("l1", -1.0),
    ("max_norm", 0.0), ("clip_norm", -1.0), ("bn_momentum", 1.5), ("dropout", 1.5),
])
def test_invalid_technique_values_raise_invalid_parameter_error(parameter, value):
    with pytest.raises(InvalidParameterError, match=parameter):
        MLPClassifier(**{parameter: value}).fit(X_iris, y_iris)


def test_every_optimizer_argument_is_an_estimator_parameter():
    from sknn.estimators._techniques import optimizer_params
    for solver in OPTIMIZERS.names():
        params = optimizer_params(MLPClassifier(solver=solver))
        assert all(value is not None for value in params.values()), solver


def test_schedule_parameters_are_searchable_through_nested_names():
    from sklearn.model_selection import GridSearchCV
    search = GridSearchCV(
        MLPClassifier(hidden_layer_sizes=(8,), solver="sgd", learning_rate=OneCycle(),
                      max_iter=30, random_state=0),
        {"learning_rate__max_lr": [0.001, 0.1]}, cv=2).fit(X_iris, y_iris)
    assert search.best_params_ == {"learning_rate__max_lr": 0.1}
    assert search.best_estimator_.learning_rate.max_lr == 0.1


def test_one_cycle_schedule_shapes_the_recorded_learning_rates():
    clf = MLPClassifier(hidden_layer_sizes=(8,), solver="sgd", learning_rate="one_cycle",
                        learning_rate_init=0.1, max_iter=20, tol=0, random_state=0)
    rates = clf.fit(X_iris, y_iris).history_["learning_rate"]
    peak = int(np.argmax(rates))
    assert 0 < peak < len(rates) - 1
    assert rates[0] < rates[peak] and rates[-1] < rates[0]


def test_batch_norm_predictions_use_running_statistics():
    clf = MLPClassifier(batch_norm=True, **SMALL).fit(X_iris, y_iris)
    # inference normalizes with fixed statistics, so a sample's output does not
    # depend on the other samples it is predicted with
    np.testing.assert_allclose(clf.predict_proba(X_iris[:1]), clf.predict_proba(X_iris)[:1])


def test_dropout_is_off_at_prediction():
    clf = MLPClassifier(dropout=0.5, input_dropout=0.2, **SMALL).fit(X_iris, y_iris)
    np.testing.assert_array_equal(clf.predict_proba(X_iris), clf.predict_proba(X_iris))


def test_learned_layers_survive_pickling_and_warm_start():
    import pickle
    clf = MLPClassifier(activation="prelu", batch_norm=True, warm_start=True,
                        **dict(SMALL, max_iter=20)).fit(X_iris, y_iris)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X_iris), clf.predict_proba(X_iris))
    slopes = [w["slope"] for w in clf.network_.weights if "slope" in w][0]
    assert not np.allclose(slopes, 0.25)  # PReLU slopes moved from their initial value
    restored.fit(X_iris, y_iris)  # continues from the stored slopes and statistics
    assert restored.score(X_iris, y_iris) >= clf.score(X_iris, y_iris) - 0.05


def test_same_seed_gives_identical_models_with_random_layers():
    params = dict(SMALL, dropout=0.3, activation="rrelu", max_iter=10)
    first = MLPClassifier(**params).fit(X_iris, y_iris)
    second = MLPClassifier(**params).fit(X_iris, y_iris)
    third = MLPClassifier(**dict(params, random_state=1)).fit(X_iris, y_iris)
    np.testing.assert_array_equal(first.coefs_[0], second.coefs_[0])
    assert not np.array_equal(first.coefs_[0], third.coefs_[0])


def test_lbfgs_refuses_random_layers_and_update_constraints():
    with pytest.raises(ValueError, match="lbfgs"):
        MLPClassifier(solver="lbfgs", dropout=0.2).fit(X_iris, y_iris)
    with pytest.raises(ValueError, match="max_norm"):
        MLPClassifier(solver="lbfgs", max_norm=2.0).fit(X_iris, y_iris)
