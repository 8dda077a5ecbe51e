"""The learning-rate range test's curve, with its suggested rate marked."""

from __future__ import annotations

import numpy as np

from sknn.lr_finder import LRFinderResult, lr_find
from sknn.plot._base import estimator_name, import_pyplot, layout_axes


class LRFinderDisplay:
    """Smoothed training loss against the learning rate, suggestion marked.

    The curve of :func:`sknn.lr_find` on a logarithmic rate axis, with a
    dashed vertical line and a dot on the curve at the suggested rate. Build
    it with :meth:`from_estimator` (runs the test) or :meth:`from_result`
    (an existing :class:`~sknn.lr_finder.LRFinderResult`); the constructor
    only stores the data.

    Parameters
    ----------
    learning_rates : array-like of shape (n_steps,)
        Rate of each step.
    losses : array-like of shape (n_steps,)
        Smoothed training loss after each step.
    suggestion : float or None, default=None
        Rate to mark; None marks nothing.
    estimator_name : str or None, default=None
        Name used in the legend.

    Attributes
    ----------
    learning_rates, losses : ndarray of shape (n_steps,)
    suggestion : float or None
    suggestion_loss : float or None
        The curve's loss at ``suggestion`` (interpolated in log rate).
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    line_ : matplotlib Line2D
        The loss curve.
    suggestion_line_ : matplotlib Line2D or None
        The dashed vertical line at the suggested rate.
    suggestion_marker_ : matplotlib Line2D or None
        The dot on the curve at the suggested rate.

    See Also
    --------
    sknn.lr_find : The range test itself.
    TrainingHistoryDisplay : Loss and learning rate per epoch of a fit.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn import MLPClassifier
    >>> from sknn.plot import LRFinderDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), batch_size=16, random_state=0)
    >>> display = LRFinderDisplay.from_estimator(clf, X, y, n_steps=60)
    >>> display.ax_.get_xscale()
    'log'
    >>> bool(display.learning_rates[0] <= display.suggestion <= display.learning_rates[-1])
    True
    >>> plt.close(display.figure_)
    """

    def __init__(self, *, learning_rates, losses, suggestion=None, estimator_name=None):
        self.learning_rates = np.asarray(learning_rates, dtype=float).ravel()
        self.losses = np.asarray(losses, dtype=float).ravel()
        if self.learning_rates.shape != self.losses.shape or self.losses.size == 0:
            raise ValueError(
                "learning_rates and losses need the same non-zero length, got "
                f"{self.learning_rates.shape[0]} and {self.losses.shape[0]}.")
        if (self.learning_rates <= 0).any():
            raise ValueError("learning_rates must be positive (they are drawn on a log axis).")
        self.suggestion = None if suggestion is None else float(suggestion)
        self.suggestion_loss = None
        if self.suggestion is not None:
            # the suggestion lies between recorded rates: interpolate as the
            # log axis draws the curve
            order = np.argsort(self.learning_rates)
            self.suggestion_loss = float(np.interp(
                np.log(self.suggestion), np.log(self.learning_rates[order]),
                self.losses[order]))
        self.estimator_name = estimator_name

    @classmethod
    def from_result(cls, result, *, name=None, ax=None):
        """Plot an :class:`~sknn.lr_finder.LRFinderResult`.

        Parameters
        ----------
        result : LRFinderResult
            What :func:`sknn.lr_find` returned.
        name : str or None, default=None
            Name used in the legend.
        ax : matplotlib Axes or None, default=None
            Axes to draw on; None creates a figure.

        Returns
        -------
        display : LRFinderDisplay

        Raises
        ------
        TypeError
            When ``result`` is not an :class:`~sknn.lr_finder.LRFinderResult`.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np
        >>> from sknn.lr_finder import LRFinderResult
        >>> from sknn.plot import LRFinderDisplay
        >>> result = LRFinderResult(np.array([1e-3, 1e-2, 1e-1]),
        ...                         np.array([1.0, 0.5, 3.0]), 1e-3)
        >>> display = LRFinderDisplay.from_result(result)
        >>> display.suggestion, display.suggestion_loss
        (0.001, 1.0)
        >>> plt.close(display.figure_)
        """
        if not isinstance(result, LRFinderResult):
            expected = "from_result needs the LRFinderResult that sknn.lr_find returns"
            if result is None:
                raise TypeError(f"{expected}, got None.")
            if isinstance(result, type):
                raise TypeError(f"{expected}, got the class {result.__name__}; call "
                                "sknn.lr_find(estimator, X, y) to get one.")
            raise TypeError(f"{expected}, got {type(result).__name__}. To plot arrays of "
                            "rates and losses, use LRFinderDisplay(learning_rates=..., "
                            "losses=...).plot().")
        display = cls(learning_rates=result.learning_rates, losses=result.losses,
                      suggestion=result.suggestion, estimator_name=name)
        return display.plot(ax=ax)

    @classmethod
    def from_estimator(cls, estimator, X, y, *, name=None, ax=None, **lr_find_params):
        """Run :func:`sknn.lr_find` on ``estimator`` and plot its curve.

        The estimator is not modified (the test trains a clone).

        Parameters
        ----------
        estimator : MLPClassifier, MLPRegressor, DeepNetClassifier, DeepNetRegressor or Pipeline
            The configuration to test, or a Pipeline ending in one (its
            earlier steps transform ``X`` first); the network needs a
            stochastic solver.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        name : str or None, default=None
            Name used in the legend; None uses the class name.
        ax : matplotlib Axes or None, default=None
            Axes to draw on; None creates a figure.
        **lr_find_params
            Passed to :func:`sknn.lr_find` (``min_lr``, ``max_lr``,
            ``n_steps``, ``batch_size``, ``smoothing``,
            ``divergence_factor``, ``random_state``).

        Returns
        -------
        display : LRFinderDisplay
        """
        import_pyplot(f"{cls.__name__}.from_estimator")  # fail before training
        result = lr_find(estimator, X, y, **lr_find_params)
        return cls.from_result(result, name=estimator_name(estimator, name), ax=ax)

    def plot(self, ax=None, *, name=None):
        """Draw the curve and mark the suggestion.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            Axes to draw on; None creates a figure.
        name : str or None, default=None
            Name used in the legend; None uses ``estimator_name``.

        Returns
        -------
        display : LRFinderDisplay
            This object, with ``ax_``, ``figure_``, ``line_``,
            ``suggestion_line_`` and ``suggestion_marker_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from sknn.plot import LRFinderDisplay
        >>> display = LRFinderDisplay(learning_rates=[1e-4, 1e-3, 1e-2, 1e-1],
        ...                           losses=[1.0, 0.8, 0.4, 2.0], suggestion=1e-3)
        >>> fig, ax = plt.subplots()
        >>> display.plot(ax=ax, name="adam").ax_ is ax
        True
        >>> display.line_.get_label()
        'adam: smoothed training loss'
        >>> plt.close(fig)
        """
        plt = import_pyplot(f"{type(self).__name__}.plot")
        ax = layout_axes(plt, ax, 1, 1, figsize=(6.4, 4.0),
                         caller=f"{type(self).__name__}.plot")[0][0, 0]
        name = self.estimator_name if name is None else name
        prefix = f"{name}: " if name else ""
        self.line_, = ax.plot(self.learning_rates, self.losses,
                              label=f"{prefix}smoothed training loss")
        self.suggestion_line_ = self.suggestion_marker_ = None
        if self.suggestion is not None:
            color = self.line_.get_color()
            self.suggestion_line_ = ax.axvline(
                self.suggestion, color=color, linestyle="--", linewidth=1.0,
                label=f"{prefix}suggested rate {self.suggestion:.3g}")
            self.suggestion_marker_, = ax.plot([self.suggestion], [self.suggestion_loss],
                                               marker="o", color=color, linestyle="none")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.set_title("Learning-rate range test")
        ax.legend()
        self.ax_, self.figure_ = ax, ax.figure
        return self
