"""Dropout (inverted) and alpha dropout, active in training mode only."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sknn.nn.activations import _SELU_ALPHA, _SELU_SCALE

#: Masks compare 16-bit random integers with a threshold: about twice as fast
#: as ``rng.random(shape, float32) < keep``. The keep probability is rounded to
#: a multiple of 1/65536 and the scaling uses the rounded value, so dropout
#: keeps the mean exactly.
_LEVELS = 65536

#: SELU's saturation value ``-scale * alpha``: where alpha dropout sends dropped units.
ALPHA_PRIME = -_SELU_SCALE * _SELU_ALPHA


class Dropout:
    """Drop each input unit with probability ``rate`` during training.

    ``kind='standard'`` is inverted dropout: kept units are scaled by
    ``1 / (1 - rate)``, so inference is the identity. ``kind='alpha'``
    (Klambauer et al., 2017, for SELU networks) sets dropped units to SELU's
    saturation value ``alpha' = -scale * alpha`` and applies the affine
    correction ``a * x + b`` that keeps zero mean and unit variance.

    Parameters
    ----------
    rate : float in [0, 1)
    kind : {'standard', 'alpha'}
    rng : numpy.random.Generator or None
        Source of the masks (the engine's generator); None draws from an
        unseeded generator.
    needs_input_grad : bool
        False when no layer before this one has parameters.
    inplace : bool
        The input buffer belongs to nobody else and may be overwritten.

    Examples
    --------
    >>> import numpy as np
    >>> layer = Dropout(0.5, rng=np.random.default_rng(0))
    >>> X = np.ones((2, 4))
    >>> layer.forward(X, training=False)[0] is X
    True
    >>> np.unique(layer.forward(X, training=True)[0])
    array([0., 2.])
    """

    param_shapes: dict = {}

    def __init__(self, rate, kind="standard", rng=None, needs_input_grad=True, inplace=False):
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate!r}")
        if kind not in ("standard", "alpha"):
            raise ValueError(f"Dropout kind must be 'standard' or 'alpha', got {kind!r}")
        self.rate = float(rate)
        self.kind = kind
        self.rng = rng
        self.needs_input_grad = needs_input_grad
        self.inplace = inplace
        self.threshold = min(round((1.0 - self.rate) * _LEVELS), _LEVELS)
        keep = self.threshold / _LEVELS  # the probability the masks really have
        self.keep = keep
        # alpha dropout's affine correction for the realized keep probability
        rate = 1.0 - keep
        self.a = (keep * (1.0 + rate * ALPHA_PRIME**2)) ** -0.5
        self.b = -self.a * ALPHA_PRIME * rate

    @property
    def output_reusable(self):
        # in place, the output is the (free) input buffer; at inference it is the input
        return self.inplace

    def bind(self, params, grads):
        pass

    def mask(self, shape):
        """A boolean keep-mask: each entry True with probability :attr:`keep`."""
        if self.rng is None:  # unseeded, and only created when a mask is needed
            self.rng = np.random.default_rng()
        bits = self.rng.integers(0, _LEVELS, size=shape, dtype=np.uint16)
        return bits < self.threshold

    def forward(self, X, training=False):
        if not training or self.threshold >= _LEVELS:
            return X, self._identity_backward
        if sp.issparse(X):
            if self.kind == "standard" and not self.needs_input_grad:
                return self._sparse_forward(X), self._identity_backward
            X, inplace = X.toarray(), True
        else:
            inplace = self.inplace
        dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
        # the gradient factor: 1/keep (standard) or a (alpha) where kept, 0 where dropped
        factor = 1.0 / self.keep if self.kind == "standard" else self.a
        gain = np.multiply(self.mask(X.shape), dtype.type(factor))
        if self.kind == "standard":
            Y = np.multiply(X, gain, out=X if inplace else None)
        else:
            # a * (x m + alpha' (1 - m)) + b  ==  (x - alpha') * (a m) + (a alpha' + b)
            Y = np.subtract(X, ALPHA_PRIME, out=X if inplace else None)
            Y *= gain
            Y += self.a * ALPHA_PRIME + self.b

        def backward(dY):
            if not self.needs_input_grad:
                return None
            dY *= gain
            return dY

        return Y, backward

    def _sparse_forward(self, X):
        """Standard dropout of a sparse input: only stored entries can change."""
        Y = sp.csr_matrix(X, copy=True)
        Y.data *= self.mask(Y.data.shape) * (1.0 / self.keep)
        return Y

    def _identity_backward(self, dY):
        return dY if self.needs_input_grad else None
