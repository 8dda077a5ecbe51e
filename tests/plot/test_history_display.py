"""TrainingHistoryDisplay: the history's data and its rendering."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from sknn import MLPClassifier
from sknn.plot import TrainingHistoryDisplay
from tests.plot._helpers import quiet_fit, save_png


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
