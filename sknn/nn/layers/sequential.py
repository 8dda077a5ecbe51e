"""A stack of layers sharing one flat parameter vector and one gradient vector."""

from __future__ import annotations

import math

import numpy as np


def initial_state(layer, dtype, params=True, buffers=True):
    """A layer's deterministic starting parameters and/or buffers, as fresh arrays.

    Uses the layer's ``initial_params(dtype)`` / ``initial_buffers(dtype)``
    where it has them, zeros otherwise. Dense kernels and biases are drawn
    by :func:`sknn.network.initial_weights`, not here.
    """
    state = {}
    if params and layer.param_shapes:
        make = getattr(layer, "initial_params", None)
        state.update(make(dtype) if make else
                     {key: np.zeros(shape, dtype) for key, shape in layer.param_shapes.items()})
    shapes = getattr(layer, "buffer_shapes", {}) if buffers else {}
    if shapes:
        make = getattr(layer, "initial_buffers", None)
        state.update(make(dtype) if make else
                     {key: np.zeros(shape, dtype) for key, shape in shapes.items()})
    return state


def flat_order(param_shapes, trainable):
    """``(layer index, name)`` of every parameter, in the order of the flat vector.

    ``param_shapes`` holds each layer's parameter shapes by name and
    ``trainable`` whether the layer trains. Trainable layers come first,
    then frozen ones; within each group all kernels, then every other
    parameter, each in layer order.
    """
    order = []
    for wanted in (True, False):
        group = [(i, key) for i, shapes in enumerate(param_shapes) if bool(trainable[i]) is wanted
                 for key in shapes]
        order += [entry for entry in group if entry[1] == "kernel"]
        order += [entry for entry in group if entry[1] != "kernel"]
    return order


class Sequential:
    """Chain layers and own their parameters as one contiguous vector.

    Parameters are laid out in :func:`flat_order`: for a plain MLP that is
    scikit-learn's packed vector, the L2 penalty is one slice and L-BFGS
    works on :attr:`params` directly. Layers whose ``trainable`` attribute
    is False (frozen) come last: the first :attr:`n_trainable_params`
    entries are what training updates, and :attr:`kernels` are the
    trainable kernels.

    Buffers (BatchNorm's running statistics) are not trained, so they stay
    out of the flat vectors: a layer declares ``buffer_shapes`` and receives
    its arrays through ``bind_buffers``.

    Parameters
    ----------
    layers : list
        Objects with ``param_shapes``, ``bind(params, grads)`` and
        ``forward(X, training) -> (Y, backward)``. Optional:
        ``initial_params(dtype)`` (deterministic starting values written
        into the flat vector; zeros otherwise), and ``buffer_shapes`` with
        ``initial_buffers(dtype)`` and ``bind_buffers(buffers)``.
    dtype : numpy dtype
    """

    def __init__(self, layers, dtype=np.float64):
        self.layers = list(layers)
        self.dtype = np.dtype(dtype)
        trainable = [getattr(layer, "trainable", True) for layer in self.layers]
        self._slices, end = {}, 0
        self.n_kernel_params = self.n_trainable_params = 0
        for i, key in flat_order([layer.param_shapes for layer in self.layers], trainable):
            start, end = end, end + math.prod(self.layers[i].param_shapes[key])
            self._slices[(i, key)] = slice(start, end)
            if trainable[i]:  # the trainable parameters lead, their kernels first
                self.n_trainable_params = end
                if key == "kernel":
                    self.n_kernel_params = end
        self.params = np.zeros(end, dtype=self.dtype)
        self.grads = np.zeros_like(self.params)
        self._buffers = []
        for i, layer in enumerate(self.layers):
            params = self._views(self.params, i)
            for key, value in initial_state(layer, self.dtype, buffers=False).items():
                params[key][...] = value
            layer.bind(params, self._views(self.grads, i))
            buffers = initial_state(layer, self.dtype, params=False)
            if buffers:
                layer.bind_buffers(buffers)
            self._buffers.append(buffers)

    def _views(self, flat, i):
        layer = self.layers[i]
        return {key: flat[self._slices[(i, key)]].reshape(shape)
                for key, shape in layer.param_shapes.items()}

    @property
    def kernels(self):
        """The trainable kernel parameters as one flat view (what L2 penalizes)."""
        return self.params[: self.n_kernel_params]

    @property
    def kernel_grads(self):
        return self.grads[: self.n_kernel_params]

    def layer_params(self):
        """Per-layer dicts of parameter views."""
        return [self._views(self.params, i) for i in range(len(self.layers))]

    def layer_buffers(self):
        """Per-layer dicts of buffers (the layers' own arrays)."""
        return list(self._buffers)

    def layer_weights(self):
        """Per-layer dicts of parameter views, then buffers: the saved state."""
        return [{**params, **buffers}
                for params, buffers in zip(self.layer_params(), self._buffers)]

    def forward(self, X, training=False):
        """Return ``(output, backward)``; ``backward(dOut)`` fills :attr:`grads`.

        ``backward`` returns the input gradient, or None: the layers before
        the first one with parameters are not visited (nothing upstream
        wants a gradient), so they never receive ``None``.
        """
        backwards = []
        for layer in self.layers:
            X, backward = layer.forward(X, training)
            backwards.append(backward)

        def backward(dY):
            for step in reversed(backwards):
                dY = step(dY)
                if dY is None:
                    break
            return dY

        return X, backward
