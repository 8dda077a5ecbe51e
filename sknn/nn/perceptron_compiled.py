"""The exact sequential perceptron rule, compiled with Numba when it is installed.

:func:`sknn.nn.perceptron_rule.blocked_epoch` runs Rosenblatt's rule in
NumPy with Python work per *mistake*; on noisy data (a fifth of the samples
wrong) that costs about ten times scikit-learn's Cython loop. This module
holds the same rule as a plain loop over the samples, compiled by Numba
(the optional ``speed`` extra), which brings the classic rule to
scikit-learn's speed. Without Numba, :data:`available` is False and the
estimators run the NumPy rule; both compute the same pass (tests compare
them). Numba is imported on the first compiled epoch, not with sknn.

The rule, per sample ``i`` in visiting order and per unit ``j``, in
scikit-learn's order (margin, L2 shrink, add)::

    z = x_i . w_j + b_j
    loss_j += max(0, -t_ij z)
    w_j *= shrink                       # kept as a scale factor, O(1)
    if mistake: w_j += u_ij x_i; b_j += u_ij * intercept_decay
"""

from __future__ import annotations

import importlib.util

import numpy as np

#: When the running scale of a weight vector falls below this, it is folded
#: back into the weights so that the stored vector cannot overflow.
MIN_SCALE = 1e-9


def _sequential_epoch(X, order, T, U, W, b, sq, l1, shrink, sign_rule, fit_intercept,
                      intercept_decay):
    n_units, n_features = W.shape
    loss = np.zeros(n_units)
    sq_sum = np.zeros(n_units)
    shrink_sq = shrink * shrink
    # like blocked_epoch, track the norms only when the L2 penalty needs them
    track_norm = shrink != 1.0
    for j in range(n_units):
        w = W[j]
        scale = 1.0
        for position in range(order.shape[0]):
            i = order[position]
            x = X[i]
            dot = 0.0
            for f in range(n_features):
                dot += x[f] * w[f]
            z = scale * dot + b[j]
            t = T[position, j]
            signed = t * z
            if signed < 0.0:
                loss[j] -= signed
            if track_norm:
                sq_sum[j] += sq[j]
                scale *= shrink
                sq[j] *= shrink_sq
                l1[j] *= shrink
            if sign_rule:
                wrong = signed <= 0.0
            else:
                wrong = signed < 0.0 or (z == 0.0 and t > 0.0)
            u = U[position, j]
            if wrong and u != 0.0:
                if scale < MIN_SCALE:
                    for f in range(n_features):
                        w[f] *= scale
                    scale = 1.0
                step = u / scale
                for f in range(n_features):
                    w[f] += step * x[f]
                if track_norm:
                    norm_sq = 0.0
                    norm_l1 = 0.0
                    for f in range(n_features):
                        norm_sq += w[f] * w[f]
                        norm_l1 += abs(w[f])
                    sq[j] = norm_sq * scale * scale
                    l1[j] = norm_l1 * scale
                if fit_intercept:
                    b[j] += u * intercept_decay
        if scale != 1.0:
            for f in range(n_features):
                w[f] *= scale
    return loss, sq_sum


_compiled = None


def _kernel():
    """The compiled kernel, built on first use: importing Numba costs a
    noticeable fraction of a second, which ``import sknn`` should not pay."""
    global _compiled
    if _compiled is None:
        import numba

        _compiled = numba.njit(cache=True, nogil=True)(_sequential_epoch)
    return _compiled


def sequential_epoch(X, order, T, U, W, b, state, *, rule, shrink, fit_intercept,
                     intercept_decay):
    """One pass of the classic rule over ``X[order]``, compiled (needs Numba).

    ``T`` and ``U`` are already in visiting order (row ``p`` belongs to
    sample ``order[p]``); ``W`` (``(n_features, k)``), ``b`` and ``state``
    are updated in place, and ``(loss, sq_sum)`` per unit is returned, as
    :func:`sknn.nn.perceptron_rule.blocked_epoch` does.
    """
    if not available:
        raise ImportError("the compiled perceptron rule needs numba: "
                          "pip install sknn-learn[speed]")
    X = np.ascontiguousarray(X)
    units = np.ascontiguousarray(W.T, dtype=np.float64)
    bias = np.ascontiguousarray(b, dtype=np.float64)
    sq = np.ascontiguousarray(state["sq"], dtype=np.float64)
    l1 = np.ascontiguousarray(state["l1"], dtype=np.float64)
    loss, sq_sum = _kernel()(
        X, np.ascontiguousarray(order, dtype=np.intp),
        np.ascontiguousarray(T, dtype=np.float64), np.ascontiguousarray(U, dtype=np.float64),
        units, bias, sq, l1, float(shrink), rule == "sign", bool(fit_intercept),
        float(intercept_decay))
    W[...] = units.T
    b[...] = bias
    state["sq"][...] = sq
    state["l1"][...] = l1
    return loss, sq_sum


#: Whether Numba is installed (estimators fall back to the NumPy rule without it).
available = importlib.util.find_spec("numba") is not None
