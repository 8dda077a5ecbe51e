"""Building blocks of your own, registered by name.

``register_activation``, ``register_loss``, ``register_initializer``,
``register_optimizer`` and ``register_schedule`` add an entry to the table
the built-in blocks live in, so the name becomes a constructor value of
every estimator (``activation='mish'``, ``loss='log_cosh'``, ...): validated
as the built-in names are, searchable in a parameter grid, cloned and
pickled as the plain string.

A pickle stores the name, not the code: the process that loads a model
must register the same blocks first (loading says which one is missing).
So must the workers of a search that runs in several processes
(``n_jobs > 1``): register in a module they import, or run the search on
threads (``joblib.parallel_config(backend="threading")``).

Derivatives and gradients are checked at registration against central
finite differences, in float64, at fixed random points; a wrong one is
refused with the largest error found.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from sknn.network import Network
from sknn.nn.activations import ACTIVATIONS, ActivationFn
from sknn.nn.initializers import INITIALIZERS, Initializer
from sknn.nn.losses import LOSSES, OUTPUT_ACTIVATIONS, ComposedLoss, make_loss
from sknn.nn.optimizers import OPTIMIZERS, Optimizer
from sknn.schedules import SCHEDULES, Schedule
from sknn.spec import Activation, Dense

__all__ = ["register_activation", "register_loss", "register_initializer",
           "register_optimizer", "register_schedule", "unregister"]

_REGISTRIES = {"activation": ACTIVATIONS, "loss": LOSSES, "initializer": INITIALIZERS,
               "optimizer": OPTIMIZERS, "schedule": SCHEDULES}
#: Names the estimators give a meaning of their own beside the registry's.
_RESERVED = {"activation": set(), "loss": set(), "initializer": {"auto"},
             "optimizer": {"lbfgs"}, "schedule": {"adaptive"}}
#: The names registered here: the only ones ``overwrite`` and ``unregister`` touch.
_REGISTERED = {kind: set() for kind in _REGISTRIES}
#: Estimator parameter -> the kind of block a string value of it names.
_PARAMETER_KINDS = {"activation": "activation", "loss": "loss",
                    "kernel_initializer": "initializer", "solver": "optimizer",
                    "learning_rate": "schedule"}

_STEP = 1e-6  # central differences: error ~ step^2 (truncation) + 1e-16 / step (rounding)
_TOLERANCE = 1e-4  # relative, absolute below 1: far above both errors, far below a bug's


def register_activation(name, function, derivative, *, derivative_from_output=False,
                        torch_function=None, onnx_builder=None, overwrite=False):
    """Register a hidden-layer activation under ``name``.

    Parameters
    ----------
    name : str
        The value of the estimators' ``activation`` parameter.
    function : callable
        ``function(z) -> f(z)``, elementwise on a NumPy array (float32 or
        float64; the result is cast back to ``z``'s dtype).
    derivative : callable
        ``derivative(z) -> f'(z)``, elementwise; checked against central
        finite differences of ``function``.
    derivative_from_output : bool, default=False
        ``derivative`` takes the output ``a = f(z)`` instead of ``z`` (as
        ``1 - a**2`` for tanh), which saves a copy of every layer's input in
        training.
    torch_function : callable, default=None
        ``function`` on torch tensors, for ``backend='torch'`` (autograd
        differentiates it); without it the torch engine refuses the activation.
    onnx_builder : callable, default=None
        ``onnx_builder(graph, x, alpha) -> output name``: the activation as
        ONNX operators, for :mod:`sknn.onnx` (``graph.op(op_type, *inputs,
        **attributes)`` adds a node and returns its output's name,
        ``graph.const(value)`` a constant in the graph's dtype, ``x`` is the
        input's name; ``alpha`` is None for a registered activation). Without
        it, export refuses a network with this activation.
    overwrite : bool, default=False
        Replace an activation registered under ``name`` before (never a
        built-in one).

    Examples
    --------
    >>> import numpy as np
    >>> from sknn import MLPRegressor, register_activation, unregister
    >>> register_activation("softsign", lambda z: z / (1 + np.abs(z)),
    ...                     lambda z: 1 / (1 + np.abs(z)) ** 2)
    >>> X = np.linspace(-1, 1, 40).reshape(-1, 1)
    >>> reg = MLPRegressor(hidden_layer_sizes=(8,), activation="softsign", max_iter=5,
    ...                    random_state=0).fit(X, X.ravel() ** 2)
    >>> register_activation("softsign_wrong", lambda z: z / (1 + np.abs(z)),
    ...                     lambda z: 1 / (1 + np.abs(z)))
    Traceback (most recent call last):
    ...
    ValueError: activation 'softsign_wrong': the derivative disagrees with central finite ...
    >>> unregister("activation", "softsign")
    """
    _check_name("activation", name, overwrite)
    _check_callables(function=function, derivative=derivative, torch_function=torch_function,
                     onnx_builder=onnx_builder)
    block = f"activation {name!r}"
    points = np.random.default_rng(0).normal(scale=2.0, size=(8, 4))
    _check_shape(block, "function", function(points.copy()), points.shape)
    slope = (lambda z: derivative(function(z))) if derivative_from_output else derivative
    _check_gradient(block, "derivative", function, slope, points)

    def forward(z):
        return np.asarray(function(z), dtype=z.dtype)

    def backward(saved, grad):
        grad *= derivative(saved)
        return grad

    _add("activation", name, ActivationFn(name, forward, backward,
                                          needs_input=not derivative_from_output,
                                          torch_function=torch_function,
                                          onnx_builder=onnx_builder))


def register_loss(name, function, gradient, *, link="identity", torch_function=None,
                  overwrite=False):
    """Register a loss on the network's raw outputs, with its output link, under ``name``.

    The regressors accept the name as ``loss``. Training minimizes the
    (sample-weighted) mean over samples of ``function``; predictions are
    ``link(raw outputs)``.

    Parameters
    ----------
    name : str
        The value of the regressors' ``loss`` parameter.
    function : callable
        ``function(y_true, raw) -> loss per sample``, shape ``(n_samples,)``
        (summed over the outputs), for targets and raw outputs of shape
        ``(n_samples, n_outputs)``.
    gradient : callable
        ``gradient(y_true, raw) -> d function / d raw``, shape ``(n_samples,
        n_outputs)``; checked against central finite differences of
        ``function`` at targets ``link(random raw outputs)``.
    link : str or callable, default='identity'
        The output link: 'identity', 'logistic', 'tanh', 'exp', 'relu',
        'softplus', 'softmax', or a function ``link(raw) -> predictions``.
        Reported as ``out_activation_`` (a function: as the loss's name).
    torch_function : callable, default=None
        ``function`` on torch tensors, for ``backend='torch'`` (autograd
        differentiates it); without it the torch engine refuses the loss.
    overwrite : bool, default=False
        Replace a loss registered under ``name`` before (never a built-in one).

    Examples
    --------
    Log-cosh, smooth like squared error near 0 and like absolute error far
    from it:

    >>> import numpy as np
    >>> from sknn import MLPRegressor, register_loss, unregister
    >>> register_loss("log_cosh",
    ...               lambda y, raw: np.log(np.cosh(raw - y)).sum(axis=1),
    ...               lambda y, raw: np.tanh(raw - y))
    >>> X = np.linspace(-1, 1, 40).reshape(-1, 1)
    >>> reg = MLPRegressor(loss="log_cosh", hidden_layer_sizes=(8,), max_iter=5,
    ...                    random_state=0).fit(X, X.ravel())
    >>> reg.out_activation_
    'identity'
    >>> unregister("loss", "log_cosh")
    """
    _check_name("loss", name, overwrite)
    _check_callables(function=function, gradient=gradient, torch_function=torch_function)
    block = f"loss {name!r}"
    link_name, link_function, output_range = _output_link(name, link)
    rng = np.random.default_rng(0)
    raw, y_true = rng.normal(size=(8, 3)), link_function(rng.normal(size=(8, 3)))
    _check_shape(block, "link", y_true, raw.shape)
    _check_shape(block, "function", function(y_true, raw.copy()), raw.shape[:1])
    _check_gradient(block, "gradient", lambda z: function(y_true, z),
                    lambda z: gradient(y_true, z), raw)

    def per_sample(raw, y):
        return function(y, raw)

    def per_sample_and_gradient(raw, y):
        return function(y, raw), np.array(gradient(y, raw), dtype=raw.dtype)

    _add("loss", name, ComposedLoss(name, link_name, link_function, per_sample,
                                    output_range=output_range,
                                    pointwise_and_grad=per_sample_and_gradient,
                                    torch_function=torch_function))


def register_initializer(name, initializer, *, overwrite=False):
    """Register a weight initializer under ``name``.

    Parameters
    ----------
    name : str
        The value of the estimators' ``kernel_initializer`` parameter.
    initializer : callable or Initializer
        ``initializer(shape, rng) -> kernel`` of shape ``(fan_in, fan_out)``,
        drawn from ``rng`` (a ``numpy.random.RandomState`` or ``Generator``:
        use methods both have, such as ``uniform`` and ``normal``); biases
        start at zero. Or an :class:`~sknn.nn.initializers.Initializer`,
        such as one from :func:`~sknn.nn.initializers.VarianceScaling`.
    overwrite : bool, default=False
        Replace an initializer registered under ``name`` before (never a
        built-in one).

    Examples
    --------
    >>> import numpy as np
    >>> from sknn import MLPRegressor, register_initializer, unregister
    >>> from sknn.nn.initializers import VarianceScaling
    >>> register_initializer("small_normal", lambda shape, rng: rng.normal(0, 0.01, shape))
    >>> register_initializer("he_fan_avg", VarianceScaling(2.0, "fan_avg", "uniform"))
    >>> X = np.linspace(-1, 1, 40).reshape(-1, 1)
    >>> reg = MLPRegressor(hidden_layer_sizes=(8,), kernel_initializer="small_normal",
    ...                    max_iter=1, random_state=0).fit(X, X.ravel())
    >>> unregister("initializer", "small_normal")
    >>> unregister("initializer", "he_fan_avg")
    """
    _check_name("initializer", name, overwrite)
    if isinstance(initializer, Initializer):
        entry = replace(initializer, name=name)
    else:
        _check_callables(initializer=initializer)
        entry = _KernelInitializer(name, initializer)
    for rng in (np.random.RandomState(0), np.random.default_rng(0)):
        kernel, _ = entry(3, 2, rng)
        _check_shape(f"initializer {name!r}", "initializer", kernel, (3, 2))
        if not np.isfinite(kernel).all():
            raise ValueError(f"initializer {name!r} drew non-finite weights: {kernel!r}.")
    _add("initializer", name, entry)


def register_optimizer(name, optimizer, *, state=(), overwrite=False):
    """Register an optimizer under ``name``.

    Parameters
    ----------
    name : str
        The value of the estimators' ``solver`` parameter.
    optimizer : Optimizer subclass or callable
        A subclass of :class:`sknn.nn.optimizers.Optimizer` (its constructor
        arguments are filled from the estimator parameters of the same
        names; see the contributor guide), or an update function
        ``update(params, grads, lr, state, step)`` that changes ``params`` in
        place. ``state`` maps each name of the ``state`` argument to an array
        kept between steps (zeros at first); ``step`` counts from 1. The
        arrays are slices of flat vectors handed over a chunk at a time, so
        the rule must treat every element on its own, as optimizers do.
        On ``backend='torch'`` the update runs on host copies of the
        parameters, exactly but slowly on a GPU.
    state : tuple of str, default=()
        The state arrays an update function keeps.
    overwrite : bool, default=False
        Replace an optimizer registered under ``name`` before (never a
        built-in one).

    Examples
    --------
    Signum, the sign of a momentum average:

    >>> import numpy as np
    >>> from sknn import MLPRegressor, register_optimizer, unregister
    >>> def signum(params, grads, lr, state, step):
    ...     state["m"] *= 0.9
    ...     state["m"] += 0.1 * grads
    ...     params -= lr * np.sign(state["m"])
    >>> register_optimizer("signum", signum, state=("m",))
    >>> X = np.linspace(-1, 1, 40).reshape(-1, 1)
    >>> reg = MLPRegressor(hidden_layer_sizes=(8,), solver="signum", max_iter=5,
    ...                    random_state=0).fit(X, X.ravel())
    >>> bool(reg.loss_curve_[-1] < reg.loss_curve_[0])
    True
    >>> unregister("optimizer", "signum")
    """
    _check_name("optimizer", name, overwrite)
    if isinstance(optimizer, type) and issubclass(optimizer, Optimizer):
        if state:
            raise ValueError(f"optimizer {name!r}: state= is for an update function; an "
                             f"Optimizer subclass names its state vectors in _vectors.")
        base, attributes = optimizer, {}
    else:
        _check_callables(optimizer=optimizer)
        base, attributes = _UpdateFunction, {"_update_function": staticmethod(optimizer),
                                             "_vectors": tuple(state)}
    _add("optimizer", name, _named_class("optimizer", name, base,
                                         {"name": name, **attributes}))


def register_schedule(name, schedule, *, overwrite=False):
    """Register a learning-rate schedule under ``name``.

    Parameters
    ----------
    name : str
        The value of the estimators' ``learning_rate`` parameter.
    schedule : Schedule subclass or callable
        A subclass of :class:`sknn.schedules.Schedule`, or a function
        ``schedule(epoch, initial_lr) -> learning rate``, asked before every
        epoch (from 0), where ``initial_lr`` is the estimator's
        ``learning_rate_init``.
    overwrite : bool, default=False
        Replace a schedule registered under ``name`` before (never a
        built-in one).

    Examples
    --------
    >>> import numpy as np
    >>> from sknn import MLPRegressor, register_schedule, unregister
    >>> register_schedule("halving", lambda epoch, initial_lr: initial_lr * 0.5 ** epoch)
    >>> X = np.linspace(-1, 1, 40).reshape(-1, 1)
    >>> reg = MLPRegressor(hidden_layer_sizes=(8,), solver="sgd", learning_rate="halving",
    ...                    learning_rate_init=0.1, max_iter=3, random_state=0).fit(X, X.ravel())
    >>> reg.history_["learning_rate"]
    [0.1, 0.05, 0.025]
    >>> unregister("schedule", "halving")
    """
    _check_name("schedule", name, overwrite)
    if isinstance(schedule, type) and issubclass(schedule, Schedule):
        base, attributes = schedule, {}
    else:
        _check_callables(schedule=schedule)
        base, attributes = _EpochFunction, {"_function": staticmethod(schedule)}
    _add("schedule", name, _named_class("schedule", name, base, attributes))


def unregister(kind, name):
    """Remove the block ``name`` of ``kind`` that a ``register_<kind>`` function added.

    Parameters
    ----------
    kind : {'activation', 'loss', 'initializer', 'optimizer', 'schedule'}
    name : str

    Examples
    --------
    >>> from sknn import register_schedule, unregister
    >>> register_schedule("fixed", lambda epoch, initial_lr: initial_lr)
    >>> unregister("schedule", "fixed")
    >>> unregister("schedule", "fixed")
    Traceback (most recent call last):
    ...
    ValueError: schedule 'fixed' is not registered by register_schedule: nothing to unregister.
    """
    if name not in _REGISTERED[_kind(kind)]:
        raise ValueError(f"{kind} {name!r} is not registered by register_{kind}: nothing to "
                         f"unregister.")
    _REGISTRIES[kind].unregister(name)
    _REGISTERED[kind].discard(name)
    make_loss.cache_clear()  # make_loss would still return a removed loss's entry


def check_registered(state):
    """Raise a ValueError naming a block that an estimator's pickled ``state`` uses
    (its parameters, the layers and loss of its networks) and this process lacks."""
    uses = [(kind, state.get(parameter)) for parameter, kind in _PARAMETER_KINDS.items()]
    for network in (value for value in state.values() if isinstance(value, Network)):
        uses.append(("loss", network.spec.loss.name))
        uses += [("activation", layer.name) for layer in network.spec.layers
                 if isinstance(layer, Activation)]
        uses += [("initializer", layer.initializer) for layer in network.spec.layers
                 if isinstance(layer, Dense)]
    for kind, name in uses:
        if isinstance(name, str) and name not in _REGISTRIES[kind] and (
                name not in _RESERVED[kind]):
            raise _not_registered(kind, name)


# -- helpers -------------------------------------------------------------------
def _kind(kind):
    if kind not in _REGISTRIES:
        raise ValueError(f"kind must be one of {', '.join(map(repr, _REGISTRIES))}, "
                         f"got {kind!r}.")
    return kind


def _check_name(kind, name, overwrite):
    """Refuse ``name`` before any work: built in, reserved, or taken without ``overwrite``."""
    registry = _REGISTRIES[kind]
    if not isinstance(name, str) or not name:
        raise ValueError(f"A {kind} name must be a non-empty string, got {name!r}.")
    if name in _RESERVED[kind] or (name in registry and name not in _REGISTERED[kind]):
        raise ValueError(f"{kind} {name!r} is built into sknn and cannot be replaced; "
                         f"register yours under another name.")
    if name in registry and not overwrite:
        raise ValueError(f"{kind} {name!r} is already registered; pass overwrite=True "
                         f"to replace it.")


def _add(kind, name, entry):
    registry = _REGISTRIES[kind]
    if name in registry:  # overwrite, checked by _check_name
        registry.unregister(name)
    registry.register(name)(entry)
    _REGISTERED[kind].add(name)
    make_loss.cache_clear()  # make_loss would still return a replaced loss's entry


def _not_registered(kind, name):
    return ValueError(
        f"This model uses the {kind} {name!r}, which is not registered in this process. "
        f"Register it as the process that saved the model did "
        f"(sknn.register_{kind}({name!r}, ...)) before loading the model.")


def _check_callables(**functions):
    for argument, function in functions.items():
        if function is not None and not callable(function):
            raise TypeError(f"{argument} must be callable, got {function!r}.")


def _check_shape(block, what, value, shape):
    if np.shape(value) != tuple(shape):
        raise ValueError(f"{block}: the {what} returned shape {np.shape(value)}, "
                         f"expected {tuple(shape)}.")


def _check_gradient(block, what, function, gradient, points):
    """Refuse ``gradient`` unless it matches central finite differences of the sum
    of ``function`` at ``points`` (float64; each evaluation gets its own copy)."""
    analytic = np.asarray(gradient(points.copy()), dtype=np.float64)
    _check_shape(block, what, analytic, points.shape)
    numeric = np.empty_like(points)
    for index in np.ndindex(points.shape):
        up, down = points.copy(), points.copy()
        up[index] += _STEP
        down[index] -= _STEP
        numeric[index] = (np.sum(function(up)) - np.sum(function(down))) / (2 * _STEP)
    error = np.abs(analytic - numeric) / np.maximum(np.abs(numeric), 1.0)
    worst = np.unravel_index(np.argmax(np.nan_to_num(error, nan=np.inf)), error.shape)
    if not error[worst] <= _TOLERANCE:
        raise ValueError(
            f"{block}: the {what} disagrees with central finite differences of the function: "
            f"largest relative error {error[worst]:.3g} (tolerance {_TOLERANCE:g}), "
            f"{analytic[worst]:.6g} instead of {numeric[worst]:.6g} at input "
            f"{points[worst]:.6g}.")


def _output_link(name, link):
    """``(out_activation name, link function, output range)`` of a loss's ``link``."""
    if callable(link):
        return name, link, (-np.inf, np.inf)
    if link == "softmax":
        softmax = LOSSES.get("log_loss")
        return "softmax", softmax.link, softmax.output_range
    if link not in OUTPUT_ACTIVATIONS:
        raise ValueError(f"link must be a function or one of "
                         f"{', '.join(map(repr, [*OUTPUT_ACTIVATIONS.names(), 'softmax']))}, "
                         f"got {link!r}.")
    output = OUTPUT_ACTIVATIONS.get(link)
    low, high = output.natural_range
    return link, functools.partial(output.forward, low=low, high=high), output.natural_range


@dataclass(frozen=True)
class _KernelInitializer:
    """An initializer function ``(shape, rng) -> kernel`` as a registry entry; zero biases."""

    name: str
    draw: Callable

    def __call__(self, fan_in, fan_out, rng, dtype=np.float64, gain=1.0):
        # gain differs from 1 for the built-in 'sklearn' initializer only
        kernel = np.asarray(self.draw((fan_in, fan_out), rng), dtype=dtype)
        return kernel, np.zeros(fan_out, dtype=dtype)


class _UpdateFunction(Optimizer):
    """An :class:`Optimizer` running the update function of :func:`register_optimizer`."""

    _scratch_rows = 0  # the function makes its own temporaries

    def _begin_step(self, lr):
        return lr

    def _update(self, chunk, p, g, lr):
        vectors = self._state.vectors
        self._update_function(p, g, lr, {name: vectors[name][chunk] for name in self._vectors},
                              self.n_steps)


class _EpochFunction(Schedule):
    """A :class:`Schedule` asking the function of :func:`register_schedule` every epoch."""

    per_epoch = True

    def __init__(self, initial_lr=None):
        self.initial_lr = initial_lr
        self._check_params()

    def __call__(self, progress):
        return self._function(progress.epoch, self.initial_lr)


def _named_class(kind, name, base, attributes):
    """A subclass of ``base`` registered as ``name``, whose instances pickle by that name.

    A subclass, so the user's class is left as it was; made here, so it
    cannot be imported by a pickle: :func:`_instance_of` finds it again. It
    takes the user's class name, or the registered name when it wraps a
    function (in the repr of a schedule: ``halving(initial_lr=0.1)``).
    """
    wraps_function = base in (_UpdateFunction, _EpochFunction)
    return type(name if wraps_function else base.__name__, (base,),
                {**attributes, "_registered_as": (kind, name), "__module__": base.__module__,
                 "__reduce_ex__": _reduce_by_name})


def _reduce_by_name(self, protocol):
    state = object.__reduce_ex__(self, protocol)[2]  # what a pickle of the class would keep
    return _instance_of, self._registered_as, state


def _instance_of(kind, name):
    """An empty instance of the registered class ``name`` (unpickling)."""
    if name not in _REGISTRIES[kind]:
        raise _not_registered(kind, name)
    cls = _REGISTRIES[kind].get(name)
    return cls.__new__(cls)
