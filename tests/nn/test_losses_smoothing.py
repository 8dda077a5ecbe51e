"""Label smoothing: the soft targets of LossSpec, and the loss and gradient against them."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.special import expit, log_softmax, softmax

from sknn.nn.losses import LOSSES, LossSpec, make_loss

from tests.nn.gradcheck import numeric_array_grad

EPS = 0.2
N_SAMPLES = 7

# case -> (loss name, number of outputs, soft target of a 1 and of a 0)
CASES = {
    "multiclass": ("log_loss", 4, (1 - EPS + EPS / 4, EPS / 4)),
    "binary": ("binary_log_loss", 1, (1 - EPS / 2, EPS / 2)),
    "multilabel": ("binary_log_loss", 3, (1 - EPS / 2, EPS / 2)),
}


def _problem(case, seed=0):
    name, n_outputs, _ = CASES[case]
    rng = np.random.RandomState(seed)
    raw = rng.normal(scale=1.5, size=(N_SAMPLES, n_outputs))
    if name == "log_loss":
        Y = np.eye(n_outputs, dtype=bool)[rng.randint(n_outputs, size=N_SAMPLES)]
    else:
        Y = rng.randint(2, size=(N_SAMPLES, n_outputs)).astype(bool)
    return raw, Y, rng.uniform(0.2, 3.0, size=N_SAMPLES)


def _cross_entropy_by_hand(name, raw, soft, sample_weight):
    """The weighted mean cross-entropy of the link's probabilities to ``soft`` targets."""
    if name == "log_loss":
        per_sample = -(soft * log_softmax(raw, axis=1)).sum(axis=1)
    else:
        p = expit(raw)
        per_sample = -(soft * np.log(p) + (1 - soft) * np.log(1 - p)).sum(axis=1)
    return np.average(per_sample, weights=sample_weight)


@pytest.mark.parametrize("case", CASES)
def test_smoothed_targets_move_eps_of_the_weight_to_the_uniform_distribution(case):
    name, _, (on, off) = CASES[case]
    _, Y, _ = _problem(case)
    original = Y.copy()
    soft = LossSpec(name, label_smoothing=EPS).smoothed_targets(Y, np.float64)
    np.testing.assert_allclose(soft, np.where(Y, on, off), rtol=1e-15)
    assert soft.dtype == np.float64 and np.array_equal(Y, original)  # Y is not written to
    if name == "log_loss":
        np.testing.assert_allclose(soft.sum(axis=1), 1.0, rtol=1e-15)


def test_smoothed_targets_take_the_engine_dtype():
    soft = LossSpec("log_loss", label_smoothing=0.1).smoothed_targets(np.eye(3), "float32")
    assert soft.dtype == np.float32
    assert soft[0, 0] == np.float32(1 - 0.1) + np.float32(0.1 / 3)


@pytest.mark.parametrize("name", ["log_loss", "binary_log_loss", "squared_error"])
def test_without_smoothing_the_targets_are_the_array_given(name):
    Y = np.eye(3)
    assert LossSpec(name).smoothed_targets(Y, np.float64) is Y


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", CASES)
def test_smoothed_loss_and_gradient_match_the_formula_and_finite_differences(case, weighted):
    name = CASES[case][0]
    spec = LossSpec(name, label_smoothing=EPS)
    raw, Y, weights = _problem(case, seed=1)
    sample_weight = weights if weighted else None
    soft = spec.smoothed_targets(Y, np.float64)
    loss = make_loss(spec)
    value, gradient = loss.value_and_gradient(raw.copy(), soft, sample_weight)
    assert value == pytest.approx(_cross_entropy_by_hand(name, raw, soft, sample_weight),
                                  rel=1e-12)
    link = softmax(raw, axis=1) if name == "log_loss" else expit(raw)
    normalized = weights / weights.sum() if weighted else np.full(N_SAMPLES, 1 / N_SAMPLES)
    np.testing.assert_allclose(gradient, (link - soft) * normalized[:, None], rtol=1e-10)
    numeric = numeric_array_grad(lambda r: loss.value(r, soft, sample_weight), raw)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_smoothed_log_loss_is_torch_cross_entropy_with_label_smoothing(weighted):
    raw, Y, weights = _problem("multiclass", seed=2)
    spec = LossSpec("log_loss", label_smoothing=EPS)
    sample_weight = weights if weighted else None
    value = make_loss(spec).value(raw, spec.smoothed_targets(Y, np.float64), sample_weight)
    per_sample = F.cross_entropy(torch.tensor(raw), torch.tensor(Y.argmax(axis=1)),
                                 label_smoothing=EPS, reduction="none").numpy()
    assert value == pytest.approx(np.average(per_sample, weights=sample_weight), rel=1e-12)


def test_a_perfect_fit_costs_the_entropy_of_the_smoothed_targets():
    # Cross-entropy >= entropy, with equality where the probabilities are the targets.
    spec = LossSpec("log_loss", label_smoothing=EPS)
    soft = spec.smoothed_targets(np.eye(4), np.float64)
    entropy = -(soft[0] * np.log(soft[0])).sum()
    assert make_loss(spec).value(np.log(soft), soft) == pytest.approx(entropy, rel=1e-12)
    assert make_loss(spec).value(np.log(soft) * 1.5, soft) > entropy


@pytest.mark.parametrize("name", ["log_loss", "binary_log_loss"])
def test_a_smoothed_spec_builds_the_registered_loss(name):
    spec = LossSpec(name, label_smoothing=0.1)
    assert make_loss(spec) is LOSSES.get(name)
    assert spec != LossSpec(name) and spec.label_smoothing == 0.1
    assert LossSpec(name, label_smoothing=0) == LossSpec(name)


@pytest.mark.parametrize("smoothing", [1.0, -0.1, 1.5, math.nan, "some", None])
def test_label_smoothing_outside_zero_to_one_is_refused(smoothing):
    with pytest.raises(ValueError, match=r"label_smoothing must be a number in \[0, 1\)"):
        LossSpec("log_loss", label_smoothing=smoothing)


@pytest.mark.parametrize("name", ["squared_error", "huber", "poisson"])
def test_label_smoothing_of_a_regression_loss_is_refused(name):
    with pytest.raises(ValueError, match=f"label_smoothing applies to .* got loss='{name}'"):
        LossSpec(name, label_smoothing=0.1)
    assert LossSpec(name, label_smoothing=0.0).label_smoothing == 0.0
