"""The estimator/engine contract: plain, frozen data describing a network and its training.

Estimators translate constructor parameters into these objects; engines and
the training loop only ever read them. Nothing here depends on NumPy arrays,
so a spec is cheap to pickle, compare and print.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from sknn.nn.losses import LossSpec, loss_spec_from_legacy_name


@dataclass(frozen=True)
class Dense:
    """A fully connected layer of ``units`` outputs.

    ``trainable=False`` freezes the layer (see :func:`freeze_hidden_layers`).
    """

    units: int
    initializer: str = "glorot_uniform"
    init_gain: float = 1.0
    trainable: bool = True


@dataclass(frozen=True)
class TiedDense:
    """A dense layer reusing the transposed kernel of the ``Dense`` at ``tied_to``.

    ``tied_to`` indexes the spec's layers. The layer has its own bias; its
    output width is the tied layer's input width, so it maps that layer's
    outputs back to its inputs (an autoencoder decoder with tied weights:
    ``X' = H W^T + b'``). Training updates the shared kernel with the sum of
    both layers' gradients.
    """

    tied_to: int
    trainable: bool = True


@dataclass(frozen=True)
class Activation:
    """An elementwise activation from the activation registry.

    ``alpha`` is the activation's own constant (leak slope of leaky_relu,
    ELU's alpha, PReLU's initial slope); None means the registry default.
    ``trainable=False`` freezes a learned slope (PReLU).
    """

    name: str
    alpha: float | None = None
    trainable: bool = True


@dataclass(frozen=True)
class BatchNorm:
    """Batch normalization over the features of the previous layer.

    ``momentum`` weighs the old running statistics: ``running <- momentum *
    running + (1 - momentum) * batch`` (Keras's convention).

    ``trainable=False`` freezes the layer as Keras does since TensorFlow
    2.0: ``gamma`` and ``beta`` are not updated, and the layer runs in
    inference mode even while the network trains, normalizing with its
    moving statistics and never updating them. Batch statistics of the new
    task's minibatches would otherwise shift the features that the frozen
    layers above were trained on.
    """

    momentum: float = 0.99
    epsilon: float = 1e-3
    trainable: bool = True


@dataclass(frozen=True)
class Dropout:
    """Dropout of rate ``rate`` in training only; ``kind`` 'standard' or 'alpha'."""

    rate: float
    kind: str = "standard"


@dataclass(frozen=True)
class PeriodicEmbedding:
    """Each input feature ``x_j`` as ``[x_j, cos(2 pi (c_jk x_j + b_jk))]``, k < ``n_frequencies``.

    Trained frequencies ``c`` start from ``N(0, frequency_scale)`` and
    trained phases ``b`` (in periods) from ``U(-0.5, 0.5)``; the layer's
    output width is ``n_inputs * (1 + n_frequencies)``. It is the first
    layer of a network (after input dropout), ahead of every hidden block.
    ``trainable=False`` freezes it.
    """

    n_frequencies: int = 8
    frequency_scale: float = 1.0
    trainable: bool = True


@dataclass(frozen=True)
class Regularization:
    """Penalties and constraints applied by the engine around each update.

    ``alpha`` is the L2 strength and ``l1`` the L1 strength, both on kernels
    and divided by the batch's total sample weight as scikit-learn does;
    ``max_norm`` bounds each unit's incoming weight vector after every update;
    ``clip_value`` / ``clip_norm`` clip gradients elementwise / by global norm
    before it.
    """

    alpha: float = 0.0
    l1: float = 0.0
    max_norm: float | None = None
    clip_value: float | None = None
    clip_norm: float | None = None


@dataclass(frozen=True)
class NetworkSpec:
    """A feed-forward network: input width, layer stack and training loss.

    The loss (a :class:`~sknn.nn.losses.LossSpec`; a registered loss name
    stands for ``LossSpec(name)``) owns the output link, so the last layer is
    always a ``Dense`` producing raw outputs.
    """

    n_inputs: int
    layers: tuple
    loss: LossSpec
    dtype: str = "float64"

    def __post_init__(self):
        if isinstance(self.loss, str):
            object.__setattr__(self, "loss", LossSpec(self.loss))

    def __setstate__(self, state):
        # Pickles from before LossSpec store the loss as a name carrying its
        # options ("huber[delta=0.5]|tanh[-1,3]"); they load with a LossSpec.
        if isinstance(state.get("loss"), str):
            state = {**state, "loss": loss_spec_from_legacy_name(state["loss"])}
        self.__dict__.update(state)

    @property
    def dense_layers(self):
        return [layer for layer in self.layers if isinstance(layer, Dense)]

    @property
    def frozen(self):
        """Whether any layer is frozen (``trainable=False``)."""
        return any(not getattr(layer, "trainable", True) for layer in self.layers)


def hidden_blocks(layers, has_output=True):
    """``(start, stop)`` index ranges of the hidden blocks of a layer stack.

    A block starts at a ``Dense`` layer and runs to the next one, so it
    holds the dense layer, its batch norm, activation and dropout. Layers
    before the first dense layer (input dropout) belong to no block; with
    ``has_output`` the last dense layer is the output, not a hidden block.

    Examples
    --------
    >>> spec = mlp_spec(4, (8, 8), 1, "relu", "squared_error", input_dropout=0.2)
    >>> hidden_blocks(spec.layers)
    [(1, 3), (3, 5)]
    """
    starts = [i for i, layer in enumerate(layers) if isinstance(layer, Dense)]
    bounds = starts + [len(layers)]
    blocks = list(zip(bounds[:-1], bounds[1:]))
    return blocks[:-1] if has_output else blocks


def freeze_hidden_layers(spec, n_frozen):
    """``spec`` with its first ``n_frozen`` hidden blocks frozen.

    Dense, batch norm and activation layers of those blocks get
    ``trainable=False``: their parameters never change and batch norm runs
    in inference mode (see :class:`BatchNorm`). A numeric embedding below
    them is frozen with them (their inputs must not move). Every other
    layer is made trainable, so the count is absolute, not added to
    earlier freezing.

    Examples
    --------
    >>> spec = freeze_hidden_layers(mlp_spec(4, (8, 8), 1, "relu", "squared_error"), 1)
    >>> [getattr(layer, "trainable") for layer in spec.layers]
    [False, False, True, True, True]
    """
    blocks = hidden_blocks(spec.layers)
    if not 0 <= n_frozen <= len(blocks):
        raise ValueError(f"Cannot freeze {n_frozen} hidden layers of a network with "
                         f"{len(blocks)}.")
    # the layers below the first block (a numeric embedding) feed the frozen ones
    first = blocks[0][0] if n_frozen else 0
    frozen = set(range(first)) | {i for start, stop in blocks[:n_frozen]
                                  for i in range(start, stop)}
    layers = tuple(
        replace(layer, trainable=i not in frozen) if hasattr(layer, "trainable") else layer
        for i, layer in enumerate(spec.layers))
    return replace(spec, layers=layers)


def mlp_spec(n_inputs, hidden_layer_sizes, n_outputs, activation, loss, *,
             initializer="glorot_uniform", init_gain=1.0, dtype="float64",
             activation_alpha=None, batch_norm=None, batch_norm_position="before",
             dropout=0.0, input_dropout=0.0, dropout_kind="standard", embedding=None):
    """Spec of an MLP: hidden blocks, then a ``Dense`` output of raw values.

    A hidden block is ``Dense -> [BatchNorm] -> activation -> [Dropout]``
    (``batch_norm_position='after'`` moves the normalization behind the
    activation). ``batch_norm`` is a :class:`BatchNorm` or None; ``dropout`` a
    rate for every hidden block or one per block; ``input_dropout`` drops
    input features; ``embedding`` (a :class:`PeriodicEmbedding` or None)
    embeds them, after input dropout, before the first block.

    Examples
    --------
    >>> spec = mlp_spec(4, (8,), 1, "relu", "squared_error", batch_norm=BatchNorm(),
    ...                 dropout=0.5)
    >>> [type(layer).__name__ for layer in spec.layers]
    ['Dense', 'BatchNorm', 'Activation', 'Dropout', 'Dense']
    """
    rates = _per_layer(dropout, len(hidden_layer_sizes), "dropout")
    layers = [Dropout(float(input_dropout), dropout_kind)] if input_dropout else []
    if embedding is not None:
        layers.append(embedding)
    for units, rate in zip(hidden_layer_sizes, rates):
        block = [Dense(int(units), initializer, init_gain),
                 Activation(activation, activation_alpha)]
        if batch_norm is not None:
            block.insert(1 if batch_norm_position == "before" else 2, batch_norm)
        if rate:
            block.append(Dropout(float(rate), dropout_kind))
        layers += block
    layers.append(Dense(int(n_outputs), initializer, init_gain))
    return NetworkSpec(int(n_inputs), tuple(layers), loss, str(dtype))


def _per_layer(value, n_layers, name):
    values = list(value) if hasattr(value, "__iter__") else [value] * n_layers
    if len(values) != n_layers:
        raise ValueError(f"{name} has {len(values)} values for {n_layers} hidden layers; "
                         f"give one value or one per hidden layer.")
    return values


@dataclass(frozen=True)
class TrainConfig:
    """How to train: optimizer, schedule, batches, stopping rules.

    ``schedule`` is a name from :data:`sknn.schedules.SCHEDULES` or a
    :class:`sknn.schedules.Schedule` object; the loop reads it before every
    minibatch or at every epoch, as the schedule declares ('invscaling' keeps
    scikit-learn's end-of-epoch update), and lets it react after every epoch
    (:meth:`~sknn.schedules.Schedule.end_epoch`: scikit-learn's
    ``learning_rate='adaptive'`` is the schedule :class:`sknn.schedules.Adaptive`).
    The penalties are the engine's (:class:`Regularization`), not the loop's.
    """

    solver: str = "adam"
    optimizer_params: dict = field(default_factory=dict)
    learning_rate_init: float = 1e-3
    schedule: object = "constant"
    schedule_params: dict = field(default_factory=dict)
    batch_size: object = "auto"
    max_iter: int = 200
    shuffle: bool = True
    tol: float = 1e-4
    n_iter_no_change: float = 10
    verbose: int = 0
    max_fun: int = 15000
