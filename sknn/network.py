"""The fitted network: a spec and its weights, and the weight layout of a spec.

The weight layout is a function of the spec alone (:func:`weight_layout`):
which parameters and buffers each layer type has and their shapes, given
the width of its input. Initialization, the engines' weight exchange, the
estimators' ``network_`` and everything that reads it (prediction, batch
norm folding, pruning, dtype casting, transfer learning, the summary)
follow it.

Weights cross every boundary in one format: a list with one dict per layer
that has weights, in layer order, mapping a name to a NumPy array:

- ``Dense``: ``kernel`` ``(fan_in, units)`` and ``bias`` ``(units,)``;
- ``TiedDense``: ``bias`` (its kernel is the tied layer's, transposed);
- ``BatchNorm``: parameters ``gamma`` and ``beta``, buffers (updated by the
  forward pass, not trained) ``moving_mean`` and ``moving_variance``, each
  ``(width,)``;
- ``Activation('prelu')``: ``slope`` ``(width,)``;
- ``PeriodicEmbedding``: ``frequencies`` and ``phases``, each
  ``(n_inputs, n_frequencies)`` (the output has ``n_inputs * (1 +
  n_frequencies)`` columns);
- other activations and ``Dropout``: no weights, no entry.

Nothing here imports scikit-learn or torch.
"""

from __future__ import annotations

import dataclasses
import html
from typing import NamedTuple

import numpy as np

from sknn.nn.activations import ACTIVATIONS, resolve_activation
from sknn.nn.initializers import INITIALIZERS
from sknn.nn.layers.sequential import flat_order
from sknn.nn.losses import LossSpec, make_loss
from sknn.nn.network import build_layers
from sknn.spec import Activation, BatchNorm, Dense, Dropout, PeriodicEmbedding, TiedDense

__all__ = ["Network", "NetworkSummary", "initial_weights", "weight_layout"]


class LayerLayout(NamedTuple):
    """The weights of one spec layer: name -> shape of its ``params`` (trained)
    and of its ``buffers`` (running statistics, updated by the forward pass),
    and the layer's output ``width``."""

    params: dict
    buffers: dict
    width: int

    @property
    def shapes(self):
        """Parameters, then buffers: the layer's entry in the weight format."""
        return {**self.params, **self.buffers}


def weight_layout(spec):
    """Parameter and buffer shapes of every layer of ``spec``, in layer order.

    Derived from the spec alone, without building layers.

    Parameters
    ----------
    spec : NetworkSpec

    Returns
    -------
    layout : list of LayerLayout
        One per spec layer, with empty dicts for a layer without weights.

    Examples
    --------
    >>> from sknn.spec import BatchNorm, mlp_spec
    >>> spec = mlp_spec(4, (3,), 2, "prelu", "squared_error", batch_norm=BatchNorm())
    >>> for layer, shapes in zip(spec.layers, weight_layout(spec)):
    ...     print(type(layer).__name__, shapes.params, shapes.buffers)
    Dense {'kernel': (4, 3), 'bias': (3,)} {}
    BatchNorm {'gamma': (3,), 'beta': (3,)} {'moving_mean': (3,), 'moving_variance': (3,)}
    Activation {'slope': (3,)} {}
    Dense {'kernel': (3, 2), 'bias': (2,)} {}
    """
    layout, width = [], spec.n_inputs
    for layer in spec.layers:
        params, buffers = {}, {}
        if isinstance(layer, Dense):
            params = {"kernel": (width, layer.units), "bias": (layer.units,)}
            width = layer.units
        elif isinstance(layer, TiedDense):
            width = layout[layer.tied_to].params["kernel"][0]  # the tied layer's input width
            params = {"bias": (width,)}
        elif isinstance(layer, BatchNorm):
            params = {"gamma": (width,), "beta": (width,)}
            buffers = {"moving_mean": (width,), "moving_variance": (width,)}
        elif isinstance(layer, Activation) and ACTIVATIONS.get(layer.name).name == "prelu":
            params = {"slope": (width,)}
        elif isinstance(layer, PeriodicEmbedding):
            params = dict.fromkeys(("frequencies", "phases"), (width, layer.n_frequencies))
            width *= 1 + layer.n_frequencies
        elif not isinstance(layer, (Activation, Dropout)):
            raise TypeError(f"No weight layout for a {type(layer).__name__} layer.")
        layout.append(LayerLayout(params, buffers, width))
    return layout


