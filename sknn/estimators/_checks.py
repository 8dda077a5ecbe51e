"""Checks of constructor parameters and weights that scikit-learn's constraints cannot express.

Each raises an error naming the parameter, the problem and the value, so a
value that would build or train something else than asked (4.5 units, a
negative class weight) never reaches the engines.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from sknn._sklearn_compat import InvalidParameterError, StrOptions

#: Largest accepted layer width: NumPy shapes and BLAS take 32-bit sizes
#: comfortably; a wider layer is a typo, not a network.
MAX_LAYER_WIDTH = 2**31 - 1


def _as_width(value):
    """``value`` as an int width, or None when it is not a whole number >= 1."""
    if isinstance(value, (bool, np.bool_)):
        return None
    if isinstance(value, Integral):
        width = int(value)
    elif isinstance(value, Real) and math.isfinite(value) and float(value).is_integer():
        width = int(value)  # 64.0, e.g. from a search's real-valued dimension
    else:
        return None
    return width if 1 <= width <= MAX_LAYER_WIDTH else None


class RegisteredNames(StrOptions):
    """The names of a registry as a parameter constraint, read when a value is checked.

    A name registered after the estimators were imported
    (:func:`sknn.register_activation`, ...) is valid as soon as it is
    registered, and an unregistered one no longer is.

    Parameters
    ----------
    registry : Registry
    extra : iterable of str, default=()
        Names the estimators accept besides the registry's ('auto', 'lbfgs').
    exclude : iterable of str, default=()
        Registered names the parameter does not accept.

    Examples
    --------
    >>> from sknn.nn.optimizers import OPTIMIZERS
    >>> solver = RegisteredNames(OPTIMIZERS, extra=["lbfgs"], exclude=["sgd"])
    >>> solver.is_satisfied_by("lbfgs"), solver.is_satisfied_by("sgd")
    (True, False)
    """

    def __init__(self, registry, extra=(), exclude=()):
        self.registry, self.exclude = registry, frozenset(exclude)
        super().__init__(set(extra))

    @property
    def options(self):
        return self._extra | (set(self.registry.names()) - self.exclude)

    @options.setter
    def options(self, extra):  # what StrOptions.__init__ stores: the fixed extras
        self._extra = set(extra)


def check_layer_widths(value, name="hidden_layer_sizes"):
    """The layer widths ``value`` describes, as a list of ints.

    ``value`` is one width or a sequence of widths (possibly empty: no
    hidden layer). Every width must be a whole number from 1 to
    :data:`MAX_LAYER_WIDTH`; anything else (4.5, '4', None, NaN, 2**63)
    raises an ``InvalidParameterError`` (a ValueError) naming ``name``.

    Examples
    --------
    >>> check_layer_widths((64, 32.0))
    [64, 32]
    >>> try:
    ...     check_layer_widths((4.5,))
    ... except ValueError as error:
    ...     print(str(error)[:61])
    The 'hidden_layer_sizes' parameter must be a positive integer
    """
    if isinstance(value, (str, bytes)) or value is None:
        widths = None
    elif np.ndim(value) == 0:
        widths = [value]
    else:
        try:
            widths = list(value)
        except TypeError:
            widths = None
    bad = None if widths is not None else [value]
    if widths is not None:
        bad = [width for width in widths if _as_width(width) is None]
    if bad:
        raise InvalidParameterError(
            f"The {name!r} parameter must be a positive integer or a sequence of positive "
            f"integers (layer widths from 1 to {MAX_LAYER_WIDTH}); got {value!r}, where "
            f"{bad[0]!r} is not a whole number of units in that range.")
    return [_as_width(width) for width in widths]


def check_class_weight(class_weight):
    """Refuse a ``class_weight`` dict with negative or non-finite weights.

    A negative weight turns that class's loss into a reward for getting it
    wrong (the training loss goes below zero), the same reason scikit-learn
    refuses negative sample weights. 'balanced' and None pass.
    """
    if not isinstance(class_weight, dict):
        return
    bad = {label: weight for label, weight in class_weight.items()
           if not (isinstance(weight, Real) and not isinstance(weight, (bool, np.bool_))
                   and 0 <= weight < math.inf)}
    if bad:
        raise ValueError(
            f"class_weight values must be finite numbers >= 0 (a negative weight rewards "
            f"misclassifying its class); got {bad}.")


def check_total_weight(sample_weight, dtype, names="sample_weight"):
    """Refuse per-sample weights that sum to zero once cast to the training ``dtype``.

    With no weight anywhere there is nothing to fit (the weighted mean loss
    is 0 / 0); weights too small for float32 (below about 1e-45) become 0
    when a float32 network casts them.
    """
    if sample_weight is None:
        return
    total = np.asarray(sample_weight, dtype=dtype).sum(dtype=np.float64)
    if not total > 0:
        raise ValueError(
            f"The per-sample weights ({names}) sum to zero in {np.dtype(dtype).name}: "
            f"there is nothing to fit. Give some samples a positive weight"
            + (" (or rescale tiny weights: float32 rounds values below about 1e-45 to 0)."
               if np.dtype(dtype) == np.float32 else "."))
