"""Hidden-layer activations: values, derivatives, alpha, flags and in-place float32 behaviour."""

import math

import numpy as np
import pytest

from sknn.nn.activations import ACTIVATIONS, check_trainable, resolve_activation

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
RRELU_MEAN_SLOPE = (1 / 8 + 1 / 3) / 2

_erfc = np.vectorize(math.erfc)


def _leaky(slope):
    return lambda z: np.where(z > 0, z, slope * z)


def _elu(alpha):
    return lambda z: np.where(z > 0, z, alpha * (np.exp(z) - 1.0))


def _normal_cdf(z):
    return 0.5 * _erfc(-z / math.sqrt(2.0))


# Reference formulas written out independently of sknn. Every registered
# activation must have an entry here (see test_every_activation_has_a_reference_formula).
REFERENCE = {
    "identity": lambda z: z,
    "logistic": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": lambda z: (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "leaky_relu": _leaky(0.01),
    "elu": _elu(1.0),
    "selu": lambda z: SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * (np.exp(z) - 1.0)),
    "softplus": lambda z: np.log1p(np.exp(z)),
    "gelu": lambda z: z * _normal_cdf(z),
    "swish": lambda z: z / (1.0 + np.exp(-z)),
    "prelu": _leaky(0.25),
    "rrelu": _leaky(RRELU_MEAN_SLOPE),
    "heaviside": lambda z: np.where(z > 0, 1.0, 0.0),
    "sign": lambda z: np.where(z > 0, 1.0, -1.0),
}

NAMES = ACTIVATIONS.names()
STEP_FUNCTIONS = ["heaviside", "sign"]

# (name, alpha, reference): the configurable constants, away from their defaults
ALPHA_CASES = [
    ("leaky_relu", 0.2, _leaky(0.2)),
    ("leaky_relu", 0.0, _leaky(0.0)),
    ("leaky_relu", 1.5, _leaky(1.5)),
    ("leaky_relu", -0.3, _leaky(-0.3)),
    ("elu", 0.5, _elu(0.5)),
    ("elu", 2.0, _elu(2.0)),
    ("prelu", 0.1, _leaky(0.1)),
    ("prelu", -0.2, _leaky(-0.2)),
]
ALPHA_IDS = [f"{name}-{alpha}" for name, alpha, _ in ALPHA_CASES]


def _inputs(seed=0, shape=(7, 5), low=-4.0, high=4.0):
    """Random pre-activations kept away from the kink at 0."""
    z = np.random.RandomState(seed).uniform(low, high, shape)
    z[np.abs(z) < 1e-2] += 0.1
    return z


def _forward(fn, z):
    """Forward on a copy: the registered forward overwrites its input."""
    return fn.forward(z.copy())


def _derivative(fn, z, grad):
    """What a layer would do: keep z (needs_input) or the output, then scale grad."""
    a = _forward(fn, z)
    return fn.derivative(z.copy() if fn.needs_input else a, grad)


def _check_finite_differences(fn, seed=1):
    z = _inputs(seed=seed)
    upstream = np.random.RandomState(2).normal(size=z.shape)
    h = 1e-6
    numeric = upstream * (_forward(fn, z + h) - _forward(fn, z - h)) / (2 * h)
    analytic = _derivative(fn, z, upstream.copy())
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_every_activation_has_a_reference_formula(name):
    assert name in REFERENCE, f"add a reference formula for activation {name!r}"


