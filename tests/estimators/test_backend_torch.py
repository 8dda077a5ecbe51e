"""``backend='torch'`` on the estimators: same fits, NumPy artifacts, optional torch."""

import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.utils.estimator_checks import parametrize_with_checks

from sknn import DeepNetClassifier, DeepNetRegressor, MLPClassifier, MLPRegressor
from tests.estimators.test_deep_net import expected_failures as deep_net_expected_failures
from tests.estimators.test_mlp_checks import expected_failures as mlp_expected_failures

torch = pytest.importorskip("torch")

SMALL = dict(hidden_layer_sizes=(8,), random_state=0, max_iter=5)


@pytest.mark.parametrize("params", [dict(solver="adam"), dict(solver="sgd"),
                                    dict(solver="lbfgs"),
                                    dict(solver="rmsprop", batch_norm=True, alpha=0.01,
                                         clip_norm=1.0, max_norm=2.0, l1=1e-3),
                                    dict(solver="adam", label_smoothing=0.1),
                                    dict(solver="lbfgs", label_smoothing=0.1)],
                         ids=["adam", "sgd", "lbfgs", "techniques", "adam-smoothed",
                              "lbfgs-smoothed"])
def test_both_backends_fit_the_same_classifier(params):
    X, y = make_classification(n_samples=120, n_features=6, random_state=0)
    fits = [MLPClassifier(backend=backend, **SMALL, **params).fit(X, y)
            for backend in ("numpy", "torch")]
    for a, b in zip(fits[0].coefs_ + fits[0].intercepts_, fits[1].coefs_ + fits[1].intercepts_):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-8)
    assert fits[1].loss_ == pytest.approx(fits[0].loss_, rel=1e-6)
    np.testing.assert_allclose(fits[1].predict_proba(X), fits[0].predict_proba(X), atol=1e-8)
    assert all(isinstance(w, np.ndarray) for w in fits[1].coefs_)


def test_torch_regressor_with_partial_fit_and_validation():
    X, y = make_regression(n_samples=100, n_features=5, random_state=0)
    model = MLPRegressor(backend="torch", device="cpu", early_stopping=True,
                         **SMALL).fit(X, y / 100)
    assert len(model.validation_scores_) == model.n_iter_
    model = MLPRegressor(backend="torch", **SMALL)
    model.partial_fit(X, y / 100).partial_fit(X, y / 100)
    assert model.predict(X).shape == (100,)


def test_an_unknown_device_is_a_value_error():
    X, y = make_regression(n_samples=20, n_features=3, random_state=0)
    with pytest.raises(ValueError, match="device"):
        MLPRegressor(backend="torch", device="nonsense", **SMALL).fit(X, y)


_WITHOUT_TORCH = textwrap.dedent("""
    import importlib.abc, pickle, sys

    class NoTorch(importlib.abc.MetaPathFinder):  # importing torch now fails
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    sys.meta_path.insert(0, NoTorch())
    import numpy as np
    from sknn import MLPRegressor
    X = np.random.RandomState(0).normal(size=(30, 3)); y = X.sum(axis=1)
    model = MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, y)
    assert model.predict(X).shape == (30,)
    with open(sys.argv[1], "rb") as f:
        trained_with_torch = pickle.load(f)
    np.save(sys.argv[2], trained_with_torch.predict(X))
    try:
        MLPRegressor(backend="torch", max_iter=1).fit(X, y)
    except ImportError as error:
        assert "pip install sknn-learn[torch]" in str(error), error
    else:
        raise AssertionError("backend='torch' without torch did not raise")
    assert "torch" not in sys.modules
""")


