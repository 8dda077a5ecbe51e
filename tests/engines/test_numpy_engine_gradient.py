"""Whole-network gradient check of the NumPy engine (backprop + L2 penalty).

The network comes from the engine's ``build_network``, which builds
activations with ``make_activation_layer``: PReLU's slopes are among the
checked parameters, and rrelu's random training slopes are held fixed by
reseeding every layer's generator before each pass.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from sknn.engines.numpy_engine import NumpyEngine
from sknn.network import initial_weights
from sknn.nn.activations import ACTIVATIONS
from sknn.nn.losses import LOSSES, LossSpec
from sknn.spec import PeriodicEmbedding, Regularization, mlp_spec

from tests.nn.gradcheck import engine_numeric_gradient, reseeded_loss_and_gradient

N_SAMPLES, N_FEATURES, N_OUTPUTS = 8, 4, 3
HIDDEN = (5, 3)
EPS = 1e-6
KINK_MARGIN = 1e-4  # finite differences move a pre-activation by ~EPS * |input|
# step functions (heaviside, sign) have no useful gradient: see check_trainable
DIFFERENTIABLE = [name for name in ACTIVATIONS.names() if ACTIVATIONS.get(name).differentiable]


def _targets(loss, rng):
    if loss == "log_loss":
        return np.eye(N_OUTPUTS)[rng.randint(N_OUTPUTS, size=N_SAMPLES)]
    if loss == "binary_log_loss":
        return rng.randint(2, size=(N_SAMPLES, N_OUTPUTS)).astype(float)
    if loss == "poisson":
        return rng.poisson(1.5, size=(N_SAMPLES, N_OUTPUTS)).astype(float)
    return rng.normal(size=(N_SAMPLES, N_OUTPUTS))


def _problem(activation, loss, seed=0):
    spec = mlp_spec(N_FEATURES, HIDDEN, N_OUTPUTS, activation, loss,
                    initializer="sklearn", dtype="float64")
    weights = initial_weights(spec, np.random.RandomState(0))
    engine = NumpyEngine(spec, weights, regularization=Regularization(alpha=1e-3))
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    X[rng.uniform(size=X.shape) < 0.4] = 0.0  # some structure for the sparse case
    Y = _targets(spec.loss.name, rng)
    sample_weight = rng.uniform(0.5, 2.0, size=N_SAMPLES)
    return engine, weights, X, Y, sample_weight


def _smallest_pre_activation(weights, X, activation):
    """min |z| over all hidden pre-activations: must stay clear of activation kinks.

    Uses the registered function (PReLU's initial slope, rrelu's mean slope).
    """
    fn = ACTIVATIONS.get(activation)
    smallest, out = np.inf, X
    dense = [layer for layer in weights if "kernel" in layer]
    for layer in dense[:-1]:
        z = out @ layer["kernel"] + layer["bias"]
        smallest = min(smallest, np.abs(z).min())
        out = fn.forward(z.copy())
    return smallest


def _numeric_gradient(engine, data):
    return engine_numeric_gradient(engine, data, EPS)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("loss", LOSSES.names())
@pytest.mark.parametrize("activation", DIFFERENTIABLE)
def test_network_gradient_matches_central_finite_differences(activation, loss, weighted):
    engine, weights, X, Y, sample_weight = _problem(activation, loss)
    assert _smallest_pre_activation(weights, X, activation) > KINK_MARGIN
    data = engine.prepare(X, Y, sample_weight if weighted else None)
    _, grad = reseeded_loss_and_gradient(engine, data)
    analytic = grad.copy()
    numeric = _numeric_gradient(engine, data)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("loss", [LossSpec("log_loss", label_smoothing=0.1),
                                  LossSpec("binary_log_loss", label_smoothing=0.3)],
                         ids=["multiclass", "multilabel"])
def test_network_gradient_of_a_smoothed_loss_matches_central_finite_differences(loss, weighted):
    engine, _, X, Y, sample_weight = _problem("tanh", loss)
    data = engine.prepare(X, Y, sample_weight if weighted else None)
    np.testing.assert_array_equal(data.Y, loss.smoothed_targets(Y, np.float64))
    analytic = reseeded_loss_and_gradient(engine, data)[1].copy()
    np.testing.assert_allclose(analytic, _numeric_gradient(engine, data), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("loss", LOSSES.names())
@pytest.mark.parametrize("activation", ACTIVATIONS.names())
def test_sparse_input_gives_the_same_loss_and_gradient_as_dense(activation, loss):
    engine, _, X, Y, sample_weight = _problem(activation, loss)
    dense_loss, dense_grad = reseeded_loss_and_gradient(engine, engine.prepare(X, Y, sample_weight))
    dense_grad = dense_grad.copy()
    sparse_loss, sparse_grad = reseeded_loss_and_gradient(
        engine, engine.prepare(sp.csr_matrix(X), Y, sample_weight))
    assert sparse_loss == pytest.approx(dense_loss, rel=1e-12)
    np.testing.assert_allclose(sparse_grad, dense_grad, rtol=1e-10, atol=1e-13)


def test_l2_penalty_applies_to_kernels_only_and_scales_with_total_sample_weight():
    engine, _, X, Y, sample_weight = _problem("tanh", "squared_error")
    data = engine.prepare(X, Y, sample_weight)
    loss_with, grad_with = engine.loss_and_gradient(data)
    grad_with = grad_with.copy()
    engine.alpha = 0.0
    loss_without, grad_without = engine.loss_and_gradient(data)
    kernels = engine.network.kernels
    total = sample_weight.sum()
    assert loss_with - loss_without == pytest.approx(0.5 * 1e-3 * kernels @ kernels / total)
    n_kernel = engine.network.n_kernel_params
    np.testing.assert_allclose(grad_with[:n_kernel] - grad_without[:n_kernel],
                               1e-3 * kernels / total, rtol=1e-9, atol=1e-15)
    np.testing.assert_array_equal(grad_with[n_kernel:], grad_without[n_kernel:])


def test_engine_loss_matches_loss_of_training_pass():
    engine, _, X, Y, sample_weight = _problem("relu", "log_loss")
    engine.alpha = 0.0
    data = engine.prepare(X, Y, sample_weight)
    assert engine.loss(data) == pytest.approx(engine.loss_and_gradient(data)[0], rel=1e-14)


@pytest.mark.parametrize("loss", LOSSES.names())
def test_float32_engine_gradient_is_float32_and_close_to_float64(loss):
    engine64, weights, X, Y, sample_weight = _problem("tanh", loss)
    spec32 = mlp_spec(N_FEATURES, HIDDEN, N_OUTPUTS, "tanh", loss, dtype="float32")
    engine32 = NumpyEngine(spec32, weights, regularization=Regularization(alpha=1e-3))
    loss64, grad64 = engine64.loss_and_gradient(engine64.prepare(X, Y, sample_weight))
    loss32, grad32 = engine32.loss_and_gradient(engine32.prepare(X, Y, sample_weight))
    assert engine32.flat_parameters().dtype == np.float32
    assert grad32.dtype == np.float32
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    np.testing.assert_allclose(grad32, grad64, rtol=1e-3, atol=1e-5)


def test_prelu_slopes_are_trained_parameters_outside_the_l2_penalty():
    engine, weights, X, Y, sample_weight = _problem("prelu", "squared_error")
    assert [sorted(w) for w in weights] == [["bias", "kernel"], ["slope"],
                                            ["bias", "kernel"], ["slope"], ["bias", "kernel"]]
    np.testing.assert_array_equal(weights[1]["slope"], np.full(HIDDEN[0], 0.25))
    kernel_sizes = N_FEATURES * HIDDEN[0] + HIDDEN[0] * HIDDEN[1] + HIDDEN[1] * N_OUTPUTS
    assert engine.network.n_kernel_params == kernel_sizes
    _, grad = engine.loss_and_gradient(engine.prepare(X, Y, sample_weight))
    slope_grads = [layer.slope_grad for layer in engine.network.layers
                   if hasattr(layer, "slope_grad")]
    assert len(slope_grads) == 2 and all(np.any(g != 0) for g in slope_grads)
    assert all(np.shares_memory(g, grad) for g in slope_grads)


def test_a_network_with_a_periodic_embedding_matches_central_finite_differences():
    # the embedding's frequencies and phases, and dense layers on its output; the
    # L2 penalty acts on the kernels only
    spec = mlp_spec(N_FEATURES, HIDDEN, N_OUTPUTS, "tanh", "log_loss", input_dropout=0.3,
                    embedding=PeriodicEmbedding(3, 0.8), dtype="float64")
    engine = NumpyEngine(spec, initial_weights(spec, np.random.RandomState(0)),
                         regularization=Regularization(alpha=1e-3), rng=0)
    _, _, X, Y, sample_weight = _problem("tanh", "log_loss")
    data = engine.prepare(X, Y, sample_weight)
    analytic = reseeded_loss_and_gradient(engine, data)[1].copy()
    embedding = engine.network.layers[1]
    assert np.shares_memory(embedding.phases_grad, engine.network.grads)
    assert not np.shares_memory(embedding.frequencies, engine.network.kernels)
    np.testing.assert_allclose(analytic, _numeric_gradient(engine, data), rtol=1e-5, atol=1e-7)
