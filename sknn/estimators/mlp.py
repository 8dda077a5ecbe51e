"""Drop-in supersets of scikit-learn's ``MLPClassifier`` and ``MLPRegressor``."""

from __future__ import annotations

import functools
import inspect
import string
import types
from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight
from sklearn.utils.multiclass import (
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import column_or_1d, validate_data

from sknn._sklearn_compat import Interval, StrOptions, _check_partial_fit_first_call, _fit_context
from sknn.estimators._base import BaseMultilayerPerceptron, store_init_arguments
from sknn.estimators._checks import RegisteredNames, check_class_weight
from sknn.exceptions import explain_input_errors, warn_single_class
from sknn.nn.losses import LOSSES, OUTPUT_ACTIVATIONS, LossSpec, check_targets_in_range


# The parameters the MLP and DeepNet estimators share. ``${name}`` is the
# default of parameter ``name`` in the documented class's signature (the
# DeepNet estimators change these); the two ``..._paragraph`` slots take
# the paragraphs of the parameters whose meaning differs between them.
_SHARED_PARAMETERS = string.Template("""${hidden_layer_sizes_paragraph}
    activation : str, default=${activation}
        Hidden-layer activation: scikit-learn's 'identity', 'logistic', 'tanh',
        'relu', or 'leaky_relu', 'prelu' (slope learned per unit), 'rrelu'
        (random slope in [1/8, 1/3] while training, the mean at inference),
        'elu', 'selu', 'softplus', 'gelu', 'swish'. The step functions
        'heaviside' and 'sign' exist for perceptrons and are refused here:
        their zero gradient gives backpropagation nothing to follow. Or a
        name registered by :func:`sknn.register_activation`.

    solver : str, default=${solver}
        'lbfgs' minimizes the full-batch loss with SciPy's L-BFGS-B; 'sgd'
        (with ``momentum``/``nesterovs_momentum``), 'adam', 'nadam', 'adamax'
        (``beta_1``, ``beta_2``, ``epsilon``), 'adamw' (plus ``weight_decay``),
        'rmsprop' (``rho``, ``epsilon``) and 'adagrad' (``epsilon``) take
        minibatch steps; their state carries over ``warm_start`` and
        ``partial_fit``. Or a name registered by :func:`sknn.register_optimizer`.

    alpha : float, default=${alpha}
        Strength of the L2 penalty ``alpha / 2 * ||W||^2``, divided by the
        (weighted) number of samples of each batch.

    batch_size : int or 'auto', default=${batch_size}
        Minibatch size of the stochastic solvers (every solver but 'lbfgs');
        'auto' is ${batch_size_auto}.

    learning_rate : str or Schedule, default=${learning_rate}
        scikit-learn's schedules for 'sgd': 'constant'; 'invscaling',
        ``learning_rate_init / (t + 1) ** power_t`` with ``t`` the samples seen,
        updated after each epoch; 'adaptive', divide by 5 whenever
        ``n_iter_no_change`` epochs bring no ``tol`` improvement. For every
        stochastic solver: 'power', 'exponential', 'piecewise', 'one_cycle'
        (with momentum cycling for 'sgd'), 'cosine', 'plateau', or a
        :class:`sknn.schedules.Schedule` object such as
        ``OneCycle(max_lr=0.1)``, whose parameters are searchable as
        ``learning_rate__max_lr``, or a name registered by
        :func:`sknn.register_schedule`.

    learning_rate_init : float, default=${learning_rate_init}
        Initial step size of the stochastic solvers (every solver but
        'lbfgs'); the peak rate of 'one_cycle'.

    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.

    max_iter : ${max_iter_type}, default=${max_iter}
        Epochs of the stochastic solvers; iterations of 'lbfgs'.${max_iter_auto}

    shuffle : bool, default=True
        Reshuffle the samples before each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialization, the validation split and the
        shuffling, drawn in that order from one generator (as scikit-learn).

    tol : float, default=1e-4
        Minimum improvement of the loss (or validation score) that counts as
        progress; also L-BFGS's gradient tolerance.

    verbose : bool or int, default=False
        Print one line per epoch, flushed so it shows live in notebooks and
        logs: scikit-learn's ``Iteration N, loss = ...`` (and ``Validation
        score: ...`` with early stopping) for the MLP estimators; ``Epoch
        N/max_iter - loss - val_loss - val_score - lr - seconds`` for the
        DeepNet ones. 2 or more also draws a progress bar inside epochs
        longer than a second.

    warm_start : bool, default=False
        Continue from the previous fit's weights and optimizer state.

    momentum : float, default=0.9
        Momentum of 'sgd'.

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with 'sgd'.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop when its score stalls
        and restore the best weights.

    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.

    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's first and second moment estimates.

    epsilon : float, default=1e-8
        Adam's numerical-stability constant.

    n_iter_no_change : int or np.inf, default=10
        Epochs without ``tol`` improvement before stopping (or lowering the rate).

    max_fun : int, default=15000
        Maximum loss evaluations of 'lbfgs'.

    kernel_initializer : str or Initializer, default=${kernel_initializer}
        Initial weights: 'sklearn' (scikit-learn's Glorot-uniform kernels and
        biases), 'glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal',
        'lecun_uniform', 'lecun_normal' (zero biases), 'zeros' (shows the
        symmetry problem), 'auto' (Glorot for identity/logistic/tanh, LeCun
        normal for selu, He normal otherwise), a name registered by
        :func:`sknn.register_initializer`, or a
        :func:`sknn.nn.initializers.VarianceScaling` object.

    activation_alpha : float or None, default=None
        The activation's constant: leaky_relu's slope (0.01), elu's alpha
        (1.0), prelu's initial slope; None keeps the default.
${batch_norm_paragraph}
    batch_norm_position : {'before', 'after'}, default='before'
        Normalize the dense output before the activation, or after it.

    bn_momentum : float, default=0.99
        Weight of the old running statistics in each update.

    bn_epsilon : float, default=1e-3
        Added to the variance before normalizing.

    dropout : float or list of float, default=${dropout}
        Dropout rate after every hidden block, or one rate per block; active
        in training only.

    input_dropout : float, default=0.0
        Dropout rate on the input features.

    dropout_kind : {'auto', 'standard', 'alpha'}, default='auto'
        'alpha' dropout keeps the mean and variance of SELU activations;
        'auto' picks it when ``activation='selu'``. With batch norm it
        trains but warns: batch norm replaces those statistics with its own,
        so alpha dropout has nothing left to preserve.

    l1 : float, default=0.0
        L1 penalty on the kernels, scaled like ``alpha``.

    max_norm : float or None, default=None
        After every update, rescale each unit's incoming weight vector to at
        most this norm.

    clip_value : float or None, default=None
        Clip every gradient component to ``[-clip_value, clip_value]``.

    clip_norm : float or None, default=None
        Rescale the gradient so its global L2 norm is at most ``clip_norm``.

    rho : float, default=0.9
        Decay of RMSProp's squared-gradient average.

    weight_decay : float, default=0.01
        AdamW's decoupled weight decay.

    backend : {'numpy', 'torch'}, default='numpy'
        The engine that trains the network: the hand-written NumPy core, or
        PyTorch (``pip install sknn-learn[torch]``), which computes the same
        objective and updates. The fitted model holds NumPy arrays either
        way: it pickles, loads and predicts without torch.

    device : str, default='auto'
        Torch device for ``backend='torch'``: 'cpu', 'cuda', 'cuda:N', 'mps',
        or 'auto' (CUDA, then MPS, then the CPU). Ignored by the NumPy engine.

    track_gradient_norms : bool, default=False
        After every epoch, record in ``history_['gradient_norms']`` the L2
        norm of the loss gradient with respect to each layer's kernel
        (input side first), measured on a fixed batch of up to 512 training
        rows in training mode; tiny first-layer norms next to the last
        layer's are vanishing gradients. Costs one forward and backward
        pass over that batch per epoch and leaves the training unchanged.
        Stochastic solvers only ('lbfgs' has no epochs).
""")

_HIDDEN_LAYER_SIZES_PARAMETER = """
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Number of units of each hidden layer.
"""

_BATCH_NORM_PARAMETER = """
    batch_norm : bool, default=False
        Add batch normalization to every hidden block.
"""

_CLASSIFIER_PARAMETERS = """
    class_weight : dict, 'balanced' or None, default=None
        Weight of each class in the loss, multiplied into ``sample_weight``:
        ``{label: weight}`` (finite, nonnegative weights), 'balanced'
        (``n_samples / (n_classes * count of the class)`` in the training
        targets; per label for multilabel targets, which take no dict) or
        None (every class weighs 1). ``partial_fit`` needs a dict: one batch
        does not give the class frequencies. A validation set's loss and
        score weigh the classes the same way.

    label_smoothing : float, default=${label_smoothing}
        Label smoothing ``eps`` in [0, 1): training targets move ``eps`` of
        their weight from the 0/1 labels to the uniform distribution, as
        PyTorch's ``CrossEntropyLoss(label_smoothing=eps)`` does. Multiclass
        (softmax) targets become ``(1 - eps) * onehot + eps / n_classes``;
        each logistic output (binary and multilabel targets) trains against
        ``y * (1 - eps) + eps / 2``, as Keras's ``BinaryCrossentropy``
        smooths. It discourages overconfident probabilities: a perfectly
        fitted sample's predicted probability tends to ``1 - eps + eps /
        n_classes`` (``1 - eps / 2`` per logistic output) instead of 1.
        ``loss_``, ``loss_curve_`` and the validation loss are the
        cross-entropy to the smoothed targets, so they do not go to 0.
        ``sample_weight`` and ``class_weight`` weigh the smoothed loss as
        the plain one. 0 trains on the 0/1 labels (scikit-learn's loss).
"""

_REGRESSION_PARAMETERS = """
    loss : str, default='squared_error'
        Training loss: 'squared_error' (half squared error), 'absolute_error',
        'huber' (quadratic within ``huber_delta``, linear beyond), 'poisson'
        (half Poisson deviance), or a name registered by
        :func:`sknn.register_loss`.

    huber_delta : float, default=1.0
        Where the Huber loss turns from quadratic to linear.

    output_activation : {'identity', 'relu', 'softplus', 'exp', 'logistic', 'tanh'} or None, \
default=None
        The output layer's activation; None is identity (exp for 'poisson').
        relu/softplus/exp give nonnegative predictions; logistic/tanh bounded
        ones, rescaled to ``output_bounds``.

    output_bounds : (float, float) or None, default=None
        ``(low, high)`` range of a logistic or tanh output; targets outside
        the range the output can produce raise a ValueError.

    target_scaling : {'auto', 'standard'} or None, default=${target_scaling}
        'standard' trains the network on the standardized target
        ``(y - target_mean_) / target_scale_``, per output column (mean and
        standard deviation weighted by ``sample_weight``; a constant column
        keeps scale 1), and ``predict`` maps its outputs back. Targets far
        from zero or with a large spread otherwise cost the network its
        training budget on their offset and scale. 'auto' is 'standard' for
        an identity output (no ``output_activation``, loss not 'poisson')
        and None otherwise; 'standard' with another output raises a
        ValueError. None trains on ``y`` as given. ``fit`` (and the first
        ``partial_fit``) fits the scaling; ``warm_start`` and later
        ``partial_fit`` calls keep it. ``huber_delta``, ``loss_``,
        ``loss_curve_`` and ``history_``'s 'loss' and 'val_loss' are in the
        scaled space; ``score`` and 'val_score' are on the target's scale.
"""

_REGRESSION_ATTRIBUTES = """
    target_mean_ : ndarray of shape (n_outputs,)
        Mean of each target column, subtracted before training; only when
        the target is scaled (``target_scaling``).

    target_scale_ : ndarray of shape (n_outputs,)
        Standard deviation of each target column (1 for a constant one),
        divided out before training; only when the target is scaled.
"""

_SHARED_ATTRIBUTES = """
    loss_ : float
        Loss (with penalty) after the last epoch or at the L-BFGS solution.

    best_loss_ : float or None
        Lowest training loss seen; None with early stopping.

    loss_curve_ : list of float
        Training loss of each epoch (stochastic solvers; absent with
        'lbfgs', as in scikit-learn).

    validation_scores_ : list of float or None
        Validation score of each epoch with early stopping, else None.

    best_validation_score_ : float or None
        Best validation score with early stopping, else None.

    t_ : int
        Number of training samples seen (across epochs and calls).

    network_ : sknn.network.Network
        The fitted network: its spec (every layer, batch norm, activations
        and dropout included) and all its weights in layer order, NumPy
        arrays whichever backend trained it. It predicts without the
        estimator (``network_.predict(X)``; a regressor's outputs stay in
        the space of ``target_scaling``, which ``predict`` maps back to the
        target's scale) and is what ``predict``,
        ``fuse_batch_norm``, ``prune``, ``with_inference_dtype`` and
        ``pretrained=`` read.

    coefs_ : list of ndarray
        Kernel of each dense layer, shape ``(fan_in, fan_out)``: the
        kernels of ``network_`` (the same arrays). Only the dense layers:
        batch norm parameters and statistics and PReLU slopes are in
        ``network_`` alone.

    intercepts_ : list of ndarray
        Bias of each dense layer (the same arrays as in ``network_``).

    n_features_in_ : int

    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names.

    n_iter_ : int
        Epochs (or L-BFGS iterations) run by the last call.

    n_layers_ : int
        Number of layers including input and output.

    n_outputs_ : int

    out_activation_ : str
        Output link: 'identity', 'exp', 'logistic' or 'softmax'.

    history_ : dict of lists
        Per epoch: 'loss', 'val_loss', 'val_score' (None without a validation
        split), 'learning_rate' and 'seconds'; with
        ``track_gradient_norms=True`` also 'gradient_norms', one list of
        per-layer kernel gradient norms per epoch. With 'lbfgs', per L-BFGS
        iteration: 'loss' (the objective) and 'seconds', the others None.
"""


class _stochastic_solvers_only:
    """``partial_fit`` exists only for minibatch solvers, as in scikit-learn.

    Like scikit-learn's ``available_if`` (``hasattr(MLPClassifier(solver='lbfgs'),
    'partial_fit')`` is False), but the AttributeError says why and what to use.
    """

    def __init__(self, method):
        self.method = method
        functools.update_wrapper(self, method)

    def __get__(self, estimator, owner=None):
        if estimator is None:
            return self.method
        estimator._check_solver()
        return types.MethodType(self.method, estimator)


def _input_dtypes(estimator):
    """The dtypes ``fit`` keeps X in; others are converted to the first.

    An estimator with a ``dtype`` parameter (the DeepNet estimators) gets X
    straight in that dtype, so validation copies X once at most (int64 data
    would otherwise become float64 first, then float32).
    """
    dtype = getattr(estimator, "dtype", None)
    return (np.float64, np.float32) if dtype is None else np.dtype(dtype)


def _balanced_class_weight(y):
    """'balanced' class weights of decoded targets ``y`` as explicit dicts
    (a list of them, one per output, for 2-D ``y``), for
    :func:`~sklearn.utils.class_weight.compute_sample_weight`."""
    y = np.asarray(y)
    columns = y.T if y.ndim == 2 else [y]
    weights = []
    for column in columns:
        classes = np.unique(column)
        weights.append(dict(zip(classes.tolist(), compute_class_weight(
            "balanced", classes=classes, y=column))))
    return weights if y.ndim == 2 else weights[0]


def _docstring(estimator, summary, parameters, attributes, sections, *,
               hidden_layer_sizes=_HIDDEN_LAYER_SIZES_PARAMETER, batch_norm=_BATCH_NORM_PARAMETER,
               batch_size_auto="``min(200, n_samples)``", max_iter_auto=None):
    """The numpydoc docstring of the class ``estimator``.

    Its own ``parameters`` come before the shared ones (``${name}`` is a
    default in both), its own ``attributes`` before the shared ones, then
    the other ``sections``.
    ``hidden_layer_sizes`` and ``batch_norm`` fill those parameters' slots
    among the shared ones ("" where ``parameters`` documents them);
    ``batch_size_auto`` says what ``batch_size='auto'`` means, ``max_iter_auto``
    what ``max_iter='auto'`` means where it is allowed.
    """
    defaults = {name: repr(parameter.default)
                for name, parameter in inspect.signature(estimator).parameters.items()}
    shared = _SHARED_PARAMETERS.substitute(
        defaults, hidden_layer_sizes_paragraph=hidden_layer_sizes, batch_norm_paragraph=batch_norm,
        batch_size_auto=batch_size_auto,
        max_iter_type="int" if max_iter_auto is None else "int or 'auto'",
        max_iter_auto="" if max_iter_auto is None else "\n        " + max_iter_auto)
    parameters = string.Template(parameters).substitute(defaults)
    return (summary + "\n    Parameters\n    ----------" + parameters + shared
            + "\n    Attributes\n    ----------" + attributes + _SHARED_ATTRIBUTES + sections)


class MLPClassifier(ClassifierMixin, BaseMultilayerPerceptron):
    _parameter_constraints: dict = {
        **BaseMultilayerPerceptron._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 kernel_initializer="sklearn", activation_alpha=None, batch_norm=False,
                 batch_norm_position="before", bn_momentum=0.99, bn_epsilon=1e-3, dropout=0.0,
                 input_dropout=0.0, dropout_kind="auto", l1=0.0, max_norm=None,
                 clip_value=None, clip_norm=None, rho=0.9, weight_decay=0.01,
                 class_weight=None, label_smoothing=0.0, backend="numpy", device="auto",
                 track_gradient_norms=False):
        store_init_arguments(self, locals())

    def _loss_spec(self):
        # Softmax + cross-entropy for one-of-K; independent sigmoids for
        # binary and multilabel targets.
        multiclass = self._label_binarizer.y_type_ == "multiclass"
        return LossSpec("log_loss" if multiclass else "binary_log_loss",
                        label_smoothing=self.label_smoothing)

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             dtype=_input_dtypes(self), reset=reset)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if not type_of_target(y).startswith("multilabel"):
            check_classification_targets(y)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer().fit(y)
            if self._label_binarizer.y_type_ != "multilabel-indicator":
                warn_single_class(self._label_binarizer.classes_, "y")
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in "
                        f"the previous call to fit. Previously got {self.classes_}, "
                        f"`y` has {classes}")
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. "
                    f"`self.classes_` has {self.classes_}. 'y' has {classes}.")
        # bool keeps float32 data float32 once the engine casts the targets
        return X, self._label_binarizer.transform(y).astype(bool)

    def _decode_targets(self, y):
        return self._label_binarizer.inverse_transform(y)

    def _target_weight(self, y, incremental):
        if self.class_weight is None:
            return None
        check_class_weight(self.class_weight)
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported by partial_fit: class "
                "frequencies need the whole training set. Pass a dict, e.g. from "
                "sklearn.utils.class_weight.compute_class_weight('balanced', classes=classes, "
                "y=y_all).")
        return compute_sample_weight(self.class_weight, self._decode_targets(y))

    def _validation_weight(self, y_val, y_train):
        """Per-sample class weights of encoded ``y_val``, as training weighs its classes.

        'balanced' weights come from the training targets' class frequencies
        (those of ``y_train``), not from the validation set's own.
        """
        if self.class_weight is None:
            return None
        class_weight = self.class_weight
        if class_weight == "balanced":
            class_weight = _balanced_class_weight(self._decode_targets(y_train))
        return compute_sample_weight(class_weight, self._decode_targets(y_val))

    def _encode_validation_targets(self, y):
        """``y_val`` of ``validation_data`` encoded as the training targets are.

        A label ``y`` never had gets no output unit (its encoded row would
        be all zeros and score as silently wrong), so it is refused.
        """
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y)
        if self._label_binarizer.y_type_ == "multilabel-indicator":
            if y.ndim != 2 or y.shape[1] != len(self.classes_):
                raise ValueError(f"y_val must be a label indicator matrix with "
                                 f"{len(self.classes_)} columns, as y is; got shape {y.shape}.")
        else:
            unseen = set(np.unique(y).tolist()) - set(self.classes_.tolist())
            if unseen:
                raise ValueError(
                    f"y_val has labels {sorted(unseen, key=str)} that y does not have (the "
                    f"classes are {self.classes_.tolist()}): the network has no output for "
                    f"them. Remove those samples from validation_data, or fit on data that "
                    f"has every class.")
        return self._label_binarizer.transform(y).astype(bool)

    def _decode_outputs(self, outputs):
        if self.n_outputs_ == 1:
            outputs = outputs.ravel()
        return self._label_binarizer.inverse_transform(outputs)

    def __setstate__(self, state):
        # a pickle from before label_smoothing trained on the 0/1 labels, and refits so
        state.setdefault("label_smoothing", 0.0)
        super().__setstate__(state)

    def _score_outputs(self, outputs, y, sample_weight):
        return accuracy_score(y, self._decode_outputs(outputs), sample_weight=sample_weight)

    def predict(self, X):
        """Predict class labels (or a label indicator matrix for multilabel ``y``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sknn import MLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = MLPClassifier(solver="lbfgs", random_state=0).fit(X, y)
        >>> clf.predict(X[[0, 50, 100]])
        array([0, 1, 2])
        """
        with explain_input_errors(X=X):
            return self._decode_outputs(self._forward(X))

    def predict_proba(self, X):
        """Class probabilities, columns ordered as :attr:`classes_`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_iris
        >>> from sknn import MLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = MLPClassifier(solver="lbfgs", random_state=0).fit(X, y)
        >>> proba = clf.predict_proba(X[:3])
        >>> proba.shape, bool(np.allclose(proba.sum(axis=1), 1))
        ((3, 3), True)
        """
        with explain_input_errors(X=X):
            proba = self._forward(X)
        if self.n_outputs_ == 1:
            proba = proba.ravel()
            return np.vstack([1 - proba, proba]).T
        return proba

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_iris
        >>> from sknn import MLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = MLPClassifier(solver="lbfgs", random_state=0).fit(X, y)
        >>> bool(np.allclose(np.exp(clf.predict_log_proba(X[:3])), clf.predict_proba(X[:3])))
        True
        """
        proba = self.predict_proba(X)
        return np.log(proba, out=proba)

    @_stochastic_solvers_only
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Run one epoch over ``(X, y)``, continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_classes)
        sample_weight : array-like of shape (n_samples,), default=None
        classes : array of shape (n_classes,), default=None
            All classes that will ever be seen; required on the first call.

        Returns
        -------
        self : object

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sknn import MLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = MLPClassifier(hidden_layer_sizes=(8,), random_state=0)
        >>> for epoch in range(3):
        ...     clf = clf.partial_fit(X, y, classes=[0, 1, 2])
        >>> len(clf.history_["loss"]), clf.t_
        (3, 450)
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
                warn_single_class(self._label_binarizer.classes_, "classes")
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, BaseMultilayerPerceptron):
    _parameter_constraints: dict = {
        **BaseMultilayerPerceptron._parameter_constraints,
        # every registered loss but the classifiers' own, which need encoded class targets
        "loss": [RegisteredNames(LOSSES, exclude=["log_loss", "binary_log_loss"])],
        "huber_delta": [Interval(Real, 0, None, closed="neither")],
        "output_activation": [StrOptions(set(OUTPUT_ACTIVATIONS.names())), None],
        "output_bounds": [tuple, list, None],
        "target_scaling": [StrOptions({"auto", "standard"}), None],
    }

    def __init__(self, loss="squared_error", hidden_layer_sizes=(100,), activation="relu", *,
                 solver="adam", alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False, momentum=0.9,
                 nesterovs_momentum=True, early_stopping=False, validation_fraction=0.1,
                 beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10, max_fun=15000,
                 kernel_initializer="sklearn", activation_alpha=None, batch_norm=False,
                 batch_norm_position="before", bn_momentum=0.99, bn_epsilon=1e-3, dropout=0.0,
                 input_dropout=0.0, dropout_kind="auto", l1=0.0, max_norm=None,
                 clip_value=None, clip_norm=None, rho=0.9, weight_decay=0.01,
                 huber_delta=1.0, output_activation=None, output_bounds=None,
                 target_scaling=None, backend="numpy", device="auto",
                 track_gradient_norms=False):
        store_init_arguments(self, locals())

    def _loss_spec(self):
        bounds = None if self.output_bounds is None else tuple(self.output_bounds)
        return LossSpec(self.loss, self.output_activation, bounds, self.huber_delta)

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"], multi_output=True,
                             y_numeric=True, dtype=_input_dtypes(self), reset=reset)
        if y.dtype.kind in "USV":  # y_numeric converts object arrays only
            y = y.astype(np.float64)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_targets_in_range(self._loss_spec(), y)
        return X, y

    def _resolved_target_scaling(self):
        """'standard' or None: ``target_scaling`` for this output, refused where
        standardized targets would leave the range the output can produce."""
        identity = self._loss_spec().output_activation == "identity" and self.loss != "poisson"
        if self.target_scaling == "standard" and not identity:
            raise ValueError(
                f"target_scaling='standard' shifts and rescales the target, which only an "
                f"identity output can follow; output_activation={self.output_activation!r} "
                f"with loss={self.loss!r} gives a bounded or nonnegative output. Use "
                f"target_scaling='auto' or None with this output_activation and loss.")
        return "standard" if self.target_scaling == "standard" or (
            self.target_scaling == "auto" and identity) else None

    def _scale_targets(self, y, sample_weight, refit):
        if refit:
            for name in ("target_mean_", "target_scale_"):
                self.__dict__.pop(name, None)
            if self._resolved_target_scaling() == "standard":
                self.target_mean_ = np.average(y, axis=0, weights=sample_weight)
                std = np.sqrt(np.average((y - self.target_mean_) ** 2, axis=0,
                                         weights=sample_weight))
                # a constant column has nothing to rescale
                self.target_scale_ = np.where(np.ptp(y, axis=0) > 0, std, 1.0)
        return self._scaled(y)

    def _scaled(self, y):
        """Targets ``y`` in the space the network is trained in."""
        mean = getattr(self, "target_mean_", None)  # absent in pickles from before scaling
        return y if mean is None else (y - mean) / self.target_scale_

    def _unscale(self, outputs, deviation=False):
        """Network ``outputs`` on the target's scale, in their dtype; a ``deviation``
        (a standard deviation of outputs) is only multiplied by the scale."""
        mean = getattr(self, "target_mean_", None)
        if mean is None:
            return outputs
        scaled = outputs * self.target_scale_.astype(outputs.dtype)
        return scaled if deviation else scaled + mean.astype(outputs.dtype)

    def _decode_targets(self, y):
        return self._unscale(y)

    def __setstate__(self, state):
        # a pickle from before target_scaling trained on y as given, and refits so
        state.setdefault("target_scaling", None)
        super().__setstate__(state)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.positive_only = self.loss == "poisson" or (
            self.output_activation in ("relu", "softplus", "exp"))
        return tags

    def _encode_validation_targets(self, y):
        """``y_val`` of ``validation_data`` checked like training targets."""
        y = np.asarray(y, dtype=np.float64)
        y = column_or_1d(y) if y.ndim == 2 and y.shape[1] == 1 else y
        n_outputs = 1 if y.ndim == 1 else y.shape[1]
        if y.ndim > 2 or n_outputs != self.n_outputs_:
            raise ValueError(f"y_val has {n_outputs} target(s) per sample, but the network "
                             f"was fitted on {self.n_outputs_}.")
        if not np.isfinite(y).all():
            raise ValueError("y_val contains NaN or infinity.")
        check_targets_in_range(self._loss_spec(), y)
        return self._scaled(y)

    def _score_outputs(self, outputs, y, sample_weight):
        outputs = self._unscale(outputs)
        if outputs.shape[1] == 1:
            outputs, y = outputs.ravel(), np.ravel(y)
        return r2_score(y, outputs, sample_weight=sample_weight)

    def predict(self, X):
        """Predict targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)

        Examples
        --------
        >>> from sklearn.datasets import make_regression
        >>> from sknn import MLPRegressor
        >>> X, y = make_regression(n_samples=100, n_features=3, random_state=0)
        >>> reg = MLPRegressor(solver="lbfgs", max_iter=500, random_state=0).fit(X, y)
        >>> reg.predict(X[:4]).shape, reg.predict(X).dtype
        ((4,), dtype('float64'))
        """
        with explain_input_errors(X=X):
            outputs = self._unscale(self._forward(X))
        return outputs.ravel() if outputs.shape[1] == 1 else outputs

    @_stochastic_solvers_only
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Run one epoch over ``(X, y)``, continuing from the current state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object

        Examples
        --------
        >>> from sklearn.datasets import make_regression
        >>> from sknn import MLPRegressor
        >>> X, y = make_regression(n_samples=100, n_features=3, random_state=0)
        >>> reg = MLPRegressor(hidden_layer_sizes=(8,), random_state=0)
        >>> for epoch in range(3):
        ...     reg = reg.partial_fit(X, y)
        >>> len(reg.loss_curve_), reg.t_
        (3, 300)
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)


MLPClassifier.__doc__ = _docstring(
    MLPClassifier,
    """Multi-layer perceptron classifier, a drop-in superset of scikit-learn's.

    Minimizes the cross-entropy of softmax (multiclass) or sigmoid (binary,
    multilabel) outputs with L-BFGS, SGD or Adam on sknn's NumPy engine.
    Every constructor parameter, fitted attribute and method of
    :class:`sklearn.neural_network.MLPClassifier` works the same way.
