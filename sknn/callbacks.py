"""scikit-learn's callback API (:mod:`sklearn.callback`, SLEP023) on sknn's trainers,
and sknn's own callbacks built on it.

Every sknn estimator has scikit-learn's ``set_callbacks``. A fit is the
root task of scikit-learn's task tree and each epoch (each L-BFGS
iteration) one subtask, a leaf; a :class:`~sknn.StackedAutoencoder` has
one task per training stage between the two. :class:`FitTask` is the glue:
the estimators start it, and the training loops call its epoch hooks.

:class:`EarlyStopping`, :class:`ModelCheckpoint`, :class:`CSVLogger` and
:class:`OptunaPruning` follow scikit-learn's ``FitCallback`` protocol. They
find the epoch in progress with :meth:`FitTask.of_epoch` and read its
history record in place, so they copy no weights in an epoch unless they
score or save a model, or keep the best weights.
"""

from __future__ import annotations

import copy
import csv
import math
import os
import string
import weakref

import joblib
from sklearn.metrics import get_scorer

from sknn._sklearn_compat import has_callbacks, without_callbacks
from sknn.training import HISTORY_KEYS

# id(context) -> the FitTask of that context, for as long as the task exists
# (it holds its context, so the id is not reused meanwhile)
_RUNNING = weakref.WeakValueDictionary()


