"""PlaygroundDisplay: decision regions and first-layer responses, drawn."""

import warnings

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.datasets import make_circles, make_regression

from sknn import DeepNetClassifier, MLPClassifier, MLPRegressor, PerceptronClassifier
from sknn.plot import PlaygroundDisplay
from sknn.plot._playground import first_layer_responses
from tests.plot._helpers import quiet_fit, save_png


def grid_points(display):
    return np.column_stack([display.xx0.ravel(), display.xx1.ravel()])


def test_playground_grid_matches_the_estimator_and_first_layer(moons, tmp_path):
    X, y = moons
    clf = MLPClassifier(hidden_layer_sizes=(5, 4), activation="tanh", solver="lbfgs",
                        max_iter=300, random_state=0)
    quiet_fit(clf, X, y)
    display = PlaygroundDisplay.from_estimator(clf, X, y, grid_resolution=30)
    grid = grid_points(display)
    assert display.xx0.shape == display.predictions.shape == (30, 30)
    np.testing.assert_array_equal(display.predictions.ravel(), clf.predict(grid))
    np.testing.assert_array_equal(display.response.ravel(), clf.predict_proba(grid)[:, 1])
    assert display.response_method == "predict_proba"
    # the grid covers the data with a 10% margin
    span = X.max(axis=0) - X.min(axis=0)
    np.testing.assert_allclose(grid.min(axis=0), X.min(axis=0) - 0.1 * span)
    np.testing.assert_allclose(grid.max(axis=0), X.max(axis=0) + 0.1 * span)
    expected_hidden = np.tanh(grid @ clf.coefs_[0] + clf.intercepts_[0])
    np.testing.assert_allclose(display.hidden_responses.reshape(5, -1), expected_hidden.T,
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(display.hidden_units, np.arange(5))
    assert len(display.hidden_axes_) == len(display.hidden_images_) == 5
    for unit, image in enumerate(display.hidden_images_):
        np.testing.assert_array_equal(image.get_array(), display.hidden_responses[unit])
        low, high = image.get_clim()
        assert low == -high == -np.abs(display.hidden_responses[unit]).max()
    np.testing.assert_array_equal(display.scatter_.get_offsets(), X)
    # two classes: the boundary is the probability's 0.5 contour, where predict flips
    assert list(display.boundary_.levels) == [0.5]
    save_png(display.figure_, tmp_path / "playground.png")


def test_hidden_responses_count_batch_norm_before_the_activation(moons):
    X, y = moons
    clf = DeepNetClassifier(hidden_layer_sizes=(6,), batch_norm=True, activation="relu",
                            max_iter=5, early_stopping=False, random_state=0)
    quiet_fit(clf, X, y)
    display = PlaygroundDisplay.from_estimator(clf, X, y, grid_resolution=12)
    grid = grid_points(display).astype(np.float32)
    bn = clf.network_.weights[1]
    z = grid @ clf.coefs_[0] + clf.intercepts_[0]
    normalized = (bn["gamma"] * (z - bn["moving_mean"])
                  / np.sqrt(bn["moving_variance"] + clf.bn_epsilon) + bn["beta"])
    expected = np.maximum(normalized, 0.0)
    np.testing.assert_allclose(display.hidden_responses.reshape(6, -1), expected.T,
                               rtol=1e-4, atol=1e-5)
    # a batch-norm-fused copy folds the same normalization into its first kernel
    fused = first_layer_responses(clf.fuse_batch_norm(), grid)
    np.testing.assert_allclose(fused, expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(display.predictions.ravel(), clf.predict(grid))


def test_hidden_responses_use_the_learned_prelu_slopes(moons):
    X, y = moons
    clf = quiet_fit(MLPClassifier(hidden_layer_sizes=(5,), activation="prelu", max_iter=30,
                                  random_state=0), X, y)
    slopes = clf.network_.weights[1]["slope"]
    assert not np.allclose(slopes, 0.25)  # trained away from the initial slope
    z = X @ clf.coefs_[0] + clf.intercepts_[0]
    np.testing.assert_allclose(first_layer_responses(clf, X), np.where(z > 0, z, slopes * z))


def test_perceptron_has_no_hidden_panels_and_shades_its_decision_function(moons, tmp_path):
    X, y = moons
    perceptron = PerceptronClassifier(random_state=0).fit(X, y)
    _, ax = plt.subplots()
    display = PlaygroundDisplay.from_estimator(perceptron, X, y, grid_resolution=25, ax=ax)
    grid = grid_points(display)
    assert display.response_method == "decision_function"
    np.testing.assert_allclose(display.response.ravel(), perceptron.decision_function(grid))
    np.testing.assert_array_equal(display.predictions.ravel(), perceptron.predict(grid))
    assert display.hidden_responses is None and len(display.hidden_axes_) == 0
    assert display.ax_ is ax and display.bounding_ax_ is None
    low, high = display.surface_.get_clim()
    assert low == -high  # white at the decision threshold z = 0
    save_png(display.figure_, tmp_path / "perceptron.png")


def test_multiclass_regions_and_scikit_learns_mlp(iris, tmp_path):
    from sklearn.neural_network import MLPClassifier as SkMLPClassifier

    X, y = iris
    X2 = X[:, :2]
    clf = quiet_fit(SkMLPClassifier(hidden_layer_sizes=(20,), max_iter=50, random_state=0),
                    X2, y)
    display = PlaygroundDisplay.from_estimator(clf, X2, y, grid_resolution=20,
                                               max_hidden_units=7)
    grid = grid_points(display)
    assert display.response.shape == (20, 20, 3)
    np.testing.assert_allclose(display.response.reshape(-1, 3), clf.predict_proba(grid))
    np.testing.assert_array_equal(display.predictions.ravel(), clf.predict(grid))
    expected_hidden = np.maximum(grid @ clf.coefs_[0] + clf.intercepts_[0], 0)[:, :7]
    np.testing.assert_allclose(display.hidden_responses.reshape(7, -1), expected_hidden.T)
    assert len(display.hidden_axes_) == 7
    assert list(display.boundary_.levels) == [0.5, 1.5]  # between class indices
    rgb = display.surface_.get_array()
    assert rgb.shape == (20, 20, 3)
    # each pixel is tinted towards its predicted class's colour, never past white
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0
    save_png(display.figure_, tmp_path / "multiclass.png")


def test_playground_with_a_dataframe_and_a_given_axes(moons):
    pd = pytest.importorskip("pandas")
    X, y = moons
    frame = pd.DataFrame(X, columns=["width", "height"])
    clf = quiet_fit(MLPClassifier(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=100,
                                  random_state=0), frame, y)
    fig, ax = plt.subplots()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no "X does not have valid feature names"
        display = PlaygroundDisplay.from_estimator(clf, frame, y, grid_resolution=10, ax=ax)
    assert display.ax_.get_xlabel() == "width" and display.ax_.get_ylabel() == "height"
    assert display.bounding_ax_ is ax and not ax.axison
    assert all(panel.figure is fig for panel in display.hidden_axes_)


def test_playground_without_labels_or_hidden_panels(moons):
    X, y = moons
    clf = quiet_fit(MLPClassifier(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=50,
                                  random_state=0), X, y)
    display = PlaygroundDisplay.from_estimator(clf, X, grid_resolution=10, max_hidden_units=0)
    assert display.hidden_responses is None and len(display.hidden_axes_) == 0
    assert display.scatter_ is not None
    full = PlaygroundDisplay.from_estimator(clf, X, y, grid_resolution=10)
    full.plot(show_hidden=False)
    assert len(full.hidden_axes_) == 0 and full.hidden_responses.shape == (4, 10, 10)


def test_playground_refuses_what_it_cannot_draw(moons):
    X, y = moons
    clf = quiet_fit(MLPClassifier(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=50,
                                  random_state=0), X, y)
    with pytest.raises(ValueError, match="exactly 2 features"):
        PlaygroundDisplay.from_estimator(clf, np.c_[X, X[:, :1]], y)
    with pytest.raises(ValueError, match="not trained on"):
        PlaygroundDisplay.from_estimator(clf, X, y + 5, grid_resolution=5)
    with pytest.raises(ValueError, match="grid_resolution"):
        PlaygroundDisplay.from_estimator(clf, X, y, grid_resolution=1)
    with pytest.raises(ValueError, match="response_method"):
        PlaygroundDisplay.from_estimator(clf, X, y, response_method="predict")
    Xr, yr = make_regression(n_samples=30, n_features=2, random_state=0)
    regressor = quiet_fit(MLPRegressor(hidden_layer_sizes=(3,), max_iter=5), Xr, yr)
    with pytest.raises(ValueError, match="not a classifier"):
        PlaygroundDisplay.from_estimator(regressor, Xr)
    multilabel = quiet_fit(MLPClassifier(hidden_layer_sizes=(3,), max_iter=5, random_state=0),
                           X, np.c_[y, 1 - y])
    with pytest.raises(ValueError, match="multilabel"):
        PlaygroundDisplay.from_estimator(multilabel, X, grid_resolution=5)
    perceptron = PerceptronClassifier().fit(X, y)
    with pytest.raises(ValueError, match="no predict_proba"):
        PlaygroundDisplay.from_estimator(perceptron, X, y, response_method="predict_proba")


def test_circles_need_the_hidden_layer_the_panels_show():
    # a linear unit cannot separate concentric circles; a small tanh layer can
    X, y = make_circles(n_samples=200, noise=0.05, factor=0.4, random_state=0)
    net = quiet_fit(MLPClassifier(hidden_layer_sizes=(6,), activation="tanh", solver="lbfgs",
                                  max_iter=500, random_state=0), X, y)
    perceptron = PerceptronClassifier(random_state=0).fit(X, y)
    assert net.score(X, y) > 0.95 > 0.75 > perceptron.score(X, y)
    display = PlaygroundDisplay.from_estimator(net, X, y, grid_resolution=40)
    inside = np.hypot(display.xx0, display.xx1) < 0.3
    # the inner circle is class 1, and the shaded probability says so
    assert display.response[inside].mean() > 0.9
    assert display.response[np.hypot(display.xx0, display.xx1) > 1.2].mean() < 0.1
