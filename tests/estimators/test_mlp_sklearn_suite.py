"""scikit-learn's own MLP tests, run against sknn with the import swapped.

The test module shipped inside the installed scikit-learn is read, its
``from sklearn.neural_network import MLPClassifier, MLPRegressor`` line is
replaced by sknn's, and every test it defines is collected here. Tests that
call scikit-learn private helpers sknn lacks would be listed in ``EXCLUDED``.
"""

from tests.sklearn_suite import load_swapped_tests

# name -> reason. None today: sknn keeps `_loss_grad_lbfgs`, `_optimizer` and
# `_no_improvement_count`, which the shipped tests read.
EXCLUDED: dict[str, str] = {}

_module, _tests = load_swapped_tests(
    "neural_network/tests/test_mlp.py",
    "from sklearn.neural_network import MLPClassifier, MLPRegressor",
    "from sknn import MLPClassifier, MLPRegressor", EXCLUDED)
globals().update(_tests)


def test_swapped_suite_uses_sknn_classes():
    assert _module.MLPClassifier.__module__.startswith("sknn")
    assert _module.MLPRegressor.__module__.startswith("sknn")