def weight_shapes(spec):
    """Shapes of the weights of ``spec`` in the weight format: one dict per layer
    that has weights, in layer order."""
    return [shapes.shapes for shapes in weight_layout(spec) if shapes.shapes]


def check_weights(spec, weights):
    """Raise a ValueError unless ``weights`` (the weight format) fit ``spec``'s layout."""
    expected = weight_shapes(spec)
    got = [{name: np.shape(value) for name, value in layer.items()} for layer in weights]
    if got != expected:
        raise ValueError(f"The weights do not fit the network's layers "
                         f"[{describe_layout(spec)}]: expected shapes {expected}, got {got}.")


def trainable_parameter_order(spec):
    """``(layer index, name)`` of every trainable parameter, in the order of the
    engines' flat parameter vector (:func:`~sknn.nn.layers.sequential.flat_order`:
    kernels first, so the L2 penalty on kernels is one leading slice).

    Buffers and the parameters of frozen layers (``trainable=False``) are
    not in it: training never changes them.
    """
    trainable = [getattr(layer, "trainable", True) for layer in spec.layers]
    order = flat_order([shapes.params for shapes in weight_layout(spec)], trainable)
    return [(i, name) for i, name in order if trainable[i]]


#: Initial values of the weights that are not drawn at random.
_CONSTANT_INITIAL_VALUES = {"bias": 0.0, "gamma": 1.0, "beta": 0.0, "moving_mean": 0.0,
                            "moving_variance": 1.0}


def initial_weights(spec, rng):
    """Initial weights of ``spec`` in the weight format.

    Dense layers draw their kernel then their bias from ``rng`` with their
    initializer, layer by layer, and so does a periodic embedding, its
    frequencies from ``N(0, frequency_scale)`` then its phases from
    ``U(-0.5, 0.5)``; nothing else draws from it (for an MLP, scikit-learn's
    sequence of draws). The other weights are constants:
    batch norm's gamma 1, beta 0, moving mean 0 and moving variance 1, a
    PReLU slope its activation's ``alpha``, a tied layer's bias 0.

    Parameters
    ----------
    spec : NetworkSpec
    rng : numpy.random.RandomState or numpy.random.Generator

    Returns
    -------
    weights : list of dict

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.spec import mlp_spec
    >>> weights = initial_weights(mlp_spec(4, (3,), 2, "prelu", "squared_error"),
    ...                           np.random.RandomState(0))
    >>> [sorted(layer) for layer in weights]
    [['bias', 'kernel'], ['slope'], ['bias', 'kernel']]
    >>> weights[1]["slope"]
    array([0.25, 0.25, 0.25])
    """
    weights = []
    for layer, shapes in zip(spec.layers, weight_layout(spec)):
        if isinstance(layer, Dense):
            init = INITIALIZERS.get(layer.initializer)
            kernel, bias = init(shapes.params["kernel"][0], layer.units, rng, spec.dtype,
                                gain=layer.init_gain)
            weights.append({"kernel": kernel, "bias": bias})
        elif isinstance(layer, PeriodicEmbedding):
            shape = shapes.params["frequencies"]
            frequencies = rng.normal(0.0, layer.frequency_scale, shape).astype(spec.dtype)
            weights.append({"frequencies": frequencies,
                            "phases": rng.uniform(-0.5, 0.5, shape).astype(spec.dtype)})
        elif shapes.shapes:
            weights.append({name: np.full(shape, _initial_value(layer, name), dtype=spec.dtype)
                            for name, shape in shapes.shapes.items()})
    return weights


def _initial_value(layer, name):
    if name == "slope":
        return resolve_activation(layer.name, layer.alpha).alpha
    return _CONSTANT_INITIAL_VALUES[name]


def describe_layout(spec):
    """The weighted layers of ``spec`` in a few words: ``dense 4x5, batch norm 5, dense 5x3``."""
    parts = []
    for layer, shapes in zip(spec.layers, weight_layout(spec)):
        if isinstance(layer, Dense):
            parts.append("dense %dx%d" % shapes.params["kernel"])
        elif shapes.params:
            parts.append(f"{_layer_name(layer)} {shapes.width}")
    return ", ".join(parts)


def _layer_name(layer):
    """A spec layer in a word or two: 'dense', 'batch norm', 'relu', 'dropout 0.2'."""
    if isinstance(layer, Activation):
        return layer.name
    if isinstance(layer, Dropout):
        return f"{'alpha ' if layer.kind == 'alpha' else ''}dropout {layer.rate:g}"
    return {Dense: "dense", TiedDense: "tied dense", BatchNorm: "batch norm",
            PeriodicEmbedding: "periodic embedding"}[type(layer)]


