"""Activation layers and :func:`make_activation_layer`, the spec -> layer factory."""

from __future__ import annotations

import numpy as np

from sknn.nn.activations import RRELU_LOWER, RRELU_UPPER, resolve_activation, slope_factor
from sknn.nn.layers.prelu import PReLU


class ActivationLayer:
    """Apply a registered activation in place; no parameters.

    The input buffer is overwritten: the preceding dense layer's output is
    not needed by anyone after the activation runs. Activations whose
    derivative reads the input (``needs_input``: gelu, swish) get a copy of
    it, taken in training only; after an inference forward their backward
    raises.

    This layer applies the registered *function*. ``prelu`` learns its slopes
    and ``rrelu`` randomizes them only as the layers built by
    :func:`make_activation_layer`; here they are fixed-slope leaky ReLUs.

    Parameters
    ----------
    name : str or ActivationFn
    alpha : float or None
        The activation's constant (see :meth:`ActivationFn.with_alpha`).
    """

    param_shapes: dict = {}

    def __init__(self, name, alpha=None):
        self.fn = resolve_activation(name, alpha)

    @property
    def output_reusable(self):
        """Whether a later layer may overwrite the output: backward does not read it."""
        return self.fn.needs_input

    def bind(self, params, grads):
        pass

    def forward(self, X, training=False):
        fn = self.fn
        Z = X.copy() if fn.needs_input and training else None
        A = fn.forward(X)
        if not fn.needs_input:
            saved = A
        elif Z is not None:
            saved = Z
        else:
            return A, _no_backward(fn.name)
        derivative = fn.derivative

        def backward(dA):
            return derivative(saved, dA)

        return A, backward


def _no_backward(name):
    def backward(dA):
        raise RuntimeError(f"Activation {name!r} keeps its input for backward only "
                           "in training: call forward(X, training=True).")
    return backward


class RReLU:
    """Randomized leaky ReLU: ``z`` for ``z >= 0``, ``r * z`` below.

    In training a fresh slope ``r ~ U(lower, upper)`` is drawn for every
    element (every sample and unit) at every forward pass, as PyTorch's
    ``RReLU`` does; the backward multiplies by the same slopes. At inference
    the slope is fixed to ``(lower + upper) / 2``.

    Parameters
    ----------
    lower, upper : float
        Bounds of the slope, ``0 <= lower <= upper``; PyTorch's defaults.
    rng : numpy.random.Generator, int or None
        Source of the slopes.

    Examples
    --------
    >>> import numpy as np
    >>> layer = RReLU(0.1, 0.3, rng=0)
    >>> layer.forward(np.array([[-1.0, 2.0]]))[0]
    array([[-0.2,  2. ]])
    """

    param_shapes: dict = {}
    output_reusable = True  # backward keeps the slopes, not the output

    def __init__(self, lower=RRELU_LOWER, upper=RRELU_UPPER, rng=None):
        if not 0.0 <= lower <= upper:
            raise ValueError(f"RReLU needs 0 <= lower <= upper, got {lower}, {upper}.")
        self.lower, self.upper = float(lower), float(upper)
        self.rng = np.random.default_rng(rng)
        self._inference = ActivationLayer("leaky_relu", (self.lower + self.upper) / 2.0)

    def bind(self, params, grads):
        pass

    def forward(self, X, training=False):
        if not training:
            return self._inference.forward(X)
        factor = slope_factor(X < 0, self._slopes(X.shape, X.dtype), X.dtype)
        X *= factor

        def backward(dA):
            dA *= factor
            return dA

        return X, backward

    def _slopes(self, shape, dtype):
        draw_dtype = dtype if dtype in (np.float32, np.float64) else np.float64
        slopes = self.rng.random(shape, dtype=draw_dtype)
        slopes *= self.upper - self.lower
        slopes += self.lower
        return slopes


def make_activation_layer(spec_layer, units, rng=None):
    """The NumPy layer for a :class:`sknn.spec.Activation` spec entry.

    Parameters
    ----------
    spec_layer : sknn.spec.Activation
        Name and ``alpha`` (None: the registry default).
    units : int
        Width of the preceding layer (PReLU learns one slope per unit).
    rng : numpy.random.Generator or None
        Randomness of training-mode activations (rrelu's slopes).

    Returns
    -------
    layer : ActivationLayer, PReLU or RReLU
        A layer as :class:`~sknn.nn.layers.Sequential` chains them.

    Examples
    --------
    >>> from sknn.spec import Activation
    >>> make_activation_layer(Activation("prelu", alpha=0.1), 3).param_shapes
    {'slope': (3,)}
    >>> make_activation_layer(Activation("tanh"), 3).param_shapes
    {}
    """
    fn = resolve_activation(spec_layer.name, spec_layer.alpha)
    if fn.name == "prelu":
        return PReLU(units, fn.alpha)
    if fn.name == "rrelu":
        return RReLU(rng=rng)
    return ActivationLayer(fn)
