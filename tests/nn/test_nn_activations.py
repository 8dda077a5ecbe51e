"""Hidden-layer activations: values, derivatives and in-place float32 behaviour."""

import numpy as np
import pytest

from sknn.nn.activations import ACTIVATIONS

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

# Reference formulas written out independently of sknn. Every registered
# activation must have an entry here (see test_every_activation_has_a_reference_formula).
REFERENCE = {
    "identity": lambda z: z,
    "logistic": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.exp(z) - 1.0),
    "selu": lambda z: SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * (np.exp(z) - 1.0)),
    "softplus": lambda z: np.log1p(np.exp(z)),
}

NAMES = ACTIVATIONS.names()


def _inputs(seed=0, shape=(7, 5), low=-4.0, high=4.0):
    """Random pre-activations kept away from the kink at 0."""
    z = np.random.RandomState(seed).uniform(low, high, shape)
    z[np.abs(z) < 1e-2] += 0.1
    return z


def _forward(name, z):
    """Forward on a copy: the registered forward overwrites its input."""
    return ACTIVATIONS.get(name).forward(z.copy())


@pytest.mark.parametrize("name", NAMES)
def test_every_activation_has_a_reference_formula(name):
    assert name in REFERENCE, f"add a reference formula for activation {name!r}"


@pytest.mark.parametrize("name", NAMES)
def test_activation_forward_matches_reference_formula(name):
    z = _inputs()
    np.testing.assert_allclose(_forward(name, z), REFERENCE[name](z), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_activation_derivative_matches_central_finite_differences(name):
    fn = ACTIVATIONS.get(name)
    z = _inputs(seed=1)
    upstream = np.random.RandomState(2).normal(size=z.shape)
    h = 1e-6
    numeric = upstream * (_forward(name, z + h) - _forward(name, z - h)) / (2 * h)
    a = _forward(name, z)
    analytic = fn.derivative(a, upstream.copy())
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_activation_derivative_is_computed_from_the_output_alone(name):
    # The layer keeps only ``a``; the derivative must not read anything else,
    # and must not modify ``a``.
    z = _inputs(seed=3)
    a = _forward(name, z)
    a_before = a.copy()
    ones = np.ones_like(a)
    first = ACTIVATIONS.get(name).derivative(a, ones.copy())
    np.testing.assert_array_equal(a, a_before)
    second = ACTIVATIONS.get(name).derivative(a.copy(), ones.copy())
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("name", NAMES)
def test_activation_forward_works_in_place_on_float32_and_keeps_dtype(name):
    z = _inputs(seed=4).astype(np.float32)
    expected = REFERENCE[name](z.astype(np.float64))
    buffer = z.copy()
    out = ACTIVATIONS.get(name).forward(buffer)
    assert out.dtype == np.float32
    assert np.shares_memory(out, buffer)
    np.testing.assert_array_equal(buffer, out)  # the input now holds the result
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_activation_derivative_keeps_float32(name):
    z = _inputs(seed=5).astype(np.float32)
    a = ACTIVATIONS.get(name).forward(z)
    grad = np.ones_like(a)
    out = ACTIVATIONS.get(name).derivative(a, grad)
    assert out.dtype == np.float32


@pytest.mark.parametrize("name", NAMES)
def test_activation_forward_and_derivative_are_finite_for_extreme_inputs(name):
    z = np.array([[-1000.0, -50.0, 50.0, 1000.0]])
    with np.errstate(over="raise", invalid="raise"):
        a = _forward(name, z)
        grad = ACTIVATIONS.get(name).derivative(a, np.ones_like(a))
    assert np.all(np.isfinite(a))
    assert np.all(np.isfinite(grad))
