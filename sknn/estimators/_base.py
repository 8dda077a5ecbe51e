"""Shared machinery of the network estimators: params -> spec -> engine -> fit."""

from __future__ import annotations

import contextlib
import copy
import inspect
import warnings
from abc import ABC, abstractmethod
from functools import partial
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from sknn._sklearn_compat import (
    CallbackSupportMixin,
    Interval,
    Options,
    StrOptions,
    SummaryInHTMLReprMixin,
    _check_sample_weight,
    _fit_context,
    _num_samples,
    check_lbfgs_result,
    has_callbacks,
)
from sknn._version import __version__
from sknn.callbacks import FitTask, diverged
from sknn.engines import get_engine
from sknn.estimators._checks import RegisteredNames, check_layer_widths, check_total_weight
from sknn.estimators._inference import InferenceMixin, inference_input
from sknn.estimators._techniques import (
    TECHNIQUE_CONSTRAINTS,
    engine_options,
    network_options,
    optimizer_params,
    regularization,
)
from sknn.exceptions import InconsistentVersionWarning, explain_input_errors
from sknn.extending import check_registered
from sknn.network import Network, describe_layout, initial_weights, weight_shapes
from sknn.nn.activations import ACTIVATIONS, check_trainable, resolve_activation
from sknn.nn.initializers import INITIALIZERS, Initializer, initializer_and_gain
from sknn.nn.optimizers import OPTIMIZERS
from sknn.schedules import SCHEDULES, Adaptive, Schedule, schedule_from_name
from sknn.spec import BatchNorm, Dropout, TrainConfig, mlp_spec
from sknn.fitting import FitPlan, HeldOut, TrainingRows, run_fit
from sknn.training import TrainState


@contextlib.contextmanager
def unchanged_if_interrupted(estimator):
    """Put ``estimator``'s attributes back as they were if a KeyboardInterrupt escapes.

    Training loops end cleanly on Ctrl-C (the last completed epoch, a
    warning); an interruption that escapes them (before the loop, between
    phases, or from a phase that must stop the whole fit) is raised again,
    and the estimator must not be left half-trained: fitted-looking weights
    from an initialization, or a stack missing its top layers.
    """
    before = dict(estimator.__dict__)
    try:
        yield
    except KeyboardInterrupt:
        estimator.__dict__.clear()
        estimator.__dict__.update(before)
        raise


def store_init_arguments(estimator, arguments):
    """Store constructor arguments unchanged: scikit-learn's ``__init__`` contract.

    Called as ``store_init_arguments(self, locals())`` first thing in an
    ``__init__`` whose signature lists every parameter explicitly (scikit-learn
    reads parameter names from the signature).
    """
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


