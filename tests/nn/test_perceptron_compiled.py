"""The compiled classic perceptron rule computes the NumPy rule's pass."""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from sknn import PerceptronClassifier
from sknn.nn import perceptron_compiled
from sknn.nn.perceptron_rule import blocked_epoch, new_state

pytestmark = pytest.mark.skipif(not perceptron_compiled.available, reason="numba not installed")


def _problem(n_units, seed, zero_weights):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(300, 7))
    T = np.where(rng.rand(300, n_units) < 0.5, 1.0, -1.0)
    # noisy targets: many mistakes, so the pass exercises the update path
    U = 0.5 * T * rng.uniform(0.5, 2.0, size=T.shape)
    if zero_weights:
        U[::7] = 0.0
    return X, T, U


@pytest.mark.parametrize("rule", ["sign", "heaviside"])
@pytest.mark.parametrize("shrink", [1.0, 0.999])
@pytest.mark.parametrize("n_units", [1, 3])
@pytest.mark.parametrize("zero_weights", [False, True])
def test_compiled_epoch_equals_numpy_epoch(rule, shrink, n_units, zero_weights):
    X, T, U = _problem(n_units, 0, zero_weights)
    order = np.random.RandomState(1).permutation(len(X))
    results = []
    for compiled in (False, True):
        W = np.zeros((X.shape[1], n_units))
        b = np.zeros(n_units)
        state = new_state(W, l1=False)
        options = dict(rule=rule, shrink=shrink, fit_intercept=True, intercept_decay=1.0)
        for _ in range(3):
            if compiled:
                out = perceptron_compiled.sequential_epoch(X, order, T[order], U[order], W, b,
                                                           state, **options)
            else:
                out = blocked_epoch(X[order], T[order], U[order], W, b, state, **options)
        results.append((W, b, out, state))
    (W0, b0, (loss0, sq0), s0), (W1, b1, (loss1, sq1), s1) = results
    assert np.abs(W0).max() > 0
    np.testing.assert_allclose(W1, W0, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(b1, b0, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(loss1, loss0, rtol=1e-9)
    np.testing.assert_allclose(sq1, sq0, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(s1["sq"], s0["sq"], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("params", [
    dict(), dict(penalty="l2", alpha=1e-3), dict(step_function="heaviside"),
    dict(shuffle=False, fit_intercept=False), dict(class_weight="balanced"),
])
def test_estimator_fits_the_same_with_and_without_the_compiled_rule(params, monkeypatch):
    X, y = make_classification(400, 6, n_informative=4, n_classes=3, random_state=0)
    fitted = []
    for available in (True, False):
        monkeypatch.setattr(perceptron_compiled, "available", available)
        model = PerceptronClassifier(max_iter=8, tol=None, random_state=0, **params).fit(X, y)
        fitted.append(model)
    np.testing.assert_allclose(fitted[0].coef_, fitted[1].coef_, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(fitted[0].intercept_, fitted[1].intercept_, rtol=1e-9, atol=1e-10)
    assert fitted[0].n_iter_ == fitted[1].n_iter_


def test_compiled_rule_does_not_copy_or_modify_X():
    X, y = make_classification(200, 5, random_state=0)
    X.setflags(write=False)
    before = X.copy()
    PerceptronClassifier(max_iter=3, tol=None).fit(X, y)
    np.testing.assert_array_equal(X, before)


def test_importing_sknn_does_not_import_numba():
    import subprocess
    import sys

    code = "import sys, sknn; sknn.PerceptronClassifier(); print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
