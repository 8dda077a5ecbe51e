"""What every display shares: the lazy matplotlib import and panel layout."""

from __future__ import annotations

import numpy as np

#: TensorFlow Playground's two colours: orange for negative values and the
#: first class, blue for positive values and the second class.
PLAYGROUND_ORANGE = "#f59322"
PLAYGROUND_BLUE = "#0877bd"


def import_pyplot(caller):
    """``matplotlib.pyplot``, or an ImportError naming the ``plot`` extra.

    Displays import matplotlib only when they draw, so ``import sknn`` and
    ``import sknn.plot`` work without it.
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs matplotlib; install it with "
            "pip install \"sknn-learn[plot]\" (the 'plot' extra) or "
            "pip install matplotlib.") from exc
    return plt


def layout_axes(plt, ax, n_rows, n_cols, *, figsize, caller, **grid_kw):
    """A 2-D array of ``n_rows x n_cols`` Axes to draw on, and the bounding Axes.

    ``ax`` None creates a new figure. One Axes is used as is when a single
    panel is wanted; otherwise its area is split into the grid (the Axes is
    turned off and returned as the bounding Axes, as scikit-learn's
    PartialDependenceDisplay does). An array-like of Axes is used as given
    and must hold exactly ``n_rows * n_cols`` of them.
    """
    from matplotlib.axes import Axes

    if isinstance(ax, Axes) and n_rows * n_cols == 1:
        return np.array([[ax]], dtype=object), None
    if ax is None or isinstance(ax, Axes):
        figure, grid, bounding_ax = split_area(plt, ax, n_rows, n_cols, figsize=figsize,
                                               caller=caller, **grid_kw)
        return _grid_axes(figure, grid, n_rows, n_cols), bounding_ax
    axes = np.asarray(ax, dtype=object)
    if axes.size != n_rows * n_cols or not all(isinstance(a, Axes) for a in axes.flat):
        raise ValueError(
            f"{caller} draws {n_rows * n_cols} panel(s); ax must be None, one matplotlib "
            f"Axes or an array-like of {n_rows * n_cols} Axes, got {ax!r}.")
    return axes.reshape(n_rows, n_cols), None


def split_area(plt, ax, n_rows, n_cols, *, figsize, caller, **grid_kw):
    """``(figure, grid spec, bounding Axes)``: a new figure's grid, or one inside ``ax``.

    ``ax`` None creates a figure (constrained layout) of ``figsize``;
    otherwise the area of ``ax`` is divided and ``ax`` itself turned off.
    """
    if ax is None:
        figure = plt.figure(figsize=figsize, layout="constrained")
        return figure, figure.add_gridspec(n_rows, n_cols, **grid_kw), None
    spec = ax.get_subplotspec()
    if spec is None:
        raise ValueError(
            f"{caller} splits ax into {n_rows}x{n_cols} panels, which needs an Axes "
            "made by plt.subplots or fig.add_subplot (this one has no subplot "
            "position); pass the panels' Axes instead.")
    ax.set_axis_off()
    return ax.figure, spec.subgridspec(n_rows, n_cols, **grid_kw), ax


def _grid_axes(figure, grid, n_rows, n_cols):
    axes = np.empty((n_rows, n_cols), dtype=object)
    for row in range(n_rows):
        for col in range(n_cols):
            axes[row, col] = figure.add_subplot(grid[row, col])
    return axes


def estimator_name(estimator, name):
    """``name`` if given, else the estimator's class name."""
    return name if name is not None else type(estimator).__name__


def as_float_series(values):
    """A float array with NaN where ``values`` holds None (an epoch without the value)."""
    return np.array([np.nan if value is None else float(value) for value in values],
                    dtype=float)