#: Constraints of the constructor parameters that the MLP estimators and
#: :class:`~sknn.StackedAutoencoder` share: network shape, solver, optimizer
#: hyperparameters and stopping rule. Each estimator adds its own
#: ``learning_rate`` options (only the MLPs have scikit-learn's 'adaptive').
NETWORK_CONSTRAINTS = {
    "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
    "activation": [RegisteredNames(ACTIVATIONS)],
    "solver": [RegisteredNames(OPTIMIZERS, extra=["lbfgs"])],
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "random_state": ["random_state"],
    "tol": [Interval(Real, 0, None, closed="left")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
    "verbose": ["verbose"],
    "momentum": [Interval(Real, 0, 1, closed="both")],
    "nesterovs_momentum": ["boolean"],
    "beta_1": [Interval(Real, 0, 1, closed="left")],
    "beta_2": [Interval(Real, 0, 1, closed="left")],
    "epsilon": [Interval(Real, 0, None, closed="neither")],
    "max_fun": [Interval(Integral, 1, None, closed="left")],
    "kernel_initializer": [RegisteredNames(INITIALIZERS, extra=["auto"]), Initializer],
}


class ScheduleByNameMixin:
    """``set_params`` that also sets ``learning_rate__*`` while ``learning_rate`` is a name."""

    def set_params(self, **params):
        """Set the estimator's parameters (scikit-learn's ``set_params``).

        A nested schedule parameter such as ``learning_rate__max_lr`` also
        works while ``learning_rate`` is a schedule's name ('one_cycle'):
        the name is first replaced by its schedule object, built as ``fit``
        would build it, so searches can tune the default schedule.

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : estimator instance

        Examples
        --------
        >>> from sknn import DeepNetClassifier
        >>> clf = DeepNetClassifier().set_params(learning_rate__max_lr=0.05)
        >>> clf.learning_rate
        OneCycle(max_lr=0.05)
        """
        return super().set_params(**schedule_objects_for_nested_params(self, params))


class BaseMultilayerPerceptron(ScheduleByNameMixin, InferenceMixin, SummaryInHTMLReprMixin,
                               CallbackSupportMixin, BaseEstimator, ABC):
    """Base of :class:`~sknn.MLPClassifier` and :class:`~sknn.MLPRegressor`.

    Validation is derived from the registries: a new activation, optimizer or
    schedule is a valid constructor value as soon as it is registered.
    """

    _parameter_constraints: dict = {
        **NETWORK_CONSTRAINTS,
        "learning_rate": [RegisteredNames(SCHEDULES, extra=["adaptive"]), Schedule],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        **TECHNIQUE_CONSTRAINTS,
    }

    # -- hooks for the subclasses -------------------------------------------
    @abstractmethod
    def _validate_input(self, X, y, incremental, reset):
        """Return validated ``X`` and the encoded target ``y``."""

    @abstractmethod
    def _loss_spec(self):
        """The training loss, a :class:`~sknn.nn.losses.LossSpec` (decides the output link)."""

    @abstractmethod
    def _score_outputs(self, outputs, y, sample_weight):
        """Score link-space ``outputs`` against original targets ``y``."""

    @abstractmethod
    def _encode_validation_targets(self, y):
        """``y_val`` of ``validation_data`` encoded (and checked) as ``y`` is in fit."""

    # -- params -> spec and config ------------------------------------------
    def _hidden_sizes(self):
        return check_layer_widths(self.hidden_layer_sizes)

    def _initializer(self):
        """``(initializer, gain)`` for the dense layers."""
        return initializer_and_gain(self.kernel_initializer, self.activation)

    def _build_spec(self, n_features, dtype):
        initializer, gain = self._initializer()
        return mlp_spec(n_features, self._hidden_sizes(), self.n_outputs_, self.activation,
                        self._loss_spec(), initializer=initializer, init_gain=gain,
                        dtype=np.dtype(dtype).name, **network_options(self))

    def _regularization(self):
        return regularization(self)

    def _schedule(self):
        """The learning-rate schedule the training loop follows.

        scikit-learn's names keep their scikit-learn meaning: 'invscaling' and
        'adaptive' apply to 'sgd' only (other solvers ignore them), and
        'adaptive' is a constant rate lowered by scikit-learn's stopping rule
        (:class:`~sknn.schedules.Adaptive`, not a registered name). Every
        other name or schedule object applies to every stochastic solver.
        """
        if self.learning_rate in ("adaptive", "invscaling") and self.solver != "sgd":
            return "constant"
        return Adaptive() if self.learning_rate == "adaptive" else self.learning_rate

    def _epoch_budget(self, n_samples, incremental):
        """The epochs (L-BFGS iterations) of one fit on ``n_samples`` rows: ``max_iter``."""
        return self.max_iter

    def _train_config(self, n_samples, incremental=False):
        return TrainConfig(
            solver=self.solver, learning_rate_init=self.learning_rate_init,
            schedule=self._schedule(), schedule_params={"power_t": self.power_t},
            batch_size=self.batch_size, max_iter=self._epoch_budget(n_samples, incremental),
            shuffle=self.shuffle, tol=self.tol, n_iter_no_change=self.n_iter_no_change,
            verbose=self.verbose, max_fun=self.max_fun,
            optimizer_params=self._optimizer_params(),
        )

    def _optimizer_params(self):
        return optimizer_params(self)

    # -- fitting ------------------------------------------------------------
    def _initialize(self, spec):
        self.n_iter_ = 0
        self.t_ = 0
        self.n_layers_ = len(spec.dense_layers) + 1
        self.out_activation_ = spec.loss.output_activation
        self._store_network(Network(spec, initial_weights(spec, self._random_state)))
        self._train_state = TrainState.fresh(self.early_stopping, self.network_.weights)
        for name in ("_optimizer", "loss_curve_", "best_loss_", "_batch_norm_fused",
                     "_inference_dtype", "pruning_report_", "memory_report_"):
            self.__dict__.pop(name, None)

    def _store_network(self, network):
        """Store the fitted ``network_``; ``coefs_`` and ``intercepts_`` list its
        dense layers' arrays (the same arrays, not copies)."""
        self.network_ = network
        self.coefs_ = network.kernels
        self.intercepts_ = network.biases

    def _network(self):
        """The fitted network as it predicts and trains on: ``network_`` with the
        dense layers' arrays that ``coefs_`` and ``intercepts_`` hold now.

        ``coefs_`` and ``intercepts_`` are scikit-learn's public, writable
        lists: an array assigned to an entry replaces that dense layer's
        weights (scikit-learn's own tests set weights so, even on an estimator
        that was never fitted, which has no ``network_``: its network is
        then the one the parameters describe, with only dense layers).
        """
        network = getattr(self, "network_", None)
        if network is None:
            spec = self._build_spec(self.n_features_in_, np.asarray(self.coefs_[0]).dtype)
            return Network(spec, [{"kernel": kernel, "bias": bias}
                                  for kernel, bias in zip(self.coefs_, self.intercepts_)])
        if _same_arrays(self.coefs_, network.kernels) and _same_arrays(self.intercepts_,
                                                                       network.biases):
            return network
        return network.with_dense(self.coefs_, self.intercepts_)

    def _fit(self, X, y, sample_weight=None, incremental=False, validation_data=None):
        # partial_fit is one task on one batch, a leaf (scikit-learn's convention);
        # begun outside the interruption guard, whose undo would keep the callbacks
        # from being torn down
        # (the epochs are counted only for callbacks: X is not validated yet)
        epochs = (0 if incremental or not has_callbacks(self)
                  else self._epoch_budget(_num_samples(X), incremental))
        task = FitTask.start(self, X, y, sample_weight,
                             task_name="partial_fit" if incremental else "fit",
                             max_subtasks=epochs)
        with unchanged_if_interrupted(self):
            plan = self._plan_fit(X, y, sample_weight, incremental, validation_data)
            if task is not None and not incremental:
                task.attributes = partial(_epoch_attributes, plan.spec)
                if plan.held_out is not None:  # for callbacks that score the validation set
                    held_out = plan.held_out
                    task.validation = (held_out.X, self._decode_targets(held_out.Y),
                                       held_out.sample_weight)
                plan.callbacks = task
            self._store_fit(plan, run_fit(plan))
        if task is not None:
            task.end({})
        return self

    def _plan_fit(self, X, y, sample_weight, incremental, validation_data=None, hold_out=True):
        """The :class:`~sknn.fitting.FitPlan` of a ``fit`` / ``partial_fit`` call.

        Validates the parameters and data, initializes the network on a
        first pass (or checks that the fitted one still fits the
        parameters), and sets aside the validation set (``validation_data``,
        or ``validation_fraction`` of the data with early stopping) unless
        ``hold_out`` is False (the learning-rate finder trains on all rows).
        """
        if getattr(self, "_batch_norm_fused", False) and (incremental or self.warm_start):
            raise ValueError(
                "This network was made by fuse_batch_norm() and is inference-only: its "
                "batch norm layers are folded into the dense weights, so partial_fit and "
                "warm_start=True cannot continue training it. Continue training the "
                "original estimator (and fuse it again), or call fit with "
                "warm_start=False to train this one from scratch.")
        self._hidden_sizes()
        check_trainable(self.activation)
        resolve_activation(self.activation, self.activation_alpha)
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        with explain_input_errors(X=X, y=y, sample_weight=sample_weight):
            X, y = self._validate_input(X, y, incremental, reset=first_pass)
            if sample_weight is not None:
                sample_weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
        target_weight = self._target_weight(y, incremental)
        if target_weight is not None:
            sample_weight = (target_weight if sample_weight is None
                             else sample_weight * target_weight)
        check_total_weight(sample_weight, X.dtype, "sample_weight and class_weight"
                           if target_weight is not None else "sample_weight")
        y = y.reshape(-1, 1) if y.ndim == 1 else y
        self.n_outputs_ = y.shape[1]
        y = self._scale_targets(y, sample_weight, refit=first_pass)
        self._random_state = check_random_state(self.random_state)
        spec = self._build_spec(X.shape[1], X.dtype)
        _warn_alpha_dropout_with_batch_norm(spec)
        previous = getattr(self, "network_", None)
        previous_spec = previous.spec if previous is not None else None
        if first_pass:
            self._initialize(spec)
        else:
            self._check_architecture(spec, incremental)
        weights = [{key: np.asarray(value, dtype=X.dtype) for key, value in layer.items()}
                   for layer in self._network().weights]
        plan = FitPlan(spec, weights, self._train_config(X.shape[0], incremental), X, y,
                       sample_weight, backend=self.backend, engine_options=engine_options(self),
                       regularization=self._regularization(), layer_rng=self._layer_rng(spec),
                       shuffle_rng=self._random_state, incremental=incremental,
                       log_style=getattr(self, "_verbose_style", "sklearn"),
                       warn_batch_size=self.batch_size != _default(self, "batch_size"),
                       track_gradient_norms=getattr(self, "track_gradient_norms", False))
        if not plan.stochastic:
            self._check_lbfgs_compatible()
            if validation_data is not None:
                raise ValueError("validation_data is scored after every epoch of a stochastic "
                                 "solver; solver='lbfgs' has no epochs. Use a stochastic "
                                 "solver such as 'adam', or score the fitted model on it.")
            return plan
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        plan.optimizer, plan.learning_rate = self._optimizer_for(plan.config, incremental,
                                                                 previous_spec, spec)
        state = getattr(self, "_train_state", None) or TrainState.fresh(
            self.early_stopping, self._network().weights)
        if not incremental:
            state.no_improvement_count = 0
        plan.state = state
        if hold_out:
            plan.X, plan.Y, plan.sample_weight, plan.held_out = self._split_validation(
                X, y, sample_weight, validation_data)
        state.t = getattr(self, "t_", state.t)
        return plan

    def _store_fit(self, plan, result):
        """Fitted attributes from a finished run of ``plan``."""
        self._store_network(Network(plan.spec, result.weights))
        if not plan.stochastic:
            self.n_iter_ = check_lbfgs_result(result.lbfgs, plan.config.max_iter)
            self.loss_ = result.lbfgs.loss
            # one entry per L-BFGS iteration; a fit replaces the previous fit's record
            self.history_ = result.lbfgs.history
            return
        self._optimizer = result.optimizer
        # the rate the next epoch would use, as scikit-learn's optimizer reports it
        self._optimizer.learning_rate = result.state.learning_rate
        self._sync_state(result.state)
        if not result.converged:
            warnings.warn(
                "Stochastic Optimizer: Maximum iterations (%d) reached and the "
                "optimization hasn't converged yet." % plan.config.max_iter,
                ConvergenceWarning)

    def _check_architecture(self, spec, incremental):
        """Refuse to continue training weights that ``spec`` has no place for."""
        fitted = self._network().spec
        if weight_shapes(fitted) == weight_shapes(spec):
            return
        how = ("partial_fit continues" if incremental
               else "fit with warm_start=True continues")
        fresh = ("call fit (with warm_start=False)" if incremental
                 else "fit with warm_start=False")
        raise ValueError(
            f"The network's architecture changed since it was fitted: its weights are "
            f"[{describe_layout(fitted)}], but the current parameters describe "
            f"[{describe_layout(spec)}]. {how} training the fitted weights, so it needs "
            f"the architecture they were fitted with (hidden_layer_sizes, batch_norm, "
            f"activation='prelu', ... as they were). Set those parameters back, or {fresh} "
            f"to train the new architecture from scratch.")

    def _optimizer_for(self, config, incremental, previous_spec, spec):
        """``(optimizer, learning rate)``: the fitted optimizer (and its moments)
        continued, or None for a fresh one when its rule changed or its moments
        belong to another set of trainable parameters.

        When ``frozen_layers`` changes, the moments are laid out over the
        previous trainable parameters, so training starts a fresh optimizer
        (as recompiling a Keras model does).
        """
        optimizer = getattr(self, "_optimizer", None)
        if (optimizer is None or optimizer.name != config.solver
                or optimizer.config() != config.optimizer_params
                or (previous_spec is not None
                    and _trainable_flags(previous_spec) != _trainable_flags(spec))):
            return None, config.learning_rate_init  # the pipeline builds a fresh one
        # partial_fit continues the schedule; a new fit() starts from learning_rate_init
        return optimizer, optimizer.learning_rate if incremental else config.learning_rate_init

    def _split_validation(self, X, y, sample_weight, validation_data=None):
        """``(X_train, y_train, sw_train, held_out)``: the rows to train on and the
        :class:`~sknn.fitting.HeldOut` set scored every epoch (None without one).

        A given ``validation_data`` is monitored even without early stopping.
        """
        if not self.early_stopping and validation_data is None:
            return X, y, sample_weight, None
        X_train, X_val, y_train, y_val, sw_train, sw_val = self._validation_split(
            X, y, sample_weight, validation_data)
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        if sw_val is not None and not np.sum(sw_val, dtype=np.float64) > 0:
            raise ValueError(
                "The sample weights (with class_weight) of the validation set sum to zero, so "
                "it cannot score the network. Give its samples some weight, or use another "
                "random_state or validation_fraction (or validation_data).")
        y_val_original = self._decode_targets(y_val)

        def score_outputs(outputs):
            return self._score_outputs(outputs, y_val_original, sw_val)

        held_out = HeldOut(X_val, y_val, sw_val, score_outputs, stops=self.early_stopping)
        return X_train, y_train, sw_train, held_out

    def _validation_split(self, X, y, sample_weight, validation_data=None):
        """``(X_train, X_val, y_train, y_val, sw_train, sw_val)`` for early stopping.

        Holds out ``validation_fraction`` of the (encoded) data, stratified for
        single-output classifiers, unless ``validation_data`` gives the set.
        """
        if validation_data is not None:
            return self._given_validation_set(X, y, sample_weight, validation_data)
        stratify = y if is_classifier(self) and self.n_outputs_ == 1 else None
        # split row numbers, not X: the training rows are read in place (no copy of X)
        rows = np.arange(X.shape[0])
        arrays = (rows, y) if sample_weight is None else (rows, y, sample_weight)
        try:
            parts = train_test_split(*arrays, random_state=self._random_state,
                                     test_size=self.validation_fraction, stratify=stratify)
        except ValueError as error:
            raise ValueError(
                f"early_stopping=True holds out validation_fraction={self.validation_fraction} "
                f"of the {X.shape[0]} sample(s) of X (stratified by class for classifiers), "
                f"which cannot leave a training and a validation set: {error} Give more "
                f"samples, another validation_fraction, or set early_stopping=False.") from error
        train_rows, val_rows, y_train, y_val = parts[:4]
        sw_train, sw_val = parts[4:] if sample_weight is not None else (None, None)
        X_train = (TrainingRows(X, train_rows) if isinstance(X, np.ndarray)
                   else X[train_rows])
        return X_train, X[val_rows], y_train, y_val, sw_train, sw_val

    def _given_validation_set(self, X, y, sample_weight, validation_data):
        """The split of :meth:`_validation_split` when ``validation_data`` is the set:
        all of ``X`` trains; ``X_val`` is validated in the training dtype and
        ``y_val`` encoded as ``y`` was, both weighted as training is."""
        X_val, y_val, sw_val = _unpack_validation_data(validation_data)
        try:
            with explain_input_errors(X=X_val):
                # in the network's dtype: values it cannot hold are refused, as in fit
                X_val = validate_data(self, X_val, accept_sparse=["csr", "csc"], reset=False,
                                      dtype=X.dtype)
            with explain_input_errors(y=y_val):
                y_val = self._encode_validation_targets(y_val)
            if sw_val is not None:
                sw_val = _check_sample_weight(sw_val, X_val, ensure_non_negative=True)
        except ValueError as error:
            raise type(error)(f"validation_data: {error}") from error
        if y_val.shape[0] != X_val.shape[0]:
            raise ValueError(f"validation_data: X_val has {X_val.shape[0]} samples but y_val "
                             f"has {y_val.shape[0]}.")
        y_val = y_val.reshape(-1, 1) if y_val.ndim == 1 else y_val
        class_weight = self._validation_weight(y_val, y)
        if class_weight is not None:
            sw_val = class_weight if sw_val is None else sw_val * class_weight
        return X, X_val, y, y_val, sample_weight, sw_val

    def _decode_targets(self, y):
        return y

    def _scale_targets(self, y, sample_weight, refit):
        """The 2-D encoded ``y`` the network trains on; a regressor may standardize it,
        fitting the scaling anew when ``refit``."""
        return y

    def _target_weight(self, y, incremental):
        """Per-sample weights implied by the encoded targets (class_weight), or None."""
        return None

    def _validation_weight(self, y_val, y_train):
        """Per-sample weights that training's class weights give encoded ``y_val``, or None."""
        return None

    def _sync_state(self, state):
        self._train_state = state
        self.n_iter_ = state.n_iter
        self.t_ = state.t
        self.loss_ = state.loss
        self.loss_curve_ = state.loss_curve
        self.best_loss_ = state.best_loss
        self.validation_scores_ = state.validation_scores
        self.best_validation_score_ = state.best_validation_score
        self._no_improvement_count = state.no_improvement_count
        self.history_ = state.history

    def _layer_rng(self, spec):
        """Generator for dropout masks and rrelu slopes, or None when no layer draws.

        Seeded from ``random_state`` only when needed, so networks without
        random layers consume scikit-learn's exact random sequence.
        """
        random_layers = [layer for layer in spec.layers
                         if isinstance(layer, Dropout) or getattr(layer, "name", "") == "rrelu"]
        if not random_layers:
            return None
        return np.random.default_rng(self._random_state.randint(np.iinfo(np.int32).max))

    def _check_lbfgs_compatible(self):
        conflicts = {"dropout": self.dropout, "input_dropout": self.input_dropout,
                     "max_norm": self.max_norm, "clip_value": self.clip_value,
                     "clip_norm": self.clip_norm}
        conflicts = {name: value for name, value in conflicts.items()
                     if value is not None and np.any(np.asarray(value) != 0)}
        if self.activation == "rrelu":
            conflicts["activation"] = "rrelu"
        if conflicts:
            raise ValueError(
                f"solver='lbfgs' minimizes one deterministic full-batch objective, so it "
                f"cannot use {conflicts}: random layers change the objective between "
                f"evaluations and clipping/max-norm act on minibatch updates. Use a "
                f"stochastic solver such as 'adam', or drop these parameters.")

    def _loss_grad_lbfgs(self, packed_coef_inter, X, y, sample_weight, *workspace):
        """scikit-learn's private L-BFGS objective ``(loss, packed gradient)``.

        Kept so scikit-learn's shipped gradient test runs unchanged; sknn's
        parameter vector has scikit-learn's packing order (kernels, then biases).
        """
        engine = get_engine("numpy")(self._build_spec(X.shape[1], X.dtype),
                                     self._network().weights,
                                     regularization=self._regularization())
        engine.set_flat_parameters(packed_coef_inter)
        loss, grad = engine.loss_and_gradient(engine.prepare(X, y, sample_weight))
        return loss, grad.copy()

    # -- prediction -----------------------------------------------------------
    def _forward(self, X, check_input=True):
        """Link-space outputs (probabilities, predictions) of the fitted network."""
        check_is_fitted(self)
        if check_input:
            X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False,
                              dtype=(np.float64, np.float32))
        network = self._network()
        if getattr(self, "_inference_dtype", None) is not None:  # with_inference_dtype()
            X = inference_input(X, network)
        return network.predict(X)

    def summary(self):
        """A table of the fitted network's layers, with parameter totals and memory.

        One row per layer (dense, batch norm, activation, dropout): its
        output width, its numbers of parameters and of buffers (batch
        norm's moving statistics, not trained), and whether it trains or
        is frozen (the DeepNets' ``frozen_layers``). Then the totals,
        the weights' dtype and their bytes. In a notebook the fitted
        estimator's HTML repr shows it too, collapsed.

        Returns
        -------
        summary : sknn.network.NetworkSummary
            Prints as a text table (Keras's ``model.summary()``); its
            ``rows`` and totals are data.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sknn import MLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = MLPClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0).fit(X, y)
        >>> clf.summary()
        Inputs: 4, loss: 'log_loss'
        #  layer  output  parameters  buffers  trainable
        0  dense       8          40        0  yes
        1  relu        8           0        0
        2  dense       3          27        0  yes
        Total parameters: 67
        Trainable parameters: 67
        Non-trainable (frozen) parameters: 0
        Buffers (not trained): 0
        Weights: float64, 536 bytes
        """
        check_is_fitted(self)
        return self._network().summary()

    # -- low-latency inference ----------------------------------------------
    def fuse_batch_norm(self):
        """Return a copy whose batch norm layers are folded into the dense layers.

        In inference mode a batch norm layer is a fixed per-feature affine
        map, ``gamma * (z - moving_mean) / sqrt(moving_variance + epsilon) +
        beta``. When it directly follows a dense layer ``z = X @ W + b``
        (``batch_norm_position='before'``, the default) the two compose into
        one dense layer with, per output column ``j``::

            scale[j] = gamma[j] / sqrt(moving_variance[j] + epsilon)
            W'[:, j] = W[:, j] * scale[j]
            b'[j]    = (b[j] - moving_mean[j]) * scale[j] + beta[j]

        so prediction skips one elementwise pass per hidden layer and
        allocates one array fewer. The fused values are computed in float64
        and stored in the network's dtype; predictions equal the original's
        up to rounding (about 1e-12 in float64, 1e-6 in float32).

        Batch norm placed after the activation
        (``batch_norm_position='after'``) does not follow a dense layer, so it
        cannot be folded into it: such layers stay in place (the next dense
        layer could absorb them only when no dropout or other layer comes
        between). A network without batch norm gives an equivalent copy.

        The estimator itself is never modified. The copy predicts, scores
        and pickles like any fitted estimator; its ``coefs_`` and
        ``intercepts_`` are the fused kernels and biases. It is
        inference-only: ``partial_fit`` and ``fit`` with ``warm_start=True``
        raise a ValueError (continue training the original instead), while
        ``fit`` with ``warm_start=False`` trains a new network from scratch,
        batch norm included.

        Returns
        -------
        fused : estimator
            A new fitted estimator of the same class and parameters.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_iris
        >>> from sknn import MLPClassifier
        >>> X, y = load_iris(return_X_y=True)
        >>> clf = MLPClassifier(hidden_layer_sizes=(16, 16), batch_norm=True,
        ...                     max_iter=50, random_state=0).fit(X, y)
        >>> fused = clf.fuse_batch_norm()
        >>> bool(np.allclose(fused.predict_proba(X), clf.predict_proba(X)))
        True
        >>> [w.shape for w in fused.coefs_]
        [(4, 16), (16, 16), (16, 3)]
        """
        check_is_fitted(self)
        fused = copy.deepcopy(self)
        # training state (optimizer moments, best weights) belongs to the unfused
        # layout; the copy cannot continue training, so it does not carry it
        for name in ("_optimizer", "_train_state"):
            fused.__dict__.pop(name, None)
        fused._store_network(self._network().fold_batch_norm())
        fused._batch_norm_fused = True
        return fused

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Fit the model to data matrix ``X`` and targets ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels (classification) or real targets (regression).
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights in the loss.
        validation_data : (X_val, y_val) or (X_val, y_val, sample_weight_val), default=None
            A validation set scored after every epoch (``val_loss`` and
            ``val_score`` in ``history_``), as Keras's ``validation_data``.
            With ``early_stopping=True`` it is also the early-stopping set,
            used instead of holding out ``validation_fraction`` of ``X``;
            without, it only monitors and never changes the training. It is
            weighted as training is: by ``sample_weight_val`` and by
            ``class_weight`` ('balanced' with the training set's class
            frequencies). ``y_val`` may only hold classes that ``y`` has.
            Stochastic solvers only.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False,
                         validation_data=validation_data)

    def _check_solver(self):
        if self.solver not in OPTIMIZERS:
            raise AttributeError(
                "partial_fit is only available for stochastic optimizers. "
                "%s is not stochastic: L-BFGS minimizes one full-batch objective and keeps "
                "no state between calls to continue from a new chunk. Use a minibatch solver "
                "such as solver='adam' or 'sgd' to train incrementally." % self.solver
            )
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def __getstate__(self):
        # a copy: on Python 3.11+ the inherited state is the instance's own __dict__
        state = dict(super().__getstate__(), _sknn_version=__version__)
        if "network_" in state:
            # coefs_ and intercepts_ list arrays of network_, restored from it on
            # loading: joblib, which does not keep shared arrays shared, would
            # store them twice
            state["network_"] = self._network()  # with any array assigned to coefs_
            del state["coefs_"], state["intercepts_"]
        return state

    def __setstate__(self, state):
        check_registered(state)
        saved = state.pop("_sknn_version", "unknown")
        if saved != __version__:
            warnings.warn(InconsistentVersionWarning(type(self).__name__, saved, __version__))
        super().__setstate__(state)
        if "network_" in state:
            self._store_network(self.network_)
        elif "coefs_" in state:
            self._store_network(self._network_of_old_pickle())

    def _network_of_old_pickle(self):
        """``network_`` of a pickle written before it existed (sknn 0.x up to issue 14).

        Such a pickle kept the spec as ``_network_spec``, the dense weights in
        ``coefs_``/``intercepts_`` and the other weights (batch norm, PReLU)
        in ``_aux_weights``, with ``_weight_layout`` telling, per layer with
        weights, whether it was dense.
        """
        spec = self.__dict__.pop("_network_spec", None) or self._build_spec(
            self.n_features_in_, self.coefs_[0].dtype)
        is_dense = self.__dict__.pop("_weight_layout", None) or [True] * len(self.coefs_)
        others = iter(self.__dict__.pop("_aux_weights", ()))
        dense = iter(zip(self.coefs_, self.intercepts_))
        return Network(spec, [dict(zip(("kernel", "bias"), next(dense))) if flag else next(others)
                              for flag in is_dense])


