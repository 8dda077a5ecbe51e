"""Learning-rate schedules: closures from training progress to a rate.

A schedule factory takes the initial rate and its own hyperparameters and
returns ``schedule(samples_seen) -> learning_rate``. The training loop calls
it at the end of each epoch, the moment scikit-learn's ``invscaling`` rule
updates its rate. Reactive policies (reduce on plateau, scikit-learn's
``'adaptive'``) need the loss history and live in :mod:`sknn.training`.
"""

from __future__ import annotations

from sknn._registry import Registry

SCHEDULES = Registry("learning_rate schedule")


@SCHEDULES.register("constant")
def constant(learning_rate_init, **_):
    """The rate never changes.

    Examples
    --------
    >>> constant(0.1)(10_000)
    0.1
    """

    def schedule(samples_seen):
        return learning_rate_init

    return schedule


@SCHEDULES.register("invscaling")
def invscaling(learning_rate_init, power_t=0.5, **_):
    """``learning_rate_init / (samples_seen + 1) ** power_t`` (scikit-learn's rule).

    Examples
    --------
    >>> round(invscaling(0.1, power_t=0.5)(99), 6)
    0.01
    """

    def schedule(samples_seen):
        return learning_rate_init / pow(samples_seen + 1, power_t)

    return schedule


def make_schedule(name, learning_rate_init, **params):
    """Build the registered schedule ``name``."""
    return SCHEDULES.get(name)(learning_rate_init, **params)
