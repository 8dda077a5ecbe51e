"""The training loop (sknn.training) driven directly with a tiny NumpyEngine."""

import warnings

import numpy as np
import pytest

from sknn.engines import get_engine
from sknn.engines.numpy_engine import NumpyEngine
from sknn.network import initial_weights
from sknn.nn.optimizers import make_optimizer
from sknn.schedules import (
    Adaptive,
    CosineDecay,
    OneCycle,
    PiecewiseConstant,
    PowerDecay,
    Progress,
    ReduceOnPlateau,
    Schedule,
    make_schedule,
)
from sknn.spec import TrainConfig, mlp_spec
from sknn.training import (
    HISTORY_KEYS,
    TrainState,
    Validation,
    fit_lbfgs,
    fit_loop,
    resolve_batch_size,
    run_epoch,
)

N_PER_CLASS = 20


def _toy_data(seed=0):
    """Two well separated blobs in 2-D, labels 0/1."""
    rng = np.random.RandomState(seed)
    X = np.vstack([rng.normal(-2.0, 0.5, (N_PER_CLASS, 2)),
                   rng.normal(2.0, 0.5, (N_PER_CLASS, 2))])
    y = np.repeat([0.0, 1.0], N_PER_CLASS)
    return X, y


def _engine(solver="sgd", seed=0, backend="numpy", **optimizer_params):
    spec = mlp_spec(2, (4,), 1, "tanh", "binary_log_loss", initializer="sklearn")
    weights = initial_weights(spec, np.random.RandomState(seed))
    if backend == "torch":
        pytest.importorskip("torch")
    engine_class = NumpyEngine if backend == "numpy" else get_engine(backend)
    return engine_class(spec, weights, make_optimizer(solver, **optimizer_params))


#: The loop keeps weights as engine snapshots (on the device for torch): the
#: tests of what it restores run on both engines.
both_engines = pytest.mark.parametrize("backend", ["numpy", "torch"])


def _config(**overrides):
    params = dict(solver="sgd", learning_rate_init=0.1, batch_size=10, max_iter=30,
                  n_iter_no_change=10, tol=1e-4)
    params.update(overrides)
    return TrainConfig(**params)


def _fit(engine, config, data=None, rng_seed=0, validation=None, state=None, incremental=False):
    if data is None:
        data = engine.prepare(*_toy_data())
    if state is None:
        state = TrainState.fresh(validation is not None, engine.get_weights())
    return fit_loop(engine, data, config, rng=np.random.RandomState(rng_seed), state=state,
                    learning_rate=config.learning_rate_init, validation=validation,
                    incremental=incremental)


def _assert_weights_equal(actual, expected):
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected):
        np.testing.assert_array_equal(got["kernel"], want["kernel"])
        np.testing.assert_array_equal(got["bias"], want["bias"])


def _weights_differ(first, second):
    return any(not np.array_equal(a[key], b[key]) for a, b in zip(first, second) for key in a)


def _constant_loss_step(engine, monkeypatch, loss=0.7):
    """Replace train_step by a stub that records the rates and never improves."""
    rates = []

    def train_step(data, idx, lr):
        rates.append(lr)
        return loss

    monkeypatch.setattr(engine, "train_step", train_step)
    return rates


# -- learning -------------------------------------------------------------


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_loss_decreases_on_a_separable_toy_problem(solver):
    engine = _engine(solver)
    X, y = _toy_data()
    lr = 0.1 if solver == "sgd" else 0.02
    state, _ = _fit(engine, _config(solver=solver, learning_rate_init=lr))
    curve = state.loss_curve
    assert curve[-1] < 0.2 * curve[0]
    assert np.mean(np.diff(curve) < 0) > 0.8  # mostly monotone
    predictions = engine.forward(engine.prepare(X, y).X).ravel() > 0
    np.testing.assert_array_equal(predictions, y.astype(bool))


