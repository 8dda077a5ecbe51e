"""BatchNorm layer: backward pass, running statistics, inference mode, in-place rules."""

import numpy as np
import pytest
import scipy.sparse as sp

from sknn.nn.layers import BatchNorm, Dense, Sequential

from tests.nn.gradcheck import numeric_array_grad, numeric_param_grad

N, UNITS = 7, 4


def _batch_norm_network(momentum=0.9, epsilon=1e-3, needs_input_grad=True, inplace=False,
                        seed=0, dtype=np.float64):
    layer = BatchNorm(UNITS, momentum, epsilon, needs_input_grad=needs_input_grad,
                      inplace=inplace)
    net = Sequential([layer], dtype=dtype)
    rng = np.random.RandomState(seed)
    layer.gamma[...] = rng.uniform(0.5, 2.0, UNITS)
    layer.beta[...] = rng.normal(size=UNITS)
    return layer, net


def _inputs(seed=1):
    rng = np.random.RandomState(seed)
    return rng.normal(size=(N, UNITS)) * rng.uniform(0.5, 3, UNITS) + rng.normal(size=UNITS)


@pytest.mark.parametrize("inplace", [False, True])
def test_batch_norm_training_backward_matches_finite_differences(inplace):
    layer, net = _batch_norm_network(inplace=inplace)
    X = _inputs()
    R = np.random.RandomState(2).normal(size=(N, UNITS))  # objective sum(R * Y)

    def objective(inputs=X):
        return float(np.sum(R * net.forward(inputs.copy(), training=True)[0]))

    _, backward = net.forward(X.copy(), training=True)
    input_grad = backward(R.copy())
    np.testing.assert_allclose(input_grad, numeric_array_grad(objective, X),
                               rtol=1e-6, atol=1e-8)
    _, backward = net.forward(X.copy(), training=True)
    backward(R.copy())
    analytic = net.grads.copy()
    np.testing.assert_allclose(analytic, numeric_param_grad(net, objective),
                               rtol=1e-6, atol=1e-8)


def test_batch_norm_in_train_mode_normalizes_with_batch_statistics():
    layer, net = _batch_norm_network(epsilon=1e-5)
    X = _inputs()
    Y, _ = net.forward(X, training=True)
    expected = (X - X.mean(0)) / np.sqrt(X.var(0) + 1e-5) * layer.gamma + layer.beta
    np.testing.assert_allclose(Y, expected, rtol=1e-12)


def test_batch_norm_updates_running_statistics_with_keras_momentum():
    layer, net = _batch_norm_network(momentum=0.8)
    mean, variance = np.zeros(UNITS), np.ones(UNITS)
    for seed in range(3):
        X = _inputs(seed)
        net.forward(X, training=True)
        # Keras: running <- momentum * running + (1 - momentum) * batch (biased variance)
        mean = 0.8 * mean + 0.2 * X.mean(0)
        variance = 0.8 * variance + 0.2 * X.var(0)
        np.testing.assert_allclose(layer.moving_mean, mean, rtol=1e-12)
        np.testing.assert_allclose(layer.moving_variance, variance, rtol=1e-12)
    net.forward(_inputs(5), training=False)  # inference leaves them alone
    np.testing.assert_allclose(layer.moving_mean, mean, rtol=1e-12)


def test_batch_norm_starts_from_unit_gamma_zero_beta_and_unit_running_variance():
    layer = BatchNorm(3)
    Sequential([layer], dtype=np.float32)
    np.testing.assert_array_equal(layer.gamma, np.ones(3))
    np.testing.assert_array_equal(layer.beta, np.zeros(3))
    np.testing.assert_array_equal(layer.moving_mean, np.zeros(3))
    np.testing.assert_array_equal(layer.moving_variance, np.ones(3))
    assert layer.moving_variance.dtype == np.float32


def test_batch_norm_uses_running_statistics_at_inference():
    layer, net = _batch_norm_network(epsilon=1e-3)
    layer.moving_mean[...] = [0.5, -1.0, 2.0, 0.0]
    layer.moving_variance[...] = [4.0, 0.25, 1.0, 9.0]
    X = _inputs()
    X_before = X.copy()
    Y, backward = net.forward(X, training=False)
    expected = ((X - layer.moving_mean) / np.sqrt(layer.moving_variance + 1e-3)
                * layer.gamma + layer.beta)
    np.testing.assert_allclose(Y, expected, rtol=1e-12)
    np.testing.assert_array_equal(X, X_before)
    # inference backward: the running statistics are constants, the layer is affine
    R = np.random.RandomState(3).normal(size=Y.shape)
    input_grad = backward(R.copy())
    np.testing.assert_allclose(input_grad, R * layer.gamma / np.sqrt(layer.moving_variance
                                                                   + 1e-3), rtol=1e-12)
    np.testing.assert_allclose(layer.beta_grad, R.sum(0), rtol=1e-12)


def test_batch_norm_keeps_float32():
    layer, net = _batch_norm_network(dtype=np.float32, inplace=True)
    X = _inputs().astype(np.float32)
    Y, backward = net.forward(X, training=True)
    assert Y.dtype == np.float32
    assert backward(np.ones_like(Y)).dtype == np.float32
    assert layer.moving_mean.dtype == np.float32 and net.grads.dtype == np.float32
    Y, _ = net.forward(X, training=False)
    assert Y.dtype == np.float32


def test_batch_norm_without_input_gradient_fills_gamma_and_beta_and_returns_none():
    layer, net = _batch_norm_network(needs_input_grad=False)
    X = _inputs()
    _, backward = net.forward(X, training=True)
    assert backward(np.ones((N, UNITS))) is None
    np.testing.assert_allclose(layer.beta_grad, np.full(UNITS, N))
    np.testing.assert_allclose(layer.gamma_grad, np.zeros(UNITS), atol=1e-12)


def test_batch_norm_does_not_modify_its_input_unless_in_place():
    _, net = _batch_norm_network(inplace=False)
    X = _inputs()
    X_before = X.copy()
    _, backward = net.forward(X, training=True)
    backward(np.ones_like(X))
    np.testing.assert_array_equal(X, X_before)


def test_batch_norm_accepts_sparse_input():
    _, net = _batch_norm_network(needs_input_grad=False)
    X = _inputs()
    X[X < 0] = 0.0
    dense, _ = net.forward(X, training=True)
    sparse, _ = net.forward(sp.csr_matrix(X), training=True)
    np.testing.assert_allclose(sparse, dense, rtol=1e-12)


def test_dense_batch_norm_stack_backward_matches_finite_differences():
    dense = Dense(3, UNITS, needs_input_grad=False)
    bn = BatchNorm(UNITS, inplace=True)
    net = Sequential([dense, bn, Dense(UNITS, 2)])
    rng = np.random.RandomState(4)
    net.params[...] = rng.normal(size=net.params.size)
    X = rng.normal(size=(N, 3))
    R = rng.normal(size=(N, 2))

    def objective():
        return float(np.sum(R * net.forward(X, training=True)[0]))

    _, backward = net.forward(X, training=True)
    assert backward(R.copy()) is None
    analytic = net.grads.copy()
    np.testing.assert_allclose(analytic, numeric_param_grad(net, objective),
                               rtol=1e-6, atol=1e-8)