class FitTask:
    """A task of a fit with callbacks, begun, and the hooks of its epochs.

    Made by :meth:`start` (the fit) or :meth:`subtask` (a stage of it),
    never directly. ``X``, ``y`` and ``metadata`` are what every hook of
    the tree receives. ``attributes(*state)`` gives the fitted attributes
    that make a copy of the estimator predict as the model at an epoch's
    start or end does; the training loop passes its ``state`` to
    :meth:`begin_epoch` and :meth:`end_epoch`, and scikit-learn calls
    ``attributes`` only for a callback whose hook asks for
    ``fitted_estimator``, so an epoch costs no copy otherwise. When
    ``attributes`` returns None (an epoch that diverged) the hooks get
    ``fitted_estimator=None``.

    sknn's own callbacks find the task of an epoch with :meth:`of_epoch`
    and read what the hooks' arguments do not carry: ``history`` and the
    engine (from the training loop's :meth:`begin_training`),
    ``validation``, :meth:`fitted_estimator`; :meth:`keep_weights` asks the
    fit to end with the weights of the epoch just ended (put back by
    :meth:`end_training`, which :func:`~sknn.fitting.run_fit` calls).
    """

    def __init__(self, estimator, context, X, y, metadata, attributes=None):
        self.estimator, self.context = estimator, context
        self.X, self.y, self.metadata = X, y, metadata
        self.attributes = attributes
        #: ``(X_val, y_val, sample_weight_val)`` of the fit's validation set
        #: (``validation_data`` or early stopping's split), None without one
        self.validation = None
        #: the engine trained and its live history, from :meth:`begin_training`
        #: (None for a trainer without them: the perceptron)
        self.engine = self.history = None
        # what the training loop passed to the last epoch's end; None while
        # close() ends an epoch cut short
        self.state = ()
        self._epoch = None  # the context of the epoch begun and not yet ended
        self._attributes = None  # (attributes,) of the last epoch ended, once built
        self._kept = None  # the engine snapshot that keep_weights took
        _RUNNING[id(context)] = self

    @classmethod
    def start(cls, estimator, X, y, sample_weight=None, *, task_name="fit", max_subtasks=0):
        """The root task of ``estimator``'s fit, begun; None when no callback is set.

        Without callbacks nothing is made, so the training loops pay one
        ``is None`` test per epoch. Call it in a method that scikit-learn's
        ``_fit_context`` wraps: that tears the callbacks down however the fit
        ends.
        """
        if not has_callbacks(estimator):
            return None
        context = estimator._init_callback_context(task_name=task_name,
                                                   max_subtasks=max_subtasks)
        # only what was passed: ScoringMonitor hands every entry to the scorer
        metadata = {} if sample_weight is None else {"sample_weight": sample_weight}
        task = cls(estimator, context, X, y, metadata)
        task._call(context, "begin")
        return task

    def subtask(self, task_name, max_subtasks, attributes=None):
        """A subtask (a stage whose subtasks are epochs), begun."""
        context = self.context.subcontext(task_name=task_name, max_subtasks=max_subtasks)
        task = type(self)(self.estimator, context, self.X, self.y, self.metadata, attributes)
        task._call(context, "begin")
        return task

    def end(self, attributes):
        """End this task; whether a callback asks to stop the level it belongs to.

        ``attributes``: the fitted estimator's attributes (``{}`` when the
        estimator itself is fitted), or a function that returns them.
        """
        return self._call(self.context, "end", attributes)

    def begin_epoch(self, *state, task_name="epoch"):
        """Begin an epoch, unless one is begun already (L-BFGS begins its
        iterations at their first evaluation of the objective); ``state`` is
        the training's before the epoch."""
        if self._epoch is None:
            self._epoch = self.context.subcontext(task_name=task_name)
            self._call(self._epoch, "begin", lambda: self.attributes(*state))

    def end_epoch(self, *state):
        """End the epoch begun; whether a callback asks to stop training after it."""
        context, self._epoch = self._epoch, None
        self.state, self._attributes = state, None
        return self._call(context, "end", self.epoch_attributes)

    def close(self):
        """End an epoch that was begun and never completed, as an empty task."""
        if self._epoch is not None:
            context, self._epoch, self.state = self._epoch, None, None
            context.call_on_fit_task_end(estimator=self.estimator)

    # -- what sknn's own callbacks read and do -----------------------------------
    @classmethod
    def of_epoch(cls, context):
        """The running task whose epoch (L-BFGS iteration) ``context`` is; None for
        any other task: a fit, a stage, ``partial_fit``'s single task, or a task
        of an estimator that is not sknn's.

        This is how sknn's own callbacks reach what their hooks' arguments
        do not carry: the epoch's history record, the validation set, a
        model built only when needed, and :meth:`keep_weights`. An epoch
        that an exception cut short (ended by :meth:`close`) has none of
        them: None for it too.
        """
        parent = context.parent
        task = _RUNNING.get(id(parent)) if context.max_subtasks == 0 else None
        found = task is not None and task.context is parent and task.state is not None
        return task if found else None

    def begin_training(self, engine, history):
        """Called by a training loop (``fit_loop``, ``fit_lbfgs``) as it begins:
        the engine it trains and its history, which grows an entry per epoch."""
        self.engine, self.history = engine, history

    def keep_weights(self):
        """Copy the weights the epoch just ended left (on the engine's device): the
        fit ends with them, unless a later call keeps others."""
        self._kept = self.engine.snapshot()

    def end_training(self):
        """Called once the training loop has ended: the engine gets the weights that
        :meth:`keep_weights` copied, if any; the task lets go of the engine."""
        if self._kept is not None:
            self.engine.restore(self._kept)
        self.engine = self.history = self._kept = None

    def epoch_attributes(self):
        """``attributes`` of the epoch just ended, built on the first call of the
        epoch (by scikit-learn for a hook that asks for ``fitted_estimator``, or by
        :meth:`fitted_estimator`) and shared by the later ones."""
        if self._attributes is None:
            self._attributes = (self.attributes(*self.state),)
        return self._attributes[0]

    def fitted_estimator(self):
        """A copy of the estimator that predicts as the epoch just ended left the
        model, as the hooks' ``fitted_estimator`` does, but a model only: without
        callbacks, the fit's task contexts and the training state (optimizer
        moments), so it pickles as a fitted estimator. None after an epoch that
        diverged."""
        attributes = self.epoch_attributes()
        if attributes is None:
            return None
        model = without_callbacks(copy.copy(self.estimator))
        for name in ("_train_state", "_optimizer"):
            vars(model).pop(name, None)
        vars(model).update(attributes)
        return model

    def _call(self, context, hook, attributes=None):
        call = context.call_on_fit_task_begin if hook == "begin" else context.call_on_fit_task_end
        return call(estimator=self.estimator, X=self.X, y=self.y, metadata=self.metadata,
                    reconstruction_attributes=attributes)


def diverged(engine, history):
    """Whether training has diverged, as the training loop judges it (a non-finite
    loss in the last epoch, or non-finite weights): then there is no model to
    hand to callbacks."""
    losses = history["loss"]
    return not (engine.parameters_finite() and (not losses or math.isfinite(losses[-1])))


#: What a callback can monitor in the history, and which way is better.
HISTORY_MONITORS = {"loss": "min", "val_loss": "min", "val_score": "max"}