def test_epoch_loss_is_the_batch_size_weighted_mean_of_batch_losses(monkeypatch):
    engine = _engine()
    data = engine.prepare(*_toy_data())
    batches = []

    def train_step(data, idx, lr):
        batches.append(idx)
        return float(len(batches))  # batch k reports loss k

    monkeypatch.setattr(engine, "train_step", train_step)
    config = _config(shuffle=False)
    loss, _ = run_epoch(engine, data, config, np.random.RandomState(0),
                        np.arange(data.n_samples), 16, 0.1)
    # 40 samples in batches of 16, 16, 8.
    assert batches == [slice(0, 16), slice(16, 32), slice(32, 40)]
    assert loss == pytest.approx((1 * 16 + 2 * 16 + 3 * 8) / 40)


def test_shuffled_epochs_visit_every_sample_once(monkeypatch):
    engine = _engine()
    data = engine.prepare(*_toy_data())
    seen = []
    monkeypatch.setattr(engine, "train_step",
                        lambda data, idx, lr: seen.append(np.asarray(idx)) or 0.5)
    _fit(engine, _config(max_iter=3, batch_size=7), data=data)
    per_epoch = np.split(np.concatenate(seen), 3)
    for order in per_epoch:
        np.testing.assert_array_equal(np.sort(order), np.arange(data.n_samples))
    assert not np.array_equal(per_epoch[0], per_epoch[1])


def test_max_iter_exhausted_reports_not_converged():
    engine = _engine()
    state, converged = _fit(engine, _config(max_iter=3, tol=0.0, n_iter_no_change=100))
    assert state.n_iter == 3
    assert converged is False


# -- incremental ----------------------------------------------------------


def test_incremental_runs_exactly_one_epoch(monkeypatch):
    engine = _engine()
    data = engine.prepare(*_toy_data())
    rates = _constant_loss_step(engine, monkeypatch)
    state, converged = _fit(engine, _config(max_iter=50, batch_size=10), data=data,
                            incremental=True)
    assert state.n_iter == 1
    assert len(state.loss_curve) == 1
    assert len(rates) == 4  # 40 samples, batches of 10
    assert state.t == data.n_samples
    assert converged is True


def test_incremental_calls_accumulate_in_the_carried_state():
    engine = _engine()
    data = engine.prepare(*_toy_data())
    state = TrainState.fresh(False, engine.get_weights())
    for _ in range(3):
        state, _ = _fit(engine, _config(), data=data, state=state, incremental=True)
    assert state.n_iter == 1  # n_iter counts the epochs of the latest call
    assert state.t == 3 * data.n_samples
    assert len(state.loss_curve) == 3
    assert all(len(state.history[key]) == 3 for key in HISTORY_KEYS)


# -- stopping rules and learning rate -------------------------------------


def test_training_stops_after_n_iter_no_change_epochs_without_improvement(monkeypatch):
    engine = _engine()
    rates = _constant_loss_step(engine, monkeypatch)
    config = _config(batch_size=40, n_iter_no_change=2, max_iter=100)
    state, converged = _fit(engine, config)
    # Epoch 1 sets the best loss; epochs 2, 3, 4 do not improve; 3 > 2 stops.
    assert state.n_iter == 4
    assert converged is True
    assert rates == [0.1] * 4


def test_adaptive_divides_the_rate_by_five_and_stops_below_min_learning_rate(monkeypatch):
    engine = _engine()
    rates = _constant_loss_step(engine, monkeypatch)
    config = _config(batch_size=40, n_iter_no_change=2, max_iter=1000, schedule=Adaptive(),
                     learning_rate_init=1e-3)
    state, converged = _fit(engine, config)
    # 4 epochs to the first plateau, then 3 per plateau (the counter restarts at 0).
    expected, lr = [1e-3] * 4, 1e-3
    while lr > 1e-6:
        lr /= 5
        expected += [lr] * 3
    assert rates == pytest.approx(expected, rel=1e-12)
    assert state.history["learning_rate"] == pytest.approx(expected, rel=1e-12)
    assert state.n_iter == len(expected)
    assert state.learning_rate == pytest.approx(lr, rel=1e-12)
    assert state.learning_rate <= 1e-6 < 5 * state.learning_rate
    assert converged is True


def test_adaptive_divisor_and_min_lr_are_the_policys_parameters(monkeypatch):
    engine = _engine()
    rates = _constant_loss_step(engine, monkeypatch)
    config = _config(batch_size=40, n_iter_no_change=1, learning_rate_init=0.1,
                     schedule=Adaptive(divisor=2.0, min_lr=0.02))
    _fit(engine, config)
    assert rates == pytest.approx([0.1] * 3 + [0.05] * 2 + [0.025] * 2 + [0.0125] * 2)


