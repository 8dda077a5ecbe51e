"""Trained periodic embedding of numeric features (Gorishniy et al., 2022)."""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

TWO_PI = 2.0 * math.pi


class PeriodicEmbedding:
    """Each feature ``x_j`` becomes ``[x_j, cos(2 pi (c_jk x_j + b_jk)) for k < K]``.

    The periodic embedding of Gorishniy et al. ("On Embeddings for
    Numerical Features in Tabular Deep Learning", 2022) with a trained phase
    and the raw feature kept beside its embedding (RealMLP's "PBLD"). The
    output has ``n_features * (1 + n_frequencies)`` columns, feature by
    feature: the raw value first, then its ``n_frequencies`` cosines.

    One cosine with a trained phase spans what a sine/cosine pair of the
    same frequency spans after the next dense layer (``a cos t + b sin t =
    r cos(t - phi)``), so the layer has no sine: for the same width it has
    twice the frequencies.

    ``frequencies`` ``c`` and ``phases`` ``b`` are trained parameters of
    shape ``(n_features, n_frequencies)`` (views into the network's flat
    vector, after the kernels: no L1/L2 penalty or max-norm acts on them).
    The phase is in periods, so ``b`` in ``[-0.5, 0.5)`` covers every phase.
    Sparse input is densified: the output is dense anyway.

    Parameters
    ----------
    n_features : int
    n_frequencies : int
    needs_input_grad : bool
        False when no layer before this one has parameters (the usual case:
        the embedding is the network's first layer); the backward pass then
        fills the parameter gradients only and returns None.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.nn.layers import Sequential
    >>> layer = PeriodicEmbedding(2, n_frequencies=1)
    >>> net = Sequential([layer])
    >>> layer.frequencies[...] = [[0.5], [1.0]]
    >>> layer.phases[...] = [[0.0], [0.5]]
    >>> net.forward(np.array([[1.0, 2.0]]))[0]  # [x0, cos(pi), x1, cos(5 pi)]
    array([[ 1., -1.,  2., -1.]])
    """

    output_reusable = True  # backward keeps the phases' arguments, not the output

    def __init__(self, n_features, n_frequencies, needs_input_grad=False):
        self.n_features = int(n_features)
        self.n_frequencies = int(n_frequencies)
        self.needs_input_grad = needs_input_grad
        self.frequencies = self.phases = self.frequencies_grad = self.phases_grad = None

    @property
    def param_shapes(self):
        shape = (self.n_features, self.n_frequencies)
        return {"frequencies": shape, "phases": shape}

    @property
    def units(self):
        """Output width: ``n_features * (1 + n_frequencies)``."""
        return self.n_features * (1 + self.n_frequencies)

    def bind(self, params, grads):
        self.frequencies, self.phases = params["frequencies"], params["phases"]
        self.frequencies_grad, self.phases_grad = grads["frequencies"], grads["phases"]

    def forward(self, X, training=False):
        if sp.issparse(X):
            X = X.toarray()
        n, shape = X.shape[0], (X.shape[0], self.n_features, self.n_frequencies)
        # each feature repeated once per frequency: the argument is then one flat
        # multiply-add (about twice as fast as broadcasting over the small last axis),
        # with 2 pi folded into the small parameter arrays
        argument = np.repeat(X, self.n_frequencies, axis=1)
        argument *= (self.frequencies * TWO_PI).ravel()
        argument += (self.phases * TWO_PI).ravel()
        # cos into a contiguous array, then a copy into the interleaved output:
        # NumPy's vectorized cos needs a contiguous output (9x faster)
        cosines = np.cos(argument, out=None if training else argument)
        out = np.empty((n, self.n_features, 1 + self.n_frequencies), dtype=argument.dtype)
        out[:, :, 0] = X
        out[:, :, 1:] = cosines.reshape(shape)

        def backward(dY):
            dY = dY.reshape(out.shape)
            # d cos(t) = -sin(t) dt, dt = 2 pi (x dc + db + c dx): the argument's
            # buffer, which nothing needs any more, holds -2 pi sin(t) dY
            grad = np.sin(argument, out=argument).reshape(shape)
            grad *= dY[:, :, 1:]
            grad *= -TWO_PI
            # sums over the samples as batched matrix products (einsum is ~8x slower)
            per_feature = grad.transpose(1, 0, 2)
            np.matmul(X.T[:, None, :], per_feature,
                      out=self.frequencies_grad.reshape(self.n_features, 1, -1))
            np.dot(np.ones(n, dtype=grad.dtype), argument, out=self.phases_grad.reshape(-1))
            if not self.needs_input_grad:
                return None
            dX = np.matmul(per_feature, self.frequencies[:, :, None])[:, :, 0].T
            dX += dY[:, :, 0]
            return dX

        return out.reshape(n, -1), backward
