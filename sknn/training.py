"""The one training loop, written against the engine interface.

``fit_loop`` owns epochs, minibatches, shuffling, the learning-rate schedule
(and its momentum), the plateau policies, early stopping with restore of the
best weights, the history, optional per-layer gradient norms and verbose
output (printed by :mod:`sknn._progress`); ``fit_lbfgs`` runs full-batch
L-BFGS. Neither knows about labels or estimators: scoring arrives as a
callback.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize

from sknn._progress import EpochLog
from sknn.exceptions import DivergenceWarning, ScheduleBudgetWarning
from sknn.schedules import Progress, ReduceOnPlateau, Schedule, make_schedule

HISTORY_KEYS = ("loss", "val_loss", "val_score", "learning_rate", "seconds")
#: History key of the per-layer gradient norms (present only when tracked).
GRADIENT_NORMS_KEY = "gradient_norms"
#: Rows of the fixed batch on which gradient norms are measured.
GRADIENT_PROBE_SIZE = 512


@dataclass
class TrainState:
    """Everything the loop carries across ``partial_fit``/warm-start calls.

    ``epoch`` and ``step`` locate the schedule (:class:`sknn.schedules.Progress`)
    and, with the :class:`~sknn.schedules.ReduceOnPlateau` counters, restart
    with every ``fit`` but continue over ``partial_fit`` calls.
    """

    n_iter: int = 0
    t: int = 0
    loss: float | None = None
    loss_curve: list = field(default_factory=list)
    best_loss: float | None = np.inf
    validation_scores: list | None = None
    best_validation_score: float | None = None
    no_improvement_count: int = 0
    best_weights: list | None = None
    learning_rate: float | None = None
    history: dict = field(default_factory=lambda: {key: [] for key in HISTORY_KEYS})
    epoch: int = 0
    step: int = 0
    plateau_best: float = np.inf
    plateau_wait: int = 0
    best_epoch: int = 0  # epoch (of the current fit) of best_weights; 0: the initial ones
    budget_warned: bool = False  # partial_fit past a fixed-budget schedule was told

    @classmethod
    def fresh(cls, early_stopping, initial_weights):
        # Only early stopping restores best weights (the initial ones when no
        # epoch ever improves); without it, keeping a copy would only make
        # every pickled model one set of weights larger.
        state = cls()
        if early_stopping:
            state.best_weights = initial_weights
            state.validation_scores = []
            state.best_validation_score = -np.inf
            state.best_loss = None
        return state

    def restart_schedule(self):
        """Start the schedule over (a new ``fit``, warm-started or not)."""
        self.epoch = self.step = self.plateau_wait = 0
        self.plateau_best = np.inf
        self.budget_warned = False
        self.best_epoch = 0


@dataclass
class Validation:
    """Held-out data: engine data and a score callback.

    With ``stops`` (early stopping) it decides when training ends and which
    weights are kept; without, it is only evaluated and recorded each epoch.
    """

    data: object
    score: object  # callable(engine) -> float, higher is better
    stops: bool = True


def resolve_batch_size(batch_size, n_samples, warn=True):
    """scikit-learn's rule: 'auto' is ``min(200, n)``; others are clipped to [1, n].

    Clipping warns as scikit-learn does, unless ``warn`` is False (an
    estimator's own default, which the user never chose, is clipped silently).
    """
    if batch_size == "auto":
        return min(200, n_samples)
    if warn and batch_size > n_samples:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped"
        )
    return int(np.clip(batch_size, 1, n_samples))


def check_rate(rate, schedule):
    """``rate`` as a float, or an error naming ``schedule`` when it is not a usable rate.

    A negative rate climbs the loss (gradient ascent) and a NaN or infinite
    one destroys the weights, so neither is ever handed to an optimizer. A
    rate of 0 is accepted: the step changes nothing (1cycle and cosine decay
    end near or at 0 by design).
    """
    try:
        value = float(rate)
    except (TypeError, ValueError):
        raise TypeError(f"The learning-rate schedule {schedule!r} returned {rate!r}, which is "
                        f"not a number; a schedule must return a finite rate >= 0.") from None
    if not 0.0 <= value < math.inf:
        raise ValueError(f"The learning-rate schedule {schedule!r} returned the rate {value!r}; "
                         f"a rate must be finite and >= 0 (a negative rate climbs the loss). "
                         f"Check the schedule's parameters.")
    return value


def _epoch_order(rng, sample_idx):
    # The same permutation draw as scikit-learn's `utils.shuffle`, so a seed
    # visits samples in the same order in both libraries.
    permutation = np.arange(sample_idx.shape[0])
    rng.shuffle(permutation)
    return sample_idx[permutation]


def run_epoch(engine, data, config, rng, sample_idx, batch_size, lr, rate_at=None,
              progress=None):
    """One pass over ``data``; returns the sample-weighted mean batch loss.

    ``rate_at(start)``, when given, is the rate of the batch starting at
    sample ``start`` (a per-step schedule); otherwise every batch uses ``lr``.
    ``progress``, a :class:`sknn._progress.ProgressBar`, is updated when the
    samples done reach its ``next_check`` (one comparison per batch). A
    batch the engine skips (``train_step`` returns None: its sample weights
    sum to zero) counts neither in the loss nor in its mean.
    """
    n_samples = data.n_samples
    if config.shuffle:
        sample_idx = _epoch_order(rng, sample_idx)
    accumulated, counted = 0.0, n_samples
    try:
        for start in range(0, n_samples, batch_size):
            stop = min(start + batch_size, n_samples)
            idx = sample_idx[start:stop] if config.shuffle else slice(start, stop)
            if rate_at is not None:
                lr = rate_at(start)
            loss = engine.train_step(data, idx, lr)
            if loss is None:
                counted -= stop - start
            else:
                accumulated += loss * (stop - start)
            if progress is not None and stop >= progress.next_check:
                progress.update(stop, accumulated)
    finally:  # an interrupted epoch too leaves a clean line
        if progress is not None:
            progress.close()
    # float(): an engine may return lazy device scalars (one sync per epoch)
    return (float(accumulated / counted) if counted else 0.0), sample_idx


class _Rates:
    """Asks the schedule for the rate (and SGD's momentum) when its kind says to.

    Per-step schedules are asked before every batch, per-epoch ones before
    every epoch, the others (constant, plateau) only when their schedule
    starts: afterwards the loop holds the rate and the plateau policies
    lower it.
    """

    def __init__(self, schedule, optimizer, total_epochs, steps_per_epoch, batch_size):
        self.schedule = schedule
        self.total_epochs, self.steps_per_epoch = total_epochs, steps_per_epoch
        self.batch_size = batch_size
        self.optimizer = optimizer
        # only schedules that override Schedule.momentum cost a call per step
        cycles = getattr(type(schedule), "momentum", Schedule.momentum) is not Schedule.momentum
        self.set_momentum = cycles and hasattr(optimizer, "momentum")
        self.base_momentum = getattr(optimizer, "momentum", None)

    def current(self, state, lr, apply_momentum=False):
        """The rate of the next step; ``lr`` is the rate the loop holds.

        With ``apply_momentum`` the schedule's momentum for that step is
        given to the optimizer as well.
        """
        schedule = self.schedule
        if not (schedule.per_step or schedule.per_epoch or state.epoch == 0):
            return lr
        progress = Progress(state.epoch, state.step, state.t, self.total_epochs,
                            self.steps_per_epoch)
        if apply_momentum:
            self._apply_momentum(progress)
        return check_rate(schedule(progress), schedule)

    def _apply_momentum(self, progress):
        if self.set_momentum:
            momentum = self.schedule.momentum(progress)
            if momentum is not None:
                self.optimizer.momentum = float(momentum)

    def per_step(self, state):
        """``rate_at(start)`` for :func:`run_epoch`, or None for epoch-wise rates."""
        if not self.schedule.per_step:
            return None
        schedule, batch_size, apply_momentum = self.schedule, self.batch_size, None
        if self.set_momentum:
            apply_momentum = self._apply_momentum
        epoch, step, seen = state.epoch, state.step, state.t
        total_epochs, steps_per_epoch = self.total_epochs, self.steps_per_epoch

        def rate_at(start):
            progress = Progress(epoch, step + start // batch_size, seen + start,
                                total_epochs, steps_per_epoch)
            if apply_momentum is not None:
                apply_momentum(progress)
            return check_rate(schedule(progress), schedule)

        return rate_at

    def restore_momentum(self):
        """Give the optimizer back its own momentum, so its config() is unchanged."""
        if self.set_momentum:
            self.optimizer.momentum = self.base_momentum


def _update_stopping(state, config, validation, engine):
    """scikit-learn's improvement bookkeeping, on the validation score (early
    stopping) or the training loss; returns the validation score, if any."""
    if validation is not None and validation.stops:
        score = float(validation.score(engine))
        state.validation_scores.append(score)
        if score < state.best_validation_score + config.tol:
            state.no_improvement_count += 1
        else:
            state.no_improvement_count = 0
        if score > state.best_validation_score:
            state.best_validation_score = score
            state.best_weights = engine.get_weights()
            state.best_epoch = state.n_iter
        return score
    if state.loss_curve[-1] > state.best_loss - config.tol:
        state.no_improvement_count += 1
    else:
        state.no_improvement_count = 0
    if state.loss_curve[-1] < state.best_loss:
        state.best_loss = state.loss_curve[-1]
    return None if validation is None else float(validation.score(engine))


def _plateau_says_stop(state, config, lr):
    """Either lower the rate (adaptive policy) and go on, or stop."""
    what = "Validation score" if state.validation_scores is not None else "Training loss"
    msg = "%s did not improve more than tol=%f for %d consecutive epochs." % (
        what, config.tol, config.n_iter_no_change)
    if not config.plateau:
        if config.verbose:
            print(msg + " Stopping.", flush=True)
        return True, lr
    if lr <= config.min_learning_rate:
        if config.verbose:
            print(msg + " Learning rate too small. Stopping.", flush=True)
        return True, lr
    lr /= config.plateau_factor
    if config.verbose:
        print(msg + " Setting learning rate to %f" % lr, flush=True)
    state.no_improvement_count = 0
    return False, lr


def _reduce_on_plateau(state, policy, lr, verbose):
    """Keras's ReduceLROnPlateau at the end of an epoch; returns the next rate."""
    value = state.history[policy.monitor][-1]
    if policy.improved(value, state.plateau_best):
        state.plateau_best, state.plateau_wait = value, 0
        return lr
    state.plateau_wait += 1
    if state.plateau_wait < policy.patience or lr <= policy.min_lr:
        return lr
    state.plateau_wait = 0
    state.no_improvement_count = 0  # a lower rate deserves a fresh patience
    lr = policy.reduce(lr)
    if verbose:
        print("%s did not improve for %d epochs. Setting learning rate to %f"
              % (policy.monitor, policy.patience, lr), flush=True)
    return lr


def _record(state, validation, engine, lr, seconds, score):
    history = state.history
    history["loss"].append(state.loss)
    history["val_loss"].append(engine.loss(validation.data) if validation else None)
    history["val_score"].append(score)
    history["learning_rate"].append(lr)
    history["seconds"].append(seconds)


def gradient_probe(engine, X, Y, sample_weight=None, size=GRADIENT_PROBE_SIZE):
    """Engine data of the fixed batch on which :func:`kernel_gradient_norms` measures.

    All rows when there are at most ``size``; otherwise ``size`` rows drawn
    by a generator of its own (seed 0), so the probe is the same in every
    epoch and the training's random sequence is left alone. Rows are drawn
    rather than taken from the top because datasets are often sorted by
    class. A fixed probe rather than the epoch's own batches: averaging
    those would need every engine's ``train_step`` to report per-layer
    norms (one more pass over the gradient per step), while the probe costs
    one forward and backward pass per epoch and compares epochs on the same
    rows.
    """
    n_samples = X.shape[0]
    if n_samples <= size:
        return engine.prepare(X, Y, sample_weight)
    rows = np.sort(np.random.default_rng(0).choice(n_samples, size=size, replace=False))
    return engine.prepare(X[rows], Y[rows],
                          None if sample_weight is None else sample_weight[rows])


def kernel_gradient_norms(engine, probe):
    """L2 norm of the objective's gradient with respect to each dense kernel.

    The objective is the one the optimizer follows (data loss plus the L1
    and L2 penalties), evaluated on ``probe`` in training mode (batch
    statistics, dropout), through the engine's full-batch
    ``loss_and_gradient`` (the L-BFGS entry point every engine has). That
    pass updates the batch norm running statistics and draws dropout masks,
    so both are put back: tracking gradients never changes the training.
    Returns one float per dense layer, input side first; NaN for frozen
    layers (``trainable=False``), which get no gradient.
    """
    saved, random_state = engine.get_weights(), engine.random_state()
    sizes = [layer["kernel"].size for layer in saved if "kernel" in layer]
    trainable = [getattr(layer, "trainable", True) for layer in engine.spec.dense_layers]
    try:
        _, grad = engine.loss_and_gradient(probe)
        # the flat gradient holds the trainable kernels first, in layer order
        norms, offset = [], 0
        for size, trained in zip(sizes, trainable):
            if not trained:
                norms.append(float("nan"))
                continue
            block = np.asarray(grad[offset:offset + size], dtype=np.float64)
            norms.append(float(np.sqrt(block @ block)))
            offset += size
    finally:
        engine.set_weights(saved)
        engine.set_random_state(random_state)
    return norms


def _record_gradient_norms(history, engine, probe):
    """Append this epoch's norms (None when not tracked but tracked before)."""
    if probe is None and GRADIENT_NORMS_KEY not in history:
        return
    # epochs of an earlier, untracked fit (warm start) get None
    norms = history.setdefault(GRADIENT_NORMS_KEY, [None] * (len(history["loss"]) - 1))
    norms.append(None if probe is None else kernel_gradient_norms(engine, probe))


@dataclass
class _Loop:
    """What every epoch of one :func:`fit_loop` call needs."""

    engine: object
    data: object
    config: object
    rng: object
    state: TrainState
    validation: Validation | None
    rates: _Rates
    batch_size: int
    sample_idx: np.ndarray
    log: EpochLog
    gradient_probe: object = None  # engine data, or None when norms are not tracked
    completed_weights: list | None = None  # weights after the last completed epoch
    lowest_loss: float = np.inf  # of this call, with its epoch and weights
    lowest_loss_epoch: int = 0
    lowest_loss_weights: list | None = None
    diverged: bool = False

    def epoch(self, lr):
        """Train one epoch from the held rate ``lr``; returns (next held rate, stop)."""
        state, config, started = self.state, self.config, time.perf_counter()
        epoch_lr = self.rates.current(state, lr, apply_momentum=True)
        state.loss, self.sample_idx = run_epoch(
            self.engine, self.data, config, self.rng, self.sample_idx, self.batch_size,
            epoch_lr, self.rates.per_step(state),
            self.log.progress_bar(self.data.n_samples, self._epoch_number(1)))
        state.n_iter += 1
        state.epoch += 1
        state.step += self.rates.steps_per_epoch
        state.t += self.data.n_samples
        state.loss_curve.append(state.loss)
        score = _update_stopping(state, config, self.validation, self.engine)
        if self.rates.current(state, epoch_lr) > epoch_lr:
            # a rising rate is a warm-up (1cycle's first phase): the loss may
            # stall or spike by design, so patience starts once it stops rising
            state.no_improvement_count = 0
        _record(state, self.validation, self.engine, epoch_lr, time.perf_counter() - started,
                score)
        history = state.history
        self.log.end_epoch(self._epoch_number(), state.loss, history["val_loss"][-1], score,
                           epoch_lr, history["seconds"][-1])
        _record_gradient_norms(history, self.engine, self.gradient_probe)
        if not (np.isfinite(state.loss) and np.isfinite(self.engine.flat_parameters()).all()):
            self.diverged = True
            return epoch_lr, True
        # a snapshot per epoch (one copy of the weights) is what lets an
        # interruption fall back to the last completed epoch, and a divergence
        # to the epoch of lowest loss (the last finite one can be huge)
        entering, self.completed_weights = self.completed_weights, self.engine.get_weights()
        if state.loss <= self.lowest_loss:
            # an epoch's loss averages over its steps, so the weights it started
            # from are the ones that loss vouches for
            self.lowest_loss, self.lowest_loss_epoch = state.loss, state.n_iter
            self.lowest_loss_weights = entering
        return self._after_epoch(epoch_lr)

    def _epoch_number(self, ahead=0):
        """The number printed for the epoch: of this fit, or of the schedule
        for ``partial_fit`` (which runs one epoch per call) in the 'epoch' style."""
        state = self.state
        if self.log.style == "epoch" and not self.log.max_epochs:
            return state.epoch + ahead
        return state.n_iter + ahead

    def _after_epoch(self, lr):
        """The plateau policies: the reactive schedule, then scikit-learn's stopping rule."""
        state, config, schedule = self.state, self.config, self.rates.schedule
        if isinstance(schedule, ReduceOnPlateau):
            lr = _reduce_on_plateau(state, schedule, lr, config.verbose)
        stop = False
        # a fixed-budget schedule (1cycle) is only worth its last, low-rate
        # phase: a stalling training loss must not end it early
        stopping_set = self.validation is not None and self.validation.stops
        judged = stopping_set or not schedule.fixed_budget
        if judged and state.no_improvement_count > config.n_iter_no_change:
            stop, lr = _plateau_says_stop(state, config, lr)
        return lr, stop


def _check_monitor(schedule, validation):
    if getattr(schedule, "monitor", "loss") == "val_loss" and validation is None:
        raise ValueError("A schedule monitoring 'val_loss' needs a validation set "
                         "(early_stopping=True).")


def fit_loop(engine, data, config, *, rng, state, learning_rate, validation=None,
             incremental=False, log_style="sklearn", gradient_probe=None, batch_size=None,
             on_interrupt="stop"):
    """Train ``engine`` on ``data`` with minibatch gradient steps.

    Parameters
    ----------
    engine : Engine
    data : engine data from ``engine.prepare``
    config : TrainConfig; ``config.schedule`` is a registered name (built with
        ``config.schedule_params``) or a :class:`sknn.schedules.Schedule`
    rng : numpy RandomState used for shuffling
    state : TrainState, updated in place and returned
    learning_rate : float, the held rate a ``partial_fit`` continues from
        (schedules without per-step or per-epoch rates, once started)
    validation : Validation or None
    incremental : bool, run exactly one epoch (``partial_fit``) and continue
        the schedule instead of restarting it
    log_style : {'sklearn', 'epoch'}, the wording of ``config.verbose``'s
        per-epoch lines (see :class:`sknn._progress.EpochLog`)
    gradient_probe : engine data from :func:`gradient_probe`, or None; when
        given, ``state.history['gradient_norms']`` gets each epoch's
        :func:`kernel_gradient_norms`
    batch_size : int or None, the minibatch size already resolved by the
        caller (:func:`resolve_batch_size`); None resolves ``config.batch_size``
    on_interrupt : {'stop', 'raise'}, what a KeyboardInterrupt does: 'stop'
        ends training with the weights of the last completed epoch and a
        warning (a fit whose last phase this is); 'raise' lets it through
        (an earlier phase of a longer fit, which must stop as a whole)

    Returns
    -------
    state : TrainState
    converged : bool, False when ``max_iter`` ran out
    """
    if on_interrupt not in ("stop", "raise"):
        raise ValueError(f"on_interrupt must be 'stop' or 'raise', got {on_interrupt!r}.")
    schedule = make_schedule(config.schedule, config.learning_rate_init,
                             **config.schedule_params)
    _check_monitor(schedule, validation)
    if batch_size is None:
        batch_size = resolve_batch_size(config.batch_size, data.n_samples)
    rates = _Rates(schedule, getattr(engine, "optimizer", None), config.max_iter,
                   -(-data.n_samples // batch_size), batch_size)
    if not incremental:
        state.restart_schedule()
    elif schedule.fixed_budget and state.epoch >= config.max_iter and not state.budget_warned:
        _warn_budget_spent(schedule, config.max_iter, rates.current(state, learning_rate))
        state.budget_warned = True
    log = EpochLog(config.verbose, log_style, None if incremental else config.max_iter)
    loop = _Loop(engine, data, config, rng, state, validation, rates, batch_size,
                 np.arange(data.n_samples), log, gradient_probe,
                 completed_weights=engine.get_weights())
    lr, state.n_iter, converged = learning_rate, 0, True
    try:
        for _ in range(1 if incremental else config.max_iter):
            lr, stop = loop.epoch(lr)
            if stop:
                break
        else:
            converged = incremental or schedule.fixed_budget
    except KeyboardInterrupt:
        if on_interrupt == "raise":
            raise
        engine.set_weights(loop.completed_weights)
        warnings.warn("Training interrupted by user after %d completed epoch(s); the model "
                      "keeps the weights and history of the last completed epoch."
                      % state.n_iter)
    finally:
        rates.restore_momentum()
    state.learning_rate = rates.current(state, lr)
    stops = validation is not None and validation.stops
    if stops and state.best_weights is not None:
        engine.set_weights(state.best_weights)
        if config.verbose:
            _report_restored(state)
    elif loop.diverged:
        _fall_back(engine, loop.lowest_loss_weights)
    if loop.diverged and (stops or loop.lowest_loss_weights is not None):
        _warn_divergence(state, lr, "the best validation epoch" if stops
                         else "the start of epoch %d, the epoch of lowest training loss"
                         % loop.lowest_loss_epoch)
    return state, converged


def _report_restored(state):
    """Say which weights early stopping kept (printed with ``verbose``)."""
    if state.best_epoch:
        print("Restored the weights of epoch %d (best validation score: %f)."
              % (state.best_epoch, state.best_validation_score), flush=True)
    else:
        print("Restored the weights this fit started from: no epoch improved the validation "
              "score.", flush=True)


def _warn_budget_spent(schedule, max_iter, rate):
    warnings.warn(ScheduleBudgetWarning(
        f"partial_fit has run all max_iter={max_iter} epochs that the learning-rate schedule "
        f"{schedule!r} plans, and goes on at its final rate ({rate:.3g}), where the network "
        f"hardly changes. For open-ended streaming use a schedule without a fixed budget "
        f"(learning_rate='constant', 'plateau', ...), raise max_iter to the number of "
        f"partial_fit calls planned, or call fit to train again from the schedule's start."),
        stacklevel=4)


def _fall_back(engine, weights):
    if weights is not None:
        engine.set_weights(weights)


def _warn_divergence(state, lr, kept):
    """Explain a NaN/inf loss (without a finite epoch to restore, the estimator raises)."""
    warnings.warn(
        "Training diverged: the loss became %s in epoch %d (learning rate %g), so training "
        "stopped and the model keeps the weights of %s. Try a lower learning_rate_init, "
        "gradient clipping (e.g. clip_norm=1.0) or batch_norm=True."
        % (state.loss, state.n_iter, lr, kept), DivergenceWarning)


@dataclass
class LbfgsResult:
    """What :func:`fit_lbfgs` reports: SciPy's outcome and a per-iteration history.

    ``history`` has the stochastic loop's keys (:data:`HISTORY_KEYS`), one
    entry per completed L-BFGS iteration: the objective (loss plus
    penalties) in ``'loss'`` and the time since the previous iteration in
    ``'seconds'``; L-BFGS has no validation set and no learning rate, so
    those entries are None.
    """

    n_iter: int
    loss: float
    status: int  # SciPy's: 0 converged, 1 iteration or evaluation limit, 2 other stop
    message: str
    history: dict
    interrupted: bool = False

    @property
    def converged(self):
        return self.status == 0


def fit_lbfgs(engine, data, config, on_interrupt="stop"):
    """Minimize the full-batch objective with SciPy's L-BFGS-B.

    Returns an :class:`LbfgsResult`; the engine holds the final parameters.
    A KeyboardInterrupt either ends the minimization at the last completed
    iteration, with a warning (``on_interrupt='stop'``), or is raised again
    (``'raise'``), as in :func:`fit_loop`.
    """
    if on_interrupt not in ("stop", "raise"):
        raise ValueError(f"on_interrupt must be 'stop' or 'raise', got {on_interrupt!r}.")
    dtype = engine.flat_parameters().dtype
    evaluated = {}  # the last point the objective saw: L-BFGS-B's iterates are such points
    history = {key: [] for key in HISTORY_KEYS}
    completed = [engine.flat_parameters().astype(np.float64), None]  # x, objective
    clock = [time.perf_counter()]

    def objective(flat):
        engine.set_flat_parameters(flat.astype(dtype, copy=False))
        loss, grad = engine.loss_and_gradient(data)
        evaluated["x"], evaluated["loss"] = flat.copy(), float(loss)
        return loss, grad.astype(np.float64)

    def end_iteration(xk):
        if "x" in evaluated and np.array_equal(xk, evaluated["x"]):
            loss = evaluated["loss"]
        else:
            loss = float(objective(xk)[0])
        completed[:] = [np.array(xk, copy=True), loss]
        now = time.perf_counter()
        for key, value in (("loss", loss), ("val_loss", None), ("val_score", None),
                           ("learning_rate", None), ("seconds", now - clock[0])):
            history[key].append(value)
        clock[0] = now

    options = {"maxfun": config.max_fun, "maxiter": config.max_iter, "gtol": config.tol}
    try:
        result = scipy.optimize.minimize(
            objective, completed[0], method="L-BFGS-B", jac=True, options=options,
            callback=end_iteration)
    except KeyboardInterrupt:
        if on_interrupt == "raise":
            raise
        engine.set_flat_parameters(completed[0].astype(dtype))
        n_iter = len(history["loss"])
        loss = completed[1] if completed[1] is not None else float(
            engine.loss_and_gradient(data)[0])
        warnings.warn("Training interrupted by user after %d completed L-BFGS iteration(s); "
                      "the model keeps the weights of the last completed iteration." % n_iter)
        return LbfgsResult(n_iter, loss, 2, "interrupted by user", history, interrupted=True)
    engine.set_flat_parameters(result.x.astype(dtype))
    message = result.message.decode("latin1") if isinstance(result.message, bytes) \
        else str(result.message)
    if config.verbose:
        print("L-BFGS-B: %s after %d iterations, loss = %.8f"
              % (message, result.nit, result.fun), flush=True)
    return LbfgsResult(int(result.nit), float(result.fun), int(result.status), message, history)