def test_invscaling_schedule_updates_the_rate_at_the_end_of_each_epoch(monkeypatch):
    engine = _engine()
    rates = _constant_loss_step(engine, monkeypatch)
    config = _config(batch_size=40, max_iter=4, schedule="invscaling",
                     schedule_params={"power_t": 0.5}, n_iter_no_change=100)
    state, _ = _fit(engine, config)
    n = 2 * N_PER_CLASS
    expected = [0.1] + [0.1 / (k * n + 1) ** 0.5 for k in (1, 2, 3)]
    assert rates == pytest.approx(expected, rel=1e-12)
    assert state.learning_rate == pytest.approx(0.1 / (4 * n + 1) ** 0.5, rel=1e-12)


@both_engines
def test_early_stopping_restores_the_weights_of_the_best_epoch(backend):
    engine = _engine(backend=backend)
    X, y = _toy_data(seed=1)
    validation_data = engine.prepare(X, y)
    script = [0.5, 0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
    snapshots = []

    def score(scored_engine):
        snapshots.append(scored_engine.get_weights())
        return script[len(snapshots) - 1]

    config = _config(n_iter_no_change=2, max_iter=len(script))
    state, _ = _fit(engine, config, validation=Validation(validation_data, score))
    # 0.9 at epoch 2 is the best; epochs 3-5 do not improve and 3 > 2 stops.
    assert state.n_iter == 5
    assert state.validation_scores == script[:5]
    assert state.best_validation_score == 0.9
    _assert_weights_equal(engine.get_weights(), snapshots[1])
    assert _weights_differ(snapshots[1], snapshots[-1])
    assert state.history["val_score"] == script[:5]
    assert all(np.isfinite(value) for value in state.history["val_loss"])


def test_without_validation_the_final_weights_are_kept():
    engine = _engine()
    initial = engine.get_weights()
    state, _ = _fit(engine, _config(max_iter=5))
    assert _weights_differ(engine.get_weights(), initial)
    assert state.best_weights is None  # nothing kept that only early stopping needs


# -- history --------------------------------------------------------------


def test_history_has_one_entry_per_epoch_for_every_key():
    engine = _engine()
    state, _ = _fit(engine, _config(max_iter=6, tol=0.0, n_iter_no_change=100))
    assert set(state.history) == set(HISTORY_KEYS)
    for key in HISTORY_KEYS:
        assert len(state.history[key]) == 6, key
    assert state.history["loss"] == state.loss_curve
    assert state.history["learning_rate"] == [0.1] * 6
    assert state.history["val_loss"] == [None] * 6
    assert state.history["val_score"] == [None] * 6
    assert all(seconds >= 0 for seconds in state.history["seconds"])


# -- interruption ---------------------------------------------------------


@both_engines
def test_keyboard_interrupt_keeps_the_weights_of_the_last_completed_epoch(monkeypatch, backend):
    engine = _engine(backend=backend)
    initial = engine.get_weights()
    real_step = engine.train_step
    calls = []
    after_first_epoch = []

    def train_step(data, idx, lr):
        calls.append(lr)
        if len(calls) == 5:  # first batch of the second epoch (4 batches per epoch)
            after_first_epoch.append(engine.get_weights())
        if len(calls) == 7:  # interrupted in the middle of the second epoch
            raise KeyboardInterrupt
        return real_step(data, idx, lr)

    monkeypatch.setattr(engine, "train_step", train_step)
    with pytest.warns(UserWarning, match="Training interrupted by user after 1 completed"):
        state, _ = _fit(engine, _config(max_iter=20, batch_size=10))
    assert len(calls) == 7
    assert state.n_iter == 1
    assert len(state.loss_curve) == 1
    _assert_weights_equal(engine.get_weights(), after_first_epoch[0])
    assert _weights_differ(engine.get_weights(), initial)
    assert state.learning_rate == 0.1


@both_engines
def test_divergence_stops_training_and_restores_the_start_of_the_lowest_loss_epoch(
        monkeypatch, backend):
    from sknn.exceptions import DivergenceWarning
    engine = _engine(backend=backend)
    real_step = engine.train_step
    calls = []
    epoch_starts = []

    def train_step(data, idx, lr):
        calls.append(lr)
        if len(calls) % 4 == 1:  # first batch of an epoch (4 batches per epoch)
            epoch_starts.append(engine.get_weights())
        if len(calls) >= 13:  # the fourth epoch blows up
            engine.set_flat_parameters(engine.flat_parameters() * np.inf)
            return np.inf
        return real_step(data, idx, lr)

    monkeypatch.setattr(engine, "train_step", train_step)
    with pytest.warns(DivergenceWarning, match="epoch 4.*clip_norm"):
        state, converged = _fit(engine, _config(max_iter=20, batch_size=10))
    assert state.n_iter == 4 and not np.isfinite(state.loss_curve[-1])
    assert len(calls) == 16  # stopped at the end of the diverged epoch
    best = int(np.argmin(state.loss_curve[:3]))
    _assert_weights_equal(engine.get_weights(), epoch_starts[best])


@both_engines
def test_divergence_in_the_first_epoch_leaves_nothing_to_restore(monkeypatch, backend):
    engine = _engine(backend=backend)

    def train_step(data, idx, lr):
        engine.set_flat_parameters(engine.flat_parameters() * np.nan)
        return np.nan

    monkeypatch.setattr(engine, "train_step", train_step)
    state, _ = _fit(engine, _config(max_iter=20, batch_size=10))
    assert state.n_iter == 1
    # the estimator turns these weights into scikit-learn's "non-finite" error
    assert not np.isfinite(engine.flat_parameters()).all()


# -- batch size and seeding -----------------------------------------------


@pytest.mark.parametrize("batch_size, n_samples, expected", [
    ("auto", 50, 50),
    ("auto", 200, 200),
    ("auto", 1000, 200),
    (32, 100, 32),
    (100, 100, 100),
    (0, 100, 1),
])
def test_resolve_batch_size_follows_sklearn_rules(batch_size, n_samples, expected):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resolved = resolve_batch_size(batch_size, n_samples)
    assert resolved == expected
    assert type(resolved) is int


def test_resolve_batch_size_larger_than_the_data_warns_and_clips():
    with pytest.warns(UserWarning, match="It is going to be clipped"):
        assert resolve_batch_size(500, 40) == 40


def test_same_shuffle_seed_gives_bit_identical_weights_and_different_seed_does_not():
    config = _config(max_iter=5, batch_size=7)
    runs = []
    for seed in (3, 3, 4):
        engine = _engine(seed=0)
        state, _ = _fit(engine, config, rng_seed=seed)
        runs.append((engine.get_weights(), state.loss_curve))
    _assert_weights_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]
    assert _weights_differ(runs[0][0], runs[2][0])


