"""Constructor parameters of the training-technique catalog, shared by the estimators.

Each technique is one constructor parameter (so searches can tune it); this
module turns those parameters into spec layers, the engine's regularization
and the optimizer's keyword arguments. Valid values come from the registries.
"""

from __future__ import annotations

import inspect
from numbers import Real

from sknn._sklearn_compat import Interval, StrOptions
from sknn.engines import ENGINES
from sknn.nn.optimizers import OPTIMIZERS
from sknn.spec import BatchNorm, Regularization

_POSITIVE_OR_NONE = [Interval(Real, 0, None, closed="neither"), None]

TECHNIQUE_CONSTRAINTS = {
    "activation_alpha": [Interval(Real, None, None, closed="neither"), None],
    "batch_norm": ["boolean"],
    "batch_norm_position": [StrOptions({"before", "after"})],
    "bn_momentum": [Interval(Real, 0, 1, closed="both")],
    "bn_epsilon": [Interval(Real, 0, None, closed="neither")],
    "dropout": [Interval(Real, 0, 1, closed="left"), "array-like"],
    "input_dropout": [Interval(Real, 0, 1, closed="left")],
    "dropout_kind": [StrOptions({"auto", "standard", "alpha"})],
    "l1": [Interval(Real, 0, None, closed="left")],
    "max_norm": _POSITIVE_OR_NONE,
    "clip_value": _POSITIVE_OR_NONE,
    "clip_norm": _POSITIVE_OR_NONE,
    "rho": [Interval(Real, 0, 1, closed="left")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "backend": [StrOptions(set(ENGINES.names()))],
    "device": [str],
    "track_gradient_norms": ["boolean"],
}

# Optimizer constructor argument -> estimator parameter, where the names differ.
_OPTIMIZER_ARGUMENT_SOURCES = {"nesterov": "nesterovs_momentum"}


def network_options(estimator):
    """Keyword arguments of :func:`sknn.spec.mlp_spec` from the estimator's parameters."""
    for name, value in (("dropout", estimator.dropout), ("input_dropout",
                                                         estimator.input_dropout)):
        rates = value if hasattr(value, "__iter__") else [value]
        if any(not 0 <= rate < 1 for rate in rates):
            raise ValueError(f"{name} rates must be in [0, 1), got {value!r}.")
    kind = estimator.dropout_kind
    if kind == "auto":
        # alpha dropout keeps SELU's self-normalizing mean and variance
        kind = "alpha" if estimator.activation == "selu" else "standard"
    batch_norm = (BatchNorm(float(estimator.bn_momentum), float(estimator.bn_epsilon))
                  if estimator.batch_norm else None)
    return {
        "activation_alpha": estimator.activation_alpha, "batch_norm": batch_norm,
        "batch_norm_position": estimator.batch_norm_position, "dropout": estimator.dropout,
        "input_dropout": estimator.input_dropout, "dropout_kind": kind,
    }


def regularization(estimator):
    """The engine's :class:`~sknn.spec.Regularization` from the estimator's parameters."""
    return Regularization(alpha=float(estimator.alpha), l1=float(estimator.l1),
                          max_norm=estimator.max_norm, clip_value=estimator.clip_value,
                          clip_norm=estimator.clip_norm)


def optimizer_params(estimator):
    """Constructor arguments of the solver's optimizer, read from estimator parameters.

    Derived from the optimizer's signature, so a registered optimizer gets
    its hyperparameters from the same-named estimator parameters; one that no
    estimator parameter sets keeps the optimizer's default.
    """
    if estimator.solver not in OPTIMIZERS:
        return {}
    signature = inspect.signature(OPTIMIZERS.get(estimator.solver))
    sources = {name: _OPTIMIZER_ARGUMENT_SOURCES.get(name, name)
               for name in signature.parameters if name != "learning_rate"}
    params = estimator.get_params(deep=False)
    return {name: params[source] for name, source in sources.items() if source in params}


def engine_options(estimator):
    """Keyword arguments of the engine class beyond the spec, weights and randomness.

    The NumPy engine takes none; the torch engine takes ``device``.
    """
    if estimator.backend == "numpy":
        return {}
    return {"device": estimator.device}