""", _CLASSIFIER_PARAMETERS, """
    classes_ : ndarray or list of ndarray
        Class labels seen in ``fit``.
""", """
    Notes
    -----
    Targets with only one class are fitted as scikit-learn fits them (the
    model predicts that class everywhere, and ``predict_proba`` keeps
    scikit-learn's two columns), with a
    :class:`~sknn.exceptions.SingleClassWarning`;
    :class:`~sknn.PerceptronClassifier` refuses them, as scikit-learn's
    Perceptron does. Inputs that NumPy cannot turn into numbers (ragged
    rows, strings, complex values) raise errors naming the argument.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sknn import MLPClassifier
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> clf = MLPClassifier(max_iter=300, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    >>> clf.score(X, y) > 0.9
    True
""")

MLPRegressor.__doc__ = _docstring(
    MLPRegressor,
    """Multi-layer perceptron regressor, a drop-in superset of scikit-learn's.

    Minimizes half the squared error (identity output) or half the Poisson
    deviance (exponential output) with L-BFGS, SGD or Adam on sknn's NumPy
    engine. Every constructor parameter, fitted attribute and method of
    :class:`sklearn.neural_network.MLPRegressor` works the same way.
""", _REGRESSION_PARAMETERS, _REGRESSION_ATTRIBUTES, """
    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sknn import MLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    >>> reg = MLPRegressor(solver="lbfgs", max_iter=500, random_state=0).fit(X, y)
    >>> reg.score(X, y) > 0.95
    True
""")
