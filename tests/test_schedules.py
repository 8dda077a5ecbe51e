"""Learning-rate schedules: formulas, shapes, torch parity and the estimator protocol."""

import dataclasses
import math
import pickle

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone

from sknn.schedules import (
    SCHEDULES,
    Adaptive,
    Constant,
    CosineDecay,
    ExponentialDecay,
    InvScaling,
    OneCycle,
    PiecewiseConstant,
    PowerDecay,
    Progress,
    ReduceOnPlateau,
    Schedule,
    make_schedule,
)

SCHEDULE_CLASSES = [SCHEDULES.get(name) for name in SCHEDULES.names()]
every_schedule = pytest.mark.parametrize("name", SCHEDULES.names())


def at(step=0, epoch=None, samples_seen=0, total_epochs=10, steps_per_epoch=10):
    """Progress at ``step`` (the epoch follows from it unless given)."""
    if epoch is None:
        epoch = step // steps_per_epoch
    return Progress(epoch, step, samples_seen, total_epochs, steps_per_epoch)


# -- the registry and the shared protocol -----------------------------------


def test_registry_holds_every_schedule_of_the_catalog():
    assert SCHEDULES.names() == ["constant", "cosine", "exponential", "invscaling",
                                 "one_cycle", "piecewise", "plateau", "power"]


def test_progress_is_a_frozen_record_with_the_total_step_count():
    progress = Progress(epoch=2, step=25, samples_seen=2500, total_epochs=8, steps_per_epoch=10)
    assert progress.total_steps == 80
    with pytest.raises(dataclasses.FrozenInstanceError):
        progress.step = 3


@every_schedule
def test_every_schedule_says_when_the_loop_must_ask_it(name):
    schedule = make_schedule(name, 0.02)
    assert isinstance(schedule, Schedule)
    assert isinstance(schedule.per_step, bool) and isinstance(schedule.per_epoch, bool)
    assert not (schedule.per_step and schedule.per_epoch)


@every_schedule
def test_every_schedule_starts_a_fit_at_the_initial_rate(name):
    expected = 0.02 / 25 if name == "one_cycle" else 0.02  # 1cycle warms up from max/25
    assert make_schedule(name, 0.02)(at(0)) == pytest.approx(expected, rel=1e-15)


@every_schedule
def test_every_schedule_ignores_unknown_hyperparameters(name):
    # Estimators pass one parameter dict (power_t, ...) whatever the schedule.
    schedule = make_schedule(name, 0.02, power_t=0.5, unused=1)
    assert schedule(at(0)) == make_schedule(name, 0.02)(at(0))


@every_schedule
def test_every_schedule_rate_is_a_positive_python_float_all_along(name):
    # a NumPy scalar rate would make the float32 optimizer passes compute in float64
    schedule = make_schedule(name, 0.02)
    for step in range(0, 100, 7):
        rate = schedule(at(step, samples_seen=step * 32))
        assert type(rate) is float and rate >= 0, (step, rate)


@pytest.mark.parametrize("schedule_class", SCHEDULE_CLASSES, ids=SCHEDULES.names())
def test_every_schedule_clones_and_round_trips_its_params(schedule_class):
    schedule = schedule_class()
    params = schedule.get_params()
    assert list(params) == sorted(params)  # explicit keyword __init__, nothing else
    copy = clone(schedule).set_params(**params)
    assert copy.get_params() == params
    rate_param = "max_lr" if schedule_class is OneCycle else "initial_lr"
    schedule.set_params(**{rate_param: 0.5})
    assert clone(schedule).get_params()[rate_param] == 0.5


@every_schedule
def test_every_bound_schedule_survives_pickling(name):
    schedule = make_schedule(name, 0.05)
    restored = pickle.loads(pickle.dumps(schedule))
    assert restored.get_params() == schedule.get_params()
    assert restored(at(13)) == schedule(at(13))


class _HoldsASchedule(BaseEstimator):
    def __init__(self, learning_rate="constant"):
        self.learning_rate = learning_rate


def test_nested_schedule_params_are_searchable_like_an_estimators():
    model = _HoldsASchedule(learning_rate=OneCycle(max_lr=0.1))
    assert model.get_params()["learning_rate__max_lr"] == 0.1
    model.set_params(learning_rate__max_lr=0.3, learning_rate__pct_start=0.5)
    copy = clone(model)
    assert copy.learning_rate is not model.learning_rate
    assert copy.learning_rate.get_params() == OneCycle(max_lr=0.3, pct_start=0.5).get_params()


