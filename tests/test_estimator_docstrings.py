"""The estimators' docstrings, composed from shared templates, document each parameter once.

The MLP and DeepNet estimators share their parameter paragraphs
(sknn/estimators/mlp.py, ``_docstring``): defaults come from each class's
signature and two paragraphs are slots each estimator fills. These tests
check what that composition promises; tests/test_public_api_docs.py checks
the documented defaults and the examples.
"""

import inspect

import pytest

import sknn

numpydoc = pytest.importorskip("numpydoc.docscrape")

PUBLIC_CALLABLES = [name for name in sknn.__all__ if callable(getattr(sknn, name))]


def _documented_parameters(obj):
    doc = numpydoc.NumpyDocString(inspect.getdoc(obj))
    return [name.strip() for parameter in doc["Parameters"] for name in parameter.name.split(",")]


@pytest.mark.parametrize("name", PUBLIC_CALLABLES)
def test_every_parameter_of_the_signature_is_documented(name):
    obj = getattr(sknn, name)
    documented = {name.lstrip("*") for name in _documented_parameters(obj)}
    missing = [parameter for parameter in inspect.signature(obj).parameters
               if parameter not in documented]
    assert not missing, f"{name} does not document {missing}"


@pytest.mark.parametrize("name", PUBLIC_CALLABLES)
def test_no_parameter_is_documented_twice(name):
    documented = _documented_parameters(getattr(sknn, name))
    assert sorted(set(documented)) == sorted(documented)


@pytest.mark.parametrize("name", PUBLIC_CALLABLES)
def test_no_template_placeholder_is_left_in_the_docstring(name):
    assert "${" not in getattr(sknn, name).__doc__


def test_the_deep_nets_show_their_own_defaults_in_the_shared_paragraphs():
    mlp, deep = sknn.MLPClassifier.__doc__, sknn.DeepNetClassifier.__doc__
    assert "activation : str, default='relu'" in mlp
    assert "activation : str, default='swish'" in deep
    assert "activation : str, default='elu'" in sknn.DeepNetRegressor.__doc__
    assert "max_iter : int or 'auto', default='auto'" in deep
    assert "dropout : float or list of float, default=0.2" in deep
    # the slot paragraphs: the DeepNet estimators document these with their own meaning
    assert "hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)" in mlp
    assert "hidden_layer_sizes : array-like of shape (n_layers - 2,) or None, default=None" in deep
    assert "batch_norm : bool or 'auto', default='auto'" in deep