def test_unshuffled_training_does_not_consume_the_random_state():
    engine = _engine()
    rng = np.random.RandomState(0)
    data = engine.prepare(*_toy_data())
    fit_loop(engine, data, _config(max_iter=3, shuffle=False), rng=rng,
             state=TrainState.fresh(False, engine.get_weights()), learning_rate=0.1)
    assert rng.uniform() == np.random.RandomState(0).uniform()


# -- L-BFGS ---------------------------------------------------------------


def test_fit_lbfgs_leaves_the_minimizer_in_the_engine():
    engine = _engine()
    engine.alpha = 1e-2
    data = engine.prepare(*_toy_data())
    start = engine.loss_and_gradient(data)[0]
    result = fit_lbfgs(engine, data, _config(max_iter=50))
    end = engine.loss_and_gradient(data)[0]
    assert end < 0.1 * start
    assert end == pytest.approx(result.loss, rel=1e-10)
    # one history entry per iteration, the objective at each iterate
    assert len(result.history["loss"]) == result.n_iter
    assert result.history["loss"][-1] == pytest.approx(result.loss, rel=1e-10)


# -- schedules inside the loop -------------------------------------------


N_SAMPLES, BATCH = 2 * N_PER_CLASS, 10
STEPS_PER_EPOCH = N_SAMPLES // BATCH