def test_bind_fills_only_unset_rates_on_a_copy():
    user = CosineDecay(min_lr=0.001)
    bound = user.bind(0.1)
    assert bound is not user and user.initial_lr is None
    assert bound.initial_lr == 0.1 and bound.min_lr == 0.001
    assert CosineDecay(initial_lr=0.5).bind(0.1).initial_lr == 0.5
    assert make_schedule(OneCycle(max_lr=0.7), 0.1).max_lr == 0.7


INVALID_SCHEDULES = [
    (PiecewiseConstant, dict(boundaries=(5, 2)), "increasing"),
    (PiecewiseConstant, dict(boundaries=(5,), values=(0.1,)), "one more entry"),
    (PiecewiseConstant, dict(boundaries=(5,), values=(0.1, -0.01)), "values must be"),
    (OneCycle, dict(pct_start=1.5), "pct_start"),
    (OneCycle, dict(anneal_strategy="step"), "anneal_strategy"),
    (OneCycle, dict(max_lr=float("nan")), "max_lr must be a finite learning rate > 0"),
    (OneCycle, dict(final_div_factor=1e-6), "final_div_factor"),
    (OneCycle, dict(base_momentum=-0.5), "base_momentum"),
    (PowerDecay, dict(decay_steps=0), "decay_steps"),
    (PowerDecay, dict(power=-1.0), "power .*grow"),
    (ExponentialDecay, dict(decay_rate=0.0), "decay_rate"),
    (ExponentialDecay, dict(decay_rate=10.0), "decay_rate .*grows"),
    (InvScaling, dict(power_t=-0.5), "power_t"),
    (CosineDecay, dict(warmup_steps=-1), "warmup_steps"),
    (CosineDecay, dict(min_lr=-1.0), "min_lr .*negative rate"),
    (CosineDecay, dict(initial_lr=0.01, min_lr=0.1), "min_lr must not exceed"),
    (ReduceOnPlateau, dict(factor=1.5), "factor"),
    (ReduceOnPlateau, dict(min_lr=-1e-3), "min_lr"),
    (ReduceOnPlateau, dict(monitor="accuracy"), "monitor"),
    (Adaptive, dict(divisor=1.0), "divisor .*does not lower"),
    (Adaptive, dict(min_lr=-1e-6), "min_lr .*negative rate"),
    (Constant, dict(initial_lr=-0.1), "initial_lr must be a finite learning rate > 0"),
    (Constant, dict(initial_lr="fast"), "initial_lr"),
]


@pytest.mark.parametrize("schedule_class, params, match", INVALID_SCHEDULES)
def test_invalid_hyperparameters_are_refused_where_they_are_set(schedule_class, params, match):
    with pytest.raises(ValueError, match=match) as excinfo:
        schedule_class(**params)
    # the message names the schedule and the value it got
    assert str(excinfo.value).startswith(schedule_class.__name__ + ":")
    assert "got" in str(excinfo.value)
    # set_params (what a search does to a nested schedule) refuses them too
    with pytest.raises(ValueError, match=match):
        schedule_class().set_params(**params)


def test_a_rate_known_only_at_bind_is_checked_there():
    schedule = CosineDecay(min_lr=0.1)  # initial_lr comes from the estimator
    assert schedule.bind(0.5).min_lr == 0.1
    with pytest.raises(ValueError, match="min_lr must not exceed initial_lr=0.01"):
        schedule.bind(0.01)


def test_an_estimator_refuses_a_bad_nested_schedule_parameter():
    from sknn import MLPClassifier

    model = MLPClassifier(learning_rate=OneCycle())
    with pytest.raises(ValueError, match="OneCycle: max_lr"):
        model.set_params(learning_rate__max_lr=-0.1)


def test_make_schedule_rejects_unknown_name_listing_choices():
    with pytest.raises(ValueError, match="Unknown learning_rate schedule 'cyclic'") as excinfo:
        make_schedule("cyclic", 0.1)
    assert "constant, cosine, exponential, invscaling" in str(excinfo.value)


def test_base_schedule_is_abstract_and_has_no_momentum():
    with pytest.raises(NotImplementedError):
        Schedule()(at(0))
    assert Constant(0.1).momentum(at(0)) is None


# -- scikit-learn's two -------------------------------------------------------


