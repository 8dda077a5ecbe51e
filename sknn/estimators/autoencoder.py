"""Greedy layer-wise unsupervised pretraining: :class:`StackedAutoencoder`.

Each layer is trained as a one-hidden-layer autoencoder of the codes of the
layer below, on sknn's engines and training loop: an autoencoder layer is a
:class:`~sknn.spec.NetworkSpec` ``Dense -> [BatchNorm] -> activation ->
Dense`` with a squared-error loss whose targets are its own inputs. The
encoder it leaves behind is what :meth:`StackedAutoencoder.transform`
applies and what :class:`~sknn.DeepNetClassifier`'s ``pretrained=`` reuses.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from functools import partial
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array, check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from sknn._sklearn_compat import (
    CallbackSupportMixin,
    Interval,
    InvalidParameterError,
    StrOptions,
    SummaryInHTMLReprMixin,
    _fit_context,
    check_lbfgs_result,
)
from sknn.callbacks import FitTask, diverged
from sknn.estimators._base import (
    NETWORK_CONSTRAINTS,
    ScheduleByNameMixin,
    store_init_arguments,
    unchanged_if_interrupted,
)
from sknn.estimators._checks import RegisteredNames, check_layer_widths
from sknn.estimators._techniques import TECHNIQUE_CONSTRAINTS, engine_options, optimizer_params
from sknn.exceptions import explain_input_errors
from sknn.extending import check_registered
from sknn.network import Network, initial_weights
from sknn.nn.activations import check_trainable, resolve_activation
from sknn.fitting import FitPlan, run_fit
from sknn.nn.initializers import initializer_and_gain
from sknn.nn.losses import LossSpec
from sknn.schedules import SCHEDULES, Schedule
from sknn.spec import (
    Activation,
    BatchNorm,
    Dense,
    NetworkSpec,
    Regularization,
    TiedDense,
    TrainConfig,
)

#: Loss of every reconstruction: half the squared error, identity output.
RECONSTRUCTION_LOSS = LossSpec("squared_error")


class StackedAutoencoder(ScheduleByNameMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin,
                         SummaryInHTMLReprMixin, CallbackSupportMixin, BaseEstimator):
    """Stacked autoencoder trained greedily, layer by layer, on unlabeled data.

    Layer ``k`` is the encoder of a one-hidden-layer autoencoder trained to
    reconstruct the codes of layer ``k - 1`` (layer 1 reconstructs ``X``)
    with half the squared error: ``Dense -> [BatchNorm] -> activation`` as
    encoder, a linear ``Dense`` as decoder. Each layer is trained with its
    own optimizer on the frozen codes of the layers below, which is how deep
    networks were pretrained before good initializations and batch norm
    (Hinton & Salakhutdinov, 2006; Bengio et al., 2007). With
    ``fine_tune_iter > 0`` the whole stack (all encoders, then all decoders
    from the top down) is then trained jointly on ``X``.

    :meth:`transform` returns the codes of the last hidden layer;
    :meth:`inverse_transform` maps codes back to the input space through
    the decoders. A fitted autoencoder can be passed as ``pretrained=`` to
    :class:`~sknn.DeepNetClassifier` or :class:`~sknn.DeepNetRegressor`,
    which reuse its encoder (weights and batch norm statistics) as their
    lower layers, and is what their ``pretraining='autoencoder'`` trains.

    Decoders are linear, so a reconstruction is an affine map of the
    deepest codes: what the stack learns lives in the encoder. With
    ``tied_weights=True`` each decoder's kernel is the transpose of its
    encoder's (only its bias is its own): half the weights, and a
    regularizer. Training uses sknn's engines
    and training loop, so ``solver``, schedules, ``backend='torch'`` and
    ``verbose`` work as for the MLP estimators, and sparse ``X`` is
    accepted (the reconstruction targets are densified).

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers,), default=(100,)
        Width of each encoder layer, from the input up; the last is the
        width of the codes :meth:`transform` returns.

    activation : str, default='elu'
        Encoder activation (any of the MLPs' trainable activations).

    solver : str, default='adam'
        'lbfgs' or a minibatch optimizer ('sgd', 'adam', 'nadam', 'adamw',
        'adamax', 'rmsprop', 'adagrad'); each layer (and the fine-tune) gets
        a fresh one.

    alpha : float, default=0.0
        L2 penalty on the kernels, as the MLPs' ``alpha``.

    batch_size : int or 'auto', default='auto'
        Minibatch size; 'auto' is ``min(200, n_samples)``.

    learning_rate : str or Schedule, default='constant'
        Learning-rate schedule of each layer's training: a registered name
        ('constant', 'one_cycle', 'cosine', 'exponential', ...) or a
        :class:`sknn.schedules.Schedule` object.

    learning_rate_init : float, default=0.01
        Initial (or peak) learning rate (see Notes).

    max_iter : int, default=100
        Epochs of each layer's greedy training ('lbfgs': iterations).

    fine_tune_iter : int, default=0
        Epochs of joint training of the whole stack after the greedy phase;
        0 skips it.

    tied_weights : bool, default=False
        Decode with the transposed encoder kernels (``X' = H W^T + b'``)
        instead of separate decoder kernels, in the greedy phase and the
        fine-tune.

    shuffle : bool, default=True
        Reshuffle the samples before each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialization and the shuffling.

    tol : float, default=1e-4
        A layer's training stops after ``n_iter_no_change`` epochs without
        this much improvement of its loss.

    n_iter_no_change : int, default=10
        Patience of that stopping rule, in epochs.

    verbose : bool or int, default=False
        Print each epoch's loss.

    momentum : float, default=0.9
        Momentum of 'sgd'.

    nesterovs_momentum : bool, default=True
        Nesterov's momentum for 'sgd'.

    beta_1, beta_2 : float, default=0.9, 0.999
        Moment decay rates of the Adam family.

    epsilon : float, default=1e-8
        Numerical-stability constant of the adaptive optimizers.

    rho : float, default=0.9
        Decay of RMSProp's squared-gradient average.

    weight_decay : float, default=0.01
        AdamW's decoupled weight decay.

    max_fun : int, default=15000
        Maximum loss evaluations of 'lbfgs'.

    kernel_initializer : str or Initializer, default='auto'
        As the MLPs' parameter; 'auto' is He normal for ELU and the ReLU
        family, Glorot for identity/logistic/tanh, LeCun normal for SELU.

    activation_alpha : float or None, default=None
        The activation's own constant (ELU's alpha, leaky ReLU's slope).

    batch_norm : bool, default=False
        Batch normalization in every encoder layer; its moving statistics
        travel with the encoder to a network that reuses it.

    batch_norm_position : {'before', 'after'}, default='before'
        Normalize before or after the activation.

    bn_momentum : float, default=0.99
        Weight of the old running statistics in each update.

    bn_epsilon : float, default=1e-3
        Added to the variance before normalizing.

    dtype : {'float32', 'float64'}, default='float32'
        Type of the weights, of the computation and of the codes.

    backend : {'numpy', 'torch'}, default='numpy'
        Engine that trains each layer (the fitted weights are NumPy arrays).

    device : str, default='auto'
        Torch device for ``backend='torch'``.

    Attributes
    ----------
    network_ : sknn.network.Network
        The encoder, what :meth:`transform` runs and ``pretrained=`` reuses:
        ``X`` to codes, batch norm included. ``network_.forward(X)`` gives
        the codes.

    decoder_network_ : sknn.network.Network
        The decoders, top layer's first, what :meth:`inverse_transform`
        runs: codes to reconstructions (with ``tied_weights=True`` the
        transposed encoder kernels, written out).

    coefs_ : list of ndarray
        Encoder kernels, one per layer, shape ``(fan_in, fan_out)``: the
        dense kernels of ``network_`` (the same arrays), without batch norm.

    intercepts_ : list of ndarray
        Encoder biases.

    decoder_coefs_ : list of ndarray
        Decoder kernels; ``decoder_coefs_[k]`` maps layer ``k``'s codes back
        to its input, shape ``(hidden_layer_sizes[k], fan_in)`` (the
        kernels of ``decoder_network_``, in the opposite order).

    decoder_intercepts_ : list of ndarray
        Decoder biases.

    loss_curves_ : list of list of float
        Training loss per epoch of each layer (then of the fine-tune).

    reconstruction_losses_ : list of float
        Final loss of each layer's training (then of the fine-tune): half
        the squared reconstruction error of its inputs, summed over
        features and averaged over samples (NaN for a phase interrupted
        before its first epoch ended).

    n_iter_ : int
        Epochs (L-BFGS iterations) run in total, over all layers.

    n_features_in_ : int

    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names.

    Notes
    -----
    The default rate was measured on scikit-learn's digits (standardized,
    1797 samples, layers (100, 32), Adam, seed 0): final reconstruction
    loss (the mean-prediction baseline is 30.5) after 30 / 100 epochs per
    layer was 19.9 / 8.3 at rate 1e-3, 8.4 / 4.8 at 3e-3 and 4.7 / 4.0 at
    1e-2, and minibatches of 32 instead of 'auto' (200) cost 2-3x the time
    for no better result.

    See Also
    --------
    sknn.DeepNetClassifier : reuses the encoder through ``pretrained=`` or
        trains one on unlabeled rows with ``pretraining='autoencoder'``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sknn import StackedAutoencoder
    >>> X = load_digits().data / 16
    >>> ae = StackedAutoencoder(hidden_layer_sizes=(32, 8), max_iter=20,
    ...                         random_state=0).fit(X)
    >>> codes = ae.transform(X)
    >>> codes.shape, codes.dtype
    ((1797, 8), dtype('float32'))
    >>> ae.inverse_transform(codes).shape
    (1797, 64)
    >>> list(ae.get_feature_names_out()[:2])
    ['stackedautoencoder0', 'stackedautoencoder1']
    """

    _parameter_constraints: dict = {
        **NETWORK_CONSTRAINTS,
        "learning_rate": [RegisteredNames(SCHEDULES), Schedule],
        "fine_tune_iter": [Interval(Integral, 0, None, closed="left")],
        "tied_weights": ["boolean"],
        # the technique parameters it has (no dropout, l1, max-norm or clipping)
        **{name: TECHNIQUE_CONSTRAINTS[name] for name in (
            "rho", "weight_decay", "activation_alpha", "batch_norm", "batch_norm_position",
            "bn_momentum", "bn_epsilon", "backend", "device")},
        "dtype": [StrOptions({"float32", "float64"})],
    }

    def __init__(self, hidden_layer_sizes=(100,), activation="elu", *, solver="adam",
                 alpha=0.0, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.01, max_iter=100, fine_tune_iter=0, tied_weights=False,
                 shuffle=True,
                 random_state=None, tol=1e-4, n_iter_no_change=10, verbose=False,
                 momentum=0.9, nesterovs_momentum=True, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-8, rho=0.9, weight_decay=0.01, max_fun=15000,
                 kernel_initializer="auto", activation_alpha=None, batch_norm=False,
                 batch_norm_position="before", bn_momentum=0.99, bn_epsilon=1e-3,
                 dtype="float32", backend="numpy", device="auto"):
        store_init_arguments(self, locals())

    # -- the specs ------------------------------------------------------------
    def _hidden_sizes(self):
        sizes = check_layer_widths(self.hidden_layer_sizes)
        if not sizes:
            raise InvalidParameterError("The 'hidden_layer_sizes' parameter of "
                                        "StackedAutoencoder needs at least one layer width; "
                                        "got an empty sequence.")
        return sizes

    def _dense(self, units):
        return Dense(int(units), *initializer_and_gain(self.kernel_initializer, self.activation))

    def _encoder_block(self, units):
        block = [self._dense(units), Activation(self.activation, self.activation_alpha)]
        if self.batch_norm:
            position = 1 if self.batch_norm_position == "before" else 2
            block.insert(position, BatchNorm(float(self.bn_momentum), float(self.bn_epsilon)))
        return block

    def _spec(self, n_inputs, layers):
        return NetworkSpec(int(n_inputs), tuple(layers), RECONSTRUCTION_LOSS, self.dtype)

    def _train_config(self, max_iter):
        return TrainConfig(
            solver=self.solver, optimizer_params=optimizer_params(self),
            learning_rate_init=self.learning_rate_init, schedule=self.learning_rate,
            batch_size=self.batch_size, max_iter=max_iter,
            shuffle=self.shuffle, tol=self.tol, n_iter_no_change=self.n_iter_no_change,
            verbose=self.verbose, max_fun=self.max_fun)

    # -- training ---------------------------------------------------------------
    def _train(self, spec, weights, X, max_iter, stage, on_interrupt, task):
        """Train ``spec`` from ``weights`` to reconstruct ``X``; (weights, loss curve).

        ``on_interrupt`` is :func:`~sknn.training.fit_loop`'s: 'raise' for a
        phase after which more training follows. ``task``: the stage's
        :class:`~sknn.callbacks.FitTask`, or None without callbacks.
        """
        config = self._train_config(max_iter)
        # a sparse input is fine for the first dense layer; the targets are dense
        plan = FitPlan(spec, weights, config, X, X.toarray() if sp.issparse(X) else X,
                       backend=self.backend, engine_options=engine_options(self),
                       regularization=Regularization(alpha=float(self.alpha)),
                       shuffle_rng=self._random_state, on_interrupt=on_interrupt,
                       warn_batch_size=self.batch_size != "auto",
                       nonfinite_message="StackedAutoencoder: training produced non-finite "
                       "weights; scale the input (e.g. StandardScaler) or lower "
                       "learning_rate_init.", callbacks=task)
        result = run_fit(plan)
        if not plan.stochastic:
            n_iter, curve = check_lbfgs_result(result.lbfgs, max_iter), [result.lbfgs.loss]
        else:
            if not result.converged:
                warnings.warn(f"StackedAutoencoder: {stage} reached {max_iter} epochs "
                              f"without converging.", ConvergenceWarning)
            n_iter, curve = result.state.n_iter, list(result.state.loss_curve)
        self.n_iter_ += n_iter
        return result.weights, curve

    def _fit_layer(self, codes, units, below, task):
        """Greedy step: train an autoencoder of ``codes``; its encoder network, and
        its decoder's layer and weights.

        The decoder comes back as a plain dense layer, a tied one with its
        kernel written out (the transposed encoder kernel). ``below`` and
        ``task`` are for callbacks: the fitted attributes of the layers
        under this one (:meth:`_stacked`), and the layer's
        :class:`~sknn.callbacks.FitTask` (None without callbacks).
        """
        encoder = self._encoder_block(units)
        decoder = self._dense(codes.shape[1])
        spec = self._spec(codes.shape[1],
                          encoder + [TiedDense(0) if self.tied_weights else decoder])

        def parts(trained):
            decoder_weights = trained[-1]
            if self.tied_weights:
                decoder_weights = {"kernel": trained[0]["kernel"].T.copy(), **decoder_weights}
            return Network(spec, trained).head(len(encoder)), decoder, decoder_weights

        if task is not None:
            task.attributes = partial(self._epoch_attributes,
                                      lambda trained: self._stacked(below, *parts(trained)))
        stage = f"layer {len(self.loss_curves_) + 1} (max_iter)"
        last = self._last_phase_interrupt if (
            not self.fine_tune_iter and len(self.loss_curves_) + 1 == len(self._hidden_sizes())
        ) else "raise"
        trained, curve = self._train(spec, initial_weights(spec, self._random_state), codes,
                                     self.max_iter, stage, on_interrupt=last, task=task)
        self.loss_curves_.append(curve)
        return parts(trained)

    def _epoch_attributes(self, attributes_of, engine, n_iter, history):
        """A :class:`~sknn.callbacks.FitTask`'s ``attributes``: the stack with the
        engine's weights, after ``n_iter`` epochs of the stage in training (None
        after an epoch that diverged)."""
        if diverged(engine, history):
            return None
        return {**attributes_of(engine.get_weights()), "n_iter_": self.n_iter_ + n_iter}

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the stack greedily on ``X`` (then jointly with ``fine_tune_iter``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Unlabeled training data; standardized features train best.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted autoencoder.

        Notes
        -----
        A KeyboardInterrupt (Ctrl-C) stops the whole fit. In the last phase
        (the top layer's training, or the joint fine-tune when
        ``fine_tune_iter > 0``) every layer exists, so the fit ends cleanly
        with the weights of the last completed epoch and a warning, as the
        MLPs' fits do. In an earlier phase the stack would be missing
        layers, so the interruption is raised again and the estimator is
        left as it was before ``fit``.

        With callbacks (``set_callbacks``) the fit's subtasks are its stages,
        ``'layer 1'``, ``'layer 2'``, ... and ``'fine-tune'``, each with one
        subtask per epoch. A callback that returns True at an epoch's end
        ends that stage (the next one starts); at a stage's end, the fit:
        the stack keeps the layers trained so far.
        """
        # outside the interruption guard of _fit: its undo would keep the
        # callbacks from being torn down
        task = FitTask.start(self, X, y, max_subtasks=len(self._hidden_sizes())
                             + bool(self.fine_tune_iter))
        self._fit(X, task=task)
        if task is not None:
            task.end({})
        return self

    def _fit(self, X, last_phase_interrupt="stop", task=None):
        """``fit``; ``last_phase_interrupt='raise'`` when more training follows it
        (a DeepNet's pretraining), so that no phase swallows an interruption."""
        with unchanged_if_interrupted(self):
            self._last_phase_interrupt = last_phase_interrupt
            try:
                return self._fit_stack(X, task)
            finally:
                self.__dict__.pop("_last_phase_interrupt", None)

    def _fit_stack(self, X, task):
        sizes = self._hidden_sizes()
        check_trainable(self.activation)
        resolve_activation(self.activation, self.activation_alpha)
        with explain_input_errors(X=X):
            X = validate_data(self, X, accept_sparse=["csr", "csc"],
                              dtype=(np.float64, np.float32)).astype(self.dtype, copy=False)
        self._random_state = check_random_state(self.random_state)
        self.n_iter_, self.loss_curves_ = 0, []
        stack, codes = {}, X  # the fitted attributes of the layers trained so far
        for number, units in enumerate(sizes, 1):
            stage = None if task is None else task.subtask(f"layer {number}", self.max_iter)
            encoder, decoder, decoder_weights = self._fit_layer(codes, units, stack, stage)
            stack = self._stacked(stack, encoder, decoder, decoder_weights)
            if stage is not None and stage.end(stack):
                break  # a callback ends the fit here: the stack keeps these layers
            codes = encoder.forward(codes)
        vars(self).update(stack)
        if self.fine_tune_iter and len(self.loss_curves_) == len(sizes):
            self._fine_tune(X, task)
        # NaN for a phase interrupted before its first epoch ended
        self.reconstruction_losses_ = [curve[-1] if curve else float("nan")
                                       for curve in self.loss_curves_]
        return self

    def _fine_tune(self, X, task):
        """Joint training of the whole stack (encoders, then decoders) on ``X``."""
        encoder, decoder = self.network_, self.decoder_network_
        decoder_layers, decoder_weights = decoder.spec.layers, decoder.weights
        if self.tied_weights:  # decoders tied to the encoder's dense layers, top down
            dense = [i for i, layer in enumerate(encoder.spec.layers) if isinstance(layer, Dense)]
            decoder_layers = tuple(TiedDense(i) for i in dense[::-1])
            decoder_weights = [{"bias": layer["bias"]} for layer in decoder_weights]
        spec = self._spec(X.shape[1], encoder.spec.layers + decoder_layers)

        def split(weights):
            n_encoder = len(encoder.weights)
            encoder_weights, decoder_weights = weights[:n_encoder], weights[n_encoder:]
            if self.tied_weights:
                kernels = [layer["kernel"] for layer in encoder_weights if "kernel" in layer]
                decoder_weights = [{"kernel": kernel.T.copy(), **layer} for kernel, layer
                                   in zip(kernels[::-1], decoder_weights)]
            return self._networks(Network(encoder.spec, encoder_weights),
                                  Network(decoder.spec, decoder_weights))

        stage = None
        if task is not None:
            stage = task.subtask("fine-tune", self.fine_tune_iter,
                                 partial(self._epoch_attributes, split))
        weights, curve = self._train(spec, encoder.weights + decoder_weights, X,
                                     self.fine_tune_iter, "the joint fine-tune (fine_tune_iter)",
                                     on_interrupt=self._last_phase_interrupt, task=stage)
        vars(self).update(split(weights))
        self.loss_curves_.append(curve)
        if stage is not None:
            stage.end({})

    # -- the fitted transformer -------------------------------------------------
    def transform(self, X):
        """Codes of the last hidden layer (inference mode).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        codes : ndarray of shape (n_samples, hidden_layer_sizes[-1])
            In the estimator's ``dtype``.
        """
        check_is_fitted(self)
        with explain_input_errors(X=X):
            # in the network's dtype: a value it cannot hold is refused, not made inf
            X = validate_data(self, X, accept_sparse=["csr", "csc"],
                              dtype=np.dtype(self.dtype), reset=False)
        return self.network_.forward(X)

    def inverse_transform(self, X):
        """Reconstructions of the inputs that gave the codes ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, hidden_layer_sizes[-1])
            Codes, as :meth:`transform` returns them.

        Returns
        -------
        X_reconstructed : ndarray of shape (n_samples, `n_features_in_`)
        """
        check_is_fitted(self)
        with explain_input_errors(X=X):
            codes = check_array(X, dtype=np.dtype(self.dtype))
        width = self.decoder_network_.spec.n_inputs
        if codes.shape[1] != width:
            raise ValueError(f"inverse_transform expects codes of {width} features (the last "
                             f"hidden layer's width), got {codes.shape[1]}.")
        return self.decoder_network_.forward(codes)

    def summary(self):
        """A table of the fitted autoencoder's layers, with parameter totals and memory.

        The rows of the encoder (``network_``) come first, then those of
        the decoders (``decoder_network_``, top layer's first): the whole
        network from ``X`` to its reconstruction. With ``tied_weights=True``
        the decoders' kernels, written out, count as weights of their own.
        See :meth:`sknn.network.Network.summary`.

        Returns
        -------
        summary : sknn.network.NetworkSummary

        Examples
        --------
        >>> import numpy as np
        >>> from sknn import StackedAutoencoder
        >>> X = np.random.RandomState(0).normal(size=(40, 6))
        >>> ae = StackedAutoencoder(hidden_layer_sizes=(4, 2), max_iter=5, random_state=0)
        >>> summary = ae.fit(X).summary()
        >>> [(row["layer"], row["output_width"]) for row in summary.rows]
        [('dense', 4), ('elu', 4), ('dense', 2), ('elu', 2), ('dense', 4), ('dense', 6)]
        >>> summary.total_parameters, summary.nbytes
        (80, 320)
        """
        check_is_fitted(self)
        encoder, decoder = self.network_, self.decoder_network_
        spec = replace(encoder.spec, layers=encoder.spec.layers + decoder.spec.layers)
        return Network(spec, encoder.weights + decoder.weights).summary()

    def _stacked(self, below, encoder, decoder, decoder_weights):
        """The fitted attributes of the stack whose attributes are ``below`` ({} for
        none) with ``encoder`` on top, and its ``decoder`` first."""
        n_inputs, layers, weights = encoder.spec.n_inputs, (), []
        decoders, decoders_weights = (), []
        if below:
            under, under_decoders = below["network_"], below["decoder_network_"]
            n_inputs, layers, weights = under.spec.n_inputs, under.spec.layers, under.weights
            decoders, decoders_weights = under_decoders.spec.layers, under_decoders.weights
        width = encoder.spec.dense_layers[-1].units
        network = Network(self._spec(n_inputs, layers + encoder.spec.layers),
                          weights + encoder.weights)
        decoder_network = Network(self._spec(width, (decoder,) + decoders),
                                  [decoder_weights] + decoders_weights)
        return {"_n_features_out": width, **self._networks(network, decoder_network)}

    @staticmethod
    def _networks(network, decoder_network):
        """The fitted attributes of an encoder and its decoders: the networks, and
        ``coefs_``, ``intercepts_``, ``decoder_coefs_`` and ``decoder_intercepts_``,
        lists of their arrays (the same arrays, not copies)."""
        return {"network_": network, "decoder_network_": decoder_network,
                "coefs_": network.kernels, "intercepts_": network.biases,
                # stored top-down (the order inverse_transform applies them); listed per layer
                "decoder_coefs_": decoder_network.kernels[::-1],
                "decoder_intercepts_": decoder_network.biases[::-1]}

    def __getstate__(self):
        # the lists of dense arrays are restored from the networks on loading:
        # joblib, which does not keep shared arrays shared, would store them twice
        return {key: value for key, value in super().__getstate__().items() if key not in (
            "coefs_", "intercepts_", "decoder_coefs_", "decoder_intercepts_")}

    def __setstate__(self, state):
        check_registered(state)
        super().__setstate__(state)
        if "_encoder_spec" in state:  # a pickle from before network_ (issue 14)
            old = self.__dict__
            self.network_ = Network(old.pop("_encoder_spec"), old.pop("_encoder_weights"))
            self.decoder_network_ = Network(old.pop("_decoder_spec"),
                                            old.pop("_decoder_weights"))
        if "network_" in self.__dict__:
            vars(self).update(self._networks(self.network_, self.decoder_network_))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = [self.dtype]
        return tags
