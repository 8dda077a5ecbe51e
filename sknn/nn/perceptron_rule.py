"""Rosenblatt's perceptron rule for a set of linear threshold units (LTUs).

The units share one Dense-shaped kernel ``W`` of shape ``(n_features, k)``
and a bias ``b`` of shape ``(k,)``; each column is one LTU, trained on its
own ``+1/-1`` target column ``T[:, j]``. ``U[i, j]`` is the signed step a
mistake on sample ``i`` adds: ``eta * T[i, j] * class_weight * sample_weight``.
Every pass computes, like scikit-learn's ``_plain_sgd`` with
``loss='perceptron'`` and a constant learning rate::

    z = x_i . w + b                       # margin, before any change
    loss += max(0, -t_i z)                # the perceptron loss
    w *= max(0, 1 - (1 - l1_ratio) eta alpha)   # L2 part of the penalty
    if mistake: w += u_i x_i; b += u_i * intercept_decay
    L1 part: truncated gradient (Tsuruoka et al., 2009) with cumulative u, q

A mistake is ``t z <= 0`` for the 'sign' rule (scikit-learn's: the zero
margin counts as wrong, which is what moves a unit off zero weights) and
``H(z) != (t + 1) / 2`` for the 'heaviside' rule (the textbook
``w += eta (y - H(z)) x``: a negative sample at ``z = 0`` is right).

Only mistakes change ``W`` (the L2 shrink is a scalar factor per sample, so
margins ``k`` samples ahead are ``c**k (x . w) + b``), hence
:func:`blocked_epoch` computes the margins of a window of samples in one
matrix product, applies the first mistake, and continues after it: exactly
the sequential result with Python work per mistake, not per sample. The
L1 truncation touches every weight after every sample, so it runs in
:func:`minibatch_epoch` with ``batch_size=1`` (sequential, exact).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

MIN_WINDOW = 64
MAX_WINDOW = 8192


def mistakes(T, Z, U, rule):
    """Boolean mask of the (sample, unit) pairs whose update is applied.

    Examples
    --------
    >>> T = np.array([[1.0], [-1.0], [-1.0]]); Z = np.array([[0.0], [0.0], [2.0]])
    >>> mistakes(T, Z, np.ones_like(T), "sign").ravel()
    array([ True,  True,  True])
    >>> mistakes(T, Z, np.ones_like(T), "heaviside").ravel()
    array([ True, False,  True])
    """
    signed = T * Z
    wrong = signed <= 0 if rule == "sign" else (signed < 0) | ((Z == 0) & (T > 0))
    wrong &= U != 0
    return wrong


def _add_row(W, X, r, step):
    """``W += outer(x_r, step)`` for a dense or CSR ``X``."""
    if sp.issparse(X):
        lo, hi = X.indptr[r], X.indptr[r + 1]
        W[X.indices[lo:hi]] += X.data[lo:hi, None] * step
    else:
        W += X[r][:, None] * step


def _matmul(X, W):
    return np.asarray(X @ W)


def new_state(W, l1):
    """Training state kept across epochs of one fit call: the norms scikit-learn
    tracks for the objective, and the cumulative L1 penalty ``u``, ``q``."""
    state = {"sq": np.einsum("ij,ij->j", W, W), "l1": np.abs(W).sum(axis=0)}
    if l1:
        state.update(u=0.0, q=np.zeros_like(W))
    return state


def _norms_after_add(state, W, X, r, cols):
    """scikit-learn's ``WeightVector.add`` recomputes the norms over the
    features of ``x_r`` only (all of them for dense ``X``)."""
    if sp.issparse(X):
        rows = W[X.indices[X.indptr[r]:X.indptr[r + 1]]][:, cols]
    else:
        rows = W[:, cols]
    state["sq"][cols] = np.einsum("ij,ij->j", rows, rows)
    state["l1"][cols] = np.abs(rows).sum(axis=0)


def blocked_epoch(X, T, U, W, b, state, *, rule, shrink, fit_intercept, intercept_decay):
    """One exact sequential pass over the rows of ``X`` (already in visiting order).

    Updates ``W``, ``b`` and ``state`` in place and returns ``(loss, sq_sum)``
    per unit: the summed perceptron loss and the sum over samples of the
    tracked ``||w||^2`` at each sample, for the L2 part of the objective.
    ``shrink`` is the per-sample L2 factor (1.0 without an L2 part).
    """
    n, k = T.shape
    loss = np.zeros(k)
    sq_sum = np.zeros(k)
    track_norm = shrink != 1.0
    powers = shrink ** np.arange(MAX_WINDOW + 1, dtype=np.float64)
    cum_sq = np.cumsum(powers * powers)
    nonzero = U != 0
    # Without zero steps, every row before a window's first mistake has a
    # positive margin (zero loss), so only the mistake row adds to the loss.
    all_nonzero = bool(nonzero.all())
    sign_rule = rule == "sign"
    pos, window = 0, MIN_WINDOW
    while pos < n:
        stop = min(n, pos + window)
        Z = _matmul(X[pos:stop], W)
        if track_norm:
            Z *= powers[:stop - pos, None].astype(Z.dtype)
        Z += b
        signed = T[pos:stop] * Z
        if sign_rule:
            wrong = signed <= 0
        else:
            wrong = (signed < 0) | ((Z == 0) & (T[pos:stop] > 0))
        wrong &= nonzero[pos:stop]
        any_row = wrong.any(axis=1) if k > 1 else wrong[:, 0]
        first = int(any_row.argmax())
        mistake = bool(any_row[first])
        if mistake:
            last = first + 1
            window = max(MIN_WINDOW, 2 * last)
        else:
            last = stop - pos
            window = min(2 * window, MAX_WINDOW)
        if not all_nonzero:
            loss += np.maximum(-signed[:last], 0).sum(axis=0)
        elif mistake:
            loss += np.maximum(-signed[first], 0)
        if track_norm:
            sq_sum += state["sq"] * cum_sq[last - 1]
            W *= W.dtype.type(powers[last])
            state["sq"] *= powers[last] ** 2
            state["l1"] *= powers[last]
        if mistake:
            r = pos + first
            step = U[r] * wrong[first]
            _add_row(W, X, r, step)
            if fit_intercept:
                b += step * intercept_decay
            if track_norm:
                _norms_after_add(state, W, X, r, wrong[first])
        pos += last
    return loss, sq_sum


def l1_truncate(W, idx, u, q):
    """Truncated-gradient L1 step on rows ``idx`` of ``W`` (all rows if None)."""
    rows = slice(None) if idx is None else idx
    old = W[rows]
    new = old.copy()
    positive, negative = old > 0, old < 0
    new[positive] = np.maximum(0.0, old - (u + q[rows]))[positive]
    new[negative] = np.minimum(0.0, old + (u - q[rows]))[negative]
    q[rows] += new - old
    W[rows] = new


def minibatch_epoch(X, T, U, W, b, state, *, rule, batch_size, shrink, l1_step,
                    fit_intercept, intercept_decay):
    """One pass applying the summed updates of each mini-batch at once.

    All samples of a batch see the weights from the batch's start; the L2
    shrink ``shrink ** len(batch)`` and ``len(batch) * l1_step`` of L1 are
    applied per batch. With ``batch_size=1`` this is the classic sequential
    rule, L1 included (scikit-learn's order: margin, shrink, add, truncate).
    Returns ``(loss, sq_sum, l1_sum)`` per unit, as :func:`blocked_epoch`
    (norms are tracked exactly after a batch of more than one sample).
    """
    n, k = T.shape
    loss, sq_sum, l1_sum = np.zeros(k), np.zeros(k), np.zeros(k)
    sparse = sp.issparse(X)
    track_norm = shrink != 1.0 or "q" in state
    for start in range(0, n, batch_size):
        stop = min(n, start + batch_size)
        m = stop - start
        Xb = X[start:stop]
        Z = _matmul(Xb, W) + b
        Tb = T[start:stop]
        wrong = mistakes(Tb, Z, U[start:stop], rule)
        loss += np.maximum(-(Tb * Z), 0).sum(axis=0)
        if track_norm:
            sq_sum += m * state["sq"]
            l1_sum += m * state["l1"]
        if shrink != 1.0:
            W *= W.dtype.type(shrink ** m)
            state["sq"] *= shrink ** (2 * m)
            state["l1"] *= shrink ** m
        if m == 1:
            if wrong[0].any():
                step = U[start] * wrong[0]
                _add_row(W, X, start, step)
                if fit_intercept:
                    b += step * intercept_decay
                if track_norm:
                    _norms_after_add(state, W, X, start, wrong[0])
        elif wrong.any():
            steps = U[start:stop] * wrong
            W += _matmul(Xb.T, steps)
            if fit_intercept:
                b += steps.sum(axis=0) * intercept_decay
            if track_norm:
                state["sq"][:] = np.einsum("ij,ij->j", W, W)
                state["l1"][:] = np.abs(W).sum(axis=0)
        if "q" in state:
            # the truncation leaves the tracked norms alone, as scikit-learn's does
            state["u"] += m * l1_step
            idx = np.unique(Xb.indices) if sparse else None
            l1_truncate(W, idx, state["u"], state["q"])
    return loss, sq_sum, l1_sum

