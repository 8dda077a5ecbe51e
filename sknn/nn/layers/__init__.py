"""NumPy layers as closures: ``forward(X, training) -> (Y, backward)``."""

from sknn.nn.layers.activation import ActivationLayer
from sknn.nn.layers.dense import Dense
from sknn.nn.layers.sequential import Sequential

__all__ = ["ActivationLayer", "Dense", "Sequential"]
