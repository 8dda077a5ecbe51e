"""Losses defined on raw network outputs, each owning its output link.

Pairing every loss with its canonical link (identity, logistic, softmax,
exp) makes the gradient with respect to the raw output ``link(z) - y``, so the
backward pass never differentiates the link separately. Values and gradients
are sample-weighted means: ``sum_i w_i l_i / sum_i w_i``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit, log_softmax, softmax, xlogy

from sknn._registry import Registry

LOSSES: Registry["Loss"] = Registry("loss")


@dataclass(frozen=True)
class Loss:
    """A loss ``L(y, link(z))`` on raw outputs ``z``.

    Attributes
    ----------
    name : str
    out_activation : str
        Name of the link, as scikit-learn's ``out_activation_`` reports it.
    link : callable
        ``link(z) -> prediction`` (a new array).
    pointwise : callable
        ``pointwise(z, y) -> per-sample loss`` summed over outputs.
    """

    name: str
    out_activation: str
    link: Callable[[np.ndarray], np.ndarray]
    pointwise: Callable[[np.ndarray, np.ndarray], np.ndarray]
    pointwise_and_link: Callable | None = None

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


def _register(name, out_activation, link, pointwise, pointwise_and_link=None):
    LOSSES.register(name)(Loss(name, out_activation, link, pointwise, pointwise_and_link))


_register("squared_error", "identity", lambda z: z.copy(), _squared_pointwise)
_register("poisson", "exp", np.exp, _poisson_pointwise)
_register("log_loss", "softmax", lambda z: softmax(z, axis=1), _softmax_pointwise,
          _softmax_pointwise_and_link)
_register("binary_log_loss", "logistic", expit, _sigmoid_pointwise)
