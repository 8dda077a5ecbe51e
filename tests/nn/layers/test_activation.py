"""Activation layers: make_activation_layer, ActivationLayer's saved input, RReLU."""

import numpy as np
import pytest

from sknn.nn.activations import ACTIVATIONS
from sknn.nn.layers import Dense, Sequential
from sknn.nn.layers.activation import ActivationLayer, RReLU, make_activation_layer
from sknn.nn.layers.prelu import PReLU
from sknn.spec import Activation

LOWER, UPPER = 1 / 8, 1 / 3
DIFFERENTIABLE = [name for name in ACTIVATIONS.names() if ACTIVATIONS.get(name).differentiable]


def _inputs(seed=0, shape=(6, 4)):
    """Pre-activations away from the kink at 0."""
    z = np.random.RandomState(seed).uniform(-3.0, 3.0, shape)
    z[np.abs(z) < 0.05] += 0.2
    return z


def _numeric_input_grad(forward, Z, R, h=1e-6):
    """Central differences of sum(R * forward(Z)) over every entry of Z."""
    numeric = np.empty_like(Z)
    for index in np.ndindex(Z.shape):
        plus, minus = Z.copy(), Z.copy()
        plus[index] += h
        minus[index] -= h
        numeric[index] = (np.sum(R * forward(plus)) - np.sum(R * forward(minus))) / (2 * h)
    return numeric


# -- the factory ----------------------------------------------------------

def test_factory_builds_the_layer_each_activation_needs():
    rng = np.random.default_rng(0)
    prelu = make_activation_layer(Activation("prelu"), 5, rng)
    assert isinstance(prelu, PReLU) and prelu.param_shapes == {"slope": (5,)}
    np.testing.assert_array_equal(prelu.initial_params(np.float32)["slope"],
                                  np.full(5, 0.25, dtype=np.float32))
    rrelu = make_activation_layer(Activation("rrelu"), 5, rng)
    assert isinstance(rrelu, RReLU) and rrelu.rng is rng
    for name in ["relu", "gelu", "silu", "heaviside"]:
        layer = make_activation_layer(Activation(name), 5, rng)
        assert type(layer) is ActivationLayer and layer.param_shapes == {}
        assert layer.fn is ACTIVATIONS.get(name)


def test_factory_passes_alpha_on():
    prelu = make_activation_layer(Activation("prelu", alpha=0.1), 3)
    np.testing.assert_array_equal(prelu.initial_params()["slope"], [0.1, 0.1, 0.1])
    assert make_activation_layer(Activation("leaky_relu", alpha=0.2), 3).fn.alpha == 0.2
    assert make_activation_layer(Activation("elu", alpha=0.5), 3).fn.alpha == 0.5
    with pytest.raises(ValueError, match="no alpha"):
        make_activation_layer(Activation("tanh", alpha=0.5), 3)
    with pytest.raises(ValueError, match="Unknown activation"):
        make_activation_layer(Activation("swish-ish"), 3)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_network_built_by_the_factory_matches_finite_differences(name):
    # Dense -> activation -> Dense; parameters include PReLU's slopes.
    # rrelu's random slopes are held fixed by reseeding before every pass.
    rng = np.random.RandomState(1)
    activation = make_activation_layer(Activation(name), 5, None)
    net = Sequential([Dense(4, 5, needs_input_grad=False), activation, Dense(5, 2)])
    net.params[...] = rng.normal(scale=0.7, size=net.params.size)
    X, R = rng.normal(size=(6, 4)), rng.normal(size=(6, 2))

    def run():
        if isinstance(activation, RReLU):
            activation.rng = np.random.default_rng(7)
        return net.forward(X, training=True)

    first_z = X @ net.layers[0].kernel + net.layers[0].bias
    assert np.abs(first_z).min() > 1e-4  # away from kinks

    _, backward = run()
    backward(R.copy())
    analytic = net.grads.copy()
    numeric = np.empty_like(net.params)
    for i in range(net.params.size):
        saved = net.params[i]
        net.params[i] = saved + 1e-6
        plus = np.sum(R * run()[0])
        net.params[i] = saved - 1e-6
        minus = np.sum(R * run()[0])
        net.params[i] = saved
        numeric[i] = (plus - minus) / 2e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7)


# -- ActivationLayer ------------------------------------------------------

