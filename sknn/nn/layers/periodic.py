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
        n = X.shape[0]
        # 2 pi folded into the small (features, frequencies) arrays: one pass fewer
        # over the (n, features, frequencies) block
        angular, shift = self.frequencies * TWO_PI, self.phases * TWO_PI
        out = np.empty((n, self.n_features, 1 + self.n_frequencies),
                       dtype=np.result_type(X.dtype, angular.dtype))
        out[:, :, 0] = X
        cosines = out[:, :, 1:]
        # the argument is written where its cosine goes, unless backward needs it
        argument = np.multiply(X[:, :, None], angular, out=None if training else cosines)
        argument += shift
        np.cos(argument, out=cosines)

        def backward(dY):
            dY = dY.reshape(out.shape)
            # d cos(t) = -sin(t) dt, with dt = 2 pi (x dc + db + c dx); computed in
            # the argument's buffer, which nothing needs any more
            grad = np.sin(argument, out=argument)
            grad *= dY[:, :, 1:]
            grad *= -TWO_PI
            np.einsum("ijk,ij->jk", grad, X, out=self.frequencies_grad)
            np.dot(np.ones(n, dtype=grad.dtype), grad.reshape(n, -1),
                   out=self.phases_grad.reshape(-1))
            if not self.needs_input_grad:
                return None
            dX = np.einsum("ijk,jk->ij", grad, self.frequencies)
            dX += dY[:, :, 0]
            return dX

        return out.reshape(n, -1), backward
