"""Warnings and errors specific to sknn."""

from sklearn.exceptions import ConvergenceWarning


class DivergenceWarning(ConvergenceWarning):
    """Training stopped because the loss became NaN or infinite.

    A subclass of scikit-learn's ConvergenceWarning, so code that filters
    convergence warnings (as searches often do) filters this one too.
    """


class InconsistentVersionWarning(UserWarning):
    """A model is loaded by another sknn version than the one that saved it.

    Attributes
    ----------
    estimator_name : str
    saved_version, current_version : str
    """

    def __init__(self, estimator_name, saved_version, current_version):
        self.estimator_name = estimator_name
        self.saved_version = saved_version
        self.current_version = current_version

    def __str__(self):
        return (f"Loading {self.estimator_name} saved by sknn {self.saved_version} with sknn "
                f"{self.current_version}. Its internals may have changed between versions: "
                f"check its predictions, or refit it with this version.")