def _expected_step_rates(schedule, n_epochs, max_iter, first_epoch=0):
    """The rate of every batch, asking ``schedule`` exactly when the loop should."""
    rates = []
    for epoch in range(first_epoch, first_epoch + n_epochs):
        for batch in range(STEPS_PER_EPOCH):
            asked_at = batch if schedule.per_step else 0
            rates.append(schedule(Progress(epoch, epoch * STEPS_PER_EPOCH + asked_at,
                                           epoch * N_SAMPLES + asked_at * BATCH, max_iter,
                                           STEPS_PER_EPOCH)))
    return rates


@pytest.mark.parametrize("name", ["constant", "invscaling", "power", "exponential",
                                  "piecewise", "one_cycle", "cosine"])
def test_each_schedule_sets_the_rate_of_every_batch_and_the_history(name, monkeypatch):
    engine = _engine()
    rates = _constant_loss_step(engine, monkeypatch)
    schedule = {"piecewise": PiecewiseConstant(boundaries=(2, 4)),
                "power": PowerDecay(decay_steps=3, power=0.5)}.get(name, name)
    config = _config(batch_size=BATCH, max_iter=6, schedule=schedule,
                     schedule_params={"power_t": 0.25}, n_iter_no_change=100)
    state, _ = _fit(engine, config)
    bound = make_schedule(schedule, 0.1, power_t=0.25)
    expected = _expected_step_rates(bound, 6, max_iter=6)
    assert rates == pytest.approx(expected, rel=1e-14)
    assert state.history["learning_rate"] == pytest.approx(expected[::STEPS_PER_EPOCH],
                                                           rel=1e-14)
    if name not in ("constant",):
        assert len(set(state.history["learning_rate"])) > 1


def test_a_per_step_schedule_leaves_the_rate_of_the_next_step_in_the_state():
    engine = _engine()
    config = _config(batch_size=BATCH, max_iter=3, schedule=CosineDecay(min_lr=0.01),
                     n_iter_no_change=100)
    state, _ = _fit(engine, config)
    assert (state.epoch, state.step) == (3, 3 * STEPS_PER_EPOCH)
    # the fit ran all its steps: the next one is past the end, at min_lr
    assert state.learning_rate == pytest.approx(0.01, rel=1e-14)


def test_piecewise_first_epoch_uses_its_own_first_value_not_learning_rate_init(monkeypatch):
    engine = _engine()
    rates = _constant_loss_step(engine, monkeypatch)
    schedule = PiecewiseConstant(boundaries=(1,), values=(0.3, 0.03))
    _fit(engine, _config(batch_size=40, max_iter=3, schedule=schedule, n_iter_no_change=100))
    assert rates == [0.3, 0.03, 0.03]


def test_one_cycle_applies_its_momentum_to_sgd_before_every_step(monkeypatch):
    engine = _engine(momentum=0.9)
    momenta = []
    monkeypatch.setattr(engine, "train_step",
                        lambda data, idx, lr: momenta.append(engine.optimizer.momentum) or 0.5)
    schedule = OneCycle(max_lr=0.5, base_momentum=0.8, max_momentum=0.9)
    _fit(engine, _config(batch_size=BATCH, max_iter=5, schedule=schedule,
                         n_iter_no_change=100))
    bound = schedule.bind(0.1)
    expected = [bound.momentum(Progress(step // STEPS_PER_EPOCH, step, step * BATCH, 5,
                                        STEPS_PER_EPOCH))
                for step in range(5 * STEPS_PER_EPOCH)]
    assert momenta == pytest.approx(expected, rel=1e-14)
    assert min(momenta) == pytest.approx(0.8)
    # the optimizer keeps its own hyperparameters, so an estimator can still reuse it
    assert engine.optimizer.momentum == 0.9
    assert engine.optimizer.config() == {"momentum": 0.9, "nesterov": True}


