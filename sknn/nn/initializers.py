"""Weight initializers: one variance-scaling rule behind the named schemes.

An :class:`Initializer` draws a kernel of shape ``(fan_in, fan_out)`` and a
bias of shape ``(fan_out,)`` from a random generator (``numpy.random.Generator``
or ``RandomState``; both provide ``uniform`` and ``normal``). Kernels are drawn
before biases, layer by layer, so a seed fixes every weight of a network.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sknn._registry import Registry

INITIALIZERS: Registry["Initializer"] = Registry("initializer")

_FAN_MODES = ("fan_in", "fan_out", "fan_avg")


def variance_scaling(fan_in, fan_out, scale=1.0, mode="fan_avg", distribution="uniform"):
    """Return ``(distribution, parameter)`` giving weights variance ``scale / fan``.

    ``parameter`` is the half-width of the uniform distribution or the
    standard deviation of the normal one.
    """
    if mode not in _FAN_MODES:
        raise ValueError(f"mode must be one of {_FAN_MODES}, got {mode!r}")
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    fan = max(fan, 1.0)
    # One rounding per expression, so the 'sklearn' bound equals scikit-learn's
    # sqrt(6 / (fan_in + fan_out)) bit for bit.
    if distribution == "uniform":
        return "uniform", np.sqrt(3.0 * scale / fan)
    if distribution == "normal":
        return "normal", np.sqrt(scale / fan)
    raise ValueError(f"distribution must be 'uniform' or 'normal', got {distribution!r}")


def _draw(rng, kind, parameter, shape, dtype):
    if kind == "uniform":
        values = rng.uniform(-parameter, parameter, shape)
    else:
        values = rng.normal(0.0, parameter, shape)
    return values.astype(dtype, copy=False)


@dataclass(frozen=True)
class Initializer:
    """A variance-scaling scheme for a dense layer.

    Attributes
    ----------
    name : str
    scale, mode, distribution :
        Passed to :func:`variance_scaling`.
    bias : {'zeros', 'same'}
        'same' draws the bias from the kernel's distribution, which is what
        scikit-learn's MLP does; 'zeros' is the modern default.

    Examples
    --------
    >>> import numpy as np
    >>> he = Initializer("he_normal", scale=2.0, mode="fan_in", distribution="normal")
    >>> kernel, bias = he(500, 400, np.random.default_rng(0))
    >>> kernel.shape, round(float(kernel.var() * 500), 1), float(abs(bias).max())
    ((500, 400), 2.0, 0.0)
    """

    name: str
    scale: float = 1.0
    mode: str = "fan_avg"
    distribution: str = "uniform"
    bias: str = "zeros"

    def __call__(self, fan_in, fan_out, rng, dtype=np.float64, gain=1.0):
        """Draw ``(kernel, bias)``; ``gain`` multiplies the variance scale."""
        kind, parameter = variance_scaling(
            fan_in, fan_out, self.scale * gain, self.mode, self.distribution
        )
        kernel = _draw(rng, kind, parameter, (fan_in, fan_out), dtype)
        if self.bias == "same":
            bias = _draw(rng, kind, parameter, fan_out, dtype)
        else:
            bias = np.zeros(fan_out, dtype=dtype)
        return kernel, bias


def VarianceScaling(scale=1.0, mode="fan_in", distribution="normal"):
    """A general variance-scaling initializer: weight variance ``scale / fan``.

    Pass it as ``kernel_initializer`` for schemes the named entries do not
    cover. Biases start at zero.

    Parameters
    ----------
    scale : float, default=1.0
    mode : {'fan_in', 'fan_out', 'fan_avg'}, default='fan_in'
    distribution : {'normal', 'uniform'}, default='normal'

    Examples
    --------
    >>> import numpy as np
    >>> init = VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform")
    >>> kernel, bias = init(400, 300, np.random.default_rng(0))
    >>> round(float(kernel.var() * 400), 1), float(abs(bias).max())
    (2.0, 0.0)
    """
    variance_scaling(1, 1, scale, mode, distribution)  # validate the arguments now
    return Initializer("variance_scaling", float(scale), mode, distribution)


def auto_initializer(activation):
    """The initializer that keeps signal variance through ``activation`` units.

    Glorot for symmetric saturating units (identity, logistic, tanh), LeCun
    normal for SELU (self-normalization assumes it), He normal otherwise
    (the ReLU family, ELU, GELU, swish, softplus).

    Examples
    --------
    >>> auto_initializer("tanh"), auto_initializer("relu"), auto_initializer("selu")
    ('glorot_uniform', 'he_normal', 'lecun_normal')
    """
    if activation in ("identity", "logistic", "tanh"):
        return "glorot_uniform"
    if activation == "selu":
        return "lecun_normal"
    return "he_normal"


def initializer_and_gain(kernel_initializer, activation):
    """``(initializer name, gain)`` of the dense layers of ``activation`` units.

    ``'auto'`` resolves through :func:`auto_initializer`. scikit-learn draws
    logistic units' weights with a third of the Glorot variance (bound
    ``sqrt(2 / fan_sum)`` instead of ``sqrt(6 / fan_sum)``), which its
    ``'sklearn'`` initializer reproduces with a gain of 1/3.

    Examples
    --------
    >>> initializer_and_gain("auto", "relu"), initializer_and_gain("sklearn", "logistic")
    (('he_normal', 1.0), ('sklearn', 0.3333333333333333))
    """
    if kernel_initializer == "auto":
        kernel_initializer = auto_initializer(activation)
    logistic_sklearn = kernel_initializer == "sklearn" and activation == "logistic"
    return kernel_initializer, 1.0 / 3.0 if logistic_sklearn else 1.0


def _register(name, **kwargs):
    INITIALIZERS.register(name)(Initializer(name, **kwargs))


# scikit-learn's MLP: Glorot-uniform kernel and bias with the same bound
# (and a third of the variance for logistic units, applied through ``gain``).
_register("sklearn", scale=1.0, mode="fan_avg", distribution="uniform", bias="same")
for _family, _scale, _mode in (
    ("glorot", 1.0, "fan_avg"),
    ("he", 2.0, "fan_in"),
    ("lecun", 1.0, "fan_in"),
):
    for _distribution in ("uniform", "normal"):
        _register(
            f"{_family}_{_distribution}", scale=_scale, mode=_mode, distribution=_distribution
        )
# All weights equal: every unit of a layer computes the same function and gets
# the same update, so the network never breaks the symmetry (a teaching case).
_register("zeros", scale=0.0)
