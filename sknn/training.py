"""The one training loop, written against the engine interface.

``fit_loop`` runs epochs (``fit_loop -> TrainState.train_epoch -> run_epoch
-> engine.train_step``) until max_iter, a stopping rule or the schedule ends
them. It owns shuffling, the schedule and its end-of-epoch policy, early
stopping with restore of the best weights, the fall-back after a divergence,
the history and gradient norms; verbose output goes through
:class:`sknn._progress.EpochLog`. ``fit_lbfgs`` runs full-batch L-BFGS.
Neither knows about labels or estimators: scoring arrives as a callback.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field, fields

import numpy as np
import scipy.optimize

from sknn._progress import EpochLog
from sknn.exceptions import DivergenceWarning, ScheduleBudgetWarning
from sknn.schedules import Progress, Schedule, make_schedule

HISTORY_KEYS = ("loss", "val_loss", "val_score", "learning_rate", "seconds")
#: History key of the per-layer gradient norms (present only when tracked).
GRADIENT_NORMS_KEY = "gradient_norms"
#: Rows of the fixed batch on which gradient norms are measured.
GRADIENT_PROBE_SIZE = 512


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

    A callable is an estimator's own rule, ``n_samples -> batch size``.
    Clipping warns as scikit-learn does, unless ``warn`` is False (an
    estimator's own default, which the user never chose, is clipped silently).
    """
    if batch_size == "auto":
        return min(200, n_samples)
    if callable(batch_size):
        return min(int(batch_size(n_samples)), n_samples)
    if warn and batch_size > n_samples:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped"
        )
    return int(np.clip(batch_size, 1, n_samples))


