"""Every public name is documented with a numpydoc docstring that has a runnable example.

"Public" is what the API reference lists (docs/api_reference.py, which the
docs build renders; every name of ``sknn.__all__`` must have a place there),
plus the methods sknn's estimators add to scikit-learn's estimator API
(``mc_predict_proba``, ``fuse_batch_norm``, ...). tests/test_docstrings.py
runs the examples; this file checks that they exist.
"""

import importlib
import importlib.util
import inspect
import re
from pathlib import Path

import pytest

import sknn

API_REFERENCE = Path(__file__).resolve().parent.parent / "docs" / "api_reference.py"

# Methods of scikit-learn's estimator API: documented by scikit-learn's own
# conventions, not sknn additions.
SKLEARN_API_METHODS = {
    "fit", "partial_fit", "predict", "predict_proba", "predict_log_proba",
    "decision_function", "score", "transform", "fit_transform", "inverse_transform",
    "get_params", "set_params", "get_feature_names_out", "set_output",
    "get_metadata_routing",
}

# Public names allowed to lack a runnable example (none today); an entry
# is a strict xfail, so it must go once its example exists.
KNOWN_WITHOUT_EXAMPLES = set()

_EXAMPLES_SECTION = re.compile(r"^\s*Examples\s*\n\s*-{8,}\s*\n(?P<body>.*)", re.S | re.M)


