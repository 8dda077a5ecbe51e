"""scikit-learn's own MLP tests, run against sknn with the import swapped.

The test module shipped inside the installed scikit-learn is read, its
``from sklearn.neural_network import MLPClassifier, MLPRegressor`` line is
replaced by sknn's, and every test it defines is collected here. Tests that
call scikit-learn private helpers sknn lacks would be listed in ``EXCLUDED``.
"""

import pathlib
import types

import pytest
import sklearn

SOURCE = pathlib.Path(sklearn.__file__).parent / "neural_network" / "tests" / "test_mlp.py"
SKLEARN_IMPORT = "from sklearn.neural_network import MLPClassifier, MLPRegressor"

# Tests calling scikit-learn private helpers that sknn does not provide go here,
# name -> reason. None today: sknn keeps `_loss_grad_lbfgs`, `_optimizer` and
# `_no_improvement_count`, which the shipped tests read.
EXCLUDED: dict[str, str] = {}


def _load_swapped_module():
    code = SOURCE.read_text()
    assert SKLEARN_IMPORT in code, "scikit-learn's test module changed its import line"
    code = code.replace(SKLEARN_IMPORT, "from sknn import MLPClassifier, MLPRegressor")
    module = types.ModuleType("sklearn_test_mlp_with_sknn")
    module.__file__ = str(SOURCE)
    exec(compile(code, str(SOURCE), "exec"), module.__dict__)
    return module


_module = _load_swapped_module()

for _name, _test in vars(_module).items():
    if _name.startswith("test_") and callable(_test):
        if _name in EXCLUDED:
            _test = pytest.mark.skip(reason=EXCLUDED[_name])(_test)
        globals()[_name] = _test


def test_swapped_suite_uses_sknn_classes():
    assert _module.MLPClassifier.__module__.startswith("sknn")
    assert _module.MLPRegressor.__module__.startswith("sknn")
