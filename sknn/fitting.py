"""The one fit pipeline: plan, run, store.

Every trainer describes what it wants as a :class:`FitPlan` (validated
data, the spec, the initial weights, the training configuration, the
optimizer, the validation set) and hands it to :func:`run_fit`, which
builds the engine, takes the solver's branch under the right thread
limits, runs the one training loop, and returns a :class:`FitResult` with
finite weights (or raises). The trainer then stores the result as fitted
attributes. MLPs and DeepNets (``fit``, ``partial_fit``, transfer
learning), each greedy stage and the fine-tune of a StackedAutoencoder
and :func:`sknn.lr_find` (through :func:`build_engine`) all go through
here; none builds an engine or branches on the solver by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sknn.engines import get_engine
from sknn.engines._threads import compute_threads
from sknn.nn.losses import make_loss
from sknn.nn.optimizers import make_optimizer
from sknn.spec import Regularization
from sknn.training import (
    TrainState,
    Validation,
    fit_lbfgs,
    fit_loop,
    gradient_probe,
    resolve_batch_size,
)

NONFINITE_WEIGHTS = ("Solver produced non-finite parameter weights. The input data may "
                     "contain large values and need to be preprocessed.")


@dataclass
class HeldOut:
    """A validation set: rows, encoded targets and how to score link-space outputs.

    ``score_outputs(outputs) -> float`` (higher is better) scores the
    network's link outputs on ``X``. With ``stops`` (early stopping) the
    set decides when training ends and which weights are kept; without,
    it is only scored and recorded each epoch.
    """

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray | None
    score_outputs: object
    stops: bool = True


@dataclass
class FitPlan:
    """Everything one training run needs, decided before it starts.

    ``weights`` are the initial weights (one dict per layer with parameters
    or buffers, in layer order, in the spec's dtype). For a stochastic
    solver, ``optimizer`` is an optimizer to continue (``partial_fit`` and
    warm starts; None builds a fresh one from ``config``),
    ``learning_rate`` the rate the loop starts from (None:
    ``config.learning_rate_init``) and ``state`` the training state it
    continues (None: a fresh one). ``on_interrupt`` is
    :func:`~sknn.training.fit_loop`'s. ``callbacks`` is the
    :class:`~sknn.callbacks.FitTask` whose epochs this run's epochs (L-BFGS
    iterations) are, or None without callbacks; once the loop has ended,
    :func:`run_fit` calls its :meth:`~sknn.callbacks.FitTask.end_training`,
    which gives the engine the weights a callback kept.
    """

    spec: object
    weights: list
    config: object
    X: object
    Y: np.ndarray
    sample_weight: np.ndarray | None = None
    backend: str = "numpy"
    engine_options: dict = field(default_factory=dict)
    regularization: Regularization = field(default_factory=Regularization)
    layer_rng: object = None
    shuffle_rng: object = None
    optimizer: object = None
    learning_rate: float | None = None
    state: object = None
    held_out: HeldOut | None = None
    incremental: bool = False
    on_interrupt: str = "stop"
    log_style: str = "sklearn"
    warn_batch_size: bool = True
    track_gradient_norms: bool = False
    nonfinite_message: str = NONFINITE_WEIGHTS
    callbacks: object = None

    @property
    def stochastic(self):
        return self.config.solver != "lbfgs"


@dataclass
class FitResult:
    """What a run produced: final weights and, per solver, its record.

    ``state`` (stochastic solvers) is the training state after the loop,
    ``converged`` whether it stopped before ``max_iter`` and ``optimizer``
    the optimizer that trained (its moments continue a later ``partial_fit``
    or warm start); ``lbfgs`` is the
    :class:`~sknn.training.LbfgsResult` of an L-BFGS run.
    """

    weights: list
    state: object = None
    converged: bool = True
    lbfgs: object = None
    optimizer: object = None


def build_engine(plan):
    """The engine ``plan`` trains on, holding its initial weights and, for a
    stochastic solver, its optimizer (a fresh one of ``config.solver`` unless
    the plan continues one)."""
    engine = get_engine(plan.backend)(plan.spec, plan.weights,
                                      regularization=plan.regularization,
                                      rng=plan.layer_rng, **plan.engine_options)
    if plan.stochastic:
        config = plan.config
        engine.optimizer = plan.optimizer or make_optimizer(
            config.solver, learning_rate=config.learning_rate_init, **config.optimizer_params)
    return engine


def run_fit(plan):
    """Train as ``plan`` says; a :class:`FitResult` with finite weights.

    Raises
    ------
    ValueError
        With ``plan.nonfinite_message`` when training ends on non-finite
        weights (the caller stores nothing).
    """
    engine = build_engine(plan)
    if plan.stochastic:
        result = _run_stochastic(engine, plan)
    else:
        data = engine.prepare(plan.X, plan.Y, plan.sample_weight)
        with compute_threads(engine.spec, data.n_samples):
            lbfgs = fit_lbfgs(engine, data, plan.config, on_interrupt=plan.on_interrupt,
                              callbacks=plan.callbacks)
        result = FitResult(None, lbfgs=lbfgs)
    if plan.callbacks is not None:
        plan.callbacks.end_training()  # the weights a callback kept, e.g. EarlyStopping's best
    engine.end_fit()  # optimizer state back into the sknn optimizer (torch engine)
    result.weights = engine.get_weights()
    if not all(np.isfinite(value).all() for layer in result.weights for value in layer.values()):
        raise ValueError(plan.nonfinite_message)
    return result


def _run_stochastic(engine, plan):
    validation = None
    if plan.held_out is not None:
        validation = _validation(engine, plan.held_out)
    data = prepare_training_data(engine, plan.X, plan.Y, plan.sample_weight)
    probe = (gradient_probe(engine, plan.X, plan.Y, plan.sample_weight)
             if plan.track_gradient_norms else None)
    batch_size = resolve_batch_size(plan.config.batch_size, data.n_samples,
                                    warn=plan.warn_batch_size)
    with compute_threads(engine.spec, batch_size):
        state, converged = fit_loop(
            engine, data, plan.config, rng=plan.shuffle_rng, state=plan.state or TrainState(),
            learning_rate=(plan.config.learning_rate_init if plan.learning_rate is None
                           else plan.learning_rate), validation=validation,
            incremental=plan.incremental, log_style=plan.log_style, gradient_probe=probe,
            batch_size=batch_size, on_interrupt=plan.on_interrupt, callbacks=plan.callbacks)
    return FitResult(None, state=state, converged=converged, optimizer=engine.optimizer)


def _validation(engine, held_out):
    """The loop's :class:`~sknn.training.Validation` of ``held_out`` on ``engine``."""
    link = make_loss(engine.spec.loss).link

    def score(current_engine):
        outputs = link(current_engine.forward(held_out.X))
        if not np.isfinite(outputs).all():
            return np.nan
        return held_out.score_outputs(outputs)

    data = engine.prepare(held_out.X, held_out.Y, held_out.sample_weight)
    return Validation(data, score, stops=held_out.stops)


