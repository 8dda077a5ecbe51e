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
        self._ones = np.ones(0)

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
            # column sums as a BLAS matrix-vector product: ~3x faster than np.sum
            np.dot(self._ones_like_rows(dY), dY, out=self.bias_grad)
            if self.needs_input_grad:
                return np.dot(dY, kernel.T)
            return None

        return Y, backward

    def _ones_like_rows(self, dY):
        if self._ones.shape[0] != dY.shape[0] or self._ones.dtype != dY.dtype:
            self._ones = np.ones(dY.shape[0], dtype=dY.dtype)
        return self._ones
