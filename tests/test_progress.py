"""Training feedback: the per-epoch lines of verbose fits and the in-epoch progress bar."""

import re
import sys
import types
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

from sknn import DeepNetClassifier, DeepNetRegressor, MLPClassifier, MLPRegressor
from sknn import _progress
from sknn._progress import EpochLog, ProgressBar
from sknn.spec import TrainConfig
from sknn.training import run_epoch

X_digits, y_digits = load_digits(return_X_y=True)
X_digits = X_digits[:300] / 16
y_digits = y_digits[:300]

EPOCH_LINE = re.compile(
    r"^Epoch (?P<epoch>\d+)/(?P<max>\d+) - loss: (?P<loss>\S+)"
    r"(?: - val_loss: (?P<val_loss>\S+) - val_score: (?P<val_score>\S+))?"
    r" - lr: (?P<lr>\S+) - (?P<seconds>\d+\.\d\d)s$")


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def test_mlp_keeps_scikit_learns_wording_with_the_exact_losses(capsys):
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, verbose=1, random_state=0)
    clf.fit(X_digits, y_digits)
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["Iteration %d, loss = %.8f" % (i + 1, loss)
                     for i, loss in enumerate(clf.loss_curve_)]


def test_mlp_prints_scikit_learns_validation_score_line_under_early_stopping(capsys):
    reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=3, verbose=True, early_stopping=True,
                       random_state=0).fit(X_digits, y_digits.astype(float))
    lines = capsys.readouterr().out.splitlines()
    expected = []
    for i, (loss, score) in enumerate(zip(reg.loss_curve_, reg.validation_scores_)):
        expected += ["Iteration %d, loss = %.8f" % (i + 1, loss), "Validation score: %f" % score]
    assert lines[:len(expected)] == expected


def test_deep_net_prints_one_line_per_epoch_with_the_history_values(capsys):
    clf = DeepNetClassifier(n_hidden=2, n_neurons=16, max_iter=4, verbose=1, early_stopping=True,
                            random_state=0)
    clf.fit(X_digits, y_digits)
    *lines, restored = capsys.readouterr().out.splitlines()
    history = clf.history_
    assert len(lines) == clf.n_iter_ == len(history["loss"])
    assert restored.startswith("Restored the weights of epoch ")
    for i, line in enumerate(lines):
        match = EPOCH_LINE.match(line)
        assert match, line
        assert int(match["epoch"]) == i + 1 and int(match["max"]) == 4
        assert float(match["loss"]) == pytest.approx(history["loss"][i], rel=1e-5)
        assert float(match["val_loss"]) == pytest.approx(history["val_loss"][i], rel=1e-5)
        assert float(match["val_score"]) == pytest.approx(history["val_score"][i], abs=1e-4)
        assert float(match["lr"]) == pytest.approx(history["learning_rate"][i], rel=1e-2)
        assert float(match["seconds"]) == pytest.approx(history["seconds"][i], abs=0.006)


def test_deep_net_line_leaves_out_validation_fields_without_a_validation_set(capsys):
    DeepNetRegressor(n_hidden=1, n_neurons=8, max_iter=2, early_stopping=False,
                     verbose=1, random_state=0).fit(X_digits, y_digits.astype(float))
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) == 2 and "val_" not in out
    for line in lines:
        match = EPOCH_LINE.match(line)
        assert match and match["val_loss"] is None, line


def test_deep_net_partial_fit_numbers_epochs_across_calls_without_a_maximum(capsys):
    clf = DeepNetClassifier(n_hidden=1, n_neurons=8, early_stopping=False, verbose=1,
                            random_state=0)
    for _ in range(3):
        clf.partial_fit(X_digits, y_digits, classes=np.arange(10))
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 1", "Epoch 2", "Epoch 3"]


def test_not_verbose_prints_nothing(capsys):
    DeepNetClassifier(n_hidden=1, n_neurons=8, max_iter=2, random_state=0).fit(
        X_digits, y_digits)
    MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(X_digits, y_digits)
    assert capsys.readouterr().out == ""


class _FlushRecorder:
    """A stdout that records what was written between flushes."""

    def __init__(self):
        self.pending, self.flushed = "", []

    def write(self, text):
        self.pending += text
        return len(text)

    def flush(self):
        self.flushed.append(self.pending)
        self.pending = ""


