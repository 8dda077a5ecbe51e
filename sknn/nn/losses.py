"""Losses defined on raw network outputs, each owning its output link.

Pairing every loss with its canonical link (identity, logistic, softmax,
exp) makes the gradient with respect to the raw output ``link(z) - y``, so the
backward pass never differentiates the link separately. Values and gradients
are sample-weighted means: ``sum_i w_i l_i / sum_i w_i``.

Any other (loss, output activation) pair is a :class:`ComposedLoss`: the
pointwise loss of the prediction ``pred = f(z)``, differentiated by the chain
rule ``dL/dz = dL/dpred * f'(z)``. :func:`make_loss` builds either kind.

Loss specs
----------
A loss travels in ``NetworkSpec.loss`` as a :class:`LossSpec`: plain, frozen
data (the loss, its output activation, the output bounds, Huber's delta, the
label smoothing) that both engines read. :func:`make_loss` resolves it to the
NumPy :class:`Loss`; the PyTorch engine builds its own from the same fields.
:data:`LOSSES` holds the losses with their canonical link, by plain name.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit, log_softmax, softmax, xlogy

from sknn._registry import Registry

_FULL_RANGE = (-math.inf, math.inf)
_POSITIVE = (0.0, math.inf)
_UNIT = (0.0, 1.0)


LOSSES: Registry["Loss"] = Registry("loss")
OUTPUT_ACTIVATIONS: Registry["OutputActivation"] = Registry("output activation")


@dataclass(frozen=True)
class Loss:
    """A loss ``L(y, link(z))`` on raw outputs ``z``.

    Attributes
    ----------
    name : str
        Registry name of the loss; a composed loss shares its base loss's name.
    out_activation : str
        Name of the link, as scikit-learn's ``out_activation_`` reports it.
    link : callable
        ``link(z) -> prediction`` (a new array).
    pointwise : callable
        ``pointwise(z, y) -> per-sample loss`` summed over outputs.
    output_range : tuple of float
        Closed hull ``(low, high)`` of the predictions the link can produce.
    """

    name: str
    out_activation: str
    link: Callable[[np.ndarray], np.ndarray]
    pointwise: Callable[[np.ndarray, np.ndarray], np.ndarray]
    pointwise_and_link: Callable | None = None
    output_range: tuple[float, float] = _FULL_RANGE

    def value_and_gradient(self, raw, y, sample_weight=None):
        """``(value, gradient)`` in one pass where the loss shares work between them."""
        if self.pointwise_and_link is None:
            return self.value(raw, y, sample_weight), self.gradient(raw, y, sample_weight)
        per_sample, grad = self.pointwise_and_link(raw, y)
        grad -= y
        if sample_weight is None:
            grad /= raw.shape[0]
            return float(per_sample.mean()), grad
        weights = sample_weight / sample_weight.sum()
        grad *= weights[:, None].astype(grad.dtype)
        return float(np.dot(per_sample, weights)), grad

    def value(self, raw, y, sample_weight=None):
        """Weighted mean loss over samples."""
        per_sample = self.pointwise(raw, y)
        if sample_weight is None:
            return float(per_sample.mean())
        return float(np.dot(per_sample, sample_weight) / sample_weight.sum())

    def gradient(self, raw, y, sample_weight=None, out=None):
        """Gradient of :meth:`value` with respect to ``raw``."""
        grad = self.link_into(raw, out)
        grad -= y
        if sample_weight is None:
            grad /= raw.shape[0]
        else:
            grad *= (sample_weight / sample_weight.sum())[:, None].astype(grad.dtype)
        return grad

    def link_into(self, raw, out=None):
        result = self.link(raw)
        if out is None:
            return result
        np.copyto(out, result)
        return out


@dataclass(frozen=True)
class ComposedLoss(Loss):
    """A pointwise loss of ``link(z)`` whose gradient goes through the link.

    Attributes
    ----------
    pointwise_and_grad : callable
        ``(z, y) -> (per-sample loss, dL/dz elementwise)``, unweighted.
    torch_function : callable or None
        ``(y, z) -> per-sample loss`` on torch tensors, which the torch
        engine differentiates by autograd: the loss of
        :func:`sknn.register_loss`. The built-in losses are in the engine's
        own tables.
    """

    pointwise_and_grad: Callable | None = None
    torch_function: Callable | None = None

    def value_and_gradient(self, raw, y, sample_weight=None):
        """``(value, gradient)`` sharing the link and the residual between them."""
        per_sample, grad = self.pointwise_and_grad(raw, y)
        if sample_weight is None:
            grad /= raw.shape[0]
            return float(per_sample.mean()), grad
        weights = sample_weight / sample_weight.sum()
        grad *= weights[:, None].astype(grad.dtype)
        return float(np.dot(per_sample, weights)), grad

    def gradient(self, raw, y, sample_weight=None, out=None):
        """Gradient of :meth:`value` with respect to ``raw``."""
        grad = self.value_and_gradient(raw, y, sample_weight)[1]
        if out is None:
            return grad
        np.copyto(out, grad)
        return out


# -- canonical losses ----------------------------------------------------------
def _squared_pointwise(z, y):
    diff = z - y
    return 0.5 * np.einsum("ij,ij->i", diff, diff)


def _poisson_pointwise(z, y):
    # Half Poisson deviance with log link: exp(z) - y z + (y log y - y).
    return (np.exp(z) - y * z + xlogy(y, y) - y).sum(axis=1)


def _softmax_pointwise(z, y):
    return -(y * log_softmax(z, axis=1)).sum(axis=1)


def _softmax_pointwise_and_link(z, y):
    # One exp for both the cross-entropy and the softmax probabilities.
    shifted = z - z.max(axis=1, keepdims=True)
    probabilities = np.exp(shifted)
    normalizer = probabilities.sum(axis=1, keepdims=True)
    probabilities /= normalizer
    per_sample = np.log(normalizer[:, 0]) * y.sum(axis=1) - np.einsum("ij,ij->i", y, shifted)
    return per_sample, probabilities


def _sigmoid_pointwise(z, y):
    # -[y log s(z) + (1 - y) log(1 - s(z))] = softplus(z) - y z, computed stably.
    return (np.logaddexp(0, z) - y * z).sum(axis=1)


# -- pointwise losses of a prediction: (pred, y, delta) -> (per sample, dL/dpred) --
def _squared_on_prediction(pred, y, delta):
    residual = pred - y
    return 0.5 * np.einsum("ij,ij->i", residual, residual), residual


def _absolute_on_prediction(pred, y, delta):
    residual = pred - y
    return np.abs(residual).sum(axis=1), np.sign(residual, out=residual)


def _huber_on_prediction(pred, y, delta):
    # q (|r| - q / 2) with q = min(|r|, delta): 0.5 r^2 inside, delta (|r| - delta/2) outside.
    residual = pred - y
    size = np.abs(residual)
    quadratic = np.minimum(size, delta)
    size -= 0.5 * quadratic
    size *= quadratic
    return size.sum(axis=1), np.clip(residual, -delta, delta, out=residual)


def _poisson_on_prediction(pred, y, delta):
    # Half Poisson deviance: pred - y log pred + (y log y - y); dL/dpred = 1 - y / pred.
    per_sample = (pred - xlogy(y, pred) + xlogy(y, y) - y).sum(axis=1)
    grad = y / pred
    np.subtract(1, grad, out=grad)
    return per_sample, grad


_ON_PREDICTION = {
    "squared_error": _squared_on_prediction,
    "absolute_error": _absolute_on_prediction,
    "huber": _huber_on_prediction,
    "poisson": _poisson_on_prediction,
}

# Each built-in loss's canonical output. A loss without a function in
# _ON_PREDICTION (log_loss, binary_log_loss, a registered loss) accepts no other.
_CANONICAL_OUTPUT = {"squared_error": "identity", "absolute_error": "identity",
                     "huber": "identity", "poisson": "exp", "log_loss": "softmax",
                     "binary_log_loss": "logistic"}

# The losses whose targets label smoothing softens: one-hot (softmax) or 0/1 (logistic).
_SMOOTHABLE = ("log_loss", "binary_log_loss")


def _canonical_output(name):
    """The output of loss ``name`` unless told otherwise (a registered loss's own link)."""
    return _CANONICAL_OUTPUT.get(name) or LOSSES.get(name).out_activation


# -- output activations: (z, low, high) -> pred, and -> (pred, dpred/dz) --------
@dataclass(frozen=True)
class OutputActivation:
    """An output link ``pred = f(z)`` usable with any pointwise regression loss.

    Attributes
    ----------
    name : str
    forward : callable
        ``forward(z, low, high) -> pred`` (a new array).
    forward_and_derivative : callable
        ``(z, low, high) -> (pred, f'(z))``; ``f'`` is None when it is 1.
    natural_range : tuple of float
        Closed hull of the outputs without rescaling.
    rescalable : bool
        Whether ``output_bounds`` maps the natural range onto ``[low, high]``.
    """

    name: str
    forward: Callable
    forward_and_derivative: Callable
    natural_range: tuple[float, float]
    rescalable: bool = False


def _identity_output(z, low, high):
    return z.copy()


def _relu_output(z, low, high):
    return np.maximum(z, 0)


def _relu_output_and_derivative(z, low, high):
    return np.maximum(z, 0), z > 0


def _softplus_output(z, low, high):
    # max(z, 0) + log1p(exp(-|z|)): stable, and ~6x faster than np.logaddexp(0, z).
    pred = np.abs(z)
    np.negative(pred, out=pred)
    np.exp(pred, out=pred)
    np.log1p(pred, out=pred)
    pred += np.maximum(z, 0)
    return pred


def _softplus_output_and_derivative(z, low, high):
    pred = _softplus_output(z, low, high)
    # f'(z) = sigmoid(z) = 1 - exp(-softplus(z)), accurate at both ends.
    derivative = np.negative(pred)
    np.expm1(derivative, out=derivative)
    np.negative(derivative, out=derivative)
    return pred, derivative


def _exp_output_and_derivative(z, low, high):
    pred = np.exp(z)
    return pred, pred


def _logistic_output(z, low, high):
    pred = expit(z)
    pred *= high - low
    pred += low
    return pred


def _logistic_output_and_derivative(z, low, high):
    unit = expit(z)
    derivative = unit * (1 - unit)
    derivative *= high - low
    unit *= high - low
    unit += low
    return unit, derivative


def _rescale_tanh(tanh, low, high):
    # low + (high - low) (tanh(z) + 1) / 2, in place
    tanh += 1
    tanh *= 0.5 * (high - low)
    tanh += low
    return tanh


def _tanh_output(z, low, high):
    return _rescale_tanh(np.tanh(z), low, high)


def _tanh_output_and_derivative(z, low, high):
    tanh = np.tanh(z)
    derivative = 1 - tanh * tanh
    derivative *= 0.5 * (high - low)
    return _rescale_tanh(tanh, low, high), derivative


def _register_output(name, forward, forward_and_derivative, natural_range, rescalable=False):
    OUTPUT_ACTIVATIONS.register(name)(
        OutputActivation(name, forward, forward_and_derivative, natural_range, rescalable))


# The identity hands z itself to the pointwise losses, which never write to pred.
_register_output("identity", _identity_output, lambda z, low, high: (z, None), _FULL_RANGE)
_register_output("relu", _relu_output, _relu_output_and_derivative, _POSITIVE)
_register_output("softplus", _softplus_output, _softplus_output_and_derivative, _POSITIVE)
_register_output("exp", lambda z, low, high: np.exp(z), _exp_output_and_derivative, _POSITIVE)
_register_output("logistic", _logistic_output, _logistic_output_and_derivative, _UNIT,
                 rescalable=True)
_register_output("tanh", _tanh_output, _tanh_output_and_derivative, (-1.0, 1.0),
                 rescalable=True)


# -- loss specs and construction -------------------------------------------------
@dataclass(frozen=True)
class LossSpec:
    """A training loss as plain data: the loss, its output activation, bounds, delta
    and label smoothing.

    Both engines read these fields; :func:`make_loss` gives the NumPy loss.
    The fields are validated and normalized on construction, so equal losses
    compare equal (``LossSpec("poisson") == LossSpec("poisson", "exp")``).

    Parameters
    ----------
    name : str
        'squared_error', 'absolute_error', 'huber', 'poisson' (or the
        classification losses 'log_loss', 'binary_log_loss', or a loss
        registered by :func:`sknn.register_loss`).
    output_activation : str or None
        A name in :data:`OUTPUT_ACTIVATIONS`; None means the loss's canonical
        link (identity; exp for poisson; softmax / logistic for the
        classification losses and a registered loss's own link, which
        accept no other). Poisson needs a
        positive output: exp, softplus, or logistic / tanh with
        ``output_bounds`` low >= 0. Stored as the name of the output.
    output_bounds : (low, high) or None
        Rescale logistic / tanh outputs onto ``[low, high]``; None keeps
        (0, 1) / (-1, 1). Only logistic and tanh accept bounds. Stored as two
        floats for those outputs (their natural range when not given), None
        for the others.
    huber_delta : float
        Threshold between Huber's quadratic and linear parts. Stored for
        huber only; None for the other losses, which ignore it.
    label_smoothing : float
        ``eps`` in [0, 1): the classification losses train against the soft
        targets of :meth:`smoothed_targets` instead of the 0/1 ones (the
        loss is then the cross-entropy to those targets, as PyTorch's
        ``CrossEntropyLoss(label_smoothing=eps)`` reports it). Only
        'log_loss' and 'binary_log_loss' accept a nonzero value.

    Examples
    --------
    >>> LossSpec("huber", "tanh", output_bounds=(-1, 3), huber_delta=0.5)
    LossSpec(name='huber', output_activation='tanh', output_bounds=(-1.0, 3.0), \
huber_delta=0.5, label_smoothing=0.0)
    >>> LossSpec("squared_error", huber_delta=0.5) == LossSpec("squared_error", "identity")
    True
    >>> LossSpec("log_loss", label_smoothing=0.1).smoothed_targets(np.eye(3)[:1], "float64")
    array([[0.93333333, 0.03333333, 0.03333333]])
    """

    name: str
    output_activation: str | None = None
    output_bounds: tuple[float, float] | None = None
    huber_delta: float | None = 1.0
    label_smoothing: float = 0.0

    def __post_init__(self):
        canonical = _canonical_output(self.name)
        activation = canonical if self.output_activation is None else self.output_activation
        bounds, delta = None, None
        if self.name not in _ON_PREDICTION:
            if activation != canonical or self.output_bounds is not None:
                raise ValueError(f"loss={self.name!r} only supports its canonical output "
                                 f"{canonical!r} without output_bounds.")
        else:
            bounds = _normalize_bounds(OUTPUT_ACTIVATIONS.get(activation), self.output_bounds)
            if self.name == "poisson":
                _check_positive_output(activation, bounds)
            if self.name == "huber":
                delta = _normalize_delta(self.huber_delta)
        # frozen: the normalized values are written past the dataclass's __setattr__
        object.__setattr__(self, "output_activation", activation)
        object.__setattr__(self, "output_bounds", bounds)
        object.__setattr__(self, "huber_delta", delta)
        object.__setattr__(self, "label_smoothing",
                           _normalize_smoothing(self.name, self.label_smoothing))

    def smoothed_targets(self, Y, dtype):
        """The targets the loss trains against, for the 2-D 0/1 targets ``Y``.

        ``Y`` itself without label smoothing. With ``label_smoothing=eps``, a
        new array of ``dtype``: ``(1 - eps) Y + eps / K`` for 'log_loss' over
        K classes (the columns of ``Y``), and ``(1 - eps) Y + eps / 2`` for each
        output of 'binary_log_loss' (Keras's ``BinaryCrossentropy``
        convention). The engines call it once per fit, in ``prepare``, so no
        minibatch pays for it.
        """
        if not self.label_smoothing:
            return Y
        n_choices = Y.shape[1] if self.name == "log_loss" else 2
        smoothed = np.asarray(Y, dtype=dtype) * (1 - self.label_smoothing)
        smoothed += self.label_smoothing / n_choices
        return smoothed

    @property
    def uses_canonical_link(self):
        """Whether the output activation is the loss's canonical link."""
        return self.output_activation == _canonical_output(self.name)


@functools.lru_cache(maxsize=256)
def make_loss(spec):
    """The NumPy :class:`Loss` of a :class:`LossSpec` (built once per spec).

    Returns
    -------
    Loss
        The registered loss when ``spec`` is its name's default
        (``LossSpec(spec.name)``, whatever its label smoothing, which acts on
        the targets: :meth:`LossSpec.smoothed_targets`), otherwise a
        :class:`ComposedLoss` of the spec's loss on its output activation.

    Examples
    --------
    >>> make_loss(LossSpec("squared_error", "identity")) is LOSSES.get("squared_error")
    True
    >>> loss = make_loss(LossSpec("huber", "tanh", output_bounds=(-1, 3), huber_delta=0.5))
    >>> loss.name, loss.out_activation
    ('huber', 'tanh')
    >>> loss.link(np.array([[0.0]]))
    array([[1.]])
    """
    if dataclasses.replace(spec, label_smoothing=0.0) == LossSpec(spec.name):
        return LOSSES.get(spec.name)
    return _composed(spec)


def _normalize_bounds(output, bounds):
    if not output.rescalable:
        if bounds is not None:
            raise ValueError(f"output_bounds applies to output_activation 'logistic' or "
                             f"'tanh' only, got output_activation={output.name!r}.")
        return None
    if bounds is None:
        return output.natural_range
    try:
        low, high = (float(bound) for bound in bounds)
    except (TypeError, ValueError):
        low = high = math.nan
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError("output_bounds must be two finite numbers (low, high) with "
                         f"low < high, got {bounds!r}.")
    return low, high


def _check_positive_output(activation, bounds):
    low = OUTPUT_ACTIVATIONS.get(activation).natural_range[0] if bounds is None else bounds[0]
    if activation in ("identity", "relu") or low < 0:
        raise ValueError(
            "loss='poisson' needs a strictly positive output: use output_activation "
            "'exp', 'softplus', or 'logistic' / 'tanh' with output_bounds low >= 0; "
            f"got output_activation={activation!r}"
            + ("" if bounds is None else f" with output_bounds={bounds}") + ".")


def _normalize_delta(delta):
    try:
        delta = float(delta)
    except (TypeError, ValueError):
        delta = math.nan
    if not (math.isfinite(delta) and delta > 0):
        raise ValueError(f"huber_delta must be a positive finite number, got {delta!r}.")
    return delta


def _normalize_smoothing(name, smoothing):
    try:
        value = float(smoothing)
    except (TypeError, ValueError):
        value = math.nan
    if not 0 <= value < 1:
        raise ValueError(f"label_smoothing must be a number in [0, 1), got {smoothing!r}.")
    if value and name not in _SMOOTHABLE:
        raise ValueError(f"label_smoothing applies to the classification losses "
                         f"{' and '.join(map(repr, _SMOOTHABLE))} only, got loss={name!r}.")
    return value


def _composed(spec):
    """The :class:`ComposedLoss` of a validated :class:`LossSpec`."""
    on_prediction = functools.partial(_ON_PREDICTION[spec.name], delta=spec.huber_delta)
    output = OUTPUT_ACTIVATIONS.get(spec.output_activation)
    low, high = spec.output_bounds or (None, None)

    def link(z):
        return output.forward(z, low, high)

    def pointwise(z, y):
        return on_prediction(link(z), y)[0]

    def pointwise_and_grad(z, y):
        pred, derivative = output.forward_and_derivative(z, low, high)
        per_sample, grad = on_prediction(pred, y)
        if derivative is not None:
            grad *= derivative
        return per_sample, grad

    output_range = spec.output_bounds or output.natural_range
    return ComposedLoss(spec.name, output.name, link, pointwise, output_range=output_range,
                        pointwise_and_grad=pointwise_and_grad)


def check_targets_in_range(spec, y):
    """Raise a ValueError when targets ``y`` lie where the loss's output cannot reach.

    Parameters
    ----------
    spec : LossSpec
        The training loss.
    y : array-like
        Regression targets in the space of the loss's predictions.

    Examples
    --------
    >>> check_targets_in_range(LossSpec("squared_error", "relu"), np.array([0.0, 2.0]))
    >>> check_targets_in_range(LossSpec("squared_error", "tanh", (0, 1)), np.array([0.5, 2.0]))
    Traceback (most recent call last):
    ...
    ValueError: Some value(s) of y lie outside [0, 1], the range of output_activation='tanh' ...
    """
    low, high = make_loss(spec).output_range
    y = np.asarray(y)
    if y.size == 0 or (low == -math.inf and high == math.inf):
        return
    y_min, y_max = float(y.min()), float(y.max())
    if y_min < 0 and spec.name == "poisson":
        raise ValueError("Some value(s) of y are negative which is not allowed for "
                         "Poisson regression (loss='poisson').")
    if y_min < low or y_max > high:
        raise ValueError(_range_message(spec, low, high, y_min, y_max))


def _range_message(spec, low, high, y_min, y_max):
    interval = f"[{low:g}, {high:g}]" if high < math.inf else f"[{low:g}, inf)"
    # normalized specs carry bounds exactly when the output is a rescalable one
    rescaled = spec.output_bounds is not None
    bounds = f" with output_bounds=({low:g}, {high:g})" if rescaled else ""
    advice = "Widen output_bounds or rescale y." if rescaled else \
        "Choose another output_activation or shift y."
    return (f"Some value(s) of y lie outside {interval}, the range of output_activation="
            f"{spec.output_activation!r}{bounds}: got y in [{y_min:g}, {y_max:g}]. {advice}")


# Only for pickles from before LossSpec: NetworkSpec.loss was then a name that
# carried the options, "<loss>[delta=<d>]|<output>[<low>,<high>]" with every part
# after <loss> optional (e.g. "huber[delta=0.5]|tanh[-1,3]"). NetworkSpec.__setstate__
# reads such a name with this function.
_LEGACY_LOSS_NAME = re.compile(r"(\w+)(?:\[delta=([^\]]+)\])?"
                               r"(?:\|(\w+)(?:\[([^,\]]+),([^\]]+)\])?)?")


def loss_spec_from_legacy_name(name):
    """The :class:`LossSpec` of a loss name stored by an old pickle."""
    match = _LEGACY_LOSS_NAME.fullmatch(name)
    if match is None:
        raise ValueError(f"Cannot read the loss {name!r} of an old pickle.")
    loss, delta, output, low, high = match.groups()
    bounds = None if low is None else (float(low), float(high))
    return LossSpec(loss, output, bounds, 1.0 if delta is None else float(delta))


def _register(name, out_activation, link, pointwise, pointwise_and_link=None,
              output_range=_FULL_RANGE):
    LOSSES.register(name)(Loss(name, out_activation, link, pointwise, pointwise_and_link,
                               output_range))


_register("squared_error", "identity", lambda z: z.copy(), _squared_pointwise)
_register("poisson", "exp", np.exp, _poisson_pointwise, output_range=_POSITIVE)
_register("log_loss", "softmax", lambda z: softmax(z, axis=1), _softmax_pointwise,
          _softmax_pointwise_and_link, output_range=_UNIT)
_register("binary_log_loss", "logistic", expit, _sigmoid_pointwise, output_range=_UNIT)
for _name in ("absolute_error", "huber"):
    LOSSES.register(_name)(_composed(LossSpec(_name)))
