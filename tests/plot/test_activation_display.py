"""ActivationDisplay: activation functions and their derivatives, drawn."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from sknn.nn.activations import ACTIVATIONS, resolve_activation
from sknn.plot import ActivationDisplay
from tests.plot._helpers import save_png


def test_every_registered_activation_matches_the_registry(tmp_path):
    z = np.linspace(-3.0, 3.0, 121)
    display = ActivationDisplay.from_names(z=z)
    assert display.names == ACTIVATIONS.names()
    for row, name in enumerate(ACTIVATIONS.names()):
        fn = ACTIVATIONS.get(name)
        expected_values = fn.forward(z.copy())
        saved = z.copy() if fn.needs_input else expected_values.copy()
        expected_grads = fn.derivative(saved, np.ones_like(z))
        np.testing.assert_array_equal(display.values[row], expected_values, err_msg=name)
        np.testing.assert_array_equal(display.derivatives[row], expected_grads, err_msg=name)
        np.testing.assert_array_equal(display.lines_[row, 0].get_ydata(), expected_values)
        np.testing.assert_array_equal(display.lines_[row, 1].get_ydata(), expected_grads)
    assert display.lines_[0, 0].axes is display.ax_
    assert display.lines_[0, 1].axes is display.derivative_ax_
    save_png(display.figure_, tmp_path / "activations.png")


def test_derivatives_agree_with_finite_differences_of_the_values():
    # away from the kinks at z = 0, where one-sided derivatives are a convention
    z = np.concatenate([np.linspace(-3.0, -0.05, 60), np.linspace(0.05, 3.0, 60)])
    h = 1e-6
    differentiable = [name for name in ACTIVATIONS.names() if ACTIVATIONS.get(name).differentiable]
    display = ActivationDisplay.from_names(differentiable, z=z)
    plus = ActivationDisplay.from_names(differentiable, z=z + h)
    minus = ActivationDisplay.from_names(differentiable, z=z - h)
    numeric = (plus.values - minus.values) / (2 * h)
    np.testing.assert_allclose(display.derivatives, numeric, rtol=1e-5, atol=1e-6)
    step = ActivationDisplay.from_names(["heaviside", "sign"], z=z)
    np.testing.assert_array_equal(step.derivatives, 0.0)
    np.testing.assert_array_equal(step.values[1], np.where(z > 0, 1.0, -1.0))


def test_activation_aliases_constants_and_inputs():
    z = np.array([-2.0, 0.0, 2.0])
    display = ActivationDisplay.from_names(
        ["silu", resolve_activation("elu", 0.5), resolve_activation("leaky_relu", 0.01)], z=z)
    assert display.names == ["swish", "elu (alpha=0.5)", "leaky_relu"]
    np.testing.assert_allclose(display.values[1], [0.5 * np.expm1(-2.0), 0.0, 2.0])
    np.testing.assert_allclose(display.derivatives[1], [0.5 * np.exp(-2.0), 1.0, 1.0])
    np.testing.assert_array_equal(z, [-2.0, 0.0, 2.0])  # input untouched
    default = ActivationDisplay.from_names("tanh")
    assert default.z.shape == (401,) and 0.0 in default.z
    with pytest.raises(ValueError, match="Unknown activation 'nope'"):
        ActivationDisplay.from_names(["nope"])
    with pytest.raises(ValueError, match="z_range"):
        ActivationDisplay.from_names(["relu"], z_range=(1.0, -1.0))


def test_activation_display_axes_options():
    fig, (left, right) = plt.subplots(1, 2)
    display = ActivationDisplay.from_names(["relu"], ax=[left, right])
    assert display.ax_ is left and display.derivative_ax_ is right
    assert display.bounding_ax_ is None
    _, ax = plt.subplots()
    split = ActivationDisplay.from_names(["relu"], ax=ax)
    assert split.bounding_ax_ is ax and split.ax_ is not ax
    with pytest.raises(ValueError, match="2 panel"):
        ActivationDisplay.from_names(["relu"], ax=[left])