def test_every_epoch_line_is_flushed_as_soon_as_it_is_written(monkeypatch):
    recorder = _FlushRecorder()
    monkeypatch.setattr(sys, "stdout", recorder)
    DeepNetClassifier(n_hidden=1, n_neurons=8, max_iter=3, verbose=1, random_state=0).fit(
        X_digits, y_digits)
    monkeypatch.undo()
    assert recorder.pending == ""
    epoch_lines = [text for text in recorder.flushed if text.startswith("Epoch")]
    assert len(epoch_lines) == 3 and all(text.count("\n") == 1 for text in epoch_lines)


def _always_draw(monkeypatch):
    monkeypatch.setattr(_progress, "BAR_DELAY", 0.0)
    monkeypatch.setattr(_progress, "BAR_INTERVAL", 0.0)
    monkeypatch.setattr(_progress, "CLOCK_CHECK_SECONDS", 0.0)


def test_verbose_two_draws_a_carriage_return_bar_that_the_epoch_line_replaces(
        capsys, monkeypatch):
    _always_draw(monkeypatch)
    DeepNetClassifier(n_hidden=1, n_neurons=8, max_iter=2, batch_size=64, early_stopping=False,
                      verbose=2, random_state=0).fit(X_digits, y_digits)
    out = capsys.readouterr().out
    # 300 samples in batches of 64: the bar is redrawn after each of the 5 batches
    for done in (64, 128, 192, 256, 300):
        assert re.search(r"\rEpoch 1/2 +%d/300 \[[=>.]{25}\] +\d+%% \d:\d\d<\d:\d\d loss \S+"
                         % done, out)
    assert "\rEpoch 2/2 300/300 [" + "=" * 25 + "] 100%" in out
    # each bar is erased (spaces, then a carriage return) before its epoch line
    lines = [part.split("\r")[-1] for part in out.split("\n") if part]
    assert [EPOCH_LINE.match(line) is not None for line in lines] == [True, True]


def test_verbose_one_draws_no_bar(capsys, monkeypatch):
    _always_draw(monkeypatch)
    MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, verbose=1, random_state=0).fit(
        X_digits, y_digits)
    assert "\r" not in capsys.readouterr().out


def test_short_epochs_get_no_bar_at_default_settings(capsys):
    DeepNetClassifier(n_hidden=1, n_neurons=8, max_iter=2, verbose=2, random_state=0).fit(
        X_digits, y_digits)
    out = capsys.readouterr().out
    assert "\r" not in out and len(out.splitlines()) == 2


class _StubEngine:
    """train_step returns a fixed loss, so the loop itself is what runs."""

    def __init__(self, loss=0.25):
        self.loss = loss

    def train_step(self, data, idx, lr):
        return self.loss


def test_progress_reads_the_clock_far_less_often_than_once_per_batch(monkeypatch):
    bar = ProgressBar(total=100_000)
    updates = []
    original = bar.update
    monkeypatch.setattr(bar, "update", lambda done, loss_sum: (updates.append(done),
                                                                original(done, loss_sum)))
    data = types.SimpleNamespace(n_samples=100_000)
    loss, _ = run_epoch(_StubEngine(), data, TrainConfig(shuffle=False), None,
                        np.arange(100_000), 1, 0.1, progress=bar)
    assert loss == pytest.approx(0.25)
    # 100k one-sample batches; the clock is read a few times per 50 ms of training
    assert 1 <= len(updates) < 2_000
    assert updates == sorted(updates)


def test_progress_bar_shows_the_running_mean_loss_and_erases_itself(capsys, monkeypatch):
    _always_draw(monkeypatch)
    bar = ProgressBar(total=40, epoch_label="Epoch 3/9 ")
    data = types.SimpleNamespace(n_samples=40)
    run_epoch(_StubEngine(0.5), data, TrainConfig(shuffle=False), None, np.arange(40), 10,
              0.1, progress=bar)
    out = capsys.readouterr().out
    drawn = [part for part in out.split("\r") if part.strip()]
    assert len(drawn) == 4
    assert drawn[0].startswith("Epoch 3/9 10/40 [======>") and drawn[0].rstrip().endswith(
        "loss 0.5")
    assert drawn[-1].startswith("Epoch 3/9 40/40 [" + "=" * 25 + "] 100%")
    # the last write blanks the line and returns to its start
    assert out.endswith("\r" + " " * len(drawn[-1].rstrip()) + "\r")


def test_interrupted_epoch_still_erases_its_bar(capsys, monkeypatch):
    _always_draw(monkeypatch)

    class Interrupting(_StubEngine):
        calls = 0

        def train_step(self, data, idx, lr):
            self.calls += 1
            if self.calls == 3:
                raise KeyboardInterrupt
            return 0.1

    bar = ProgressBar(total=50)
    with pytest.raises(KeyboardInterrupt):
        run_epoch(Interrupting(), types.SimpleNamespace(n_samples=50),
                  TrainConfig(shuffle=False), None, np.arange(50), 10, 0.1, progress=bar)
    assert capsys.readouterr().out.endswith("\r")


