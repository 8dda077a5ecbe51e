"""label_smoothing on the classifiers: what the trained probabilities and losses become."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.utils._param_validation import InvalidParameterError

from sknn import DeepNetClassifier, MLPClassifier

EPS = 0.1
# three well-separated blobs: without smoothing the fit goes to certainty
X, Y_MULTICLASS = make_blobs(120, centers=[[-4, 0], [4, 0], [0, 5]], cluster_std=0.5,
                             random_state=0)
TARGETS = {
    "multiclass": (Y_MULTICLASS, 1 - EPS + EPS / 3),
    "binary": (Y_MULTICLASS == 0, 1 - EPS / 2),
    "multilabel": (np.column_stack([Y_MULTICLASS == 0, Y_MULTICLASS != 1]), 1 - EPS / 2),
}
EXACT = dict(hidden_layer_sizes=(8,), solver="lbfgs", alpha=0.0, max_iter=500, random_state=0)


def _confidence(model, y):
    """The probability each sample's predicted class (label) gets."""
    proba = model.predict_proba(X)
    return proba.max(axis=1) if np.ndim(y) == 1 else np.maximum(proba, 1 - proba)


def _smoothed_cross_entropy(proba, y, sample_weight):
    """The weighted mean cross-entropy of multiclass ``proba`` to the smoothed labels."""
    n_classes = proba.shape[1]
    soft = np.eye(n_classes)[y] * (1 - EPS) + EPS / n_classes
    return np.average(-(soft * np.log(proba)).sum(axis=1), weights=sample_weight)


@pytest.mark.parametrize("case", TARGETS)
def test_a_separable_fit_predicts_the_smoothed_target_instead_of_certainty(case):
    y, smoothed_confidence = TARGETS[case]
    plain = MLPClassifier(**EXACT).fit(X, y)
    smoothed = MLPClassifier(label_smoothing=EPS, **EXACT).fit(X, y)
    assert _confidence(plain, y).min() > 0.999
    np.testing.assert_allclose(_confidence(smoothed, y), smoothed_confidence, atol=0.015)
    assert (smoothed.predict(X) == y).all()


def test_a_deep_net_with_smoothing_stays_near_the_smoothed_target():
    params = dict(n_hidden=2, n_neurons=16, activation="elu", batch_norm=False, dropout=0.0,
                  max_iter=20, random_state=0)
    plain = DeepNetClassifier(**params).fit(X, Y_MULTICLASS)
    smoothed = DeepNetClassifier(label_smoothing=EPS, **params).fit(X, Y_MULTICLASS)
    assert _confidence(plain, Y_MULTICLASS).mean() > 0.98
    assert _confidence(smoothed, Y_MULTICLASS).mean() == pytest.approx(1 - EPS + EPS / 3,
                                                                        abs=0.01)


@pytest.mark.parametrize("weighting", ["sample_weight", "class_weight"])
def test_the_training_loss_is_the_weighted_cross_entropy_to_the_smoothed_labels(weighting):
    weights = np.random.RandomState(0).uniform(0.2, 3.0, size=len(X))
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    if weighting == "sample_weight":
        model = MLPClassifier(label_smoothing=EPS, **EXACT).fit(X, Y_MULTICLASS, weights)
    else:
        model = MLPClassifier(label_smoothing=EPS, class_weight=class_weight, **EXACT).fit(
            X, Y_MULTICLASS)
        weights = np.vectorize(class_weight.get)(Y_MULTICLASS)
    expected = _smoothed_cross_entropy(model.predict_proba(X), Y_MULTICLASS, weights)
    assert model.loss_ == pytest.approx(expected, rel=1e-6)
    # a cross-entropy is at least the entropy of its targets, reached at the optimum
    soft = np.array([1 - EPS + EPS / 3, EPS / 3, EPS / 3])
    assert -(soft * np.log(soft)).sum() <= model.loss_ < -(soft * np.log(soft)).sum() + 0.01


def test_the_validation_loss_is_the_cross_entropy_to_the_smoothed_labels():
    train, val = slice(0, 90), slice(90, None)
    model = DeepNetClassifier(n_hidden=1, n_neurons=8, max_iter=5, dtype="float64",
                              label_smoothing=EPS, random_state=0).fit(
        X[train], Y_MULTICLASS[train], validation_data=(X[val], Y_MULTICLASS[val]))
    expected = _smoothed_cross_entropy(model.predict_proba(X[val]), Y_MULTICLASS[val], None)
    assert model.history_["val_loss"][-1] == pytest.approx(expected, rel=1e-9)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_partial_fit_trains_against_the_smoothed_labels_as_fit_does():
    params = dict(hidden_layer_sizes=(8,), label_smoothing=EPS, shuffle=False, random_state=0)
    streamed = MLPClassifier(**params)
    for _ in range(3):
        streamed.partial_fit(X, Y_MULTICLASS, classes=[0, 1, 2])
    fitted = MLPClassifier(max_iter=3, **params).fit(X, Y_MULTICLASS)
    plain = MLPClassifier(max_iter=3, **{**params, "label_smoothing": 0.0}).fit(X, Y_MULTICLASS)
    np.testing.assert_allclose(streamed.loss_curve_, fitted.loss_curve_, rtol=1e-12)
    assert not np.allclose(fitted.loss_curve_, plain.loss_curve_)


@pytest.mark.parametrize("estimator", [MLPClassifier, DeepNetClassifier])
@pytest.mark.parametrize("smoothing", [1.0, -0.1, 2])
def test_label_smoothing_outside_zero_to_one_is_refused(estimator, smoothing):
    with pytest.raises(InvalidParameterError, match="'label_smoothing' parameter"):
        estimator(label_smoothing=smoothing).fit(X, Y_MULTICLASS)
