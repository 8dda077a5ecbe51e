"""Learning-rate schedules."""

import pytest

from sknn.schedules import SCHEDULES, constant, invscaling, make_schedule


@pytest.mark.parametrize("samples_seen", [0, 1, 99, 10_000])
def test_constant_schedule_never_changes_the_rate(samples_seen):
    assert constant(0.05)(samples_seen) == 0.05
    assert make_schedule("constant", 0.05)(samples_seen) == 0.05


@pytest.mark.parametrize("power_t", [0.25, 0.5, 1.0])
@pytest.mark.parametrize("samples_seen", [0, 1, 99, 12_345])
def test_invscaling_divides_by_samples_seen_plus_one_to_the_power_t(samples_seen, power_t):
    expected = 0.1 / (samples_seen + 1) ** power_t
    assert invscaling(0.1, power_t=power_t)(samples_seen) == pytest.approx(expected, rel=1e-15)
    schedule = make_schedule("invscaling", 0.1, power_t=power_t)
    assert schedule(samples_seen) == pytest.approx(expected, rel=1e-15)


def test_invscaling_defaults_to_power_one_half_like_sklearn():
    assert invscaling(1.0)(99) == pytest.approx(0.1)
    assert invscaling(1.0)(0) == 1.0


def test_invscaling_matches_sklearn_sgd_optimizer():
    import numpy as np
    from sklearn.neural_network._stochastic_optimizers import SGDOptimizer

    sk = SGDOptimizer([np.zeros(1)], learning_rate_init=0.3, lr_schedule="invscaling",
                      power_t=0.4)
    schedule = make_schedule("invscaling", 0.3, power_t=0.4)
    for time_step in (10, 200, 3000):
        sk.iteration_ends(time_step)
        assert schedule(time_step) == sk.learning_rate


def test_invscaling_decreases_monotonically():
    schedule = make_schedule("invscaling", 0.1)
    rates = [schedule(t) for t in range(0, 1000, 50)]
    assert all(later < earlier for earlier, later in zip(rates, rates[1:]))


@pytest.mark.parametrize("name", SCHEDULES.names())
def test_every_schedule_starts_at_the_initial_rate(name):
    assert make_schedule(name, 0.02)(0) == pytest.approx(0.02)


@pytest.mark.parametrize("name", SCHEDULES.names())
def test_every_schedule_ignores_unknown_hyperparameters(name):
    # Estimators pass one parameter dict (power_t, ...) whatever the schedule.
    assert make_schedule(name, 0.02, power_t=0.5, unused=1)(0) == pytest.approx(0.02)


def test_make_schedule_rejects_unknown_name_listing_choices():
    with pytest.raises(ValueError, match="Unknown learning_rate schedule 'cosine'") as excinfo:
        make_schedule("cosine", 0.1)
    assert "constant, invscaling" in str(excinfo.value)
