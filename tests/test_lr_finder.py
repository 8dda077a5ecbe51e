"""sknn.lr_find: the learning-rate range test."""

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin, is_regressor
from sklearn.datasets import load_digits, load_iris, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import DeepNetClassifier, DeepNetRegressor, MLPClassifier, MLPRegressor, lr_find
from sknn.lr_finder import LRFinderResult


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _classifier(**params):
    return MLPClassifier(hidden_layer_sizes=(32,), batch_size=16, random_state=0, **params)


def test_rates_grow_geometrically_from_min_lr(iris):
    X, y = iris
    result = lr_find(_classifier(), X, y, min_lr=1e-4, max_lr=1.0, n_steps=50,
                     divergence_factor=1e9)
    rates = result.learning_rates
    assert rates[0] == pytest.approx(1e-4)
    ratios = rates[1:] / rates[:-1]
    np.testing.assert_allclose(ratios, (1.0 / 1e-4) ** (1 / 49))
    assert len(rates) == len(result.losses) <= 50


def test_loss_falls_then_blows_up_and_the_suggestion_trains_well(iris):
    X, y = iris
    min_lr = 1e-5
    result = lr_find(_classifier(), X, y, min_lr=min_lr, n_steps=200)
    losses, rates = result.losses, result.learning_rates
    lowest = int(np.argmin(losses))
    assert 0 < lowest < len(losses) - 1
    assert losses[lowest] < 0.8 * losses[0]  # first decreases ...
    assert losses[-1] > 2 * losses[lowest]  # ... then blows up
    assert len(rates) < 200  # stopped on divergence before max_lr
    assert min_lr < result.suggestion < rates[-1]
    assert result.suggestion == pytest.approx(rates[lowest] / 10)

    clf = _classifier(learning_rate_init=result.suggestion, max_iter=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.score(X, y) > 0.9


def test_the_estimator_passed_in_is_unchanged(iris):
    X, y = iris
    clf = _classifier()
    params = clf.get_params()
    lr_find(clf, X, y, n_steps=30)
    assert clf.get_params() == params
    assert not hasattr(clf, "coefs_") and not hasattr(clf, "classes_")

    fitted = _classifier(max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted.fit(X, y)
    coefs = [c.copy() for c in fitted.coefs_]
    lr_find(fitted, X, y, n_steps=30)
    for before, after in zip(coefs, fitted.coefs_):
        np.testing.assert_array_equal(before, after)


def test_stops_early_on_divergence(iris):
    X, y = iris
    result = lr_find(_classifier(solver="sgd"), X, y, min_lr=1e-2, max_lr=1e4,
                     n_steps=200, divergence_factor=2.0)
    assert len(result.learning_rates) < 200
    assert np.isfinite(result.losses).all()
    assert result.losses[-1] > 2.0 * result.losses.min()  # the step that stopped it


def test_same_seed_same_curve(iris):
    X, y = iris
    first = lr_find(_classifier(), X, y, n_steps=40, random_state=3)
    second = lr_find(_classifier(), X, y, n_steps=40, random_state=3)
    np.testing.assert_array_equal(first.losses, second.losses)
    assert first.suggestion == second.suggestion


@pytest.mark.parametrize("estimator", [
    MLPRegressor(hidden_layer_sizes=(16,), random_state=0),
    DeepNetClassifier(n_hidden=3, n_neurons=16, dropout=0.1, random_state=0),
    DeepNetRegressor(n_hidden=2, n_neurons=16, random_state=0),
], ids=lambda est: type(est).__name__)
def test_works_for_every_network_estimator(estimator):
    if is_regressor(estimator):
        X, y = make_regression(n_samples=120, n_features=5, noise=1.0, random_state=0)
        y = y / y.std()
    else:
        X, y = load_digits(return_X_y=True)
        X, y = StandardScaler().fit_transform(X[:300]), y[:300]
    result = lr_find(estimator, X, y, n_steps=60, batch_size=32)
    assert isinstance(result, LRFinderResult)
    assert 1 <= len(result.learning_rates) <= 60
    assert np.isfinite(result.losses).all()
    assert result.suggestion >= 1e-5


def test_torch_backend(iris):
    pytest.importorskip("torch")
    X, y = iris
    result = lr_find(_classifier(backend="torch", device="cpu"), X, y, n_steps=40)
    assert np.isfinite(result.losses).all() and len(result.losses) >= 1


def test_lbfgs_is_refused(iris):
    X, y = iris
    with pytest.raises(ValueError, match="lbfgs"):
        lr_find(MLPClassifier(solver="lbfgs"), X, y)


@pytest.mark.parametrize("kwargs", [
    {"min_lr": 0.0}, {"max_lr": 1e-6}, {"n_steps": 1}, {"batch_size": 0},
    {"smoothing": 1.0}, {"divergence_factor": 1.0},
])
def test_invalid_arguments(iris, kwargs):
    X, y = iris
    with pytest.raises(ValueError):
        lr_find(_classifier(), X, y, **kwargs)


def test_refuses_other_estimators(iris):
    X, y = iris
    with pytest.raises(TypeError, match="sknn network estimator .* or a Pipeline ending in "
                                        "one, got LogisticRegression"):
        lr_find(LogisticRegression(), X, y)


def test_a_pipeline_tests_its_network_on_the_transformed_data():
    X, y = load_iris(return_X_y=True)  # raw: the pipeline's scaler matters
    pipe = make_pipeline(StandardScaler(), _classifier())
    params = pipe.get_params(deep=False)
    through_pipeline = lr_find(pipe, X, y, n_steps=60, random_state=0)
    by_hand = lr_find(_classifier(), StandardScaler().fit_transform(X), y, n_steps=60,
                      random_state=0)
    np.testing.assert_array_equal(through_pipeline.learning_rates, by_hand.learning_rates)
    np.testing.assert_array_equal(through_pipeline.losses, by_hand.losses)
    assert through_pipeline.suggestion == by_hand.suggestion
    # the pipeline passed in is left as it was: same steps, nothing fitted
    assert pipe.get_params(deep=False) == params
    assert not hasattr(pipe.named_steps["standardscaler"], "mean_")
    assert not hasattr(pipe.named_steps["mlpclassifier"], "coefs_")


class _TargetMeanFeature(TransformerMixin, BaseEstimator):
    """Appends the mean target to X: a transformer that needs y in fit."""

    def fit(self, X, y):
        self.target_mean_ = float(np.mean(y))
        return self

    def transform(self, X):
        return np.column_stack([X, np.full(len(X), self.target_mean_)])


def test_pipeline_steps_that_need_y_get_it(iris):
    X, y = iris
    pipe = make_pipeline(_TargetMeanFeature(), "passthrough", _classifier())
    result = lr_find(pipe, X, y, n_steps=30, random_state=0)
    expected = lr_find(_classifier(), _TargetMeanFeature().fit_transform(X, y), y, n_steps=30,
                       random_state=0)
    np.testing.assert_array_equal(result.losses, expected.losses)


def test_a_one_step_pipeline_is_its_network(iris):
    X, y = iris
    result = lr_find(make_pipeline(_classifier()), X, y, n_steps=30, random_state=0)
    expected = lr_find(_classifier(), X, y, n_steps=30, random_state=0)
    np.testing.assert_array_equal(result.losses, expected.losses)


@pytest.mark.parametrize("pipe, error, message", [
    (make_pipeline(StandardScaler(), LogisticRegression()), TypeError,
     "or a Pipeline ending in one, got a Pipeline ending in LogisticRegression"),
    (make_pipeline(_classifier(), "passthrough"), TypeError,
     "got a Pipeline ending in 'passthrough'"),
    (make_pipeline(StandardScaler(), MLPClassifier(solver="lbfgs")), ValueError, "lbfgs"),
], ids=["logistic", "passthrough", "lbfgs"])
def test_a_pipeline_without_a_trainable_network_last_is_refused(iris, pipe, error, message):
    X, y = iris
    with pytest.raises(error, match=message):
        lr_find(pipe, X, y)


def test_plot_renders_to_png(iris, tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X, y = iris
    result = lr_find(_classifier(), X, y, n_steps=60)
    ax = result.plot()
    assert ax.get_xscale() == "log"
    path = tmp_path / "lr_find.png"
    ax.figure.savefig(path)
    plt.close(ax.figure)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    fig, given = plt.subplots()
    assert result.plot(ax=given) is given
    plt.close(fig)


def test_plot_without_matplotlib_names_the_extra(iris, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("no matplotlib")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    result = LRFinderResult(np.array([1e-3, 1e-2]), np.array([1.0, 0.5]), 1e-3)
    with pytest.raises(ImportError, match="plot"):
        result.plot()