def _check_sknn_estimator(callback, estimator):
    """Refuse an estimator whose fit does not report epochs to sknn's callbacks."""
    if not any(cls.__module__.startswith("sknn.") for cls in type(estimator).__mro__):
        raise TypeError(
            f"{type(callback).__name__} is a callback of sknn's estimators, whose fits "
            f"report their epochs to it; {type(estimator).__name__} is not one. In a "
            f"Pipeline or a search, set it on the sknn estimator itself.")


class _Monitor:
    """A monitored value: an entry of the epoch's history ('loss', 'val_loss',
    'val_score') or a scikit-learn scorer's score, on the fit's validation set
    when it has one, else on the training data. ``mode`` is 'min' or 'max'."""

    def __init__(self, owner, name, mode="auto"):
        self.owner, self.name = f"{owner}(monitor={name!r})", name
        if name in HISTORY_MONITORS:
            self.scorer, better = None, HISTORY_MONITORS[name]
        else:
            try:
                # every scikit-learn scorer is greater-is-better ('neg_log_loss')
                self.scorer, better = get_scorer(name) if isinstance(name, str) else None, "max"
            except ValueError:
                self.scorer = None
            if self.scorer is None:
                raise ValueError(
                    f"{self.owner}: monitor must be 'loss', 'val_loss', 'val_score' or the "
                    f"name of a scikit-learn scorer (sklearn.metrics.get_scorer_names()), "
                    f"got {name!r}.")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{self.owner}: mode must be 'auto', 'min' or 'max', got {mode!r}.")
        self.mode = better if mode == "auto" else mode
        self.worst = -math.inf if self.mode == "max" else math.inf

    def check(self, task):
        """Refuse, before the first epoch, a value that this fit cannot give."""
        trainer = type(task.estimator).__name__
        if self.scorer is None and task.history is None:
            raise ValueError(f"{self.owner}: {trainer} records no per-epoch history; monitor "
                             f"a scorer name such as 'accuracy'.")
        if self.name.startswith("val_") and task.validation is None:
            raise ValueError(
                f"{self.owner}: this {trainer} fit has no validation set. Pass "
                f"fit(X, y, validation_data=(X_val, y_val)) or set early_stopping=True "
                f"(stochastic solvers only: L-BFGS has none), or monitor 'loss' or a "
                f"scorer name.")

    def value(self, task):
        """The value after the epoch just ended; NaN after an epoch that diverged."""
        if self.scorer is None:
            value = task.history[self.name][-1]
        else:
            model = task.fitted_estimator()
            X, y, weight = task.validation or (task.X, task.y,
                                               task.metadata.get("sample_weight"))
            value = None if model is None else self.scorer(
                model, X, y, **({} if weight is None else {"sample_weight": weight}))
        return math.nan if value is None else float(value)

    def improves(self, value, best, min_delta=0.0):
        """Whether ``value`` beats ``best`` by more than ``min_delta`` (NaN never does)."""
        return value - min_delta > best if self.mode == "max" else value + min_delta < best


