"""A spec as NumPy layers: the network the NumPy engine trains and fitted weights run on.

:func:`build_network` gives the NumPy engine its layers sharing one flat
parameter vector; :meth:`sknn.network.Network.forward` binds fitted weights
to the layers of :func:`build_layers` without an engine.
"""

from __future__ import annotations

import numpy as np

from sknn.nn.layers import BatchNorm, Dense, Dropout, PeriodicEmbedding, Sequential
from sknn.nn.layers.activation import make_activation_layer
from sknn.spec import Activation
from sknn.spec import BatchNorm as BatchNormSpec
from sknn.spec import Dense as DenseSpec
from sknn.spec import Dropout as DropoutSpec
from sknn.spec import PeriodicEmbedding as PeriodicEmbeddingSpec
from sknn.spec import TiedDense as TiedDenseSpec


def build_layers(spec, rng=None):
    """The NumPy layers of ``spec``, one per spec layer, in order.

    Two flags are decided here, from the neighbours of each layer:

    - ``needs_input_grad`` is False until some earlier layer has parameters:
      nothing upstream of the first parameterized layer wants ``dL/dX``
      (the first dense layer skips a matrix product; input dropout keeps
      no mask). A dense layer after an input BatchNorm does need it.
    - ``inplace`` (BatchNorm, Dropout) is True when the previous layer's
      output is reusable: nobody keeps it for a backward pass and it is not
      the caller's ``X``. Dense outputs are; activation outputs are not (the
      activation's backward reads them).
    """
    layers, width = [], spec.n_inputs
    has_params, reusable = False, False
    for layer in spec.layers:
        if isinstance(layer, DenseSpec):
            built = Dense(width, layer.units, needs_input_grad=has_params)
            width, reusable = layer.units, True
        elif isinstance(layer, BatchNormSpec):
            built = BatchNorm(width, layer.momentum, layer.epsilon,
                              needs_input_grad=has_params, inplace=reusable)
            reusable = True
        elif isinstance(layer, DropoutSpec):
            built = Dropout(layer.rate, layer.kind, rng=rng,
                            needs_input_grad=has_params, inplace=reusable)
            reusable = built.output_reusable
        elif isinstance(layer, Activation):
            built = make_activation_layer(layer, width, rng)
            reusable = False
        elif isinstance(layer, TiedDenseSpec):
            built = TiedDense(layers[layer.tied_to], needs_input_grad=has_params)
            width, reusable = built.fan_out, True
        elif isinstance(layer, PeriodicEmbeddingSpec):
            built = PeriodicEmbedding(width, layer.n_frequencies, needs_input_grad=has_params)
            width, reusable = built.units, True
        else:
            raise TypeError(f"The NumPy engine cannot build a {type(layer).__name__} layer")
        trainable = getattr(layer, "trainable", True)
        if not trainable:
            # Sequential lays frozen parameters out after the trainable ones, out
            # of the optimizer's reach; frozen batch norm runs in inference mode
            built.trainable = False
        # only trainable parameters want gradients: below the lowest trainable
        # layer (a frozen bottom stack) the backward pass stops
        has_params = has_params or (bool(built.param_shapes) and trainable)
        layers.append(built)
    return layers


class TiedDense:
    """``Y = X W^T + b`` with ``W`` the kernel of an earlier :class:`Dense` layer.

    Only the bias is this layer's parameter. Its share of the shared
    kernel's gradient, ``(X^T dY)^T``, waits in :attr:`pending` until the
    engine adds it with :meth:`add_pending_gradient`: the tied dense layer's
    own backward pass, which runs later, overwrites its kernel gradient.
    """

    def __init__(self, tied, needs_input_grad=True):
        self.tied = tied
        self.fan_in, self.fan_out = tied.fan_out, tied.fan_in
        self.needs_input_grad = needs_input_grad
        self.bias = self.bias_grad = self.pending = None

    @property
    def param_shapes(self):
        return {"bias": (self.fan_out,)}

    def bind(self, params, grads):
        self.bias, self.bias_grad = params["bias"], grads["bias"]

    def forward(self, X, training=False):
        kernel = self.tied.kernel
        Y = np.asarray(X @ kernel.T)
        Y += self.bias

        def backward(dY):
            np.sum(dY, axis=0, out=self.bias_grad)
            self.pending = np.asarray(dY.T @ X)
            return np.dot(dY, kernel) if self.needs_input_grad else None

        return Y, backward

    def add_pending_gradient(self):
        if self.pending is not None:
            self.tied.kernel_grad += self.pending
            self.pending = None


def build_network(spec, rng=None):
    """Translate a spec into NumPy layers sharing one flat parameter vector."""
    return Sequential(build_layers(spec, rng), dtype=spec.dtype)

