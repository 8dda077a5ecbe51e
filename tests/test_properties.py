"""Property-based tests (hypothesis) over shapes, dtypes, targets and parameters.

The property: every ``fit`` either succeeds, and then every prediction
method gives finite outputs of the right shape, dtype and labels, or it
raises one of the documented errors (a ValueError whose message is one of
the fragments below). Runs are small (tiny nets, a few epochs), few
(``max_examples``) and reproducible (``derandomize=True``, no example
database), so the module takes seconds and fails the same way every time.
"""

import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

from sknn import (  # noqa: E402
    DeepNetClassifier,
    DeepNetRegressor,
    MLPClassifier,
    MLPRegressor,
    PerceptronClassifier,
)

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(hypothesis.HealthCheck))

# The documented refusals a valid-looking fit may still meet, and why.
DOCUMENTED_ERRORS = (
    "Input X contains NaN", "Input X contains infinity",   # non-finite features
    "early_stopping=True holds out",                         # too few samples to split
    "The validation set is too small",                       # scikit-learn's message
    "Solver produced non-finite parameter weights",          # divergence in epoch 1
    "y has only one class",                                  # PerceptronClassifier
)

ESTIMATORS = {
    "PerceptronClassifier": lambda params: PerceptronClassifier(
        max_iter=params["max_iter"], tol=None, shuffle=params["shuffle"],
        batch_size=params["batch_size"] or 1),
    "MLPClassifier": lambda params: MLPClassifier(**_net(params)),
    "MLPRegressor": lambda params: MLPRegressor(**_net(params)),
    "DeepNetClassifier": lambda params: DeepNetClassifier(**_net(params, deep=True)),
    "DeepNetRegressor": lambda params: DeepNetRegressor(**_net(params, deep=True)),
}


def _net(params, deep=False):
    net = dict(hidden_layer_sizes=params["hidden"], activation=params["activation"],
               solver=params["solver"], max_iter=params["max_iter"],
               shuffle=params["shuffle"], early_stopping=params["early_stopping"],
               random_state=0, batch_size=params["batch_size"] or "auto")
    # lbfgs refuses random layers (a documented error tested elsewhere), and
    # DeepNet's default dropout is one
    net.update(dropout=0.0 if params["solver"] == "lbfgs" else params["dropout"])
    if params["solver"] != "lbfgs":
        net.update(batch_norm=params["batch_norm"])
    if deep:
        net["dtype"] = params["net_dtype"]
    return net


parameters = st.fixed_dictionaries({
    "hidden": st.lists(st.integers(1, 5), min_size=1, max_size=2).map(tuple),
    "activation": st.sampled_from(["relu", "tanh", "logistic", "elu", "identity"]),
    "solver": st.sampled_from(["adam", "sgd", "lbfgs", "nadam"]),
    "max_iter": st.integers(1, 3),
    "shuffle": st.booleans(),
    "early_stopping": st.booleans(),
    "dropout": st.sampled_from([0.0, 0.3]),
    "batch_norm": st.booleans(),
    "batch_size": st.sampled_from([None, 1, 7]),
    "net_dtype": st.sampled_from(["float32", "float64"]),
})


@st.composite
def datasets(draw, task):
    """``(X, y)``: 1-40 samples, 1-5 features, float32/float64/int64 X of moderate
    values (sometimes a NaN or inf), 1-3 classes or real targets."""
    n_samples = draw(st.integers(1, 40))
    n_features = draw(st.integers(1, 5))
    dtype = draw(st.sampled_from([np.float32, np.float64, np.int64]))
    if dtype == np.int64:
        elements = st.integers(-50, 50)
    else:
        elements = st.floats(-100, 100, width=32 if dtype == np.float32 else 64)
    X = draw(hnp.arrays(dtype, (n_samples, n_features), elements=elements))
    if dtype != np.int64 and draw(st.integers(0, 9)) == 0:  # now and then a bad value
        X = X.copy()
        X.flat[draw(st.integers(0, X.size - 1))] = draw(st.sampled_from([np.nan, np.inf]))
    if task == "classification":
        n_classes = draw(st.integers(1, 3))  # every class present (when samples allow)
        order = draw(st.permutations(range(n_samples)))
        y = (np.arange(n_samples) % n_classes)[np.array(order, dtype=int)]
    else:
        y = draw(hnp.arrays(np.float64, n_samples, elements=st.floats(-10, 10)))
    return X, y


