"""Elementwise activation layer."""

from __future__ import annotations

from sknn.nn.activations import ACTIVATIONS


class ActivationLayer:
    """Apply a registered activation in place; no parameters.

    The input buffer is overwritten: the preceding dense layer's output is
    not needed by anyone after the activation runs.
    """

    param_shapes: dict = {}

    def __init__(self, name):
        self.fn = ACTIVATIONS.get(name)

    def bind(self, params, grads):
        pass

    def forward(self, X, training=False):
        A = self.fn.forward(X)
        derivative = self.fn.derivative

        def backward(dA):
            return derivative(A, dA)

        return A, backward
