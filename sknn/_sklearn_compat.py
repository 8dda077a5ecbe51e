"""The one place that imports scikit-learn's private API.

scikit-learn may move or rename a private name in any release; importing
each one here, and nowhere else in sknn, turns such a move into a one-line
fix (tests/test_sklearn_compat.py fails on a private import anywhere else).
Every private name below has this import path in all supported releases
(``scikit-learn>=1.6``, see pyproject.toml), so none needs a fallback yet.
The callback API (public, new in 1.9) is imported here too, because older
releases need a stand-in for it.
"""

from __future__ import annotations

import warnings

from sklearn.base import _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.multiclass import _check_partial_fit_first_call
from sklearn.utils.validation import _check_sample_weight

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """``set_callbacks`` of a scikit-learn without a callback API: refused."""

        def set_callbacks(self, *callbacks):
            raise ImportError("set_callbacks needs scikit-learn's callback API "
                              "(sklearn.callback), new in scikit-learn 1.9; upgrade "
                              "scikit-learn to use callbacks.")


def check_lbfgs_result(result, max_iter):
    """Warn like scikit-learn when L-BFGS stops without converging; return n_iter.

    ``result`` is a :class:`sknn.training.LbfgsResult`. A run stopped on
    purpose (interrupted, which has already said so, or by a callback) gets
    no convergence warning. The message is the
    one of scikit-learn's private ``_check_optimize_result``, so that code
    matching it keeps working.
    """
    if result.status != 0 and not result.stopped:
        warnings.warn(
            "lbfgs failed to converge after %d iteration(s) (status=%d):\n%s.\n\n"
            "Increase the number of iterations to improve the convergence "
            "(max_iter=%d).\nYou might also want to scale the data as shown in:\n"
            "    https://scikit-learn.org/stable/modules/preprocessing.html"
            % (result.n_iter, result.status, result.message, max_iter),
            ConvergenceWarning,
            stacklevel=3,
        )
    return min(int(result.n_iter), max_iter)


__all__ = ["CallbackSupportMixin", "HasMethods", "Interval", "InvalidParameterError", "Options",
           "StrOptions", "_check_partial_fit_first_call", "_check_sample_weight", "_fit_context",
           "_safe_indexing", "check_lbfgs_result"]
