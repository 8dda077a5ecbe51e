"""Penalties, gradient clipping and weight constraints as small pure functions.

Each works in place on flat NumPy vectors or on a kernel, so the engine
calls them around the optimizer step (optax's "transformations", without
the chaining machinery):

    backward -> L1 gradient -> [L2 gradient] -> clip -> optimizer -> max-norm

All scalars are Python floats: a NumPy float64 scalar would make in-place
float32 operations compute in float64 (NEP 50).
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.linalg.blas import get_blas_funcs


@functools.lru_cache(maxsize=None)
def blas_axpy(dtype):
    """BLAS ``y += a * x`` for float32 or float64 ``dtype``, updating ``y`` in place.

    f2py works in place on a contiguous array of the routine's type and
    silently copies anything else, which would drop the update; that is
    checked once per dtype here rather than on every call.
    """
    dtype = np.dtype(dtype)
    axpy = get_blas_funcs("axpy", dtype=dtype)
    probe = np.zeros(4, dtype=dtype)
    view = probe[1:3]
    if axpy(np.ones(2, dtype=dtype), view, a=1.0) is not view or probe[1] != 1:
        raise RuntimeError(f"SciPy's BLAS axpy does not update {dtype} views in place")
    return axpy


def axpy(x, y, a):
    """``y += a * x`` in place on contiguous 1-D ``y``, one BLAS pass (no temporary)."""
    a = float(a)
    if x.dtype != y.dtype or x.dtype not in (np.float32, np.float64):
        y += a * x
        return y
    out = blas_axpy(x.dtype)(x, y, a=a)
    if out is not y:  # f2py worked on a copy: write it back
        y[...] = out
    return y


def add_l2_gradient(params, grads, strength):
    """Add the gradient of ``strength / 2 * ||params||^2`` to ``grads``; return the penalty."""
    strength = float(strength)
    if not strength:
        return 0.0
    penalty = 0.5 * strength * float(np.dot(params, params))
    axpy(params, grads, strength)
    return penalty


def add_l1_gradient(params, grads, strength):
    """Add the subgradient of ``strength * ||params||_1`` to ``grads``; return the penalty.

    The subgradient at 0 is 0 (``sign(0) == 0``). ``||params||_1`` is computed
    as ``sign(params) . params``, reusing the one temporary.
    """
    strength = float(strength)
    if not strength:
        return 0.0
    sign = np.sign(params)
    penalty = strength * float(np.dot(sign, params))
    axpy(sign, grads, strength)
    return penalty


def clip_by_value(grads, clip_value):
    """Clip ``grads`` elementwise to ``[-clip_value, clip_value]``, in place."""
    value = float(clip_value)
    np.clip(grads, -value, value, out=grads)
    return grads


def clip_by_global_norm(grads, max_norm):
    """Scale ``grads`` in place so that ``||grads||_2 <= max_norm``.

    Returns the norm before clipping. ``grads`` is the network's one flat
    gradient vector, so its norm is the global norm over every parameter
    (Keras's ``global_clipnorm``, optax's ``clip_by_global_norm``).

    Examples
    --------
    >>> import numpy as np
    >>> grads = np.array([3.0, 4.0])
    >>> clip_by_global_norm(grads, 1.0), grads
    (5.0, array([0.6, 0.8]))
    """
    norm = math.sqrt(float(np.dot(grads, grads)))
    if norm > max_norm:
        grads *= float(max_norm) / norm
    return norm


def apply_max_norm(kernel, max_norm):
    """Rescale each column of ``kernel`` (a unit's incoming weights) to norm ``<= max_norm``.

    Columns already within the bound are left exactly as they are (unlike
    Keras's ``MaxNorm``, which shrinks every column by ``norm / (norm + 1e-7)``).
    Works in place on a ``(fan_in, fan_out)`` kernel; returns it.

    Examples
    --------
    >>> import numpy as np
    >>> apply_max_norm(np.array([[3.0, 0.3], [4.0, 0.4]]), 1.0)
    array([[0.6, 0.3],
           [0.8, 0.4]])
    """
    bound = float(max_norm)
    norms = np.sqrt(np.einsum("ij,ij->j", kernel, kernel))
    if norms.max(initial=0.0) > bound:
        scale = bound / np.maximum(norms, bound)
        kernel *= scale.astype(kernel.dtype, copy=False)
    return kernel
