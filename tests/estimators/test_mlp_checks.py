"""scikit-learn's estimator checks over sknn's MLPs in several configurations."""

import numpy as np
from sklearn.utils.estimator_checks import parametrize_with_checks

from sknn import MLPClassifier, MLPRegressor

SMALL = dict(hidden_layer_sizes=(16,), random_state=0)

CONFIGURATIONS = [
    MLPClassifier(**SMALL),
    MLPClassifier(solver="sgd", **SMALL),
    MLPClassifier(solver="lbfgs", **SMALL),
    MLPClassifier(early_stopping=True, validation_fraction=0.2, learning_rate_init=0.01,
                  **SMALL),
    MLPRegressor(**SMALL),
    MLPRegressor(solver="sgd", learning_rate="adaptive", **SMALL),
    MLPRegressor(solver="lbfgs", **SMALL),
    MLPRegressor(early_stopping=True, validation_fraction=0.2, **SMALL),
    MLPRegressor(loss="poisson", solver="lbfgs", **SMALL),
    # the technique catalog: layers with state, random layers, other solvers and losses
    MLPClassifier(batch_norm=True, solver="nadam", learning_rate="one_cycle",
                  kernel_initializer="auto", **SMALL),
    MLPClassifier(dropout=0.1, activation="gelu", solver="adamw", **SMALL),
    MLPClassifier(solver="lbfgs", label_smoothing=0.1, **SMALL),
    MLPRegressor(activation="prelu", loss="huber", solver="rmsprop", l1=1e-4, clip_norm=5.0,
                 max_norm=3.0, **SMALL),
]

# With early stopping, a sample repeated k times can land on both sides of the
# validation split while a sample of weight k cannot, so the two fits differ.
SPLIT_WEIGHT_REASON = (
    "the early-stopping split of repeated samples differs from that of weighted ones"
)
# scikit-learn's contract, enforced by its own shipped test
# (test_mlp_partial_fit_after_fit): partial_fit raises with early_stopping=True.
PARTIAL_FIT_REASON = "partial_fit raises ValueError with early_stopping=True, as scikit-learn's"
PARTIAL_FIT_CHECKS = ("check_fit_score_takes_y", "check_n_features_in_after_fitting",
                      "check_estimators_partial_fit_n_features")


# Batch statistics count a repeated sample twice and a weighted one once, and
# dropout masks depend on how many samples a batch holds.
BATCH_WEIGHT_REASON = "batch-norm statistics and dropout masks are not sample-weighted"


def expected_failures(estimator):
    failures = {}
    if estimator.early_stopping:
        failures = {check: PARTIAL_FIT_REASON for check in PARTIAL_FIT_CHECKS}
    weight_reason = (SPLIT_WEIGHT_REASON if estimator.early_stopping else
                     BATCH_WEIGHT_REASON if estimator.batch_norm or estimator.dropout else None)
    if weight_reason:
        for data in ("dense", "sparse"):
            failures[f"check_sample_weight_equivalence_on_{data}_data"] = weight_reason
    return failures


@parametrize_with_checks(CONFIGURATIONS, expected_failed_checks=expected_failures)
def test_sklearn_estimator_checks_pass(estimator, check):
    check(estimator)


def test_multilabel_configuration_passes_fit_and_predict_checks():
    X = np.random.RandomState(0).rand(40, 5)
    Y = (X[:, :3] > 0.5).astype(int)
    clf = MLPClassifier(solver="lbfgs", max_iter=500, random_state=0).fit(X, Y)
    assert clf.predict(X).shape == Y.shape
    assert (clf.predict(X) == Y).mean() > 0.9
