"""Sequential: the flat parameter buffer, its views, buffers and the backward pass."""

import numpy as np
import pytest

from sknn.nn.activations import ACTIVATIONS
from sknn.nn.layers import ActivationLayer, Dense, Sequential
from tests.nn.gradcheck import numeric_param_grad


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
