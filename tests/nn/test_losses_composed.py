"""Composed losses: any regression loss on any output activation, described by a LossSpec."""

import math
import pickle
import re

import numpy as np
import pytest
from scipy.special import expit
from sklearn.metrics import mean_absolute_error, mean_poisson_deviance

from sknn.nn.losses import (
    LOSSES,
    OUTPUT_ACTIVATIONS,
    ComposedLoss,
    LossSpec,
    check_targets_in_range,
    loss_spec_from_legacy_name,
    make_loss,
)
from sknn.spec import Dense, NetworkSpec

from tests.nn.gradcheck import numeric_array_grad

N_SAMPLES = 8
BOUNDS = {"logistic": (-1.0, 3.0), "tanh": (-1.0, 3.0)}
POISSON_BOUNDS = {"logistic": (0.0, 6.0), "tanh": (0.5, 6.0)}
DELTA = 0.8

# Reference links, written from the definitions.
REFERENCE_OUTPUTS = {
    "identity": lambda z, low, high: z,
    "relu": lambda z, low, high: np.maximum(z, 0),
    "softplus": lambda z, low, high: np.log1p(np.exp(z)),
    "exp": lambda z, low, high: np.exp(z),
    "logistic": lambda z, low, high: low + (high - low) / (1 + np.exp(-z)),
    "tanh": lambda z, low, high: low + (high - low) * (np.tanh(z) + 1) / 2,
}


def _huber(r, delta):
    return np.where(np.abs(r) <= delta, 0.5 * r ** 2, delta * (np.abs(r) - delta / 2))


def _poisson(pred, y):
    log_ratio = np.log(np.where(y > 0, y, 1.0) / pred)
    return pred - y + y * log_ratio


# loss -> elementwise reference loss of (pred, y)
REFERENCE_LOSSES = {
    "squared_error": lambda pred, y: 0.5 * (pred - y) ** 2,
    "absolute_error": lambda pred, y: np.abs(pred - y),
    "huber": lambda pred, y: _huber(pred - y, DELTA),
    "poisson": _poisson,
}

POISSON_OUTPUTS = ("exp", "softplus", "logistic", "tanh")
COMBINATIONS = [(loss, output) for loss in REFERENCE_LOSSES
                for output in REFERENCE_OUTPUTS
                if loss != "poisson" or output in POISSON_OUTPUTS]


def _bounds(loss, output):
    table = POISSON_BOUNDS if loss == "poisson" else BOUNDS
    return table.get(output)


def _loss(loss, output):
    return make_loss(LossSpec(loss, output, output_bounds=_bounds(loss, output), huber_delta=DELTA))


def _reference_link(loss, output, z):
    low, high = _bounds(loss, output) or (None, None)
    return REFERENCE_OUTPUTS[output](z, low, high)


def _problem(loss, output, n_outputs, seed=0):
    """Raw outputs away from relu's kink; targets away from the residual kinks.

    Residuals alternate between |r| in [0.1, 0.6] and [1.0, 2.5], so Huber
    (delta 0.8) is tested in both regimes and absolute error never sits at r = 0.
    """
    rng = np.random.RandomState(seed)
    shape = (N_SAMPLES, n_outputs)
    raw = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.2, 2.0, size=shape)
    if loss == "poisson":
        y = rng.poisson(2.0, size=shape).astype(float)
    else:
        size = np.where(np.arange(raw.size).reshape(shape) % 2 == 0,
                        rng.uniform(0.1, 0.6, size=shape), rng.uniform(1.0, 2.5, size=shape))
        y = _reference_link(loss, output, raw) + rng.choice([-1.0, 1.0], size=shape) * size
    weights = rng.uniform(0.2, 3.0, size=N_SAMPLES)
    return raw, y, weights


