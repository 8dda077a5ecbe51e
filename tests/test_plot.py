"""sknn.plot: every display's data and its rendering (Agg backend, PNG files)."""

import builtins
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_iris, make_circles, make_moons, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import (DeepNetClassifier, MLPClassifier, MLPRegressor, PerceptronClassifier,
                  lr_find)
from sknn.lr_finder import LRFinderResult
from sknn.nn.activations import ACTIVATIONS, resolve_activation
from sknn.plot import (ActivationDisplay, LRFinderDisplay, PlaygroundDisplay,
                       TrainingHistoryDisplay)
from sknn.plot._playground import first_layer_responses

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def save_png(figure, path):
    figure.savefig(path)
    data = path.read_bytes()
    assert len(data) > 1000 and data[:8] == PNG_SIGNATURE
    return data


def quiet_fit(estimator, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **fit_params)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def moons():
    return make_moons(n_samples=120, noise=0.15, random_state=0)


def grid_points(display):
    return np.column_stack([display.xx0.ravel(), display.xx1.ravel()])


# -- import hygiene -----------------------------------------------------------

def test_importing_sknn_and_sknn_plot_does_not_import_matplotlib():
    code = ("import sys, sknn, sknn.plot, sknn.lr_finder; "
            "loaded = [m for m in sys.modules if m.split('.')[0] == 'matplotlib']; "
            "assert not loaded, loaded")
    repo_root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=repo_root)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def no_matplotlib(monkeypatch):
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.split(".")[0] == "matplotlib":
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)


@pytest.mark.parametrize("make_display", [
    lambda: TrainingHistoryDisplay(loss=[1.0, 0.5]),
    lambda: LRFinderDisplay(learning_rates=[1e-3, 1e-2], losses=[1.0, 0.5], suggestion=1e-3),
    lambda: ActivationDisplay(z=[0.0], values=[[0.0]], derivatives=[[1.0]], names=["x"]),
    lambda: PlaygroundDisplay(xx0=np.zeros((2, 2)), xx1=np.zeros((2, 2)),
                              response=np.zeros((2, 2)), predictions=np.zeros((2, 2)),
                              classes=[0, 1], response_method="predict_proba"),
], ids=["history", "lr_finder", "activation", "playground"])
def test_plot_without_matplotlib_names_the_extra(make_display, no_matplotlib):
    display = make_display()  # computing the data needs no matplotlib
    with pytest.raises(ImportError, match=r"sknn-learn\[plot\]"):
        display.plot()


def test_lr_finder_from_estimator_fails_before_training_without_matplotlib(iris, no_matplotlib):
    X, y = iris

    class Untrainable(MLPClassifier):
        def fit(self, *args, **kwargs):  # pragma: no cover - must not be reached
            raise AssertionError("trained although the plot cannot be drawn")

    with pytest.raises(ImportError, match="plot"):
        LRFinderDisplay.from_estimator(Untrainable(), X, y, n_steps=5)


# -- TrainingHistoryDisplay -------------------------------------------------

def test_history_arrays_and_lines_are_the_estimators_history(iris, tmp_path):
    X, y = iris
    clf = quiet_fit(MLPClassifier(hidden_layer_sizes=(8,), early_stopping=True,
                                  n_iter_no_change=100, max_iter=12, learning_rate="one_cycle",
                                  learning_rate_init=0.05, random_state=0), X, y)
    display = TrainingHistoryDisplay.from_estimator(clf)
    history = clf.history_
    np.testing.assert_array_equal(display.epochs, np.arange(1, 13))
    for key in ("loss", "val_loss", "val_score", "learning_rate"):
        np.testing.assert_array_equal(getattr(display, key), np.array(history[key], float))
    np.testing.assert_array_equal(display.loss, clf.loss_curve_)
    np.testing.assert_array_equal(display.val_score, clf.validation_scores_)
    for key, line in display.lines_.items():
        np.testing.assert_array_equal(line.get_xdata(), display.epochs)
        np.testing.assert_array_equal(line.get_ydata(), getattr(display, key))
    # the 1cycle rate spans a factor of 25: logarithmic twin axis, shared epochs
    assert display.lr_ax_.get_yscale() == "log"
    assert display.lines_["learning_rate"].axes is display.lr_ax_
    assert display.lines_["val_score"].axes is display.score_ax_
    assert list(display.axes_) == [display.ax_, display.score_ax_]
    assert display.ax_.get_legend() is not None
    save_png(display.figure_, tmp_path / "history.png")


