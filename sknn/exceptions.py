"""Warnings and errors specific to sknn."""

import contextlib
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning


class DivergenceWarning(ConvergenceWarning):
    """Training stopped because the loss became NaN or infinite.

    A subclass of scikit-learn's ConvergenceWarning, so code that filters
    convergence warnings (as searches often do) filters this one too. The
    estimator stays fitted, with the weights of its best finite epoch.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from sklearn.datasets import make_regression
    >>> from sknn import MLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, random_state=0)
    >>> reg = MLPRegressor(hidden_layer_sizes=(20,), solver="sgd", learning_rate_init=0.05,
    ...                    max_iter=50, random_state=0)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = reg.fit(X, y)   # unscaled targets and a high rate: the loss explodes
    >>> any(issubclass(w.category, DivergenceWarning) for w in caught)
    True
    >>> bool(np.isfinite(reg.predict(X)).all())
    True
    """


class ScheduleBudgetWarning(UserWarning):
    """``partial_fit`` went past the epochs a fixed-budget schedule plans.

    1cycle and cosine decay plan their rates over ``max_iter`` epochs and
    end near zero. Under ``partial_fit`` (one epoch per call) the schedule
    runs over the first ``max_iter`` calls; later calls keep its final
    rate, at which the network hardly learns. This warning is given once,
    at the first call past the budget (a new ``fit`` starts the schedule,
    and the count, again).

    Examples
    --------
    >>> import warnings
    >>> from sklearn.datasets import load_iris
    >>> from sknn import DeepNetClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = DeepNetClassifier(n_hidden=1, n_neurons=8, max_iter=3, random_state=0)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     for call in range(5):
    ...         clf = clf.partial_fit(X, y, classes=[0, 1, 2])
    >>> sum(issubclass(w.category, ScheduleBudgetWarning) for w in caught)
    1
    """


class SingleClassWarning(RuntimeWarning):
    """A classifier was fitted on targets with only one class.

    scikit-learn's MLPClassifier fits such targets and predicts that class
    everywhere, and sknn's MLP classifiers keep that behaviour (a drop-in
    contract, which scikit-learn's own tests check with UserWarnings turned
    into errors), so this is a RuntimeWarning rather than a UserWarning.
    PerceptronClassifier refuses one class with a ValueError, as
    scikit-learn's Perceptron does.

    Examples
    --------
    >>> import warnings
    >>> from sknn import MLPClassifier
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     clf = MLPClassifier(hidden_layer_sizes=(2,), max_iter=5).fit([[0.0], [1.0]], [3, 3])
    >>> any(issubclass(w.category, SingleClassWarning) for w in caught)
    True
    >>> clf.predict([[5.0]])
    array([3])
    """


class InconsistentVersionWarning(UserWarning):
    """A model is loaded by another sknn version than the one that saved it.

    Attributes
    ----------
    estimator_name : str
    saved_version, current_version : str

    Examples
    --------
    >>> import pickle, warnings
    >>> from sknn import MLPClassifier
    >>> clf = MLPClassifier(hidden_layer_sizes=(2,), max_iter=5).fit([[0.0], [1.0]], [0, 1])
    >>> state = clf.__getstate__()
    >>> state["_sknn_version"] = "0.0.1"    # as if saved by another version
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     clf.__setstate__(state)
    >>> [str(w.message.saved_version) for w in caught
    ...  if issubclass(w.category, InconsistentVersionWarning)]
    ['0.0.1']
    """

    def __init__(self, estimator_name, saved_version, current_version):
        self.estimator_name = estimator_name
        self.saved_version = saved_version
        self.current_version = current_version

    def __str__(self):
        return (f"Loading {self.estimator_name} saved by sknn {self.saved_version} with sknn "
                f"{self.current_version}. Its internals may have changed between versions: "
                f"check its predictions, or refit it with this version.")


