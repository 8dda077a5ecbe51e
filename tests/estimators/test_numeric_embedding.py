"""numeric_embedding='periodic' on the DeepNet estimators (issue 17)."""

import pickle

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.model_selection import GridSearchCV

from sknn import DeepNetClassifier, DeepNetRegressor, MLPClassifier
from sknn.network import initial_weights
from sknn.spec import PeriodicEmbedding, mlp_spec

FAST = dict(n_hidden=2, n_neurons=16, max_iter=5, random_state=0)
rng = np.random.RandomState(0)
X = rng.normal(size=(120, 3))
Y_CLASS = (X[:, 0] + X[:, 1] > 0).astype(int)
Y_REAL = np.sin(2 * X[:, 0]) + X[:, 2]


def _periodic_problem(n_samples):
    """``sign(sin(6 x))`` on one feature: six sign changes on [-2, 2]."""
    x = np.random.RandomState(1).uniform(-2, 2, size=(n_samples, 1))
    return x, (np.sin(6 * x[:, 0]) > 0).astype(int)


def test_the_embedding_learns_a_periodic_target_that_the_plain_network_cannot():
    x, y = _periodic_problem(600)
    params = dict(n_hidden=2, n_neurons=32, max_iter=30, random_state=0)
    plain = DeepNetClassifier(**params).fit(x[:400], y[:400])
    embedded = DeepNetClassifier(numeric_embedding="periodic", frequency_scale=0.5,
                                 **params).fit(x[:400], y[:400])
    assert embedded.score(x[400:], y[400:]) >= 0.95
    assert plain.score(x[400:], y[400:]) <= 0.75


@pytest.mark.parametrize("Estimator, y", [(DeepNetClassifier, Y_CLASS),
                                          (DeepNetRegressor, Y_REAL)])
def test_the_network_starts_with_the_embedding_and_its_first_layer_reads_its_columns(
        Estimator, y):
    est = Estimator(numeric_embedding="periodic", n_frequencies=5, frequency_scale=0.3,
                    input_dropout=0.1, **FAST).fit(X, y)
    layers = est.network_.spec.layers
    assert layers[1] == PeriodicEmbedding(5, 0.3)  # after input dropout
    assert est.network_.weights[0]["frequencies"].shape == (3, 5)
    assert est.coefs_[0].shape == (3 * 6, 16)
    rows = est.summary().rows
    assert rows[1]["layer"] == "periodic embedding" and rows[1]["parameters"] == 30
    assert rows[1]["output_width"] == 18


def test_frequencies_start_from_the_frequency_scale_and_phases_cover_a_period():
    spec = mlp_spec(3, (4,), 1, "relu", "squared_error", embedding=PeriodicEmbedding(200, 0.3))
    weights = initial_weights(spec, np.random.RandomState(0))[0]
    assert np.std(weights["frequencies"]) == pytest.approx(0.3, rel=0.1)
    assert -0.5 <= weights["phases"].min() < -0.45 and 0.45 < weights["phases"].max() < 0.5


def test_without_the_embedding_the_network_is_the_plain_one():
    plain = DeepNetClassifier(**FAST).fit(X, Y_CLASS)
    assert not any(isinstance(layer, PeriodicEmbedding) for layer in plain.network_.spec.layers)
    assert plain.coefs_[0].shape == (3, 16)


@pytest.mark.parametrize("params, message", [
    ({"numeric_embedding": "fourier"}, "numeric_embedding"),
    ({"numeric_embedding": "periodic", "n_frequencies": 0}, "n_frequencies"),
    ({"numeric_embedding": "periodic", "frequency_scale": 0.0}, "frequency_scale"),
    ({"numeric_embedding": "periodic", "frequency_scale": -1.0}, "frequency_scale"),
])
def test_invalid_embedding_parameters_are_refused_by_name(params, message):
    with pytest.raises(ValueError, match=f"'{message}' parameter"):
        DeepNetClassifier(**params, **FAST).fit(X, Y_CLASS)


def test_the_mlp_estimators_have_no_embedding_parameter():
    assert "numeric_embedding" not in MLPClassifier().get_params()


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_a_network_with_an_embedding_pickles_and_predicts_the_same(dump, tmp_path):
    est = DeepNetRegressor(numeric_embedding="periodic", **FAST).fit(X, Y_REAL)
    if dump == "pickle":
        loaded = pickle.loads(pickle.dumps(est))
    else:
        joblib.dump(est, tmp_path / "model.joblib")
        loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    np.testing.assert_array_equal(loaded.network_.weights[0]["phases"],
                                  est.network_.weights[0]["phases"])


