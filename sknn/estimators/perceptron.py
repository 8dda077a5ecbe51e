"""Rosenblatt's perceptron: one layer of linear threshold units (LTUs)."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from sknn._sklearn_compat import (
    CallbackSupportMixin,
    Interval,
    StrOptions,
    _check_partial_fit_first_call,
    _check_sample_weight,
    _fit_context,
)
from sknn.callbacks import FitTask
from sknn.estimators._base import store_init_arguments, unchanged_if_interrupted
from sknn.estimators._checks import check_class_weight
from sknn.exceptions import check_two_classes, explain_input_errors
from sknn.nn import perceptron_compiled
from sknn.nn.activations import ACTIVATIONS
from sknn.nn.layers.dense import Dense
from sknn.nn.perceptron_rule import blocked_epoch, minibatch_epoch, new_state

MAX_INT = np.iinfo(np.int32).max
# scikit-learn's intercept_decay for sparse input (make_dataset): the bias of a
# sparse problem moves 100 times slower than the weights.
SPARSE_INTERCEPT_DECAY = 0.01


class PerceptronClassifier(ClassifierMixin, CallbackSupportMixin, BaseEstimator):
    """Rosenblatt's perceptron: a single layer of linear threshold units (LTUs).

    Each LTU computes ``z = x . w + b`` and outputs a step of ``z``. It is
    trained by the perceptron rule ``w <- w + eta0 (y - y_hat) x``: only a
    mistake changes the weights. A drop-in superset of
    :class:`sklearn.linear_model.Perceptron`: every parameter of it, with
    the same default and meaning, gives the same model with ``shuffle=False``
    (with shuffling the visiting order comes from a different generator).

    Binary problems use one LTU (``coef_`` of shape ``(1, n_features)``),
    multiclass problems one LTU per class trained together one-vs-all (the
    prediction is the class of the largest ``z``), multilabel indicator
    targets one LTU per label. The units are the columns of one Dense-layer
    kernel of shape ``(n_features, n_units)`` (``coef_`` is its transpose).

    Parameters
    ----------
    penalty : {'l2', 'l1', 'elasticnet'}, default=None
        Regularization, applied after every sample like scikit-learn's SGD:
        the L2 part shrinks the weights by ``1 - (1 - l1_ratio) eta0 alpha``,
        the L1 part is a cumulative truncated gradient.
    alpha : float, default=0.0001
        Strength of the penalty.
    l1_ratio : float, default=0.15
        Elastic-net mixing: 0 is L2, 1 is L1. Only used with 'elasticnet'.
    fit_intercept : bool, default=True
        Learn the bias (the weight of a constant "bias neuron").
    max_iter : int, default=1000
        Maximum number of passes (epochs) over the training data.
    tol : float or None, default=1e-3
        Stop when the epoch's mean loss (plus penalty) does not improve by
        ``tol`` for ``n_iter_no_change`` epochs in a row; None never stops early.
    shuffle : bool, default=True
        Shuffle the training data before each epoch.
    verbose : int, default=0
        Print the loss after every epoch.
    eta0 : float, default=1.0
        Learning rate: the size of a correction.
    n_jobs : int, default=None
        Accepted for compatibility and ignored: the LTUs train together as
        one vectorized set instead of one job per class.
    random_state : int, RandomState instance or None, default=0
        Seeds the shuffling and the early-stopping split.
    early_stopping : bool, default=False
        Stop on the accuracy of a held-out ``validation_fraction`` instead of
        the training loss; each LTU is scored on its own one-vs-all task.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping.
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes (multiplying the correction of their samples).
        For multilabel targets the keys are 0 and 1 (a label absent or
        present), applied to every label's LTU; 'balanced' balances each label.
    warm_start : bool, default=False
        Start ``fit`` from the previous solution.
    step_function : {'sign', 'heaviside'}, default='sign'
        The LTU's step, from sknn's activation registry. ``'sign'`` gives
        decisions in {-1, +1} and updates when ``y z <= 0`` (scikit-learn's
        rule: a zero margin is a mistake, so training leaves zero weights).
        ``'heaviside'`` gives decisions in {0, 1} and applies the textbook
        ``w += eta0 (y - H(z)) x`` with targets in {0, 1}: a negative
        sample at exactly ``z = 0`` counts as right. Either way a positive
        decision (``z > 0``) maps to the positive label (``classes_[1]`` for
        a binary problem, 1 for a label of a multilabel problem), the other
        to the negative one.
    batch_size : int, default=1
        1 is the classic per-sample rule. Larger values give the mini-batch
        perceptron, a departure from the classic rule: all samples of a
        batch are judged with the weights from the batch's start and their
        corrections are summed; the penalty is applied once per batch with
        the strength of ``batch_size`` samples.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_units, n_features)
    intercept_ : ndarray of shape (1,) or (n_units,)
    n_iter_ : int
        Epochs run (the largest over the LTUs, which stop independently).
    t_ : int
        Number of weight updates performed during training (samples seen).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    Notes
    -----
    ``y`` with only one class raises a ValueError, as in scikit-learn's
    Perceptron (the MLP classifiers fit it, with a warning), and so do
    negative ``sample_weight`` values (scikit-learn accepts them; a negative
    weight would reverse the correction, rewarding mistakes).

    With ``shuffle=False`` the weights, ``n_iter_`` and ``t_`` equal
    scikit-learn's for the same parameters (up to floating-point rounding of
    margins that are exactly zero). With ``shuffle=True`` each epoch visits the
    samples in one NumPy permutation shared by all LTUs, where scikit-learn
    draws one order per one-vs-all problem, so results differ run to run as
    between two seeds. Each LTU still stops on its own criterion, as there.

    Speed of the classic rule (``batch_size=1``): with Numba installed
    (``pip install sknn-learn[speed]``) dense data runs a compiled loop over
    the samples (:mod:`sknn.nn.perceptron_compiled`), about as fast as
    scikit-learn's Cython; Numba is imported, and the loop compiled and
    cached, on the first such fit. Without Numba, or for sparse ``X``, an
    epoch computes the margins of a window of samples in one matrix product
    and applies the first mistake (see :mod:`sknn.nn.perceptron_rule`): the
    same sequential rule with Python work per mistake rather than per
    sample, several times slower on noisy data. ``penalty='l1'`` or
    ``'elasticnet'`` with ``batch_size=1`` runs a per-sample NumPy loop.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sknn import PerceptronClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = PerceptronClassifier(random_state=0).fit(X, y)
    >>> clf.coef_.shape
    (3, 4)
    >>> hasattr(clf, "predict_proba")
    False
    >>> import numpy as np
    >>> X_and = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    >>> PerceptronClassifier(step_function="heaviside").fit(X_and, [0, 0, 0, 1]).predict(X_and)
    array([0, 0, 0, 1])
    """

    _parameter_constraints: dict = {
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "shuffle": ["boolean"],
        "verbose": ["verbose"],
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "warm_start": ["boolean"],
        "step_function": [StrOptions({"sign", "heaviside"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, *, penalty=None, alpha=0.0001, l1_ratio=0.15, fit_intercept=True,
                 max_iter=1000, tol=1e-3, shuffle=True, verbose=0, eta0=1.0, n_jobs=None,
                 random_state=0, early_stopping=False, validation_fraction=0.1,
                 n_iter_no_change=5, class_weight=None, warm_start=False,
                 step_function="sign", batch_size=1):
        store_init_arguments(self, locals())

    # -- public API ---------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit the LTUs with the perceptron rule.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multilabel indicator matrix.
        coef_init : ndarray of shape (n_units, n_features), default=None
            Initial weights (zeros by default, as scikit-learn).
        intercept_init : ndarray of shape (n_units,), default=None
        sample_weight : array-like of shape (n_samples,), default=None
            Multiplies the correction made on each sample.

        Returns
        -------
        self : object

        Examples
        --------
        >>> import numpy as np
        >>> from sknn import PerceptronClassifier
        >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
        >>> clf = PerceptronClassifier(shuffle=False).fit(X, [0, 1, 1, 1])  # logical OR
        >>> clf.predict(X)
        array([0, 1, 1, 1])
        """
        # outside the interruption guard, whose undo would keep the callbacks
        # from being torn down
        task = FitTask.start(self, X, y, sample_weight, max_subtasks=self.max_iter)
        with unchanged_if_interrupted(self):
            self._fit(X, y, coef_init, intercept_init, sample_weight, task)
        if task is not None:
            task.end({})
        return self

    def _fit(self, X, y, coef_init, intercept_init, sample_weight, task):
        warm = self.warm_start and hasattr(self, "coef_")
        if warm:
            coef_init = self.coef_ if coef_init is None else coef_init
            intercept_init = self.intercept_ if intercept_init is None else intercept_init
        for name in ("classes_", "coef_", "intercept_"):
            if hasattr(self, name):
                delattr(self, name)
        self.t_ = 1
        self._partial_fit(X, y, None, sample_weight, self.max_iter, coef_init, intercept_init,
                          reset=True, task=task)
        if self.tol is not None and self.n_iter_ == self.max_iter:
            warnings.warn("Maximum number of iteration reached before convergence. Consider "
                          "increasing max_iter to improve the fit.", ConvergenceWarning)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Run one epoch of the perceptron rule over ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
        classes : array-like of shape (n_classes,), default=None
            All the classes; required on the first call (not for multilabel y).
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_iris
        >>> from sknn import PerceptronClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = PerceptronClassifier(random_state=0)
        >>> for chunk in np.array_split(np.random.default_rng(0).permutation(len(y)), 3):
        ...     clf = clf.partial_fit(X[chunk], y[chunk], classes=[0, 1, 2])
        >>> clf.t_ > len(y)
        True
        """
        if self.early_stopping:
            raise ValueError("early_stopping should be False with partial_fit")
        first = not hasattr(self, "classes_")
        if first and classes is None and not type_of_target(y).startswith("multilabel"):
            # later chunks may hold labels this one lacks: the units need them all now
            raise ValueError("classes must be passed on the first call to partial_fit: "
                             "the labels of every chunk to come, e.g. np.unique(y_all).")
        # one task on one batch, a leaf (scikit-learn's convention for incremental fits)
        task = FitTask.start(self, X, y, sample_weight, task_name="partial_fit")
        with unchanged_if_interrupted(self):
            if first:
                self.t_ = 1
            self._partial_fit(X, y, classes, sample_weight, 1, None, None, reset=first)
        if task is not None:
            task.end({})
        return self

    def decision_function(self, X):
        """Net input ``z = X coef_.T + intercept_`` of every LTU.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        z : ndarray of shape (n_samples,) for one LTU, else (n_samples, n_units)

        Examples
        --------
        >>> import numpy as np
        >>> from sknn import PerceptronClassifier
        >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
        >>> clf = PerceptronClassifier(shuffle=False).fit(X, [0, 0, 0, 1])  # logical AND
        >>> z = clf.decision_function(X)
        >>> bool(np.array_equal(z > 0, clf.predict(X) == 1))
        True
        """
        check_is_fitted(self)
        with explain_input_errors(X=X):
            X = validate_data(self, X, accept_sparse="csr", reset=False,
                              dtype=[np.float64, np.float32])
        dense = Dense(self.coef_.shape[1], self.coef_.shape[0])
        dense.bind({"kernel": self.coef_.T, "bias": self.intercept_},
                   {"kernel": None, "bias": None})
        z, _ = dense.forward(X)
        return z.ravel() if z.shape[1] == 1 else z

    def predict(self, X):
        """Class labels (or label indicators) from the LTUs' steps.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)

        Examples
        --------
        >>> import numpy as np
        >>> from sknn import PerceptronClassifier
        >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
        >>> clf = PerceptronClassifier(shuffle=False).fit(X, ["no", "no", "no", "yes"])
        >>> clf.predict(X)
        array(['no', 'no', 'no', 'yes'], dtype='<U3')
        """
        z = self.decision_function(X)
        if not self._multilabel and z.ndim == 2:
            return self.classes_[np.argmax(z, axis=1)]
        step = ACTIVATIONS.get(self.step_function).forward(np.array(z, dtype=np.float64))
        fires = (step > 0).astype(int)
        return fires if self._multilabel else self.classes_[fires]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_label = True
        return tags

    # -- fitting ------------------------------------------------------------
    def _validate_targets(self, X, y, classes, reset):
        with explain_input_errors(X=X, y=y):
            X, y = validate_data(self, X, y, accept_sparse="csr",
                                 dtype=[np.float64, np.float32], order="C",
                                 accept_large_sparse=False, multi_output=True, reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim == 2:
            if type_of_target(y) != "multilabel-indicator":
                raise ValueError("2-d y must be a multilabel indicator matrix, got "
                                 f"{type_of_target(y)!r}.")
            if reset:
                self.classes_ = np.arange(y.shape[1])
            elif y.shape[1] != len(self.classes_):
                raise ValueError("y has %d labels, expected %d." % (y.shape[1],
                                                                    len(self.classes_)))
            self._multilabel = True
            return X, y
        check_classification_targets(y)
        self._multilabel = False
        source = "y" if classes is None else "classes"
        if reset and classes is None:
            classes = np.unique(y)
        _check_partial_fit_first_call(self, classes)
        check_two_classes(self.classes_, source)
        return X, y

    def _targets(self, y):
        """``(T, positive_weight, negative_weight)``: +1/-1 targets, one column per LTU."""
        classes = self.classes_
        if self._multilabel:
            # each label's LTU weighs its absent (0) and present (1) samples
            weights = np.array([compute_class_weight(self.class_weight, classes=np.array([0, 1]),
                                                     y=column) for column in (y > 0).T.astype(int)])
            return np.where(y > 0, 1.0, -1.0), weights[:, 1], weights[:, 0]
        weights = compute_class_weight(self.class_weight, classes=classes, y=y)
        if len(classes) == 2:
            T = np.where(y == classes[1], 1.0, -1.0)[:, None]
            return T, weights[1:], weights[:1]
        T = np.where(y[:, None] == classes[None, :], 1.0, -1.0)
        return T, weights, np.ones(len(classes))

    def _init_weights(self, n_units, n_features, dtype, coef_init, intercept_init):
        if coef_init is not None:
            # a copy: training updates these weights in place, never the caller's array
            coef = np.array(coef_init, dtype=dtype, copy=True)
            if n_units == 1:
                coef = coef.reshape(1, -1) if coef.size == n_features else coef
            if coef.shape != (n_units, n_features):
                raise ValueError("Provided coef_init does not match dataset.")
        else:
            coef = np.zeros((n_units, n_features), dtype=dtype)
        if intercept_init is not None:
            intercept = np.asarray(intercept_init, dtype=dtype).reshape(-1)
            if intercept.shape != (n_units,):
                raise ValueError("Provided intercept_init does not match dataset.")
        else:
            intercept = np.zeros(n_units, dtype=dtype)
        return coef, intercept

    def _validation_mask(self, y, sample_weight):
        mask = np.zeros(len(sample_weight), dtype=bool)
        if not self.early_stopping:
            return mask
        splitter = ShuffleSplit if self._multilabel else StratifiedShuffleSplit
        cv = splitter(test_size=self.validation_fraction, random_state=self.random_state)
        idx_train, idx_val = next(cv.split(np.zeros((len(y), 1)), y))
        if not np.any(sample_weight[idx_val] > 0):
            raise ValueError("The sample weights for validation set are all zero, consider "
                             "using a different random state.")
        if idx_train.shape[0] == 0 or idx_val.shape[0] == 0:
            raise ValueError(
                "Splitting %d samples into a train set and a validation set with "
                "validation_fraction=%r led to an empty set (%d and %d samples). Please "
                "either change validation_fraction, increase number of samples, or disable "
                "early_stopping." % (len(y), self.validation_fraction, idx_train.shape[0],
                                     idx_val.shape[0]))
        mask[idx_val] = True
        return mask

    def _partial_fit(self, X, y, classes, sample_weight, max_iter, coef_init, intercept_init,
                     reset, task=None):
        check_class_weight(self.class_weight)
        X, y = self._validate_targets(X, y, classes, reset)
        sample_weight = _check_sample_weight(sample_weight, X, dtype=X.dtype,
                                             ensure_non_negative=True)
        T, pos_weight, neg_weight = self._targets(y)
        n_units = T.shape[1]
        if getattr(self, "coef_", None) is None or coef_init is not None:
            self.coef_, self.intercept_ = self._init_weights(
                n_units, X.shape[1], X.dtype, coef_init, intercept_init)
        elif X.shape[1] != self.coef_.shape[1]:
            raise ValueError("Number of features %d does not match previous data %d."
                             % (X.shape[1], self.coef_.shape[1]))
        validation = self._validation_mask(y, sample_weight)
        class_weight = np.where(T > 0, pos_weight, neg_weight)
        U = (self.eta0 * T * class_weight * sample_weight[:, None]).astype(X.dtype)
        kernel = np.ascontiguousarray(self.coef_.T)
        bias = self.intercept_.astype(X.dtype, copy=True)
        if task is not None:
            task.attributes = _epoch_attributes
        n_iter = self._train(X, T.astype(X.dtype), U, kernel, bias, validation, sample_weight,
                             max_iter, task)
        self.coef_ = np.ascontiguousarray(kernel.T)
        self.intercept_ = bias
        self.n_iter_ = n_iter
        self.t_ += n_iter * X.shape[0]
        return self

    def _penalty_factors(self):
        """``(l1_ratio, shrink, l1_step)`` per sample, as scikit-learn's ``_plain_sgd``."""
        l1_ratio = {None: 0.0, "l2": 0.0, "l1": 1.0}.get(self.penalty, self.l1_ratio)
        if self.penalty is None:
            return 0.0, 1.0, 0.0
        shrink = max(0.0, 1.0 - (1.0 - l1_ratio) * self.eta0 * self.alpha)
        return l1_ratio, shrink, l1_ratio * self.eta0 * self.alpha

    def _train(self, X, T, U, kernel, bias, validation, sample_weight, max_iter, task):
        """Epoch loop; each LTU stops on its own criterion. Returns the epochs run.

        ``task`` (a :class:`~sknn.callbacks.FitTask`, or None) gets one task per
        epoch; a callback that returns True stops every LTU after that epoch.
        """
        train = np.flatnonzero(~validation)
        X_val, T_val, w_val = X[validation], T[validation], sample_weight[validation]
        l1_ratio, shrink, l1_step = self._penalty_factors()
        uses_l1 = self.penalty is not None and l1_ratio > 0
        decay = SPARSE_INTERCEPT_DECAY if sp.issparse(X) else 1.0
        rng = np.random.RandomState(check_random_state(self.random_state).randint(MAX_INT))
        tol = -np.inf if self.tol is None else self.tol
        k = T.shape[1]
        active = np.ones(k, dtype=bool)
        best = np.full(k, -np.inf if self.early_stopping else np.inf)
        stall = np.zeros(k, dtype=int)
        epochs = np.full(k, max_iter)
        order = train
        state = new_state(kernel, uses_l1)
        for epoch in range(max_iter):
            if task is not None:
                task.begin_epoch(kernel, bias, epoch)
            if self.shuffle:
                order = rng.permutation(train)
            cols = np.flatnonzero(active)
            W, b = kernel[:, cols], bias[cols]  # copies: the kernel keeps the last epoch
            Te, Ue = T[order][:, cols], U[order][:, cols]
            view = {key: value if np.isscalar(value) else value[..., cols]
                    for key, value in state.items()}
            try:
                loss, sq_sum, l1_sum = self._epoch(X, order, Te, Ue, W, b, shrink, l1_step,
                                                   view, decay)
            except KeyboardInterrupt:
                warnings.warn("Training interrupted by user after %d completed epoch(s); the "
                              "model keeps the weights of the last completed epoch." % epoch)
                return epoch
            for key, value in view.items():
                if np.isscalar(value):
                    state[key] = value
                else:
                    state[key][..., cols] = value
            kernel[:, cols], bias[cols] = W, b
            if not (np.all(np.isfinite(kernel)) and np.all(np.isfinite(bias))):
                raise ValueError("Floating-point under-/overflow occurred at epoch #%d. "
                                 "Scaling input data with StandardScaler or MinMaxScaler "
                                 "might help." % (epoch + 1))
            if self.early_stopping:
                z = np.asarray(X_val @ W) + b
                right = np.where(z > 0, 1.0, -1.0) == T_val[:, cols]
                value = w_val @ right / w_val.sum()
                worse = value < best[cols] + tol
                best[cols] = np.maximum(best[cols], value)
            else:
                penalty = self.alpha * ((1 - l1_ratio) * 0.5 * sq_sum + l1_ratio * l1_sum)
                value = (loss + (penalty if self.penalty else 0.0)) / max(len(train), 1)
                worse = value > best[cols] - tol
                best[cols] = np.minimum(best[cols], value)
            if self.verbose:
                print("-- Epoch %d\nAvg. loss: %s" % (epoch + 1, np.round(loss / len(train), 6)))
            stall[cols] = np.where(worse, stall[cols] + 1, 0)
            done = cols[stall[cols] >= self.n_iter_no_change]
            epochs[done] = epoch + 1
            active[done] = False
            if task is not None and task.end_epoch(kernel, bias, epoch + 1):
                epochs[active] = epoch + 1
                break
            if not active.any():
                break
        return int(epochs.max())

    def _epoch(self, X, order, T, U, W, b, shrink, l1_step, state, decay):
        """One pass over ``X[order]``; ``T``, ``U`` are already in that order."""
        options = dict(rule=self.step_function, shrink=shrink, fit_intercept=self.fit_intercept,
                       intercept_decay=decay)
        classic = self.batch_size == 1 and "q" not in state
        if classic and perceptron_compiled.available and not sp.issparse(X):
            # visits rows through `order`: no shuffled copy of X per epoch
            loss, sq_sum = perceptron_compiled.sequential_epoch(X, order, T, U, W, b, state,
                                                                **options)
            return loss, sq_sum, np.zeros_like(loss)
        if len(order) < X.shape[0] or np.any(order[1:] < order[:-1]):
            X = X[order]
        if classic:
            loss, sq_sum = blocked_epoch(X, T, U, W, b, state, **options)
            return loss, sq_sum, np.zeros_like(loss)
        return minibatch_epoch(X, T, U, W, b, state, batch_size=self.batch_size,
                               l1_step=l1_step, **options)


def _epoch_attributes(kernel, bias, n_iter):
    """What makes a copy of a perceptron predict with the weights of the epoch in
    training (a :class:`~sknn.callbacks.FitTask`'s ``attributes``)."""
    # copies: training goes on updating kernel and bias in place
    return {"coef_": kernel.T.copy(), "intercept_": bias.copy(), "n_iter_": n_iter}
