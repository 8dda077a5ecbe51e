"""Monte Carlo dropout for a DeepNet estimator or a pipeline that ends in one.

:meth:`DeepNetClassifier.mc_predict_proba <sknn.DeepNetClassifier.mc_predict_proba>`
and its siblings are methods of the networks; a
:class:`~sklearn.pipeline.Pipeline` does not forward them. The functions here
take either: for a pipeline, ``X`` goes through the fitted earlier steps'
``transform`` first, exactly as ``pipeline.predict`` would send it.
"""

from __future__ import annotations

from sklearn.pipeline import Pipeline

__all__ = ["mc_predict", "mc_predict_proba"]


def _network_and_input(estimator, X, method):
    """The estimator that has ``method`` and ``X`` as it reaches it."""
    pipeline = isinstance(estimator, Pipeline)
    network = estimator.steps[-1][1] if pipeline else estimator
    if not hasattr(network, method):
        name = type(network).__name__
        found = f"this Pipeline ends in {name}" if pipeline else f"got {name}"
        raise TypeError(f"{method} needs a DeepNet estimator with MC dropout "
                        f"(DeepNetClassifier, DeepNetRegressor) or a Pipeline ending in one; "
                        f"{found}.")
    if pipeline and len(estimator.steps) > 1:
        X = estimator[:-1].transform(X)
    return network, X


def mc_predict(estimator, X, n_samples=30):
    """Monte Carlo dropout predictions of a DeepNet estimator or a pipeline ending in one.

    Calls the network's ``mc_predict`` on ``X`` (transformed by the
    pipeline's earlier steps): a regressor returns the mean prediction and
    its standard deviation over ``n_samples`` stochastic passes, a
    classifier the labels of the averaged probabilities and the standard
    deviation of the predicted class's probability.

    Parameters
    ----------
    estimator : DeepNetClassifier, DeepNetRegressor or Pipeline
        Fitted; a Pipeline's last step is such a network.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Input of ``estimator`` (of the pipeline's first step).
    n_samples : int, default=30
        Number of stochastic forward passes.

    Returns
    -------
    prediction : ndarray
        Mean prediction (regressor) or labels (classifier).
    std : ndarray
        Its standard deviation over the passes.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn import DeepNetRegressor, mc_predict
    >>> X, y = make_regression(n_samples=200, n_features=4, noise=5.0, random_state=0)
    >>> model = make_pipeline(StandardScaler(), DeepNetRegressor(
    ...     n_hidden=2, n_neurons=32, max_iter=20, random_state=0)).fit(X, y / 100)
    >>> mean, std = mc_predict(model, X[:5], n_samples=10)
    >>> mean.shape, bool((std > 0).all())
    ((5,), True)
    """
    network, X = _network_and_input(estimator, X, "mc_predict")
    return network.mc_predict(X, n_samples=n_samples)


def mc_predict_proba(estimator, X, n_samples=30):
    """Monte Carlo dropout probabilities of a DeepNetClassifier or a pipeline ending in one.

    Calls the classifier's ``mc_predict_proba`` on ``X`` (transformed by
    the pipeline's earlier steps): the class probabilities averaged over
    ``n_samples`` stochastic passes and their standard deviation.

    Parameters
    ----------
    estimator : DeepNetClassifier or Pipeline
        Fitted; a Pipeline's last step is a DeepNetClassifier.
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Input of ``estimator`` (of the pipeline's first step).
    n_samples : int, default=30
        Number of stochastic forward passes.

    Returns
    -------
    mean : ndarray of shape (n_samples_X, n_classes)
        Mean probability of each class.
    std : ndarray of shape (n_samples_X, n_classes)
        Standard deviation of each probability over the passes.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn import DeepNetClassifier, mc_predict_proba
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), DeepNetClassifier(
    ...     n_hidden=2, n_neurons=32, max_iter=20, random_state=0)).fit(X, y)
    >>> mean, std = mc_predict_proba(model, X[:3], n_samples=10)
    >>> mean.shape, std.shape
    ((3, 3), (3, 3))
    """
    network, X = _network_and_input(estimator, X, "mc_predict_proba")
    return network.mc_predict_proba(X, n_samples=n_samples)