class TrainingRows:
    """Rows ``rows`` of a dense ``X``, read in place: the training part of an
    early-stopping split without a copy of X.

    Indexing gathers rows (the loop takes one minibatch at a time, as it
    does from an array); ``np.asarray`` gathers all of them, for an engine
    that needs one array.
    """

    def __init__(self, X, rows):
        self.X, self.rows = X, rows
        self.shape = (len(rows),) + X.shape[1:]
        self.dtype, self.ndim = X.dtype, X.ndim

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, index):
        return self.X[self.rows[index]]

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.X[self.rows], dtype=dtype)


def prepare_training_data(engine, X, Y, sample_weight):
    """``engine.prepare``, keeping :class:`TrainingRows` as rows of the prepared X
    where the engine reads its batches from host memory (an engine that moves
    data to a device gets one array)."""
    if not isinstance(X, TrainingRows):
        return engine.prepare(X, Y, sample_weight)
    if not engine.reads_rows_in_place:
        return engine.prepare(np.asarray(X), Y, sample_weight)
    data = engine.prepare(X.X[:0], Y, sample_weight)
    # in the engine's dtype and layout already (X's dtype made the spec), so no copy
    data.X = TrainingRows(np.ascontiguousarray(X.X, dtype=engine.dtype), X.rows)
    return data