# -- gradients -------------------------------------------------------------------
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("loss_name, output", COMBINATIONS)
def test_composed_gradient_matches_finite_differences_of_value(loss_name, output, n_outputs,
                                                               weighted):
    loss = _loss(loss_name, output)
    raw, y, weights = _problem(loss_name, output, n_outputs)
    sample_weight = weights if weighted else None
    analytic = loss.gradient(raw.copy(), y, sample_weight)
    numeric = numeric_array_grad(lambda r: loss.value(r, y, sample_weight), raw)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_huber_problem_covers_both_regimes():
    raw, y, _ = _problem("huber", "identity", 3)
    residual = np.abs(raw - y)
    assert (residual < DELTA).any() and (residual > DELTA).any()


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("loss_name, output", COMBINATIONS)
def test_composed_value_matches_the_reference_formula(loss_name, output, weighted):
    loss = _loss(loss_name, output)
    raw, y, weights = _problem(loss_name, output, 3, seed=1)
    sample_weight = weights if weighted else None
    pred = _reference_link(loss_name, output, raw)
    expected = np.average(REFERENCE_LOSSES[loss_name](pred, y).sum(axis=1), weights=sample_weight)
    assert loss.value(raw, y, sample_weight) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(loss.link(raw), pred, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss_name, output", COMBINATIONS)
def test_composed_value_and_gradient_equal_the_separate_calls(loss_name, output, weighted):
    loss = _loss(loss_name, output)
    raw, y, weights = _problem(loss_name, output, 3, seed=2)
    before = raw.copy()
    sample_weight = weights if weighted else None
    value, grad = loss.value_and_gradient(raw, y, sample_weight)
    np.testing.assert_array_equal(raw, before)
    assert value == pytest.approx(loss.value(raw, y, sample_weight), rel=1e-12)
    out = np.empty_like(raw)
    assert loss.gradient(raw, y, sample_weight, out=out) is out
    np.testing.assert_allclose(out, grad, rtol=1e-14)
    np.testing.assert_array_equal(raw, before)


@pytest.mark.parametrize("loss_name, output", COMBINATIONS)
def test_composed_gradient_keeps_float32(loss_name, output):
    loss = _loss(loss_name, output)
    raw, y, weights = _problem(loss_name, output, 3, seed=3)
    raw32, y32, w32 = (a.astype(np.float32) for a in (raw, y, weights))
    for sample_weight, reference_weight in ((None, None), (w32, weights)):
        value, grad = loss.value_and_gradient(raw32, y32, sample_weight)
        assert grad.dtype == np.float32
        assert isinstance(value, float)
        assert loss.link(raw32).dtype == np.float32
        np.testing.assert_allclose(grad, loss.gradient(raw, y, reference_weight),
                                   rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("loss_name, output",
                         [combo for combo in COMBINATIONS if combo[1] != "exp"
                          and combo[0] != "poisson"])
def test_composed_loss_is_finite_for_extreme_raw_outputs(loss_name, output):
    loss = _loss(loss_name, output)
    raw = np.tile([-1000.0, 1000.0], N_SAMPLES // 2)[:, None].repeat(2, axis=1)
    raw[:, 1] *= -1
    y = np.random.RandomState(4).uniform(0.0, 2.0, size=raw.shape)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value, grad = loss.value_and_gradient(raw, y)
    assert np.isfinite(value) and np.all(np.isfinite(grad))


# -- values against scikit-learn and closed forms ----------------------------------
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_absolute_error_matches_sklearn_mean_absolute_error(weighted):
    raw, y, weights = _problem("absolute_error", "identity", 3, seed=5)
    sw = weights if weighted else None
    loss = LOSSES.get("absolute_error")
    expected = mean_absolute_error(y[:, :1], raw[:, :1], sample_weight=sw)
    assert loss.value(raw[:, :1], y[:, :1], sw) == pytest.approx(expected, rel=1e-12)
    per_output = mean_absolute_error(y, raw, sample_weight=sw, multioutput="raw_values")
    assert loss.value(raw, y, sw) == pytest.approx(per_output.sum(), rel=1e-12)


def test_huber_is_quadratic_inside_delta_and_linear_outside():
    loss = make_loss(LossSpec("huber", huber_delta=2.0))
    raw = np.array([[0.5], [-1.5], [3.0], [-10.0]])
    y = np.zeros_like(raw)
    expected = [0.125, 1.125, 2.0 * (3.0 - 1.0), 2.0 * (10.0 - 1.0)]
    np.testing.assert_allclose(loss.pointwise(raw, y), expected, rtol=1e-15)
    np.testing.assert_allclose(loss.gradient(raw, y) * 4, [[0.5], [-1.5], [2.0], [-2.0]])


def test_default_huber_is_registered_with_delta_one():
    raw, y = np.array([[0.5], [3.0]]), np.zeros((2, 1))
    assert LOSSES.get("huber").value(raw, y) == pytest.approx((0.125 + 2.5) / 2)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_poisson_on_softplus_is_half_the_sklearn_mean_poisson_deviance(weighted):
    raw, y, weights = _problem("poisson", "softplus", 1, seed=6)
    sw = weights if weighted else None
    pred = np.logaddexp(0, raw.ravel())
    expected = mean_poisson_deviance(y.ravel(), pred, sample_weight=sw) / 2
    loss = make_loss(LossSpec("poisson", "softplus"))
    assert loss.value(raw, y, sw) == pytest.approx(expected, rel=1e-12)


def test_natural_bounds_reproduce_the_plain_logistic_and_tanh():
    raw = np.linspace(-4, 4, 9)[:, None]
    np.testing.assert_allclose(make_loss(LossSpec("squared_error", "logistic")).link(raw),
                               expit(raw), rtol=1e-15)
    np.testing.assert_allclose(make_loss(LossSpec("squared_error", "tanh")).link(raw),
                               np.tanh(raw), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("output", sorted(REFERENCE_OUTPUTS))
def test_out_activation_is_the_output_name(output):
    loss = make_loss(LossSpec("absolute_error", output))
    assert loss.out_activation == output
    assert isinstance(loss, ComposedLoss)


def test_output_activation_registry_lists_the_regression_outputs():
    assert OUTPUT_ACTIVATIONS.names() == sorted(REFERENCE_OUTPUTS)


def test_robust_losses_are_registered_with_an_identity_output():
    for name in ("absolute_error", "huber"):
        assert name in LOSSES.names()
        assert LOSSES.get(name).out_activation == "identity"
        assert LOSSES.get(name).name == name


# -- specs --------------------------------------------------------------------------
@pytest.mark.parametrize("delta", [1.0, 0.5, 0.1 + 0.2, 1e-7])
@pytest.mark.parametrize("loss_name, output", COMBINATIONS)
def test_a_spec_keeps_its_fields_and_resolves_to_one_loss(loss_name, output, delta):
    spec = LossSpec(loss_name, output, output_bounds=_bounds(loss_name, output),
                    huber_delta=delta)
    assert (spec.name, spec.output_activation) == (loss_name, output)
    assert spec.huber_delta == (delta if loss_name == "huber" else None)
    assert make_loss(spec) is make_loss(LossSpec(loss_name, output, _bounds(loss_name, output),
                                                 delta))
    assert make_loss(spec).out_activation == output


@pytest.mark.parametrize("spec, same", [
    (LossSpec("huber", "tanh", (-1, 3), 0.5), LossSpec("huber", "tanh", [-1.0, 3e0], 0.50)),
    (LossSpec("huber", "identity", None, 1), LossSpec("huber")),
    (LossSpec("squared_error", "identity"), LossSpec("squared_error")),
    (LossSpec("poisson", "exp"), LossSpec("poisson")),
    (LossSpec("squared_error", "tanh", (-1, 1)), LossSpec("squared_error", "tanh")),
    (LossSpec("absolute_error", "logistic", (0, 1)), LossSpec("absolute_error", "logistic")),
    (LossSpec("squared_error", huber_delta=0.3), LossSpec("squared_error")),
    (LossSpec("log_loss", "softmax"), LossSpec("log_loss")),
])
def test_equivalent_specs_compare_equal_and_resolve_to_the_same_loss(spec, same):
    assert spec == same
    assert hash(spec) == hash(same)
    assert make_loss(spec) is make_loss(same)


@pytest.mark.parametrize("spec, other", [
    (LossSpec("huber", huber_delta=0.5), LossSpec("huber")),
    (LossSpec("squared_error", "tanh", (-1, 3)), LossSpec("squared_error", "tanh")),
    (LossSpec("squared_error", "tanh"), LossSpec("squared_error", "logistic")),
    (LossSpec("squared_error", "relu"), LossSpec("absolute_error", "relu")),
])
def test_different_specs_compare_unequal_and_resolve_to_different_losses(spec, other):
    assert spec != other
    assert make_loss(spec) is not make_loss(other)


@pytest.mark.parametrize("spec, registered", [
    (LossSpec("squared_error"), "squared_error"),
    (LossSpec("squared_error", "identity"), "squared_error"),
    (LossSpec("poisson"), "poisson"),
    (LossSpec("poisson", "exp"), "poisson"),
    (LossSpec("huber", None, None, 1.0), "huber"),
    (LossSpec("absolute_error", "identity"), "absolute_error"),
    (LossSpec("log_loss"), "log_loss"),
    (LossSpec("binary_log_loss", "logistic"), "binary_log_loss"),
])
def test_canonical_specs_resolve_to_the_registered_loss(spec, registered):
    assert make_loss(spec) is LOSSES.get(registered)


def test_a_spec_stores_normalized_plain_data():
    assert LossSpec("absolute_error", "relu") == LossSpec(
        name="absolute_error", output_activation="relu", output_bounds=None, huber_delta=None)
    assert LossSpec("squared_error", "logistic").output_bounds == (0.0, 1.0)
    assert LossSpec("log_loss").output_activation == "softmax"
    assert LossSpec("poisson").output_activation == "exp"
    assert LossSpec("huber", huber_delta=2).huber_delta == 2.0


@pytest.mark.parametrize("spec, canonical", [
    (LossSpec("poisson"), True), (LossSpec("poisson", "softplus"), False),
    (LossSpec("log_loss"), True), (LossSpec("squared_error", "exp"), False),
    (LossSpec("huber", huber_delta=0.5), True),
])
def test_uses_canonical_link_tells_whether_the_output_is_the_loss_link(spec, canonical):
    assert spec.uses_canonical_link is canonical


def test_a_spec_pickles_to_an_equal_spec():
    spec = LossSpec("huber", "tanh", (-1, 3), 0.5)
    assert pickle.loads(pickle.dumps(spec)) == spec


def test_a_spec_is_frozen():
    with pytest.raises(AttributeError):
        LossSpec("huber").huber_delta = 2.0


def test_the_registry_holds_the_plain_loss_names_only():
    assert LOSSES.names() == ["absolute_error", "binary_log_loss", "huber", "log_loss",
                              "poisson", "squared_error"]
    with pytest.raises(ValueError, match=re.escape("Unknown loss 'huber|tanh'")):
        LOSSES.get("huber|tanh")


def test_a_plain_name_in_a_network_spec_stands_for_its_loss_spec():
    assert NetworkSpec(3, (Dense(1),), "poisson").loss == LossSpec("poisson")


@pytest.mark.parametrize("name", ["huber|tanh", "huber[delta=0.5]", "squared_error|relu"])
def test_a_name_with_options_is_no_loss(name):
    with pytest.raises(ValueError, match="Unknown loss"):
        NetworkSpec(3, (Dense(1),), name)


# -- pickles from before LossSpec ------------------------------------------------------
@pytest.mark.parametrize("name, spec", [
    ("squared_error", LossSpec("squared_error")),
    ("log_loss", LossSpec("log_loss")),
    ("huber", LossSpec("huber")),
    ("huber[delta=0.5]|tanh[-1,3]", LossSpec("huber", "tanh", (-1, 3), 0.5)),
    ("huber[delta=1e-07]|tanh", LossSpec("huber", "tanh", None, 1e-7)),
    ("huber[delta=0.30000000000000004]", LossSpec("huber", huber_delta=0.1 + 0.2)),
    ("poisson|softplus", LossSpec("poisson", "softplus")),
    ("poisson|tanh[0.5,6]", LossSpec("poisson", "tanh", (0.5, 6))),
    ("squared_error|logistic[-0.5,2.5]", LossSpec("squared_error", "logistic", (-0.5, 2.5))),
    ("absolute_error|relu", LossSpec("absolute_error", "relu")),
])
def test_a_loss_name_of_an_old_pickle_reads_as_its_spec(name, spec):
    assert loss_spec_from_legacy_name(name) == spec


def _bare_network_spec():
    return object.__new__(NetworkSpec)


class _OldNetworkSpecPickle:
    """Pickles as a NetworkSpec whose state has the loss as a name, as before LossSpec."""

    def __init__(self, state):
        self.state = state

    def __reduce__(self):
        return _bare_network_spec, (), self.state


def test_an_old_pickled_network_spec_loads_with_its_loss_spec():
    layers = (Dense(4), Dense(1))
    old = _OldNetworkSpecPickle({"n_inputs": 3, "layers": layers,
                                 "loss": "huber[delta=0.5]|tanh[-12,12]", "dtype": "float32"})
    spec = pickle.loads(pickle.dumps(old))
    assert spec == NetworkSpec(3, layers, LossSpec("huber", "tanh", (-12, 12), 0.5), "float32")


def test_an_unreadable_old_loss_name_raises_a_value_error():
    with pytest.raises(ValueError, match="Cannot read the loss"):
        loss_spec_from_legacy_name("huber[delta=0.5")


# -- invalid combinations -------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    (dict(name="hinge"), "Unknown loss 'hinge'"),
    (dict(name="squared_error", output_activation="softmax"),
     "Unknown output activation 'softmax'"),
    (dict(name="squared_error", output_bounds=(0, 1)), "output_bounds applies to"),
    (dict(name="squared_error", output_activation="relu", output_bounds=(0, 1)),
     "output_bounds applies to"),
    (dict(name="squared_error", output_activation="tanh", output_bounds=(3, 1)),
     "low < high"),
    (dict(name="squared_error", output_activation="tanh", output_bounds=(0, math.inf)),
     "finite"),
    (dict(name="squared_error", output_activation="tanh", output_bounds=(0, 1, 2)),
     "two finite numbers"),
    (dict(name="squared_error", output_activation="tanh", output_bounds="ab"),
     "two finite numbers"),
    (dict(name="poisson", output_activation="identity"), "strictly positive output"),
    (dict(name="poisson", output_activation="relu"), "strictly positive output"),
    (dict(name="poisson", output_activation="tanh"), "strictly positive output"),
    (dict(name="poisson", output_activation="logistic", output_bounds=(-1, 2)),
     "strictly positive output"),
    (dict(name="log_loss", output_activation="logistic"), "canonical output 'softmax'"),
    (dict(name="binary_log_loss", output_bounds=(0, 2)), "canonical output"),
    (dict(name="huber", huber_delta=0.0), "huber_delta must be a positive"),
    (dict(name="huber", huber_delta=-1.0), "huber_delta must be a positive"),
    (dict(name="huber", huber_delta=math.nan), "huber_delta must be a positive"),
    (dict(name="huber", huber_delta="big"), "huber_delta must be a positive"),
])
def test_invalid_combinations_raise_clear_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LossSpec(**kwargs)


def test_huber_delta_is_ignored_by_other_losses():
    assert LossSpec("squared_error", huber_delta=-3.0) == LossSpec("squared_error")
    assert make_loss(LossSpec("squared_error", huber_delta=-3.0)) is LOSSES.get("squared_error")


def test_unknown_plain_name_keeps_the_registry_error():
    with pytest.raises(ValueError, match="Unknown loss 'hinge'. Valid choices are"):
        LOSSES.get("hinge")


# -- target ranges -------------------------------------------------------------------
@pytest.mark.parametrize("loss, y", [
    (LossSpec("squared_error"), [-1e9, 1e9]),
    (LossSpec("huber"), [-5.0, 5.0]),
    (LossSpec("squared_error", "relu"), [0.0, 3.0]),
    (LossSpec("squared_error", "softplus"), [0.0, 3.0]),
    (LossSpec("absolute_error", "exp"), [0.0, 3.0]),
    (LossSpec("huber", "tanh", (-1, 3)), [-1.0, 0.0, 3.0]),
    (LossSpec("squared_error", "logistic"), [0.0, 1.0]),
    (LossSpec("poisson"), [0.0, 4.0]),
    (LossSpec("poisson", "softplus"), [0.0, 4.0]),
    (LossSpec("binary_log_loss"), [0.0, 1.0]),
])
def test_targets_inside_the_output_range_pass(loss, y):
    check_targets_in_range(loss, np.array(y))
    check_targets_in_range(loss, np.array(y)[:, None])


@pytest.mark.parametrize("loss, y, pieces", [
    (LossSpec("squared_error", "relu"), [-0.5, 1.0], ["y", "'relu'", "[0, inf)", "-0.5"]),
    (LossSpec("squared_error", "softplus"), [-1e-9, 1.0], ["y", "'softplus'", "[0, inf)"]),
    (LossSpec("huber", "tanh", (-1, 3)), [0.0, 3.5],
     ["y", "'tanh'", "[-1, 3]", "output_bounds=(-1, 3)", "3.5"]),
    (LossSpec("absolute_error", "logistic", (2, 4)), [1.0, 3.0], ["y", "'logistic'", "[2, 4]"]),
    (LossSpec("squared_error", "logistic"), [0.5, 1.5], ["y", "'logistic'", "[0, 1]"]),
])
def test_targets_outside_the_output_range_name_y_the_output_and_its_range(loss, y, pieces):
    with pytest.raises(ValueError, match="value\\(s\\) of y") as excinfo:
        check_targets_in_range(loss, np.array(y)[:, None])
    for piece in pieces:
        assert piece in str(excinfo.value)


def test_targets_outside_an_unbounded_output_advise_another_output_not_bounds():
    with pytest.raises(ValueError, match="Choose another output_activation") as excinfo:
        check_targets_in_range(LossSpec("squared_error", "relu"), np.array([-1.0]))
    assert "output_bounds" not in str(excinfo.value)


@pytest.mark.parametrize("loss", [LossSpec("poisson"), LossSpec("poisson", "softplus"),
                                  LossSpec("poisson", "tanh", (0, 5))])
def test_negative_poisson_targets_get_the_poisson_message(loss):
    with pytest.raises(ValueError, match="not allowed for Poisson regression"):
        check_targets_in_range(loss, np.array([1.0, -2.0]))