class EarlyStopping:
    """Stop training once a monitored value has stopped improving, as Keras's does.

    A callback for :meth:`set_callbacks` of sknn's estimators. After every
    epoch (L-BFGS iteration) it reads the monitored value; when ``patience``
    epochs in a row have not improved on the best by more than
    ``min_delta``, it stops training after that epoch. With
    ``restore_best_weights`` the estimator then keeps the weights of the
    best epoch, and ``n_iter_`` and ``history_`` still count every epoch
    that ran (Keras's rule), so ``best_epoch_`` says which one was kept.

    The estimators' own ``early_stopping=True`` is scikit-learn's rule
    (validation score, ``tol`` and ``n_iter_no_change``) and works as in
    scikit-learn; this callback adds other monitors and Keras's semantics,
    and may be used with it: its weights are the ones the fit keeps.

    Parameters
    ----------
    monitor : str, default='val_loss'
        What to watch after each epoch: ``'loss'`` (the training loss),
        ``'val_loss'`` or ``'val_score'`` (the validation loss and score in
        ``history_``: they need ``fit(..., validation_data=...)`` or
        ``early_stopping=True``), or the name of any scikit-learn scorer
        (``'accuracy'``, ``'neg_log_loss'``, ``'r2'``, ...), scored on the
        validation set when the fit has one, else on the training data.
    patience : int, default=10
        Epochs without improvement after which training stops.
    min_delta : float, default=0.0
        The least change that counts as an improvement.
    mode : {'auto', 'min', 'max'}, default='auto'
        Whether lower or higher is better; 'auto' knows: lower for the
        losses, higher for ``'val_score'`` and for every scorer.
    restore_best_weights : bool, default=True
        End the fit with the weights of the best epoch (copied, on the
        engine, whenever the monitored value improves) rather than the
        last epoch's, whether or not the callback stopped training.

    Attributes
    ----------
    best_ : float
        The best monitored value of the last fit (infinite before any epoch).
    best_epoch_ : int
        Its epoch, counted from 1 (the ``max_iter`` that ends there); 0 when
        no epoch improved.
    stopped_epoch_ : int
        The epoch after which the callback stopped training; 0 when it did
        not.

    Notes
    -----
    Epochs are those of ``fit``; ``partial_fit`` trains none of them and is
    ignored. In a :class:`~sknn.StackedAutoencoder` every stage (a layer, the
    fine-tune) starts afresh. Set the callback on the sknn estimator itself,
    also inside a Pipeline or a search: it is not propagated from a
    meta-estimator, and the clones a search fits share it (each fit starts
    afresh). The perceptron records no history (monitor a scorer) and cannot
    restore weights (``restore_best_weights=False``).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn import MLPClassifier
    >>> from sknn.callbacks import EarlyStopping
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> stopper = EarlyStopping(monitor="val_loss", patience=5)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.05, max_iter=500,
    ...                     random_state=0).set_callbacks(stopper)
    >>> clf = clf.fit(X[::2], y[::2], validation_data=(X[1::2], y[1::2]))
    >>> stopper.best_epoch_, stopper.stopped_epoch_, clf.n_iter_
    (34, 39, 39)
    >>> stopper.best_ == clf.history_["val_loss"][33]  # the weights kept are epoch 34's
    True
    """

    def __init__(self, monitor="val_loss", patience=10, min_delta=0.0, mode="auto",
                 restore_best_weights=True):
        self._monitor = _Monitor("EarlyStopping", monitor, mode)
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 1:
            raise ValueError(f"EarlyStopping: patience must be an integer >= 1 (epochs "
                             f"without improvement), got {patience!r}.")
        if not (isinstance(min_delta, (int, float)) and 0 <= min_delta < math.inf):
            raise ValueError(f"EarlyStopping: min_delta must be a finite number >= 0, "
                             f"got {min_delta!r}.")
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.mode, self.restore_best_weights = mode, restore_best_weights
        self._start()

    def _start(self):
        self.best_, self.best_epoch_, self.stopped_epoch_ = self._monitor.worst, 0, 0
        self._wait = 0

    def setup(self, estimator, context):
        _check_sknn_estimator(self, estimator)
        self._start()

    def on_fit_task_begin(self, estimator, context):
        task = FitTask.of_epoch(context)
        if task is None or context.task_id > 0:
            return
        # the first epoch of a fit or of an autoencoder's stage: start afresh
        self._monitor.check(task)
        if self.restore_best_weights and task.engine is None:
            raise ValueError(f"{self._monitor.owner}: {type(estimator).__name__} cannot "
                             f"restore the weights of an earlier epoch; pass "
                             f"restore_best_weights=False.")
        self._start()

    def on_fit_task_end(self, estimator, context):
        task = FitTask.of_epoch(context)
        if task is None:
            return False
        value, epoch = self._monitor.value(task), context.task_id + 1
        if self._monitor.improves(value, self.best_, self.min_delta):
            self.best_, self.best_epoch_, self._wait = value, epoch, 0
            if self.restore_best_weights:
                task.keep_weights()
            return False
        self._wait += 1
        if self._wait < self.patience:
            return False
        self.stopped_epoch_ = epoch
        return True

    def teardown(self, estimator, context):
        pass


def _skops_io():
    try:
        import skops.io
    except ImportError as error:
        raise ImportError("ModelCheckpoint(format='skops') needs the skops package: "
                          "pip install skops.") from error
    return skops.io


