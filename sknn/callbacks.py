"""scikit-learn's callback API (:mod:`sklearn.callback`, SLEP023) on sknn's trainers.

Every sknn estimator has scikit-learn's ``set_callbacks``. A fit is the
root task of scikit-learn's task tree and each epoch (each L-BFGS
iteration) one subtask, a leaf; a :class:`~sknn.StackedAutoencoder` has
one task per training stage between the two. :class:`FitTask` is the glue:
the estimators start it, and the training loops call its epoch hooks.
"""

from __future__ import annotations

import math


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
    """

    def __init__(self, estimator, context, X, y, metadata, attributes=None):
        self.estimator, self.context = estimator, context
        self.X, self.y, self.metadata = X, y, metadata
        self.attributes = attributes
        self._epoch = None  # the context of the epoch begun and not yet ended

    @classmethod
    def start(cls, estimator, X, y, sample_weight=None, *, task_name="fit", max_subtasks=0):
        """The root task of ``estimator``'s fit, begun; None when no callback is set.

        Without callbacks nothing is made, so the training loops pay one
        ``is None`` test per epoch. Call it in a method that scikit-learn's
        ``_fit_context`` wraps: that tears the callbacks down however the fit
        ends.
        """
        if not getattr(estimator, "_skl_callbacks", None):
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
        return self._call(context, "end", lambda: self.attributes(*state))

    def close(self):
        """End an epoch that was begun and never completed, as an empty task."""
        if self._epoch is not None:
            self._epoch.call_on_fit_task_end(estimator=self.estimator)
            self._epoch = None

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