@pytest.mark.parametrize("epoch, samples_seen", [(0, 0), (3, 1), (5, 99), (9, 10_000)])
def test_constant_schedule_never_changes_the_rate(epoch, samples_seen):
    schedule = make_schedule("constant", 0.05)
    assert schedule(at(epoch * 10, epoch=epoch, samples_seen=samples_seen)) == 0.05
    assert not schedule.per_step and not schedule.per_epoch  # the loop holds the rate


@pytest.mark.parametrize("power_t", [0.25, 0.5, 1.0])
@pytest.mark.parametrize("samples_seen", [1, 99, 12_345])
def test_invscaling_divides_by_samples_seen_plus_one_to_the_power_t(samples_seen, power_t):
    expected = 0.1 / (samples_seen + 1) ** power_t
    schedule = make_schedule("invscaling", 0.1, power_t=power_t)
    assert schedule(at(epoch=1, samples_seen=samples_seen)) == pytest.approx(expected,
                                                                            rel=1e-15)
    assert schedule.per_epoch and not schedule.per_step


def test_invscaling_runs_the_first_epoch_of_a_fit_at_the_initial_rate_like_sklearn():
    # a warm-started fit has seen samples already, yet starts at learning_rate_init
    schedule = InvScaling(initial_lr=1.0)
    assert schedule(at(epoch=0, samples_seen=99)) == 1.0
    assert schedule(at(epoch=1, samples_seen=99)) == pytest.approx(0.1)


def test_invscaling_matches_sklearn_sgd_optimizer_exactly():
    from sklearn.neural_network._stochastic_optimizers import SGDOptimizer

    sk = SGDOptimizer([np.zeros(1)], learning_rate_init=0.3, lr_schedule="invscaling",
                      power_t=0.4)
    schedule = make_schedule("invscaling", 0.3, power_t=0.4)
    for epoch, time_step in enumerate((10, 200, 3000), start=1):
        sk.iteration_ends(time_step)
        assert schedule(at(epoch=epoch, samples_seen=time_step)) == sk.learning_rate


# -- power, exponential, piecewise --------------------------------------------


@pytest.mark.parametrize("step", [0, 1, 7, 30, 999])
def test_power_decay_follows_its_formula(step):
    schedule = PowerDecay(initial_lr=0.2, decay_steps=20, power=0.75)
    assert schedule(at(step)) == pytest.approx(0.2 / (1 + step / 20) ** 0.75, rel=1e-14)


def test_power_decay_defaults_to_one_over_epochs_plus_one():
    schedule = make_schedule("power", 0.3)
    for epoch in range(5):
        assert schedule(at(epoch * 10)) == pytest.approx(0.3 / (1 + epoch), rel=1e-14)


@pytest.mark.parametrize("step", [0, 1, 7, 30, 999])
def test_exponential_decay_follows_its_formula(step):
    schedule = ExponentialDecay(initial_lr=0.2, decay_steps=20, decay_rate=0.5)
    assert schedule(at(step)) == pytest.approx(0.2 * 0.5 ** (step / 20), rel=1e-14)


def test_exponential_decay_defaults_to_a_tenfold_fall_over_the_whole_fit():
    schedule = make_schedule("exponential", 0.3)
    rates = [schedule(at(step, total_epochs=4, steps_per_epoch=5)) for step in range(21)]
    assert rates[0] == 0.3
    assert rates[-1] == pytest.approx(0.03, rel=1e-14)  # step 20 = total steps
    assert all(later < earlier for earlier, later in zip(rates, rates[1:]))


def test_piecewise_constant_switches_value_at_each_boundary_epoch():
    schedule = PiecewiseConstant(boundaries=(2, 4), values=(0.3, 0.2, 0.1))
    rates = [schedule(at(epoch * 10, epoch=epoch)) for epoch in range(6)]
    assert rates == [0.3, 0.3, 0.2, 0.2, 0.1, 0.1]
    assert schedule.per_epoch and not schedule.per_step


def test_piecewise_without_values_divides_the_initial_rate_by_ten_per_boundary():
    schedule = make_schedule(PiecewiseConstant(boundaries=(1, 3)), 0.5)
    rates = [schedule(at(epoch=epoch)) for epoch in range(4)]
    assert rates == pytest.approx([0.5, 0.05, 0.05, 0.005], rel=1e-15)
    assert make_schedule("piecewise", 0.5)(at(epoch=100)) == 0.5  # no boundaries


# -- 1cycle -------------------------------------------------------------------


def _cycle(schedule, total_steps):
    progress = [at(step, total_epochs=1, steps_per_epoch=total_steps)
                for step in range(total_steps)]
    return (np.array([schedule(p) for p in progress]),
            np.array([schedule.momentum(p) for p in progress]))