class ModelCheckpoint:
    """Save the model after every epoch, or after each epoch that improves on the best.

    A callback for :meth:`set_callbacks` of sknn's estimators, after Keras's
    ``ModelCheckpoint``. What it saves is the fitted estimator as if
    training had stopped after that epoch (it predicts as ``max_iter`` set
    to that epoch would), without its callbacks and without the training
    state that only continues a fit (optimizer moments): loaded, it
    predicts and scores, and trains again from a fresh optimizer.

    Parameters
    ----------
    path : str or path-like
        The file to write. It may hold placeholders filled in at each save,
        with Python's format syntax: ``{epoch}`` (counted from 1), the
        epoch's history entries ``{loss}``, ``{val_loss}``, ``{val_score}``,
        ``{learning_rate}`` and ``{seconds}``, and the monitored value by
        its name, e.g. ``'model-{epoch:03d}-{accuracy:.3f}.joblib'``.
        Without placeholders each save overwrites the file.
    monitor : str, default='val_loss'
        The value that decides which epoch is best, as in
        :class:`EarlyStopping`: ``'loss'``, ``'val_loss'``, ``'val_score'``
        or a scikit-learn scorer name. It is computed only when
        ``save_best_only`` is set or ``path`` names it.
    save_best_only : bool, default=False
        Save only after an epoch whose monitored value beats every earlier
        one of the fit, so the last file written holds the best model.
    mode : {'auto', 'min', 'max'}, default='auto'
        Whether lower or higher is better ('auto': lower for the losses,
        higher for ``'val_score'`` and every scorer).
    format : {'joblib', 'skops'}, default='joblib'
        ``joblib.dump``, or ``skops.io.dump`` (needs the skops package),
        a format that loads without running arbitrary code:
        ``skops.io.load(path, trusted=types)``, where ``types`` are the
        types to review that ``skops.io.get_untrusted_types(file=path)``
        lists: the estimator's class, :class:`sknn.network.Network`,
        ``sknn.nn.losses.LossSpec`` and the layer specs of
        :mod:`sknn.spec` (``Dense``, ``Activation``, ``NetworkSpec``, ...).

    Attributes
    ----------
    filepath_ : str or None
        The file written last (with ``save_best_only``, the best model's).
    best_ : float
        The best monitored value of the last fit, when the monitor is
        computed (infinite otherwise).
    best_epoch_ : int
        Its epoch, counted from 1; 0 when none.

    Notes
    -----
    A file is written after each epoch of ``fit`` (``partial_fit`` trains
    none), never after an epoch that diverged. Set the callback on the sknn
    estimator itself; the clones a search fits share it and write to the
    same ``path``, so save the final refit, or put the placeholders of
    something that differs in the path.

    Examples
    --------
    >>> import joblib, os, tempfile
    >>> from sklearn.datasets import load_iris
    >>> from sknn import MLPClassifier
    >>> from sknn.callbacks import ModelCheckpoint
    >>> X, y = load_iris(return_X_y=True)
    >>> folder = tempfile.mkdtemp()
    >>> checkpoint = ModelCheckpoint(os.path.join(folder, "best.joblib"), monitor="accuracy",
    ...                              save_best_only=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=0)
    >>> clf = clf.set_callbacks(checkpoint).fit(X, y)
    >>> best = joblib.load(checkpoint.filepath_)
    >>> best.n_iter_ == checkpoint.best_epoch_, best.score(X, y) == checkpoint.best_
    (True, True)
    """

    def __init__(self, path, monitor="val_loss", save_best_only=False, mode="auto",
                 format="joblib"):
        self._monitor = _Monitor("ModelCheckpoint", monitor, mode)
        if format not in ("joblib", "skops"):
            raise ValueError(f"ModelCheckpoint: format must be 'joblib' or 'skops', "
                             f"got {format!r}.")
        names = {field for _, field, _, _ in string.Formatter().parse(os.fspath(path))
                 if field is not None}
        unknown = names - {"epoch", *HISTORY_KEYS, monitor}
        if unknown:
            raise ValueError(
                f"ModelCheckpoint: path {os.fspath(path)!r} has the placeholders "
                f"{sorted(unknown)}, which name no value; it may use {{epoch}}, "
                f"{', '.join('{%s}' % key for key in HISTORY_KEYS)} and {{{monitor}}}.")
        self.path, self.monitor, self.save_best_only = path, monitor, save_best_only
        self.mode, self.format = mode, format
        self._scored = save_best_only or monitor in names
        self._start()

    def _start(self):
        self.best_, self.best_epoch_ = self._monitor.worst, 0
        self.filepath_ = None

    def setup(self, estimator, context):
        _check_sknn_estimator(self, estimator)
        if self.format == "skops":
            _skops_io()
        self._start()

    def on_fit_task_begin(self, estimator, context):
        task = FitTask.of_epoch(context)
        if task is not None and context.task_id == 0:
            if self._scored:
                self._monitor.check(task)
            self.best_, self.best_epoch_ = self._monitor.worst, 0

    def on_fit_task_end(self, estimator, context):
        task = FitTask.of_epoch(context)
        if task is None:
            return False
        epoch = context.task_id + 1
        values = {"epoch": epoch}
        if task.history is not None:
            values.update((key, task.history[key][-1]) for key in HISTORY_KEYS)
        if self._scored:
            value = values[self.monitor] = self._monitor.value(task)
            improved = self._monitor.improves(value, self.best_)
            if improved:
                self.best_, self.best_epoch_ = value, epoch
            if self.save_best_only and not improved:
                return False
        model = task.fitted_estimator()
        if model is None:  # an epoch that diverged leaves no model
            return False
        try:
            path = os.fspath(self.path).format(**values)
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"ModelCheckpoint: cannot fill in path {os.fspath(self.path)!r} "
                             f"after epoch {epoch} with {values}: {error}") from error
        if self.format == "skops":
            _skops_io().dump(model, path)
        else:
            joblib.dump(model, path)
        self.filepath_ = path
        return False

    def teardown(self, estimator, context):
        pass


