"""Load a test module shipped inside the installed scikit-learn with one import swapped."""

import pathlib
import types

import pytest
import sklearn


def load_swapped_tests(relative_path, sklearn_import, sknn_import, excluded=None):
    """Return ``(module, tests)``: scikit-learn's tests at ``relative_path`` run on sknn.

    ``sklearn_import`` (an exact line of the module) is replaced by
    ``sknn_import``; tests named in ``excluded`` (name -> reason) are skipped.
    """
    source = pathlib.Path(sklearn.__file__).parent / relative_path
    code = source.read_text()
    assert sklearn_import in code, f"scikit-learn's {relative_path} changed its import line"
    module = types.ModuleType("sklearn_" + source.stem + "_with_sknn")
    module.__file__ = str(source)
    exec(compile(code.replace(sklearn_import, sknn_import), str(source), "exec"),
         module.__dict__)
    tests = {}
    for name, test in vars(module).items():
        if name.startswith("test_") and callable(test):
            if name in (excluded or {}):
                test = pytest.mark.skip(reason=excluded[name])(test)
            tests[name] = test
    return module, tests
