"""Parametric ReLU: a leaky ReLU whose negative slope is learned per unit."""

from __future__ import annotations

import numpy as np

from sknn.nn.activations import slope_factor


def _prelu_forward(z, slope):
    """``max(z, 0) + slope * min(z, 0)`` in place on ``z``, and ``min(z, 0)`` for backward."""
    negative_part = np.minimum(z, 0.0)  # z where z < 0, else 0: exact on both sides
    np.maximum(z, 0.0, out=z)
    z += negative_part * slope
    return z, negative_part


class PReLU:
    """``z`` for ``z >= 0``, ``slope[j] * z`` below, with ``slope`` trained.

    One slope per unit (PyTorch's ``PReLU(num_parameters=units)``), stored
    as the parameter ``'slope'`` in the network's flat vector after the
    kernels, so an L2 penalty on kernels leaves it alone. The gradient of
    unit ``j``'s slope is ``sum_i dA[i, j] * min(z[i, j], 0)``.

    Parameters
    ----------
    units : int
    initial_slope : float, default=0.25
        PyTorch's default; :meth:`initial_params` returns it and
        :class:`~sknn.nn.layers.Sequential` writes it into the fresh
        parameter vector (``bind`` itself never writes: it also binds
        fitted weights).

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.nn.layers import Sequential
    >>> layer = PReLU(2, initial_slope=0.5)
    >>> net = Sequential([layer])
    >>> net.forward(np.array([[-2.0, 3.0]]))[0]
    array([[-1.,  3.]])
    """

    def __init__(self, units, initial_slope=0.25):
        self.units = int(units)
        self.initial_slope = float(initial_slope)
        self.slope = self.slope_grad = None
        self._ones = np.ones(0)

    @property
    def param_shapes(self):
        return {"slope": (self.units,)}

    output_reusable = True  # backward keeps min(z, 0), not the output

    def initial_params(self, dtype=np.float64):
        """``{'slope': full(units, initial_slope)}`` (deterministic: no random draw)."""
        return {"slope": np.full(self.units, self.initial_slope, dtype=dtype)}

    def bind(self, params, grads):
        """Attach the slope and gradient views (dicts keyed like ``param_shapes``)."""
        self.slope, self.slope_grad = params["slope"], grads["slope"]

    def forward(self, X, training=False):
        slope = self.slope
        A, negative_part = _prelu_forward(X, slope)

        def backward(dA):
            weighted = dA * negative_part
            self.slope_grad[...] = np.dot(self._ones_like_rows(dA), weighted)
            dA *= slope_factor(negative_part < 0, slope, dA.dtype)
            return dA

        return A, backward

    def _ones_like_rows(self, dA):
        # column sums as a BLAS matrix-vector product, as Dense does
        if self._ones.shape[0] != dA.shape[0] or self._ones.dtype != dA.dtype:
            self._ones = np.ones(dA.shape[0], dtype=dA.dtype)
        return self._ones
