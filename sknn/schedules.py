"""Learning-rate schedules: small objects from training progress to a rate.

A schedule is a scikit-learn-style estimator of hyperparameters (so
``clone``, ``get_params`` and ``set_params`` work, and a search can tune
``learning_rate__max_lr``) with one method that matters::

    schedule(progress) -> learning_rate

where ``progress`` is a :class:`Progress`. Two class attributes tell
:func:`sknn.training.fit_loop` when to ask:

- ``per_step``: before every minibatch (1cycle, cosine, power, exponential);
- ``per_epoch``: before every epoch (piecewise, scikit-learn's invscaling);
- neither: once, at the start of a fit; the loop holds the rate afterwards.

After every epoch the loop asks :meth:`Schedule.end_epoch`, the hook of the
reactive policies (:class:`ReduceOnPlateau`, :class:`Adaptive`), for the
rate to hold. A schedule may also define ``momentum(progress)``, applied to
optimizers with a ``momentum`` attribute (SGD) before the same step. An
initial rate left at ``None`` is the estimator's ``learning_rate_init``
(:func:`make_schedule` fills it in on a copy), so every registered name works
with its defaults: ``learning_rate='cosine'``.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from numbers import Real

from sklearn.base import BaseEstimator, clone

from sknn._registry import Registry
from sknn._sklearn_compat import Interval

SCHEDULES = Registry("learning_rate schedule")

# The ranges hyperparameters are checked against (finite numbers only), and why.
_AT_LEAST_0 = Interval(Real, 0, None, closed="left")
_ABOVE_0 = Interval(Real, 0, None, closed="neither")
_AT_LEAST_1 = Interval(Real, 1, None, closed="left")
_FRACTION = Interval(Real, 0, 1, closed="both")
_GROWS = " (a negative power makes the rate grow)"
_NEGATIVE_RATE = " (a negative rate climbs the loss)"
_OVERSHOOTS = " (below 1 a rate would exceed max_lr or rise at the end of the cycle)"


@dataclass(frozen=True, slots=True)
class Progress:
    """Where training stands when a rate is asked for.

    ``epoch`` and ``step`` (optimizer steps taken) count from 0 at the start
    of a fit and continue over ``partial_fit`` calls; ``samples_seen`` is
    scikit-learn's ``t_``; ``total_epochs`` is ``max_iter``.

    Examples
    --------
    >>> Progress(epoch=1, step=12, samples_seen=1200, total_epochs=10,
    ...          steps_per_epoch=10).total_steps
    100
    """

    epoch: int
    step: int
    samples_seen: int
    total_epochs: int
    steps_per_epoch: int

    @property
    def total_steps(self) -> int:
        """Optimizer steps in the whole fit: ``total_epochs * steps_per_epoch``."""
        return self.total_epochs * self.steps_per_epoch


def _is_real(value):
    return isinstance(value, Real) and not isinstance(value, bool)


class Schedule(BaseEstimator):
    """Base class: hyperparameters in ``__init__``, the rate in ``__call__``.

    Subclasses list in ``_rate_params`` the parameters that default to the
    estimator's ``learning_rate_init`` when left at ``None``. A schedule with
    ``fixed_budget = True`` plans the whole fit (its rate depends on
    ``max_iter``, like 1cycle's): the training-loss stopping rule does not
    cut it short (early stopping on a validation set does), and running all
    ``max_iter`` epochs is not a convergence failure. Under ``partial_fit``
    it runs over the first ``max_iter`` calls; later calls keep its final
    rate, and the first of them warns (:class:`~sknn.exceptions.ScheduleBudgetWarning`).

    The built-in schedules check their parameters when they are set and
    again, with the unset rates filled in, when a fit binds them. The
    training loop checks every rate a schedule returns, so a custom one
    that returns a negative, infinite or non-numeric rate stops the fit
    with an error naming it.

    Examples
    --------
    A schedule that halves the rate every epoch, usable as any estimator's
    ``learning_rate``:

    >>> class Halving(Schedule):
    ...     per_epoch = True
    ...     def __init__(self, initial_lr=None):
    ...         self.initial_lr = initial_lr
    ...     def __call__(self, progress):
    ...         return self.initial_lr * 0.5 ** progress.epoch
    >>> schedule = Halving().bind(0.1)
    >>> [schedule(Progress(epoch, 0, 0, 3, 1)) for epoch in range(3)]
    [0.1, 0.05, 0.025]
    """

    per_step = False
    per_epoch = False
    fixed_budget = False
    #: Whether :meth:`end_epoch` reads the validation loss (the loop then
    #: refuses to start without a validation set).
    needs_validation = False
    _rate_params = ("initial_lr",)
    #: Hyperparameter -> (the range of finite numbers it must lie in, why); one
    #: whose default is None may also be None (the fit fills it in).
    _limits = {}

    def __call__(self, progress: Progress) -> float:
        raise NotImplementedError

    def momentum(self, progress: Progress):
        """The optimizer momentum for this step, or None to leave it alone."""
        return None

    def end_epoch(self, lr, history, stall, memory):
        """React to the epoch that just ended: the rate to hold, or None to stop.

        Parameters
        ----------
        lr : float
            The rate of that epoch (the held rate, for schedules that are
            neither per step nor per epoch).
        history : dict of lists
            The fit's history (:data:`sknn.training.HISTORY_KEYS`), that epoch last.
        stall : str or None
            scikit-learn's stopping rule: None while the monitored value
            improves, else its report ("Training loss did not improve more
            than tol=... for ... consecutive epochs.").
        memory : dict
            This schedule's own notes, empty when a ``fit`` starts and kept
            over ``partial_fit`` calls (and pickles).

        Returns
        -------
        rate : float or None
            The rate to hold from the next epoch on (a lower one also
            restarts the stopping rule's patience), or None to stop training.
        message : str or None
            A line for the verbose log.
        """
        if stall is not None:
            return None, stall + " Stopping."
        return lr, None

    def bind(self, learning_rate_init):
        """A validated copy whose unset rates are ``learning_rate_init``."""
        bound = clone(self)
        for name in self._rate_params:
            if getattr(bound, name) is None:
                setattr(bound, name, float(learning_rate_init))
        bound._check_params()
        return bound

    def set_params(self, **params):
        """Set parameters (scikit-learn's ``set_params``), then check them."""
        super().set_params(**params)
        self._check_params()
        return self

    def _check_params(self):
        for name in self._rate_params:
            value = getattr(self, name, None)
            if value is not None:
                self._require(_is_real(value) and 0 < value < math.inf,
                              f"{name} must be a finite learning rate > 0", value)
        defaults = inspect.signature(type(self)).parameters
        for name, (interval, why) in self._limits.items():
            value, optional = getattr(self, name), defaults[name].default is None
            if not (optional and value is None):
                self._require(_is_real(value) and interval.is_satisfied_by(value), f"{name} must "
                              f"be {'None or ' if optional else ''}{interval}{why}", value)
        self._validate()

    def _require(self, condition, requirement, value):
        if not condition:
            raise ValueError(f"{type(self).__name__}: {requirement}, got {value!r}.")

    def _validate(self):
        """Checks beyond :attr:`_limits` (a rate left at None is not known yet)."""


@SCHEDULES.register("constant")
class Constant(Schedule):
    """The rate never changes (the base end-of-epoch policy only stops training).

    Examples
    --------
    >>> Constant(initial_lr=0.1)(Progress(5, 50, 500, 10, 10))
    0.1
    """

    def __init__(self, initial_lr=None):
        self.initial_lr = initial_lr
        self._check_params()

    def __call__(self, progress):
        return self.initial_lr


@SCHEDULES.register("invscaling")
class InvScaling(Schedule):
    """scikit-learn's ``'invscaling'``: ``initial_lr / (samples_seen + 1) ** power_t``.

    As in scikit-learn, the first epoch of a fit runs at ``initial_lr`` and
    each later epoch at the rule's value for the samples seen so far.

    Examples
    --------
    >>> schedule = InvScaling(initial_lr=0.1, power_t=0.5)
    >>> schedule(Progress(0, 0, 99, 10, 1)), round(schedule(Progress(1, 1, 99, 10, 1)), 6)
    (0.1, 0.01)
    """

    per_epoch = True
    _limits = {"power_t": (_AT_LEAST_0, _GROWS)}

    def __init__(self, initial_lr=None, power_t=0.5):
        self.initial_lr = initial_lr
        self.power_t = power_t
        self._check_params()

    def __call__(self, progress):
        if progress.epoch == 0:
            return self.initial_lr
        return self.initial_lr / pow(progress.samples_seen + 1, self.power_t)


@SCHEDULES.register("power")
class PowerDecay(Schedule):
    """Power scheduling: ``initial_lr / (1 + step / decay_steps) ** power``.

    ``decay_steps=None`` is one epoch's steps: with ``power=1`` the rate is
    ``initial_lr / (1 + epochs done)``.

    Examples
    --------
    >>> PowerDecay(initial_lr=0.1, decay_steps=10, power=2.0)(Progress(3, 30, 0, 10, 10))
    0.00625
    """

    per_step = True
    _limits = {"decay_steps": (_ABOVE_0, ""), "power": (_AT_LEAST_0, _GROWS)}

    def __init__(self, initial_lr=None, decay_steps=None, power=1.0):
        self.initial_lr = initial_lr
        self.decay_steps = decay_steps
        self.power = power
        self._check_params()

    def __call__(self, progress):
        steps = self.decay_steps or progress.steps_per_epoch
        return self.initial_lr / (1.0 + progress.step / steps) ** self.power


@SCHEDULES.register("exponential")
class ExponentialDecay(Schedule):
    """Exponential scheduling: ``initial_lr * decay_rate ** (step / decay_steps)``.

    ``decay_steps=None`` is the whole fit's steps, so by default the rate
    falls tenfold, smoothly, from the first step to the last.

    Examples
    --------
    >>> round(ExponentialDecay(initial_lr=0.1)(Progress(5, 50, 0, 10, 10)), 6)  # half way
    0.031623
    """

    per_step = True
    _limits = {"decay_steps": (_ABOVE_0, ""), "decay_rate": (
        Interval(Real, 0, 1, closed="right"), " (above 1 the rate grows without bound)")}

    def __init__(self, initial_lr=None, decay_steps=None, decay_rate=0.1):
        self.initial_lr = initial_lr
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self._check_params()

    def __call__(self, progress):
        steps = self.decay_steps or max(progress.total_steps, 1)
        return self.initial_lr * self.decay_rate ** (progress.step / steps)


@SCHEDULES.register("piecewise")
class PiecewiseConstant(Schedule):
    """Piecewise constant scheduling over epochs.

    ``values[i]`` is the rate from epoch ``boundaries[i - 1]`` (0 for
    ``i = 0``) to epoch ``boundaries[i]``. ``values=None`` divides
    ``initial_lr`` by 10 at each boundary; without boundaries the rate is
    constant.

    Examples
    --------
    >>> schedule = PiecewiseConstant(boundaries=(5, 15), values=(0.1, 0.05, 0.01))
    >>> [schedule(Progress(epoch, 0, 0, 20, 1)) for epoch in (0, 4, 5, 14, 15)]
    [0.1, 0.1, 0.05, 0.05, 0.01]
    """

    per_epoch = True

    def __init__(self, boundaries=(), values=None, initial_lr=None):
        self.boundaries = boundaries
        self.values = values
        self.initial_lr = initial_lr
        self._check_params()

    def _validate(self):
        boundaries = list(self.boundaries)
        self._require(all(_is_real(b) and math.isfinite(b) and b >= 0 for b in boundaries)
                      and boundaries == sorted(boundaries),
                      "boundaries must be increasing epoch numbers >= 0", self.boundaries)
        if self.values is not None:
            values = list(self.values)
            self._require(len(values) == len(boundaries) + 1,
                          f"values needs one more entry than boundaries ({len(boundaries)})",
                          self.values)
            self._require(all(_is_real(v) and 0 < v < math.inf for v in values),
                          "values must be finite learning rates > 0", self.values)

    def __call__(self, progress):
        index = sum(boundary <= progress.epoch for boundary in self.boundaries)
        if self.values is None:
            return self.initial_lr * 0.1**index
        return float(self.values[index])


def _anneal(start, end, fraction, strategy):
    """From ``start`` (fraction 0) to ``end`` (fraction 1), linearly or along a half cosine."""
    if strategy == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1)
    return (end - start) * fraction + start


@SCHEDULES.register("one_cycle")
class OneCycle(Schedule):
    """Leslie Smith's 1cycle policy, as PyTorch's ``OneCycleLR``.

    The rate rises from ``max_lr / div_factor`` to ``max_lr`` over the first
    ``pct_start`` of all steps, then falls to ``max_lr / (div_factor *
    final_div_factor)``. ``three_phase`` first returns to the initial rate
    over as many steps, then falls. SGD's momentum moves the opposite way,
    between ``max_momentum`` and ``base_momentum``. Steps past the end keep
    the final rate.

    Examples
    --------
    >>> schedule = OneCycle(max_lr=1.0, pct_start=0.5, div_factor=10.0)
    >>> [round(schedule(Progress(0, step, 0, 1, 10)), 3) for step in range(10)]
    [0.1, 0.325, 0.55, 0.775, 1.0, 0.8, 0.6, 0.4, 0.2, 0.0]
    >>> [round(schedule.momentum(Progress(0, step, 0, 1, 10)), 3) for step in (0, 4, 9)]
    [0.95, 0.85, 0.95]
    """

    per_step = True
    fixed_budget = True
    _rate_params = ("max_lr",)
    _limits = {"pct_start": (_FRACTION, ""), "base_momentum": (_FRACTION, ""),
               "max_momentum": (_FRACTION, ""), "div_factor": (_AT_LEAST_1, _OVERSHOOTS),
               "final_div_factor": (_AT_LEAST_1, _OVERSHOOTS)}

    def __init__(self, max_lr=None, pct_start=0.3, div_factor=25.0, final_div_factor=1e4,
                 anneal_strategy="linear", three_phase=False, cycle_momentum=True,
                 base_momentum=0.85, max_momentum=0.95):
        self.max_lr = max_lr
        self.pct_start = pct_start
        self.div_factor = div_factor
        self.final_div_factor = final_div_factor
        self.anneal_strategy = anneal_strategy
        self.three_phase = three_phase
        self.cycle_momentum = cycle_momentum
        self.base_momentum = base_momentum
        self.max_momentum = max_momentum
        self._check_params()

    def _validate(self):
        self._require(self.anneal_strategy in ("linear", "cos"),
                      "anneal_strategy must be 'linear' or 'cos'", self.anneal_strategy)

    def _position(self, progress):
        """(start value index, end value index, fraction of the phase done); the
        values 0, 1, 2 are the initial, the maximum and the final one."""
        total = progress.total_steps
        step, start_step = min(progress.step, total - 1), 0.0
        rise = float(self.pct_start * total) - 1
        # (end step, start value, end value) per phase
        phases = ([(rise, 0, 1), (2 * rise, 1, 0), (total - 1, 0, 2)] if self.three_phase
                  else [(rise, 0, 1), (total - 1, 1, 2)])
        for index, (end_step, start, end) in enumerate(phases):
            if step <= end_step or index == len(phases) - 1:
                span = end_step - start_step
                return start, end, (step - start_step) / span if span else 1.0
            start_step = end_step

    def __call__(self, progress):
        initial = self.max_lr / self.div_factor
        rates = (initial, self.max_lr, initial / self.final_div_factor)
        start, end, fraction = self._position(progress)
        return _anneal(rates[start], rates[end], fraction, self.anneal_strategy)

    def momentum(self, progress):
        if not self.cycle_momentum:
            return None
        momenta = (self.max_momentum, self.base_momentum, self.max_momentum)
        start, end, fraction = self._position(progress)
        return _anneal(momenta[start], momenta[end], fraction, self.anneal_strategy)


@SCHEDULES.register("cosine")
class CosineDecay(Schedule):
    """Cosine decay from ``initial_lr`` to ``min_lr``, after an optional linear warm-up.

    The first ``warmup_steps`` steps rise linearly from ``min_lr`` towards
    ``initial_lr``; the next ``decay_steps`` (default: all remaining steps of
    the fit) follow ``min_lr + (initial_lr - min_lr) (1 + cos(pi f)) / 2``;
    later steps stay at ``min_lr``.

    Examples
    --------
    >>> schedule = CosineDecay(initial_lr=1.0, warmup_steps=2)
    >>> [round(schedule(Progress(0, step, 0, 1, 6)), 4) for step in range(6)]
    [0.0, 0.5, 1.0, 0.8536, 0.5, 0.1464]
    """

    per_step = True
    fixed_budget = True
    _limits = {"min_lr": (_AT_LEAST_0, _NEGATIVE_RATE), "warmup_steps": (_AT_LEAST_0, ""),
               "decay_steps": (_ABOVE_0, "")}

    def __init__(self, initial_lr=None, min_lr=0.0, warmup_steps=0, decay_steps=None):
        self.initial_lr = initial_lr
        self.min_lr = min_lr
        self.warmup_steps = warmup_steps
        self.decay_steps = decay_steps
        self._check_params()

    def _validate(self):
        if self.initial_lr is not None:
            self._require(self.min_lr <= self.initial_lr, f"min_lr must not exceed "
                          f"initial_lr={self.initial_lr!r} (the decay would make the rate "
                          f"grow)", self.min_lr)

    def __call__(self, progress):
        span = self.initial_lr - self.min_lr
        if progress.step < self.warmup_steps:
            return self.min_lr + span * progress.step / self.warmup_steps
        decay_steps = self.decay_steps or max(progress.total_steps - self.warmup_steps, 1)
        fraction = min((progress.step - self.warmup_steps) / decay_steps, 1.0)
        return self.min_lr + span * (1.0 + math.cos(math.pi * fraction)) / 2.0


@SCHEDULES.register("plateau")
class ReduceOnPlateau(Schedule):
    """Performance scheduling: multiply the rate by ``factor`` when progress stalls.

    Keras's ``ReduceLROnPlateau``, run by :meth:`end_epoch`: an epoch
    improves when the monitored loss (``'loss'`` or ``'val_loss'``, the
    latter needing a validation set) falls below the best so far minus
    ``min_delta``; after ``patience`` epochs without improvement the rate
    becomes ``max(rate * factor, min_lr)``. A reduction also restarts the
    ``n_iter_no_change`` count, as scikit-learn's ``'adaptive'`` does.

    Examples
    --------
    >>> policy = ReduceOnPlateau(factor=0.5, patience=2).bind(0.1)
    >>> memory, history = {}, {"loss": []}
    >>> for loss in (1.0, 1.0, 1.0):
    ...     history["loss"].append(loss)
    ...     print(policy.end_epoch(0.1, history, None, memory))
    (0.1, None)
    (0.1, None)
    (0.05, 'loss did not improve for 2 epochs. Setting learning rate to 0.050000')
    """

    _limits = {"factor": (Interval(Real, 0, 1, closed="neither"), ""),
               "patience": (_AT_LEAST_1, ""),
               "min_lr": (_AT_LEAST_0, _NEGATIVE_RATE), "min_delta": (_AT_LEAST_0, "")}

    def __init__(self, initial_lr=None, factor=0.1, patience=10, min_lr=0.0, min_delta=1e-4,
                 monitor="loss"):
        self.initial_lr = initial_lr
        self.factor = factor
        self.patience = patience
        self.min_lr = min_lr
        self.min_delta = min_delta
        self.monitor = monitor
        self._check_params()

    def _validate(self):
        self._require(self.monitor in ("loss", "val_loss"), "monitor must be 'loss' or "
                      "'val_loss'", self.monitor)

    @property
    def needs_validation(self):
        return self.monitor == "val_loss"

    def __call__(self, progress):
        return self.initial_lr

    def end_epoch(self, lr, history, stall, memory):
        value = history[self.monitor][-1]
        if value < memory.get("best", math.inf) - self.min_delta:
            memory.update(best=value, wait=0)
        else:
            memory["wait"] = memory.get("wait", 0) + 1
            if memory["wait"] >= self.patience and lr > self.min_lr:
                memory["wait"] = 0
                lr = max(lr * self.factor, self.min_lr)
                return lr, ("%s did not improve for %d epochs. Setting learning rate to %f"
                            % (self.monitor, self.patience, lr))
        return super().end_epoch(lr, history, stall, memory)


class Adaptive(Constant):
    """scikit-learn's ``learning_rate='adaptive'``: divide the rate instead of stopping.

    The rate is constant until scikit-learn's stopping rule (``tol``,
    ``n_iter_no_change``) fires; then it is divided by ``divisor`` and the
    rule's patience starts again; once the rate is at most ``min_lr`` the
    rule stops training. The defaults are scikit-learn's.

    Examples
    --------
    >>> policy = Adaptive().bind(0.1)
    >>> policy.end_epoch(0.1, {}, None, {})
    (0.1, None)
    >>> policy.end_epoch(0.1, {}, "Training loss did not improve.", {})
    (0.02, 'Training loss did not improve. Setting learning rate to 0.020000')
    >>> policy.end_epoch(1e-6, {}, "Training loss did not improve.", {})
    (None, 'Training loss did not improve. Learning rate too small. Stopping.')
    """

    _limits = {"divisor": (Interval(Real, 1, None, closed="neither"),
                           " (dividing by at most 1 does not lower the rate)"),
               "min_lr": (_AT_LEAST_0, _NEGATIVE_RATE)}

    def __init__(self, initial_lr=None, divisor=5.0, min_lr=1e-6):
        self.divisor = divisor
        self.min_lr = min_lr
        super().__init__(initial_lr)

    def end_epoch(self, lr, history, stall, memory):
        if stall is None:
            return lr, None
        if lr <= self.min_lr:
            return None, stall + " Learning rate too small. Stopping."
        lr /= self.divisor
        return lr, stall + " Setting learning rate to %f" % lr


def make_schedule(schedule, learning_rate_init, **params) -> Schedule:
    """The schedule ``schedule`` (a registered name or an object), bound to a rate.

    A name is built from the entries of ``params`` its constructor takes
    (estimators pass one dict, e.g. ``power_t``, whatever the schedule); an
    object is copied. Unset initial rates become ``learning_rate_init``.

    Examples
    --------
    >>> make_schedule("invscaling", 0.3, power_t=0.25, unused=1)
    InvScaling(initial_lr=0.3, power_t=0.25)
    >>> make_schedule(OneCycle(), 0.2).max_lr
    0.2
    """
    if isinstance(schedule, str):
        schedule = schedule_from_name(schedule, **params)
    return schedule.bind(learning_rate_init)


def schedule_from_name(name, **params):
    """The registered schedule ``name`` built as :func:`make_schedule` does, unbound.

    Examples
    --------
    >>> schedule_from_name("invscaling", power_t=0.25, unused=1)
    InvScaling(power_t=0.25)
    """
    schedule_class = SCHEDULES.get(name)
    accepted = schedule_class().get_params(deep=False)
    return schedule_class(**{key: value for key, value in params.items() if key in accepted})