def test_a_pickle_from_before_the_embedding_loads_without_one():
    est = DeepNetClassifier(**FAST).fit(X, Y_CLASS)
    state = est.__getstate__()
    for name in ("numeric_embedding", "n_frequencies", "frequency_scale"):
        del state[name]
    loaded = DeepNetClassifier.__new__(DeepNetClassifier)
    loaded.__setstate__(state)
    assert loaded.get_params()["numeric_embedding"] is None
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))
    loaded.set_params(warm_start=True).fit(X, Y_CLASS)  # trains on, as it was


def test_sparse_input_is_densified_and_trains_as_dense_input_does():
    X_sparse = X.copy()
    X_sparse[np.abs(X_sparse) < 0.5] = 0.0
    params = dict(numeric_embedding="periodic", dtype="float64", **FAST)
    dense = DeepNetClassifier(**params).fit(X_sparse, Y_CLASS)
    sparse = DeepNetClassifier(**params).fit(sp.csr_matrix(X_sparse), Y_CLASS)
    np.testing.assert_allclose(sparse.predict_proba(sp.csr_matrix(X_sparse)),
                               dense.predict_proba(X_sparse), rtol=1e-12, atol=1e-12)


def test_the_torch_backend_trains_the_same_network():
    pytest.importorskip("torch")
    params = dict(numeric_embedding="periodic", dtype="float64", dropout=0.0, **FAST)
    on_numpy = DeepNetRegressor(**params).fit(X, Y_REAL)
    on_torch = DeepNetRegressor(backend="torch", device="cpu", **params).fit(X, Y_REAL)
    np.testing.assert_allclose(on_torch.network_.weights[0]["frequencies"],
                               on_numpy.network_.weights[0]["frequencies"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(on_torch.predict(X), on_numpy.predict(X), rtol=1e-6, atol=1e-8)


def test_freezing_the_first_hidden_layer_freezes_the_embedding_below_it():
    est = DeepNetClassifier(numeric_embedding="periodic", frozen_layers=1, **FAST)
    est.fit(X, Y_CLASS)
    before = {name: value.copy() for name, value in est.network_.weights[0].items()}
    first_kernel = est.coefs_[0].copy()
    est.set_params(warm_start=True).fit(X, Y_CLASS)
    for name, value in before.items():
        np.testing.assert_array_equal(est.network_.weights[0][name], value)
    np.testing.assert_array_equal(est.coefs_[0], first_kernel)
    assert est.summary().rows[0]["trainable"] is False


def test_transfer_learning_refuses_an_embedding_on_either_side():
    plain = DeepNetClassifier(**FAST).fit(X, Y_CLASS)
    embedded = DeepNetClassifier(numeric_embedding="periodic", **FAST).fit(X, Y_CLASS)
    with pytest.raises(ValueError, match="pretrained=DeepNetClassifier has a numeric embedding"):
        DeepNetClassifier(pretrained=embedded, **FAST).fit(X, Y_CLASS)
    with pytest.raises(ValueError, match="numeric_embedding='periodic' cannot be combined with "
                                         "pretrained=DeepNetClassifier"):
        DeepNetClassifier(pretrained=plain, numeric_embedding="periodic", **FAST).fit(X, Y_CLASS)
    with pytest.raises(ValueError, match="cannot be combined with pretraining"):
        DeepNetClassifier(pretraining="autoencoder", numeric_embedding="periodic",
                          **FAST).fit(X, Y_CLASS)


def test_switching_the_embedding_on_a_warm_start_is_an_architecture_change():
    est = DeepNetClassifier(**FAST).fit(X, Y_CLASS)
    with pytest.raises(ValueError, match="periodic embedding 27"):
        est.set_params(warm_start=True, numeric_embedding="periodic").fit(X, Y_CLASS)


def test_a_grid_search_chooses_between_with_and_without_the_embedding():
    x, y = _periodic_problem(300)
    search = GridSearchCV(DeepNetClassifier(n_hidden=2, n_neurons=32, max_iter=30,
                                            frequency_scale=0.5, random_state=0),
                          {"numeric_embedding": [None, "periodic"]}, cv=2).fit(x, y)
    assert search.best_params_ == {"numeric_embedding": "periodic"}
