"""sknn: scikit-learn compatible neural networks on a hand-written NumPy core."""

from sknn._version import __version__
from sknn.estimators.autoencoder import StackedAutoencoder
from sknn.estimators.deep_net import DeepNetClassifier, DeepNetRegressor
from sknn.estimators.mlp import MLPClassifier, MLPRegressor
from sknn.estimators.perceptron import PerceptronClassifier
from sknn.extending import (
    register_activation,
    register_initializer,
    register_loss,
    register_optimizer,
    register_schedule,
    unregister,
)
from sknn.lr_finder import lr_find
from sknn.search import search_space
from sknn.uncertainty import mc_predict, mc_predict_proba

__all__ = ["DeepNetClassifier", "DeepNetRegressor", "MLPClassifier", "MLPRegressor",
           "PerceptronClassifier", "StackedAutoencoder", "__version__", "lr_find",
           "mc_predict", "mc_predict_proba", "register_activation", "register_initializer",
           "register_loss", "register_optimizer", "register_schedule", "search_space",
           "unregister"]
