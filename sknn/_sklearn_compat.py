"""The one place that imports scikit-learn's private API.

scikit-learn may move or rename a private name in any release; importing
each one here, and nowhere else in sknn, turns such a move into a one-line
fix (tests/test_sklearn_compat.py fails on a private import anywhere else).
Every private name below has this import path in all supported releases
(``scikit-learn>=1.6``, see pyproject.toml), so none needs a fallback yet.
The one private hook that sknn overrides, in the HTML repr, is here too
(:class:`SummaryInHTMLReprMixin`), and so is the callback API (public, new
in 1.9), because older releases need a stand-in for it, with the names of
the private attributes it sets on an estimator during a fit
(:func:`without_callbacks`).
"""

from __future__ import annotations

import warnings

from sklearn.base import _fit_context
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
)
from sklearn.utils.multiclass import _check_partial_fit_first_call
from sklearn.utils.validation import _check_sample_weight, _num_samples

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9

    class CallbackSupportMixin:
        """``set_callbacks`` of a scikit-learn without a callback API: refused."""

        def set_callbacks(self, *callbacks):
            raise ImportError("set_callbacks needs scikit-learn's callback API "
                              "(sklearn.callback), new in scikit-learn 1.9; upgrade "
                              "scikit-learn to use callbacks.")


def has_callbacks(estimator):
    """Whether ``set_callbacks`` gave ``estimator`` any callback (scikit-learn keeps
    them in a private attribute)."""
    return bool(getattr(estimator, "_skl_callbacks", None))


def without_callbacks(estimator):
    """Take off ``estimator`` (a copy made during a fit) what scikit-learn's
    callback API put on it: the callbacks of ``set_callbacks`` and the fit's
    task contexts, which are not part of a fitted model; returns it."""
    for name in ("_skl_callbacks", "_callback_fit_ctx", "_skl_callbacks_to_teardown",
                 "_parent_callback_ctx"):
        vars(estimator).pop(name, None)
    return estimator


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


class SummaryInHTMLReprMixin:
    """Show ``summary()`` of a fitted estimator, collapsed, in its notebook HTML repr.

    scikit-learn documents no way to add fitted information to an
    estimator's HTML repr. scikit-learn 1.9's repr asks the private method
    ``_get_fitted_attr_html`` for the collapsed table of fitted attributes
    (a private ``AttrsDict`` rendered by its ``_html_repr``); this mixin
    renders a collapsed "Network summary" after that table, in its style,
    also for a step of a pipeline. Earlier releases (1.8 included) have no
    such table and never call the method, so they show no summary; a result
    of another shape is returned untouched: a change in scikit-learn costs
    the summary, never the repr.
    """

    def _get_fitted_attr_html(self, *args, **kwargs):
        fitted_attributes = super()._get_fitted_attr_html(*args, **kwargs)
        render = getattr(fitted_attributes, "_html_repr", None)
        try:
            summary = self.summary()._repr_html_()
        except NotFittedError:  # a step of a fitted pipeline replaced since
            return fitted_attributes
        if callable(render):
            fitted_attributes._html_repr = lambda: (
                f'{render()}<div class="estimator-table"><details><summary>Network summary'
                f'</summary>{summary}</details></div>')
        return fitted_attributes


__all__ = ["CallbackSupportMixin", "HasMethods", "Interval", "InvalidParameterError", "Options",
           "StrOptions", "SummaryInHTMLReprMixin", "_check_partial_fit_first_call",
           "_check_sample_weight", "_fit_context", "_num_samples", "_safe_indexing",
           "check_lbfgs_result",
           "has_callbacks", "without_callbacks"]