def test_one_cycle_training_equals_stepping_by_hand_with_its_rates_and_momenta():
    schedule = OneCycle(max_lr=0.5).bind(0.1)
    engine = _engine()
    data = engine.prepare(*_toy_data())
    _fit(engine, _config(batch_size=BATCH, max_iter=4, schedule=schedule, shuffle=False,
                         n_iter_no_change=100), data=data)
    by_hand = _engine()
    for step in range(4 * STEPS_PER_EPOCH):
        progress = Progress(step // STEPS_PER_EPOCH, step, step * BATCH, 4, STEPS_PER_EPOCH)
        by_hand.optimizer.momentum = schedule.momentum(progress)
        start = (step % STEPS_PER_EPOCH) * BATCH
        by_hand.train_step(data, slice(start, start + BATCH), schedule(progress))
    _assert_weights_equal(engine.get_weights(), by_hand.get_weights())


def test_momentum_schedule_is_ignored_by_optimizers_without_momentum(monkeypatch):
    engine = _engine("adam")
    rates = _constant_loss_step(engine, monkeypatch)
    _fit(engine, _config(solver="adam", batch_size=BATCH, max_iter=2,
                         schedule=OneCycle(max_lr=0.01), n_iter_no_change=100))
    assert not hasattr(engine.optimizer, "momentum")
    assert len(rates) == 2 * STEPS_PER_EPOCH


def test_partial_fit_calls_continue_the_schedule_and_a_new_fit_restarts_it(monkeypatch):
    engine = _engine()
    rates = _constant_loss_step(engine, monkeypatch)
    config = _config(batch_size=BATCH, max_iter=3, schedule="cosine", n_iter_no_change=100)
    data = engine.prepare(*_toy_data())
    state = TrainState.fresh(False, engine.get_weights())
    for _ in range(3):
        state, _ = _fit(engine, config, data=data, state=state, incremental=True)
    expected = _expected_step_rates(make_schedule("cosine", 0.1), 3, max_iter=3)
    assert rates == pytest.approx(expected, rel=1e-14)
    rates.clear()
    _fit(engine, config, data=data, state=state)  # a warm-started fit
    assert rates[:STEPS_PER_EPOCH] == pytest.approx(expected[:STEPS_PER_EPOCH], rel=1e-14)


def test_partial_fit_continues_a_held_rate_from_the_learning_rate_argument(monkeypatch):
    # scikit-learn's 'adaptive' lowers a constant rate; partial_fit goes on from there
    engine = _engine()
    rates = _constant_loss_step(engine, monkeypatch)
    data = engine.prepare(*_toy_data())
    state = TrainState.fresh(False, engine.get_weights())
    state, _ = _fit(engine, _config(batch_size=40), data=data, state=state, incremental=True)
    fit_loop(engine, data, _config(batch_size=40), rng=np.random.RandomState(0), state=state,
             learning_rate=0.02, incremental=True)
    assert rates == [0.1, 0.02]


def test_reduce_on_plateau_multiplies_the_rate_after_patience_epochs(monkeypatch):
    engine = _engine()
    rates = _constant_loss_step(engine, monkeypatch)
    policy = ReduceOnPlateau(factor=0.5, patience=2, min_lr=0.02)
    state, _ = _fit(engine, _config(batch_size=40, max_iter=9, schedule=policy,
                                    n_iter_no_change=100))
    # epoch 1 sets the best loss; every 2 stalled epochs halve the rate, down to min_lr
    assert rates == pytest.approx([0.1] * 3 + [0.05] * 2 + [0.025] * 2 + [0.02] * 2)
    assert state.history["learning_rate"] == rates


def test_reduce_on_plateau_waits_while_the_loss_keeps_improving(monkeypatch):
    engine = _engine()
    losses = iter([1.0, 0.5, 0.4, 0.4, 0.4, 0.3, 0.3, 0.3])
    rates = []
    monkeypatch.setattr(engine, "train_step",
                        lambda data, idx, lr: rates.append(lr) or next(losses))
    policy = ReduceOnPlateau(factor=0.1, patience=2, min_delta=0.0)
    _fit(engine, _config(batch_size=40, max_iter=8, schedule=policy, n_iter_no_change=100))
    assert rates == pytest.approx([0.1] * 5 + [0.01] * 3)


def test_reduce_on_plateau_restarts_the_stopping_patience(monkeypatch):
    engine = _engine()
    rates = _constant_loss_step(engine, monkeypatch)
    policy = ReduceOnPlateau(factor=0.5, patience=2, min_lr=0.05)
    state, converged = _fit(engine, _config(batch_size=40, max_iter=100, schedule=policy,
                                            n_iter_no_change=2))
    # epochs 2-3 stall: the rate halves and the stopping count restarts (otherwise the
    # 3rd stalled epoch, 4, would stop); at min_lr, stalled epochs 4-6 stop training
    assert rates == pytest.approx([0.1] * 3 + [0.05] * 3)
    assert converged is True and state.n_iter == 6


def test_reduce_on_plateau_can_monitor_the_validation_loss(monkeypatch):
    engine = _engine()
    rates = _constant_loss_step(engine, monkeypatch, loss=0.1)
    val_losses = iter([1.0, 0.9, 0.9, 0.9, 0.9])
    monkeypatch.setattr(engine, "loss", lambda data: next(val_losses))
    validation = Validation(engine.prepare(*_toy_data(seed=1)), lambda e: 0.5)
    policy = ReduceOnPlateau(factor=0.5, patience=2, monitor="val_loss")
    _fit(engine, _config(batch_size=40, max_iter=5, schedule=policy, n_iter_no_change=100),
         validation=validation)
    assert rates == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.05])


