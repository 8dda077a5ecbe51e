"""The learning-rate range test ("LR finder") for sknn's network estimators.

:func:`lr_find` trains a copy of an estimator for a few hundred minibatch
steps while the learning rate grows exponentially, records the smoothed
training loss at each rate and suggests a rate a little below the point
where the loss stops falling (Leslie Smith's range test, as popularized by
fastai and the Hands-On Machine Learning textbook).
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline

from sknn.engines._threads import compute_threads
from sknn.estimators._base import BaseMultilayerPerceptron
from sknn.fitting import build_engine
from sknn.nn.optimizers import OPTIMIZERS
from sknn.training import resolve_batch_size

__all__ = ["LRFinderResult", "lr_find"]

#: The suggestion is the rate of the lowest smoothed loss divided by this.
SUGGESTION_DIVISOR = 10.0


@dataclass(frozen=True, eq=False)
class LRFinderResult:
    """What :func:`lr_find` measured.

    Parameters
    ----------
    learning_rates : ndarray of shape (n_recorded,)
        The rate of each step taken, growing geometrically from ``min_lr``.
        Shorter than ``n_steps`` when the test stopped on divergence.
    losses : ndarray of shape (n_recorded,)
        The exponentially smoothed, bias-corrected training loss after each
        step (the batch loss as the estimator's ``loss_curve_`` counts it:
        data loss plus penalties).
    suggestion : float
        A learning rate to train with: the rate of the lowest smoothed loss
        divided by 10 (never below ``min_lr``). At the minimum the loss is
        about to climb, so a rate ten times lower is still fast but stable.

    Examples
    --------
    >>> import numpy as np
    >>> result = LRFinderResult(np.array([1e-3, 1e-2, 1e-1]),
    ...                         np.array([1.0, 0.5, 3.0]), 1e-3)
    >>> result.suggestion
    0.001
    """

    learning_rates: np.ndarray
    losses: np.ndarray
    suggestion: float

    def plot(self, ax=None):
        """Draw the smoothed loss against the learning rate (log x-axis).

        The suggested rate is marked by a dashed vertical line and a dot on
        the curve. A shortcut for
        :meth:`sknn.plot.LRFinderDisplay.from_result`, whose display object
        keeps the drawn artists.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            Axes to draw on; None creates a new figure.

        Returns
        -------
        ax : matplotlib.axes.Axes
            The axes drawn on.

        Raises
        ------
        ImportError
            Without matplotlib (the ``plot`` extra).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np
        >>> result = LRFinderResult(np.array([1e-3, 1e-2, 1e-1]),
        ...                         np.array([1.0, 0.5, 3.0]), 1e-3)
        >>> ax = result.plot()
        >>> ax.get_xscale(), ax.get_xlabel()
        ('log', 'learning rate')
        >>> plt.close(ax.figure)
        """
        # sknn.plot imports this module (its display runs lr_find), so the
        # way back is imported when a plot is asked for, not with the module
        from sknn.plot import LRFinderDisplay

        return LRFinderDisplay.from_result(self, ax=ax).ax_


def _check_arguments(min_lr, max_lr, n_steps, batch_size, smoothing, divergence_factor):
    def real(value):
        return isinstance(value, Real) and not isinstance(value, bool) and np.isfinite(value)

    if not (real(min_lr) and min_lr > 0):
        raise ValueError(f"min_lr must be a positive float, got {min_lr!r}.")
    if not (real(max_lr) and max_lr > min_lr):
        raise ValueError(f"max_lr must be a float greater than min_lr={min_lr!r}, "
                         f"got {max_lr!r}.")
    if not (isinstance(n_steps, Integral) and not isinstance(n_steps, bool) and n_steps >= 2):
        raise ValueError(f"n_steps must be an integer >= 2, got {n_steps!r}.")
    if batch_size is not None and not (isinstance(batch_size, Integral)
                                       and not isinstance(batch_size, bool) and batch_size >= 1):
        raise ValueError(f"batch_size must be None or a positive integer, got {batch_size!r}.")
    if not (real(smoothing) and 0 <= smoothing < 1):
        raise ValueError(f"smoothing must be in [0, 1), got {smoothing!r}.")
    if not (real(divergence_factor) and divergence_factor > 1):
        raise ValueError(f"divergence_factor must be a float > 1, got {divergence_factor!r}.")


def _check_estimator(estimator):
    network = estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator
    if not isinstance(network, BaseMultilayerPerceptron):
        if isinstance(estimator, Pipeline):
            # 'passthrough' (or None) as the last step: show the value itself
            last = (repr(network) if network is None or isinstance(network, str)
                    else type(network).__name__)
            got = f"a Pipeline ending in {last}"
        else:
            got = type(estimator).__name__
        raise TypeError("lr_find needs an sknn network estimator (MLPClassifier, "
                        "MLPRegressor, DeepNetClassifier, DeepNetRegressor) or a Pipeline "
                        f"ending in one, got {got}.")
    if network.solver not in OPTIMIZERS:
        raise ValueError(
            f"lr_find needs a stochastic solver, got solver={network.solver!r}: L-BFGS "
            "has no learning rate (it chooses its steps by line search). Use e.g. "
            "solver='adam' or solver='sgd'.")


def _network_and_its_input(estimator, X, y):
    """A clone of the network to test and the ``X`` it would be fitted on.

    For a Pipeline, a clone's earlier steps are fitted on ``X`` (with ``y``,
    as ``Pipeline.fit`` gives it) and transform it, so the network trains on
    what the pipeline would feed it; the pipeline passed in is untouched.
    """
    if not isinstance(estimator, Pipeline):
        return clone(estimator), X
    pipeline = clone(estimator)
    if len(pipeline.steps) > 1:
        X = pipeline[:-1].fit_transform(X, y)
    return pipeline.steps[-1][1], X


def _training_setup(net, X, y, batch_size):
    """Engine, data and batch size of ``net``, initialized exactly as ``fit`` would.

    All of ``X`` trains (no early-stopping hold-out). ``net`` is a fresh
    clone: the fitted attributes its fit plan sets are harmless.
    """
    net._validate_params()
    plan = net._plan_fit(X, y, None, incremental=False, hold_out=False)
    engine = build_engine(plan)
    data = engine.prepare(plan.X, plan.Y, plan.sample_weight)
    batch_size = resolve_batch_size(net.batch_size if batch_size is None else batch_size,
                                    data.n_samples)
    return engine, data, batch_size


def _batches(rng, n_samples, batch_size):
    """Endless shuffled minibatch indices, epoch after epoch.

    A short last batch is skipped when there is a full one (its noisier
    loss would show as spikes in the curve).
    """
    stop = n_samples - n_samples % batch_size if n_samples >= batch_size else n_samples
    while True:
        order = rng.permutation(n_samples)
        for start in range(0, stop, batch_size):
            yield order[start:start + batch_size]


def lr_find(estimator, X, y, *, min_lr=1e-5, max_lr=10.0, n_steps=200, batch_size=None,
            smoothing=0.98, divergence_factor=4.0, random_state=None):
    """Learning-rate range test: the loss as the learning rate grows exponentially.

    A clone of ``estimator`` (the estimator itself is never modified) is
    initialized exactly as ``fit`` would initialize it, then trained for up
    to ``n_steps`` shuffled minibatch steps (cycling over the data as often
    as needed) with its own solver, the rate of step ``i`` being
    ``min_lr * (max_lr / min_lr) ** (i / (n_steps - 1))``. After each step
    the batch loss enters an exponential moving average, bias-corrected as
    in Adam: ``avg = smoothing * avg + (1 - smoothing) * loss`` and
    ``smoothed = avg / (1 - smoothing ** (i + 1))``. The test stops early
    once the smoothed loss exceeds ``divergence_factor`` times its minimum
    so far, or becomes NaN or infinite.

    The estimator's schedule (``learning_rate``), ``early_stopping`` and
    ``max_iter`` play no part: every row of ``X`` trains and the rate is the
    test's. Its ``class_weight`` weights the loss as in ``fit``.

    A :class:`~sklearn.pipeline.Pipeline` whose last step is an sknn network
    is tested as it would be fitted: a clone's earlier steps are fitted on
    ``X`` and transform it (``fit_transform`` through them, with ``y``, as
    ``Pipeline.fit`` does), and the range test runs on its last step with
    the transformed data.

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor, DeepNetClassifier, DeepNetRegressor or Pipeline
        The configuration to test, fitted or not, or a Pipeline ending in
        one; the network needs a stochastic solver.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.
    min_lr : float, default=1e-5
        Rate of the first step.
    max_lr : float, default=10.0
        Rate of the last step (reached only if the loss never diverges).
    n_steps : int, default=200
        Number of steps, at least 2.
    batch_size : int or None, default=None
        Minibatch size; None uses the estimator's ``batch_size``.
    smoothing : float, default=0.98
        Weight of the past in the moving average of the loss, in [0, 1);
        0 records the raw batch losses.
    divergence_factor : float, default=4.0
        Stop once the smoothed loss exceeds this multiple of its minimum.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, dropout and the minibatch order; None
        uses the estimator's ``random_state``.

    Returns
    -------
    result : LRFinderResult
        ``learning_rates`` and smoothed ``losses`` of the steps taken, and
        ``suggestion``: the rate of the lowest smoothed loss divided by 10,
        clipped to at least ``min_lr``. Its :meth:`~LRFinderResult.plot`
        draws the curve.

    Raises
    ------
    ValueError
        For ``solver='lbfgs'`` (no learning rate) and invalid arguments.
    TypeError
        When ``estimator`` is neither an sknn network estimator nor a
        Pipeline ending in one.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn import MLPClassifier, lr_find
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = MLPClassifier(hidden_layer_sizes=(32,), batch_size=16, random_state=0)
    >>> result = lr_find(clf, X, y, n_steps=100)
    >>> float(result.learning_rates[0])
    1e-05
    >>> bool(1e-5 < result.suggestion < result.learning_rates[-1])
    True
    >>> clf = clf.set_params(learning_rate_init=result.suggestion, max_iter=30)
    >>> clf.fit(X, y).score(X, y) > 0.9
    True

    In a pipeline, the network is tested on the data its earlier steps
    make; the pipeline itself stays unfitted:

    >>> from sklearn.pipeline import make_pipeline
    >>> X_raw, y = load_iris(return_X_y=True)
    >>> pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(32,),
    ...                                                      batch_size=16))
    >>> in_pipeline = lr_find(pipe, X_raw, y, n_steps=100, random_state=0)
    >>> by_hand = lr_find(pipe[-1], StandardScaler().fit_transform(X_raw), y, n_steps=100,
    ...                   random_state=0)
    >>> in_pipeline.suggestion == by_hand.suggestion
    True
    >>> hasattr(pipe[0], "mean_")
    False
    """
    _check_arguments(min_lr, max_lr, n_steps, batch_size, smoothing, divergence_factor)
    _check_estimator(estimator)
    net, X = _network_and_its_input(estimator, X, y)
    if random_state is not None:
        net.set_params(random_state=random_state)
    engine, data, batch_size = _training_setup(net, X, y, batch_size)
    schedule = min_lr * (max_lr / min_lr) ** (np.arange(n_steps) / (n_steps - 1))
    batches = _batches(net._random_state, data.n_samples, batch_size)

    rates, losses = [], []
    average, best = 0.0, np.inf
    with compute_threads(engine.spec, batch_size):
        for step, lr in enumerate(schedule):
            loss = engine.train_step(data, next(batches), float(lr))
            if loss is None:  # a minibatch without weight: no step was taken
                continue
            loss = float(loss)
            average = smoothing * average + (1 - smoothing) * loss
            smoothed = average / (1 - smoothing ** (step + 1))
            if not np.isfinite(smoothed):
                break
            rates.append(float(lr))
            losses.append(smoothed)
            best = min(best, smoothed)
            if smoothed > divergence_factor * best:
                break

    if not losses:
        raise ValueError(
            f"The loss was not finite at the first step (learning rate {min_lr:g}); the "
            "input data may contain large values and need to be preprocessed.")
    rates, losses = np.array(rates), np.array(losses)
    rates.flags.writeable = losses.flags.writeable = False
    suggestion = max(float(rates[np.argmin(losses)]) / SUGGESTION_DIVISOR, float(min_lr))
    return LRFinderResult(rates, losses, suggestion)
