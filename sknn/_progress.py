"""Training feedback: the line printed after each epoch and the in-epoch progress bar.

``verbose=1`` prints one line per epoch and the loop's notes (the loop
prints nothing itself); ``verbose >= 2`` also draws a carriage-return
progress bar inside epochs longer than :data:`BAR_DELAY` seconds. Text goes
to ``sys.stdout`` as it is at the time (so pytest's capsys and notebook
redirections see it), flushed at once so that logs show it live.
"""

from __future__ import annotations

import sys
import time

#: An epoch gets a progress bar only once it has run this many seconds.
BAR_DELAY = 1.0
#: Seconds between two redraws of the bar.
BAR_INTERVAL = 0.25
#: The loop reads the clock about this often (seconds of training).
CLOCK_CHECK_SECONDS = 0.05
BAR_WIDTH = 25


def _write(text):
    sys.stdout.write(text)
    sys.stdout.flush()


def _clock(seconds):
    minutes, seconds = divmod(int(seconds), 60)
    return "%d:%02d" % (minutes, seconds)


class ProgressBar:
    """A progress line redrawn with ``\\r`` inside one epoch of ``total`` samples.

    The loop calls :meth:`update` only when ``done >= next_check``, a sample
    count set so that the clock is read about every :data:`CLOCK_CHECK_SECONDS`
    (one comparison per batch). The bar shows after :data:`BAR_DELAY`
    seconds, then redraws at most every :data:`BAR_INTERVAL` seconds.
    """

    def __init__(self, total, epoch_label=""):
        self.total = total
        self.label = epoch_label
        self.started = self.last_draw = time.perf_counter()
        self.next_check = 1
        self.drawn_width = 0

    def update(self, done, loss_sum):
        """``done`` samples trained so far, with ``loss_sum`` their summed loss."""
        now = time.perf_counter()
        elapsed = now - self.started
        rate = done / max(elapsed, 1e-9)
        self.next_check = done + max(1, int(rate * CLOCK_CHECK_SECONDS))
        if elapsed >= BAR_DELAY and (now - self.last_draw >= BAR_INTERVAL
                                     or not self.drawn_width):
            self.last_draw = now
            # float(): an engine may hand lazy device scalars; one sync per redraw
            self._draw(done, elapsed, rate, float(loss_sum) / max(done, 1))

    def _draw(self, done, elapsed, rate, mean_loss):
        filled = BAR_WIDTH * done // max(self.total, 1)
        bar = ("=" * filled + ">" + "." * BAR_WIDTH)[:BAR_WIDTH]
        remaining = (self.total - done) / rate if rate > 0 else 0.0
        text = "%s%*d/%d [%s] %3d%% %s<%s loss %.6g" % (
            self.label, len(str(self.total)), done, self.total, bar,
            100 * done // max(self.total, 1), _clock(elapsed), _clock(remaining), mean_loss)
        _write("\r" + text.ljust(self.drawn_width))
        self.drawn_width = len(text)

    def close(self):
        """Erase the bar (if it was ever drawn) so the next line starts clean."""
        if self.drawn_width:
            _write("\r" + " " * self.drawn_width + "\r")
            self.drawn_width = 0


class EpochLog:
    """What a verbose fit prints at the end of each epoch.

    Parameters
    ----------
    verbose : int
        0 prints nothing, 1 a line per epoch, 2 or more adds the progress bar.
    style : {'sklearn', 'epoch'}
        'sklearn' keeps scikit-learn's MLP lines (``Iteration N, loss = ...``,
        ``Validation score: ...``), which its tests and users' log parsers
        read. 'epoch' prints everything known on one line: ``Epoch 3/200 -
        loss: 0.41234 - val_loss: 0.39877 - val_score: 0.9533 - lr: 0.01 - 0.21s``.
    max_epochs : int or None
        Printed as ``/max_epochs``; None (``partial_fit``) omits it.
    """

    def __init__(self, verbose=0, style="sklearn", max_epochs=None):
        if style not in ("sklearn", "epoch"):
            raise ValueError(f"style must be 'sklearn' or 'epoch', got {style!r}.")
        self.verbose = int(verbose or 0)
        self.style = style
        self.max_epochs = max_epochs

    def epoch_number(self, n_iter, schedule_epoch):
        """``n_iter`` (of this fit), or in the 'epoch' style under ``partial_fit``
        ``schedule_epoch`` (counted over the calls): the number printed for an epoch."""
        return schedule_epoch if self.style == "epoch" and not self.max_epochs else n_iter

    def say(self, text):
        """Print ``text`` as a line of its own (nothing when not verbose)."""
        if self.verbose:
            _write(text + "\n")

    def progress_bar(self, total, epoch):
        """A :class:`ProgressBar` for the coming epoch, or None below ``verbose=2``."""
        if self.verbose < 2:
            return None
        return ProgressBar(total, self._epoch(epoch) + " " if self.style == "epoch" else "")

    def _epoch(self, epoch):
        return "Epoch %d/%d" % (epoch, self.max_epochs) if self.max_epochs else "Epoch %d" % epoch

    def end_epoch(self, epoch, loss, val_loss=None, val_score=None, learning_rate=None,
                  seconds=None):
        """Print the epoch's summary (nothing when not verbose)."""
        if not self.verbose:
            return
        if self.style == "sklearn":
            text = "Iteration %d, loss = %.8f\n" % (epoch, loss)
            if val_score is not None:
                text += "Validation score: %f\n" % val_score
            _write(text)
            return
        fields = [self._epoch(epoch), "loss: %.6g" % loss]
        for template, value in (("val_loss: %.6g", val_loss), ("val_score: %.4f", val_score),
                                ("lr: %.3g", learning_rate), ("%.2fs", seconds)):
            if value is not None:
                fields.append(template % value)
        _write(" - ".join(fields) + "\n")
