"""Activation functions and their derivatives, from sknn's own registry."""

from __future__ import annotations

import numpy as np

from sknn.nn.activations import ACTIVATIONS, ActivationFn
from sknn.plot._base import import_pyplot, layout_axes


def _activation_label(fn):
    """The entry's name, with its constant when it differs from the registry default."""
    default = ACTIVATIONS.get(fn.name).alpha if fn.name in ACTIVATIONS else None
    if fn.alpha is None or fn.alpha == default:
        return fn.name
    return f"{fn.name} (alpha={fn.alpha:g})"


def evaluate_activation(fn, z):
    """``(f(z), f'(z))`` computed by the registry entry's own forward and derivative.

    The derivative is the backward pass with an incoming gradient of ones,
    reading the output or the input as the entry declares (``needs_input``).
    Neither ``z`` nor any shared array is modified.
    """
    values = fn.forward(np.array(z, dtype=float))
    saved = np.array(z, dtype=float) if fn.needs_input else values.copy()
    derivatives = fn.derivative(saved, np.ones_like(saved))
    return values, derivatives


class ActivationDisplay:
    """Activation functions (left panel) and their derivatives (right panel).

    Both curves are computed by sknn's activation registry
    (:data:`sknn.nn.activations.ACTIVATIONS`): ``forward`` for the function
    and the backward pass ``derivative(saved, ones)`` for the derivative, so
    the plot shows exactly what training uses, including each piecewise
    entry's one-sided derivative at ``z = 0``. ``prelu`` and ``rrelu`` are
    drawn as their registry entries: the initial learned slope and the
    inference-time slope. Step functions (``heaviside``, ``sign``) have a
    zero derivative almost everywhere.

    Build it with :meth:`from_names`; the constructor only stores the data.

    Parameters
    ----------
    z : array-like of shape (n_points,)
        Inputs the functions were evaluated at.
    values : array-like of shape (n_functions, n_points)
        ``f(z)`` of each function.
    derivatives : array-like of shape (n_functions, n_points)
        ``f'(z)`` of each function.
    names : list of str
        Legend label of each function.

    Attributes
    ----------
    z : ndarray of shape (n_points,)
    values, derivatives : ndarray of shape (n_functions, n_points)
    names : list of str
    ax_ : matplotlib Axes
        The panel of the functions.
    derivative_ax_ : matplotlib Axes
        The panel of the derivatives.
    axes_ : ndarray of 2 matplotlib Axes
    bounding_ax_ : matplotlib Axes or None
        The single Axes given as ``ax``, split into the two panels.
    figure_ : matplotlib Figure
    lines_ : ndarray of matplotlib Line2D of shape (n_functions, 2)
        Each function's curve and derivative curve.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from sknn.plot import ActivationDisplay
    >>> display = ActivationDisplay.from_names(["relu", "tanh"], z=[-1.0, 0.0, 2.0])
    >>> display.values
    array([[ 0.        ,  0.        ,  2.        ],
           [-0.76159416,  0.        ,  0.96402758]])
    >>> display.derivatives
    array([[0.        , 0.        , 1.        ],
           [0.41997434, 1.        , 0.07065082]])
    >>> plt.close(display.figure_)
    """

    def __init__(self, *, z, values, derivatives, names):
        self.z = np.asarray(z, dtype=float).ravel()
        self.values = np.atleast_2d(np.asarray(values, dtype=float))
        self.derivatives = np.atleast_2d(np.asarray(derivatives, dtype=float))
        self.names = list(names)
        expected = (len(self.names), self.z.shape[0])
        if self.values.shape != expected or self.derivatives.shape != expected:
            raise ValueError(
                f"values and derivatives need shape (n_functions, n_points) = {expected}, "
                f"got {self.values.shape} and {self.derivatives.shape}.")

    @classmethod
    def from_names(cls, names=None, *, z=None, z_range=(-4.0, 4.0), n_points=401, ax=None):
        """Evaluate registered activations and plot them with their derivatives.

        Parameters
        ----------
        names : list of (str or ActivationFn) or None, default=None
            Registry names or aliases (``'relu'``, ``'silu'``), or entries
            with a constant set, such as
            ``resolve_activation('leaky_relu', 0.2)``. None draws every
            registered activation.
        z : array-like of shape (n_points,) or None, default=None
            Inputs to evaluate at; None spaces ``n_points`` evenly over
            ``z_range``.
        z_range : (float, float), default=(-4.0, 4.0)
            Interval of the inputs when ``z`` is None.
        n_points : int, default=401
            Number of inputs when ``z`` is None (odd, so ``z = 0`` is one).
        ax : matplotlib Axes, array-like of 2 Axes or None, default=None
            See :meth:`plot`.

        Returns
        -------
        display : ActivationDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from sknn.nn.activations import resolve_activation
        >>> from sknn.plot import ActivationDisplay
        >>> display = ActivationDisplay.from_names(
        ...     ["elu", resolve_activation("leaky_relu", 0.2)], z=[-1.0, 1.0])
        >>> display.names
        ['elu', 'leaky_relu (alpha=0.2)']
        >>> display.derivatives[1]
        array([0.2, 1. ])
        >>> plt.close(display.figure_)
        """
        if names is None:
            names = ACTIVATIONS.names()
        if isinstance(names, (str, ActivationFn)):
            names = [names]
        if len(names) == 0:
            raise ValueError("names is empty: give at least one activation.")
        if z is None:
            low, high = z_range
            if not low < high:
                raise ValueError(f"z_range must be (low, high) with low < high, got {z_range!r}.")
            z = np.linspace(low, high, n_points)
        z = np.asarray(z, dtype=float).ravel()
        functions = [ACTIVATIONS.get(name) for name in names]
        evaluated = [evaluate_activation(fn, z) for fn in functions]
        display = cls(z=z, values=np.array([values for values, _ in evaluated]),
                      derivatives=np.array([grads for _, grads in evaluated]),
                      names=[_activation_label(fn) for fn in functions])
        return display.plot(ax=ax)

    def plot(self, ax=None, *, legend=True):
        """Draw the functions and their derivatives side by side.

        Parameters
        ----------
        ax : matplotlib Axes, array-like of 2 Axes or None, default=None
            None creates a figure; one Axes is split into the two panels;
            two Axes are used as (functions, derivatives).
        legend : bool, default=True
            Label the curves in a legend on the functions panel.

        Returns
        -------
        display : ActivationDisplay
            This object, with ``ax_``, ``derivative_ax_``, ``axes_``,
            ``bounding_ax_``, ``figure_`` and ``lines_`` set.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import numpy as np
        >>> from sknn.plot import ActivationDisplay
        >>> z = np.linspace(-2, 2, 5)
        >>> display = ActivationDisplay(z=z, values=[np.abs(z)], derivatives=[np.sign(z)],
        ...                             names=["abs"])
        >>> fig, axes = plt.subplots(1, 2)
        >>> display = display.plot(ax=axes, legend=False)
        >>> display.derivative_ax_ is axes[1], display.ax_.get_legend() is None
        (True, True)
        >>> plt.close(fig)
        """
        plt = import_pyplot(f"{type(self).__name__}.plot")
        axes, bounding_ax = layout_axes(plt, ax, 1, 2, figsize=(10.0, 4.0),
                                        caller=f"{type(self).__name__}.plot")
        function_ax, derivative_ax = axes[0]
        lines = np.empty((len(self.names), 2), dtype=object)
        for row, name in enumerate(self.names):
            lines[row, 0], = function_ax.plot(self.z, self.values[row], label=name)
            lines[row, 1], = derivative_ax.plot(self.z, self.derivatives[row], label=name,
                                                color=lines[row, 0].get_color())
        for panel, title in ((function_ax, "f(z)"), (derivative_ax, "f'(z)")):
            panel.axhline(0.0, color="0.7", linewidth=0.8, zorder=0)
            panel.axvline(0.0, color="0.7", linewidth=0.8, zorder=0)
            panel.set_xlabel("z")
            panel.set_title(title)
        if legend:
            function_ax.legend(fontsize="small")
        self.ax_, self.derivative_ax_ = function_ax, derivative_ax
        self.axes_ = axes.ravel()
        self.bounding_ax_ = bounding_ax
        self.figure_ = function_ax.figure
        self.lines_ = lines
        return self
