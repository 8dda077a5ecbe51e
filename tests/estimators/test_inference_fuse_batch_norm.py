"""fuse_batch_norm(): batch norm folded into the preceding dense layers for inference."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import is_regressor
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from sknn import DeepNetClassifier, DeepNetRegressor, MLPClassifier, MLPRegressor
from sknn.spec import BatchNorm

TOLERANCE = {"float64": 1e-10, "float32": 1e-5}


@pytest.fixture(scope="module")
def classification():
    return make_classification(n_samples=200, n_features=8, n_informative=5, n_classes=3,
                               random_state=0)


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=200, n_features=6, noise=1.0, random_state=0)
    return X, y / 100


def _fit(estimator, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


def _outputs(estimator, X):
    if hasattr(estimator, "predict_proba"):
        return estimator.predict_proba(X)
    return estimator.predict(X)


def _batch_norms(estimator):
    return sum(isinstance(layer, BatchNorm) for layer in estimator.network_.spec.layers)


def _snapshot(estimator):
    return [{key: value.copy() for key, value in layer.items()}
            for layer in estimator.network_.weights]


def _estimators(dtype):
    # bn_momentum 0.5 moves the running statistics far from their (0, 1) start,
    # so the fused biases and scales differ clearly from the unfused ones
    common = dict(max_iter=15, random_state=0, bn_momentum=0.5)
    return [
        MLPClassifier(hidden_layer_sizes=(16, 12), batch_norm=True, **common),
        DeepNetClassifier(dtype=dtype, n_neurons=16, max_iter=15, random_state=0),
        DeepNetClassifier(dtype=dtype, n_hidden=3, n_neurons=16, dropout=0.2, **common),
        DeepNetRegressor(dtype=dtype, n_neurons=16, **common),
        MLPRegressor(hidden_layer_sizes=(16, 12), batch_norm=True, **common),
    ]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("index", range(5))
def test_fused_predictions_equal_and_original_unchanged(index, dtype, classification,
                                                        regression):
    estimator = _estimators(dtype)[index]
    X, y = regression if is_regressor(estimator) else classification
    _fit(estimator, X, y)
    weight_dtype = estimator.coefs_[0].dtype.name
    before = _snapshot(estimator)
    expected = _outputs(estimator, X)

    fused = estimator.fuse_batch_norm()

    assert fused is not estimator and type(fused) is type(estimator)
    np.testing.assert_allclose(_outputs(fused, X), expected, rtol=0,
                               atol=TOLERANCE[weight_dtype] * max(1, np.abs(expected).max()))
    if not is_regressor(estimator):
        np.testing.assert_array_equal(fused.predict(X), estimator.predict(X))
    # the original keeps its spec and its exact weights
    assert _batch_norms(estimator) == len(estimator.coefs_) - 1
    for old, new in zip(before, estimator.network_.weights):
        assert old.keys() == new.keys()
        for key in old:
            np.testing.assert_array_equal(old[key], new[key])
            assert old[key].dtype == new[key].dtype
    # the fused network has no batch norm, fewer layers, the same dense shapes
    assert _batch_norms(fused) == 0
    assert len(fused.network_.spec.layers) < len(estimator.network_.spec.layers)
    assert [w.shape for w in fused.coefs_] == [w.shape for w in estimator.coefs_]
    assert all(w.dtype.name == weight_dtype for w in fused.coefs_ + fused.intercepts_)
    assert all("kernel" in layer for layer in fused.network_.weights)
    assert not any(np.shares_memory(a, b) for a, b in zip(fused.coefs_, estimator.coefs_))


def test_fused_weights_follow_the_formula(classification):
    """Random running statistics: W' = W * s, b' = (b - mean) * s + beta."""
    X, y = classification
    clf = _fit(MLPClassifier(hidden_layer_sizes=(10,), batch_norm=True, max_iter=10,
                             random_state=0), X, y)
    rng = np.random.default_rng(0)
    bn = clf.network_.weights[1]
    for key, low, high in (("gamma", 0.5, 2), ("beta", -1, 1), ("moving_mean", -3, 3),
                           ("moving_variance", 0.1, 5)):
        bn[key][...] = rng.uniform(low, high, size=bn[key].shape)
    eps = clf.network_.spec.layers[1].epsilon
    fused = clf.fuse_batch_norm()
    scale = bn["gamma"] / np.sqrt(bn["moving_variance"] + eps)
    np.testing.assert_allclose(fused.coefs_[0], clf.coefs_[0] * scale, rtol=1e-14)
    np.testing.assert_allclose(fused.intercepts_[0],
                               (clf.intercepts_[0] - bn["moving_mean"]) * scale + bn["beta"],
                               rtol=1e-14)
    np.testing.assert_array_equal(fused.coefs_[1], clf.coefs_[1])
    np.testing.assert_allclose(fused.predict_proba(X), clf.predict_proba(X), atol=1e-12)


def test_batch_norm_after_activation_stays(classification):
    X, y = classification
    clf = _fit(MLPClassifier(hidden_layer_sizes=(12, 12), batch_norm=True,
                             batch_norm_position="after", max_iter=10, random_state=0), X, y)
    fused = clf.fuse_batch_norm()
    assert _batch_norms(fused) == _batch_norms(clf) == 2
    assert fused.network_.spec == clf.network_.spec
    np.testing.assert_allclose(fused.predict_proba(X), clf.predict_proba(X), atol=1e-12)


@pytest.mark.parametrize("estimator", [
    MLPClassifier(hidden_layer_sizes=(12,), max_iter=10, random_state=0),
    DeepNetClassifier(n_hidden=2, n_neurons=8, max_iter=10, random_state=0),
])
def test_without_batch_norm_returns_equivalent_copy(estimator, classification):
    X, y = classification
    _fit(estimator, X, y)
    assert _batch_norms(estimator) == 0
    fused = estimator.fuse_batch_norm()
    assert fused is not estimator
    assert fused.network_.spec == estimator.network_.spec
    for a, b in zip(fused.coefs_ + fused.intercepts_, estimator.coefs_ + estimator.intercepts_):
        np.testing.assert_array_equal(a, b)
        assert not np.shares_memory(a, b)
    np.testing.assert_array_equal(fused.predict_proba(X), estimator.predict_proba(X))


def test_fused_model_pickles(classification):
    X, y = classification
    clf = _fit(DeepNetClassifier(n_neurons=16, max_iter=10, random_state=0), X, y)
    fused = clf.fuse_batch_norm()
    restored = pickle.loads(pickle.dumps(fused))
    assert _batch_norms(restored) == 0
    np.testing.assert_array_equal(restored.predict_proba(X), fused.predict_proba(X))
    for a, b in zip(restored.coefs_, fused.coefs_):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="inference-only"):
        restored.partial_fit(X, y)


def test_fused_model_is_inference_only(classification, regression):
    X, y = classification
    clf = _fit(MLPClassifier(hidden_layer_sizes=(12,), batch_norm=True, max_iter=10,
                             random_state=0), X, y)
    fused = clf.fuse_batch_norm()
    with pytest.raises(ValueError, match="inference-only"):
        fused.partial_fit(X, y)
    fused.set_params(warm_start=True)
    with pytest.raises(ValueError, match="inference-only"):
        fused.fit(X, y)
    assert _batch_norms(fused) == 0  # failed calls leave it as it was

    Xr, yr = regression
    reg = _fit(DeepNetRegressor(n_neurons=8, max_iter=5, random_state=0), Xr, yr)
    with pytest.raises(ValueError, match="inference-only"):
        reg.fuse_batch_norm().partial_fit(Xr, yr)


def test_refit_from_scratch_restores_batch_norm(classification):
    X, y = classification
    params = dict(hidden_layer_sizes=(12,), batch_norm=True, max_iter=10, random_state=0)
    clf = _fit(MLPClassifier(**params), X, y)
    refit = _fit(clf.fuse_batch_norm(), X, y)
    assert _batch_norms(refit) == 1
    np.testing.assert_array_equal(refit.predict_proba(X), clf.predict_proba(X))
    # no longer fused: it trains on like any fitted estimator
    refit.partial_fit(X, y)


def test_unfitted_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        MLPClassifier(batch_norm=True).fuse_batch_norm()
