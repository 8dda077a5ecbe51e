"""Dropout (inverted) and alpha dropout, active in training mode only."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sknn.nn.activations import _SELU_ALPHA, _SELU_SCALE

#: Masks compare random integers in ``[0, levels)`` with a threshold, so the
#: keep probability is rounded to a multiple of ``1 / levels``. 16-bit
#: integers are about twice as fast as ``rng.random(shape, float32) < keep``;
#: they serve every keep probability of at least ``_MIN_THRESHOLD / 2**16``
#: (1/64), whose rounding is then at most 0.05% (relative). Smaller keep
#: probabilities would round coarsely, or to 0, and get 64-bit integers: the
#: smallest ``1 - rate`` of a float64 rate below 1, ``2**-53``, is still
#: ``2048 / 2**64``, so every rate in [0, 1) keeps a probability > 0.
_FAST_LEVELS = 2**16
_FINE_LEVELS = 2**64
_MIN_THRESHOLD = 1024

#: SELU's saturation value ``-scale * alpha``: where alpha dropout sends dropped units.
ALPHA_PRIME = -_SELU_SCALE * _SELU_ALPHA


def quantized_keep(rate):
    """``(levels, threshold)`` of the masks for a dropout ``rate`` in [0, 1).

    A unit is kept when a random integer in ``[0, levels)`` is below
    ``threshold``: the realized keep probability is ``threshold / levels``,
    ``1 - rate`` rounded to a multiple of ``2**-16`` when that leaves at
    least 1024 levels kept (keep >= 1/64), else of ``2**-64``; the rounding
    is at most 0.05% (relative) and never reaches 0. Both engines draw their
    masks this way.

    >>> quantized_keep(0.25)
    (65536, 49152)
    >>> levels, threshold = quantized_keep(0.999999)
    >>> levels == 2**64, abs(threshold / levels - 1e-6) < 1e-9
    (True, True)
    """
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"Dropout rate must be in [0, 1), got {rate!r}")
    keep = 1.0 - float(rate)
    threshold = round(keep * _FAST_LEVELS)
    if threshold >= _MIN_THRESHOLD:
        return _FAST_LEVELS, threshold
    return _FINE_LEVELS, max(round(keep * _FINE_LEVELS), 1)


def alpha_dropout_affine(keep):
    """``(a, b)`` of alpha dropout's correction ``a * x + b`` for keep probability ``keep``.

    With dropped units at :data:`ALPHA_PRIME`, it restores zero mean and unit
    variance of SELU-normalized inputs (Klambauer et al., 2017, eq. 9).
    """
    rate = 1.0 - keep
    a = (keep * (1.0 + rate * ALPHA_PRIME**2)) ** -0.5
    return a, -a * ALPHA_PRIME * rate


class Dropout:
    """Drop each input unit with probability ``rate`` during training.

    ``kind='standard'`` is inverted dropout: kept units are scaled by
    ``1 / keep``, so inference is the identity. ``kind='alpha'``
    (Klambauer et al., 2017, for SELU networks) sets dropped units to SELU's
    saturation value ``alpha' = -scale * alpha`` and applies the affine
    correction ``a * x + b`` that keeps zero mean and unit variance.

    The keep probability is ``1 - rate`` rounded to a multiple of ``2**-16``
    (``2**-64`` below 1/64, so rates up to the largest float below 1 keep
    units; see :func:`quantized_keep`), at most 0.05% off (relative); a rate
    below ``2**-17`` rounds to keeping everything. The scaling and the alpha
    correction use this realized probability, :attr:`keep`, so the mean (and
    alpha dropout's variance) are kept exactly.

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
        if kind not in ("standard", "alpha"):
            raise ValueError(f"Dropout kind must be 'standard' or 'alpha', got {kind!r}")
        self.rate = float(rate)
        self.kind = kind
        self.rng = rng
        self.needs_input_grad = needs_input_grad
        self.inplace = inplace
        self.levels, self.threshold = quantized_keep(self.rate)
        self.keep = self.threshold / self.levels  # the probability the masks really have
        self.a, self.b = alpha_dropout_affine(self.keep)

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
        dtype = np.uint16 if self.levels == _FAST_LEVELS else np.uint64
        return self.rng.integers(0, self.levels, size=shape, dtype=dtype) < self.threshold

    def forward(self, X, training=False):
        if not training or self.threshold >= self.levels:
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