def test_epoch_log_refuses_an_unknown_style():
    with pytest.raises(ValueError, match="style must be 'sklearn' or 'epoch'"):
        EpochLog(1, "keras")


def test_early_stopping_says_which_epochs_weights_it_restored(capsys):
    clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, verbose=1, early_stopping=True,
                        n_iter_no_change=3, random_state=0).fit(X_digits, y_digits)
    last = capsys.readouterr().out.splitlines()[-1]
    best = int(np.argmax(clf.validation_scores_)) + 1
    assert last == ("Restored the weights of epoch %d (best validation score: %f)."
                    % (best, clf.best_validation_score_))
    assert best < clf.n_iter_  # it did go back


def test_early_stopping_says_when_no_epoch_improved(capsys):
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=100, learning_rate_init=0.01,
                        verbose=1, early_stopping=True, random_state=0).fit(X_digits, y_digits)
    assert clf.best_validation_score_ > 0.8
    capsys.readouterr()
    # a warm start that cannot beat the best score so far keeps the weights it started from
    clf.set_params(warm_start=True, learning_rate_init=10.0, max_iter=2).fit(X_digits, y_digits)
    assert capsys.readouterr().out.splitlines()[-1] == (
        "Restored the weights this fit started from: no epoch improved the validation score.")


def _print_is_not_called(*args, **kwargs):
    raise AssertionError("the training loop printed directly instead of through EpochLog")


def test_scikit_learns_adaptive_lines_come_through_the_epoch_log(capsys, monkeypatch):
    monkeypatch.setattr("builtins.print", _print_is_not_called)
    MLPRegressor(hidden_layer_sizes=(4,), solver="sgd", learning_rate="adaptive", tol=1e6,
                 n_iter_no_change=1, max_iter=100, verbose=1,
                 random_state=0).fit(X_digits, y_digits.astype(float))
    notes = [line for line in capsys.readouterr().out.splitlines()
             if not line.startswith("Iteration ")]
    # scikit-learn's wording: the rate divided by 5 at each stall, until it is at most 1e-6
    stall = "Training loss did not improve more than tol=1000000.000000 for 1 consecutive epochs."
    assert notes == ([stall + " Setting learning rate to %f" % (0.001 / 5 ** k)
                      for k in range(1, 6)] + [stall + " Learning rate too small. Stopping."])


def test_the_stopping_and_restoring_lines_of_early_stopping_come_through_the_epoch_log(
        capsys, monkeypatch):
    monkeypatch.setattr("builtins.print", _print_is_not_called)
    clf = MLPClassifier(hidden_layer_sizes=(8,), early_stopping=True, tol=1e6,
                        n_iter_no_change=1, max_iter=50, verbose=1,
                        random_state=0).fit(X_digits, y_digits)
    lines = capsys.readouterr().out.splitlines()
    assert clf.n_iter_ == 3  # the first epoch sets the best score; two more do not count
    assert lines[-2:] == [
        "Validation score did not improve more than tol=1000000.000000 for 1 consecutive "
        "epochs. Stopping.",
        "Restored the weights of epoch %d (best validation score: %f)."
        % (np.argmax(clf.validation_scores_) + 1, clf.best_validation_score_)]


def test_a_plateau_reduction_is_announced_through_the_epoch_log(capsys, monkeypatch):
    from sknn.schedules import ReduceOnPlateau

    monkeypatch.setattr("builtins.print", _print_is_not_called)
    MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, verbose=1, random_state=0,
                 learning_rate=ReduceOnPlateau(factor=0.5, patience=1, min_delta=1e6),
                 ).fit(X_digits, y_digits.astype(float))
    notes = [line for line in capsys.readouterr().out.splitlines()
             if not line.startswith("Iteration ")]
    assert notes == ["loss did not improve for 1 epochs. Setting learning rate to 0.000500",
                     "loss did not improve for 1 epochs. Setting learning rate to 0.000250"]


def test_lbfgs_reports_its_outcome_through_the_epoch_log(capsys, monkeypatch):
    monkeypatch.setattr("builtins.print", _print_is_not_called)
    reg = MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5, verbose=1,
                       random_state=0).fit(X_digits, y_digits.astype(float))
    assert capsys.readouterr().out.splitlines() == [
        "L-BFGS-B: STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT after 5 iterations, "
        "loss = %.8f" % reg.loss_]
