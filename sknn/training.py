"""The one training loop, written against the engine interface.

``fit_loop`` owns epochs, minibatches, shuffling, the learning-rate schedule,
the plateau policy, early stopping with restore of the best weights, the
history and verbose output; ``fit_lbfgs`` runs full-batch L-BFGS. Neither
knows about labels or estimators: scoring arrives as a callback.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.optimize

from sknn.schedules import make_schedule

HISTORY_KEYS = ("loss", "val_loss", "val_score", "learning_rate", "seconds")


@dataclass
class TrainState:
    """Everything the loop carries across ``partial_fit``/warm-start calls."""

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

    @classmethod
    def fresh(cls, early_stopping, initial_weights):
        state = cls(best_weights=initial_weights)
        if early_stopping:
            state.validation_scores = []
            state.best_validation_score = -np.inf
            state.best_loss = None
        return state


@dataclass
class Validation:
    """Held-out data for early stopping: engine data and a score callback."""

    data: object
    score: object  # callable(engine) -> float, higher is better


def resolve_batch_size(batch_size, n_samples):
    """scikit-learn's rule: 'auto' is ``min(200, n)``; others are clipped to [1, n]."""
    if batch_size == "auto":
        return min(200, n_samples)
    if batch_size > n_samples:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped"
        )
    return int(np.clip(batch_size, 1, n_samples))


def _epoch_order(rng, sample_idx):
    # The same permutation draw as scikit-learn's `utils.shuffle`, so a seed
    # visits samples in the same order in both libraries.
    permutation = np.arange(sample_idx.shape[0])
    rng.shuffle(permutation)
    return sample_idx[permutation]


def run_epoch(engine, data, config, rng, sample_idx, batch_size, lr):
    """One pass over ``data``; returns the sample-weighted mean batch loss."""
    n_samples = data.n_samples
    if config.shuffle:
        sample_idx = _epoch_order(rng, sample_idx)
    accumulated = 0.0
    for start in range(0, n_samples, batch_size):
        stop = min(start + batch_size, n_samples)
        idx = sample_idx[start:stop] if config.shuffle else slice(start, stop)
        accumulated += engine.train_step(data, idx, lr) * (stop - start)
    return accumulated / n_samples, sample_idx


def _update_stopping(state, config, validation, engine):
    """scikit-learn's improvement bookkeeping, on validation score or training loss."""
    if validation is not None:
        score = float(validation.score(engine))
        state.validation_scores.append(score)
        if config.verbose:
            print("Validation score: %f" % score, flush=True)
        if score < state.best_validation_score + config.tol:
            state.no_improvement_count += 1
        else:
            state.no_improvement_count = 0
        if score > state.best_validation_score:
            state.best_validation_score = score
            state.best_weights = engine.get_weights()
        return score
    if state.loss_curve[-1] > state.best_loss - config.tol:
        state.no_improvement_count += 1
    else:
        state.no_improvement_count = 0
    if state.loss_curve[-1] < state.best_loss:
        state.best_loss = state.loss_curve[-1]
    return None


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


def _record(state, validation, engine, lr, seconds, score):
    history = state.history
    history["loss"].append(state.loss)
    history["val_loss"].append(engine.loss(validation.data) if validation else None)
    history["val_score"].append(score)
    history["learning_rate"].append(lr)
    history["seconds"].append(seconds)


def fit_loop(engine, data, config, *, rng, state, learning_rate, validation=None,
             incremental=False):
    """Train ``engine`` on ``data`` with minibatch gradient steps.

    Parameters
    ----------
    engine : Engine
    data : engine data from ``engine.prepare``
    config : TrainConfig
    rng : numpy RandomState used for shuffling
    state : TrainState, updated in place and returned
    learning_rate : float, the rate of the first epoch
    validation : Validation or None
    incremental : bool, run exactly one epoch (``partial_fit``)

    Returns
    -------
    state : TrainState
    converged : bool, False when ``max_iter`` ran out
    """
    schedule = make_schedule(config.schedule, config.learning_rate_init,
                             **config.schedule_params)
    batch_size = resolve_batch_size(config.batch_size, data.n_samples)
    sample_idx = np.arange(data.n_samples)
    lr = learning_rate
    state.n_iter = 0
    converged = True
    try:
        for _ in range(1 if incremental else config.max_iter):
            started = time.perf_counter()
            epoch_lr = lr
            state.loss, sample_idx = run_epoch(engine, data, config, rng, sample_idx,
                                               batch_size, lr)
            state.n_iter += 1
            state.t += data.n_samples
            state.loss_curve.append(state.loss)
            if config.verbose:
                print("Iteration %d, loss = %.8f" % (state.n_iter, state.loss), flush=True)
            score = _update_stopping(state, config, validation, engine)
            if config.schedule != "constant":
                lr = schedule(state.t)
            _record(state, validation, engine, epoch_lr, time.perf_counter() - started, score)
            if state.no_improvement_count > config.n_iter_no_change:
                stop, lr = _plateau_says_stop(state, config, lr)
                if stop:
                    break
        else:
            converged = incremental
    except KeyboardInterrupt:
        warnings.warn("Training interrupted by user.")
    state.learning_rate = lr
    if validation is not None and state.best_weights is not None:
        engine.set_weights(state.best_weights)
    return state, converged


def fit_lbfgs(engine, data, config):
    """Minimize the full-batch objective with SciPy's L-BFGS-B.

    Returns the SciPy result; the engine holds the final parameters.
    """
    dtype = engine.flat_parameters().dtype

    def objective(flat):
        engine.set_flat_parameters(flat.astype(dtype, copy=False))
        loss, grad = engine.loss_and_gradient(data)
        return loss, grad.astype(np.float64)

    options = {"maxfun": config.max_fun, "maxiter": config.max_iter, "gtol": config.tol}
    result = scipy.optimize.minimize(
        objective, engine.flat_parameters().astype(np.float64), method="L-BFGS-B",
        jac=True, options=options,
    )
    engine.set_flat_parameters(result.x.astype(dtype))
    if config.verbose:
        print("L-BFGS-B: %s after %d iterations, loss = %.8f"
              % (result.message, result.nit, result.fun), flush=True)
    return result
