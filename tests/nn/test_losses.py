"""Losses on raw outputs: gradients, links, agreement with scikit-learn, stability."""

import numpy as np
import pytest
from scipy.special import expit, softmax
from sklearn.metrics import log_loss as sk_log_loss
from sklearn.metrics import mean_poisson_deviance
from sklearn.neural_network import _base as sk_base

from sknn.nn.losses import LOSSES, LossSpec, make_loss

from tests.nn.gradcheck import numeric_array_grad

N_SAMPLES = 6


def _one_hot(rng, n, k):
    return np.eye(k)[rng.randint(k, size=n)]


# name -> (make_targets(rng, n, k), output counts where the loss is meaningful).
# A softmax over a single output is constant, so log_loss is tested with 3.
TARGETS = {
    "squared_error": (lambda rng, n, k: rng.normal(size=(n, k)), (1, 3)),
    "poisson": (lambda rng, n, k: rng.poisson(2.0, size=(n, k)).astype(float), (1, 3)),
    "log_loss": (_one_hot, (3,)),
    "binary_log_loss": (lambda rng, n, k: rng.randint(2, size=(n, k)).astype(float), (1, 3)),
    "absolute_error": (lambda rng, n, k: rng.normal(size=(n, k)), (1, 3)),
    "huber": (lambda rng, n, k: rng.normal(scale=2.0, size=(n, k)), (1, 3)),
}

LINKS = {
    "squared_error": lambda z: z,
    "poisson": np.exp,
    "log_loss": lambda z: softmax(z, axis=1),
    "binary_log_loss": expit,
    "absolute_error": lambda z: z,
    "huber": lambda z: z,
}

# name -> dL/dz per element. Canonical pairs give link(z) - y; the robust losses
# are written out: sign of the residual, and the residual clipped to +-delta (1).
RAW_GRADIENTS = {
    "absolute_error": lambda z, y: np.sign(z - y),
    "huber": lambda z, y: np.clip(z - y, -1.0, 1.0),
}


def _raw_gradient(name, z, y):
    return RAW_GRADIENTS[name](z, y) if name in RAW_GRADIENTS else LINKS[name](z) - y

CASES = [(name, k) for name in LOSSES.names() if name in TARGETS for k in TARGETS[name][1]]


def _problem(name, n_outputs, seed=0):
    rng = np.random.RandomState(seed)
    raw = rng.normal(scale=1.5, size=(N_SAMPLES, n_outputs))
    y = TARGETS[name][0](rng, N_SAMPLES, n_outputs)
    weights = rng.uniform(0.2, 3.0, size=N_SAMPLES)
    return raw, y, weights


@pytest.mark.parametrize("name", LOSSES.names())
def test_every_loss_has_test_targets_and_a_reference_link(name):
    assert name in TARGETS, f"add a target generator for loss {name!r}"
    assert name in LINKS, f"add a reference link for loss {name!r}"


@pytest.mark.parametrize("name", LOSSES.names())
def test_the_spec_of_a_plain_loss_name_resolves_to_its_registered_loss(name):
    loss = make_loss(LossSpec(name))
    assert loss is LOSSES.get(name)
    assert loss.out_activation == LossSpec(name).output_activation


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("name, n_outputs", CASES)
def test_loss_gradient_matches_finite_differences_of_value(name, n_outputs, weighted):
    loss = LOSSES.get(name)
    raw, y, weights = _problem(name, n_outputs)
    sample_weight = weights if weighted else None
    analytic = loss.gradient(raw.copy(), y, sample_weight)
    numeric = numeric_array_grad(lambda r: loss.value(r, y, sample_weight), raw)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name, n_outputs", CASES)
def test_loss_gradient_writes_into_out_buffer(name, n_outputs):
    loss = LOSSES.get(name)
    raw, y, weights = _problem(name, n_outputs, seed=1)
    out = np.empty_like(raw)
    result = loss.gradient(raw, y, weights, out=out)
    assert result is out
    np.testing.assert_allclose(out, loss.gradient(raw, y, weights), rtol=1e-14)


@pytest.mark.parametrize("name, n_outputs", CASES)
def test_loss_link_matches_scipy_and_does_not_modify_raw(name, n_outputs):
    loss = LOSSES.get(name)
    raw, _, _ = _problem(name, n_outputs, seed=2)
    before = raw.copy()
    np.testing.assert_allclose(loss.link(raw), LINKS[name](before), rtol=1e-14)
    np.testing.assert_array_equal(raw, before)