def warn_single_class(classes, argument="y"):
    """Warn (:class:`SingleClassWarning`) when ``classes`` has fewer than two labels."""
    if len(classes) < 2:
        warnings.warn(SingleClassWarning(
            f"{argument} has only one class ({np.asarray(classes).tolist()}): the classifier "
            f"learns nothing but to predict it everywhere (scikit-learn's MLPClassifier "
            f"does the same). Check the labels (or, in a cross-validation, use a stratified "
            f"splitter so every fold has each class)."), stacklevel=4)


def check_two_classes(classes, argument="y"):
    """Raise a ValueError when ``classes`` (the labels of ``argument``) has fewer than two.

    A classifier learns to separate classes: with one there is nothing to
    separate, and a model that always predicts it is no model of the data.

    Examples
    --------
    >>> check_two_classes(np.array([0, 1]))
    >>> check_two_classes(np.array(["spam"]))
    Traceback (most recent call last):
    ...
    ValueError: y has only one class (['spam']): a classifier needs at least two classes ...
    """
    if len(classes) < 2:
        raise ValueError(
            f"{argument} has only one class ({np.asarray(classes).tolist()}): a classifier "
            f"needs at least two classes to learn to separate them. Check the labels (or, in "
            f"a cross-validation, use a stratified splitter so every fold has each class).")


@contextlib.contextmanager
def explain_input_errors(**arguments):
    """Re-raise NumPy's conversion errors naming the argument and the problem.

    Validation converts array-likes with NumPy, whose messages ("setting an
    array element with a sequence", "could not convert string to float")
    say neither which argument was wrong nor what to do. Inside this
    context such a ValueError or TypeError is raised again, of the same
    type, with the offending argument (found among ``arguments``), the
    problem and a fix in front of the original message's first line.
    Other errors pass through unchanged.

    Examples
    --------
    >>> ragged = [[1.0, 2.0], [3.0]]
    >>> try:
    ...     with explain_input_errors(X=ragged):
    ...         np.asarray(ragged, dtype=float)
    ... except ValueError as error:
    ...     print(str(error)[:47])
    X is a ragged nested sequence: its rows have di
    """
    try:
        yield
    except (ValueError, TypeError) as error:
        explanation = _explain(str(error), arguments)
        if explanation is None:
            raise
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise type(error)(f"{explanation} ({first_line})") from error


def _as_array(value):
    """``value``'s values as an ndarray, or None where NumPy cannot stack them (ragged)."""
    if sp.issparse(value):
        return value.data
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(value)
    except (ValueError, TypeError):
        return None


def _is_ragged(value):
    return value is not None and _as_array(value) is None


def _is_complex(value):
    array = _as_array(value)
    if array is None:
        return False
    return array.dtype.kind == "c" or (
        array.dtype.kind == "O" and any(isinstance(item, complex) for item in array.flat))


def _is_non_numeric(value):
    array = _as_array(value)
    if array is None or array.dtype.kind not in "OUSV":
        return False
    try:
        array.astype(np.float64)
    except (ValueError, TypeError):
        return True
    return False


_PROBLEMS = (
    (("setting an array element with a sequence", "inhomogeneous"), _is_ragged,
     "{name} is a ragged nested sequence: its rows have different lengths, so it is not "
     "a 2-D array of shape (n_samples, n_features). Give every row the same number of "
     "values"),
    (("Complex data not supported",), _is_complex,
     "{name} contains complex numbers, which sknn's networks cannot train on: pass real "
     "features instead, e.g. np.real and np.imag as separate columns, or np.abs"),
    (("could not convert", "argument must be a string or a", "Unable to convert",
      "dtype='numeric' is not compatible"), _is_non_numeric,
     "{name} contains non-numeric values (strings or other objects) where numbers are "
     "expected. Encode categorical features first, e.g. with "
     "sklearn.preprocessing.OneHotEncoder or OrdinalEncoder"),
)


def _explain(message, arguments):
    for fragments, has_problem, explanation in _PROBLEMS:
        if any(fragment in message for fragment in fragments):
            for name, value in arguments.items():
                if has_problem(value):
                    return explanation.format(name=name)
    return None
