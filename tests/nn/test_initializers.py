"""Weight initializers: variance scaling, bounds, scikit-learn's draw sequence, seeding."""

import numpy as np
import pytest

from sknn.nn.initializers import (
    INITIALIZERS,
    Initializer,
    VarianceScaling,
    auto_initializer,
    variance_scaling,
)

ALL_NAMES = INITIALIZERS.names()
# Random schemes; a zero-scale entry ('zeros') is covered by its own test.
NAMES = [name for name in ALL_NAMES if INITIALIZERS.get(name).scale > 0]
UNIFORM_NAMES = [name for name in NAMES if INITIALIZERS.get(name).distribution == "uniform"]
FAN_IN, FAN_OUT = 400, 300


def _expected_variance(init, fan_in, fan_out, gain=1.0):
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[init.mode]
    return init.scale * gain / fan


@pytest.mark.parametrize("gain", [1.0, 1 / 3])
@pytest.mark.parametrize("name", NAMES)
def test_initializer_kernel_variance_matches_scale_over_fan(name, gain):
    init = INITIALIZERS.get(name)
    kernel, _ = init(FAN_IN, FAN_OUT, np.random.RandomState(0), gain=gain)
    assert kernel.shape == (FAN_IN, FAN_OUT)
    expected = _expected_variance(init, FAN_IN, FAN_OUT, gain)
    assert kernel.var() == pytest.approx(expected, rel=0.03)
    assert abs(kernel.mean()) < 0.02 * np.sqrt(expected)


@pytest.mark.parametrize("name", UNIFORM_NAMES)
def test_uniform_initializers_are_bounded_by_sqrt_three_variance(name):
    init = INITIALIZERS.get(name)
    kernel, bias = init(FAN_IN, FAN_OUT, np.random.RandomState(1))
    bound = np.sqrt(3 * _expected_variance(init, FAN_IN, FAN_OUT))
    assert np.abs(kernel).max() <= bound
    assert np.abs(kernel).max() > 0.99 * bound  # and actually fills the interval
    assert np.abs(bias).max() <= bound


@pytest.mark.parametrize("name", NAMES)
def test_initializer_bias_is_zero_or_drawn_like_the_kernel(name):
    init = INITIALIZERS.get(name)
    _, bias = init(50, 2000, np.random.RandomState(2))
    assert bias.shape == (2000,)
    if init.bias == "zeros":
        np.testing.assert_array_equal(bias, 0.0)
    else:
        assert init.bias == "same"
        assert bias.var() == pytest.approx(_expected_variance(init, 50, 2000), rel=0.1)


def test_sklearn_initializer_draws_kernel_and_bias_from_the_glorot_bound():
    init = INITIALIZERS.get("sklearn")
    assert init.bias == "same" and init.distribution == "uniform"
    _, bias = init(FAN_IN, FAN_OUT, np.random.RandomState(3))
    bound = np.sqrt(6 / (FAN_IN + FAN_OUT))
    assert np.abs(bias).max() <= bound
    assert np.abs(bias).max() > 0.95 * bound


@pytest.mark.parametrize("factor, gain", [(6.0, 1.0), (2.0, 1 / 3)], ids=["default", "logistic"])
@pytest.mark.parametrize("fan_in, fan_out", [(4, 3), (20, 100), (100, 1), (7, 10), (64, 64)])
def test_sklearn_initializer_reproduces_sklearn_draw_sequence_to_rounding(fan_in, fan_out,
                                                                         factor, gain):
    # MLP._init_coef: one uniform draw for the kernel, then one for the bias.
    reference_rng = np.random.RandomState(42)
    bound = np.sqrt(factor / (fan_in + fan_out))
    expected_kernel = reference_rng.uniform(-bound, bound, (fan_in, fan_out))
    expected_bias = reference_rng.uniform(-bound, bound, fan_out)
    rng = np.random.RandomState(42)
    kernel, bias = INITIALIZERS.get("sklearn")(fan_in, fan_out, rng, gain=gain)
    np.testing.assert_allclose(kernel, expected_kernel, rtol=1e-14, atol=0)
    np.testing.assert_allclose(bias, expected_bias, rtol=1e-14, atol=0)
    # Both generators consumed the same number of draws.
    assert rng.uniform() == reference_rng.uniform()


