"""Run an example script the way the test suite needs it: quick, headless, figures kept.

The examples are written for readers: they train for as long as their
results need, draw with matplotlib and end with ``plt.show()``. A test needs
a smoke run that leaves its figures behind as files. That is arranged around
the script, never inside it, so the code a reader copies has no test
plumbing:

* quick mode (:func:`quick_mode`): while it is on, ``fit`` of sknn's
  estimators, of scikit-learn's MLPs and of the randomized searches first
  lowers the training budget (``max_iter``, ``n_iter``, ...) to a few steps;
* everything runs in one process (joblib's workers would not see the
  lowered budget, and starting them costs more than a smoke run's work);
* the caller picks a non-interactive backend (``MPLBACKEND=Agg``), so
  ``plt.show()`` returns at once, and every figure still open when the
  script ends is saved as a PNG (what sphinx-gallery's matplotlib scraper
  does for the documentation).

Used in-process by the fork server of ``tests/test_examples.py`` and, as
``python tests/_examples_harness.py EXAMPLE OUTPUT_DIR``, where every
example gets a new interpreter.
"""

import contextlib
import functools
import inspect
import numbers
import runpy
import sys
import warnings
from pathlib import Path

# The most a fit may train in quick mode, per constructor parameter.
NETWORK_BUDGET = {"max_iter": 2, "fine_tune_iter": 1}
# A perceptron epoch is one pass of a linear unit, too cheap to matter; the
# cap only stops a runaway max_iter and leaves the logic gates enough epochs.
PERCEPTRON_BUDGET = {"max_iter": 50}
# Candidates of a randomized search: each one is several budgeted fits.
SEARCH_BUDGET = {"n_iter": 2, "n_candidates": 2}
# OptunaSearchCV's max_iter is the partial_fit epochs a pruned search gives a
# trial; it is lowered with its estimator's, which the final refit trains.
OPTUNA_SEARCH_BUDGET = {"n_trials": 2, "max_iter": NETWORK_BUDGET["max_iter"]}
# Stochastic forward passes of MC dropout, per call.
SAMPLING_BUDGET = {"n_samples": 5}

FIGURE_DPI = 60


def budgeted_fits():
    """``(class, budget)``: ``fit`` first lowers these constructor parameters."""
    from sklearn import neural_network
    from sklearn.experimental import enable_halving_search_cv  # noqa: F401 - defines the next
    from sklearn.model_selection import HalvingRandomSearchCV, RandomizedSearchCV

    import sknn

    pairs = [(cls, NETWORK_BUDGET) for cls in (
        sknn.MLPClassifier, sknn.MLPRegressor, sknn.DeepNetClassifier,
        sknn.DeepNetRegressor, sknn.StackedAutoencoder,
        neural_network.MLPClassifier, neural_network.MLPRegressor)]
    pairs.append((sknn.PerceptronClassifier, PERCEPTRON_BUDGET))
    pairs += [(RandomizedSearchCV, SEARCH_BUDGET), (HalvingRandomSearchCV, SEARCH_BUDGET)]
    try:
        from skopt import BayesSearchCV
    except ImportError:  # the example skips the Bayesian search too
        pass
    else:
        pairs.append((BayesSearchCV, SEARCH_BUDGET))
    try:
        from optuna_integration import OptunaSearchCV
    except ImportError:  # the examples that need it fail with a clear ImportError
        pass
    else:
        pairs.append((OptunaSearchCV, OPTUNA_SEARCH_BUDGET))
    return pairs


def budgeted_methods():
    """``(class, method name, budget)``: the method first lowers these arguments."""
    import sknn

    return [(cls, name, SAMPLING_BUDGET)
            for cls in (sknn.DeepNetClassifier, sknn.DeepNetRegressor)
            for name in ("mc_predict", "mc_predict_proba") if hasattr(cls, name)]


def exceeds(value, cap):
    return (cap is not None and isinstance(value, numbers.Real)
            and not isinstance(value, bool) and value > cap)


def lowered_params(estimator, budget):
    """The parameters of ``estimator`` that exceed ``budget``, at their caps.

    Nested estimators' parameters count too (``pretraining__max_iter``): an
    estimator may train one it holds without calling that one's ``fit``.
    """
    return {name: budget[name.rpartition("__")[2]]
            for name, value in estimator.get_params(deep=True).items()
            if exceeds(value, budget.get(name.rpartition("__")[2]))}


def fit_within_budget(fit, budget):
    """``fit`` that first lowers the estimator's parameters to ``budget``."""
    @functools.wraps(fit)
    def fit_with_lowered_params(self, *args, **kwargs):
        lowered = lowered_params(self, budget)
        if lowered:
            self.set_params(**lowered)
        return fit(self, *args, **kwargs)

    return fit_with_lowered_params


def method_within_budget(method, budget):
    """``method`` called with its arguments (given or default) lowered to ``budget``."""
    signature = inspect.signature(method)

    @functools.wraps(method)
    def method_with_lowered_arguments(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        for name, cap in budget.items():
            if exceeds(bound.arguments.get(name), cap):
                bound.arguments[name] = cap
        return method(*bound.args, **bound.kwargs)

    return method_with_lowered_arguments


@contextlib.contextmanager
def quick_mode():
    """Short training for every budgeted estimator, in one process; undone on exit.

    A subclass whose ``fit`` calls its parent's is lowered twice, to the same
    values, so each class is patched without looking at the others.
    """
    import joblib
    from sklearn.exceptions import ConvergenceWarning

    patches = [(cls, "fit", fit_within_budget, budget) for cls, budget in budgeted_fits()]
    patches += [(cls, name, method_within_budget, budget)
                for cls, name, budget in budgeted_methods()]
    originals = []
    try:
        for cls, name, within_budget, budget in patches:
            originals.append((cls, name, cls.__dict__.get(name)))
            setattr(cls, name, within_budget(getattr(cls, name), budget))
        with warnings.catch_warnings(), joblib.parallel_config(backend="sequential"):
            # a budget of a few epochs cannot converge; saying so is noise
            warnings.simplefilter("ignore", ConvergenceWarning)
            yield
    finally:
        for cls, name, own in reversed(originals):
            if own is None:  # it was inherited
                delattr(cls, name)
            else:
                setattr(cls, name, own)


def save_open_figures(output_dir):
    """Save every open matplotlib figure as ``figure_<n>.png``; the paths written."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:  # the script never imported it, so it drew nothing
        return []
    paths = []
    for number in pyplot.get_fignums():
        path = Path(output_dir) / f"figure_{number}.png"
        pyplot.figure(number).savefig(path, dpi=FIGURE_DPI)
        paths.append(path)
    pyplot.close("all")
    return paths


def run_example(path, output_dir):
    """Run ``path`` as ``python path`` would, in quick mode, then save its figures.

    Exceptions and ``SystemExit`` of the script propagate; figures are saved
    only after it ran to the end.
    """
    path = str(Path(path).resolve())
    sys.argv = [path]
    sys.path[0] = str(Path(path).parent)
    with quick_mode():
        runpy.run_path(path, run_name="__main__")
    return save_open_figures(output_dir)


if __name__ == "__main__":
    example, figures_dir = sys.argv[1:]
    run_example(example, figures_dir)
