"""NumPy layers as closures: ``forward(X, training) -> (Y, backward)``."""

from sknn.nn.layers.activation import ActivationLayer
from sknn.nn.layers.batch_norm import BatchNorm
from sknn.nn.layers.dense import Dense
from sknn.nn.layers.dropout import Dropout
from sknn.nn.layers.periodic import PeriodicEmbedding
from sknn.nn.layers.sequential import Sequential

__all__ = ["ActivationLayer", "BatchNorm", "Dense", "Dropout", "PeriodicEmbedding", "Sequential"]
