"""Dense, ActivationLayer and Sequential: backward passes and the flat parameter buffer."""

import numpy as np
import pytest
import scipy.sparse as sp

from sknn.nn.activations import ACTIVATIONS
from sknn.nn.layers import ActivationLayer, Dense, Sequential

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


def _mlp(widths=(4, 5, 3, 2), activation="tanh"):
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(widths, widths[1:])):
        layers.append(Dense(fan_in, fan_out, needs_input_grad=i > 0))
        if i < len(widths) - 2:
            layers.append(ActivationLayer(activation))
    return Sequential(layers), layers


def test_sequential_puts_all_kernels_before_all_biases():
    net, layers = _mlp()
    dense = [layer for layer in layers if isinstance(layer, Dense)]
    net.params[...] = np.arange(net.params.size)
    kernel_sizes = [4 * 5, 5 * 3, 3 * 2]
    assert net.n_kernel_params == sum(kernel_sizes)
    assert net.params.size == sum(kernel_sizes) + 5 + 3 + 2
    expected = np.concatenate([layer.kernel.ravel() for layer in dense]
                              + [layer.bias for layer in dense])
    np.testing.assert_array_equal(net.params, expected)
    np.testing.assert_array_equal(net.kernels, net.params[: net.n_kernel_params])


def test_parameter_and_gradient_views_share_memory_with_the_flat_buffers():
    net, layers = _mlp()
    for layer in layers:
        if isinstance(layer, Dense):
            for view in (layer.kernel, layer.bias):
                assert np.shares_memory(view, net.params)
            for view in (layer.kernel_grad, layer.bias_grad):
                assert np.shares_memory(view, net.grads)
    first = layers[0]
    net.params[:] = 7.0
    assert np.all(first.kernel == 7.0) and np.all(first.bias == 7.0)
    first.bias[:] = -1.0
    assert np.count_nonzero(net.params == -1.0) == first.fan_out
    for params in net.layer_params():
        for value in params.values():
            assert np.shares_memory(value, net.params)


def test_sequential_allocates_parameters_in_its_dtype():
    net = Sequential([Dense(3, 2, needs_input_grad=False)], dtype=np.float32)
    assert net.params.dtype == np.float32
    assert net.grads.dtype == np.float32
    assert net.layers[0].kernel.dtype == np.float32


@pytest.mark.parametrize("activation", ACTIVATIONS.names())
def test_sequential_backward_matches_finite_differences(activation):
    net, _ = _mlp(activation=activation)
    rng = np.random.RandomState(5)
    net.params[...] = rng.normal(scale=0.7, size=net.params.size)
    X = rng.normal(size=(6, 4))
    R = rng.normal(size=(6, 2))

    def objective():
        return float(np.sum(R * net.forward(X)[0]))

    _, backward = net.forward(X, training=True)
    assert backward(R.copy()) is None
    analytic = net.grads.copy()
    np.testing.assert_allclose(analytic, numeric_param_grad(net, objective),
                               rtol=1e-5, atol=1e-7)


def test_activation_layer_has_no_parameters_and_applies_in_place():
    layer = ActivationLayer("relu")
    assert layer.param_shapes == {}
    Z = np.array([[-1.0, 2.0]])
    A, backward = layer.forward(Z)
    assert A is Z
    np.testing.assert_array_equal(A, [[0.0, 2.0]])
    np.testing.assert_array_equal(backward(np.array([[5.0, 5.0]])), [[0.0, 5.0]])


def test_activation_layer_rejects_unknown_activation():
    with pytest.raises(ValueError, match="Unknown activation"):
        ActivationLayer("swish-ish")


class _Buffered:
    """A parameter-free layer with a buffer, for the Sequential protocol tests."""

    param_shapes: dict = {}
    buffer_shapes = {"count": (2,)}

    def initial_buffers(self, dtype):
        return {"count": np.full(2, 5.0, dtype=dtype)}

    def bind(self, params, grads):
        pass

    def bind_buffers(self, buffers):
        self.count = buffers["count"]

    def forward(self, X, training=False):
        if training:
            self.count += 1
        return X, lambda dY: dY


def test_sequential_keeps_buffers_outside_the_flat_parameter_vector():
    layer = _Buffered()
    net = Sequential([Dense(2, 2), layer], dtype=np.float32)
    assert net.params.size == 6
    assert not np.shares_memory(layer.count, net.params)
    np.testing.assert_array_equal(layer.count, [5.0, 5.0])
    assert layer.count.dtype == np.float32
    net.forward(np.ones((1, 2)), training=True)
    assert net.layer_buffers()[1]["count"] is layer.count
    assert list(net.layer_weights()[1]) == ["count"]
    np.testing.assert_array_equal(net.layer_weights()[1]["count"], [6.0, 6.0])
    assert list(net.layer_weights()[0]) == ["kernel", "bias"]


def test_sequential_writes_layers_initial_parameters():
    from sknn.nn.layers import BatchNorm

    bn = BatchNorm(3)
    net = Sequential([Dense(2, 3), bn])
    np.testing.assert_array_equal(bn.gamma, np.ones(3))
    assert np.count_nonzero(net.params) == 3  # everything else starts at zero


def test_sequential_backward_stops_at_the_first_layer_without_input_gradient():
    from sknn.nn.layers import Dropout

    dropout = Dropout(0.5, rng=np.random.default_rng(0), needs_input_grad=False)
    net = Sequential([dropout, Dense(4, 2, needs_input_grad=False)])
    X = np.ones((3, 4))
    _, backward = net.forward(X, training=True)
    assert backward(np.ones((3, 2))) is None
