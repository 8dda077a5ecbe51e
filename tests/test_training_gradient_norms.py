"""Per-layer gradient norms in ``history_`` (``track_gradient_norms=True``)."""

import importlib.util
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from sknn import DeepNetClassifier, MLPClassifier, MLPRegressor
from sknn.engines.numpy_engine import NumpyEngine
from sknn.network import initial_weights
from sknn.spec import freeze_hidden_layers, mlp_spec
from sknn.training import GRADIENT_PROBE_SIZE, gradient_probe, kernel_gradient_norms

HAS_TORCH = importlib.util.find_spec("torch") is not None

X_small, y_small = make_classification(n_samples=60, n_features=5, n_informative=3,
                                       random_state=0)
X_digits, y_digits = load_digits(return_X_y=True)
X_digits = X_digits / 16


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _finite_difference_kernel_norms(estimator, X, Y, eps=1e-6):
    """Norms of central-difference gradients of the penalized training-mode loss,
    one per kernel, at the estimator's final weights."""
    engine = NumpyEngine(estimator.network_.spec, estimator.network_.weights,
                         regularization=estimator._regularization())
    data = engine.prepare(X, Y)
    flat = engine.flat_parameters().copy()
    n_kernel = sum(kernel.size for kernel in estimator.coefs_)
    grad = np.empty(n_kernel)
    for i in range(n_kernel):
        values = []
        for shift in (eps, -eps):
            moved = flat.copy()
            moved[i] += shift
            engine.set_flat_parameters(moved)
            values.append(engine.loss_and_gradient(data)[0])
        grad[i] = (values[0] - values[1]) / (2 * eps)
    bounds = np.cumsum([0] + [kernel.size for kernel in estimator.coefs_])
    return [np.linalg.norm(grad[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


@pytest.mark.parametrize("options", [
    {"activation": "tanh", "alpha": 1e-3},
    {"activation": "relu", "batch_norm": True, "l1": 1e-3},
])
def test_recorded_norms_equal_finite_differences_of_the_training_objective(options):
    clf = MLPClassifier(hidden_layer_sizes=(6, 4), solver="sgd", learning_rate_init=0.05,
                        max_iter=3, random_state=0, track_gradient_norms=True, **options)
    clf.fit(X_small, y_small)
    recorded = clf.history_["gradient_norms"][-1]
    # 60 rows: the probe is the whole training set; binary targets are one 0/1 column
    expected = _finite_difference_kernel_norms(clf, X_small, y_small.reshape(-1, 1))
    assert len(recorded) == 3
    np.testing.assert_allclose(recorded, expected, rtol=1e-5)


def test_regressor_norms_equal_finite_differences():
    y = X_small @ np.arange(1.0, 6.0)
    reg = MLPRegressor(hidden_layer_sizes=(5,), max_iter=2, random_state=0,
                       track_gradient_norms=True).fit(X_small, y)
    expected = _finite_difference_kernel_norms(reg, X_small, y.reshape(-1, 1))
    np.testing.assert_allclose(reg.history_["gradient_norms"][-1], expected, rtol=1e-5)


def test_one_list_of_norms_per_epoch_next_to_the_other_history_keys():
    clf = MLPClassifier(hidden_layer_sizes=(8, 8), max_iter=5, early_stopping=True,
                        n_iter_no_change=100, random_state=0, track_gradient_norms=True)
    clf.fit(X_digits[:300], y_digits[:300])
    norms = clf.history_["gradient_norms"]
    assert len(norms) == len(clf.history_["loss"]) == 5
    assert all(len(epoch) == 3 and all(value > 0 for value in epoch) for epoch in norms)


def test_untracked_fits_have_no_gradient_norms_key():
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    assert "gradient_norms" not in clf.fit(X_small, y_small).history_


def test_tracked_epochs_after_an_untracked_warm_start_pad_the_earlier_ones_with_none():
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, warm_start=True, random_state=0)
    clf.fit(X_small, y_small)
    clf.set_params(track_gradient_norms=True).fit(X_small, y_small)
    norms = clf.history_["gradient_norms"]
    assert len(norms) == len(clf.history_["loss"]) == 4
    assert norms[:2] == [None, None] and all(len(epoch) == 2 for epoch in norms[2:])


def _fit_pair(**params):
    fits = []
    for track in (False, True):
        est = DeepNetClassifier(n_hidden=3, n_neurons=16, max_iter=3, dropout=0.2,
                                batch_norm=True, random_state=0, track_gradient_norms=track,
                                **params)
        fits.append(est.fit(X_digits[:400], y_digits[:400]))
    return fits


@pytest.mark.parametrize("backend", ["numpy", pytest.param("torch", marks=pytest.mark.skipif(
    not HAS_TORCH, reason="needs torch"))])
def test_tracking_leaves_training_unchanged(backend):
    # the probe pass updates batch norm statistics and draws dropout masks;
    # both are put back, so weights and history match an untracked fit exactly
    plain, tracked = _fit_pair(backend=backend)
    for a, b in zip(plain.network_.weights, tracked.network_.weights):
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
    assert plain.history_["loss"] == tracked.history_["loss"]
    assert plain.history_["val_score"] == tracked.history_["val_score"]
    assert len(tracked.history_["gradient_norms"]) == tracked.n_iter_


@pytest.mark.skipif(not HAS_TORCH, reason="needs torch")
def test_torch_engine_records_the_numpy_engines_norms():
    fits = [MLPClassifier(hidden_layer_sizes=(8, 8), max_iter=1, batch_size=600, solver="sgd",
                          backend=backend, random_state=0, track_gradient_norms=True)
            .fit(X_digits[:600], y_digits[:600]) for backend in ("numpy", "torch")]
    np.testing.assert_allclose(fits[1].history_["gradient_norms"],
                               fits[0].history_["gradient_norms"], rtol=1e-6)


def test_deep_logistic_net_has_vanishing_first_layer_gradients_unlike_he_elu_bn():
    common = dict(hidden_layer_sizes=(32,) * 6, max_iter=1, random_state=0,
                  track_gradient_norms=True)
    logistic = MLPClassifier(activation="logistic", **common).fit(X_digits, y_digits)
    modern = DeepNetClassifier(activation="elu", batch_norm=True, early_stopping=False,
                               **common).fit(X_digits, y_digits)
    first_to_last = [np.divide(*np.array(est.history_["gradient_norms"][0])[[0, -1]])
                     for est in (logistic, modern)]
    # sigmoid derivatives (at most 1/4) shrink the gradient layer after layer
    assert first_to_last[0] < 1e-3
    assert first_to_last[1] > 0.1
    logistic_norms = logistic.history_["gradient_norms"][0]
    assert all(a < b for a, b in zip(logistic_norms, logistic_norms[1:]))


def test_probe_is_a_fixed_sample_of_distinct_rows():
    spec = mlp_spec(1, (4,), 1, "relu", "squared_error")
    engine = NumpyEngine(spec, initial_weights(spec, np.random.RandomState(0)))
    row_ids = np.arange(2000.0).reshape(-1, 1)  # each row holds its own index
    first, second = (gradient_probe(engine, row_ids, row_ids) for _ in range(2))
    ids = first.X.ravel()
    assert ids.size == GRADIENT_PROBE_SIZE
    assert len(np.unique(ids)) == ids.size and ids.min() >= 0 and ids.max() < 2000
    np.testing.assert_array_equal(first.Y.ravel(), ids)  # targets follow their rows
    np.testing.assert_array_equal(second.X, first.X)
    # drawn over the whole range, not the top rows (datasets are often sorted)
    assert ids.max() > 1500 and ids.min() < 500
    small = gradient_probe(engine, row_ids[:50], row_ids[:50], np.ones(50))
    np.testing.assert_array_equal(small.X.ravel(), np.arange(50))
    assert small.sample_weight.shape == (50,)


def test_frozen_layers_get_nan_and_the_others_their_norm():
    spec = mlp_spec(5, (6, 4), 1, "tanh", "binary_log_loss")
    weights = initial_weights(spec, np.random.RandomState(0))
    frozen = NumpyEngine(freeze_hidden_layers(spec, 1), weights)
    free = NumpyEngine(spec, weights)
    Y = y_small.reshape(-1, 1)
    frozen_norms = kernel_gradient_norms(frozen, frozen.prepare(X_small, Y))
    free_norms = kernel_gradient_norms(free, free.prepare(X_small, Y))
    assert np.isnan(frozen_norms[0])
    np.testing.assert_allclose(frozen_norms[1:], free_norms[1:], rtol=1e-12)


def test_lbfgs_records_no_norms():
    clf = MLPClassifier(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=5,
                        track_gradient_norms=True, random_state=0).fit(X_small, y_small)
    assert "gradient_norms" not in getattr(clf, "history_", {})


def test_track_gradient_norms_must_be_a_boolean():
    with pytest.raises(InvalidParameterError, match="track_gradient_norms"):
        MLPClassifier(track_gradient_norms="yes").fit(X_small, y_small)