def test_loss_out_activation_names_match_scikit_learn():
    assert LOSSES.get("squared_error").out_activation == "identity"
    assert LOSSES.get("poisson").out_activation == "exp"
    assert LOSSES.get("log_loss").out_activation == "softmax"
    assert LOSSES.get("binary_log_loss").out_activation == "logistic"


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_multiclass_log_loss_matches_sklearn_metrics(weighted):
    raw, y, weights = _problem("log_loss", 3, seed=3)
    sw = weights if weighted else None
    expected = sk_log_loss(y.argmax(axis=1), softmax(raw, axis=1), labels=[0, 1, 2],
                           sample_weight=sw)
    assert LOSSES.get("log_loss").value(raw, y, sw) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_binary_log_loss_matches_sklearn_metrics_for_one_output(weighted):
    raw, y, weights = _problem("binary_log_loss", 1, seed=4)
    sw = weights if weighted else None
    expected = sk_log_loss(y.ravel(), expit(raw.ravel()), labels=[0, 1], sample_weight=sw)
    assert LOSSES.get("binary_log_loss").value(raw, y, sw) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_multilabel_binary_log_loss_matches_sklearn_mlp_loss(weighted):
    raw, y, weights = _problem("binary_log_loss", 3, seed=5)
    sw = weights if weighted else None
    expected = sk_base.binary_log_loss(y, expit(raw), sw)
    assert LOSSES.get("binary_log_loss").value(raw, y, sw) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_poisson_loss_is_half_the_sklearn_mean_poisson_deviance(weighted):
    raw, y, weights = _problem("poisson", 1, seed=6)
    sw = weights if weighted else None
    expected = mean_poisson_deviance(y.ravel(), np.exp(raw.ravel()), sample_weight=sw) / 2
    assert LOSSES.get("poisson").value(raw, y, sw) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_multioutput_poisson_loss_matches_sklearn_mlp_loss(weighted):
    raw, y, weights = _problem("poisson", 3, seed=7)
    sw = weights if weighted else None
    expected = sk_base.poisson_loss(y, np.exp(raw), sw)
    assert LOSSES.get("poisson").value(raw, y, sw) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_squared_error_is_half_the_mean_squared_error_for_one_output(weighted):
    raw, y, weights = _problem("squared_error", 1, seed=8)
    sw = weights if weighted else None
    expected = 0.5 * np.average((raw.ravel() - y.ravel()) ** 2, weights=sw)
    assert LOSSES.get("squared_error").value(raw, y, sw) == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(sk_base.squared_loss(y, raw, sw), rel=1e-12)


@pytest.mark.parametrize("name, n_outputs", CASES)
def test_loss_value_and_gradient_are_finite_for_extreme_logits(name, n_outputs):
    if name == "poisson":
        # exp(1000) overflows by definition of the log link; stay representable.
        raw = np.tile([-700.0, 700.0], N_SAMPLES // 2)[:, None].repeat(n_outputs, axis=1)
    else:
        raw = np.tile([-1000.0, 1000.0], N_SAMPLES // 2)[:, None].repeat(n_outputs, axis=1)
        if n_outputs > 1:
            raw[:, 1] *= -1
    y = TARGETS[name][0](np.random.RandomState(9), N_SAMPLES, n_outputs)
    loss = LOSSES.get(name)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = loss.value(raw, y)
        grad = loss.gradient(raw.copy(), y)
    assert np.isfinite(value)
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad, _raw_gradient(name, raw, y) / N_SAMPLES, rtol=1e-12, atol=0)


def test_binary_log_loss_of_confident_wrong_logit_grows_linearly():
    # softplus(z) - y z: a wrong logit of 1000 costs exactly 1000, not inf.
    loss = LOSSES.get("binary_log_loss")
    assert loss.value(np.array([[1000.0]]), np.array([[0.0]])) == pytest.approx(1000.0)
    assert loss.value(np.array([[-1000.0]]), np.array([[1.0]])) == pytest.approx(1000.0)


def test_log_loss_of_confident_wrong_logits_grows_linearly():
    loss = LOSSES.get("log_loss")
    raw = np.array([[1000.0, 0.0, -1000.0]])
    y = np.array([[0.0, 0.0, 1.0]])
    assert loss.value(raw, y) == pytest.approx(2000.0)


@pytest.mark.parametrize("name, n_outputs", CASES)
def test_loss_gradient_keeps_float32(name, n_outputs):
    raw, y, weights = _problem(name, n_outputs, seed=10)
    raw32, y32, w32 = raw.astype(np.float32), y.astype(np.float32), weights.astype(np.float32)
    grad = LOSSES.get(name).gradient(raw32, y32, w32)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, LOSSES.get(name).gradient(raw, y, weights),
                               rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("name, n_outputs", CASES)
def test_fused_value_and_gradient_equal_the_separate_computations(name, n_outputs, weighted):
    loss = LOSSES.get(name)
    raw, y, weights = _problem(name, n_outputs, seed=3)
    sample_weight = weights if weighted else None
    value, grad = loss.value_and_gradient(raw.copy(), y, sample_weight)
    np.testing.assert_allclose(value, loss.value(raw, y, sample_weight), rtol=1e-12)
    np.testing.assert_allclose(grad, loss.gradient(raw, y, sample_weight), rtol=1e-12,
                               atol=1e-15)
