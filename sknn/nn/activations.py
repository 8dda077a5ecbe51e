"""Hidden-layer activation functions and their derivatives.

``forward`` overwrites its input in place. ``derivative`` scales the incoming
gradient by ``f'(z)``, reading only one array: the activation's *output* for
most entries (so a layer keeps a single buffer per batch), its *input* ``z``
for those whose derivative cannot be written through the output (gelu,
swish, a leaky slope <= 0; ``needs_input=True``), which the layer then
copies before ``forward`` in training.

Constants (leak slopes, ELU's alpha, PReLU's initial slope) are set with
:meth:`ActivationFn.with_alpha`; ``alpha=None`` keeps the registry default.
Two entries need more than a function and are built as layers by
:func:`sknn.nn.layers.activation.make_activation_layer`: ``prelu`` learns its
slope per unit, ``rrelu`` draws random slopes in training. Their entries here
are the fixed-slope functions the layers reduce to (the initial slope, the
inference slope). ``heaviside`` and ``sign`` are step functions for the
Perceptron: flagged ``differentiable=False``, refused by :func:`check_trainable`.

``gelu`` is the exact ``z * Phi(z)`` (PyTorch's default, not the tanh
approximation); SciPy's ``ndtr`` makes it the costliest entry, about ten times
relu per element. At the kink ``z = 0`` each piecewise entry keeps its
historical one-sided derivative (relu 0, leaky and ELU 1).

Elementwise choices are made with boolean-mask products (``grad * mask``),
never ``np.where``/``where=``: measured 3-5x faster on large arrays. Constants
are Python floats, so float32 arrays stay float32 all the way through.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
from scipy.special import expit, ndtr

from sknn._registry import Registry

ACTIVATIONS: Registry["ActivationFn"] = Registry("activation")

_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
RRELU_LOWER = 1.0 / 8.0
"""Default lower bound of rrelu's random slope (PyTorch's)."""
RRELU_UPPER = 1.0 / 3.0
"""Default upper bound of rrelu's random slope (PyTorch's)."""


@dataclass(frozen=True)
class ActivationFn:
    """An activation ``a = f(z)`` and its derivative.

    Attributes
    ----------
    name : str
    forward : callable
        ``forward(z) -> a``; may overwrite and return ``z``.
    derivative : callable
        ``derivative(saved, grad) -> grad * f'(z)``, where ``saved`` is the
        output ``a``, or the input ``z`` when ``needs_input``. May overwrite
        ``grad``, never ``saved``.
    needs_input : bool
        The derivative reads ``z``: a layer must copy it before ``forward``.
    differentiable : bool
        False for step functions, whose derivative is zero almost everywhere.
    alpha : float or None
        The current value of the activation's constant, None if it has none.
    configure : callable or None
        ``configure(alpha) -> ActivationFn``, behind :meth:`with_alpha`.
    torch_function : callable or None
        A torch version of ``forward`` that the torch engine differentiates
        by autograd: the activation of :func:`sknn.register_activation`. The
        built-in activations are modules of the engine's own table.
    onnx_builder : callable or None
        How :mod:`sknn.onnx` writes a registered activation into an ONNX
        graph (``builder(graph, x, alpha)``); the built-in ones are in
        ``sknn.onnx.ACTIVATION_BUILDERS``.

    Examples
    --------
    >>> import numpy as np
    >>> fn = ACTIVATIONS.get("leaky_relu").with_alpha(0.1)
    >>> fn.forward(np.array([-2.0, 3.0]))
    array([-0.2,  3. ])
    """

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray], np.ndarray]
    needs_input: bool = False
    differentiable: bool = True
    alpha: float | None = None
    configure: Callable[[float], "ActivationFn"] | None = None
    torch_function: Callable | None = None
    onnx_builder: Callable | None = None

    def with_alpha(self, alpha):
        """This activation with its constant set to ``alpha`` (None: unchanged)."""
        if alpha is None:
            return self
        if self.configure is None:
            raise ValueError(f"Activation {self.name!r} has no alpha parameter, "
                             f"got alpha={alpha!r}.")
        alpha = float(alpha)
        if not math.isfinite(alpha):
            raise ValueError(f"Activation {self.name!r} needs a finite alpha, got {alpha}.")
        return self.configure(alpha)


def resolve_activation(name, alpha=None):
    """The registered activation ``name`` with its constant set to ``alpha``.

    Examples
    --------
    >>> resolve_activation("elu", 0.5).alpha
    0.5
    >>> resolve_activation("tanh").alpha is None
    True
    """
    return ACTIVATIONS.get(name).with_alpha(alpha)


def check_trainable(name):
    """Raise ``ValueError`` if backpropagation cannot train through ``name``.

    Returns the activation otherwise. Estimators call this on their hidden
    activation before fitting.

    Examples
    --------
    >>> check_trainable("relu").name
    'relu'
    >>> check_trainable("heaviside")
    Traceback (most recent call last):
    ...
    ValueError: Activation 'heaviside' cannot be trained by backpropagation: ...
    """
    fn = ACTIVATIONS.get(name)
    if not fn.differentiable:
        raise ValueError(
            f"Activation {fn.name!r} cannot be trained by backpropagation: it is a "
            "step function, its derivative is zero almost everywhere, so no gradient "
            "reaches the layers below it and they never learn. Use PerceptronClassifier "
            "for a step-function unit, or a smooth activation such as 'relu', 'tanh' "
            "or 'logistic'.")
    return fn


def slope_factor(negative, slope, dtype):
    """An array equal to ``slope`` where ``negative`` is set and 1 elsewhere.

    Exact (no ``(slope - 1) + 1`` rounding) and built from mask products.
    ``negative`` is a scratch boolean array and is overwritten; ``slope`` is a
    float or an array broadcasting against it.
    """
    factor = np.multiply(negative, slope, dtype=dtype)
    factor += np.logical_not(negative, out=negative)
    return factor


def _register(name, *aliases, **fields):
    entry = fields.pop("entry", None) or ActivationFn(name, **fields)
    ACTIVATIONS.register(name, *aliases)(entry)


def _identity(z):
    return z


def _identity_derivative(a, grad):
    return grad


def _logistic(z):
    return expit(z, out=z)


def _logistic_derivative(a, grad):
    grad *= a
    grad *= 1 - a
    return grad


def _tanh(z):
    return np.tanh(z, out=z)


def _tanh_derivative(a, grad):
    grad *= 1 - a * a
    return grad


def _relu(z):
    return np.maximum(z, 0, out=z)


def _relu_derivative(a, grad):
    # a == 0 exactly where z <= 0, matching scikit-learn's subgradient at 0.
    # Multiplying by the boolean mask measured ~10x faster than a masked copyto.
    grad *= a > 0
    return grad


def _leaky_relu(slope, name="leaky_relu"):
    """``z`` for ``z >= 0``, ``slope * z`` below; any finite slope.

    For a positive slope the sign of ``z`` is the sign of the output, so the
    derivative reads the output; otherwise it needs ``z``.
    """

    def forward(z):
        # max (or min for slope > 1) of z and slope * z is exactly the leaky value
        pick = np.maximum if slope <= 1.0 else np.minimum
        return pick(z, z * slope, out=z)

    def derivative(saved, grad):
        grad *= slope_factor(saved < 0, slope, grad.dtype)
        return grad

    return ActivationFn(name, forward, derivative, needs_input=slope <= 0.0, alpha=slope,
                        configure=lambda alpha: _leaky_relu(alpha, name))


def _elu(alpha):
    """``z`` for ``z >= 0``, ``alpha * (exp(z) - 1)`` below; ``alpha > 0``."""
    if alpha <= 0.0:
        raise ValueError(f"ELU needs alpha > 0, got {alpha}.")

    def forward(z):
        return _elu_forward(z, alpha)

    def derivative(a, grad):
        # For z < 0, a = alpha * (exp(z) - 1), so f'(z) = alpha * exp(z) = a + alpha.
        return _exp_side_derivative(a, grad, alpha, 1.0)

    return ActivationFn("elu", forward, derivative, alpha=alpha, configure=_elu)


def _elu_forward(z, alpha):
    # max(z, 0) + alpha * expm1(min(z, 0)): exact on both sides, no masked ufunc
    negative_side = np.minimum(z, 0.0)
    np.expm1(negative_side, out=negative_side)
    if alpha != 1.0:
        negative_side *= alpha
    np.maximum(z, 0.0, out=z)
    z += negative_side
    return z


def _exp_side_derivative(a, grad, offset, positive_slope):
    """``grad * (a + offset)`` where ``a < 0``, ``grad * positive_slope`` elsewhere."""
    negative = a < 0
    factor = np.minimum(a, 0.0)
    factor += offset
    factor *= negative
    positive = np.logical_not(negative, out=negative)
    if positive_slope == 1.0:
        factor += positive
    else:
        factor += np.multiply(positive, positive_slope, dtype=factor.dtype)
    grad *= factor
    return grad


def _selu(z):
    _elu_forward(z, _SELU_ALPHA)
    z *= _SELU_SCALE
    return z


def _selu_derivative(a, grad):
    # For z < 0, a = scale * alpha * (exp(z) - 1), so f' = a + scale * alpha.
    return _exp_side_derivative(a, grad, _SELU_SCALE * _SELU_ALPHA, _SELU_SCALE)


def _softplus(z):
    return np.logaddexp(z, 0, out=z)


def _softplus_derivative(a, grad):
    # f'(z) = sigmoid(z) = 1 - exp(-softplus(z)).
    grad *= -np.expm1(-a)
    return grad


def _gelu(z):
    # Exact GELU z * Phi(z) (PyTorch's default, approximate='none'); ndtr is
    # Phi without the cancellation of 0.5 * (1 + erf(z / sqrt(2))) for z << 0.
    z *= ndtr(z)
    return z


def _gelu_derivative(z, grad):
    # f'(z) = Phi(z) + z * phi(z)
    density = np.multiply(z, z)
    density *= -0.5
    np.exp(density, out=density)
    density *= z
    density *= _INV_SQRT_2PI
    density += ndtr(z)
    grad *= density
    return grad


def _fast_sigmoid(z):
    # sigmoid(z) = (1 + tanh(z / 2)) / 2: NumPy's vectorized tanh runs about 15x
    # faster than scipy's expit in float32 and cannot overflow; for z << 0 it
    # rounds to 0 where expit keeps a tiny value, which swish multiplies by z
    # (an absolute error below 1e-6), so only swish uses it
    s = np.multiply(z, 0.5)
    np.tanh(s, out=s)
    s *= 0.5
    s += 0.5
    return s


def _swish(z):
    z *= _fast_sigmoid(z)
    return z


def _swish_derivative(z, grad):
    # f'(z) = s + z s (1 - s) = s (1 + z (1 - s)) with s = sigmoid(z)
    s = _fast_sigmoid(z)
    factor = np.subtract(1.0, s)
    factor *= z
    factor += 1.0
    factor *= s
    grad *= factor
    return grad


def _heaviside(z):
    # 1 where z > 0, else 0 (scikit-learn's Perceptron predicts the negative class at 0)
    return np.greater(z, 0.0, out=z)


def _sign(z):
    # +1 where z > 0, else -1: 2 * heaviside - 1, never 0
    np.greater(z, 0.0, out=z)
    z *= 2.0
    z -= 1.0
    return z


def _zero_derivative(a, grad):
    grad[...] = 0.0
    return grad


_register("identity", forward=_identity, derivative=_identity_derivative)
_register("logistic", forward=_logistic, derivative=_logistic_derivative)
_register("tanh", forward=_tanh, derivative=_tanh_derivative)
_register("relu", forward=_relu, derivative=_relu_derivative)
_register("leaky_relu", entry=_leaky_relu(0.01))
_register("elu", entry=_elu(1.0))
_register("selu", forward=_selu, derivative=_selu_derivative)
_register("softplus", forward=_softplus, derivative=_softplus_derivative)
_register("gelu", forward=_gelu, derivative=_gelu_derivative, needs_input=True)
_register("swish", "silu", forward=_swish, derivative=_swish_derivative, needs_input=True)
# prelu: the learned-slope layer starts from (and ActivationLayer applies) slope alpha
_register("prelu", entry=_leaky_relu(0.25, "prelu"))
# rrelu: the fixed inference-time slope (lower + upper) / 2; training draws slopes
_register("rrelu", entry=replace(_leaky_relu((RRELU_LOWER + RRELU_UPPER) / 2.0, "rrelu"),
                                 alpha=None, configure=None))
_register("heaviside", forward=_heaviside, derivative=_zero_derivative, differentiable=False)
_register("sign", forward=_sign, derivative=_zero_derivative, differentiable=False)