def _loss_text(loss):
    """``loss`` by name where the name says it all, else the whole LossSpec."""
    return repr(loss.name if loss == LossSpec(loss.name) else loss)


class Network:
    """A fitted feed-forward network: its spec and its weights in layer order.

    The estimators keep the network they fitted as ``network_``; it is
    plain NumPy arrays, whichever engine trained it, and predicts without
    an engine. ``weights`` holds one dict per layer that has weights, in
    layer order (the format of the module docstring, which the engines'
    ``get_weights`` also return); :meth:`layer_weights` aligns them with
    ``spec.layers``.

    Parameters
    ----------
    spec : NetworkSpec
        The layers (its last layer gives raw outputs, and its loss owns the
        link that :meth:`predict` applies to them).
    weights : list of dict
        Checked against :func:`weight_layout` of ``spec``; the arrays are
        kept, not copied.

    Attributes
    ----------
    spec : NetworkSpec
    weights : list of dict

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.spec import mlp_spec
    >>> spec = mlp_spec(3, (4,), 1, "relu", "squared_error")
    >>> network = Network(spec, initial_weights(spec, np.random.RandomState(0)))
    >>> [kernel.shape for kernel in network.kernels]
    [(3, 4), (4, 1)]
    >>> network.forward(np.ones((2, 3))).shape
    (2, 1)

    A fitted estimator's network predicts what the estimator does:

    >>> from sknn import MLPRegressor
    >>> X = np.random.RandomState(0).normal(size=(50, 3))
    >>> reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=20, random_state=0)
    >>> reg = reg.fit(X, X.sum(axis=1))
    >>> bool(np.array_equal(reg.network_.predict(X).ravel(), reg.predict(X)))
    True
    """

    def __init__(self, spec, weights):
        check_weights(spec, weights)
        self.spec = spec
        self.weights = list(weights)

    def __repr__(self):
        return f"Network([{describe_layout(self.spec)}], loss={_loss_text(self.spec.loss)})"

    def layer_weights(self):
        """One dict per spec layer: its weights, empty for a layer without weights."""
        stored = iter(self.weights)
        return [next(stored) if shapes.shapes else {} for shapes in weight_layout(self.spec)]

    @property
    def kernels(self):
        """The dense layers' kernels, input side first (an estimator's ``coefs_``)."""
        return [state["kernel"] for state in self.weights if "kernel" in state]

    @property
    def biases(self):
        """The dense layers' biases, input side first (an estimator's ``intercepts_``)."""
        return [state["bias"] for state in self.weights if "kernel" in state]

    @property
    def nbytes(self):
        """Bytes of all the weights, parameters and buffers."""
        return int(sum(np.asarray(value).nbytes for state in self.weights
                       for value in state.values()))

    def summary(self):
        """A table of the layers, their widths and weights, with totals and memory.

        One row per spec layer, input side first. Parameters are what
        training changes (unless the layer is frozen); buffers, batch
        norm's moving mean and variance, are counted apart. A tied dense
        layer counts its bias only: its kernel is the tied layer's.

        Returns
        -------
        summary : NetworkSummary
            Prints as a text table, shows as an HTML table in notebooks,
            and holds the numbers as data.

        Examples
        --------
        >>> import numpy as np
        >>> from sknn.spec import BatchNorm, freeze_hidden_layers, mlp_spec
        >>> spec = mlp_spec(4, (8,), 3, "prelu", "log_loss", batch_norm=BatchNorm(),
        ...                 dropout=0.2)
        >>> spec = freeze_hidden_layers(spec, 1)
        >>> network = Network(spec, initial_weights(spec, np.random.RandomState(0)))
        >>> network.summary()
        Inputs: 4, loss: 'log_loss'
        #  layer        output  parameters  buffers  trainable
        0  dense             8          40        0  frozen
        1  batch norm        8          16       16  frozen
        2  prelu             8           8        0  frozen
        3  dropout 0.2       8           0        0
        4  dense             3          27        0  yes
        Total parameters: 91
        Trainable parameters: 27
        Non-trainable (frozen) parameters: 64
        Buffers (not trained): 16
        Weights: float64, 856 bytes
        >>> network.summary().rows[1]  # doctest: +NORMALIZE_WHITESPACE
        {'layer': 'batch norm', 'output_width': 8, 'parameters': 16, 'buffers': 16,
         'trainable': False}
        """
        trained = {index for index, _ in trainable_parameter_order(self.spec)}
        rows = []
        for index, (layer, shapes, state) in enumerate(zip(
                self.spec.layers, weight_layout(self.spec), self.layer_weights())):
            parameters = int(sum(np.size(state[name]) for name in shapes.params))
            rows.append({"layer": _layer_name(layer), "output_width": shapes.width,
                         "parameters": parameters,
                         "buffers": int(sum(np.size(state[name]) for name in shapes.buffers)),
                         "trainable": index in trained if parameters else None})
        dtypes = {np.asarray(value).dtype.name for state in self.weights
                  for value in state.values()}
        return NetworkSummary(rows, self.spec.n_inputs, _loss_text(self.spec.loss),
                              ", ".join(sorted(dtypes)) or self.spec.dtype, self.nbytes)

    def with_dense(self, kernels, biases):
        """A network with these kernels and biases in its dense layers, other weights shared."""
        kernels, biases = list(kernels), list(biases)
        n_dense = sum("kernel" in state for state in self.weights)
        if not len(kernels) == len(biases) == n_dense:
            raise ValueError(f"The network has {n_dense} dense layers, got {len(kernels)} "
                             f"kernels and {len(biases)} biases.")
        dense = iter(zip(kernels, biases))
        return Network(self.spec, [dict(zip(("kernel", "bias"), next(dense)))
                                   if "kernel" in state else state for state in self.weights])

    def head(self, n_layers):
        """The network of the first ``n_layers`` spec layers (sharing their weights)."""
        n_weighted = sum(bool(state) for state in self.layer_weights()[:n_layers])
        spec = dataclasses.replace(self.spec, layers=self.spec.layers[:n_layers])
        return Network(spec, self.weights[:n_weighted])

    def astype(self, dtype):
        """A copy with every weight stored in ``dtype`` (the spec is unchanged)."""
        return Network(self.spec, [{name: np.asarray(value).astype(dtype)
                                    for name, value in state.items()} for state in self.weights])

    def forward(self, X, dropout_rng=None):
        """Raw outputs (before the loss's link) of the network, in inference mode.

        With a ``dropout_rng`` (a :class:`numpy.random.Generator`) dropout
        layers run in training mode, drawing their masks from it, while
        every other layer (batch norm included) stays in inference mode: one
        pass of Monte Carlo dropout. Weights stored in float16 are computed
        in float32 (NumPy has no fast float16 matrix product).
        """
        weights = self.weights
        # one dtype for all weights (astype casts every one), so the first layer tells
        if weights and any(value.dtype == np.float16 for value in weights[0].values()):
            weights = [{name: value.astype(np.float32) for name, value in state.items()}
                       for state in weights]
        # the layers keep views of the stored arrays (no layer writes its weights
        # in an inference pass): no engine is built and no weight copied
        stored, out = iter(weights), X
        for spec_layer, layer in zip(self.spec.layers, build_layers(self.spec, dropout_rng)):
            buffers = getattr(layer, "buffer_shapes", {})
            if layer.param_shapes or buffers:
                state = next(stored)
                layer.bind(state, dict.fromkeys(state))
                if buffers:
                    layer.bind_buffers(state)
            stochastic = dropout_rng is not None and isinstance(spec_layer, Dropout)
            out, _ = layer.forward(out, training=stochastic)
        return out

    def predict(self, X, dropout_rng=None):
        """Outputs through the loss's link: probabilities or predicted values."""
        return make_loss(self.spec.loss).link(self.forward(X, dropout_rng))

    def fold_batch_norm(self):
        """The network with every batch norm that directly follows a dense layer
        folded into that layer, as :meth:`sknn.MLPClassifier.fuse_batch_norm`
        describes; other batch norm layers stay. The arrays are new, never
        views of this network's.
        """
        layers, weights = [], []  # one entry per kept spec layer
        for layer, state in zip(self.spec.layers, self.layer_weights()):
            state = {name: np.array(value, copy=True) for name, value in state.items()}
            if isinstance(layer, BatchNorm) and layers and isinstance(layers[-1], Dense):
                weights[-1] = _folded(weights[-1], state, layer.epsilon)
                continue
            layers.append(layer)
            weights.append(state)
        spec = dataclasses.replace(self.spec, layers=tuple(layers))
        return Network(spec, [state for state in weights if state])


