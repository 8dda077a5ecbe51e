"""sknn: scikit-learn compatible neural networks on a hand-written NumPy core."""

from sknn._version import __version__
from sknn.estimators.mlp import MLPClassifier, MLPRegressor
from sknn.estimators.perceptron import PerceptronClassifier

__all__ = ["MLPClassifier", "MLPRegressor", "PerceptronClassifier", "__version__"]