def test_one_cycle_rises_to_max_at_pct_start_then_falls_to_the_final_rate():
    schedule = OneCycle(max_lr=1.0, pct_start=0.25, div_factor=10.0, final_div_factor=100.0)
    rates, momenta = _cycle(schedule, 100)
    peak = int(np.argmax(rates))
    assert peak == 24  # the rise ends at step pct_start * total - 1
    assert rates[0] == pytest.approx(0.1) and rates[peak] == pytest.approx(1.0)
    assert rates[-1] == pytest.approx(0.1 / 100)  # initial / final_div_factor, as torch
    assert np.all(np.diff(rates[: peak + 1]) > 0) and np.all(np.diff(rates[peak:]) < 0)
    # the momentum moves the opposite way: lowest where the rate peaks
    assert momenta[0] == pytest.approx(0.95) and momenta[-1] == pytest.approx(0.95)
    assert int(np.argmin(momenta)) == peak and momenta[peak] == pytest.approx(0.85)
    assert np.all(np.sign(np.diff(momenta)) == -np.sign(np.diff(rates)))


def test_one_cycle_linear_phases_follow_the_formula():
    schedule = OneCycle(max_lr=2.0, pct_start=0.5, div_factor=4.0, final_div_factor=5.0)
    rates, _ = _cycle(schedule, 10)  # rise over steps 0..4, fall over 4..9
    initial, final = 0.5, 0.1
    expected = [initial + (2.0 - initial) * step / 4 for step in range(5)]
    expected += [2.0 + (final - 2.0) * (step - 4) / 5 for step in range(5, 10)]
    np.testing.assert_allclose(rates, expected, rtol=1e-14)


def test_one_cycle_keeps_the_final_rate_after_the_last_step():
    schedule = OneCycle(max_lr=1.0)
    last = schedule(at(99, total_epochs=10, steps_per_epoch=10))
    assert schedule(at(150, total_epochs=10, steps_per_epoch=10)) == last
    assert schedule.momentum(at(150, total_epochs=10, steps_per_epoch=10)) == 0.95


def test_one_cycle_with_a_one_step_rise_starts_at_max_lr():
    # pct_start * total_steps = 1: torch divides by zero here, sknn takes the phase's end
    schedule = OneCycle(max_lr=1.0, pct_start=0.1)
    rates, momenta = _cycle(schedule, 10)
    assert rates[0] == 1.0 and momenta[0] == 0.85
    assert np.all(np.diff(rates) < 0)


def test_one_cycle_without_momentum_cycling_leaves_momentum_alone():
    assert OneCycle(max_lr=1.0, cycle_momentum=False).momentum(at(3)) is None


@pytest.mark.parametrize("anneal_strategy", ["linear", "cos"])
@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("total_steps, pct_start", [(50, 0.3), (7, 0.4), (10, 0.25)])
def test_one_cycle_matches_torch_one_cycle_lr(anneal_strategy, three_phase, total_steps,
                                              pct_start):
    torch = pytest.importorskip("torch")
    kwargs = dict(max_lr=0.8, pct_start=pct_start, div_factor=8.0, final_div_factor=50.0,
                  anneal_strategy=anneal_strategy, three_phase=three_phase,
                  base_momentum=0.8, max_momentum=0.9)
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, total_steps=total_steps,
                                                    **kwargs)
    expected_rates, expected_momenta = [], []
    for _ in range(total_steps):
        expected_rates.append(optimizer.param_groups[0]["lr"])
        expected_momenta.append(optimizer.param_groups[0]["momentum"])
        optimizer.step()
        scheduler.step()
    rates, momenta = _cycle(OneCycle(**kwargs), total_steps)
    np.testing.assert_allclose(rates, expected_rates, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(momenta, expected_momenta, rtol=1e-12)


# -- cosine -------------------------------------------------------------------


def test_cosine_decay_follows_its_formula_over_the_whole_fit():
    schedule = make_schedule(CosineDecay(min_lr=0.01), 0.5)
    total = 40
    for step in range(total + 5):
        fraction = min(step / total, 1.0)
        expected = 0.01 + 0.49 * (1 + math.cos(math.pi * fraction)) / 2
        rate = schedule(at(step, total_epochs=4, steps_per_epoch=10))
        assert rate == pytest.approx(expected, rel=1e-14), step


def test_cosine_decay_warms_up_linearly_then_decays_over_the_remaining_steps():
    schedule = CosineDecay(initial_lr=1.0, warmup_steps=10)
    rates = [schedule(at(step, total_epochs=3, steps_per_epoch=10)) for step in range(31)]
    np.testing.assert_allclose(rates[:11], np.arange(11) / 10, rtol=1e-14)
    assert rates[20] == pytest.approx(0.5, rel=1e-14)
    assert rates[30] == pytest.approx(0.0, abs=1e-15)


def test_cosine_decay_steps_bound_the_decay_then_hold_min_lr():
    schedule = CosineDecay(initial_lr=1.0, min_lr=0.1, decay_steps=4)
    rates = [schedule(at(step)) for step in range(8)]
    np.testing.assert_allclose(rates[4:], [0.1] * 4, rtol=1e-14)
    assert rates[2] == pytest.approx(0.55, rel=1e-14)


def test_cosine_decay_matches_torch_cosine_annealing_lr():
    torch = pytest.importorskip("torch")
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=30, eta_min=0.02)
    schedule = CosineDecay(initial_lr=0.3, min_lr=0.02)
    for step in range(31):
        expected = optimizer.param_groups[0]["lr"]
        assert schedule(at(step, total_epochs=3, steps_per_epoch=10)) == pytest.approx(
            expected, rel=1e-12)
        optimizer.step()
        scheduler.step()