@pytest.mark.parametrize("name", ["gelu", "swish"])
def test_activations_reading_their_input_get_a_copy_in_training(name):
    layer = ActivationLayer(name)
    Z = _inputs(seed=2)
    R = np.random.RandomState(3).normal(size=Z.shape)
    buffer = Z.copy()
    A, backward = layer.forward(buffer, training=True)
    assert A is buffer  # still in place
    input_grad = backward(R.copy())

    def forward(z):
        return layer.forward(z.copy())[0]

    np.testing.assert_allclose(input_grad, _numeric_input_grad(forward, Z, R),
                               rtol=1e-6, atol=1e-9)
    assert layer.output_reusable


def test_inference_forward_of_an_input_reading_activation_has_no_backward():
    _, backward = ActivationLayer("gelu").forward(_inputs(), training=False)
    with pytest.raises(RuntimeError, match="training=True"):
        backward(np.ones((6, 4)))


def test_output_reading_activations_keep_their_output():
    assert not ActivationLayer("relu").output_reusable
    assert not ActivationLayer("tanh").output_reusable


def test_activation_layer_takes_alpha():
    layer = ActivationLayer("leaky_relu", alpha=0.5)
    A, _ = layer.forward(np.array([[-2.0, 2.0]]))
    np.testing.assert_array_equal(A, [[-1.0, 2.0]])


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


# -- RReLU ------------------------------------------------------------------

def test_rrelu_inference_uses_the_mean_slope():
    layer = RReLU(rng=0)
    Z = _inputs(seed=8)
    A, backward = layer.forward(Z.copy(), training=False)
    mean = (LOWER + UPPER) / 2
    np.testing.assert_allclose(A, np.where(Z > 0, Z, mean * Z), rtol=1e-15)
    np.testing.assert_allclose(backward(np.ones_like(Z)), np.where(Z > 0, 1.0, mean))
    # and it is deterministic
    np.testing.assert_array_equal(layer.forward(Z.copy())[0], A)


def test_rrelu_training_slopes_lie_in_bounds_and_are_drawn_per_element_and_step():
    layer = RReLU(rng=0)
    Z = -np.abs(_inputs(seed=9, shape=(200, 50)))
    first = layer.forward(Z.copy(), training=True)[0] / Z
    second = layer.forward(Z.copy(), training=True)[0] / Z
    for slopes in (first, second):
        assert slopes.min() >= LOWER - 1e-12 and slopes.max() <= UPPER + 1e-12
        assert slopes.std() > 0.05  # spread over the interval, per element
        assert abs(slopes.mean() - (LOWER + UPPER) / 2) < 0.01
    assert not np.any(first == second)  # fresh draws at every training step


def test_rrelu_training_leaves_positive_inputs_alone():
    Z = np.abs(_inputs(seed=10))
    A, backward = RReLU(rng=0).forward(Z.copy(), training=True)
    np.testing.assert_array_equal(A, Z)
    np.testing.assert_array_equal(backward(np.ones_like(Z)), np.ones_like(Z))


def test_rrelu_backward_uses_the_slopes_of_its_forward():
    layer = RReLU()
    Z = _inputs(seed=11)
    R = np.random.RandomState(12).normal(size=Z.shape)

    def forward(z):  # reseeded: the same slopes at every call, so the mask is fixed
        layer.rng = np.random.default_rng(3)
        return layer.forward(z.copy(), training=True)

    A, backward = forward(Z)
    input_grad = backward(R.copy())
    slopes = np.where(Z < 0, A / Z, 1.0)
    np.testing.assert_allclose(input_grad, R * slopes, rtol=1e-15)
    numeric = _numeric_input_grad(lambda z: forward(z)[0], Z, R)
    np.testing.assert_allclose(input_grad, numeric, rtol=1e-7, atol=1e-9)


def test_rrelu_keeps_float32():
    Z = _inputs(seed=13).astype(np.float32)
    A, backward = RReLU(rng=0).forward(Z, training=True)
    assert A.dtype == np.float32
    assert backward(np.ones_like(A)).dtype == np.float32


def test_rrelu_same_seed_same_slopes():
    Z = _inputs(seed=14)
    first = RReLU(rng=5).forward(Z.copy(), training=True)[0]
    second = RReLU(rng=5).forward(Z.copy(), training=True)[0]
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("lower, upper", [(0.5, 0.2), (-0.1, 0.3)])
def test_rrelu_rejects_bad_bounds(lower, upper):
    with pytest.raises(ValueError, match="lower <= upper"):
        RReLU(lower, upper)