def test_history_without_validation_is_one_panel_with_a_linear_constant_rate(iris, tmp_path):
    X, y = iris
    clf = quiet_fit(MLPClassifier(hidden_layer_sizes=(8,), max_iter=6, random_state=0), X, y)
    display = TrainingHistoryDisplay.from_estimator(clf, name="adam")
    assert display.val_loss is None and display.val_score is None
    assert display.score_ax_ is None and len(display.axes_) == 1
    np.testing.assert_array_equal(display.learning_rate, np.full(6, 1e-3))
    assert display.lr_ax_.get_yscale() == "linear"
    assert sorted(display.lines_) == ["learning_rate", "loss"]
    assert display.lines_["loss"].get_label() == "adam: training loss"
    save_png(display.figure_, tmp_path / "history.png")


def test_second_model_on_the_same_axes_shares_panels_and_learning_rate_axis(iris):
    X, y = iris
    displays = []
    for rate in (1e-3, 1e-1):
        clf = quiet_fit(MLPClassifier(hidden_layer_sizes=(8,), solver="sgd",
                                      learning_rate_init=rate, early_stopping=True,
                                      n_iter_no_change=100, max_iter=5, random_state=0), X, y)
        ax = displays[-1].axes_ if displays else None
        displays.append(TrainingHistoryDisplay.from_estimator(clf, name=f"{rate:g}", ax=ax))
    first, second = displays
    assert second.ax_ is first.ax_ and second.score_ax_ is first.score_ax_
    assert second.lr_ax_ is first.lr_ax_  # reused, not a second twin
    assert len(first.lr_ax_.get_lines()) == 2
    # the two rates span a factor of 100 together: the shared axis turns logarithmic
    assert second.lr_ax_.get_yscale() == "log"
    colors = {display.lines_["loss"].get_color() for display in displays}
    assert len(colors) == 2
    for display in displays:
        color = display.lines_["loss"].get_color()
        assert all(line.get_color() == color for line in display.lines_.values())
    labels = [text.get_text() for text in second.ax_.get_legend().get_texts()]
    assert "0.001: training loss" in labels and "0.1: learning rate" in labels


def test_history_from_scikit_learns_mlp_uses_loss_curve_and_validation_scores(iris):
    from sklearn.neural_network import MLPClassifier as SkMLPClassifier

    X, y = iris
    clf = quiet_fit(SkMLPClassifier(hidden_layer_sizes=(8,), early_stopping=True,
                                    n_iter_no_change=100, max_iter=7, random_state=0), X, y)
    display = TrainingHistoryDisplay.from_estimator(clf)
    np.testing.assert_array_equal(display.loss, clf.loss_curve_)
    np.testing.assert_array_equal(display.val_score, clf.validation_scores_)
    assert display.val_loss is None and display.learning_rate is None
    assert display.lr_ax_ is None and "learning_rate" not in display.lines_


def test_history_from_a_dict_and_its_errors():
    display = TrainingHistoryDisplay.from_history(
        {"loss": [3.0, 2.0, 1.0], "val_loss": [None, 2.5, 1.5], "seconds": [1, 1, 1]},
        show_learning_rate=False)
    np.testing.assert_array_equal(display.val_loss, [np.nan, 2.5, 1.5])
    assert display.lr_ax_ is None
    with pytest.raises(ValueError, match="'loss'"):
        TrainingHistoryDisplay.from_history({"val_loss": [1.0]})
    with pytest.raises(ValueError, match="val_score has 2 entries for 3 epochs"):
        TrainingHistoryDisplay(loss=[1.0, 2.0, 3.0], val_score=[0.1, 0.2])
    with pytest.raises(ValueError, match="at least one epoch"):
        TrainingHistoryDisplay(loss=[])


def test_history_of_lbfgs_has_one_point_per_iteration(iris):
    X, y = iris
    lbfgs = MLPClassifier(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=20,
                          random_state=0)
    quiet_fit(lbfgs, X, y)
    display = TrainingHistoryDisplay.from_estimator(lbfgs)
    assert len(display.loss) == lbfgs.n_iter_
    assert display.loss[-1] == pytest.approx(lbfgs.loss_)
    assert display.learning_rate is None and display.val_score is None


