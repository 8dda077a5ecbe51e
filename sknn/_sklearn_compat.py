"""The one place that touches scikit-learn's private API.

scikit-learn moves private helpers between releases; each import here has a
fallback so that a rename breaks one line, not the estimators.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

try:  # scikit-learn >= 1.3
    from sklearn.base import _fit_context
except ImportError:  # pragma: no cover
    def _fit_context(prefer_skip_nested_validation):
        def decorator(fit_method):
            def wrapper(estimator, *args, **kwargs):
                estimator._validate_params()
                return fit_method(estimator, *args, **kwargs)
            return wrapper
        return decorator

from sklearn.utils.multiclass import _check_partial_fit_first_call  # noqa: E402
from sklearn.utils.validation import _check_sample_weight  # noqa: E402

try:  # scikit-learn >= 1.2: the error its parameter validation raises
    from sklearn.utils._param_validation import InvalidParameterError
except ImportError:  # pragma: no cover
    class InvalidParameterError(ValueError, TypeError):
        """A constructor parameter has a wrong type or value."""


def check_lbfgs_result(result, max_iter):
    """Warn like scikit-learn when L-BFGS stops without converging; return n_iter.

    ``result`` is a :class:`sknn.training.LbfgsResult`. An interrupted run
    has already said so and gets no convergence warning.
    """
    if result.status != 0 and not result.interrupted:
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


__all__ = ["InvalidParameterError", "_fit_context", "_check_partial_fit_first_call",
           "_check_sample_weight", "check_lbfgs_result", "np"]