@pytest.mark.parametrize("name", NAMES)
def test_activation_forward_matches_reference_formula(name):
    z = _inputs()
    np.testing.assert_allclose(_forward(ACTIVATIONS.get(name), z), REFERENCE[name](z),
                               rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_activation_derivative_matches_central_finite_differences(name):
    fn = ACTIVATIONS.get(name)
    if name in STEP_FUNCTIONS:
        assert not fn.differentiable
        pytest.skip("step function: zero derivative almost everywhere")
    assert fn.differentiable
    _check_finite_differences(fn)


def test_only_the_step_functions_are_flagged_non_differentiable():
    flagged = [name for name in NAMES if not ACTIVATIONS.get(name).differentiable]
    assert flagged == STEP_FUNCTIONS


def test_gelu_and_swish_read_their_input_and_the_others_their_output():
    needs_input = [name for name in NAMES if ACTIVATIONS.get(name).needs_input]
    assert needs_input == ["gelu", "swish"]


@pytest.mark.parametrize("name", NAMES)
def test_activation_derivative_reads_only_what_the_layer_keeps(name):
    # The layer keeps only ``a`` (or a copy of ``z`` when ``needs_input``); the
    # derivative must not read anything else, and must not modify it.
    fn = ACTIVATIONS.get(name)
    z = _inputs(seed=3)
    a = _forward(fn, z)
    saved = z.copy() if fn.needs_input else a
    saved_before = saved.copy()
    ones = np.ones_like(a)
    first = fn.derivative(saved, ones.copy())
    np.testing.assert_array_equal(saved, saved_before)
    second = fn.derivative(saved.copy(), ones.copy())
    np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("name", NAMES)
def test_activation_forward_works_in_place_on_float32_and_keeps_dtype(name):
    z = _inputs(seed=4).astype(np.float32)
    expected = REFERENCE[name](z.astype(np.float64))
    buffer = z.copy()
    out = ACTIVATIONS.get(name).forward(buffer)
    assert out.dtype == np.float32
    assert np.shares_memory(out, buffer)
    np.testing.assert_array_equal(buffer, out)  # the input now holds the result
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_activation_derivative_keeps_float32_and_matches_float64(name):
    fn = ACTIVATIONS.get(name)
    z = _inputs(seed=5)
    upstream = np.random.RandomState(6).normal(size=z.shape)
    out = _derivative(fn, z.astype(np.float32), upstream.astype(np.float32))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, _derivative(fn, z, upstream), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_activation_forward_and_derivative_are_finite_for_extreme_inputs(name):
    fn = ACTIVATIONS.get(name)
    for dtype in (np.float64, np.float32):
        z = np.array([[-1000.0, -50.0, 50.0, 1000.0]], dtype=dtype)
        with np.errstate(over="raise", invalid="raise"):
            a = _forward(fn, z)
            grad = _derivative(fn, z, np.ones_like(a))
        assert np.all(np.isfinite(a))
        assert np.all(np.isfinite(grad))


def test_leaky_elu_and_selu_keep_their_masked_formulas_bit_for_bit():
    # The mask-product implementations replaced ``where=`` ufunc calls; the
    # values must not move by a single ulp.
    z = _inputs(seed=7, shape=(40, 30))
    g = np.random.RandomState(8).normal(size=z.shape)
    negative = z < 0
    expected = {
        "leaky_relu": (np.where(negative, z * 0.01, z), np.where(negative, g * 0.01, g)),
        "elu": (np.where(negative, np.expm1(z), z),
                np.where(negative, g * (np.expm1(z) + 1), g)),
    }
    selu_a = np.where(negative, np.expm1(z) * SELU_ALPHA, z) * SELU_SCALE
    expected["selu"] = (selu_a, g * np.where(selu_a < 0, selu_a + 1.0507009873554805
                                             * 1.6732632423543772, 1.0507009873554805))
    for name, (value, derivative) in expected.items():
        fn = ACTIVATIONS.get(name)
        a = _forward(fn, z)
        np.testing.assert_array_equal(a, value, err_msg=name)
        np.testing.assert_array_equal(fn.derivative(a, g.copy()), derivative, err_msg=name)


@pytest.mark.parametrize("name, alpha, reference", ALPHA_CASES, ids=ALPHA_IDS)
def test_alpha_sets_the_activation_constant(name, alpha, reference):
    fn = resolve_activation(name, alpha)
    assert fn.name == name and fn.alpha == alpha
    z = _inputs(seed=9)
    np.testing.assert_allclose(_forward(fn, z), reference(z), rtol=1e-12, atol=1e-15)
    _check_finite_differences(fn, seed=10)
    # the registry entry itself is untouched
    assert ACTIVATIONS.get(name).alpha == {"leaky_relu": 0.01, "elu": 1.0, "prelu": 0.25}[name]


def test_alpha_none_keeps_the_registry_default():
    for name in NAMES:
        assert resolve_activation(name, None) is ACTIVATIONS.get(name)
    assert ACTIVATIONS.get("leaky_relu").with_alpha(None).alpha == 0.01


def test_alpha_works_on_float32_without_upcasting():
    z = _inputs(seed=11).astype(np.float32)
    for name, alpha, _ in ALPHA_CASES:
        fn = resolve_activation(name, alpha)
        a = _forward(fn, z)
        assert a.dtype == np.float32
        assert _derivative(fn, z, np.ones_like(z)).dtype == np.float32


@pytest.mark.parametrize("name", ["tanh", "relu", "gelu", "swish", "rrelu", "heaviside"])
def test_alpha_on_an_activation_without_a_constant_raises(name):
    with pytest.raises(ValueError, match=f"{name}.*no alpha"):
        resolve_activation(name, 0.5)


@pytest.mark.parametrize("alpha", [0.0, -1.0])
def test_elu_rejects_non_positive_alpha(alpha):
    with pytest.raises(ValueError, match="alpha > 0"):
        resolve_activation("elu", alpha)


def test_non_finite_alpha_is_rejected():
    with pytest.raises(ValueError, match="finite"):
        resolve_activation("leaky_relu", float("nan"))


def test_silu_is_an_alias_of_swish():
    assert ACTIVATIONS.get("silu") is ACTIVATIONS.get("swish")


def test_gelu_is_the_exact_erf_form_not_the_tanh_approximation():
    z = np.array([-3.0, -1.0, 0.5, 2.0])
    tanh_form = 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z ** 3)))
    exact = _forward(ACTIVATIONS.get("gelu"), z)
    np.testing.assert_allclose(exact, z * _normal_cdf(z), rtol=1e-14)
    assert np.max(np.abs(exact - tanh_form)) > 1e-5


def test_step_functions_give_0_1_and_minus_1_plus_1_and_negative_at_zero():
    z = np.array([-2.0, -0.0, 0.0, 1e-300, 3.0])
    np.testing.assert_array_equal(_forward(ACTIVATIONS.get("heaviside"), z), [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(_forward(ACTIVATIONS.get("sign"), z), [-1, -1, -1, 1, 1])
    for name in STEP_FUNCTIONS:
        grad = ACTIVATIONS.get(name).derivative(np.ones(5), np.full(5, 3.0))
        np.testing.assert_array_equal(grad, np.zeros(5))


@pytest.mark.parametrize("name", STEP_FUNCTIONS)
def test_check_trainable_refuses_step_functions_and_says_why(name):
    with pytest.raises(ValueError) as info:
        check_trainable(name)
    message = str(info.value)
    assert repr(name) in message
    assert "zero almost everywhere" in message
    assert "PerceptronClassifier" in message and "smooth activation" in message


@pytest.mark.parametrize("name", [n for n in NAMES if n not in STEP_FUNCTIONS] + ["silu"])
def test_check_trainable_accepts_differentiable_activations(name):
    assert check_trainable(name) is ACTIVATIONS.get(name)


def test_check_trainable_rejects_unknown_names_with_the_choices():
    with pytest.raises(ValueError, match="Unknown activation.*gelu"):
        check_trainable("sigmoid")