def test_history_of_unfitted_estimator_is_refused():
    with pytest.raises(ValueError, match="fit it first"):
        TrainingHistoryDisplay.from_estimator(MLPClassifier())


def test_history_splits_a_given_axes_and_checks_an_axes_array(iris):
    display = TrainingHistoryDisplay(loss=[2.0, 1.0], val_score=[0.5, 0.7])
    _, ax = plt.subplots()
    display.plot(ax=ax)
    assert display.ax_ is not ax and display.ax_.figure is ax.figure
    assert not ax.axison
    with pytest.raises(ValueError, match="2 panel"):
        display.plot(ax=[ax])


# -- LRFinderDisplay ----------------------------------------------------------

def test_lr_finder_display_holds_the_result_and_marks_the_suggestion(iris, tmp_path):
    X, y = iris
    clf = MLPClassifier(hidden_layer_sizes=(16,), batch_size=16, random_state=0)
    result = lr_find(clf, X, y, n_steps=80)
    display = LRFinderDisplay.from_estimator(clf, X, y, n_steps=80)  # same seed, same curve
    np.testing.assert_array_equal(display.learning_rates, result.learning_rates)
    np.testing.assert_array_equal(display.losses, result.losses)
    assert display.suggestion == result.suggestion
    np.testing.assert_array_equal(display.line_.get_xdata(), result.learning_rates)
    np.testing.assert_array_equal(display.line_.get_ydata(), result.losses)
    assert display.ax_.get_xscale() == "log"
    assert list(display.suggestion_line_.get_xdata()) == [result.suggestion] * 2
    # the dot sits on the drawn curve: between the losses of its neighbouring rates
    right = int(np.searchsorted(result.learning_rates, result.suggestion))
    neighbours = result.losses[max(right - 1, 0):right + 1]
    assert neighbours.min() - 1e-12 <= display.suggestion_loss <= neighbours.max() + 1e-12
    assert display.suggestion_marker_.get_xydata().tolist() == [
        [result.suggestion, display.suggestion_loss]]
    assert "MLPClassifier" in display.line_.get_label()
    save_png(display.figure_, tmp_path / "lr_find.png")


def test_suggestion_loss_is_interpolated_in_log_rate():
    display = LRFinderDisplay(learning_rates=[1e-3, 1e-1], losses=[2.0, 1.0], suggestion=1e-2)
    assert display.suggestion_loss == pytest.approx(1.5)
    unmarked = LRFinderDisplay(learning_rates=[1e-3, 1e-1], losses=[2.0, 1.0]).plot()
    assert unmarked.suggestion_line_ is None and unmarked.suggestion_marker_ is None
    with pytest.raises(ValueError, match="same non-zero length"):
        LRFinderDisplay(learning_rates=[1e-3], losses=[1.0, 2.0])
    with pytest.raises(ValueError, match="positive"):
        LRFinderDisplay(learning_rates=[0.0, 1.0], losses=[1.0, 2.0])


def test_lr_finder_result_plot_draws_the_display_on_the_given_axes(iris):
    X, y = iris
    result = lr_find(MLPClassifier(hidden_layer_sizes=(8,), random_state=0), X, y, n_steps=20)
    fig, ax = plt.subplots()
    assert result.plot(ax=ax) is ax
    curve = ax.get_lines()[0]
    np.testing.assert_array_equal(curve.get_ydata(), result.losses)
    assert any(line.get_xdata()[0] == result.suggestion for line in ax.get_lines()[1:])


def test_lr_finder_display_from_a_pipeline_plots_its_network_on_the_transformed_data():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(8,),
                                                         random_state=0))
    display = LRFinderDisplay.from_estimator(pipe, X, y, n_steps=20)
    expected = lr_find(pipe[-1], StandardScaler().fit_transform(X), y, n_steps=20)
    np.testing.assert_array_equal(display.line_.get_ydata(), expected.losses)
    assert display.suggestion == expected.suggestion


