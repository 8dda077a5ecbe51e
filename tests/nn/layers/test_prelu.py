"""PReLU: one learned slope per unit, in the flat parameter vector after the kernels."""

import numpy as np

from sknn.nn.layers import Dense, Sequential
from sknn.nn.layers.activation import make_activation_layer
from sknn.nn.layers.prelu import PReLU
from sknn.spec import Activation
from tests.nn.layers.test_activation import _inputs, _numeric_input_grad


def _prelu_network(units=4, slopes=(0.25, -0.3, 0.0, 1.7)):
    layer = PReLU(units)
    net = Sequential([layer])
    layer.slope[...] = slopes
    return layer, net


def test_prelu_slopes_start_at_alpha_in_the_flat_vector_after_the_kernels():
    prelu = make_activation_layer(Activation("prelu", alpha=0.1), 5, None)
    net = Sequential([Dense(3, 5, needs_input_grad=False), prelu, Dense(5, 2)])
    np.testing.assert_array_equal(prelu.slope, np.full(5, 0.1))
    assert np.shares_memory(prelu.slope, net.params)
    assert np.shares_memory(prelu.slope_grad, net.grads)
    # L2 penalizes net.kernels only: the slopes are not among them
    assert net.n_kernel_params == 3 * 5 + 5 * 2
    assert not np.shares_memory(prelu.slope, net.kernels)


def test_prelu_bind_does_not_overwrite_the_given_slopes():
    # a fitted Network binds its weights directly: bind must leave them alone
    layer = PReLU(3)
    fitted = np.array([0.5, -0.1, 2.0])
    layer.bind({"slope": fitted}, {"slope": None})
    np.testing.assert_array_equal(fitted, [0.5, -0.1, 2.0])
    A, _ = layer.forward(np.array([[-1.0, -1.0, -1.0]]))
    np.testing.assert_array_equal(A, [[-0.5, 0.1, -2.0]])


def test_prelu_forward_applies_one_slope_per_unit():
    layer, _ = _prelu_network()
    Z = _inputs(seed=4)
    expected = np.where(Z > 0, Z, layer.slope * Z)
    A, _ = layer.forward(Z.copy())
    np.testing.assert_array_equal(A, expected)


def test_prelu_gradients_wrt_input_and_slope_match_finite_differences():
    layer, net = _prelu_network()
    Z = _inputs(seed=5)
    R = np.random.RandomState(6).normal(size=Z.shape)
    _, backward = net.forward(Z.copy(), training=True)
    input_grad = backward(R.copy())

    def forward(z):
        return net.forward(z.copy())[0]

    np.testing.assert_allclose(input_grad, _numeric_input_grad(forward, Z, R),
                               rtol=1e-7, atol=1e-9)
    numeric_slope = np.empty(4)
    for j in range(4):
        saved = layer.slope[j]
        layer.slope[j] = saved + 1e-6
        plus = np.sum(R * forward(Z))
        layer.slope[j] = saved - 1e-6
        minus = np.sum(R * forward(Z))
        layer.slope[j] = saved
        numeric_slope[j] = (plus - minus) / 2e-6
    np.testing.assert_allclose(net.grads, numeric_slope, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(net.grads, np.sum(R * np.minimum(Z, 0), axis=0), rtol=1e-12)


def test_prelu_keeps_float32():
    layer = PReLU(4)
    net = Sequential([layer], dtype=np.float32)
    Z = _inputs(seed=7).astype(np.float32)
    A, backward = net.forward(Z, training=True)
    assert A.dtype == np.float32
    assert backward(np.ones_like(A)).dtype == np.float32
    assert net.grads.dtype == np.float32
