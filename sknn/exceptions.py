"""Warnings and errors specific to sknn."""

from sklearn.exceptions import ConvergenceWarning


class DivergenceWarning(ConvergenceWarning):
    """Training stopped because the loss became NaN or infinite.

    A subclass of scikit-learn's ConvergenceWarning, so code that filters
    convergence warnings (as searches often do) filters this one too.
    """
