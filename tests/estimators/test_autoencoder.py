"""StackedAutoencoder: scikit-learn's checks, greedy training, the objective of
each layer, the linear case against PCA, fine-tuning, both engines."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sknn import StackedAutoencoder
from sknn.engines.numpy_engine import NumpyEngine
from sknn.network import initial_weights
from sknn.spec import Activation, BatchNorm, Dense, NetworkSpec, Regularization, TiedDense

CONFIGURATIONS = [
    StackedAutoencoder(hidden_layer_sizes=(4,), max_iter=5, random_state=0),
    StackedAutoencoder(hidden_layer_sizes=(6, 3), max_iter=5, fine_tune_iter=2,
                       dtype="float64", random_state=0),
    StackedAutoencoder(hidden_layer_sizes=(5, 3), batch_norm=True, solver="nadam",
                       learning_rate="one_cycle", max_iter=5, random_state=0),
    StackedAutoencoder(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=20, random_state=0),
    StackedAutoencoder(hidden_layer_sizes=(5, 3), tied_weights=True, fine_tune_iter=2,
                       max_iter=5, random_state=0),
]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(CONFIGURATIONS)
def test_sklearn_estimator_checks_pass(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def digits():
    X = load_digits().data[:600]
    return StandardScaler().fit_transform(X)


def _half_squared_error(reconstruction, target):
    """The training loss: half the squared error summed over features, mean over rows."""
    return 0.5 * np.mean(np.sum((reconstruction - target) ** 2, axis=1))


def _encode(layer_index, autoencoder, codes):
    """Codes of one encoder layer (dense then activation), computed by hand."""
    kernel, bias = autoencoder.coefs_[layer_index], autoencoder.intercepts_[layer_index]
    z = codes @ kernel + bias
    return z if autoencoder.activation == "identity" else np.tanh(z)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_lower_layers_do_not_depend_on_upper_ones():
    # greedy: layer 1 is trained (and its random draws made) before layer 2 exists
    X = StandardScaler().fit_transform(load_digits().data[:300])
    one = StackedAutoencoder((16,), max_iter=5, random_state=0).fit(X)
    two = StackedAutoencoder((16, 4), max_iter=5, random_state=0).fit(X)
    np.testing.assert_array_equal(one.coefs_[0], two.coefs_[0])
    np.testing.assert_array_equal(one.decoder_coefs_[0], two.decoder_coefs_[0])
    assert two.transform(X).shape == (300, 4)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_each_layer_minimizes_the_reconstruction_of_the_codes_below(digits):
    # L-BFGS reports the loss at its final weights, so the recorded loss of
    # layer 2 must be the squared error of reconstructing layer 1's codes
    ae = StackedAutoencoder((12, 5), activation="tanh", solver="lbfgs", max_iter=300,
                            dtype="float64", random_state=0).fit(digits)
    codes_1 = _encode(0, ae, digits)
    codes_2 = _encode(1, ae, codes_1)
    reconstruction_1 = codes_2 @ ae.decoder_coefs_[1] + ae.decoder_intercepts_[1]
    np.testing.assert_allclose(ae.reconstruction_losses_[1],
                               _half_squared_error(reconstruction_1, codes_1), rtol=1e-10)
    reconstruction_x = codes_1 @ ae.decoder_coefs_[0] + ae.decoder_intercepts_[0]
    np.testing.assert_allclose(ae.reconstruction_losses_[0],
                               _half_squared_error(reconstruction_x, digits), rtol=1e-10)
    np.testing.assert_allclose(ae.transform(digits), codes_2, rtol=1e-12, atol=1e-12)
    # inverse_transform chains the decoders from the top down
    expected = reconstruction_1 @ ae.decoder_coefs_[0] + ae.decoder_intercepts_[0]
    np.testing.assert_allclose(ae.inverse_transform(codes_2), expected, rtol=1e-12, atol=1e-12)


def test_linear_autoencoder_reaches_the_pca_reconstruction_error(digits):
    # the best rank-k affine reconstruction is PCA's (Eckart-Young); a linear
    # autoencoder trained to convergence reaches that error
    k = 5
    ae = StackedAutoencoder((k,), activation="identity", solver="lbfgs", max_iter=5000,
                            tol=1e-10, dtype="float64", random_state=0).fit(digits)
    pca = PCA(n_components=k).fit(digits)
    pca_error = _half_squared_error(pca.inverse_transform(pca.transform(digits)), digits)
    ae_error = _half_squared_error(ae.inverse_transform(ae.transform(digits)), digits)
    assert pca_error <= ae_error <= pca_error * 1.01


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fine_tuning_lowers_the_reconstruction_error_of_the_stack(digits):
    params = dict(hidden_layer_sizes=(16, 6), solver="lbfgs", max_iter=50,
                  dtype="float64", random_state=0)
    greedy = StackedAutoencoder(**params).fit(digits)
    tuned = StackedAutoencoder(fine_tune_iter=100, **params).fit(digits)
    # the fine-tune starts from the greedy weights (same draws, same greedy phase)
    np.testing.assert_array_equal(greedy.loss_curves_[0], tuned.loss_curves_[0])
    greedy_error = _half_squared_error(greedy.inverse_transform(greedy.transform(digits)),
                                       digits)
    tuned_error = _half_squared_error(tuned.inverse_transform(tuned.transform(digits)), digits)
    assert tuned_error < 0.97 * greedy_error  # measured: 15.08 vs 16.25
    np.testing.assert_allclose(tuned.reconstruction_losses_[-1], tuned_error, rtol=1e-10)
    assert len(tuned.loss_curves_) == 3


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_minibatch_training_reduces_the_reconstruction_loss(digits):
    ae = StackedAutoencoder((32, 8), max_iter=30, random_state=0).fit(digits)
    for curve in ae.loss_curves_:
        assert curve[-1] < 0.5 * curve[0]
    assert ae.n_iter_ == sum(len(curve) for curve in ae.loss_curves_)
    baseline = _half_squared_error(np.zeros_like(digits), digits)  # features have mean 0
    error = _half_squared_error(ae.inverse_transform(ae.transform(digits)), digits)
    assert error < 0.7 * baseline  # measured: 18.5 vs 29.5


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_batch_norm_codes_use_the_moving_statistics(digits):
    ae = StackedAutoencoder((8,), batch_norm=True, activation="identity", max_iter=3,
                            dtype="float64", random_state=0).fit(digits)
    bn = ae.network_.weights[1]
    z = digits @ ae.coefs_[0] + ae.intercepts_[0]
    expected = ((z - bn["moving_mean"]) / np.sqrt(bn["moving_variance"] + ae.bn_epsilon)
                * bn["gamma"] + bn["beta"])
    np.testing.assert_allclose(ae.transform(digits), expected, rtol=1e-10, atol=1e-12)
    # a row's code does not depend on the other rows in the call
    np.testing.assert_allclose(ae.transform(digits[:1]), expected[:1], rtol=1e-10, atol=1e-12)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_torch_engine_trains_the_same_stack(digits):
    pytest.importorskip("torch")
    params = dict(hidden_layer_sizes=(8, 4), max_iter=3, fine_tune_iter=2, solver="adam",
                  dtype="float64", random_state=0)
    reference = StackedAutoencoder(**params).fit(digits)
    torch_fit = StackedAutoencoder(backend="torch", device="cpu", **params).fit(digits)
    for ours, theirs in zip(reference.coefs_ + reference.decoder_coefs_,
                            torch_fit.coefs_ + torch_fit.decoder_coefs_):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-8)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sparse_input_gives_the_dense_result(digits):
    X = np.where(np.abs(digits) > 1, digits, 0.0)
    dense = StackedAutoencoder((6,), max_iter=3, dtype="float64", random_state=0).fit(X)
    sparse = StackedAutoencoder((6,), max_iter=3, dtype="float64",
                                random_state=0).fit(sp.csr_matrix(X))
    np.testing.assert_allclose(sparse.transform(sp.csr_matrix(X)), dense.transform(X),
                               rtol=1e-10, atol=1e-12)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_transform_outputs_and_names(digits):
    ae = StackedAutoencoder((10, 3), max_iter=2, random_state=0).fit(digits)
    codes = ae.transform(digits)
    assert codes.shape == (600, 3) and codes.dtype == np.float32
    assert list(ae.get_feature_names_out()) == [f"stackedautoencoder{i}" for i in range(3)]
    assert [c.shape for c in ae.coefs_] == [(64, 10), (10, 3)]
    assert [c.shape for c in ae.decoder_coefs_] == [(10, 64), (3, 10)]
    with pytest.raises(ValueError, match="codes of 3 features"):
        ae.inverse_transform(codes[:, :2])
    pipe = make_pipeline(StandardScaler(), StackedAutoencoder((4,), max_iter=2, random_state=0))
    pipe.set_output(transform="pandas")
    frame = pipe.fit_transform(load_digits().data[:100])
    assert list(frame.columns) == [f"stackedautoencoder{i}" for i in range(4)]


def test_invalid_parameters_are_refused(digits):
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        StackedAutoencoder(hidden_layer_sizes=(4, 0)).fit(digits)
    with pytest.raises(ValueError, match="heaviside"):
        StackedAutoencoder(activation="heaviside").fit(digits)


# -- tied weights -----------------------------------------------------------------
TIED_SPEC = NetworkSpec(6, (Dense(4), BatchNorm(), Activation("tanh"), Dense(3),
                            Activation("elu"), TiedDense(3), TiedDense(0)),
                        "squared_error", "float64")


def test_tied_dense_gradient_matches_finite_differences():
    X = np.random.RandomState(0).randn(30, 6)
    engine = NumpyEngine(TIED_SPEC, initial_weights(TIED_SPEC, np.random.RandomState(1)),
                         regularization=Regularization(alpha=0.3))
    data = engine.prepare(X, X)
    _, gradient = engine.loss_and_gradient(data)
    gradient = gradient.copy()
    start = engine.flat_parameters().copy()
    numeric = np.empty_like(start)
    for i in range(start.size):
        losses = []
        for step in (1e-6, -1e-6):
            shifted = start.copy()
            shifted[i] += step
            engine.set_flat_parameters(shifted)
            losses.append(engine.loss_and_gradient(data)[0])
        numeric[i] = (losses[0] - losses[1]) / 2e-6
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-8)
    # only the biases are the tied layers' own: 2 kernels, their biases, BN's
    # gamma and beta, then the tied biases (widths 4 and 6)
    assert start.size == 6 * 4 + 4 * 3 + 4 + 3 + 2 * 4 + 4 + 6


def test_tied_dense_agrees_with_torch():
    pytest.importorskip("torch")
    from sknn.engines.torch_engine import TorchEngine

    X = np.random.RandomState(0).randn(30, 6)
    weights = initial_weights(TIED_SPEC, np.random.RandomState(1))
    numpy_engine = NumpyEngine(TIED_SPEC, weights, regularization=Regularization(alpha=0.3))
    torch_engine = TorchEngine(TIED_SPEC, weights, regularization=Regularization(alpha=0.3))
    numpy_loss, numpy_grad = numpy_engine.loss_and_gradient(numpy_engine.prepare(X, X))
    torch_loss, torch_grad = torch_engine.loss_and_gradient(torch_engine.prepare(X, X))
    np.testing.assert_allclose(torch_loss, numpy_loss, rtol=1e-12)
    np.testing.assert_allclose(torch_grad, numpy_grad, rtol=1e-9, atol=1e-12)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_tied_weights_decode_with_the_transposed_encoder(digits):
    tied = StackedAutoencoder((16, 6), tied_weights=True, fine_tune_iter=3, max_iter=5,
                              dtype="float64", random_state=0).fit(digits)
    for decoder, encoder in zip(tied.decoder_coefs_, tied.coefs_, strict=True):
        np.testing.assert_array_equal(decoder, encoder.T)
    codes = tied.transform(digits)
    hidden = codes @ tied.coefs_[1].T + tied.decoder_intercepts_[1]
    expected = hidden @ tied.coefs_[0].T + tied.decoder_intercepts_[0]
    np.testing.assert_allclose(tied.inverse_transform(codes), expected, rtol=1e-12)
    pytest.importorskip("torch")
    on_torch = StackedAutoencoder((16, 6), tied_weights=True, fine_tune_iter=3, max_iter=5,
                                  dtype="float64", random_state=0, backend="torch",
                                  device="cpu").fit(digits)
    for ours, theirs in zip(tied.coefs_ + tied.decoder_intercepts_,
                            on_torch.coefs_ + on_torch.decoder_intercepts_):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-8)
