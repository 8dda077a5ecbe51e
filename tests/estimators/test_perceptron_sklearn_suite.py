"""scikit-learn's own Perceptron tests, run against sknn with the import swapped.

The test module shipped inside the installed scikit-learn is read, its
``from sklearn.linear_model import Perceptron`` line is replaced by an import
of :class:`sknn.PerceptronClassifier` under the name ``Perceptron``, and every
test it defines is collected here.
"""

from tests.sklearn_suite import load_swapped_tests

_module, _tests = load_swapped_tests(
    "linear_model/tests/test_perceptron.py",
    "from sklearn.linear_model import Perceptron",
    "from sknn import PerceptronClassifier as Perceptron")
globals().update(_tests)


def test_swapped_suite_uses_sknn_class():
    assert _module.Perceptron.__module__.startswith("sknn")