class _HalveThenStop(Schedule):
    """A custom policy: halve the held rate after every epoch, stop after the third."""

    def __init__(self, initial_lr=None):
        self.initial_lr = initial_lr

    def __call__(self, progress):
        return self.initial_lr

    def end_epoch(self, lr, history, stall, memory):
        memory["epochs"] = memory.get("epochs", 0) + 1
        if memory["epochs"] == 3:
            return None, "three epochs are enough"
        return lr / 2, None


def test_a_custom_end_epoch_policy_sets_the_held_rate_and_can_stop_training(monkeypatch,
                                                                            capsys):
    engine = _engine()
    rates = _constant_loss_step(engine, monkeypatch)
    state, converged = _fit(engine, _config(batch_size=40, max_iter=10, verbose=1,
                                            schedule=_HalveThenStop()))
    assert rates == [0.1, 0.05, 0.025]
    assert state.n_iter == 3 and converged is True
    assert state.schedule_memory == {"epochs": 3}
    assert capsys.readouterr().out.splitlines()[-1] == "three epochs are enough"


def test_the_plateau_memory_continues_over_partial_fit_and_restarts_with_fit(monkeypatch):
    engine = _engine()
    rates = _constant_loss_step(engine, monkeypatch)
    data = engine.prepare(*_toy_data())
    config = _config(batch_size=40, schedule=ReduceOnPlateau(factor=0.5, patience=2),
                     n_iter_no_change=100)
    state = TrainState.fresh(False, engine.get_weights())
    for _ in range(3):  # epoch 1 sets the best loss, 2 and 3 stall: the rate halves
        state, _ = fit_loop(engine, data, config, rng=np.random.RandomState(0), state=state,
                            learning_rate=state.learning_rate or 0.1, incremental=True)
    assert rates == [0.1, 0.1, 0.1] and state.learning_rate == 0.05
    assert state.schedule_memory == {"best": 0.7, "wait": 0}
    _fit(engine, config, data=data, state=state)  # a new fit starts over: best, 2 stalls
    assert rates[3:7] == [0.1, 0.1, 0.1, 0.05]


def test_after_a_call_the_state_holds_no_engine_and_pickles_only_what_carries_over():
    import pickle

    engine = _engine()
    state, _ = _fit(engine, _config(max_iter=4, tol=0.0, n_iter_no_change=100))
    assert state.n_iter == 4  # the call's epoch count stays readable (n_iter_)
    assert state.engine is None and state.data is None and state.completed is None
    restored = pickle.loads(pickle.dumps(state))
    assert set(restored.__getstate__()) == {
        "t", "epoch", "step", "learning_rate", "history", "no_improvement_count", "best_loss",
        "validation_scores", "best_validation_score", "best_weights", "schedule_memory",
        "budget_warned"}
    assert restored.loss_curve == state.loss_curve == state.history["loss"]
    assert restored.loss == state.loss_curve[-1] and (restored.epoch, restored.t) == (4, 160)


