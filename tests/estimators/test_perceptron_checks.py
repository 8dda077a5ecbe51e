"""scikit-learn's estimator checks over PerceptronClassifier in several configurations."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sknn import PerceptronClassifier

# scikit-learn runs its own Perceptron's checks with max_iter=5.
CONFIGURATIONS = [
    PerceptronClassifier(max_iter=5),
    PerceptronClassifier(max_iter=5, step_function="heaviside"),
    PerceptronClassifier(max_iter=5, penalty="l2", shuffle=False),
    PerceptronClassifier(max_iter=5, penalty="elasticnet", class_weight="balanced"),
    PerceptronClassifier(max_iter=5, batch_size=8, penalty="l1"),
    PerceptronClassifier(max_iter=5, batch_size=4, penalty="l2"),
    PerceptronClassifier(max_iter=5, early_stopping=True, validation_fraction=0.2),
]

# The same excuse scikit-learn's instance_generator.py gives its Perceptron:
# the visiting order of a sample repeated k times differs from that of one
# sample of weight k, and with shuffling the orders differ altogether, so the
# sequence of mistakes (and the weights) differ.
WEIGHT_REASON = "sample_weight is not equivalent to removing/repeating samples."
PARTIAL_FIT_REASON = "partial_fit raises ValueError with early_stopping=True, as scikit-learn's"
PARTIAL_FIT_CHECKS = ("check_fit_score_takes_y", "check_n_features_in_after_fitting",
                      "check_estimators_partial_fit_n_features")


def expected_failures(estimator):
    failures = {f"check_sample_weight_equivalence_on_{data}_data": WEIGHT_REASON
                for data in ("dense", "sparse")}
    if estimator.early_stopping:
        failures.update({check: PARTIAL_FIT_REASON for check in PARTIAL_FIT_CHECKS})
    return failures


@parametrize_with_checks(CONFIGURATIONS, expected_failed_checks=expected_failures)
def test_sklearn_estimator_checks_pass(estimator, check):
    check(estimator)