@pytest.mark.parametrize("wrong, described", [
    (None, "got None"),
    (LRFinderResult, "got the class LRFinderResult"),
    ({"learning_rates": [1e-3, 1e-2], "losses": [1.0, 0.5], "suggestion": 1e-3}, "got dict"),
    (LRFinderDisplay(learning_rates=[1e-3, 1e-2], losses=[1.0, 0.5]), "got LRFinderDisplay"),
])
def test_lr_finder_from_result_names_what_it_needs(wrong, described):
    with pytest.raises(TypeError, match=r"from_result needs the LRFinderResult that "
                       r"sknn\.lr_find returns, " + described):
        LRFinderDisplay.from_result(wrong)


# -- ActivationDisplay --------------------------------------------------------

def test_every_registered_activation_matches_the_registry(tmp_path):
    z = np.linspace(-3.0, 3.0, 121)
    display = ActivationDisplay.from_names(z=z)
    assert display.names == ACTIVATIONS.names()
    for row, name in enumerate(ACTIVATIONS.names()):
        fn = ACTIVATIONS.get(name)
        expected_values = fn.forward(z.copy())
        saved = z.copy() if fn.needs_input else expected_values.copy()
        expected_grads = fn.derivative(saved, np.ones_like(z))
        np.testing.assert_array_equal(display.values[row], expected_values, err_msg=name)
        np.testing.assert_array_equal(display.derivatives[row], expected_grads, err_msg=name)
        np.testing.assert_array_equal(display.lines_[row, 0].get_ydata(), expected_values)
        np.testing.assert_array_equal(display.lines_[row, 1].get_ydata(), expected_grads)
    assert display.lines_[0, 0].axes is display.ax_
    assert display.lines_[0, 1].axes is display.derivative_ax_
    save_png(display.figure_, tmp_path / "activations.png")


def test_derivatives_agree_with_finite_differences_of_the_values():
    # away from the kinks at z = 0, where one-sided derivatives are a convention
    z = np.concatenate([np.linspace(-3.0, -0.05, 60), np.linspace(0.05, 3.0, 60)])
    h = 1e-6
    differentiable = [name for name in ACTIVATIONS.names() if ACTIVATIONS.get(name).differentiable]
    display = ActivationDisplay.from_names(differentiable, z=z)
    plus = ActivationDisplay.from_names(differentiable, z=z + h)
    minus = ActivationDisplay.from_names(differentiable, z=z - h)
    numeric = (plus.values - minus.values) / (2 * h)
    np.testing.assert_allclose(display.derivatives, numeric, rtol=1e-5, atol=1e-6)
    step = ActivationDisplay.from_names(["heaviside", "sign"], z=z)
    np.testing.assert_array_equal(step.derivatives, 0.0)
    np.testing.assert_array_equal(step.values[1], np.where(z > 0, 1.0, -1.0))


def test_activation_aliases_constants_and_inputs():
    z = np.array([-2.0, 0.0, 2.0])
    display = ActivationDisplay.from_names(
        ["silu", resolve_activation("elu", 0.5), resolve_activation("leaky_relu", 0.01)], z=z)
    assert display.names == ["swish", "elu (alpha=0.5)", "leaky_relu"]
    np.testing.assert_allclose(display.values[1], [0.5 * np.expm1(-2.0), 0.0, 2.0])
    np.testing.assert_allclose(display.derivatives[1], [0.5 * np.exp(-2.0), 1.0, 1.0])
    np.testing.assert_array_equal(z, [-2.0, 0.0, 2.0])  # input untouched
    default = ActivationDisplay.from_names("tanh")
    assert default.z.shape == (401,) and 0.0 in default.z
    with pytest.raises(ValueError, match="Unknown activation 'nope'"):
        ActivationDisplay.from_names(["nope"])
    with pytest.raises(ValueError, match="z_range"):
        ActivationDisplay.from_names(["relu"], z_range=(1.0, -1.0))


def test_activation_display_axes_options():
    fig, (left, right) = plt.subplots(1, 2)
    display = ActivationDisplay.from_names(["relu"], ax=[left, right])
    assert display.ax_ is left and display.derivative_ax_ is right
    assert display.bounding_ax_ is None
    _, ax = plt.subplots()
    split = ActivationDisplay.from_names(["relu"], ax=ax)
    assert split.bounding_ax_ is ax and split.ax_ is not ax
    with pytest.raises(ValueError, match="2 panel"):
        ActivationDisplay.from_names(["relu"], ax=[left])


# -- PlaygroundDisplay --------------------------------------------------------

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
