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
             initializer="glorot_uniform", init_gain=1.0, dtype="float64"):
    """Spec of a plain MLP: ``Dense -> activation`` blocks, then a ``Dense`` output."""
    layers = []
    for units in hidden_layer_sizes:
        layers += [Dense(int(units), initializer, init_gain), Activation(activation)]
    layers.append(Dense(int(n_outputs), initializer, init_gain))
    return NetworkSpec(int(n_inputs), tuple(layers), loss, str(dtype))


@dataclass(frozen=True)
class TrainConfig:
    """How to train: optimizer, schedule, batches, stopping rules.

    ``schedule`` names an entry of :mod:`sknn.schedules`, evaluated at the end
    of every epoch on the number of samples seen so far. ``plateau`` enables
    scikit-learn's ``learning_rate='adaptive'``: divide the rate by
    ``plateau_factor`` instead of stopping when progress stalls.
    """

    solver: str = "adam"
    optimizer_params: dict = field(default_factory=dict)
    learning_rate_init: float = 1e-3
    schedule: str = "constant"
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
