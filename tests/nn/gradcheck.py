"""Finite-difference helpers shared by the NumPy-core tests."""

import numpy as np


def reseeded_loss_and_gradient(engine, data):
    """The engine's training pass with every random layer reseeded (same draws each call)."""
    for layer in engine.network.layers:
        if hasattr(layer, "rng"):
            layer.rng = np.random.default_rng(0)
    return engine.loss_and_gradient(data)


def engine_numeric_gradient(engine, data, eps):
    """Central differences of the engine's loss over its flat parameter vector."""
    flat = engine.flat_parameters().copy()
    grad = np.empty_like(flat)
    for i in range(flat.size):
        shifted = flat.copy()
        shifted[i] = flat[i] + eps
        engine.set_flat_parameters(shifted)
        plus = reseeded_loss_and_gradient(engine, data)[0]
        shifted[i] = flat[i] - eps
        engine.set_flat_parameters(shifted)
        minus = reseeded_loss_and_gradient(engine, data)[0]
        grad[i] = (plus - minus) / (2 * eps)
    engine.set_flat_parameters(flat)
    return grad


def numeric_param_grad(net, objective, h=1e-6):
    """Central differences of ``objective()`` over every entry of ``net.params``."""
    numeric = np.empty_like(net.params)
    for i in range(net.params.size):
        saved = net.params[i]
        net.params[i] = saved + h
        plus = objective()
        net.params[i] = saved - h
        minus = objective()
        net.params[i] = saved
        numeric[i] = (plus - minus) / (2 * h)
    return numeric


def numeric_array_grad(objective, array, h=1e-6):
    """Central differences of ``objective(a)`` over every entry of ``array`` (not modified)."""
    numeric = np.empty_like(array, dtype=float)
    for index in np.ndindex(array.shape):
        plus, minus = array.copy(), array.copy()
        plus[index] += h
        minus[index] -= h
        numeric[index] = (objective(plus) - objective(minus)) / (2 * h)
    return numeric