class NetworkSummary:
    """What :meth:`Network.summary` returns: the layers of a network as a table.

    ``print(summary)`` (or its repr) gives a text table, notebooks show it
    as an HTML table, and the numbers are attributes. The arguments are
    kept as attributes of the same names.

    Parameters
    ----------
    rows : list of dict
        One per spec layer, input side first: ``'layer'`` (its name: 'dense',
        'batch norm', an activation's name, 'dropout 0.2', ...),
        ``'output_width'``, ``'parameters'`` and ``'buffers'`` (numbers of
        values) and ``'trainable'`` (True, False for a frozen layer, None
        for a layer without parameters). ``pandas.DataFrame(summary.rows)``
        makes it a data frame.
    n_inputs : int
        Width of the network's input.
    loss : str
        The training loss (its repr), whose link turns raw outputs into
        predictions.
    dtype : str
        Dtype of the stored weights (several, comma-separated, if they differ).
    nbytes : int
        Bytes of all the weights, parameters and buffers.

    Attributes
    ----------
    total_parameters, trainable_parameters, non_trainable_parameters : int
        Numbers of parameter values: all of them, and split by whether
        training changes them.
    buffers : int
        Number of buffer values (batch norm's moving statistics), which
        the forward pass updates and training does not.

    Examples
    --------
    >>> import numpy as np
    >>> from sknn.spec import mlp_spec
    >>> spec = mlp_spec(3, (4,), 1, "relu", "squared_error")
    >>> summary = Network(spec, initial_weights(spec, np.random.RandomState(0))).summary()
    >>> summary.total_parameters, summary.nbytes
    (21, 168)
    >>> [row["layer"] for row in summary.rows]
    ['dense', 'relu', 'dense']
    """

    _HEADER = ("#", "layer", "output", "parameters", "buffers", "trainable")
    _TRAINABLE = {True: "yes", False: "frozen", None: ""}

    def __init__(self, rows, n_inputs, loss, dtype, nbytes):
        self.rows, self.n_inputs, self.loss = rows, n_inputs, loss
        self.total_parameters = sum(row["parameters"] for row in rows)
        self.trainable_parameters = sum(row["parameters"] for row in rows if row["trainable"])
        self.non_trainable_parameters = self.total_parameters - self.trainable_parameters
        self.buffers = sum(row["buffers"] for row in rows)
        self.dtype, self.nbytes = dtype, nbytes

    def _cells(self):
        return [[str(index), row["layer"], str(row["output_width"]), f"{row['parameters']:,}",
                 f"{row['buffers']:,}", self._TRAINABLE[row["trainable"]]]
                for index, row in enumerate(self.rows)]

    def _title(self):
        return f"Inputs: {self.n_inputs}, loss: {self.loss}"

    def _totals(self):
        return [f"Total parameters: {self.total_parameters:,}",
                f"Trainable parameters: {self.trainable_parameters:,}",
                f"Non-trainable (frozen) parameters: {self.non_trainable_parameters:,}",
                f"Buffers (not trained): {self.buffers:,}",
                f"Weights: {self.dtype}, {self.nbytes:,} bytes"]

    def __str__(self):
        table = [list(self._HEADER), *self._cells()]
        widths = [max(len(cells[column]) for cells in table) for column in range(len(table[0]))]
        # names left-aligned, numbers right-aligned
        aligned = ["  ".join(cell.ljust(width) if column in (1, 5) else cell.rjust(width)
                             for column, (cell, width) in enumerate(zip(cells, widths))).rstrip()
                   for cells in table]
        return "\n".join([self._title(), *aligned, *self._totals()])

    __repr__ = __str__

    def _repr_html_(self):
        def row(cells, tag):
            return "".join(["<tr>", *(f"<{tag}>{html.escape(cell)}</{tag}>" for cell in cells),
                            "</tr>"])

        return (f"<p>{html.escape(self._title())}</p><table><thead>{row(self._HEADER, 'th')}"
                f"</thead><tbody>{''.join(row(cells, 'td') for cells in self._cells())}</tbody>"
                f"</table><p>{'<br>'.join(html.escape(line) for line in self._totals())}</p>")


def _folded(dense, batch_norm, epsilon):
    """``dense``'s kernel and bias with the inference-mode ``batch_norm`` after it applied."""
    gamma, beta, mean, var = (np.asarray(batch_norm[name], dtype=np.float64) for name in
                              ("gamma", "beta", "moving_mean", "moving_variance"))
    scale = gamma / np.sqrt(var + epsilon)
    kernel = np.asarray(dense["kernel"], dtype=np.float64) * scale
    bias = (np.asarray(dense["bias"], dtype=np.float64) - mean) * scale + beta
    return {"kernel": kernel.astype(dense["kernel"].dtype),
            "bias": bias.astype(dense["bias"].dtype)}
