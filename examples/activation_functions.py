"""
Activation functions and their derivatives
==========================================

Every hidden-layer activation in sknn's registry
(:data:`sknn.nn.activations.ACTIVATIONS`), drawn with
:class:`sknn.plot.ActivationDisplay` next to its derivative, in four
families:

* the saturating sigmoids (``logistic``, ``tanh``): their derivative
  vanishes for large ``|z|``, which slows deep networks down;
* the rectifiers (``relu`` and its leaky, parametric, randomized,
  exponential and self-normalizing variants): slope 1 for ``z > 0``, and
  the variants keep a non-zero gradient for ``z < 0`` so units cannot "die";
* the smooth rectifiers (``softplus``, ``gelu``, ``swish``);
* ``identity`` and the Perceptron's step functions (``heaviside``,
  ``sign``), whose zero derivative is why backpropagation cannot train them.

The curves are computed by the registry itself, the same forward and
backward code that training runs. The script prints each derivative at
``z = -3, 0, 3`` (how much gradient flows through a unit there) and draws
every function next to its derivative.
"""

import matplotlib.pyplot as plt

from sknn.nn.activations import ACTIVATIONS
from sknn.plot import ActivationDisplay

FAMILIES = {
    "sigmoids": ["logistic", "tanh"],
    "rectifiers": ["relu", "leaky_relu", "prelu", "rrelu", "elu", "selu"],
    "smooth rectifiers": ["softplus", "gelu", "swish"],
    "identity and steps": ["identity", "heaviside", "sign"],
}
# an activation registered later still gets drawn
listed = {name for names in FAMILIES.values() for name in names}
others = [name for name in ACTIVATIONS.names() if name not in listed]
if others:
    FAMILIES["others"] = others

figure, axes = plt.subplots(len(FAMILIES), 2, figsize=(10, 3.2 * len(FAMILIES)),
                            layout="constrained")
print(f"{'activation':<12} {'f(-3)':>8} {'f(3)':>8} {'df(-3)':>8} {'df(0)':>8} {'df(3)':>8}")
for row, (family, names) in enumerate(FAMILIES.items()):
    display = ActivationDisplay.from_names(names, z_range=(-4.0, 4.0), n_points=801,
                                           ax=axes[row])
    display.ax_.set_title(f"{family}: f(z)")
    display.derivative_ax_.set_title(f"{family}: f'(z)")
    for name, values, derivatives in zip(display.names, display.values,
                                         display.derivatives):
        at = {z: int(abs(display.z - z).argmin()) for z in (-3.0, 0.0, 3.0)}
        print(f"{name:<12} {values[at[-3.0]]:8.3f} {values[at[3.0]]:8.3f} "
              f"{derivatives[at[-3.0]]:8.3f} {derivatives[at[0.0]]:8.3f} "
              f"{derivatives[at[3.0]]:8.3f}")

plt.show()
