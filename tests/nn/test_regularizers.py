"""Penalty, clipping and constraint functions of sknn.nn.regularizers."""

import numpy as np
import pytest

from sknn.nn import regularizers


def test_l1_gradient_is_strength_times_sign_and_returns_the_penalty():
    params = np.array([-2.0, 0.0, 0.5, 3.0])
    grads = np.ones(4)
    penalty = regularizers.add_l1_gradient(params, grads, 0.1)
    assert penalty == pytest.approx(0.1 * 5.5)
    np.testing.assert_allclose(grads, [0.9, 1.0, 1.1, 1.1])


def test_l1_gradient_matches_finite_differences_away_from_zero():
    rng = np.random.RandomState(0)
    params = rng.normal(size=10)
    grads = np.zeros(10)
    regularizers.add_l1_gradient(params, grads, 0.3)
    h = 1e-7
    numeric = [0.3 * (np.abs(params + h * e).sum() - np.abs(params - h * e).sum()) / (2 * h)
               for e in np.eye(10)]
    np.testing.assert_allclose(grads, numeric, rtol=1e-6)


def test_zero_l1_strength_leaves_gradients_untouched():
    grads = np.arange(3.0)
    assert regularizers.add_l1_gradient(np.ones(3), grads, 0.0) == 0.0
    np.testing.assert_array_equal(grads, np.arange(3.0))


def test_clip_by_value_bounds_every_entry_in_place():
    grads = np.array([-5.0, -0.1, 0.0, 0.2, 7.0], dtype=np.float32)
    out = regularizers.clip_by_value(grads, 0.5)
    assert out is grads and grads.dtype == np.float32
    np.testing.assert_allclose(grads, [-0.5, -0.1, 0.0, 0.2, 0.5])


def test_clip_by_global_norm_rescales_only_when_the_norm_is_too_large():
    grads = np.array([3.0, 4.0])
    assert regularizers.clip_by_global_norm(grads, 1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(grads, [0.6, 0.8])
    assert np.linalg.norm(grads) == pytest.approx(1.0)
    small = np.array([0.3, 0.4])
    regularizers.clip_by_global_norm(small, 1.0)
    np.testing.assert_array_equal(small, [0.3, 0.4])


def test_clip_by_global_norm_keeps_float32():
    grads = np.full(100, 10.0, dtype=np.float32)
    regularizers.clip_by_global_norm(grads, 2.0)
    assert grads.dtype == np.float32
    assert np.linalg.norm(grads.astype(np.float64)) == pytest.approx(2.0, rel=1e-6)


def test_max_norm_rescales_each_unit_incoming_weights_and_keeps_small_ones():
    kernel = np.array([[3.0, 0.1, 0.0],
                       [4.0, 0.2, 0.0]])  # column norms 5, ~0.22, 0
    before = kernel.copy()
    regularizers.apply_max_norm(kernel, 2.0)
    norms = np.linalg.norm(kernel, axis=0)
    np.testing.assert_allclose(norms[0], 2.0)
    np.testing.assert_allclose(kernel[:, 0], before[:, 0] * 2 / 5)
    np.testing.assert_array_equal(kernel[:, 1:], before[:, 1:])


def test_max_norm_keeps_float32():
    kernel = np.random.RandomState(1).normal(size=(20, 5)).astype(np.float32)
    regularizers.apply_max_norm(kernel, 1.0)
    assert kernel.dtype == np.float32
    assert np.all(np.linalg.norm(kernel, axis=0) <= 1.0 + 1e-6)
