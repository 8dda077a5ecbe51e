"""Batch normalization (Ioffe & Szegedy, 2015) with a hand-written backward pass."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


class BatchNorm:
    """Normalize each feature over the batch, then scale by ``gamma`` and shift by ``beta``.

    Training mode normalizes with the batch mean and biased variance and
    updates the running statistics, ``running <- momentum * running +
    (1 - momentum) * batch`` (Keras's convention, also for the variance,
    which is the biased one). Inference normalizes with the running
    statistics.

    ``gamma`` and ``beta`` are trainable parameters (views into the network's
    flat vector, never L2-penalized); ``moving_mean`` and ``moving_variance``
    are buffers: owned by the layer, updated by the forward pass, saved with
    the weights but not trained.

    Parameters
    ----------
    units : int
        Number of features.
    momentum, epsilon : float
    needs_input_grad : bool
        False when no layer before this one has parameters: the backward
        pass then fills ``gamma``/``beta`` gradients and returns None.
    inplace : bool
        The input buffer belongs to nobody else (the previous layer is a
        dense layer), so the training pass may normalize it in place.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.nn.layers import Sequential
    >>> layer = BatchNorm(2, momentum=0.5, epsilon=0.0)
    >>> net = Sequential([layer])
    >>> net.forward(np.array([[1.0, 10.0], [3.0, 30.0]]), training=True)[0]
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> layer.moving_mean, layer.moving_variance
    (array([ 1., 10.]), array([ 1. , 50.5]))
    """

    output_reusable = True  # the output is always a fresh array
    #: False freezes the layer: inference mode even in training (Keras's rule),
    #: so the moving statistics are used and never updated
    trainable = True

    def __init__(self, units, momentum=0.99, epsilon=1e-3, needs_input_grad=True,
                 inplace=False):
        self.units = int(units)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.needs_input_grad = needs_input_grad
        self.inplace = inplace
        self.gamma = self.beta = self.gamma_grad = self.beta_grad = None
        self.moving_mean = self.moving_variance = None
        self._ones = np.ones(0)

    @property
    def param_shapes(self):
        return {"gamma": (self.units,), "beta": (self.units,)}

    @property
    def buffer_shapes(self):
        return {"moving_mean": (self.units,), "moving_variance": (self.units,)}

    def initial_params(self, dtype=np.float64):
        """``gamma`` ones, ``beta`` zeros (deterministic: no random draw)."""
        return {"gamma": np.ones(self.units, dtype=dtype),
                "beta": np.zeros(self.units, dtype=dtype)}

    def initial_buffers(self, dtype=np.float64):
        """``moving_mean`` zeros, ``moving_variance`` ones."""
        return {"moving_mean": np.zeros(self.units, dtype=dtype),
                "moving_variance": np.ones(self.units, dtype=dtype)}

    def bind(self, params, grads):
        self.gamma, self.beta = params["gamma"], params["beta"]
        self.gamma_grad, self.beta_grad = grads["gamma"], grads["beta"]

    def bind_buffers(self, buffers):
        self.moving_mean = buffers["moving_mean"]
        self.moving_variance = buffers["moving_variance"]

    def forward(self, X, training=False):
        if sp.issparse(X):  # centering densifies anyway; the copy is ours
            X, inplace = X.toarray(), True
        else:
            inplace = self.inplace
        if training and self.trainable:
            return self._train_forward(X, inplace)
        return self._inference_forward(X)

    def _train_forward(self, X, inplace):
        n = X.shape[0]
        ones = self._ones_like_rows(X)
        inv_n = 1.0 / n
        # column sums as BLAS matrix-vector products (see Dense)
        mean = np.dot(ones, X)
        mean *= inv_n
        # keep the centered input xc; xhat = xc * inv_std is never formed
        # (the per-feature factors fold into vectors), one pass fewer
        xc = np.subtract(X, mean, out=X if inplace else None)
        Y = np.multiply(xc, xc)  # scratch for the variance, then the output
        var = np.dot(ones, Y)
        var *= inv_n
        inv_std = np.add(var, self.epsilon)
        np.sqrt(inv_std, out=inv_std)
        np.divide(1.0, inv_std, out=inv_std)
        np.multiply(xc, self.gamma * inv_std, out=Y)
        Y += self.beta
        self._update_running(mean, var)

        def backward(dY):
            np.dot(ones, dY, out=self.beta_grad)
            np.einsum("ij,ij->j", dY, xc, out=self.gamma_grad)
            self.gamma_grad *= inv_std
            if not self.needs_input_grad:
                return None
            # dX = gamma / std * (dY - mean(dY) - xhat * mean(dY * xhat)),
            # computed in dY and in xc's buffer (both free by now)
            scale = self.gamma * inv_std
            correction = np.multiply(xc, self.gamma_grad * inv_std * inv_n, out=xc)
            correction += self.beta_grad * inv_n
            dY -= correction
            dY *= scale
            return dY

        return Y, backward

    def _update_running(self, mean, var):
        keep = self.momentum
        for running, batch in ((self.moving_mean, mean), (self.moving_variance, var)):
            running *= keep
            batch *= 1.0 - keep
            running += batch

    def _inference_forward(self, X):
        # a fresh output keeps X intact for the backward pass below
        inv_std = np.add(self.moving_variance, self.epsilon)
        np.sqrt(inv_std, out=inv_std)
        np.divide(1.0, inv_std, out=inv_std)
        scale = self.gamma * inv_std
        shift = self.beta - self.moving_mean * scale
        Y = np.multiply(X, scale)
        Y += shift

        def backward(dY):
            # running statistics are constants here: the layer is affine
            xhat = np.subtract(X, self.moving_mean)
            xhat *= inv_std
            np.einsum("ij,ij->j", dY, xhat, out=self.gamma_grad)
            np.sum(dY, axis=0, out=self.beta_grad)
            if not self.needs_input_grad:
                return None
            dY *= scale
            return dY

        return Y, backward

    def _ones_like_rows(self, X):
        if self._ones.shape[0] != X.shape[0] or self._ones.dtype != X.dtype:
            self._ones = np.ones(X.shape[0], dtype=X.dtype)
        return self._ones
