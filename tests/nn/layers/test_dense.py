"""Dense: forward, backward against finite differences, sparse input."""

import numpy as np
import scipy.sparse as sp

from sknn.nn.layers import Dense, Sequential
from tests.nn.gradcheck import numeric_param_grad


def _dense_network(fan_in=4, fan_out=3, needs_input_grad=True, seed=0):
    layer = Dense(fan_in, fan_out, needs_input_grad=needs_input_grad)
    net = Sequential([layer])
    net.params[...] = np.random.RandomState(seed).normal(size=net.params.size)
    return layer, net


def test_dense_forward_is_x_times_kernel_plus_bias():
    layer, net = _dense_network()
    X = np.random.RandomState(1).normal(size=(5, 4))
    Y, _ = net.forward(X)
    np.testing.assert_allclose(Y, X @ layer.kernel + layer.bias, rtol=1e-14)


def test_dense_backward_matches_finite_differences():
    layer, net = _dense_network()
    rng = np.random.RandomState(2)
    X = rng.normal(size=(5, 4))
    R = rng.normal(size=(5, 3))  # objective: sum(R * Y), so dL/dY = R

    def objective():
        return float(np.sum(R * net.forward(X)[0]))

    _, backward = net.forward(X)
    input_grad = backward(R.copy())
    np.testing.assert_allclose(net.grads, numeric_param_grad(net, objective),
                               rtol=1e-7, atol=1e-9)

    h = 1e-6
    numeric_input = np.empty_like(X)
    for index in np.ndindex(X.shape):
        plus, minus = X.copy(), X.copy()
        plus[index] += h
        minus[index] -= h
        numeric_input[index] = (np.sum(R * net.forward(plus)[0])
                                - np.sum(R * net.forward(minus)[0])) / (2 * h)
    np.testing.assert_allclose(input_grad, numeric_input, rtol=1e-7, atol=1e-9)


def test_first_dense_layer_returns_no_input_gradient():
    _, net = _dense_network(needs_input_grad=False)
    X = np.random.RandomState(3).normal(size=(5, 4))
    _, backward = net.forward(X)
    assert backward(np.ones((5, 3))) is None
    np.testing.assert_allclose(net.grads[:12].reshape(4, 3), X.T @ np.ones((5, 3)))


def test_dense_backward_with_sparse_input_matches_dense():
    layer, net = _dense_network()
    rng = np.random.RandomState(4)
    X = rng.normal(size=(6, 4)) * (rng.uniform(size=(6, 4)) < 0.5)
    R = rng.normal(size=(6, 3))
    Y_dense, backward = net.forward(X)
    backward(R.copy())
    dense_grads = net.grads.copy()
    Y_sparse, backward = net.forward(sp.csr_matrix(X))
    assert isinstance(Y_sparse, np.ndarray)
    np.testing.assert_allclose(Y_sparse, Y_dense, rtol=1e-14)
    backward(R.copy())
    np.testing.assert_allclose(net.grads, dense_grads, rtol=1e-14)