@pytest.mark.parametrize("factor, gain", [(6.0, 1.0), (2.0, 1 / 3)], ids=["default", "logistic"])
def test_sklearn_initializer_is_bit_identical_to_sklearn_draws(factor, gain):
    # KNOWN SKNN BUG (fails at the time of writing): variance_scaling rounds
    # twice (variance = scale / fan, then bound = sqrt(3 * variance)) where
    # scikit-learn rounds once (sqrt(factor / (fan_in + fan_out))), so for
    # about one in nine layer shapes (e.g. 10x10, 40x40, 2x3) the bound -- and
    # every initial weight -- is 1 ulp off scikit-learn's for the same seed.
    # Fix: in the uniform branch return sqrt(3.0 * scale / fan) in one expression.
    mismatched = []
    for fan_in in range(1, 60):
        for fan_out in (1, 2, 3, 10, fan_in):
            reference_rng = np.random.RandomState(0)
            bound = np.sqrt(factor / (fan_in + fan_out))
            expected = reference_rng.uniform(-bound, bound, (fan_in, fan_out))
            kernel, _ = INITIALIZERS.get("sklearn")(fan_in, fan_out, np.random.RandomState(0),
                                                     gain=gain)
            if not np.array_equal(kernel, expected):
                mismatched.append((fan_in, fan_out))
    assert mismatched == [], f"{len(mismatched)} layer shapes differ from scikit-learn"


@pytest.mark.parametrize("name", NAMES)
def test_initializer_with_same_seed_gives_identical_arrays(name):
    init = INITIALIZERS.get(name)
    first = init(30, 20, np.random.RandomState(7))
    second = init(30, 20, np.random.RandomState(7))
    third = init(30, 20, np.random.RandomState(8))
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], third[0])


@pytest.mark.parametrize("name", NAMES)
def test_initializer_accepts_numpy_generator(name):
    kernel, bias = INITIALIZERS.get(name)(30, 20, np.random.default_rng(0))
    assert kernel.shape == (30, 20) and bias.shape == (20,)
    again, _ = INITIALIZERS.get(name)(30, 20, np.random.default_rng(0))
    np.testing.assert_array_equal(kernel, again)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", NAMES)
def test_initializer_respects_dtype(name, dtype):
    kernel, bias = INITIALIZERS.get(name)(10, 5, np.random.RandomState(0), dtype=dtype)
    assert kernel.dtype == dtype
    assert bias.dtype == dtype


def test_float32_draw_is_the_float64_draw_rounded():
    init = INITIALIZERS.get("sklearn")
    k64, b64 = init(10, 5, np.random.RandomState(0), dtype=np.float64)
    k32, b32 = init(10, 5, np.random.RandomState(0), dtype=np.float32)
    np.testing.assert_array_equal(k32, k64.astype(np.float32))
    np.testing.assert_array_equal(b32, b64.astype(np.float32))


@pytest.mark.parametrize("mode, fan", [("fan_in", 4), ("fan_out", 6), ("fan_avg", 5)])
def test_variance_scaling_parameters(mode, fan):
    assert variance_scaling(4, 6, 2.0, mode, "normal") == (
        "normal", pytest.approx(np.sqrt(2 / fan)))
    assert variance_scaling(4, 6, 2.0, mode, "uniform") == (
        "uniform", pytest.approx(np.sqrt(6 / fan)))


def test_variance_scaling_rejects_unknown_mode_and_distribution():
    with pytest.raises(ValueError, match="mode"):
        variance_scaling(3, 3, mode="fan_max")
    with pytest.raises(ValueError, match="distribution"):
        variance_scaling(3, 3, distribution="cauchy")


def test_named_initializers_have_their_textbook_scales():
    expected = {
        "glorot_uniform": (1.0, "fan_avg", "uniform"),
        "glorot_normal": (1.0, "fan_avg", "normal"),
        "he_uniform": (2.0, "fan_in", "uniform"),
        "he_normal": (2.0, "fan_in", "normal"),
        "lecun_uniform": (1.0, "fan_in", "uniform"),
        "lecun_normal": (1.0, "fan_in", "normal"),
        "sklearn": (1.0, "fan_avg", "uniform"),
    }
    for name, (scale, mode, distribution) in expected.items():
        init = INITIALIZERS.get(name)
        assert isinstance(init, Initializer)
        assert (init.scale, init.mode, init.distribution) == (scale, mode, distribution)


def test_zeros_initializer_gives_all_zero_weights():
    kernel, bias = INITIALIZERS.get("zeros")(30, 20, np.random.RandomState(0))
    assert not kernel.any() and not bias.any()


@pytest.mark.parametrize("mode, fan", [("fan_in", 400), ("fan_out", 300), ("fan_avg", 350)])
@pytest.mark.parametrize("distribution", ["normal", "uniform"])
def test_variance_scaling_object_gives_scale_over_fan(mode, fan, distribution):
    init = VarianceScaling(scale=3.0, mode=mode, distribution=distribution)
    kernel, bias = init(400, 300, np.random.default_rng(0))
    assert kernel.var() == pytest.approx(3.0 / fan, rel=0.03)
    assert not bias.any()


def test_variance_scaling_rejects_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        VarianceScaling(mode="fan_sum")


@pytest.mark.parametrize("activation, expected", [
    ("identity", "glorot_uniform"), ("logistic", "glorot_uniform"), ("tanh", "glorot_uniform"),
    ("relu", "he_normal"), ("leaky_relu", "he_normal"), ("elu", "he_normal"),
    ("selu", "lecun_normal"),
])
def test_auto_initializer_picks_by_activation(activation, expected):
    assert auto_initializer(activation) == expected
