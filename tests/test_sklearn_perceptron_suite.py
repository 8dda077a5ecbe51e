"""scikit-learn's own Perceptron tests, run against sknn with the import swapped.

The test module shipped inside the installed scikit-learn is read, its
``from sklearn.linear_model import Perceptron`` line is replaced by an import
of :class:`sknn.PerceptronClassifier` under the name ``Perceptron``, and every
test it defines is collected here (the mechanism of test_sklearn_mlp_suite.py).
"""

import pathlib
import types

import sklearn

SOURCE = pathlib.Path(sklearn.__file__).parent / "linear_model" / "tests" / "test_perceptron.py"
SKLEARN_IMPORT = "from sklearn.linear_model import Perceptron"


def _load_swapped_module():
    code = SOURCE.read_text()
    assert SKLEARN_IMPORT in code, "scikit-learn's test module changed its import line"
    code = code.replace(SKLEARN_IMPORT, "from sknn import PerceptronClassifier as Perceptron")
    module = types.ModuleType("sklearn_test_perceptron_with_sknn")
    module.__file__ = str(SOURCE)
    exec(compile(code, str(SOURCE), "exec"), module.__dict__)
    return module


_module = _load_swapped_module()

for _name, _test in vars(_module).items():
    if _name.startswith("test_") and callable(_test):
        globals()[_name] = _test


def test_swapped_suite_uses_sknn_class():
    assert _module.Perceptron.__module__.startswith("sknn")