# -- plateau ------------------------------------------------------------------


def test_reduce_on_plateau_multiplies_by_factor_down_to_min_lr():
    policy = ReduceOnPlateau(factor=0.5, patience=1, min_lr=0.02).bind(0.1)
    assert policy(at(0)) == 0.1
    history, memory = {"loss": [0.6]}, {}
    policy.end_epoch(0.1, history, None, memory)  # the first epoch sets the best loss
    # a loss within min_delta (1e-4) of the best is no improvement
    history["loss"].append(0.59995)
    assert [policy.end_epoch(lr, history, None, memory)[0] for lr in (0.1, 0.05, 0.03)] == [
        0.05, 0.025, 0.02]
    history["loss"].append(0.5)
    assert policy.end_epoch(0.02, history, None, memory) == (0.02, None)
    assert memory == {"best": 0.5, "wait": 0}
    assert not policy.per_step and not policy.per_epoch


STALL = "Training loss did not improve more than tol=0.000100 for 10 consecutive epochs."


@every_schedule
def test_every_schedule_holds_the_rate_and_stops_when_scikit_learns_rule_fires(name):
    # the end-of-epoch hook every schedule answers; the reactive ones hold
    # their rate while the monitored loss improves
    schedule, history = make_schedule(name, 0.1), {"loss": [1.0], "val_loss": [1.0]}
    assert schedule.end_epoch(0.05, history, None, {}) == (0.05, None)
    if name != "plateau":
        assert schedule.end_epoch(0.05, history, STALL, {}) == (None, STALL + " Stopping.")


def test_adaptive_divides_the_rate_at_each_stall_until_min_lr_then_stops():
    policy, lr, messages = Adaptive(min_lr=1e-3).bind(0.1), 0.1, []
    while lr is not None:
        lr, message = policy.end_epoch(lr, {}, STALL, {})
        messages.append(message)
    assert messages == [STALL + " Setting learning rate to 0.020000",
                        STALL + " Setting learning rate to 0.004000",
                        STALL + " Setting learning rate to 0.000800",
                        STALL + " Learning rate too small. Stopping."]
    assert policy.end_epoch(0.1, {}, None, {}) == (0.1, None)  # no stall, no change
    assert not policy.per_step and not policy.per_epoch and "adaptive" not in SCHEDULES


def test_reduce_on_plateau_keeps_its_counters_in_the_memory_the_loop_gives_it():
    policy = ReduceOnPlateau(factor=0.5, patience=2, min_delta=0.0).bind(0.1)
    history, memory, rates = {"loss": []}, {}, []
    for loss in (1.0, 0.9, 0.9, 0.9, 0.8, 0.8):
        history["loss"].append(loss)
        rate, _ = policy.end_epoch(0.1, history, None, memory)
        rates.append(rate)
    assert rates == [0.1, 0.1, 0.1, 0.05, 0.1, 0.1]
    assert memory == {"best": 0.8, "wait": 1}
    # its own reduction answers a stall of scikit-learn's rule; without one the rule stops
    assert policy.end_epoch(0.1, history, STALL, memory) == (
        0.05, "loss did not improve for 2 epochs. Setting learning rate to 0.050000")
    assert policy.end_epoch(0.1, history, STALL, memory) == (None, STALL + " Stopping.")


