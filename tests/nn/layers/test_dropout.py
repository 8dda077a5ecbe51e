"""Dropout and alpha dropout: training-only masks, scaling, moments, gradients."""

import numpy as np
import pytest
import scipy.sparse as sp

from sknn.nn.activations import ACTIVATIONS
from sknn.nn.layers import Dropout
from sknn.nn.layers.dropout import ALPHA_PRIME, quantized_keep

KINDS = ["standard", "alpha"]


def _layer(rate=0.3, kind="standard", seed=0, **kwargs):
    return Dropout(rate, kind, rng=np.random.default_rng(seed), **kwargs)


@pytest.mark.parametrize("kind", KINDS)
def test_dropout_is_identity_at_inference(kind):
    layer = _layer(kind=kind)
    X = np.random.RandomState(0).normal(size=(5, 4))
    Y, backward = layer.forward(X, training=False)
    assert Y is X
    dY = np.ones_like(X)
    assert backward(dY) is dY


def test_dropout_scales_kept_units_by_inverse_keep_probability():
    layer = _layer(rate=0.25)
    X = np.random.RandomState(1).uniform(1, 2, size=(50, 20))
    Y, _ = layer.forward(X.copy(), training=True)
    kept = Y != 0
    np.testing.assert_allclose(Y[kept], X[kept] / layer.keep, rtol=1e-15)
    assert layer.keep == pytest.approx(0.75, abs=1 / 65536)
    assert 0 < kept.mean() < 1


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_dropout_keeps_the_mean_in_training(rate):
    size = 200_000
    layer = _layer(rate=rate, seed=3)
    Y, _ = layer.forward(np.ones((size // 100, 100), dtype=np.float32), training=True)
    assert Y.dtype == np.float32
    # each output is Bernoulli(keep) / keep: variance (1 - keep) / keep
    std_of_mean = np.sqrt((1 - layer.keep) / layer.keep / size)
    assert abs(Y.astype(np.float64).mean() - 1.0) < 5 * std_of_mean
    assert abs((Y == 0).mean() - rate) < 5 * np.sqrt(rate * (1 - rate) / size)


def test_alpha_dropout_keeps_zero_mean_and_unit_variance_of_standard_normal_inputs():
    size = 400_000
    layer = _layer(rate=0.2, kind="alpha", seed=4)
    X = np.random.default_rng(5).standard_normal((size // 100, 100))
    Y, _ = layer.forward(X, training=True)
    Y = Y.ravel()
    fourth = float(np.mean(Y**4))
    assert abs(Y.mean()) < 5 / np.sqrt(size)
    # sample variance of n draws: standard deviation about sqrt((E[y^4] - 1) / n)
    assert abs(Y.var() - 1.0) < 5 * np.sqrt((fourth - 1.0) / size)


def test_alpha_dropout_sends_dropped_units_to_the_corrected_selu_saturation():
    layer = _layer(rate=0.3, kind="alpha", seed=6)
    X = np.random.RandomState(7).normal(size=(40, 10))
    Y, _ = layer.forward(X.copy(), training=True)
    dropped_value = layer.a * ALPHA_PRIME + layer.b
    kept = ~np.isclose(Y, dropped_value, rtol=0, atol=1e-12)
    np.testing.assert_allclose(Y[kept], layer.a * X[kept] + layer.b, rtol=1e-12)
    assert 0.6 < kept.mean() < 0.8
    selu = ACTIVATIONS.get("selu").forward(np.array([-50.0]))
    assert ALPHA_PRIME == pytest.approx(selu[0])


@pytest.mark.parametrize("kind", KINDS)
def test_dropout_backward_with_a_fixed_mask_matches_finite_differences(kind):
    X = np.random.RandomState(8).normal(size=(6, 5))
    R = np.random.RandomState(9).normal(size=(6, 5))

    def forward(inputs):
        # reseeding gives every call the same mask
        layer = _layer(rate=0.4, kind=kind, seed=10)
        return layer.forward(inputs.copy(), training=True)

    def objective(inputs):
        return float(np.sum(R * forward(inputs)[0]))

    _, backward = forward(X)
    analytic = backward(R.copy())
    h = 1e-6
    numeric = np.empty_like(X)
    for index in np.ndindex(X.shape):
        plus, minus = X.copy(), X.copy()
        plus[index] += h
        minus[index] -= h
        numeric[index] = (objective(plus) - objective(minus)) / (2 * h)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("kind", KINDS)
def test_dropout_leaves_its_input_alone_unless_in_place(kind):
    X = np.random.RandomState(11).normal(size=(8, 3))
    before = X.copy()
    Y, _ = _layer(kind=kind).forward(X, training=True)
    np.testing.assert_array_equal(X, before)
    Y, _ = _layer(kind=kind, inplace=True).forward(X, training=True)
    assert Y is X


def test_dropout_without_input_gradient_returns_none():
    layer = _layer(needs_input_grad=False)
    X = np.ones((4, 3))
    _, backward = layer.forward(X, training=True)
    assert backward(np.ones_like(X)) is None


def test_dropout_of_sparse_input_drops_stored_entries_and_keeps_the_input():
    rng = np.random.RandomState(12)
    dense = rng.uniform(1, 2, size=(30, 10)) * (rng.uniform(size=(30, 10)) < 0.5)
    X = sp.csr_matrix(dense)
    Y, backward = _layer(rate=0.5, needs_input_grad=False).forward(X, training=True)
    assert sp.issparse(Y)
    Y = Y.toarray()
    kept = Y != 0
    np.testing.assert_allclose(Y[kept], dense[kept] * 2, rtol=1e-15)
    dropped = (dense != 0) & ~kept
    assert dropped.any() and kept.any()
    np.testing.assert_array_equal(X.toarray(), dense)
    assert backward(np.ones((30, 10))) is None


def test_dropout_masks_follow_the_generator():
    X = np.ones((20, 20))
    first, _ = _layer(seed=13).forward(X, training=True)
    again, _ = _layer(seed=13).forward(X, training=True)
    other, _ = _layer(seed=14).forward(X, training=True)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_dropout_rate_zero_is_the_identity_in_training():
    X = np.ones((3, 3))
    Y, _ = _layer(rate=0.0).forward(X, training=True)
    assert Y is X


RATES_NEAR_ONE = [0.99, 0.999, 0.99999, 0.999999, 1 - 2**-40, np.nextafter(1.0, 0.0)]


def test_every_rate_keeps_a_positive_probability_within_rounding_of_one_minus_rate():
    rates = np.concatenate([np.random.default_rng(15).uniform(size=2000),
                            1 - np.logspace(-16, 0, 300, endpoint=False), RATES_NEAR_ONE,
                            [0.0, 2**-18, 0.5, 63 / 64]])
    for rate in rates:
        levels, threshold = quantized_keep(rate)
        keep, wanted = threshold / levels, 1.0 - rate
        assert 0 < keep <= 1, rate
        # a rate below 2**-17 rounds to keeping every unit
        assert abs(keep - wanted) <= 2**-11 * wanted or (keep == 1 and rate <= 2**-17), rate


def test_ordinary_rates_keep_the_fast_16_bit_masks():
    for rate in np.linspace(0, 63 / 64, 200):
        assert quantized_keep(rate)[0] == 2**16
    assert quantized_keep(0.999999)[0] == 2**64


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("rate", RATES_NEAR_ONE)
def test_rates_near_one_drop_almost_everything_with_finite_outputs(rate, kind):
    layer = _layer(rate=rate, kind=kind, seed=16)
    assert layer.keep == pytest.approx(1 - rate, rel=1e-3)
    X = np.random.default_rng(17).uniform(1, 2, size=(200, 50))
    Y, backward = layer.forward(X.copy(), training=True)
    assert np.isfinite(Y).all()
    assert np.isfinite(backward(np.ones_like(X))).all()
    if kind == "standard":
        kept = Y != 0
        np.testing.assert_allclose(Y[kept], X[kept] / layer.keep, rtol=1e-15)


@pytest.mark.parametrize("rate", [0.99, 0.999])
def test_rates_near_one_keep_units_with_the_realized_probability_and_the_mean(rate):
    size = 4_000_000
    layer = _layer(rate=rate, seed=18)
    Y, _ = layer.forward(np.ones((size // 1000, 1000), dtype=np.float32), training=True)
    kept = np.count_nonzero(Y)
    keep = layer.keep
    assert abs(kept - keep * size) < 5 * np.sqrt(size * keep * (1 - keep))
    std_of_mean = np.sqrt((1 - keep) / keep / size)
    assert abs(Y.astype(np.float64).mean() - 1.0) < 5 * std_of_mean


@pytest.mark.parametrize("rate, kind", [(1.0, "standard"), (-0.1, "standard"),
                                        (0.5, "gaussian")])
def test_dropout_rejects_invalid_rate_or_kind(rate, kind):
    with pytest.raises(ValueError):
        Dropout(rate, kind)