def check_rate(rate, schedule):
    """``rate`` as a float, or an error naming ``schedule`` when it is not a usable rate.

    A negative rate climbs the loss and a NaN or infinite one destroys the
    weights; 0 is accepted (1cycle and cosine decay end near or at 0).
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


def _per_call(default=None):
    """A :class:`TrainState` field of one :func:`fit_loop` call: never pickled."""
    return field(default=default, init=False, repr=False)


@dataclass(eq=False)
class TrainState:
    """The training loop's state: one object, each fact stored once.

    Carried over ``fit``/``partial_fit`` calls and pickled with the
    estimator (its ``_train_state``): ``t``, samples seen (scikit-learn's
    ``t_``); ``epoch`` and ``step``, the schedule's position (restarted by
    ``fit``; not derived from ``t``, since batch and data sizes may change
    between ``partial_fit`` calls); ``learning_rate``, the rate held between
    epochs (after a call, the next step's); ``history``, which
    :attr:`loss_curve` and :attr:`loss` read; scikit-learn's stopping rule
    (``no_improvement_count`` and ``best_loss``, or under early stopping
    ``validation_scores``, ``best_validation_score`` and ``best_weights``);
    ``schedule_memory``, what :meth:`~sknn.schedules.Schedule.end_epoch`
    keeps; ``budget_warned``.

    The other fields belong to one :func:`fit_loop` call: set by
    :meth:`begin`, never pickled, and released by :meth:`end_call` (all but
    ``n_iter``, the call's epochs: scikit-learn's ``n_iter_``), so a fitted
    estimator holds no engine. The weights they keep are engine snapshots:
    on the torch engine they stay on the device, and no epoch copies the
    weights to the host.
    """

    t: int = 0
    epoch: int = 0
    step: int = 0
    learning_rate: float | None = None
    history: dict = field(default_factory=lambda: {key: [] for key in HISTORY_KEYS})
    no_improvement_count: int = 0
    best_loss: float | None = np.inf
    validation_scores: list | None = None
    best_validation_score: float | None = None
    best_weights: list | None = None
    schedule_memory: dict = field(default_factory=dict)
    budget_warned: bool = False

    n_iter: int = _per_call(0)
    engine: object = _per_call()
    data: object = _per_call()
    config: object = _per_call()
    rng: object = _per_call()
    validation: Validation | None = _per_call()
    schedule: Schedule | None = _per_call()
    log: EpochLog | None = _per_call()
    gradient_probe: object = _per_call()  # engine data, or None when norms are not tracked
    batch_size: int = _per_call(0)
    sample_idx: np.ndarray | None = _per_call()
    momentum_optimizer: object = _per_call()  # the optimizer whose momentum the schedule sets
    base_momentum: float | None = _per_call()  # and its own, given back at the end
    completed: object = _per_call()  # snapshot after the last completed epoch
    best_epoch: int = _per_call(0)  # of best_snapshot; 0: best_weights from before the call
    best_snapshot: object = _per_call()
    # (loss, epoch, snapshot the epoch started from) of the lowest-loss epoch
    lowest: tuple = _per_call((np.inf, 0, None))
    diverged: bool = _per_call(False)

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

    @property
    def loss_curve(self):
        """The training loss of every epoch (scikit-learn's ``loss_curve_``)."""
        return self.history["loss"]

    @property
    def loss(self):
        """The last epoch's training loss, None before the first."""
        return self.history["loss"][-1] if self.history["loss"] else None

    def __getstate__(self):
        return {spec.name: getattr(self, spec.name) for spec in fields(self) if spec.init}

    def __setstate__(self, saved):
        saved = dict(saved)
        # A state pickled before issue 14's restructuring also holds the
        # derived loss/loss_curve (history['loss'] has them), fields of one
        # call (n_iter, best_epoch), and ReduceOnPlateau's counters.
        for name in ("loss", "loss_curve", "n_iter", "best_epoch"):
            saved.pop(name, None)
        if "plateau_best" in saved:
            saved["schedule_memory"] = {"best": saved.pop("plateau_best"),
                                        "wait": saved.pop("plateau_wait")}
        self.__init__(**saved)

    # -- one fit_loop call --------------------------------------------------------
    def begin(self, engine, data, config, *, rng, schedule, learning_rate, batch_size,
              validation, incremental, log, gradient_probe):
        """Set up a :func:`fit_loop` call; a ``fit`` (not ``incremental``) restarts the
        schedule."""
        if not incremental:
            self.epoch = self.step = 0
            self.schedule_memory = {}
            self.budget_warned = False
        self.engine, self.data, self.config, self.rng = engine, data, config, rng
        self.schedule, self.validation, self.log = schedule, validation, log
        self.learning_rate, self.batch_size = learning_rate, batch_size
        self.gradient_probe = gradient_probe
        self.sample_idx = np.arange(data.n_samples)
        optimizer = engine.optimizer
        # only schedules that override Schedule.momentum cost a call per step
        cycles = type(schedule).momentum is not Schedule.momentum
        self.momentum_optimizer = optimizer if cycles and hasattr(optimizer, "momentum") else None
        self.base_momentum = getattr(self.momentum_optimizer, "momentum", None)
        self.n_iter, self.completed = 0, engine.snapshot()

    def end_call(self):
        """Give the optimizer back its own momentum (so its config() is unchanged) and
        release everything of the call but ``n_iter``."""
        if self.momentum_optimizer is not None:
            self.momentum_optimizer.momentum = self.base_momentum
        for spec in fields(self):
            if not spec.init and spec.name != "n_iter":
                setattr(self, spec.name, spec.default)

    @property
    def steps_per_epoch(self):
        return -(-self.data.n_samples // self.batch_size)

    def rate(self, apply_momentum=False):
        """The rate of the next step; with ``apply_momentum`` the optimizer gets the
        schedule's momentum for that step as well.

        Per-step schedules are asked before every batch, per-epoch ones before
        every epoch, the others only when their schedule starts: afterwards
        the loop holds the rate and the schedule's policy lowers it.
        """
        schedule = self.schedule
        if not (schedule.per_step or schedule.per_epoch or self.epoch == 0):
            return self.learning_rate
        progress = Progress(self.epoch, self.step, self.t, self.config.max_iter,
                            self.steps_per_epoch)
        if apply_momentum:
            self._apply_momentum(progress)
        return check_rate(schedule(progress), schedule)

    def _apply_momentum(self, progress):
        if self.momentum_optimizer is not None:
            momentum = self.schedule.momentum(progress)
            if momentum is not None:
                self.momentum_optimizer.momentum = float(momentum)

    def _rate_at(self):
        """``rate_at(start)`` for :func:`run_epoch`, or None for epoch-wise rates."""
        schedule = self.schedule
        if not schedule.per_step:
            return None
        apply_momentum = self._apply_momentum if self.momentum_optimizer is not None else None
        # plain locals: this runs before every minibatch
        epoch, step, seen, batch_size = self.epoch, self.step, self.t, self.batch_size
        total_epochs, steps_per_epoch = self.config.max_iter, self.steps_per_epoch

        def rate_at(start):
            progress = Progress(epoch, step + start // batch_size, seen + start,
                                total_epochs, steps_per_epoch)
            if apply_momentum is not None:
                apply_momentum(progress)
            return check_rate(schedule(progress), schedule)

        return rate_at

    # -- one epoch ------------------------------------------------------------------
    def train_epoch(self):
        """Train, score and record one epoch, then let the schedule react; returns
        whether training stops."""
        started = time.perf_counter()
        self.learning_rate = lr = self.rate(apply_momentum=True)
        loss, self.sample_idx = run_epoch(
            self.engine, self.data, self.config, self.rng, self.sample_idx, self.batch_size,
            lr, self._rate_at(),
            self.log.progress_bar(self.data.n_samples,
                                  self.log.epoch_number(self.n_iter + 1, self.epoch + 1)))
        self.n_iter += 1
        self.epoch += 1
        self.step += self.steps_per_epoch
        self.t += self.data.n_samples
        score = self._update_stopping(loss)
        if self.rate() > lr:
            # a rising rate is a warm-up (1cycle's first phase): the loss may
            # stall or spike by design, so patience starts once it stops rising
            self.no_improvement_count = 0
        self._record(loss, score, lr, time.perf_counter() - started)
        if not (np.isfinite(loss) and self.engine.parameters_finite()):
            self.diverged = True
            return True
        # a snapshot per epoch (on the engine) is what lets an interruption
        # fall back to the last completed epoch, and a divergence to the
        # epoch of lowest loss (the last finite one can be huge)
        entering, self.completed = self.completed, self.engine.snapshot()
        if loss <= self.lowest[0]:
            # an epoch's loss averages over its steps, so the weights it started
            # from are the ones that loss vouches for
            self.lowest = (loss, self.n_iter, entering)
        return self._end_epoch()

    def _record(self, loss, score, lr, seconds):
        """The epoch's history entries, its verbose line and its gradient norms."""
        val_loss = self.engine.loss(self.validation.data) if self.validation else None
        record = {"loss": loss, "val_loss": val_loss, "val_score": score, "learning_rate": lr,
                  "seconds": seconds}
        for key, value in record.items():
            self.history[key].append(value)
        self.log.end_epoch(self.log.epoch_number(self.n_iter, self.epoch), loss, val_loss,
                           score, lr, seconds)
        _record_gradient_norms(self.history, self.engine, self.gradient_probe)

    def _update_stopping(self, loss):
        """scikit-learn's improvement bookkeeping, on the validation score (early
        stopping) or the training loss; returns the validation score, if any."""
        validation, tol = self.validation, self.config.tol
        if validation is not None and validation.stops:
            score = float(validation.score(self.engine))
            self.validation_scores.append(score)
            if score < self.best_validation_score + tol:
                self.no_improvement_count += 1
            else:
                self.no_improvement_count = 0
            if score > self.best_validation_score:
                self.best_validation_score = score
                self.best_epoch, self.best_snapshot = self.n_iter, self.engine.snapshot()
            return score
        if loss > self.best_loss - tol:
            self.no_improvement_count += 1
        else:
            self.no_improvement_count = 0
        if loss < self.best_loss:
            self.best_loss = loss
        return None if validation is None else float(validation.score(self.engine))

    def _end_epoch(self):
        """The schedule's policy, told whether scikit-learn's stopping rule fired;
        returns whether training stops."""
        config, schedule = self.config, self.schedule
        # a fixed-budget schedule (1cycle) is only worth its last, low-rate
        # phase: a stalling training loss must not end it early
        judged = (self.validation is not None and self.validation.stops
                  or not schedule.fixed_budget)
        stall = None
        if judged and self.no_improvement_count > config.n_iter_no_change:
            what = "Validation score" if self.validation_scores is not None else "Training loss"
            stall = "%s did not improve more than tol=%f for %d consecutive epochs." % (
                what, config.tol, config.n_iter_no_change)
        rate, message = schedule.end_epoch(self.learning_rate, self.history, stall,
                                           self.schedule_memory)
        if message:
            self.log.say(message)
        if rate is None:
            return True
        rate = check_rate(rate, schedule)
        if rate < self.learning_rate:
            self.no_improvement_count = 0  # a lower rate deserves a fresh patience
        self.learning_rate = rate
        return False

    def interrupted(self):
        """Back to the weights of the last completed epoch, with a warning."""
        self.engine.restore(self.completed)
        warnings.warn("Training interrupted by user after %d completed epoch(s); the model "
                      "keeps the weights and history of the last completed epoch."
                      % self.n_iter)

    def finish(self):
        """Leave the weights to keep in the engine: the best validation epoch's under
        early stopping, the lowest-loss epoch's after a divergence."""
        self.learning_rate = self.rate()
        stops = self.validation is not None and self.validation.stops
        _, lowest_epoch, lowest_snapshot = self.lowest
        if stops and (self.best_snapshot is not None or self.best_weights is not None):
            if self.best_snapshot is not None:
                self.engine.restore(self.best_snapshot)
                self.best_weights = self.engine.get_weights()  # the pickled state: NumPy
            else:
                self.engine.set_weights(self.best_weights)
            self.log.say("Restored the weights of epoch %d (best validation score: %f)."
                         % (self.best_epoch, self.best_validation_score) if self.best_epoch
                         else "Restored the weights this fit started from: no epoch "
                         "improved the validation score.")
        elif self.diverged and lowest_snapshot is not None:
            self.engine.restore(lowest_snapshot)
        if self.diverged and (stops or lowest_snapshot is not None):
            _warn_divergence(self, "the best validation epoch" if stops
                             else "the start of epoch %d, the epoch of lowest training loss"
                             % lowest_epoch)


def fit_loop(engine, data, config, *, rng, state, learning_rate, validation=None,
             incremental=False, log_style="sklearn", gradient_probe=None, batch_size=None,
             on_interrupt="stop", callbacks=None):
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
    callbacks : :class:`sknn.callbacks.FitTask` or None, told the engine and
        the history when training begins, and whose epoch hooks run around
        each epoch with ``(engine, state.n_iter, state.history)``; when one
        returns True training stops after that epoch, as a stopping rule
        would (``converged`` stays True)

    Returns
    -------
    state : TrainState
    converged : bool, False when ``max_iter`` ran out
    """
    if on_interrupt not in ("stop", "raise"):
        raise ValueError(f"on_interrupt must be 'stop' or 'raise', got {on_interrupt!r}.")
    schedule = make_schedule(config.schedule, config.learning_rate_init,
                             **config.schedule_params)
    if schedule.needs_validation and validation is None:
        raise ValueError("A schedule monitoring 'val_loss' needs a validation set "
                         "(early_stopping=True).")
    if batch_size is None:
        batch_size = resolve_batch_size(config.batch_size, data.n_samples)
    log = EpochLog(config.verbose, log_style, None if incremental else config.max_iter)
    try:
        state.begin(engine, data, config, rng=rng, schedule=schedule,
                    learning_rate=learning_rate, batch_size=batch_size, validation=validation,
                    incremental=incremental, log=log, gradient_probe=gradient_probe)
        if callbacks is not None:
            callbacks.begin_training(engine, state.history)
        if (incremental and schedule.fixed_budget and state.epoch >= config.max_iter
                and not state.budget_warned):
            _warn_budget_spent(schedule, config.max_iter, state.rate())
            state.budget_warned = True
        converged = True
        try:
            for _ in range(1 if incremental else config.max_iter):
                # an epoch is one subtask of the fit in scikit-learn's callback
                # API; after train_epoch the engine holds the epoch's weights
                # and state.history its record
                if callbacks is not None:
                    callbacks.begin_epoch(engine, state.n_iter, state.history)
                stop = state.train_epoch()
                if callbacks is not None:
                    stop = callbacks.end_epoch(engine, state.n_iter, state.history) or stop
                if stop:
                    break
            else:
                converged = incremental or schedule.fixed_budget
        except KeyboardInterrupt:
            if on_interrupt == "raise":
                raise
            state.interrupted()
        state.finish()
    finally:
        state.end_call()
        if callbacks is not None:
            callbacks.close()  # an epoch an exception cut short
    return state, converged


def _warn_budget_spent(schedule, max_iter, rate):
    warnings.warn(ScheduleBudgetWarning(
        f"partial_fit has run all max_iter={max_iter} epochs that the learning-rate schedule "
        f"{schedule!r} plans, and goes on at its final rate ({rate:.3g}), where the network "
        f"hardly changes. For open-ended streaming use a schedule without a fixed budget "
        f"(learning_rate='constant', 'plateau', ...), raise max_iter to the number of "
        f"partial_fit calls planned, or call fit to train again from the schedule's start."),
        stacklevel=4)


def _warn_divergence(state, kept):
    """Explain a NaN/inf loss (without a finite epoch to restore, the estimator raises)."""
    warnings.warn(
        "Training diverged: the loss became %s in epoch %d (learning rate %g), so training "
        "stopped and the model keeps the weights of %s. Try a lower learning_rate_init, "
        "gradient clipping (e.g. clip_norm=1.0) or batch_norm=True."
        % (state.loss, state.n_iter, state.history["learning_rate"][-1], kept),
        DivergenceWarning)


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
    stopped: bool = False  # on purpose (Ctrl-C, a callback): no convergence warning


class _StopRequested(Exception):
    """A callback asked L-BFGS to stop (raised through SciPy, whatever its version)."""


def fit_lbfgs(engine, data, config, on_interrupt="stop", callbacks=None):
    """Minimize the full-batch objective with SciPy's L-BFGS-B.

    Returns an :class:`LbfgsResult`; the engine holds the final parameters.
    A KeyboardInterrupt either ends the minimization at the last completed
    iteration, with a warning (``on_interrupt='stop'``), or is raised again
    (``'raise'``), as in :func:`fit_loop`. ``callbacks`` (a
    :class:`sknn.callbacks.FitTask`) is told the engine and the history
    when the minimization begins, and gets one task per iteration, begun at
    the iteration's first evaluation of the objective; when a hook returns
    True the minimization ends at that iteration, as ``max_iter`` would have
    ended it there.
    """
    if on_interrupt not in ("stop", "raise"):
        raise ValueError(f"on_interrupt must be 'stop' or 'raise', got {on_interrupt!r}.")
    dtype = engine.flat_parameters().dtype
    evaluated = {}  # the last point the objective saw: L-BFGS-B's iterates are such points
    history = {key: [] for key in HISTORY_KEYS}
    if callbacks is not None:
        callbacks.begin_training(engine, history)
    completed = [engine.flat_parameters().astype(np.float64), None]  # x, objective
    clock = [time.perf_counter()]

    def objective(flat):
        if callbacks is not None:
            callbacks.begin_epoch(engine, len(history["loss"]), history, task_name="iteration")
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
        if callbacks is not None and callbacks.end_epoch(engine, len(history["loss"]), history):
            raise _StopRequested

    options = {"maxfun": config.max_fun, "maxiter": config.max_iter, "gtol": config.tol}
    try:
        result = scipy.optimize.minimize(
            objective, completed[0], method="L-BFGS-B", jac=True, options=options,
            callback=end_iteration)
    except (KeyboardInterrupt, _StopRequested) as stop:
        interrupted = isinstance(stop, KeyboardInterrupt)
        if interrupted and on_interrupt == "raise":
            raise
        engine.set_flat_parameters(completed[0].astype(dtype))
        n_iter = len(history["loss"])
        loss = completed[1] if completed[1] is not None else float(
            engine.loss_and_gradient(data)[0])
        if interrupted:
            warnings.warn("Training interrupted by user after %d completed L-BFGS iteration(s); "
                          "the model keeps the weights of the last completed iteration."
                          % n_iter)
        return LbfgsResult(n_iter, loss, 2, "interrupted by user" if interrupted
                           else "stopped by a callback", history, stopped=True)
    finally:
        if callbacks is not None:
            callbacks.close()
    engine.set_flat_parameters(result.x.astype(dtype))
    message = result.message.decode("latin1") if isinstance(result.message, bytes) \
        else str(result.message)
    EpochLog(config.verbose).say("L-BFGS-B: %s after %d iterations, loss = %.8f"
                                 % (message, result.nit, result.fun))
    return LbfgsResult(int(result.nit), float(result.fun), int(result.status), message, history)
