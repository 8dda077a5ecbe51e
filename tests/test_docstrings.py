"""Every docstring example in the package runs and prints what it claims."""

import doctest
import importlib
import importlib.util
import pkgutil

import pytest

import sknn

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(sknn.__path__, prefix="sknn.")
    if "torch" not in info.name
    # sknn.onnx needs the onnx extra
    and (info.name != "sknn.onnx" or importlib.util.find_spec("skl2onnx") is not None)
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