def _epoch_attributes(spec, engine, n_iter, history):
    """What makes a copy of an estimator predict with ``engine``'s weights, with its
    ``n_iter_`` and ``history_`` (a :class:`~sknn.callbacks.FitTask`'s ``attributes``);
    None after an epoch that diverged, which leaves no model to use."""
    if diverged(engine, history):
        return None
    network = Network(spec, engine.get_weights())
    return {"network_": network, "coefs_": network.kernels, "intercepts_": network.biases,
            "n_iter_": n_iter, "history_": {key: list(values) for key, values in history.items()}}


def _default(estimator, name):
    """The default of constructor parameter ``name`` in ``estimator``'s signature."""
    return inspect.signature(type(estimator)).parameters[name].default


def _same_arrays(listed, stored):
    """Whether the list ``listed`` holds exactly the arrays ``stored`` (not copies)."""
    return len(listed) == len(stored) and all(a is b for a, b in zip(listed, stored))


def schedule_objects_for_nested_params(estimator, params):
    """``params`` with ``learning_rate`` made a schedule object when a nested
    ``learning_rate__*`` parameter is set while it is a schedule's name.

    The object is what ``fit`` would build from the name (with the
    estimator's ``power_t`` for 'invscaling'); its unset rates stay unset,
    so they still follow ``learning_rate_init``.
    """
    nested = [key for key in params if key.startswith("learning_rate__")]
    if not nested:
        return params
    schedule = params.get("learning_rate", getattr(estimator, "learning_rate", None))
    if not isinstance(schedule, str):
        return params
    if schedule not in SCHEDULES:
        raise ValueError(
            f"Cannot set {nested[0]!r}: learning_rate={schedule!r} is not a schedule object "
            f"with parameters (it is scikit-learn's plateau policy of the loop). Pass a "
            f"schedule object instead, e.g. learning_rate=ReduceOnPlateau(...) from "
            f"sknn.schedules, or one of the names {', '.join(SCHEDULES.names())}.")
    power_t = getattr(estimator, "power_t", None)
    own = {} if power_t is None else {"power_t": power_t}
    return {**params, "learning_rate": schedule_from_name(schedule, **own)}


