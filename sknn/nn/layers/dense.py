"""Fully connected layer ``Y = X W + b`` with a hand-written backward pass."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


class Dense:
    """A dense layer whose parameters are views into a shared flat buffer.

    The owning :class:`~sknn.nn.layers.Sequential` allocates one vector for
    all parameters and one for all gradients; :meth:`bind` hands this layer
    its slices, so optimizers update the whole network in a few passes.

    Parameters
    ----------
    fan_in, fan_out : int
    needs_input_grad : bool
        False for the first layer: nothing upstream wants ``dL/dX``, which
        saves one matrix product per step.
    """

    def __init__(self, fan_in, fan_out, needs_input_grad=True):
        self.fan_in = fan_in
        self.fan_out = fan_out
        self.needs_input_grad = needs_input_grad
        self.kernel = self.bias = self.kernel_grad = self.bias_grad = None

    @property
    def param_shapes(self):
        return {"kernel": (self.fan_in, self.fan_out), "bias": (self.fan_out,)}

    def bind(self, params, grads):
        """Attach parameter and gradient views (dicts keyed like ``param_shapes``)."""
        self.kernel, self.bias = params["kernel"], params["bias"]
        self.kernel_grad, self.bias_grad = grads["kernel"], grads["bias"]

    def forward(self, X, training=False):
        kernel = self.kernel
        if sp.issparse(X):
            Y = np.asarray(X @ kernel)
        else:
            Y = np.dot(X, kernel)
        Y += self.bias

        def backward(dY):
            if sp.issparse(X):
                self.kernel_grad[...] = X.T @ dY
            else:
                np.dot(X.T, dY, out=self.kernel_grad)
            np.sum(dY, axis=0, out=self.bias_grad)
            if self.needs_input_grad:
                return np.dot(dY, kernel.T)
            return None

        return Y, backward