def test_without_torch_numpy_fits_and_a_torch_trained_model_predicts(tmp_path):
    X = np.random.RandomState(0).normal(size=(30, 3))
    model = MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0,
                         backend="torch", batch_norm=True).fit(X, X.sum(axis=1))
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model))
    script = tmp_path / "script.py"
    script.write_text(_WITHOUT_TORCH)
    # the sknn under test, not whichever the environment has installed
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH"))
        if p))
    result = subprocess.run([sys.executable, str(script), str(path), str(tmp_path / "p.npy")],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(np.load(tmp_path / "p.npy"), model.predict(X), rtol=1e-12)


_CHECKED = dict(hidden_layer_sizes=(16,), random_state=0, backend="torch")
_CHECKED_DEEP = dict(n_hidden=2, n_neurons=8, max_iter=20, random_state=0, backend="torch")

# The NumPy configurations' counterparts (tests/estimators/test_mlp_checks.py,
# tests/estimators/test_deep_net.py), with the same expected failures and reasons.
TORCH_CONFIGURATIONS = [
    MLPClassifier(**_CHECKED),
    MLPClassifier(solver="sgd", momentum=0.9, nesterovs_momentum=True, **_CHECKED),
    MLPClassifier(batch_norm=True, dropout=0.1, solver="nadam", **_CHECKED),
    MLPRegressor(**_CHECKED),
    MLPRegressor(solver="lbfgs", **_CHECKED),
    DeepNetClassifier(early_stopping=True, validation_fraction=0.2, **_CHECKED_DEEP),
    DeepNetRegressor(dropout=0.0, dtype="float64", **_CHECKED_DEEP),
]


def _expected_failures(estimator):
    if isinstance(estimator, (DeepNetClassifier, DeepNetRegressor)):
        return deep_net_expected_failures(estimator)
    return mlp_expected_failures(estimator)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(TORCH_CONFIGURATIONS, expected_failed_checks=_expected_failures)
def test_sklearn_estimator_checks_pass_with_the_torch_backend(estimator, check):
    check(estimator)


@pytest.mark.parametrize("device, available", [
    ("cuda", torch.cuda.is_available()), ("cuda:0", torch.cuda.is_available()),
    ("mps", getattr(torch.backends, "mps", None) is not None
     and torch.backends.mps.is_available())])
def test_an_unavailable_device_is_a_value_error_naming_it(device, available):
    if available:
        pytest.skip(f"{device} is available here")
    X, y = make_regression(n_samples=20, n_features=3, random_state=0)
    with pytest.raises(ValueError, match=f"device='{device}'.*not available"):
        MLPRegressor(backend="torch", device=device, **SMALL).fit(X, y)


class TorchFreePickler(pickle.Pickler):
    """Fails on any torch object: a fitted model must hold NumPy only."""

    def reducer_override(self, obj):
        if isinstance(obj, (torch.Tensor, torch.device, torch.nn.Module,
                            torch.optim.Optimizer, torch.Generator)):
            raise AssertionError(f"the fitted model holds a torch object: {type(obj)}")
        return NotImplemented


@pytest.mark.parametrize("solver", ["adam", "nadam", "lbfgs"])
def test_a_torch_fitted_model_holds_no_torch_object(solver):
    import io

    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    model = MLPClassifier(backend="torch", solver=solver, batch_norm=solver != "lbfgs",
                          early_stopping=solver == "adam", **SMALL).fit(X, y)
    TorchFreePickler(io.BytesIO()).dump(model)
    with pytest.raises(AssertionError, match="torch object"):  # the pickler does look
        TorchFreePickler(io.BytesIO()).dump({"model": model, "x": torch.zeros(1)})


@pytest.mark.parametrize("learning_rate", ["constant", "cosine", "exponential", "invscaling",
                                           "one_cycle", "piecewise", "plateau", "power",
                                           "adaptive"])
def test_both_backends_follow_every_schedule_alike(learning_rate):
    X, y = make_regression(n_samples=80, n_features=4, noise=1.0, random_state=0)
    fits = [MLPRegressor(backend=backend, solver="sgd", learning_rate=learning_rate,
                         learning_rate_init=0.01, batch_size=16, **SMALL).fit(X, y / 100)
            for backend in ("numpy", "torch")]
    for a, b in zip(fits[0].coefs_ + fits[0].intercepts_, fits[1].coefs_ + fits[1].intercepts_):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-9)
    assert fits[1].history_["learning_rate"] == fits[0].history_["learning_rate"]
    assert all(type(loss) is float for loss in fits[1].loss_curve_)
    np.testing.assert_allclose(fits[1].loss_curve_, fits[0].loss_curve_, rtol=1e-9)