def _warn_alpha_dropout_with_batch_norm(spec):
    """Alpha dropout exists to keep SELU's self-normalized mean and variance;
    batch norm imposes its own statistics, so the pair trains but alpha
    dropout's reason is gone. A warning (not an error): the network is valid."""
    alpha_dropout = any(isinstance(layer, Dropout) and layer.kind == "alpha" and layer.rate > 0
                        for layer in spec.layers)
    if alpha_dropout and any(isinstance(layer, BatchNorm) for layer in spec.layers):
        warnings.warn(
            "Alpha dropout (dropout_kind='alpha', or 'auto' with activation='selu') is used "
            "together with batch normalization. Alpha dropout keeps the mean and variance "
            "that SELU networks self-normalize to, but batch norm replaces those statistics "
            "with its own, so the combination loses what alpha dropout is for. Use "
            "batch_norm=False for a self-normalizing SELU network, or dropout_kind='standard' "
            "with batch norm.", UserWarning, stacklevel=4)


def _unpack_validation_data(data):
    """``(X_val, y_val, sample_weight_val or None)`` of a ``validation_data`` argument."""
    if isinstance(data, (tuple, list)) and len(data) in (2, 3):
        X_val, y_val, *weights = data
        return X_val, y_val, (weights[0] if weights else None)
    described = (f"a {type(data).__name__} of {len(data)} items"
                 if isinstance(data, (tuple, list)) else f"a {type(data).__name__}")
    raise ValueError(f"validation_data must be a tuple (X_val, y_val) or (X_val, y_val, "
                     f"sample_weight_val), got {described}.")



def _trainable_flags(spec):
    return tuple(getattr(layer, "trainable", True) for layer in spec.layers)