def _api_sections():
    spec = importlib.util.spec_from_file_location("sknn_docs_api_reference", API_REFERENCE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SECTIONS


def _listed_objects():
    """``{qualified name: object}`` for every name the API reference lists that imports."""
    objects = {}
    for _, module_name, _, names in _api_sections():
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # an optional section (sknn.plot without matplotlib)
            continue
        for name in (names if names is not None else getattr(module, "__all__", ())):
            if hasattr(module, name):
                objects[f"{module_name}.{name}"] = getattr(module, name)
    return objects


def _sknn_additions(cls):
    """Public methods of an estimator class that scikit-learn's estimator API lacks."""
    methods = {}
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") or name in SKLEARN_API_METHODS or name.endswith("_request"):
            continue
        if callable(member) and str(getattr(member, "__module__", "")).startswith("sknn"):
            methods[name] = member
    return methods


def _documented_names():
    objects = _listed_objects()
    names = dict(objects)
    for qualified, obj in objects.items():
        if inspect.isclass(obj) and hasattr(obj, "fit") and hasattr(obj, "get_params"):
            for method, member in _sknn_additions(obj).items():
                names[f"{qualified}.{method}"] = member
    return names


DOCUMENTED = _documented_names()


def _params(names):
    return [pytest.param(name, marks=pytest.mark.xfail(
                strict=True, reason="known: docstring without an Examples section"))
            if name in KNOWN_WITHOUT_EXAMPLES else name
            for name in sorted(names)]


def test_every_name_in_sknn_all_has_a_place_in_the_api_reference():
    listed = {f"{module}.{name}" for _, module, _, names in _api_sections()
              if module == "sknn" for name in names}
    unlisted = [name for name in sknn.__all__
                if not name.startswith("_") and f"sknn.{name}" not in listed]
    assert not unlisted, f"add these to docs/api_reference.py: {unlisted}"


def test_the_estimators_sknn_additions_are_covered():
    # guards the discovery above: these are the additions the docs promise
    for name in ("sknn.MLPClassifier.fuse_batch_norm", "sknn.DeepNetClassifier.mc_predict_proba",
                 "sknn.DeepNetRegressor.mc_predict", "sknn.lr_find", "sknn.search_space"):
        assert name in DOCUMENTED, name
    assert "sknn.MLPClassifier.predict" not in DOCUMENTED
    assert not any(name.endswith(".get_params") for name in DOCUMENTED)


@pytest.mark.parametrize("name", _params(DOCUMENTED))
def test_public_name_has_a_numpydoc_examples_section(name):
    doc = inspect.getdoc(DOCUMENTED[name]) or ""
    match = _EXAMPLES_SECTION.search(doc)
    assert match, f"{name}: no 'Examples' section (numpydoc: 'Examples' underlined with '-')"
    assert ">>>" in match.group("body"), f"{name}: its Examples section has no >>> line"


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_public_name_has_a_summary_line(name):
    doc = inspect.getdoc(DOCUMENTED[name]) or ""
    summary = doc.strip().splitlines()[0] if doc.strip() else ""
    assert summary and not summary.startswith(("Parameters", "Examples")), (
        f"{name}: docstring must open with a one-line summary")


# -- documented defaults are the real ones ---------------------------------------------

_DEFAULT = re.compile(r"default\s*[=:]\s*(?P<value>.+)$")
_NAMED_CONSTANTS = {"np.inf": float("inf"), "numpy.inf": float("inf"), "inf": float("inf")}


def _documented_value(text):
    """The Python value a docstring's ``default=...`` text names."""
    import ast

    text = text.strip().rstrip(".")
    if text in _NAMED_CONSTANTS:
        return _NAMED_CONSTANTS[text]
    return ast.literal_eval(text)


def _same(documented, actual):
    if isinstance(actual, tuple) and not isinstance(documented, tuple):
        documented = (documented,) if len(actual) == 1 else documented
    if isinstance(documented, (tuple, list)) and isinstance(actual, (tuple, list)):
        return len(documented) == len(actual) and all(map(_same, documented, actual))
    if isinstance(documented, bool) or isinstance(actual, bool):
        return documented is actual
    if isinstance(documented, (int, float)) and isinstance(actual, (int, float)):
        return documented == actual or abs(documented - actual) <= 1e-12 * abs(actual)
    return documented == actual


def _parameter_defaults(obj):
    """``[(name, documented text, signature default)]`` of ``obj``'s Parameters section."""
    numpydoc = pytest.importorskip("numpydoc.docscrape")
    doc = numpydoc.NumpyDocString(inspect.getdoc(obj) or "")
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return []
    rows = []
    for parameter in doc["Parameters"]:
        match = _DEFAULT.search(parameter.type)
        if not match:
            continue
        names = [name.strip() for name in parameter.name.split(",")]
        text = match["value"]
        if len(names) > 1:  # "beta_1, beta_2 : float, default=0.9, 0.999"
            values = [value.strip() for value in text.split(",")]
            rows += [(name, value, signature.parameters[name].default)
                     for name, value in zip(names, values) if name in signature.parameters]
        elif names[0] in signature.parameters:
            rows.append((names[0], text, signature.parameters[names[0]].default))
    return rows


def test_every_documented_default_is_checked_somewhere():
    # guards the parser: the estimators document dozens of defaults
    assert len(_parameter_defaults(sknn.DeepNetClassifier)) > 40
    assert ("dropout", "0.2", 0.2) in _parameter_defaults(sknn.DeepNetClassifier)


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_documented_defaults_equal_the_signatures(name):
    wrong = []
    for parameter, text, actual in _parameter_defaults(DOCUMENTED[name]):
        try:
            documented = _documented_value(text)
        except (ValueError, SyntaxError):
            wrong.append(f"{parameter}: default={text!r} is not a Python value")
            continue
        if not _same(documented, actual):
            wrong.append(f"{parameter}: documented default={text}, signature has {actual!r}")
    assert not wrong, f"{name}: " + "; ".join(wrong)


@pytest.mark.parametrize("estimator", ["MLPClassifier", "MLPRegressor", "DeepNetClassifier",
                                       "DeepNetRegressor"])
def test_stochastic_parameters_are_not_documented_for_two_solvers_only(estimator):
    # the DeepNet default solver is 'nadam': a text naming 'sgd' and 'adam' misleads
    numpydoc = pytest.importorskip("numpydoc.docscrape")
    doc = numpydoc.NumpyDocString(inspect.getdoc(getattr(sknn, estimator)))
    descriptions = {parameter.name: " ".join(parameter.desc) for parameter in doc["Parameters"]}
    for name in ("learning_rate_init", "batch_size", "max_iter"):
        assert not re.search(r"'sgd'(/| and )'adam'", descriptions[name]), (name,
                                                                           descriptions[name])