def test_a_state_pickled_before_the_restructuring_loads_with_its_plateau_counters():
    # the layout of sknn.training.TrainState at commit 8e05074, as pickles hold it
    old = dict(n_iter=5, t=200, loss=0.5, loss_curve=[0.9, 0.5], best_loss=0.5,
               validation_scores=None, best_validation_score=None, no_improvement_count=1,
               best_weights=None, learning_rate=0.01,
               history={key: [0.9, 0.5] for key in HISTORY_KEYS}, epoch=2, step=8,
               plateau_best=0.5, plateau_wait=1, best_epoch=0, budget_warned=False)
    state = TrainState.__new__(TrainState)
    state.__setstate__(old)
    assert state.schedule_memory == {"best": 0.5, "wait": 1}
    assert (state.t, state.epoch, state.step, state.learning_rate) == (200, 2, 8, 0.01)
    assert state.loss == 0.5 and state.loss_curve == [0.9, 0.5] and state.engine is None


def test_monitoring_the_validation_loss_without_validation_data_is_an_error():
    engine = _engine()
    with pytest.raises(ValueError, match="val_loss"):
        _fit(engine, _config(schedule=ReduceOnPlateau(monitor="val_loss")))


def test_run_epoch_asks_rate_at_for_every_batch_start(monkeypatch):
    engine = _engine()
    data = engine.prepare(*_toy_data())
    used = _constant_loss_step(engine, monkeypatch)
    starts = []

    def rate_at(start):
        starts.append(start)
        return 0.01 * (len(starts))

    run_epoch(engine, data, _config(), np.random.RandomState(0), np.arange(40), 16, 0.5,
              rate_at)
    assert starts == [0, 16, 32]
    assert used == pytest.approx([0.01, 0.02, 0.03])


def test_the_optimizer_gets_its_momentum_back_even_when_training_fails(monkeypatch):
    engine = _engine(momentum=0.9)
    calls = []

    def train_step(data, idx, lr):
        calls.append(engine.optimizer.momentum)
        if len(calls) == 3:
            raise FloatingPointError("diverged")
        return 0.5

    monkeypatch.setattr(engine, "train_step", train_step)
    with pytest.raises(FloatingPointError):
        _fit(engine, _config(batch_size=BATCH, schedule=OneCycle(max_lr=0.5)))
    assert calls[0] == pytest.approx(0.95)
    assert engine.optimizer.momentum == 0.9


def _one_cycle_fit(**params):
    from sknn import DeepNetRegressor

    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    model = DeepNetRegressor(n_hidden=1, n_neurons=8, max_iter=40, n_iter_no_change=2,
                             random_state=0, **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    return model, [w.category for w in caught]


def test_patience_starts_when_the_warm_up_ends():
    # tol so large that no epoch counts as an improvement: without the warm-up
    # rule, early stopping would end the fit after n_iter_no_change + 1
    # epochs, mid warm-up
    model, _ = _one_cycle_fit(learning_rate="one_cycle", tol=1e6, early_stopping=True)
    rates = model.history_["learning_rate"]
    peak = int(np.argmax(rates))
    assert peak >= 5  # the warm-up is longer than the patience
    # the rate rose through every epoch before the peak, and stopping came
    # exactly patience + 1 epochs after it
    assert all(a < b for a, b in zip(rates[:peak], rates[1:peak + 1]))
    assert model.n_iter_ == peak + 2 + 1


@pytest.mark.parametrize("schedule", ["one_cycle", "cosine"])
def test_a_fixed_budget_schedule_runs_every_epoch_without_a_convergence_warning(schedule):
    from sklearn.exceptions import ConvergenceWarning

    model, warned = _one_cycle_fit(learning_rate=schedule, tol=1e6, early_stopping=False)
    assert model.n_iter_ == 40
    assert ConvergenceWarning not in warned


def test_the_training_loss_rule_still_stops_other_schedules():
    model, _ = _one_cycle_fit(learning_rate="constant", tol=1e6, early_stopping=False)
    # the first epoch improves on an infinite best loss, then stopping comes
    # after n_iter_no_change + 1 epochs without improvement
    assert model.n_iter_ == 1 + 2 + 1


def test_a_skipped_minibatch_counts_neither_in_the_epoch_loss_nor_its_mean():
    import types

    class Engine:
        def train_step(self, data, idx, lr):
            return None if idx.start == 0 else 2.0  # the first batch weighs nothing

    loss, _ = run_epoch(Engine(), types.SimpleNamespace(n_samples=30),
                        TrainConfig(shuffle=False), None, np.arange(30), 10, 0.1)
    assert loss == 2.0  # not (0 * 10 + 2 * 20) / 30