class CSVLogger:
    """Append one row per epoch to a CSV file: the epoch and its history entries.

    A callback for :meth:`set_callbacks` of sknn's estimators, after Keras's
    ``CSVLogger``. The columns are ``epoch`` (counted from 1), ``loss``,
    ``val_loss``, ``val_score``, ``learning_rate`` and ``seconds``, the
    entries of ``history_``; an entry a fit does not record (no validation
    set; L-BFGS has no learning rate) is an empty cell. A row is written, and
    the file closed, after each epoch, so the rows survive a fit that
    fails. In memory the same record is the fitted estimator's
    ``history_``.

    Parameters
    ----------
    path : str or path-like
        The CSV file.
    append : bool, default=False
        Add the rows of each fit to the file rather than replacing it (a
        header is written only into an empty file).

    Notes
    -----
    The file is written from the first epoch of ``fit`` on; ``partial_fit``
    (no epochs) leaves it alone. A :class:`~sknn.StackedAutoencoder`
    writes the rows of all its stages, each counting its epochs from 1.
    The perceptron records no history to log.

    Examples
    --------
    >>> import csv, os, tempfile
    >>> from sklearn.datasets import load_iris
    >>> from sknn import MLPClassifier
    >>> from sknn.callbacks import CSVLogger
    >>> X, y = load_iris(return_X_y=True)
    >>> path = os.path.join(tempfile.mkdtemp(), "training.csv")
    >>> clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    >>> clf = clf.set_callbacks(CSVLogger(path)).fit(X, y)
    >>> with open(path, newline="") as file:
    ...     rows = list(csv.DictReader(file))
    >>> [row["epoch"] for row in rows], list(rows[0])
    (['1', '2', '3'], ['epoch', 'loss', 'val_loss', 'val_score', 'learning_rate', 'seconds'])
    >>> [float(row["loss"]) for row in rows] == clf.history_["loss"]
    True
    """

    def __init__(self, path, append=False):
        self.path, self.append = path, append
        self._started = False

    def setup(self, estimator, context):
        _check_sknn_estimator(self, estimator)
        self._started = False

    def on_fit_task_begin(self, estimator, context):
        task = FitTask.of_epoch(context)
        if task is None or self._started:
            return
        if task.history is None:
            raise ValueError(f"CSVLogger: {type(estimator).__name__} records no per-epoch "
                             f"history to log.")
        self._started = True
        if not self.append or not os.path.exists(self.path) or not os.path.getsize(self.path):
            self._write(("epoch", *HISTORY_KEYS), mode="w")

    def on_fit_task_end(self, estimator, context):
        task = FitTask.of_epoch(context)
        if task is not None:
            self._write((context.task_id + 1, *(task.history[key][-1] for key in HISTORY_KEYS)))
        return False

    def _write(self, row, mode="a"):
        # str(float) is the shortest text that reads back as the same float
        with open(self.path, mode, newline="", encoding="utf-8") as file:
            csv.writer(file).writerow(row)

    def teardown(self, estimator, context):
        pass