def test_only_a_plateau_on_the_validation_loss_needs_a_validation_set():
    assert ReduceOnPlateau(monitor="val_loss").needs_validation
    assert not ReduceOnPlateau().needs_validation
    assert not any(make_schedule(name, 0.1).needs_validation for name in SCHEDULES.names())


class _Returns(Schedule):
    """A custom schedule that returns ``rate`` from its third step on."""

    per_step = True

    def __init__(self, initial_lr=None, rate=None):
        self.initial_lr = initial_lr
        self.rate = rate

    def __call__(self, progress):
        return self.initial_lr if progress.step < 2 else self.rate


@pytest.mark.parametrize("rate, error, match", [
    (-0.01, ValueError, r"returned the rate -0.01; a rate must be finite and >= 0"),
    (float("nan"), ValueError, "returned the rate nan"),
    (float("inf"), ValueError, "returned the rate inf"),
    ("fast", TypeError, "returned 'fast', which is not a number"),
    (None, TypeError, "returned None, which is not a number"),
])
def test_the_loop_refuses_a_rate_it_cannot_use_naming_the_schedule(rate, error, match):
    from sknn import MLPRegressor

    X = np.random.default_rng(0).normal(size=(40, 3))
    model = MLPRegressor(hidden_layer_sizes=(4,), batch_size=10, max_iter=3,
                         learning_rate=_Returns(rate=rate), random_state=0)
    with pytest.raises(error, match=match) as excinfo:
        model.fit(X, X[:, 0])
    assert "_Returns(" in str(excinfo.value)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_zero_rate_is_accepted_as_a_step_that_changes_nothing():
    from sknn import MLPRegressor

    X = np.random.default_rng(0).normal(size=(40, 3))
    params = dict(hidden_layer_sizes=(4,), batch_size=10, max_iter=1, solver="sgd",
                  momentum=0.0, shuffle=False, random_state=0)
    # two steps at 1e-3, then two at rate 0 ...
    model = MLPRegressor(learning_rate=_Returns(rate=0.0), **params).fit(X, X[:, 0])
    # ... leave the weights of the two first steps alone
    first_two = MLPRegressor(learning_rate_init=1e-3, **params).fit(X[:20], X[:20, 0])
    for trained, reference in zip(model.coefs_, first_two.coefs_):
        np.testing.assert_array_equal(trained, reference)


def test_negative_rates_never_reach_the_weights_from_a_cosine_decay():
    # the case: CosineDecay(min_lr=-1.0) trained by gradient ascent
    with pytest.raises(ValueError, match="CosineDecay: min_lr"):
        CosineDecay(min_lr=-1.0)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_search_tunes_the_parameters_of_a_schedule_given_by_name():
    from sklearn.datasets import load_iris
    from sklearn.model_selection import GridSearchCV

    from sknn import DeepNetClassifier

    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    search = GridSearchCV(DeepNetClassifier(n_hidden=1, n_neurons=8, max_iter=5, random_state=0),
                          {"learning_rate__max_lr": [0.001, 0.1]}, cv=2).fit(X, y)
    assert search.best_estimator_.learning_rate.get_params() == OneCycle(
        max_lr=search.best_params_["learning_rate__max_lr"]).get_params()
    assert len({round(score, 6) for score in search.cv_results_["mean_test_score"]}) == 2
    # the estimator searched keeps its name: set_params resolved it on the clones only
    assert search.estimator.learning_rate == "one_cycle"


def test_setting_a_nested_schedule_parameter_on_a_name_builds_that_schedule():
    from sknn import MLPClassifier, StackedAutoencoder

    clf = MLPClassifier(learning_rate="invscaling", power_t=0.25, solver="sgd")
    clf.set_params(learning_rate__initial_lr=0.05)
    assert clf.learning_rate.get_params() == InvScaling(initial_lr=0.05, power_t=0.25).get_params()
    autoencoder = StackedAutoencoder().set_params(learning_rate="cosine",
                                                  learning_rate__min_lr=1e-4)
    assert autoencoder.learning_rate.get_params() == CosineDecay(min_lr=1e-4).get_params()


def test_scikit_learns_adaptive_policy_has_no_parameters_to_set():
    from sknn import MLPClassifier

    with pytest.raises(ValueError, match="learning_rate='adaptive' is not a schedule object"):
        MLPClassifier(learning_rate="adaptive").set_params(learning_rate__factor=0.5)
