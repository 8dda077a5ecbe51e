"""Training history: loss, validation loss and score per epoch, with the learning rate."""

from __future__ import annotations

import numpy as np

from sknn.plot._base import as_float_series, estimator_name, import_pyplot, layout_axes

#: Label of the twin Axes holding the learning rate, so a later plot on the
#: same Axes (another model to compare) draws into it instead of adding one.
LEARNING_RATE_AXES_LABEL = "sknn: learning rate"


def _series_or_none(values, n_epochs, field):
    """``values`` as a float series of ``n_epochs`` entries, or None if nothing is recorded."""
    if values is None:
        return None
    series = as_float_series(values)
    if series.shape != (n_epochs,):
        raise ValueError(f"{field} has {series.shape[0]} entries for {n_epochs} epochs of "
                         "loss; every series needs one value per epoch.")
    return None if np.isnan(series).all() else series


class TrainingHistoryDisplay:
    """Training history of a network: loss, validation loss and score per epoch.

    The loss panel shows the training loss (solid) and the validation loss
    (dashed) with the learning rate of each epoch on a twin y-axis (dotted,
    logarithmic when it spans at least a factor of 10); a second panel
    shows the validation score when there is one. Several models drawn on
    the same Axes (``ax=display.axes_``) share the panels, one colour per
    model, which compares learning rates or schedules.

    Build it with :meth:`from_estimator` (an sknn network's ``history_``, or
    the ``loss_curve_`` and ``validation_scores_`` of any scikit-learn style
    MLP) or :meth:`from_history`; the constructor only stores the data.

    Parameters
    ----------
    loss : array-like of shape (n_epochs,)
        Training loss of each epoch (the mean minibatch loss, penalties
        included, as ``loss_curve_`` records it).
    val_loss : array-like of shape (n_epochs,) or None, default=None
        Loss on the validation set after each epoch; NaN where missing.
    val_score : array-like of shape (n_epochs,) or None, default=None
        Score (accuracy, R^2) on the validation set after each epoch.
    learning_rate : array-like of shape (n_epochs,) or None, default=None
        Learning rate each epoch started with.
    estimator_name : str or None, default=None
        Name used in the legend.

    Attributes
    ----------
    epochs : ndarray of shape (n_epochs,)
        ``1, 2, ..., n_epochs``.
    loss, val_loss, val_score, learning_rate : ndarray of shape (n_epochs,) or None
        The series as floats (None for a series never recorded).
    ax_ : matplotlib Axes
        The loss panel.
    lr_ax_ : matplotlib Axes or None
        The twin Axes of the learning rate.
    score_ax_ : matplotlib Axes or None
        The validation-score panel.
    axes_ : ndarray of matplotlib Axes
        Every panel, loss panel first.
    figure_ : matplotlib Figure
    lines_ : dict of str to matplotlib Line2D
        The drawn lines, keyed ``'loss'``, ``'val_loss'``, ``'val_score'``
        and ``'learning_rate'``.

    See Also
    --------
    LRFinderDisplay : Loss against learning rate in a range test.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import load_iris
    >>> from sknn import MLPClassifier
    >>> from sknn.plot import TrainingHistoryDisplay
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(8,), early_stopping=True,
    ...                     n_iter_no_change=50, max_iter=15, tol=0.0, random_state=0)
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     clf = clf.fit(X, y)
    >>> display = TrainingHistoryDisplay.from_estimator(clf)
    >>> len(display.epochs), display.val_score.shape
    (15, (15,))
    >>> sorted(display.lines_)
    ['learning_rate', 'loss', 'val_loss', 'val_score']
    >>> plt.close(display.figure_)
    """

    def __init__(self, *, loss, val_loss=None, val_score=None, learning_rate=None,
                 estimator_name=None):
        self.loss = as_float_series(np.ravel(loss))
        n_epochs = self.loss.shape[0]
        if n_epochs == 0:
            raise ValueError("loss is empty: a training history needs at least one epoch.")
        self.val_loss = _series_or_none(val_loss, n_epochs, "val_loss")
        self.val_score = _series_or_none(val_score, n_epochs, "val_score")
        self.learning_rate = _series_or_none(learning_rate, n_epochs, "learning_rate")
        self.epochs = np.arange(1, n_epochs + 1)
        self.estimator_name = estimator_name

    @classmethod
    def from_history(cls, history, *, name=None, ax=None, show_learning_rate=True):
        """Plot a history dict such as an sknn estimator's ``history_``.

        Parameters
        ----------
        history : dict
            ``'loss'`` (required), and optionally ``'val_loss'``,
            ``'val_score'`` and ``'learning_rate'``: one value per epoch,
            None where an epoch has none. Other keys are ignored.
        name : str or None, default=None
            Name used in the legend.
        ax : matplotlib Axes, array-like of Axes or None, default=None
            See :meth:`plot`.
        show_learning_rate : bool, default=True
            See :meth:`plot`.

        Returns
        -------
        display : TrainingHistoryDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from sknn.plot import TrainingHistoryDisplay
        >>> history = {"loss": [1.0, 0.6, 0.5], "learning_rate": [0.1, 0.05, 0.01]}
        >>> display = TrainingHistoryDisplay.from_history(history)
        >>> display.score_ax_ is None, display.lr_ax_.get_yscale()
        (True, 'log')
        >>> plt.close(display.figure_)
        """
        if "loss" not in history:
            raise ValueError(f"history needs a 'loss' entry, got keys {sorted(history)}.")
        display = cls(loss=history["loss"], val_loss=history.get("val_loss"),
                      val_score=history.get("val_score"),
                      learning_rate=history.get("learning_rate"), estimator_name=name)
        return display.plot(ax=ax, show_learning_rate=show_learning_rate)

    @classmethod
    def from_estimator(cls, estimator, *, name=None, ax=None, show_learning_rate=True):
        """Plot the training history of a fitted network.

        Reads an sknn estimator's ``history_``; series it lacks come from
        ``loss_curve_`` and ``validation_scores_``, so scikit-learn's own
        MLPClassifier and MLPRegressor work too (without validation loss and
        learning rate). An sknn network fitted with ``solver='lbfgs'``
        records one entry per L-BFGS iteration (the objective, no learning
        rate), drawn the same way.

        Parameters
        ----------
        estimator : fitted estimator
            An sknn network, or any estimator with ``loss_curve_``.
        name : str or None, default=None
            Name used in the legend; None uses the class name.
        ax : matplotlib Axes, array-like of Axes or None, default=None
            See :meth:`plot`.
        show_learning_rate : bool, default=True
            See :meth:`plot`.

        Returns
        -------
        display : TrainingHistoryDisplay

        Raises
        ------
        ValueError
            When the estimator recorded no history (not fitted, or
            scikit-learn's own MLP fitted with ``solver='lbfgs'``).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import warnings
        >>> from sklearn.datasets import make_regression
        >>> from sknn import MLPRegressor
        >>> from sknn.plot import TrainingHistoryDisplay
        >>> X, y = make_regression(n_samples=60, n_features=3, random_state=0)
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     reg = MLPRegressor(max_iter=5, random_state=0).fit(X, y)
        >>> display = TrainingHistoryDisplay.from_estimator(reg)
        >>> bool((display.loss == reg.loss_curve_).all()), display.val_loss is None
        (True, True)
        >>> plt.close(display.figure_)
        """
        history = dict(getattr(estimator, "history_", None) or {})
        loss_curve = getattr(estimator, "loss_curve_", None)
        if not history.get("loss") and loss_curve is None:
            raise ValueError(
                f"{type(estimator).__name__} has no training history (no history_ or "
                "loss_curve_): fit it first (scikit-learn's own MLPs record none with "
                "solver='lbfgs').")
        if not history.get("loss"):
            history["loss"] = loss_curve
        if _all_missing(history.get("val_score")):
            history["val_score"] = getattr(estimator, "validation_scores_", None)
        display = cls(loss=history["loss"], val_loss=history.get("val_loss"),
                      val_score=history.get("val_score"),
                      learning_rate=history.get("learning_rate"),
                      estimator_name=estimator_name(estimator, name))
        return display.plot(ax=ax, show_learning_rate=show_learning_rate)

    def plot(self, ax=None, *, name=None, show_learning_rate=True):
        """Draw the history.

        Parameters
        ----------
        ax : matplotlib Axes, array-like of Axes or None, default=None
            None creates a figure. With a validation score two panels are
            drawn (loss, score): one Axes given is split into them, or pass
            two Axes (for instance an earlier display's ``axes_``, to add a
            model to its panels). Without a score, one Axes.
        name : str or None, default=None
            Name used in the legend; None uses ``estimator_name``.
        show_learning_rate : bool, default=True
            Draw the learning rate on a twin y-axis of the loss panel (when
            it was recorded).

        Returns
        -------
        display : TrainingHistoryDisplay
            This object, with ``ax_``, ``axes_``, ``figure_``, ``lines_``,
            ``lr_ax_`` and ``score_ax_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from sknn.plot import TrainingHistoryDisplay
        >>> slow = TrainingHistoryDisplay(loss=[1.0, 0.9, 0.8], val_score=[0.5, 0.6, 0.6],
        ...                               learning_rate=[1e-3] * 3, estimator_name="slow")
        >>> fast = TrainingHistoryDisplay(loss=[1.0, 0.5, 0.3], val_score=[0.6, 0.8, 0.9],
        ...                               learning_rate=[1e-1] * 3, estimator_name="fast")
        >>> slow = slow.plot()
        >>> fast = fast.plot(ax=slow.axes_)  # same panels, next colour
        >>> len(slow.ax_.get_lines()), slow.lr_ax_ is fast.lr_ax_
        (2, True)
        >>> slow.lr_ax_.get_yscale()
        'log'
        >>> plt.close(slow.figure_)
        """
        plt = import_pyplot(f"{type(self).__name__}.plot")
        name = self.estimator_name if name is None else name
        has_score = self.val_score is not None
        axes, _ = layout_axes(plt, ax, 2 if has_score else 1, 1,
                              figsize=(6.4, 6.4 if has_score else 4.0),
                              caller=f"{type(self).__name__}.plot")
        loss_ax = axes[0, 0]
        prefix = f"{name}: " if name else ""
        lines = {}
        lines["loss"], = loss_ax.plot(self.epochs, self.loss, label=f"{prefix}training loss")
        color = lines["loss"].get_color()
        if self.val_loss is not None:
            lines["val_loss"], = loss_ax.plot(self.epochs, self.val_loss, color=color,
                                              linestyle="--", label=f"{prefix}validation loss")
        loss_ax.set_xlabel("epoch")
        loss_ax.set_ylabel("loss")

        lr_ax = None
        if show_learning_rate and self.learning_rate is not None:
            lr_ax = _learning_rate_axes(loss_ax)
            lines["learning_rate"], = lr_ax.plot(self.epochs, self.learning_rate, color=color,
                                                 linestyle=":", linewidth=1.2,
                                                 label=f"{prefix}learning rate")
            # every model drawn on this twin decides its scale together
            rates = np.concatenate([np.asarray(line.get_ydata(), dtype=float)
                                    for line in lr_ax.get_lines()])
            rates = rates[np.isfinite(rates)]
            if rates.size and rates.min() > 0 and rates.max() >= 10 * rates.min():
                lr_ax.set_yscale("log")
            lr_ax.set_ylabel("learning rate")
        _legend(loss_ax, lr_ax)

        score_ax = None
        if has_score:
            score_ax = axes[1, 0]
            lines["val_score"], = score_ax.plot(self.epochs, self.val_score, color=color,
                                                label=f"{prefix}validation score")
            score_ax.set_xlabel("epoch")
            score_ax.set_ylabel("validation score")
            score_ax.legend()

        self.ax_, self.lr_ax_, self.score_ax_ = loss_ax, lr_ax, score_ax
        self.axes_ = axes.ravel()
        self.figure_ = loss_ax.figure
        self.lines_ = lines
        return self


def _all_missing(values):
    return values is None or all(value is None for value in values)


def _learning_rate_axes(loss_ax):
    """The loss panel's learning-rate twin, made on first use."""
    for sibling in loss_ax.get_shared_x_axes().get_siblings(loss_ax):
        if sibling is not loss_ax and sibling.get_label() == LEARNING_RATE_AXES_LABEL:
            return sibling
    twin = loss_ax.twinx()
    twin.set_label(LEARNING_RATE_AXES_LABEL)
    return twin


def _legend(loss_ax, lr_ax):
    handles = list(loss_ax.get_lines()) + (list(lr_ax.get_lines()) if lr_ax is not None else [])
    loss_ax.legend(handles, [line.get_label() for line in handles], fontsize="small")