def _fit_or_documented_error(estimator, X, y):
    """The fitted estimator, or None after a documented ValueError."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence, divergence, batch-size clipping...
        try:
            fitted = estimator.fit(X, y)
        except ValueError as error:
            assert any(fragment in str(error) for fragment in DOCUMENTED_ERRORS), error
            hypothesis.event("refused", str(error)[:40])
            return None
    hypothesis.event("fitted")
    return fitted


def _expected_weight_dtype(estimator, X):
    if isinstance(estimator, (DeepNetClassifier, DeepNetRegressor)):
        return np.dtype(estimator.dtype)
    return np.dtype(np.float32 if X.dtype == np.float32 else np.float64)


def _check_weights(estimator, X):
    weights = (estimator.coefs_ + estimator.intercepts_ if hasattr(estimator, "coefs_")
               else [estimator.coef_, estimator.intercept_])
    for array in weights:
        assert np.isfinite(array).all()
        assert array.dtype == _expected_weight_dtype(estimator, X)


@pytest.mark.parametrize("name", ["PerceptronClassifier", "MLPClassifier",
                                  "DeepNetClassifier"])
@SETTINGS
@given(data=datasets("classification"), params=parameters)
def test_classifiers_fit_and_predict_labels_or_raise_documented_errors(name, data, params):
    X, y = data
    X_before, y_before = X.copy(), y.copy()
    estimator = _fit_or_documented_error(ESTIMATORS[name](params), X, y)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    if estimator is None:
        return
    _check_weights(estimator, X)
    np.testing.assert_array_equal(estimator.classes_, np.unique(y))
    predicted = estimator.predict(X)
    assert predicted.shape == y.shape
    assert np.isin(predicted, estimator.classes_).all()
    if hasattr(estimator, "predict_proba"):
        proba = estimator.predict_proba(X)
        assert proba.shape == (len(X), max(2, len(estimator.classes_)))
        assert np.isfinite(proba).all() and (proba >= 0).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-4)
        if len(estimator.classes_) > 1:  # labels are the most probable classes
            np.testing.assert_array_equal(
                estimator.classes_[np.argmax(proba, axis=1)], predicted)
    else:
        scores = estimator.decision_function(X)
        assert np.isfinite(scores).all() and scores.shape[0] == len(X)
    assert 0.0 <= estimator.score(X, y) <= 1.0


@pytest.mark.parametrize("name", ["MLPRegressor", "DeepNetRegressor"])
@SETTINGS
@given(data=datasets("regression"), params=parameters)
def test_regressors_fit_and_predict_finite_values_or_raise_documented_errors(name, data,
                                                                              params):
    X, y = data
    X_before = X.copy()
    estimator = _fit_or_documented_error(ESTIMATORS[name](params), X, y)
    np.testing.assert_array_equal(X, X_before)
    if estimator is None:
        return
    _check_weights(estimator, X)
    predicted = estimator.predict(X)
    assert predicted.shape == y.shape
    assert np.isfinite(predicted).all()
    assert predicted.dtype == _expected_weight_dtype(estimator, X)


@pytest.mark.parametrize("name", list(ESTIMATORS))
@SETTINGS
@given(n_features=st.integers(1, 5), other=st.integers(1, 5),
       dtype=st.sampled_from([np.float32, np.float64, np.int64]))
def test_predict_refuses_another_number_of_features(name, n_features, other, dtype):
    rng = np.random.RandomState(0)
    X = rng.uniform(-1, 1, size=(30, n_features)).astype(dtype)
    y = np.arange(30) % 2 if "Classifier" in name else rng.uniform(size=30)
    params = dict(hidden=(3,), activation="relu", solver="adam", max_iter=1, shuffle=True,
                  early_stopping=False, dropout=0.0, batch_norm=False, batch_size=None,
                  net_dtype="float32")
    estimator = _fit_or_documented_error(ESTIMATORS[name](params), X, y)
    X_other = rng.uniform(size=(4, other)).astype(dtype)
    if other == n_features:
        assert estimator.predict(X_other).shape == (4,)
    else:
        with pytest.raises(ValueError, match=f"X has {other} features, but {name} is "
                                             f"expecting {n_features} features"):
            estimator.predict(X_other)
