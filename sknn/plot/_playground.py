"""Decision regions of a classifier on 2-D data, with what its first hidden units see."""

from __future__ import annotations

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

from sknn.estimators._base import BaseMultilayerPerceptron
from sknn.nn.activations import ACTIVATIONS
from sknn.plot._base import (
    PLAYGROUND_BLUE,
    PLAYGROUND_ORANGE,
    estimator_name,
    import_pyplot,
    layout_axes,
    split_area,
)
from sknn.spec import Activation

#: Hidden-unit panels stack in columns of at most this many.
PANEL_ROWS = 4


def first_layer_responses(estimator, X):
    """Activations of the first hidden layer's units at ``X``, or None without one.

    For an sknn network the layers of its spec up to the first activation
    run through the NumPy forward pass with the fitted weights, so batch
    norm placed before the activation (inference statistics), input
    dropout (a no-op at inference) and PReLU's learned slopes count as in
    prediction; batch norm placed after the activation does not change the
    units' own response and is left out. For other estimators with
    ``coefs_``, ``intercepts_`` and a registered ``activation`` (such as
    scikit-learn's MLPClassifier) the response is
    ``activation(X @ coefs_[0] + intercepts_[0])``.

    Parameters
    ----------
    estimator : fitted estimator
    X : ndarray of shape (n_samples, n_features)

    Returns
    -------
    responses : ndarray of shape (n_samples, n_units) or None

    Examples
    --------
    >>> import numpy as np
    >>> from sknn import MLPClassifier
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    >>> clf = MLPClassifier(hidden_layer_sizes=(3,), solver="lbfgs",
    ...                     random_state=0).fit(X, [0, 0, 1, 1])
    >>> responses = first_layer_responses(clf, X)
    >>> responses.shape
    (4, 3)
    >>> bool(np.allclose(responses, np.maximum(X @ clf.coefs_[0] + clf.intercepts_[0], 0)))
    True
    """
    coefs = getattr(estimator, "coefs_", None)
    if coefs is None or len(coefs) < 2:
        return None
    X = np.asarray(X, dtype=coefs[0].dtype)
    if isinstance(estimator, BaseMultilayerPerceptron):
        network = estimator._network()
        first_activation = next(index for index, layer in enumerate(network.spec.layers)
                                if isinstance(layer, Activation))
        return network.head(first_activation + 1).forward(X)
    activation = getattr(estimator, "activation", None)
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        return None
    pre_activation = X @ coefs[0] + estimator.intercepts_[0]
    return ACTIVATIONS.get(activation).forward(pre_activation)


def _playground_colormap():
    from matplotlib.colors import LinearSegmentedColormap

    return LinearSegmentedColormap.from_list(
        "sknn_playground", [PLAYGROUND_ORANGE, "#ffffff", PLAYGROUND_BLUE])


def _class_colors(plt, n_classes):
    """Orange and blue for two classes (as the Playground), matplotlib's tab10 beyond."""
    from matplotlib.colors import to_rgb

    if n_classes <= 2:
        return np.array([to_rgb(PLAYGROUND_ORANGE), to_rgb(PLAYGROUND_BLUE)])
    return np.array([plt.get_cmap("tab10")(k % 10)[:3] for k in range(n_classes)])