class OptunaPruning:
    """Report a monitored value to an Optuna trial after each epoch; stop when it is pruned.

    A callback for :meth:`set_callbacks` of sknn's estimators that lets
    Optuna's pruners (median, Hyperband, ...) stop a trial in the middle of
    one full ``fit`` call. After each epoch it calls
    ``trial.report(value, epoch)`` and then ``trial.should_prune()``; when
    the pruner says so, it stops training after that epoch and sets
    ``pruned_``. The fit then ends normally, so the objective raises
    ``optuna.TrialPruned()`` itself (see the example): a pruned trial is
    recorded as pruned, not as a result.

    Parameters
    ----------
    trial : optuna.trial.Trial
        The trial of the objective that fits the estimator.
    monitor : str, default='val_score'
        The value reported, as in :class:`EarlyStopping`: ``'loss'``,
        ``'val_loss'``, ``'val_score'`` or a scikit-learn scorer name. Which
        way is better must be the study's direction (``'maximize'`` for the
        scores, ``'minimize'`` for the losses), or ``fit`` says so.

    Attributes
    ----------
    pruned_ : bool
        Whether the pruner stopped the last fit.

    Notes
    -----
    Epochs are counted from 1 over the whole fit (a
    :class:`~sknn.StackedAutoencoder`'s stages one after the other), and a
    Hyperband pruner's resource is that count: give it
    ``max_resource=max_iter``. The trial belongs to the process that runs
    the study: pickling the callback (``n_jobs`` above 1 in a search,
    saving the estimator) leaves the trial behind, and a fit with the
    unpickled callback raises. Optuna itself is imported by the objective,
    never by sknn.

    Examples
    --------
    >>> import optuna
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn import MLPClassifier
    >>> from sknn.callbacks import OptunaPruning
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> def objective(trial):
    ...     pruning = OptunaPruning(trial, monitor="val_score")
    ...     clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0,
    ...                         learning_rate_init=trial.suggest_float("lr", 1e-4, 1e-1, log=True))
    ...     clf.set_callbacks(pruning).fit(X[::2], y[::2], validation_data=(X[1::2], y[1::2]))
    ...     if pruning.pruned_:
    ...         raise optuna.TrialPruned()
    ...     return clf.score(X[1::2], y[1::2])
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> study = optuna.create_study(direction="maximize",
    ...                             sampler=optuna.samplers.RandomSampler(seed=0),
    ...                             pruner=optuna.pruners.MedianPruner(n_startup_trials=2))
    >>> study.optimize(objective, n_trials=6)
    >>> [(trial.state.name, len(trial.intermediate_values)) for trial in study.trials]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('COMPLETE', 20), ('COMPLETE', 20), ('PRUNED', 1), ('PRUNED', 6), ('PRUNED', 6),
     ('PRUNED', 1)]
    """

    def __init__(self, trial, monitor="val_score"):
        self._monitor = _Monitor("OptunaPruning", monitor)
        self.trial, self.monitor = trial, monitor
        self.pruned_, self._epochs = False, 0

    def setup(self, estimator, context):
        _check_sknn_estimator(self, estimator)
        if self.trial is None:
            raise ValueError("OptunaPruning: this callback was pickled, which leaves its "
                             "Optuna trial behind (a copy would report to a copy of the "
                             "study). Set a new OptunaPruning(trial) with set_callbacks, and "
                             "run the fits of a study in its own process (n_jobs=1).")
        directions = [direction.name.lower()
                      for direction in getattr(getattr(self.trial, "study", None),
                                               "directions", ())]
        wanted = "maximize" if self._monitor.mode == "max" else "minimize"
        if directions and directions != [wanted]:
            raise ValueError(
                f"{self._monitor.owner} reports a value to {wanted}, but the study's "
                f"direction is {' and '.join(directions)}: its pruner would stop the best "
                f"trials. Monitor a value to {directions[0]} or create the study with "
                f"direction={wanted!r} (pruning needs a single objective).")
        self.pruned_, self._epochs = False, 0

    def on_fit_task_begin(self, estimator, context):
        task = FitTask.of_epoch(context)
        if task is not None and context.task_id == 0:
            self._monitor.check(task)

    def on_fit_task_end(self, estimator, context):
        task = FitTask.of_epoch(context)
        if task is None:
            return False
        self._epochs += 1
        self.trial.report(self._monitor.value(task), self._epochs)
        self.pruned_ = bool(self.trial.should_prune())
        return self.pruned_

    def teardown(self, estimator, context):
        pass

    def __getstate__(self):
        return {**self.__dict__, "trial": None}
