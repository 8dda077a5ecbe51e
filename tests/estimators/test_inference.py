"""Inference copies: magnitude pruning (prune) and a storage dtype (with_inference_dtype)."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sknn import DeepNetClassifier, DeepNetRegressor, MLPClassifier, MLPRegressor

X_digits, y_digits = load_digits(return_X_y=True)
X_digits = X_digits / 16


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def mlp():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPClassifier(hidden_layer_sizes=(32, 16), max_iter=30, random_state=0).fit(
            X_digits, y_digits)


@pytest.fixture(scope="module")
def deep_net():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return DeepNetClassifier(n_hidden=3, n_neurons=32, max_iter=10,
                                 random_state=0).fit(X_digits, y_digits)


def _copies(estimator):
    return [kernel.copy() for kernel in estimator.coefs_]


# -- prune -------------------------------------------------------------------

def test_threshold_zeroes_exactly_the_weights_at_or_below_it(mlp):
    before = _copies(mlp)
    threshold = float(np.median(np.abs(mlp.coefs_[0])))
    pruned = mlp.prune(threshold=threshold)
    for original, kernel in zip(mlp.coefs_, pruned.coefs_):
        small = np.abs(original) <= threshold
        assert (kernel[small] == 0).all()
        np.testing.assert_array_equal(kernel[~small], original[~small])
    for kernel, saved in zip(mlp.coefs_, before):  # the original is untouched
        np.testing.assert_array_equal(kernel, saved)
    for a, b in zip(mlp.intercepts_, pruned.intercepts_):  # biases are never pruned
        np.testing.assert_array_equal(a, b)


def test_report_counts_the_zero_weights_per_layer_and_in_total(mlp):
    pruned = mlp.prune(threshold=0.05)
    report = pruned.pruning_report_
    assert report["threshold"] == 0.05 and report["target_sparsity"] is None
    assert [layer["shape"] for layer in report["layers"]] == [k.shape for k in mlp.coefs_]
    for layer, kernel in zip(report["layers"], pruned.coefs_):
        assert layer["n_weights"] == kernel.size
        assert layer["n_zero"] == kernel.size - np.count_nonzero(kernel)
        assert layer["sparsity"] == pytest.approx(layer["n_zero"] / kernel.size)
    zeros = sum(kernel.size - np.count_nonzero(kernel) for kernel in pruned.coefs_)
    total = sum(kernel.size for kernel in pruned.coefs_)
    assert (report["n_zero"], report["n_weights"]) == (zeros, total)
    assert report["sparsity"] == pytest.approx(zeros / total)
    assert not hasattr(mlp, "pruning_report_")


@pytest.mark.parametrize("sparsity", [0.0, 0.3, 0.75, 1.0])
def test_sparsity_zeroes_that_fraction_of_each_kernel_smallest_first(mlp, sparsity):
    pruned = mlp.prune(sparsity=sparsity)
    for original, kernel, layer in zip(mlp.coefs_, pruned.coefs_,
                                       pruned.pruning_report_["layers"]):
        zeroed = kernel == 0
        assert zeroed.sum() == int(np.floor(sparsity * kernel.size))
        assert layer["sparsity"] == pytest.approx(zeroed.mean())
        if 0 < zeroed.sum() < kernel.size:
            assert np.abs(original[zeroed]).max() <= np.abs(original[~zeroed]).min()


def test_l1_training_makes_pruning_nearly_free():
    common = dict(hidden_layer_sizes=(64,), alpha=0.0, max_iter=60, random_state=0)
    plain = MLPClassifier(**common).fit(X_digits, y_digits)
    sparse = MLPClassifier(l1=0.3, **common).fit(X_digits, y_digits)
    plain_pruned, sparse_pruned = (est.prune(threshold=1e-3) for est in (plain, sparse))
    # l1 drives most weights to (near) zero; without it almost none are that small
    assert sparse_pruned.pruning_report_["sparsity"] > 0.5
    assert plain_pruned.pruning_report_["sparsity"] < 0.05
    agreement = np.mean(sparse_pruned.predict(X_digits) == sparse.predict(X_digits))
    assert agreement > 0.99
    assert abs(sparse_pruned.score(X_digits, y_digits) - sparse.score(X_digits, y_digits)) < 0.01


def test_a_threshold_below_every_weight_keeps_the_predictions(mlp):
    smallest = min(np.abs(kernel).min() for kernel in mlp.coefs_)
    pruned = mlp.prune(threshold=smallest / 2)
    assert pruned.pruning_report_["n_zero"] == 0
    np.testing.assert_array_equal(pruned.predict_proba(X_digits), mlp.predict_proba(X_digits))


@pytest.mark.parametrize("kwargs, message", [
    ({}, "exactly one of threshold"),
    ({"threshold": 0.1, "sparsity": 0.5}, "exactly one of threshold"),
    ({"threshold": -1.0}, "threshold must be a real number >= 0"),
    ({"threshold": "0.1"}, "threshold must be a real number >= 0"),
    ({"sparsity": 1.5}, r"sparsity must be a fraction in \[0, 1\]"),
    ({"sparsity": True}, r"sparsity must be a fraction in \[0, 1\]"),
])
def test_prune_arguments_are_checked(mlp, kwargs, message):
    with pytest.raises(ValueError, match=message):
        mlp.prune(**kwargs)


def test_prune_needs_a_fitted_estimator():
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        MLPClassifier().prune(sparsity=0.5)


def test_pruned_copy_of_a_batch_norm_deep_net_keeps_its_batch_norm_and_pickles(deep_net):
    pruned = deep_net.prune(sparsity=0.2)
    for a, b in zip(deep_net.network_.weights, pruned.network_.weights):
        if "kernel" in a:  # pruned; the other layers are kept
            continue
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
    restored = pickle.loads(pickle.dumps(pruned))
    np.testing.assert_array_equal(restored.predict_proba(X_digits), pruned.predict_proba(X_digits))
    assert restored.pruning_report_ == pruned.pruning_report_
    assert np.mean(pruned.predict(X_digits) == deep_net.predict(X_digits)) > 0.95


# -- with_inference_dtype ------------------------------------------------------

@pytest.mark.parametrize("dtype, ratio, tolerance", [
    ("float32", 0.5, 1e-5), ("float16", 0.25, 1e-2), ("float64", 1.0, 0.0)])
def test_copy_stores_weights_in_the_dtype_and_predicts_within_its_tolerance(
        mlp, dtype, ratio, tolerance):
    converted = mlp.with_inference_dtype(dtype)
    weights = [value for layer in converted.network_.weights for value in layer.values()]
    assert {value.dtype.name for value in weights} == {dtype}
    proba = converted.predict_proba(X_digits)
    original = mlp.predict_proba(X_digits)
    np.testing.assert_allclose(proba, original, atol=tolerance, rtol=0)
    assert np.mean(converted.predict(X_digits) == mlp.predict(X_digits)) > 0.99
    assert proba.dtype == np.dtype("float64" if dtype == "float64" else "float32")
    report = converted.memory_report_
    assert report["dtype"] == dtype
    assert report["compute_dtype"] == ("float64" if dtype == "float64" else "float32")
    assert report["coefs_nbytes"] == sum(kernel.nbytes for kernel in converted.coefs_)
    assert report["original_nbytes"] == sum(
        value.nbytes for layer in mlp.network_.weights for value in layer.values())
    assert report["nbytes"] == ratio * report["original_nbytes"]
    assert all(kernel.dtype == np.float64 for kernel in mlp.coefs_)  # original untouched
    assert not hasattr(mlp, "memory_report_")


def test_float16_is_computed_in_float32_from_the_rounded_weights(mlp):
    half = mlp.with_inference_dtype("float16")
    X = X_digits[:5].astype(np.float32)
    hidden = X
    for i, (kernel, bias) in enumerate(zip(half.coefs_, half.intercepts_)):
        hidden = hidden @ kernel.astype(np.float32) + bias.astype(np.float32)
        if i < len(half.coefs_) - 1:
            hidden = np.maximum(hidden, 0)
    logits = hidden - hidden.max(axis=1, keepdims=True)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(half.predict_proba(X), expected, rtol=1e-5, atol=1e-6)


def test_deep_net_with_batch_norm_in_float16_casts_batch_norm_too(deep_net):
    half = deep_net.with_inference_dtype(np.float16)
    assert all(value.dtype == np.float16 for layer in half.network_.weights
               for value in layer.values())
    np.testing.assert_allclose(half.predict_proba(X_digits), deep_net.predict_proba(X_digits),
                               atol=1e-2)
    mean, std = half.mc_predict_proba(X_digits[:3], n_samples=2)
    assert mean.shape == (3, 10)


def test_regressors_and_sparse_inputs_work_in_float32():
    y = X_digits @ np.linspace(-1, 1, 64)
    for est in (MLPRegressor(hidden_layer_sizes=(16,), max_iter=20, random_state=0),
                DeepNetRegressor(n_hidden=1, n_neurons=16, max_iter=5, random_state=0)):
        est.fit(X_digits, y)
        single = est.with_inference_dtype("float32")
        np.testing.assert_allclose(single.predict(sp.csr_matrix(X_digits)), est.predict(X_digits),
                                   rtol=1e-4, atol=1e-4)


def test_inference_copies_compose_with_fuse_batch_norm(deep_net):
    fast = deep_net.fuse_batch_norm().prune(sparsity=0.1).with_inference_dtype("float16")
    assert len(fast.coefs_) == 4 and fast.coefs_[0].dtype == np.float16
    assert fast.pruning_report_["sparsity"] == pytest.approx(0.1, abs=0.01)
    assert np.mean(fast.predict(X_digits) == deep_net.predict(X_digits)) > 0.95
    restored = pickle.loads(pickle.dumps(fast))
    np.testing.assert_array_equal(restored.predict_proba(X_digits), fast.predict_proba(X_digits))


def test_dtype_copy_drops_the_training_state_and_refits_from_scratch(mlp):
    single = mlp.with_inference_dtype("float32")
    assert not hasattr(single, "_optimizer") and not hasattr(single, "_train_state")
    assert hasattr(mlp, "_optimizer")
    single.fit(X_digits, y_digits)  # a new float64 fit: weights and predictions in float64
    assert single.coefs_[0].dtype == np.float64
    assert single.predict_proba(X_digits).dtype == np.float64
    assert not hasattr(single, "memory_report_")


@pytest.mark.parametrize("dtype", ["int8", "float128x", None, "bfloat16"])
def test_unknown_dtypes_are_refused(mlp, dtype):
    with pytest.raises(ValueError, match="dtype must be one of"):
        mlp.with_inference_dtype(dtype)


def test_weights_too_large_for_float16_are_refused(mlp):
    huge = MLPRegressor(hidden_layer_sizes=(2,), max_iter=1, random_state=0).fit(
        X_digits[:20], np.arange(20.0))
    huge.coefs_[0][0, 0] = 1e6
    with pytest.raises(ValueError, match="exceeds the largest float16"):
        huge.with_inference_dtype("float16")
    assert huge.with_inference_dtype("float32").coefs_[0][0, 0] == 1e6
