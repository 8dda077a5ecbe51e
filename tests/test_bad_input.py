"""Bad input over every public estimator and method: a clear error, never a silent fit.

Each row of the tables gives the exception type and a fragment of its message
that names the argument and the problem. The last tests check that nothing a
caller passes in is modified, that read-only memory-mapped data trains, and
that pandas DataFrames keep and check their column names.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.utils._param_validation import InvalidParameterError

import sknn
from sknn.exceptions import SingleClassWarning
from sknn import (
    DeepNetClassifier,
    DeepNetRegressor,
    MLPClassifier,
    MLPRegressor,
    PerceptronClassifier,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning",
                                        "ignore:Got `batch_size`:UserWarning")

SMALL_NET = dict(max_iter=5, random_state=0)
ESTIMATORS = {
    "PerceptronClassifier": PerceptronClassifier(max_iter=5, tol=None),
    "MLPClassifier": MLPClassifier(hidden_layer_sizes=(4,), **SMALL_NET),
    "MLPRegressor": MLPRegressor(hidden_layer_sizes=(4,), **SMALL_NET),
    "DeepNetClassifier": DeepNetClassifier(n_hidden=2, n_neurons=4, **SMALL_NET),
    "DeepNetRegressor": DeepNetRegressor(n_hidden=2, n_neurons=4, **SMALL_NET),
}
_AUTOENCODER = getattr(sknn, "StackedAutoencoder", None)
if _AUTOENCODER is not None:  # added by another change; checked as soon as it exists
    _autoencoder = _AUTOENCODER()
    ESTIMATORS["StackedAutoencoder"] = _autoencoder.set_params(
        **{key: value for key, value in SMALL_NET.items() if key in _autoencoder.get_params()})

SUPERVISED = [name for name, est in ESTIMATORS.items() if is_classifier(est) or is_regressor(est)]
CLASSIFIERS = [name for name, est in ESTIMATORS.items() if is_classifier(est)]
REGRESSORS = [name for name, est in ESTIMATORS.items() if is_regressor(est)]
NETWORKS = [name for name in ESTIMATORS if name != "PerceptronClassifier"]
PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function",
                   "transform", "mc_predict", "mc_predict_proba", "score")

N = 20
rng = np.random.RandomState(0)
X_GOOD = rng.uniform(-1, 1, size=(N, 3))
Y_CLASS = np.arange(N) % 2
Y_REAL = rng.uniform(0.1, 1, size=N)


def make(name):
    return clone(ESTIMATORS[name])


def good_y(name):
    estimator = ESTIMATORS[name]
    return Y_CLASS if is_classifier(estimator) else Y_REAL if is_regressor(estimator) else None


def fit(estimator, X, y=None, **kwargs):
    if is_classifier(estimator) or is_regressor(estimator):
        return estimator.fit(X, y, **kwargs)
    return estimator.fit(X, **kwargs)


def _ragged(X):
    rows = X.tolist()
    rows[-1] = rows[-1][:-1]
    return rows


# (case id, X transform, exception, message fragment): bad X at fit and at prediction
BAD_X = [
    ("nan", lambda X: np.where(X > 0.5, np.nan, X), ValueError, "Input X contains NaN"),
    ("inf", lambda X: np.where(X > 0.5, np.inf, X), ValueError, "Input X contains infinity"),
    ("empty", lambda X: X[:0], ValueError, "Found array with 0 sample"),
    ("3-d", lambda X: X[:, :, None], ValueError, "Found array with dim 3"),
    ("1-d", lambda X: X[:, 0], ValueError, "Expected 2D array, got 1D array"),
    ("ragged", _ragged, ValueError, "X is a ragged nested sequence"),
    ("strings", lambda X: X.astype(str).astype(object) + "cm", ValueError,
     "X contains non-numeric values"),
    ("object", lambda X: np.array([[1.0, "b", None]] * len(X), dtype=object), ValueError,
     "X contains non-numeric values"),
    ("dict", lambda X: np.array([[{"a": 1}, 1.0, 2.0]] * len(X), dtype=object), TypeError,
     "X contains non-numeric values"),
    ("complex", lambda X: X + 1j, ValueError, "X contains complex numbers"),
    ("string column", lambda X: pd.DataFrame({"a": X[:, 0], "b": ["x"] * len(X),
                                              "c": X[:, 2]}),
     ValueError, "X contains non-numeric values"),
]


# Cases whose message sknn.exceptions.explain_input_errors writes (NumPy's names no argument)
EXPLAINED = {"ragged", "strings", "object", "dict", "complex", "string column"}


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("case, transform, error, fragment", BAD_X, ids=[c[0] for c in BAD_X])
def test_fit_refuses_bad_X(name, case, transform, error, fragment):
    with pytest.raises(error, match=fragment):
        fit(make(name), transform(X_GOOD), good_y(name))


def _fitted(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit(make(name), X_GOOD, good_y(name))


def _methods(estimator):
    return [method for method in PREDICT_METHODS if hasattr(estimator, method)]


def _call(estimator, method, X, y):
    if method == "score":
        return estimator.score(X, y) if y is not None else estimator.score(X)
    return getattr(estimator, method)(X)


BAD_X_AT_PREDICT = BAD_X + [("wrong width", lambda X: X[:, :2], ValueError,
                              "X has 2 features, but")]


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("case, transform, error, fragment", BAD_X_AT_PREDICT,
                         ids=[c[0] for c in BAD_X_AT_PREDICT])
def test_every_prediction_method_refuses_bad_X(name, case, transform, error, fragment):
    estimator = _fitted(name)
    methods = _methods(estimator)
    assert "predict" in methods or "transform" in methods
    for method in methods:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # a DataFrame's names, unfitted
            with pytest.raises(error, match=fragment):
                _call(estimator, method, transform(X_GOOD), good_y(name))


# (case id, estimators, fit keyword changes, exception, fragment)
BAD_TARGETS_AND_WEIGHTS = [
    ("nan y", SUPERVISED, lambda y: dict(y=np.where(np.arange(N) % 3 == 0, np.nan, y)),
     ValueError, "Input y contains NaN"),
    ("inf y", REGRESSORS, lambda y: dict(y=np.where(np.arange(N) % 3 == 0, np.inf, y)),
     ValueError, "Input y contains infinity"),
    ("y too short", SUPERVISED, lambda y: dict(y=y[:5]), ValueError,
     r"inconsistent numbers of samples: \[20, 5\]"),
    ("complex y", REGRESSORS, lambda y: dict(y=y + 1j), ValueError, "y contains complex numbers"),
    ("string y", REGRESSORS, lambda y: dict(y=np.array(["high", "low"] * (N // 2))),
     ValueError, "y contains non-numeric values"),
    ("ragged y", REGRESSORS, lambda y: dict(y=[[1.0, 2.0]] * (N - 1) + [[1.0]]),
     ValueError, "y is a ragged nested sequence"),
    ("continuous y", CLASSIFIERS, lambda y: dict(y=Y_REAL), ValueError,
     "Unknown label type: continuous"),
    ("single class", ["PerceptronClassifier"], lambda y: dict(y=np.zeros(N, dtype=int)),
     ValueError, r"y has only one class \(\[0\]\)"),
    ("weights too short", SUPERVISED, lambda y: dict(sample_weight=np.ones(5)), ValueError,
     r"sample_weight.shape == \(5,\), expected \(20,\)"),
    ("negative weights", SUPERVISED, lambda y: dict(sample_weight=np.linspace(-1, 1, N)),
     ValueError, "Negative values in data passed to `sample_weight`"),
    ("nan weights", SUPERVISED, lambda y: dict(sample_weight=np.full(N, np.nan)),
     ValueError, "Input sample_weight contains NaN"),
    ("2-d weights", SUPERVISED, lambda y: dict(sample_weight=np.ones((N, 2))), ValueError,
     "Sample weights must be 1D array"),
]
_TARGET_ROWS = [(case, name, change, error, fragment)
                for case, names, change, error, fragment in BAD_TARGETS_AND_WEIGHTS
                for name in names]


@pytest.mark.parametrize("case, name, change, error, fragment", _TARGET_ROWS,
                         ids=[f"{row[0]}-{row[1]}" for row in _TARGET_ROWS])
def test_fit_refuses_bad_targets_and_weights(case, name, change, error, fragment):
    arguments = dict(y=good_y(name), sample_weight=None)
    arguments.update(change(arguments["y"]))
    with pytest.raises(error, match=fragment):
        make(name).fit(X_GOOD, **arguments)


@pytest.mark.parametrize("name", REGRESSORS)
@pytest.mark.parametrize("params, y, fragment", [
    (dict(loss="poisson"), Y_REAL - 0.5, r"negative .* Poisson regression \(loss='poisson'\)"),
    (dict(output_activation="tanh"), Y_REAL * 3,
     r"outside \[-1, 1\], the range of output_activation='tanh'"),
    (dict(loss="huber", output_activation="logistic", output_bounds=(0, 2)), Y_REAL * 3,
     r"outside \[0, 2\], the range of output_activation='logistic' with output_bounds"),
    (dict(loss="absolute_error", output_activation="softplus"), Y_REAL - 0.5,
     r"outside \[0, inf\), the range of output_activation='softplus'"),
], ids=["poisson", "tanh", "huber|logistic[0,2]", "absolute_error|softplus"])
def test_targets_a_bounded_output_cannot_reach_are_refused(name, params, y, fragment):
    with pytest.raises(ValueError, match=fragment):
        make(name).set_params(**params).fit(X_GOOD, y)
    with pytest.raises(ValueError, match=fragment):
        make(name).set_params(**params, early_stopping=False).partial_fit(X_GOOD, y)
    # and the same data inside the range fits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        make(name).set_params(**params).fit(X_GOOD, np.clip(y, 0.01, 0.99))


def _partial_fit(estimator, X, y, **kwargs):
    if is_classifier(estimator):
        kwargs.setdefault("classes", np.unique(Y_CLASS))
    return estimator.partial_fit(X, y, **kwargs)


@pytest.mark.parametrize("name", [name for name in SUPERVISED])
def test_partial_fit_refuses_bad_chunks(name):
    estimator = make(name)
    if hasattr(estimator, "early_stopping"):
        estimator.set_params(early_stopping=False)
    y = good_y(name)
    for case, transform, error, fragment in BAD_X:
        with pytest.raises(error, match=fragment):
            _partial_fit(clone(estimator), transform(X_GOOD), y)
    _partial_fit(estimator, X_GOOD, y)
    with pytest.raises(ValueError, match="X has 2 features, but"):
        _partial_fit(estimator, X_GOOD[:, :2], y)
    with pytest.raises(ValueError, match="sample_weight"):
        _partial_fit(estimator, X_GOOD, y, sample_weight=-np.ones(N))


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_partial_fit_needs_every_class_up_front(name):
    estimator = make(name)
    if hasattr(estimator, "early_stopping"):
        estimator.set_params(early_stopping=False)
    y_three = np.arange(N) % 3
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clone(estimator).partial_fit(X_GOOD, Y_CLASS)
    first_call = clone(estimator)
    with pytest.raises(ValueError, match="classes|y.* has classes not in"):
        first_call.partial_fit(X_GOOD, y_three, classes=[0, 1])
    later_call = clone(estimator).partial_fit(X_GOOD, Y_CLASS, classes=[0, 1])
    with pytest.raises(ValueError, match="classes|y.* has classes not in"):
        later_call.partial_fit(X_GOOD, y_three)
    # a chunk may lack classes announced up front
    later_call.partial_fit(X_GOOD[Y_CLASS == 0], Y_CLASS[Y_CLASS == 0])
    assert list(later_call.classes_) == [0, 1]


# -- single-class targets ---------------------------------------------------
#
# The decision: each classifier keeps the behaviour of the scikit-learn
# estimator it replaces. scikit-learn's MLPClassifier fits one class (its
# shipped test_preserve_feature_names does, with UserWarnings as errors), so
# the MLP classifiers fit it and say so with a SingleClassWarning (a
# RuntimeWarning); scikit-learn's Perceptron refuses it, and so does sknn's.
# check_estimator's check_classifiers_one_label accepts both.

NETWORK_CLASSIFIERS = [name for name in CLASSIFIERS if name != "PerceptronClassifier"]


@pytest.mark.parametrize("name", NETWORK_CLASSIFIERS)
def test_single_class_y_fits_a_network_classifier_with_a_warning(name):
    X_test = np.random.RandomState(1).uniform(-3, 3, size=(50, 3))
    with pytest.warns(SingleClassWarning, match=r"y has only one class \(\['spam'\]\)"):
        fitted = make(name).fit(X_GOOD, np.array(["spam"] * N))
    assert list(fitted.classes_) == ["spam"]
    assert (fitted.predict(X_test) == "spam").all()
    with pytest.warns(SingleClassWarning, match=r"classes has only one class \(\[1\]\)"):
        make(name).set_params(early_stopping=False).partial_fit(
            X_GOOD, np.ones(N, dtype=int), classes=[1])
    assert not issubclass(SingleClassWarning, UserWarning)


def test_single_class_y_is_refused_by_the_perceptron():
    with pytest.raises(ValueError, match=r"y has only one class \(\['spam'\]\).*two classes"):
        make("PerceptronClassifier").fit(X_GOOD, np.array(["spam"] * N))
    with pytest.raises(ValueError, match=r"classes has only one class \(\[1\]\)"):
        make("PerceptronClassifier").partial_fit(X_GOOD, np.ones(N, dtype=int), classes=[1])


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_one_class_left_by_zero_weights_is_still_two_classes_of_y(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error", SingleClassWarning)
        warnings.filterwarnings("ignore", category=UserWarning)
        fitted = make(name).fit(X_GOOD, Y_CLASS, sample_weight=(Y_CLASS == 1).astype(float))
    assert list(fitted.classes_) == [0, 1]


def test_multilabel_targets_with_one_label_column_are_not_single_class():
    Y = np.c_[Y_CLASS, 1 - Y_CLASS, np.ones(N, dtype=int)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = MLPClassifier(hidden_layer_sizes=(4,), **SMALL_NET).fit(X_GOOD, Y)
    assert clf.predict(X_GOOD).shape == (N, 3)


# -- one sample --------------------------------------------------------------

def test_one_sample_fits_regressors_without_a_validation_split():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        regressor = MLPRegressor(hidden_layer_sizes=(4,), **SMALL_NET).fit(X_GOOD[:1], [0.5])
        deep = DeepNetRegressor(n_hidden=1, n_neurons=4, early_stopping=False,
                                **SMALL_NET).fit(X_GOOD[:1], [0.5])
    for model in (regressor, deep):
        assert np.isfinite(model.predict(X_GOOD)).all()


@pytest.mark.parametrize("Estimator", [DeepNetRegressor, MLPRegressor])
def test_one_sample_with_early_stopping_names_the_split(Estimator):
    estimator = Estimator(early_stopping=True, **SMALL_NET)
    with pytest.raises(ValueError, match=r"early_stopping=True holds out "
                                         r"validation_fraction=0.1 of the 1 sample\(s\) of X"):
        estimator.fit(X_GOOD[:1], Y_REAL[:1])


def test_one_sample_of_a_classifier_is_one_class():
    with pytest.raises(ValueError, match="y has only one class"):
        make("PerceptronClassifier").fit(X_GOOD[:1], [1])
    with pytest.warns(SingleClassWarning):
        MLPClassifier(hidden_layer_sizes=(4,), **SMALL_NET).fit(X_GOOD[:1], [1])


# -- invalid hyperparameters and combinations ----------------------------------

@pytest.mark.parametrize("name", NETWORKS)
def test_invalid_hyperparameters_name_the_valid_choices_at_fit(name):
    estimator = make(name).set_params(activation="rectifier")  # constructor accepts anything
    with pytest.raises(InvalidParameterError, match="'activation' parameter .*[{ ]'relu'"):
        fit(estimator, X_GOOD, good_y(name))


@pytest.mark.parametrize("name", SUPERVISED)
def test_partial_fit_with_lbfgs_is_absent_and_says_why(name):
    estimator = make(name)
    if "solver" not in estimator.get_params():
        pytest.skip("no solver parameter")
    estimator.set_params(solver="lbfgs")
    assert not hasattr(estimator, "partial_fit")  # scikit-learn's contract
    with pytest.raises(AttributeError, match="lbfgs is not stochastic.*solver='adam'"):
        estimator.partial_fit(X_GOOD, good_y(name))


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("step", ["heaviside", "sign"])
def test_step_activations_are_refused_in_gradient_trained_nets(name, step):
    with pytest.raises(ValueError, match=f"Activation '{step}' cannot be trained by "
                                         "backpropagation.*PerceptronClassifier"):
        fit(make(name).set_params(activation=step), X_GOOD, good_y(name))


@pytest.mark.parametrize("Estimator", [MLPClassifier, DeepNetClassifier])
@pytest.mark.parametrize("params, warns", [
    (dict(activation="selu", dropout=0.2, batch_norm=True), True),
    (dict(activation="relu", dropout=0.2, dropout_kind="alpha", batch_norm=True), True),
    (dict(activation="selu", dropout=0.2, batch_norm=False), False),
    (dict(activation="selu", dropout=0.2, dropout_kind="standard", batch_norm=True), False),
    (dict(activation="selu", dropout=0.0, batch_norm=True), False),
])
def test_alpha_dropout_with_batch_norm_warns_with_the_reason(Estimator, params, warns):
    """A warning, not an error: the network trains, but batch norm replaces the
    mean and variance that alpha dropout exists to preserve for SELU."""
    X = (X_GOOD - X_GOOD.mean(axis=0)) / X_GOOD.std(axis=0)
    estimator = Estimator(hidden_layer_sizes=(4, 4), max_iter=3, random_state=0, alpha=0.0,
                          **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimator.fit(X, Y_CLASS)
    messages = [str(w.message) for w in caught if "Alpha dropout" in str(w.message)]
    if warns:
        assert len(messages) == 1
        assert "batch norm replaces those statistics" in messages[0]
        assert "batch_norm=False" in messages[0] and "dropout_kind='standard'" in messages[0]
    else:
        assert messages == []
    assert np.isfinite(estimator.predict_proba(X)).all()


@pytest.mark.parametrize("name", [name for name in NETWORKS if name in SUPERVISED])
def test_other_impossible_combinations_are_explained(name):
    y = good_y(name)
    with pytest.raises(ValueError, match="solver='lbfgs' minimizes one deterministic"):
        fit(make(name).set_params(solver="lbfgs", dropout=0.2), X_GOOD, y)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        make(name).set_params(early_stopping=True).partial_fit(
            X_GOOD, y, **({"classes": [0, 1]} if is_classifier(make(name)) else {}))


# -- nothing passed in is modified ---------------------------------------------

CONFIGURATIONS = [
    dict(),
    dict(shuffle=False, batch_size=N),  # batches are views of the caller's X
    dict(batch_norm=True, batch_norm_position="before", input_dropout=0.2),
    dict(early_stopping=True, validation_fraction=0.25, dropout=0.3),
    dict(solver="lbfgs", dropout=0.0),  # DeepNet's default dropout cannot run with lbfgs
]


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("params", CONFIGURATIONS, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nothing_passed_in_is_modified(name, params, dtype):
    estimator = make(name)
    unknown = set(params) - set(estimator.get_params())
    if unknown:
        pytest.skip(f"{name} has no {sorted(unknown)}")
    estimator.set_params(**params)
    supervised = name in SUPERVISED
    X, y = X_GOOD.astype(dtype), (good_y(name).copy() if supervised else None)
    weights = {"sample_weight": np.linspace(0.5, 1.5, N)} if supervised else {}
    arrays = [array for array in (X, y, *weights.values()) if array is not None]
    before = [array.copy() for array in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit(estimator, X, y, **weights)
        if (supervised and hasattr(estimator, "partial_fit")
                and not getattr(estimator, "early_stopping", False)):
            _partial_fit(estimator, X, y, **weights)
        for method in _methods(estimator):
            _call(estimator, method, X, y)
        if hasattr(estimator, "inverse_transform"):
            codes = estimator.transform(X)
            codes_before = codes.copy()
            estimator.inverse_transform(codes)
            np.testing.assert_array_equal(codes, codes_before)
    for array, original in zip(arrays, before):
        np.testing.assert_array_equal(array, original)
        assert array.dtype == original.dtype


def test_perceptron_modifies_nothing_passed_in():
    X, y, weights = X_GOOD.copy(), Y_CLASS.copy(), np.linspace(0.5, 1.5, N)
    coef_init, intercept_init = np.ones((1, 3)), np.ones(1)
    arrays = (X, y, weights, coef_init, intercept_init)
    before = [array.copy() for array in arrays]
    clf = PerceptronClassifier(max_iter=5, tol=None, shuffle=False)
    clf.fit(X, y, coef_init=coef_init, intercept_init=intercept_init, sample_weight=weights)
    clf.partial_fit(X, y, sample_weight=weights)
    clf.predict(X), clf.decision_function(X), clf.score(X, y)
    assert not np.array_equal(clf.coef_, coef_init)  # it did train
    for array, original in zip(arrays, before):
        np.testing.assert_array_equal(array, original)


# -- read-only memory-mapped input ---------------------------------------------

@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_read_only_memory_mapped_X_trains_and_stays_untouched(name, dtype, tmp_path):
    path = tmp_path / "X.npy"
    np.save(path, X_GOOD.astype(dtype))
    on_disk = path.read_bytes()
    X = np.load(path, mmap_mode="r")
    assert not X.flags.writeable
    estimator = make(name)
    if "shuffle" in estimator.get_params():
        estimator.set_params(shuffle=False)  # whole-array batches: views of the memmap
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit(estimator, X, good_y(name))
        if hasattr(estimator, "partial_fit") and not getattr(estimator, "early_stopping", False):
            _partial_fit(estimator, X, good_y(name))
        outputs = [_call(estimator, method, X, good_y(name)) for method in _methods(estimator)]
        reference = fit(clone(estimator), np.array(X), good_y(name))
    assert all(np.isfinite(output).all() for output in outputs)
    method = "predict" if hasattr(estimator, "predict") else "transform"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from_memmap = fit(clone(estimator), X, good_y(name))
    np.testing.assert_array_equal(getattr(reference, method)(X_GOOD.astype(dtype)),
                                  getattr(from_memmap, method)(X_GOOD.astype(dtype)))
    del X
    assert path.read_bytes() == on_disk


# -- pandas ------------------------------------------------------------------

@pytest.mark.parametrize("name", ESTIMATORS)
def test_dataframes_keep_and_check_feature_names(name):
    frame = pd.DataFrame(X_GOOD, columns=["height", "weight", "age"])
    y = good_y(name)
    y_series = None if y is None else pd.Series(y, name="target")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator = fit(make(name), frame, y_series)
    assert list(estimator.feature_names_in_) == ["height", "weight", "age"]
    assert estimator.n_features_in_ == 3
    methods = _methods(estimator)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # matching names: silent
        same = [_call(estimator, method, frame, y) for method in methods]
    renamed = frame.rename(columns={"age": "years"})
    reordered = frame[["weight", "height", "age"]]
    for method in methods:
        with pytest.raises(ValueError, match="Feature names unseen at fit time:\n- years"):
            _call(estimator, method, renamed, y)
        with pytest.raises(ValueError, match="Feature names must be in the same order"):
            _call(estimator, method, reordered, y)
        with pytest.warns(UserWarning, match="X does not have valid feature names, but "
                                             f"{name} was fitted with feature names"):
            plain = _call(estimator, method, X_GOOD, y)
        np.testing.assert_array_equal(plain, same[methods.index(method)])


@pytest.mark.parametrize("name", ESTIMATORS)
def test_dataframe_at_predict_after_an_array_at_fit_warns(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator = fit(make(name), X_GOOD, good_y(name))
    assert not hasattr(estimator, "feature_names_in_")
    frame = pd.DataFrame(X_GOOD, columns=["height", "weight", "age"])
    method = "predict" if hasattr(estimator, "predict") else "transform"
    with pytest.warns(UserWarning, match=f"X has feature names, but {name} was fitted "
                                         "without feature names"):
        getattr(estimator, method)(frame)


# -- values that would build, train or predict something else than asked ---------------

BAD_WIDTHS = [(4.5,), ("4",), (None,), (np.nan,), (2**63,), (0,), (-3,), "100", (True,)]


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize("widths", BAD_WIDTHS, ids=repr)
def test_hidden_layer_sizes_must_be_whole_widths(name, widths):
    estimator = make(name).set_params(hidden_layer_sizes=widths)
    # scikit-learn's own validation answers first for a string (not array-like)
    with pytest.raises(InvalidParameterError,
                       match=r"'hidden_layer_sizes' parameter (of \w+ )?must be (a positive "
                             r"integer|an array-like(,| or) an int in the range \[1, inf\))"):
        fit(estimator, X_GOOD, good_y(name))


@pytest.mark.parametrize("name", NETWORKS)
def test_integral_float_widths_build_those_widths(name):
    # e.g. a search's real-valued dimension proposing 6.0
    estimator = fit(make(name).set_params(hidden_layer_sizes=(6.0, 5)), X_GOOD, good_y(name))
    assert [kernel.shape[1] for kernel in estimator.coefs_[:2]] == [6, 5]


@pytest.mark.parametrize("name", CLASSIFIERS)
@pytest.mark.parametrize("weights", [{0: -1.0, 1: 1.0}, {0: np.inf, 1: 1.0},
                                     {0: np.nan, 1: 1.0}, {0: "heavy", 1: 1.0}], ids=repr)
def test_class_weight_must_be_finite_and_non_negative(name, weights):
    with pytest.raises(ValueError, match=r"class_weight values must be finite numbers >= 0"):
        make(name).set_params(class_weight=weights).fit(X_GOOD, Y_CLASS)


@pytest.mark.parametrize("name", [n for n in CLASSIFIERS if n != "PerceptronClassifier"])
def test_class_weights_that_zero_every_sample_are_refused(name):
    with pytest.raises(ValueError, match=r"weights \(sample_weight and class_weight\) sum to "
                                         r"zero"):
        make(name).set_params(class_weight={0: 0.0, 1: 0.0}).fit(X_GOOD, Y_CLASS)


def test_sample_weights_that_float32_rounds_to_zero_are_refused():
    # a float32 network casts the weights: 1e-50 is 0 there
    with pytest.raises(ValueError, match="sum to zero in float32.*rescale tiny weights"):
        make("DeepNetRegressor").fit(X_GOOD, Y_REAL, sample_weight=np.full(N, 1e-50))


@pytest.mark.parametrize("name", [n for n in SUPERVISED if n != "PerceptronClassifier"])
def test_minibatches_without_weight_are_skipped(name):
    # shuffle=False, batches of 5: the first two batches weigh nothing, so the fit equals
    # one on the weighted rows alone (same initial weights, same optimizer steps; a
    # constant rate, since a per-step schedule's steps count batches, skipped or not)
    params = dict(shuffle=False, batch_size=5, max_iter=3, dropout=0.0,
                  learning_rate="constant")
    weights = np.r_[np.zeros(10), np.ones(N - 10)]
    y = good_y(name)
    skipped = make(name).set_params(**params).fit(X_GOOD, y, sample_weight=weights)
    alone = make(name).set_params(**params).fit(X_GOOD[10:], y[10:])
    unweighted = make(name).set_params(**params).fit(X_GOOD, y)
    for kernel, reference, other in zip(skipped.coefs_, alone.coefs_, unweighted.coefs_):
        # a weighted mean of ones rounds differently from a mean (float32: ~1e-8)
        np.testing.assert_allclose(kernel, reference, rtol=1e-5, atol=1e-6)
        assert np.abs(other - reference).max() > 1e-3


FLOAT32_NETWORKS = [name for name in NETWORKS if name.startswith(("DeepNet", "Stacked"))]
TOO_LARGE = "Input X contains infinity or a value too large for dtype\\('float32'\\)"


@pytest.mark.parametrize("name", FLOAT32_NETWORKS)
def test_float32_networks_refuse_values_they_cannot_hold_when_predicting(name):
    estimator = _fitted(name)
    X_huge = X_GOOD.copy()
    X_huge[0, 0] = 1e39  # finite in float64, inf in float32
    methods = _methods(estimator) + (["inverse_transform"] if name.startswith("Stacked")
                                     else [])
    for method in methods:
        if method == "inverse_transform":
            X_huge_codes = np.full((2, estimator.coefs_[-1].shape[1]), 1e39)
            with pytest.raises(ValueError, match=TOO_LARGE.replace("Input X", "Input")):
                estimator.inverse_transform(X_huge_codes)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's overflow in the cast
            with pytest.raises(ValueError, match=TOO_LARGE):
                _call(estimator, method, X_huge, good_y(name))


@pytest.mark.parametrize("name", ["MLPClassifier", "MLPRegressor"])
def test_a_float32_inference_copy_refuses_values_it_cannot_hold(name):
    estimator = _fitted(name).with_inference_dtype("float32")
    X_huge = X_GOOD.copy()
    X_huge[0, 0] = 1e39
    with pytest.raises(ValueError, match=TOO_LARGE):
        estimator.predict(X_huge)
    assert np.isfinite(estimator.predict(X_GOOD).astype(float)).all()


@pytest.mark.parametrize("name", ["DeepNetClassifier", "DeepNetRegressor"])
def test_validation_data_refuses_values_the_network_cannot_hold(name):
    X_val = X_GOOD.copy()
    X_val[0, 0] = 1e39
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match="validation_data: " + TOO_LARGE):
            make(name).fit(X_GOOD, good_y(name), validation_data=(X_val, good_y(name)))


@pytest.mark.parametrize("data, fragment", [
    (X_GOOD, "got a ndarray"),
    ((X_GOOD,), "got a tuple of 1 items"),
    ((X_GOOD, Y_CLASS, None, None), "got a tuple of 4 items"),
    ({"X": X_GOOD}, "got a dict"),
], ids=["array", "1-tuple", "4-tuple", "dict"])
def test_malformed_validation_data_says_what_it_should_be(data, fragment):
    with pytest.raises(ValueError, match=r"validation_data must be a tuple \(X_val, y_val\) or "
                                         r"\(X_val, y_val, sample_weight_val\), " + fragment):
        make("DeepNetClassifier").fit(X_GOOD, Y_CLASS, validation_data=data)


def test_validation_labels_the_classifier_never_saw_are_refused_by_name():
    y_val = np.array([0, 1, 7, 1, 9] * 4)
    with pytest.raises(ValueError, match=r"y_val has labels \[7, 9\] that y does not have "
                                         r"\(the classes are \[0, 1\]\)"):
        make("DeepNetClassifier").fit(X_GOOD, Y_CLASS, validation_data=(X_GOOD, y_val))


def test_validation_targets_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError, match="y_val has 2 target"):
        make("DeepNetRegressor").fit(X_GOOD, Y_REAL,
                                     validation_data=(X_GOOD, np.ones((N, 2))))
    with pytest.raises(ValueError, match=r"X_val has 20 samples but y_val has 5"):
        make("DeepNetRegressor").fit(X_GOOD, Y_REAL, validation_data=(X_GOOD, Y_REAL[:5]))


@pytest.mark.parametrize("name", [name for name in SUPERVISED if name in NETWORKS])
@pytest.mark.parametrize("incremental", [False, True], ids=["warm_start", "partial_fit"])
def test_a_changed_architecture_says_so_when_training_continues(name, incremental):
    estimator = _fitted(name)
    estimator.set_params(hidden_layer_sizes=(7, 3), warm_start=True)
    how = "partial_fit continues" if incremental else "fit with warm_start=True continues"
    with pytest.raises(ValueError, match=r"The network's architecture changed since it was "
                                         r"fitted: its weights are \[dense 3x4, .*\], but the "
                                         r"current parameters describe \[dense 3x7, .*" + how):
        if incremental:
            kwargs = {"classes": [0, 1]} if is_classifier(estimator) else {}
            estimator.partial_fit(X_GOOD, good_y(name), **kwargs)
        else:
            estimator.fit(X_GOOD, good_y(name))


def test_switching_batch_norm_on_then_continuing_says_what_to_do():
    estimator = _fitted("MLPClassifier").set_params(batch_norm=True)
    with pytest.raises(ValueError, match=r"batch norm 4.*call fit \(with warm_start=False\)"):
        estimator.partial_fit(X_GOOD, Y_CLASS)
    # and starting over works
    estimator.set_params(warm_start=False).fit(X_GOOD, Y_CLASS)


@pytest.mark.parametrize("name", ["DeepNetClassifier", "DeepNetRegressor"])
def test_the_default_batch_size_is_clipped_without_a_word(name):
    # 20 rows, the default batch of 64: the user chose nothing, so nothing is said
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make(name).set_params(early_stopping=False).fit(X_GOOD, good_y(name))
    assert not [w for w in caught if "batch_size" in str(w.message)]


@pytest.mark.parametrize("name", ["MLPClassifier", "DeepNetRegressor"])
def test_a_chosen_batch_size_larger_than_the_data_warns_once(name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make(name).set_params(batch_size=128).fit(X_GOOD, good_y(name))
    assert len([w for w in caught if "batch_size" in str(w.message)]) == 1


def test_a_changed_architecture_says_so_on_the_torch_engine_too():
    pytest.importorskip("torch")
    estimator = make("MLPRegressor").set_params(backend="torch", device="cpu")
    estimator.fit(X_GOOD, Y_REAL)
    estimator.set_params(hidden_layer_sizes=(5,))
    with pytest.raises(ValueError, match=r"architecture changed .* \[dense 3x4, dense 4x1\].* "
                                         r"\[dense 3x5, dense 5x1\]"):
        estimator.partial_fit(X_GOOD, Y_REAL)
