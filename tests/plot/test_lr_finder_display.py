"""LRFinderDisplay: the range test's curve, its suggestion and its rendering."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier, lr_find
from sknn.lr_finder import LRFinderResult
from sknn.plot import LRFinderDisplay
from tests.plot._helpers import save_png


def test_lr_finder_from_estimator_fails_before_training_without_matplotlib(iris, no_matplotlib):
    X, y = iris

    class Untrainable(MLPClassifier):
        def fit(self, *args, **kwargs):  # pragma: no cover - must not be reached
            raise AssertionError("trained although the plot cannot be drawn")

    with pytest.raises(ImportError, match="plot"):
        LRFinderDisplay.from_estimator(Untrainable(), X, y, n_steps=5)


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
