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
