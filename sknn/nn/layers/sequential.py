"""A stack of layers sharing one flat parameter vector and one gradient vector."""

from __future__ import annotations

import math

import numpy as np


class Sequential:
    """Chain layers and own their parameters as one contiguous vector.

    Parameters are laid out all kernels first, then all biases (the order of
    scikit-learn's packed vector), so the L2 penalty is one slice and
    L-BFGS works on :attr:`params` directly.

    Parameters
    ----------
    layers : list
        Objects with ``param_shapes``, ``bind(params, grads)`` and
        ``forward(X, training) -> (Y, backward)``.
    dtype : numpy dtype
    """

    def __init__(self, layers, dtype=np.float64):
        self.layers = list(layers)
        self.dtype = np.dtype(dtype)
        order = [(i, "kernel") for i, layer in enumerate(self.layers)
                 if "kernel" in layer.param_shapes]
        order += [(i, key) for i, layer in enumerate(self.layers)
                  for key in layer.param_shapes if key != "kernel"]
        sizes = [math.prod(self.layers[i].param_shapes[key]) for i, key in order]
        self.params = np.zeros(sum(sizes), dtype=self.dtype)
        self.grads = np.zeros_like(self.params)
        self.n_kernel_params = sum(s for (i, key), s in zip(order, sizes) if key == "kernel")
        self._slices = {}
        offset = 0
        for (i, key), size in zip(order, sizes):
            self._slices[(i, key)] = slice(offset, offset + size)
            offset += size
        for i, layer in enumerate(self.layers):
            layer.bind(self._views(self.params, i), self._views(self.grads, i))

    def _views(self, flat, i):
        layer = self.layers[i]
        return {key: flat[self._slices[(i, key)]].reshape(shape)
                for key, shape in layer.param_shapes.items()}

    @property
    def kernels(self):
        """The kernel parameters as one flat view (what L2 penalizes)."""
        return self.params[: self.n_kernel_params]

    @property
    def kernel_grads(self):
        return self.grads[: self.n_kernel_params]

    def layer_params(self):
        """Per-layer dicts of parameter views."""
        return [self._views(self.params, i) for i in range(len(self.layers))]

    def forward(self, X, training=False):
        """Return ``(output, backward)``; ``backward(dOut)`` fills :attr:`grads`."""
        backwards = []
        for layer in self.layers:
            X, backward = layer.forward(X, training)
            backwards.append(backward)

        def backward(dY):
            for step in reversed(backwards):
                dY = step(dY)
            return dY

        return X, backward
