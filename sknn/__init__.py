"""sknn: scikit-learn compatible neural networks on a hand-written NumPy core."""

from sknn.estimators.mlp import MLPClassifier, MLPRegressor

__version__ = "0.1.0"

__all__ = ["MLPClassifier", "MLPRegressor", "__version__"]
