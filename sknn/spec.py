"""The estimator/engine contract: plain, frozen data describing a network and its training.

Estimators translate constructor parameters into these objects; engines and
the training loop only ever read them. Nothing here depends on NumPy arrays,
so a spec is cheap to pickle, compare and print.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Dense:
    """A fully connected layer of ``units`` outputs."""

    units: int
    initializer: str = "glorot_uniform"
    init_gain: float = 1.0


@dataclass(frozen=True)
class Activation:
    """An elementwise activation from the activation registry.

    ``alpha`` is the activation's own constant (leak slope of leaky_relu,
    ELU's alpha, PReLU's initial slope); None means the registry default.
    """

    name: str
    alpha: float | None = None


@dataclass(frozen=True)
class BatchNorm:
    """Batch normalization over the features of the previous layer.

    ``momentum`` weighs the old running statistics: ``running <- momentum *
    running + (1 - momentum) * batch`` (Keras's convention).
    """

    momentum: float = 0.99
    epsilon: float = 1e-3


@dataclass(frozen=True)
class Dropout:
    """Dropout of rate ``rate`` in training only; ``kind`` 'standard' or 'alpha'."""

    rate: float
    kind: str = "standard"


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

    The loss owns the output link, so the last layer is always a ``Dense``
    producing raw outputs.
    """

    n_inputs: int
    layers: tuple
    loss: str
    dtype: str = "float64"

    @property
    def dense_layers(self):
        return [layer for layer in self.layers if isinstance(layer, Dense)]


def mlp_spec(n_inputs, hidden_layer_sizes, n_outputs, activation, loss, *,
             initializer="glorot_uniform", init_gain=1.0, dtype="float64",
             activation_alpha=None, batch_norm=None, batch_norm_position="before",
             dropout=0.0, input_dropout=0.0, dropout_kind="standard"):
    """Spec of an MLP: hidden blocks, then a ``Dense`` output of raw values.

    A hidden block is ``Dense -> [BatchNorm] -> activation -> [Dropout]``
    (``batch_norm_position='after'`` moves the normalization behind the
    activation). ``batch_norm`` is a :class:`BatchNorm` or None; ``dropout`` a
    rate for every hidden block or one per block; ``input_dropout`` drops
    input features.

    Examples
    --------
    >>> spec = mlp_spec(4, (8,), 1, "relu", "squared_error", batch_norm=BatchNorm(),
    ...                 dropout=0.5)
    >>> [type(layer).__name__ for layer in spec.layers]
    ['Dense', 'BatchNorm', 'Activation', 'Dropout', 'Dense']
    """
    rates = _per_layer(dropout, len(hidden_layer_sizes), "dropout")
    layers = [Dropout(float(input_dropout), dropout_kind)] if input_dropout else []
    for units, rate in zip(hidden_layer_sizes, rates):
        block = [Dense(int(units), initializer, init_gain), Activation(activation, activation_alpha)]
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
    scikit-learn's end-of-epoch update). ``plateau`` enables scikit-learn's
    ``learning_rate='adaptive'``: divide the rate by ``plateau_factor``
    instead of stopping when progress stalls.
    """

    solver: str = "adam"
    optimizer_params: dict = field(default_factory=dict)
    learning_rate_init: float = 1e-3
    schedule: object = "constant"
    schedule_params: dict = field(default_factory=dict)
    plateau: bool = False
    plateau_factor: float = 5.0
    min_learning_rate: float = 1e-6
    alpha: float = 0.0
    batch_size: object = "auto"
    max_iter: int = 200
    shuffle: bool = True
    tol: float = 1e-4
    n_iter_no_change: float = 10
    verbose: int = 0
    max_fun: int = 15000
