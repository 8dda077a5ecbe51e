"""Composed losses: any regression loss on any output activation, by name."""

import math

import numpy as np
import pytest
from scipy.special import expit
from sklearn.metrics import mean_absolute_error, mean_poisson_deviance

from sknn.engines.numpy_engine import NumpyEngine
from sknn.network import initial_weights
from sknn.nn.losses import (
    LOSSES,
    OUTPUT_ACTIVATIONS,
    ComposedLoss,
    LossParts,
    check_targets_in_range,
    format_loss_name,
    make_loss,
    parse_loss_name,
)
from sknn.spec import Regularization, mlp_spec

from gradcheck import numeric_array_grad

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
    return make_loss(loss, output, output_bounds=_bounds(loss, output), huber_delta=DELTA)


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
    loss = make_loss("huber", huber_delta=2.0)
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
    assert make_loss("poisson", "softplus").value(raw, y, sw) == pytest.approx(expected, rel=1e-12)


def test_natural_bounds_reproduce_the_plain_logistic_and_tanh():
    raw = np.linspace(-4, 4, 9)[:, None]
    np.testing.assert_allclose(make_loss("squared_error", "logistic").link(raw), expit(raw),
                               rtol=1e-15)
    np.testing.assert_allclose(make_loss("squared_error", "tanh").link(raw), np.tanh(raw),
                               rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("output", sorted(REFERENCE_OUTPUTS))
def test_out_activation_is_the_output_name(output):
    loss = make_loss("absolute_error", output)
    assert loss.out_activation == output
    assert isinstance(loss, ComposedLoss)


def test_output_activation_registry_lists_the_regression_outputs():
    assert OUTPUT_ACTIVATIONS.names() == sorted(REFERENCE_OUTPUTS)


def test_robust_losses_are_registered_with_an_identity_output():
    for name in ("absolute_error", "huber"):
        assert name in LOSSES.names()
        assert LOSSES.get(name).out_activation == "identity"
        assert LOSSES.get(name).name == name


# -- names ------------------------------------------------------------------------
@pytest.mark.parametrize("delta", [1.0, 0.5, 0.1 + 0.2, 1e-7])
@pytest.mark.parametrize("loss_name, output", COMBINATIONS)
def test_name_round_trips_to_the_same_loss(loss_name, output, delta):
    loss = make_loss(loss_name, output, output_bounds=_bounds(loss_name, output),
                     huber_delta=delta)
    parts = parse_loss_name(loss.name)
    assert LOSSES.get(loss.name) is loss
    assert make_loss(*parts) is loss
    assert format_loss_name(parts) == loss.name
    assert parts.output_activation == output
    if loss_name == "huber":
        assert parts.huber_delta == delta


@pytest.mark.parametrize("name, canonical", [
    ("huber[delta=0.5]|tanh[-1,3]", "huber[delta=0.5]|tanh[-1,3]"),
    ("huber[delta=0.50]|tanh[-1.0,3e0]", "huber[delta=0.5]|tanh[-1,3]"),
    ("huber[delta=1]|identity", "huber"),
    ("squared_error|identity", "squared_error"),
    ("poisson|exp", "poisson"),
    ("squared_error|tanh[-1,1]", "squared_error|tanh"),
    ("absolute_error|logistic[0,1]", "absolute_error|logistic"),
    ("squared_error|logistic[0,100]", "squared_error|logistic[0,100]"),
    ("poisson|softplus", "poisson|softplus"),
])
def test_equivalent_spellings_resolve_to_the_canonical_loss(name, canonical):
    assert LOSSES.get(name).name == canonical
    assert LOSSES.get(name) is LOSSES.get(canonical)


@pytest.mark.parametrize("args, registered", [
    (("squared_error",), "squared_error"),
    (("squared_error", "identity"), "squared_error"),
    (("poisson",), "poisson"),
    (("poisson", "exp"), "poisson"),
    (("huber", None, None, 1.0), "huber"),
    (("absolute_error", "identity"), "absolute_error"),
    (("log_loss",), "log_loss"),
    (("binary_log_loss", "logistic"), "binary_log_loss"),
])
def test_canonical_pairs_return_the_registered_loss(args, registered):
    assert make_loss(*args) is LOSSES.get(registered)


def test_parse_gives_plain_data_parts():
    assert parse_loss_name("absolute_error|relu") == LossParts(
        "absolute_error", "relu", None, None)
    assert parse_loss_name("squared_error|logistic") == LossParts(
        "squared_error", "logistic", (0.0, 1.0), None)
    assert parse_loss_name("log_loss") == LossParts("log_loss", "softmax", None, None)


def test_registry_names_stay_the_plain_ones():
    assert "huber|tanh" not in LOSSES
    assert all("|" not in name and "[" not in name for name in LOSSES.names())


# -- invalid combinations -------------------------------------------------------------
@pytest.mark.parametrize("kwargs, message", [
    (dict(loss_name="hinge"), "Unknown loss 'hinge'"),
    (dict(loss_name="squared_error", output_activation="softmax"),
     "Unknown output activation 'softmax'"),
    (dict(loss_name="squared_error", output_bounds=(0, 1)), "output_bounds applies to"),
    (dict(loss_name="squared_error", output_activation="relu", output_bounds=(0, 1)),
     "output_bounds applies to"),
    (dict(loss_name="squared_error", output_activation="tanh", output_bounds=(3, 1)),
     "low < high"),
    (dict(loss_name="squared_error", output_activation="tanh", output_bounds=(0, math.inf)),
     "finite"),
    (dict(loss_name="squared_error", output_activation="tanh", output_bounds=(0, 1, 2)),
     "two finite numbers"),
    (dict(loss_name="squared_error", output_activation="tanh", output_bounds="ab"),
     "two finite numbers"),
    (dict(loss_name="poisson", output_activation="identity"), "strictly positive output"),
    (dict(loss_name="poisson", output_activation="relu"), "strictly positive output"),
    (dict(loss_name="poisson", output_activation="tanh"), "strictly positive output"),
    (dict(loss_name="poisson", output_activation="logistic", output_bounds=(-1, 2)),
     "strictly positive output"),
    (dict(loss_name="log_loss", output_activation="logistic"), "canonical output 'softmax'"),
    (dict(loss_name="binary_log_loss", output_bounds=(0, 2)), "canonical output"),
    (dict(loss_name="huber", huber_delta=0.0), "huber_delta must be a positive"),
    (dict(loss_name="huber", huber_delta=-1.0), "huber_delta must be a positive"),
    (dict(loss_name="huber", huber_delta=math.nan), "huber_delta must be a positive"),
    (dict(loss_name="huber", huber_delta="big"), "huber_delta must be a positive"),
])
def test_invalid_combinations_raise_clear_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_loss(**kwargs)


def test_huber_delta_is_ignored_by_other_losses():
    assert make_loss("squared_error", huber_delta=-3.0) is LOSSES.get("squared_error")


@pytest.mark.parametrize("name, message", [
    ("huber[delta=abc]", "Expected a number"),
    ("huber[delta=0.5", "Cannot parse"),
    ("huber|tanh[1]", "Cannot parse"),
    ("squared_error||relu", "Cannot parse"),
    ("squared_error|tanh[0,1]|relu", "Cannot parse"),
    ("nonsense|relu", "Unknown loss"),
    ("squared_error[delta=3]|relu", "Only huber takes"),
    ("squared_error|swish", "Unknown output activation"),
])
def test_malformed_names_raise_value_errors_from_the_registry(name, message):
    with pytest.raises(ValueError, match=message):
        LOSSES.get(name)


def test_unknown_plain_name_keeps_the_registry_error():
    with pytest.raises(ValueError, match="Unknown loss 'hinge'. Valid choices are"):
        LOSSES.get("hinge")


# -- target ranges -------------------------------------------------------------------
@pytest.mark.parametrize("loss, y", [
    ("squared_error", [-1e9, 1e9]),
    ("huber", [-5.0, 5.0]),
    ("squared_error|relu", [0.0, 3.0]),
    ("squared_error|softplus", [0.0, 3.0]),
    ("absolute_error|exp", [0.0, 3.0]),
    ("huber|tanh[-1,3]", [-1.0, 0.0, 3.0]),
    ("squared_error|logistic", [0.0, 1.0]),
    ("poisson", [0.0, 4.0]),
    ("poisson|softplus", [0.0, 4.0]),
    ("binary_log_loss", [0.0, 1.0]),
])
def test_targets_inside_the_output_range_pass(loss, y):
    check_targets_in_range(loss, np.array(y))
    check_targets_in_range(LOSSES.get(loss), np.array(y)[:, None])


@pytest.mark.parametrize("loss, y, pieces", [
    ("squared_error|relu", [-0.5, 1.0], ["y", "'relu'", "[0, inf)", "-0.5"]),
    ("squared_error|softplus", [-1e-9, 1.0], ["y", "'softplus'", "[0, inf)"]),
    ("huber|tanh[-1,3]", [0.0, 3.5], ["y", "'tanh'", "[-1, 3]", "output_bounds=(-1, 3)", "3.5"]),
    ("absolute_error|logistic[2,4]", [1.0, 3.0], ["y", "'logistic'", "[2, 4]"]),
    ("squared_error|logistic", [0.5, 1.5], ["y", "'logistic'", "[0, 1]"]),
])
def test_targets_outside_the_output_range_name_y_the_output_and_its_range(loss, y, pieces):
    with pytest.raises(ValueError, match="value\\(s\\) of y") as excinfo:
        check_targets_in_range(loss, np.array(y)[:, None])
    for piece in pieces:
        assert piece in str(excinfo.value)


@pytest.mark.parametrize("loss", ["poisson", "poisson|softplus", "poisson|tanh[0,5]"])
def test_negative_poisson_targets_get_the_poisson_message(loss):
    with pytest.raises(ValueError, match="not allowed for Poisson regression"):
        check_targets_in_range(loss, np.array([1.0, -2.0]))


# -- the engine resolves composed names from the spec -------------------------------
@pytest.mark.parametrize("name", ["huber[delta=0.5]|tanh[-1,3]", "poisson|softplus",
                                  "absolute_error|logistic[0,10]"])
def test_numpy_engine_trains_on_a_composed_loss_name(name):
    spec = mlp_spec(3, (4,), 2, "tanh", name, initializer="sklearn", dtype="float64")
    weights = initial_weights(spec, np.random.RandomState(0))
    engine = NumpyEngine(spec, weights, regularization=Regularization(alpha=0.0))
    rng = np.random.RandomState(1)
    X, Y = rng.normal(size=(10, 3)), rng.uniform(0.0, 3.0, size=(10, 2))
    data = engine.prepare(X, Y)
    loss, grad = engine.loss_and_gradient(data)
    assert engine.loss_fn is LOSSES.get(name)
    assert loss == pytest.approx(LOSSES.get(name).value(engine.forward(X), Y), rel=1e-12)
    flat, numeric = engine.flat_parameters().copy(), np.empty_like(grad)
    analytic = grad.copy()
    for i in range(flat.size):
        values = []
        for step in (1e-6, -1e-6):
            shifted = flat.copy()
            shifted[i] += step
            engine.set_flat_parameters(shifted)
            values.append(engine.loss(data))
        numeric[i] = (values[0] - values[1]) / 2e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
