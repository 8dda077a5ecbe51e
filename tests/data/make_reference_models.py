"""Write the reference models that guard bit-identical training and old pickles.

Run once with the version whose results are the reference (it was run at
commit 8e05074, before the restructuring of issue 14)::

    python tests/data/make_reference_models.py

For every configuration in :data:`CONFIGS` it fits the estimator on a small
fixed problem and saves, in ``reference_models.joblib``, the pickled fitted
estimator and its outputs (``predict`` and, where there is one,
``predict_proba`` / ``transform``) on fixed rows. ``tests/test_reference_models.py``
refits every configuration and requires the same outputs bit for bit, and
loads the old pickles and requires them to predict as they did.
"""

from __future__ import annotations

import io
import pathlib
import warnings

import joblib
import numpy as np
from sklearn.base import clone

from sknn import (DeepNetClassifier, DeepNetRegressor, MLPClassifier, MLPRegressor,
                  PerceptronClassifier, StackedAutoencoder)

HERE = pathlib.Path(__file__).parent
PATH = HERE / "reference_models.joblib"


def problem(kind):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 6))
    if kind == "classification":
        y = (X[:, 0] + X[:, 1] ** 2 > 0.5).astype(int) + (X[:, 2] > 1)
    elif kind == "multilabel":
        y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] > 0.5]).astype(int)
    elif kind == "regression":
        y = X[:, 0] - 2 * X[:, 1] * X[:, 2] + 0.1 * rng.normal(size=120)
    elif kind == "counts":
        y = rng.poisson(np.exp(0.5 * X[:, 0]))
    else:
        y = None
    return X, y


#: name -> (estimator, problem kind)
CONFIGS = {
    "mlp_clf_adam": (
        MLPClassifier(hidden_layer_sizes=(7,), max_iter=15, random_state=0), "classification"),
    "mlp_clf_sgd_adaptive": (
        MLPClassifier(hidden_layer_sizes=(7, 5), solver="sgd", learning_rate="adaptive",
                      max_iter=15, random_state=1), "classification"),
    "mlp_clf_lbfgs": (
        MLPClassifier(hidden_layer_sizes=(6,), solver="lbfgs", max_iter=30, random_state=2),
        "classification"),
    "mlp_clf_early_stopping": (
        MLPClassifier(hidden_layer_sizes=(8,), early_stopping=True, max_iter=20,
                      random_state=3), "classification"),
    "mlp_clf_multilabel": (
        MLPClassifier(hidden_layer_sizes=(8,), max_iter=15, random_state=4), "multilabel"),
    "mlp_reg_adam": (
        MLPRegressor(hidden_layer_sizes=(9,), max_iter=15, random_state=5), "regression"),
    "mlp_reg_sgd_invscaling": (
        MLPRegressor(hidden_layer_sizes=(9,), solver="sgd", learning_rate="invscaling",
                     max_iter=15, random_state=6), "regression"),
    "mlp_reg_lbfgs_tanh": (
        MLPRegressor(hidden_layer_sizes=(5, 4), activation="tanh", solver="lbfgs", max_iter=30,
                     random_state=7), "regression"),
    "mlp_reg_huber_bounded": (
        MLPRegressor(hidden_layer_sizes=(6,), loss="huber", huber_delta=0.5,
                     output_activation="tanh", output_bounds=(-12, 12), max_iter=15,
                     random_state=8), "regression"),
    "mlp_reg_poisson": (
        MLPRegressor(hidden_layer_sizes=(6,), loss="poisson", max_iter=15, random_state=9),
        "counts"),
    "deep_clf_default": (
        DeepNetClassifier(n_hidden=2, n_neurons=16, max_iter=6, random_state=10),
        "classification"),
    "deep_clf_prelu_bn_after": (
        DeepNetClassifier(n_hidden=2, n_neurons=12, activation="prelu", batch_norm=True,
                          batch_norm_position="after", solver="adamw", max_iter=5,
                          random_state=11), "classification"),
    "deep_clf_selu_alpha_dropout": (
        DeepNetClassifier(n_hidden=2, n_neurons=12, activation="selu", dropout=0.1,
                          solver="rmsprop", max_iter=5, random_state=12), "classification"),
    "deep_clf_regularized": (
        DeepNetClassifier(n_hidden=2, n_neurons=10, l1=1e-3, alpha=1e-3, max_norm=2.0,
                          clip_norm=1.0, solver="adamax", learning_rate="exponential",
                          max_iter=5, random_state=13), "classification"),
    "deep_clf_early_stopping": (
        DeepNetClassifier(n_hidden=2, n_neurons=10, early_stopping=True, solver="adagrad",
                          learning_rate="constant", max_iter=8, random_state=14),
        "classification"),
    "deep_reg_default": (
        DeepNetRegressor(n_hidden=2, n_neurons=16, max_iter=6, random_state=15), "regression"),
    "deep_reg_sgd_leaky": (
        DeepNetRegressor(n_hidden=2, n_neurons=8, activation="leaky_relu", solver="sgd",
                         learning_rate="adaptive", learning_rate_init=0.01, max_iter=6,
                         random_state=16), "regression"),
    "autoencoder": (
        StackedAutoencoder(hidden_layer_sizes=(4, 2), max_iter=5, random_state=17),
        "unsupervised"),
    "autoencoder_lbfgs": (
        StackedAutoencoder(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=10,
                           random_state=18), "unsupervised"),
    "perceptron": (PerceptronClassifier(random_state=19), "classification"),
    # fitted on top of a fitted deep_clf_default (see :func:`fit`)
    "deep_clf_transfer": (
        DeepNetClassifier(n_hidden=2, n_neurons=16, max_iter=4, frozen_layers=1,
                          new_hidden_layers=(5,), random_state=20), "classification"),
}


def outputs(estimator, X):
    """Every output the estimator has on ``X``, by method name."""
    result = {}
    for method in ("predict", "predict_proba", "transform", "inverse_transform"):
        if hasattr(estimator, method):
            if method == "inverse_transform":
                result[method] = estimator.inverse_transform(estimator.transform(X))
            else:
                result[method] = getattr(estimator, method)(X)
    return result


def fit(name, **params):
    """A fresh fit of configuration ``name``, with ``params`` changed."""
    estimator, kind = CONFIGS[name]
    estimator = clone(estimator).set_params(**params)
    if name == "deep_clf_transfer":
        estimator.set_params(pretrained=fit("deep_clf_default", **params))
    X, y = problem(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if y is None:
            return estimator.fit(X)
        return estimator.fit(X, y)


def main():
    reference = {}
    for name, (_, kind) in CONFIGS.items():
        estimator = fit(name)
        X, _ = problem(kind)
        reference[name] = {"pickle": pickled(estimator), "outputs": outputs(estimator, X)}
    joblib.dump(reference, PATH, compress=3)
    print(f"wrote {len(reference)} reference models to {PATH}")


def pickled(estimator):
    """The bytes ``joblib.dump`` writes for ``estimator``."""
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    return buffer.getvalue()


if __name__ == "__main__":
    main()