from sknn.nn.optimizers import OPTIMIZERS  # noqa: E402

_CONTINUED = dict(hidden_layer_sizes=(8,), random_state=0, shuffle=False, batch_size=16,
                  learning_rate_init=0.01)


def _assert_same_weights(a, b, atol=1e-6):
    for x, y in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_allclose(x, y, rtol=0, atol=atol)


def _regression_data():
    X, y = make_regression(n_samples=80, n_features=4, noise=1.0, random_state=0)
    return X, y / 100


@pytest.mark.parametrize("solver", OPTIMIZERS.names())
def test_torch_partial_fit_continues_the_optimizer_state(solver):
    X, y = _regression_data()
    fits = []
    for backend in ("numpy", "torch"):
        model = MLPRegressor(backend=backend, solver=solver, **_CONTINUED)
        for _ in range(4):
            model.partial_fit(X, y)
        fits.append(model)
    _assert_same_weights(fits[1], fits[0])
    numpy_opt, torch_opt = fits[0]._optimizer, fits[1]._optimizer
    assert torch_opt.n_steps == numpy_opt.n_steps == 4 * 5
    # exported in the NumPy layout and dtype, and it survives pickling
    restored = pickle.loads(pickle.dumps(fits[1]))._optimizer.state_dict()
    expected_state = numpy_opt.state_dict()
    assert set(restored) == set(expected_state)
    for name, expected in expected_state.items():
        value = restored[name]
        if isinstance(expected, np.ndarray):
            assert value.dtype == expected.dtype == np.float64
        np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-9, err_msg=name)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver", OPTIMIZERS.names())
def test_torch_warm_start_continues_weights_and_optimizer_state(solver):
    X, y = _regression_data()
    params = dict(backend="torch", solver=solver, tol=0, **_CONTINUED)
    in_one_go = MLPRegressor(max_iter=6, **params).fit(X, y)
    in_two_fits = MLPRegressor(max_iter=3, warm_start=True, **params).fit(X, y)
    in_two_fits.fit(X, y)
    np.testing.assert_allclose(in_two_fits.predict(X), in_one_go.predict(X), rtol=1e-10)
    assert in_two_fits._optimizer.n_steps == in_one_go._optimizer.n_steps
    assert len(in_two_fits.loss_curve_) == 6


@pytest.mark.parametrize("first, second", [("torch", "numpy"), ("numpy", "torch")])
@pytest.mark.parametrize("solver", OPTIMIZERS.names())
def test_switching_backend_between_partial_fits_continues(solver, first, second):
    X, y = _regression_data()
    mixed = MLPRegressor(backend=first, solver=solver, **_CONTINUED).partial_fit(X, y)
    mixed.set_params(backend=second).partial_fit(X, y)
    numpy_only = MLPRegressor(backend="numpy", solver=solver, **_CONTINUED)
    numpy_only.partial_fit(X, y).partial_fit(X, y)
    _assert_same_weights(mixed, numpy_only)
    assert mixed._optimizer.n_steps == numpy_only._optimizer.n_steps


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_float32_torch_fit_exports_float32_state():
    X, y = _regression_data()
    model = MLPRegressor(backend="torch", max_iter=2, **_CONTINUED)
    model.fit(X.astype(np.float32), y.astype(np.float32))
    state = model._optimizer.state_dict()
    assert state["m"].dtype == state["v"].dtype == np.float32
