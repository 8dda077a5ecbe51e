"""Every docstring example in the package runs and prints what it claims."""

import doctest
import importlib
import pkgutil

import pytest

import sknn
from tests._optional import installed

MODULE_EXTRAS = {"sknn.onnx": ("skl2onnx", "onnxruntime"),
                 "sknn.search": ("optuna",), "sknn.callbacks": ("optuna",)}

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(sknn.__path__, prefix="sknn.")
    if "torch" not in info.name
    # examples of optional integrations need their extra
    and all(installed(package) for package in MODULE_EXTRAS.get(info.name, ()))
)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert failures == 0


def test_public_estimators_have_examples():
    for name in sknn.__all__:
        obj = getattr(sknn, name)
        if isinstance(obj, type):
            assert "Examples" in obj.__doc__ and ">>>" in obj.__doc__, name
