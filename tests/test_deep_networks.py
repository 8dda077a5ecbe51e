"""Statistical behaviour of deep stacks: self-normalization and vanishing gradients."""

import numpy as np
import pytest

from sknn.engines.numpy_engine import NumpyEngine
from sknn.network import initial_weights
from sknn.spec import BatchNorm, Regularization, mlp_spec


def _engine(depth, width, activation, initializer, batch_norm=None, seed=0):
    spec = mlp_spec(width, (width,) * depth, 1, activation, "squared_error",
                    initializer=initializer, batch_norm=batch_norm)
    weights = initial_weights(spec, np.random.default_rng(seed))
    return NumpyEngine(spec, weights, regularization=Regularization())


def _activation_outputs(engine, X):
    outputs = []
    for layer in engine.network.layers:
        X, _ = layer.forward(X, training=False)
        if type(layer).__name__ == "ActivationLayer":
            outputs.append(X.copy())
    return outputs


def test_selu_lecun_normal_stack_of_20_layers_keeps_mean_zero_and_std_one():
    engine = _engine(20, 200, "selu", "lecun_normal")
    X = np.random.default_rng(1).standard_normal((2000, 200))
    last = _activation_outputs(engine, X)[-1]
    # sampling error of the mean over 400k values is ~0.002; allow the
    # finite-width deviation of self-normalization on top of it
    assert abs(last.mean()) < 0.1
    assert 0.85 < last.std() < 1.15


def test_relu_glorot_stack_of_20_layers_does_not_keep_unit_variance():
    engine = _engine(20, 200, "relu", "glorot_normal")
    X = np.random.default_rng(1).standard_normal((2000, 200))
    assert _activation_outputs(engine, X)[-1].std() < 0.1  # the contrast case


def _kernel_gradient_norms(engine, X, y):
    loss, grads = engine.loss_and_gradient(engine.prepare(X, y))
    norms, offset = [], 0
    for params in engine.network.layer_params():
        if "kernel" in params:
            size = params["kernel"].size
            norms.append(np.linalg.norm(grads[offset:offset + size]))
            offset += size
    return np.array(norms)


@pytest.fixture
def regression_data():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((512, 50))
    y = np.sin(X[:, :5].sum(axis=1, keepdims=True))
    return X, y


def test_deep_logistic_network_has_vanishing_gradients_in_its_lower_layers(regression_data):
    X, y = regression_data
    norms = _kernel_gradient_norms(_engine(10, 50, "logistic", "glorot_uniform"), X, y)
    assert norms[0] / norms[-2] < 1e-3


def test_he_normal_elu_batch_norm_network_keeps_lower_layer_gradients(regression_data):
    X, y = regression_data
    norms = _kernel_gradient_norms(
        _engine(10, 50, "elu", "he_normal", batch_norm=BatchNorm()), X, y)
    assert norms[0] / norms[-2] > 0.1