class PlaygroundDisplay:
    """Decision regions of a classifier on 2-D data, TensorFlow Playground style.

    The main panel shades the plane by the classifier's output (for two
    classes the positive-class probability, or the decision function of a
    classifier without probabilities, orange to blue; for more classes the
    predicted class's colour, paler where the classifier is less sure),
    draws the decision boundary (where :meth:`predict` changes) in black
    and the data points on top, coloured by class. Small panels beside it
    show what each unit of the first hidden layer responds to: its
    activation over the same plane (orange negative, white zero, blue
    positive, each panel on its own symmetric scale). A classifier without
    hidden layers (:class:`~sknn.PerceptronClassifier`, a linear model)
    gets the main panel only.

    Build it with :meth:`from_estimator`; the constructor only stores the data.

    Parameters
    ----------
    xx0, xx1 : ndarray of shape (grid_resolution, grid_resolution)
        Grid coordinates (``numpy.meshgrid``) of the two features.
    response : ndarray of shape (grid_resolution, grid_resolution[, n_classes])
        Positive-class probability or decision value on the grid (two
        classes), or one column per class (more).
    predictions : ndarray of shape (grid_resolution, grid_resolution)
        Predicted class labels on the grid.
    classes : ndarray of shape (n_classes,)
        The classifier's ``classes_``.
    response_method : {'predict_proba', 'decision_function'}
        What ``response`` holds.
    X : ndarray of shape (n_samples, 2) or None, default=None
        Points to draw.
    y : ndarray of shape (n_samples,) or None, default=None
        Their labels (None draws them grey).
    hidden_responses : ndarray of shape (n_units, grid_resolution, grid_resolution) or None
        Activation of each shown first-layer unit on the grid.
    hidden_units : ndarray of shape (n_units,) or None
        Index of each shown unit in the first hidden layer.
    xlabel, ylabel : str or None, default=None
        Axis labels.
    estimator_name : str or None, default=None
        Title of the main panel.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The main panel.
    hidden_axes_ : ndarray of matplotlib Axes
        One small panel per shown hidden unit (empty without).
    bounding_ax_ : matplotlib Axes or None
        The single Axes given as ``ax``, when it was split into panels.
    figure_ : matplotlib Figure
    surface_ : matplotlib AxesImage
        The shading of the main panel.
    boundary_ : matplotlib ContourSet or None
        The decision boundary (None where the grid has one predicted class).
    scatter_ : matplotlib PathCollection or None
        The data points.
    hidden_images_ : list of matplotlib AxesImage
        The shading of each hidden-unit panel.

    See Also
    --------
    sklearn.inspection.DecisionBoundaryDisplay : scikit-learn's decision
        boundary plot of any classifier, without hidden units.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from sklearn.datasets import make_moons
    >>> from sknn import MLPClassifier
    >>> from sknn.plot import PlaygroundDisplay
    >>> X, y = make_moons(n_samples=100, noise=0.1, random_state=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(6,), activation="tanh", solver="lbfgs",
    ...                     max_iter=500, random_state=0).fit(X, y)
    >>> display = PlaygroundDisplay.from_estimator(clf, X, y, grid_resolution=40)
    >>> display.predictions.shape, display.hidden_responses.shape
    ((40, 40), (6, 40, 40))
    >>> len(display.hidden_axes_)
    6
    >>> plt.close(display.figure_)
    """

    def __init__(self, *, xx0, xx1, response, predictions, classes, response_method,
                 X=None, y=None, hidden_responses=None, hidden_units=None, xlabel=None,
                 ylabel=None, estimator_name=None):
        self.xx0, self.xx1 = np.asarray(xx0), np.asarray(xx1)
        self.response = np.asarray(response)
        self.predictions = np.asarray(predictions)
        self.classes = np.asarray(classes)
        self.response_method = response_method
        self.X = None if X is None else np.asarray(X)
        self.y = None if y is None else np.asarray(y)
        self.hidden_responses = hidden_responses
        self.hidden_units = hidden_units
        self.xlabel, self.ylabel = xlabel, ylabel
        self.estimator_name = estimator_name

    @classmethod
    def from_estimator(cls, estimator, X, y=None, *, grid_resolution=100, margin=0.1,
                       response_method="auto", max_hidden_units=16, name=None, ax=None):
        """Evaluate a fitted classifier on a grid over ``X`` and plot it.

        Parameters
        ----------
        estimator : fitted classifier
            Single-output classifier trained on two features: any sknn
            classifier, or any scikit-learn classifier (hidden-unit panels
            need ``coefs_``, ``intercepts_`` and ``activation``, as in an MLP).
        X : array-like of shape (n_samples, 2)
            Data whose extent the grid covers; drawn as points. A DataFrame's
            column names label the axes and name the grid's columns.
        y : array-like of shape (n_samples,) or None, default=None
            Labels of ``X`` (colour of the points); None draws them grey.
        grid_resolution : int, default=100
            Grid points along each feature.
        margin : float, default=0.1
            Extra space around the data on each side, as a fraction of
            each feature's range.
        response_method : {'auto', 'predict_proba', 'decision_function'}, default='auto'
            What shades the plane; 'auto' prefers probabilities.
        max_hidden_units : int, default=16
            Show at most the first this many units of the first hidden
            layer; 0 shows none.
        name : str or None, default=None
            Title of the main panel; None uses the class name.
        ax : matplotlib Axes or None, default=None
            See :meth:`plot`.

        Returns
        -------
        display : PlaygroundDisplay

        Raises
        ------
        ValueError
            When ``X`` does not have two features, the estimator is not a
            fitted single-output classifier, or it has no such
            ``response_method``.
        """
        check_is_fitted(estimator)
        if not is_classifier(estimator):
            raise ValueError(f"PlaygroundDisplay draws a classifier's decisions; "
                             f"{type(estimator).__name__} is not a classifier.")
        columns = getattr(X, "columns", None)
        points = np.asarray(X, dtype=float)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"X must have exactly 2 features (columns) to be drawn on a "
                             f"plane, got shape {points.shape}.")
        if not (isinstance(grid_resolution, (int, np.integer)) and grid_resolution >= 2):
            raise ValueError(f"grid_resolution must be an integer >= 2, got {grid_resolution!r}.")
        if not (np.isfinite(margin) and margin >= 0):
            raise ValueError(f"margin must be a non-negative fraction, got {margin!r}.")
        if response_method not in ("auto", "predict_proba", "decision_function"):
            raise ValueError("response_method must be 'auto', 'predict_proba' or "
                             f"'decision_function', got {response_method!r}.")

        low, high = points.min(axis=0), points.max(axis=0)
        pad = margin * np.where(high > low, high - low, 1.0)
        xx0, xx1 = np.meshgrid(np.linspace(low[0] - pad[0], high[0] + pad[0], grid_resolution),
                               np.linspace(low[1] - pad[1], high[1] + pad[1], grid_resolution))
        grid = np.column_stack([xx0.ravel(), xx1.ravel()])
        grid_input = grid
        if columns is not None:
            import pandas as pd

            grid_input = pd.DataFrame(grid, columns=columns)

        predictions = np.asarray(estimator.predict(grid_input))
        if predictions.ndim != 1:
            raise ValueError(f"{type(estimator).__name__} predicts {predictions.shape[1]} "
                             "outputs per sample (multilabel); PlaygroundDisplay draws "
                             "single-output classifiers.")
        method = _resolve_response_method(estimator, response_method)
        response = np.asarray(getattr(estimator, method)(grid_input), dtype=float)
        classes = np.asarray(estimator.classes_)
        if response.ndim == 2 and len(classes) == 2:
            # two classes: one value per point, the positive class's
            response = response[:, 1] if response.shape[1] == 2 else response[:, 0]
        shape = xx0.shape
        response = response.reshape(shape + response.shape[1:])

        hidden_responses = hidden_units = None
        if max_hidden_units:
            responses = first_layer_responses(estimator, grid)
            if responses is not None:
                hidden_units = np.arange(min(max_hidden_units, responses.shape[1]))
                hidden_responses = np.moveaxis(responses[:, hidden_units], 1, 0).reshape(
                    (len(hidden_units),) + shape)

        xlabel, ylabel = (str(columns[0]), str(columns[1])) if columns is not None else (
            "feature 0", "feature 1")
        display = cls(xx0=xx0, xx1=xx1, response=response,
                      predictions=predictions.reshape(shape), classes=classes,
                      response_method=method, X=points, y=None if y is None else np.asarray(y),
                      hidden_responses=hidden_responses, hidden_units=hidden_units,
                      xlabel=xlabel, ylabel=ylabel,
                      estimator_name=estimator_name(estimator, name))
        return display.plot(ax=ax)

    def plot(self, ax=None, *, show_hidden=True, point_size=20):
        """Draw the decision regions, the points and the hidden-unit panels.

        Parameters
        ----------
        ax : matplotlib Axes or None, default=None
            None creates a figure. With hidden-unit panels to draw, one
            Axes (made by ``plt.subplots`` or ``fig.add_subplot``) is split
            into the panels and the main panel; without, it is the main
            panel.
        show_hidden : bool, default=True
            Draw the hidden-unit panels (when there are responses).
        point_size : float, default=20
            Marker area of the data points.

        Returns
        -------
        display : PlaygroundDisplay
            This object, with ``ax_``, ``hidden_axes_``, ``bounding_ax_``,
            ``figure_``, ``surface_``, ``boundary_``, ``scatter_`` and
            ``hidden_images_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from sklearn.datasets import make_circles
        >>> from sknn import MLPClassifier
        >>> from sknn.plot import PlaygroundDisplay
        >>> X, y = make_circles(n_samples=80, factor=0.4, noise=0.05, random_state=0)
        >>> clf = MLPClassifier(hidden_layer_sizes=(4,), activation="tanh", solver="lbfgs",
        ...                     random_state=0).fit(X, y)
        >>> display = PlaygroundDisplay.from_estimator(clf, X, y, grid_resolution=20)
        >>> fig, ax = plt.subplots()
        >>> display.plot(ax=ax, show_hidden=False).ax_ is ax  # the main panel alone
        True
        >>> plt.close("all")
        """
        plt = import_pyplot(f"{type(self).__name__}.plot")
        caller = f"{type(self).__name__}.plot"
        n_hidden = 0 if self.hidden_responses is None or not show_hidden else len(
            self.hidden_responses)
        if n_hidden:
            rows = min(n_hidden, PANEL_ROWS)
            cols = -(-n_hidden // rows)
            figure, outer, bounding_ax = split_area(
                plt, ax, 1, 2, figsize=(1.3 * cols + 5.5, 5.0), caller=caller,
                width_ratios=[cols, PANEL_ROWS * 1.1])
            inner = outer[0, 0].subgridspec(rows, cols)
            hidden_axes = np.array([figure.add_subplot(inner[k % rows, k // rows])
                                    for k in range(n_hidden)], dtype=object)
            main_ax = figure.add_subplot(outer[0, 1])
        else:
            main_ax = layout_axes(plt, ax, 1, 1, figsize=(5.5, 5.0), caller=caller)[0][0, 0]
            hidden_axes, bounding_ax = np.array([], dtype=object), None

        extent = (self.xx0.min(), self.xx0.max(), self.xx1.min(), self.xx1.max())
        colors = _class_colors(plt, len(self.classes))
        self.surface_ = self._draw_surface(main_ax, extent, colors)
        self.boundary_ = self._draw_boundary(main_ax)
        self.scatter_ = None
        if self.X is not None:
            point_colors = "0.4" if self.y is None else colors[_label_index(self.classes,
                                                                           self.y)]
            self.scatter_ = main_ax.scatter(self.X[:, 0], self.X[:, 1], c=point_colors,
                                            s=point_size, edgecolors="white", linewidths=0.6)
        main_ax.set_xlim(extent[:2])
        main_ax.set_ylim(extent[2:])
        main_ax.set_xlabel(self.xlabel or "")
        main_ax.set_ylabel(self.ylabel or "")
        if self.estimator_name:
            main_ax.set_title(self.estimator_name)

        self.hidden_images_ = []
        for panel, unit, response in zip(hidden_axes, self.hidden_units if n_hidden else (),
                                         self.hidden_responses if n_hidden else ()):
            scale = float(np.abs(response).max()) or 1.0
            self.hidden_images_.append(panel.imshow(
                response, origin="lower", extent=extent, aspect="auto",
                cmap=_playground_colormap(), vmin=-scale, vmax=scale))
            panel.set_xticks([])
            panel.set_yticks([])
            panel.set_title(f"unit {unit}", fontsize="small")

        self.ax_, self.hidden_axes_, self.bounding_ax_ = main_ax, hidden_axes, bounding_ax
        self.figure_ = main_ax.figure
        return self

    def _draw_boundary(self, ax):
        """Contour where the predicted class changes, or None with one class on the grid.

        With two classes whose predictions are exactly "response above the
        threshold" (0.5 for probabilities, 0 for decision values), the
        contour of the response itself draws the same boundary smoothly;
        otherwise the class indices are contoured.
        """
        class_index = np.searchsorted(self.classes, self.predictions)
        if len(np.unique(class_index)) < 2:
            return None
        if self.response.ndim == 2:
            threshold = 0.5 if self.response_method == "predict_proba" else 0.0
            if np.array_equal(self.response > threshold, class_index == 1):
                return ax.contour(self.xx0, self.xx1, self.response, levels=[threshold],
                                  colors="k", linewidths=1.0)
        return ax.contour(self.xx0, self.xx1, class_index,
                          levels=np.arange(len(self.classes) - 1) + 0.5, colors="k",
                          linewidths=1.0)

    def _draw_surface(self, ax, extent, colors):
        if self.response.ndim == 2:  # two classes: one value per grid point
            if self.response_method == "predict_proba":
                low, high = 0.0, 1.0
            else:
                high = float(np.abs(self.response).max()) or 1.0
                low = -high
            return ax.imshow(self.response, origin="lower", extent=extent, aspect="auto",
                             cmap=_playground_colormap(), vmin=low, vmax=high, alpha=0.8)
        n_classes = len(self.classes)
        class_index = np.searchsorted(self.classes, self.predictions)
        if self.response_method == "predict_proba":
            # 0 where the classifier is at chance, 1 where it is certain
            confidence = (self.response.max(axis=-1) - 1.0 / n_classes) / (1.0 - 1.0 / n_classes)
            strength = 0.15 + 0.6 * np.clip(confidence, 0.0, 1.0)
        else:
            strength = np.full(self.predictions.shape, 0.5)
        rgb = 1.0 - strength[..., None] * (1.0 - colors[class_index])
        return ax.imshow(rgb, origin="lower", extent=extent, aspect="auto")


def _resolve_response_method(estimator, response_method):
    if response_method == "auto":
        for method in ("predict_proba", "decision_function"):
            if hasattr(estimator, method):
                return method
        raise ValueError(f"{type(estimator).__name__} has neither predict_proba nor "
                         "decision_function to shade the plane with.")
    if not hasattr(estimator, response_method):
        raise ValueError(f"{type(estimator).__name__} has no {response_method}; use "
                         "response_method='auto'.")
    return response_method


def _label_index(classes, y):
    index = np.searchsorted(classes, y)
    index = np.clip(index, 0, len(classes) - 1)
    unknown = classes[index] != y
    if unknown.any():
        raise ValueError(f"y holds labels the classifier was not trained on: "
                         f"{np.unique(np.asarray(y)[unknown])[:5].tolist()}; its classes_ "
                         f"are {classes.tolist()}.")
    return index
