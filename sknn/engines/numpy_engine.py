"""The reference engine: the hand-written NumPy core with manual backprop."""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from dataclasses import dataclass

import numpy as np
import scipy
import scipy.linalg.blas  # noqa: F401  (load SciPy's BLAS so threadpoolctl sees it)
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

from sknn.nn import regularizers
from sknn.nn.initializers import INITIALIZERS
from sknn.nn.layers import BatchNorm, Dense, Dropout, Sequential
from sknn.nn.layers.activation import make_activation_layer
from sknn.nn.layers.sequential import initial_state
from sknn.nn.losses import LOSSES
from sknn.spec import Activation, Regularization
from sknn.spec import BatchNorm as BatchNormSpec
from sknn.spec import Dense as DenseSpec
from sknn.spec import Dropout as DropoutSpec
from sknn.spec import TiedDense as TiedDenseSpec


@dataclass
class NumpyData:
    """Training data in the engine's dtype; ``Y`` is 2-D float."""

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray | None

    @property
    def n_samples(self):
        return self.X.shape[0]


def build_layers(spec, rng=None):
    """The NumPy layers of ``spec``, one per spec layer, in order.

    Two flags are decided here, from the neighbours of each layer:

    - ``needs_input_grad`` is False until some earlier layer has parameters:
      nothing upstream of the first parameterized layer wants ``dL/dX``
      (the first dense layer skips a matrix product; input dropout keeps
      no mask). A dense layer after an input BatchNorm does need it.
    - ``inplace`` (BatchNorm, Dropout) is True when the previous layer's
      output is reusable: nobody keeps it for a backward pass and it is not
      the caller's ``X``. Dense outputs are; activation outputs are not (the
      activation's backward reads them).
    """
    layers, width = [], spec.n_inputs
    has_params, reusable = False, False
    for layer in spec.layers:
        if isinstance(layer, DenseSpec):
            built = Dense(width, layer.units, needs_input_grad=has_params)
            width, reusable = layer.units, True
        elif isinstance(layer, BatchNormSpec):
            built = BatchNorm(width, layer.momentum, layer.epsilon,
                              needs_input_grad=has_params, inplace=reusable)
            reusable = True
        elif isinstance(layer, DropoutSpec):
            built = Dropout(layer.rate, layer.kind, rng=rng,
                            needs_input_grad=has_params, inplace=reusable)
            reusable = built.output_reusable
        elif isinstance(layer, Activation):
            built = make_activation_layer(layer, width, rng)
            reusable = False
        elif isinstance(layer, TiedDenseSpec):
            built = TiedDense(layers[layer.tied_to], needs_input_grad=has_params)
            width, reusable = built.fan_out, True
        else:
            raise TypeError(f"The NumPy engine cannot build a {type(layer).__name__} layer")
        if not getattr(layer, "trainable", True):
            built = _frozen(built)
        # only trainable parameters want gradients: below the lowest trainable
        # layer (a frozen bottom stack) the backward pass stops
        trainable = getattr(built, "trainable", True)
        has_params = has_params or (bool(built.param_shapes) and trainable)
        layers.append(built)
    return layers


class TiedDense:
    """``Y = X W^T + b`` with ``W`` the kernel of an earlier :class:`Dense` layer.

    Only the bias is this layer's parameter. Its share of the shared
    kernel's gradient, ``(X^T dY)^T``, waits in :attr:`pending` until the
    engine adds it with :meth:`add_pending_gradient`: the tied dense layer's
    own backward pass, which runs later, overwrites its kernel gradient.
    """

    def __init__(self, tied, needs_input_grad=True):
        self.tied = tied
        self.fan_in, self.fan_out = tied.fan_out, tied.fan_in
        self.needs_input_grad = needs_input_grad
        self.bias = self.bias_grad = self.pending = None

    @property
    def param_shapes(self):
        return {"bias": (self.fan_out,)}

    def bind(self, params, grads):
        self.bias, self.bias_grad = params["bias"], grads["bias"]

    def forward(self, X, training=False):
        kernel = self.tied.kernel
        Y = np.asarray(X @ kernel.T)
        Y += self.bias

        def backward(dY):
            np.sum(dY, axis=0, out=self.bias_grad)
            self.pending = np.asarray(dY.T @ X)
            return np.dot(dY, kernel) if self.needs_input_grad else None

        return Y, backward

    def add_pending_gradient(self):
        if self.pending is not None:
            self.tied.kernel_grad += self.pending
            self.pending = None


class _InferenceMode:
    """A frozen batch norm layer: inference mode even in training (Keras's rule).

    It normalizes with the moving statistics and never updates them; the
    wrapped layer does everything else.
    """

    trainable = False

    def __init__(self, layer):
        self.layer = layer

    def __getattr__(self, name):
        return getattr(self.layer, name)

    def forward(self, X, training=False):
        return self.layer.forward(X, training=False)


def _frozen(layer):
    """``layer`` marked frozen: :class:`~sknn.nn.layers.Sequential` lays its
    parameters out after the trainable ones, out of the optimizer's reach."""
    if isinstance(layer, BatchNorm):
        return _InferenceMode(layer)
    layer.trainable = False
    return layer


def build_network(spec, rng=None):
    """Translate a spec into NumPy layers sharing one flat parameter vector."""
    return Sequential(build_layers(spec, rng), dtype=spec.dtype)


def initial_weights(spec, rng):
    """Initial weights: one dict per layer with parameters or buffers, in layer order.

    Dense layers draw their kernel then their bias from ``rng``, layer by
    layer, and nothing else draws from it (scikit-learn's sequence of draws).
    Other layers start from their constant initial values (BatchNorm:
    gamma 1, beta 0, moving mean 0, moving variance 1; PReLU: its slope).
    """
    weights = []
    # built with a throwaway generator: building draws nothing, and ``rng``
    # must see the dense layers' draws only
    layers = build_layers(spec, np.random.default_rng(0))
    for spec_layer, layer in zip(spec.layers, layers):
        if isinstance(spec_layer, DenseSpec):
            init = INITIALIZERS.get(spec_layer.initializer)
            kernel, bias = init(layer.fan_in, spec_layer.units, rng, spec.dtype,
                                gain=spec_layer.init_gain)
            weights.append({"kernel": kernel, "bias": bias})
        else:
            state = initial_state(layer, spec.dtype)
            if state:
                weights.append(state)
    return weights


class NumpyEngine:
    """Forward, backward and update on NumPy arrays (CPU, BLAS).

    Layers the spec marks ``trainable=False`` are frozen: their parameters
    sit after the trainable ones in the flat vector and the optimizer,
    penalties, clipping, max-norm and L-BFGS only see the trainable slice,
    so frozen values never change (no step, no decay, no momentum); frozen
    batch norm runs in inference mode (see :class:`sknn.spec.BatchNorm`).

    Parameters
    ----------
    spec : NetworkSpec
    weights : list of dict
        Initial weights, copied in: one dict per layer that has parameters
        or buffers, in layer order (see :func:`initial_weights`).
    optimizer : sknn.nn.optimizers.Optimizer or None
        Needed for :meth:`train_step` only.
    regularization : Regularization
        Penalties and constraints. ``alpha`` is the L2 penalty
        ``alpha / 2 * ||kernels||^2`` and ``l1`` the L1 penalty
        ``l1 * ||kernels||_1``, both divided by the batch's total sample
        weight as in scikit-learn. ``clip_value`` / ``clip_norm`` clip the
        gradient of the penalized loss (data, L1 and L2 terms: what Keras
        clips) before each update, and ``max_norm`` rescales each unit's
        incoming weights after it. L-BFGS (:meth:`loss_and_gradient`) uses
        the penalties only.
    rng : int, numpy.random.Generator or None
        Randomness of training-mode layers (dropout masks).
    """

    def __init__(self, spec, weights, optimizer=None, regularization=None, rng=None):
        self.spec = spec
        self.dtype = np.dtype(spec.dtype)
        self.loss_fn = LOSSES.get(spec.loss)
        self.rng = np.random.default_rng(rng)
        self.network = build_network(spec, self.rng)
        self.optimizer = optimizer
        self.regularization = regularization or Regularization()
        self.alpha = self.regularization.alpha
        self.l1 = self.regularization.l1
        # frozen layers are out of reach of max-norm too: they must not move
        self._dense_kernels = [layer.kernel for layer in self.network.layers
                               if isinstance(layer, Dense) and getattr(layer, "trainable", True)]
        self._tied_layers = [layer for layer in self.network.layers
                             if isinstance(layer, TiedDense)]
        n_trainable = self.network.n_trainable_params
        self._params = self.network.params[:n_trainable]
        self._grads = self.network.grads[:n_trainable]
        self.set_weights(weights)

    # -- data -------------------------------------------------------------
    def prepare(self, X, Y, sample_weight=None):
        if sp.issparse(X):
            X = X.astype(self.dtype).tocsr()
        else:
            X = np.ascontiguousarray(X, dtype=self.dtype)
        Y = np.asarray(Y, dtype=self.dtype)
        if Y.ndim == 1:
            Y = Y.reshape(-1, 1)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=self.dtype)
        return NumpyData(X, Y, sample_weight)

    @staticmethod
    def _batch(data, idx):
        weight = None if data.sample_weight is None else data.sample_weight[idx]
        return data.X[idx], data.Y[idx], weight

    # -- training ---------------------------------------------------------
    def _loss_and_backward(self, X, Y, sample_weight):
        """Data loss of a batch; fills the network's gradients (without penalty)."""
        raw, backward = self.network.forward(X, training=True)
        loss, grad = self.loss_fn.value_and_gradient(raw, Y, sample_weight)
        backward(grad)
        for layer in self._tied_layers:  # after the tied kernels' own gradients
            layer.add_pending_gradient()
        return loss

    @staticmethod
    def _weight_sum(n_samples, sample_weight):
        # scikit-learn divides the penalty by the batch's total sample weight
        return n_samples if sample_weight is None else float(sample_weight.sum())

    def _add_penalty_gradients(self, weight_sum, include_l2):
        """Add the L1 (and, if asked, L2) gradients to the kernels' gradients.

        ``weight_sum`` is the batch's :meth:`_weight_sum`. Returns ``(penalty,
        l2)``: the penalty added so far and the L2 strength (per unit of
        sample weight).
        """
        l2 = self.alpha / weight_sum
        kernels, kernel_grads = self.network.kernels, self.network.kernel_grads
        penalty = 0.0
        if self.l1:
            penalty += regularizers.add_l1_gradient(kernels, kernel_grads,
                                                    self.l1 / weight_sum)
        if include_l2:
            penalty += regularizers.add_l2_gradient(kernels, kernel_grads, l2)
        return penalty, l2

    def train_step(self, data, idx, lr):
        """One update: backward, L1, clipping, optimizer (with L2), max-norm.

        Without clipping the optimizer adds the L2 gradient inside its
        chunked pass (cheapest); with clipping it is added first, so the
        clipped gradient is the penalized loss's, as in Keras.

        A batch whose sample weights sum to zero (in the engine's dtype) is
        skipped: it carries no information, and both the weighted mean loss
        and the penalty (divided by the weight sum) are undefined on it. The
        step returns None and changes nothing, optimizer state included, as
        if the batch were absent.
        """
        X, Y, sample_weight = self._batch(data, idx)
        weight_sum = self._weight_sum(X.shape[0], sample_weight)
        if not weight_sum > 0:
            return None
        loss = self._loss_and_backward(X, Y, sample_weight)
        reg = self.regularization
        clipping = reg.clip_value is not None or reg.clip_norm is not None
        penalty, l2 = self._add_penalty_gradients(weight_sum, include_l2=clipping)
        grads = self._grads  # trainable parameters only: frozen ones never move
        if reg.clip_value is not None:
            regularizers.clip_by_value(grads, reg.clip_value)
        if reg.clip_norm is not None:
            regularizers.clip_by_global_norm(grads, reg.clip_norm)
        # without clipping the optimizer adds the L2 gradient chunk by chunk, in cache
        inner_l2 = 0.0 if clipping else l2
        squared_norm = self.optimizer.step(self._params, grads, lr,
                                           l2=inner_l2, n_l2=self.network.n_kernel_params)
        if reg.max_norm is not None:
            for kernel in self._dense_kernels:
                regularizers.apply_max_norm(kernel, reg.max_norm)
        return loss + penalty + 0.5 * inner_l2 * squared_norm

    def loss_and_gradient(self, data):
        """Full-batch penalized loss and its flat gradient (for L-BFGS).

        Uses the training-mode forward pass (batch statistics, dropout).
        """
        loss = self._loss_and_backward(data.X, data.Y, data.sample_weight)
        penalty, _ = self._add_penalty_gradients(
            self._weight_sum(data.n_samples, data.sample_weight), include_l2=True)
        return loss + penalty, self._grads

    def loss(self, data):
        raw = self.forward(data.X)
        return self.loss_fn.value(raw, data.Y, data.sample_weight)

    # -- inference and weights --------------------------------------------
    def forward(self, X):
        raw, _ = self.network.forward(X, training=False)
        return raw

    def end_fit(self):
        """After training: nothing to do, the optimizer's state is updated in place."""

    def get_weights(self):
        """Copies of the weights: one dict per layer with parameters or buffers."""
        return [{key: value.copy() for key, value in state.items()}
                for state in self.network.layer_weights() if state]

    def set_weights(self, weights):
        _assign_weights([state for state in self.network.layer_weights() if state], weights)

    # the weights are host arrays already: a snapshot is a copy in get_weights' format
    snapshot, restore = get_weights, set_weights

    def parameters_finite(self):
        """Whether every trainable parameter is finite."""
        return bool(np.isfinite(self._params).all())

    def random_state(self):
        """A snapshot of the training-mode randomness (dropout masks, rrelu slopes)."""
        return self.rng.bit_generator.state

    def set_random_state(self, state):
        """Go back to a :meth:`random_state` snapshot."""
        self.rng.bit_generator.state = state

    def flat_parameters(self):
        """The trainable parameters as one vector (a view), frozen ones excluded."""
        return self._params

    def set_flat_parameters(self, flat):
        self._params[...] = flat


def _assign_weights(targets, weights):
    if len(weights) != len(targets):
        raise ValueError(f"Expected weights for {len(targets)} layers, got {len(weights)}")
    for target, source in zip(targets, weights):
        if set(source) != set(target):
            raise ValueError(f"Expected weights {sorted(target)}, got {sorted(source)}")
        for key, view in target.items():
            if np.shape(source[key]) != view.shape:
                raise ValueError(
                    f"Weight {key!r} has shape {np.shape(source[key])}, "
                    f"expected {view.shape}")
            view[...] = source[key]


def weight_shapes(spec):
    """The shapes of the weights ``spec`` has: one dict per layer with parameters or
    buffers, in layer order, as :meth:`NumpyEngine.get_weights` returns them."""
    shapes = []
    for layer in build_layers(spec, np.random.default_rng(0)):
        state = {**layer.param_shapes, **getattr(layer, "buffer_shapes", {})}
        if state:
            shapes.append({key: tuple(shape) for key, shape in state.items()})
    return shapes


def predict_raw(spec, weights, X, dropout_rng=None):
    """Raw outputs of a fitted network, straight from its weight arrays.

    With a ``dropout_rng`` (a :class:`numpy.random.Generator`), dropout
    layers run in training mode, drawing their masks from it, while every
    other layer (batch norm included) stays in inference mode: one
    stochastic pass of Monte Carlo dropout.

    Dense layers are bound to the stored kernels and biases themselves
    (``Dense.bind`` only keeps views), so a fitted model predicts without
    building an engine or copying its big arrays; other layers get copies
    of their small vectors (a layer's ``bind`` may write initial values,
    as PReLU's does). The pass allocates about one array per layer.
    """
    stored = iter(weights)
    out = X
    for layer in build_layers(spec, dropout_rng):
        params, buffers = layer.param_shapes, getattr(layer, "buffer_shapes", {})
        if params or buffers:
            state = next(stored)
            if isinstance(layer, Dense):
                layer.bind(state, dict.fromkeys(params))
            else:
                _bind_copies(layer, state)
        stochastic = dropout_rng is not None and isinstance(layer, Dropout)
        out, _ = layer.forward(out, training=stochastic)
    return out


def _bind_copies(layer, state):
    params = {key: np.array(state[key]) for key in layer.param_shapes}
    layer.bind(params, dict.fromkeys(params))
    for key, view in params.items():
        view[...] = state[key]
    buffers = getattr(layer, "buffer_shapes", {})
    if buffers:
        layer.bind_buffers({key: np.array(state[key]) for key in buffers})


def blas_thread_limit(spec, batch_size):
    """Threads worth giving BLAS for this network's per-batch matrix products.

    On small products thread start-up and cache traffic cost more than they
    save: a 40-100-2 network trains many times slower with two BLAS threads
    than with one on a 2-core machine, while a 784-300-100 network at batch
    1024 gains ~1.4x from the second core. Returns 1 below the measured
    break-even size (multiply-adds of the largest product), None (leave BLAS
    as configured) above it.
    """
    widths = [spec.n_inputs] + [layer.units for layer in spec.dense_layers]
    largest = max(a * b for a, b in zip(widths, widths[1:])) * batch_size
    return 1 if largest < _PARALLEL_GEMM_MIN_MACS else None


_PARALLEL_GEMM_MIN_MACS = 4_000_000


@contextlib.contextmanager
def compute_threads(spec, batch_size):
    """Thread limits for a training run on this engine.

    NumPy's BLAS (matrix products) gets :func:`blas_thread_limit`; SciPy's
    BLAS, which runs the optimizers' vector updates (``axpy``), always gets
    one thread: threading a 64k-element ``axpy`` only adds synchronisation,
    and on a loaded 2-core machine it measured up to 50x slower.

    The limits are process-wide (BLAS has one thread pool), so concurrent
    fits share them through :data:`_SHARED_LIMITS`: the first fit to enter
    saves the libraries' settings and the last to leave restores them, so
    no interleaving of threads can leave a limit behind.
    """
    numpy_libs, scipy_libs = _blas_libraries()
    limits = [(lib, 1) for lib in scipy_libs]
    threads = blas_thread_limit(spec, batch_size)
    if threads is not None:
        limits += [(lib, threads) for lib in numpy_libs]
    with _SHARED_LIMITS.applied(limits):
        yield


class _SharedLimits:
    """BLAS thread limits shared by the fits running at the same time.

    Saving a library's limit, setting it and restoring it afterwards is
    not safe with threads: one fit may save the value another has just
    set, and restore it after the other has restored the original. Here
    the original settings are saved by the first fit to start and restored
    by the last to end; in between every fit sets the limits it wants
    (concurrent fits run with the latest ones, which changes speed, never
    results).
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._active = 0
        self._saved = {}  # library controller -> its threads before the first fit

    @contextlib.contextmanager
    def applied(self, limits):
        with self._lock:
            self._active += 1
            for lib, threads in limits:
                if lib not in self._saved:
                    self._saved[lib] = lib.num_threads
                lib.set_num_threads(threads)
        try:
            yield
        finally:
            with self._lock:
                self._active -= 1
                if not self._active:
                    for lib, threads in self._saved.items():
                        lib.set_num_threads(threads)
                    self._saved.clear()


_SHARED_LIMITS = _SharedLimits()


@functools.lru_cache(maxsize=1)
def _blas_libraries():
    """(NumPy's, SciPy's) BLAS library controllers.

    When NumPy and SciPy load the same BLAS (or it cannot be told which is
    whose), every BLAS library is NumPy's and SciPy gets none of its own.
    """
    blas = [lib for lib in ThreadpoolController().lib_controllers if lib.user_api == "blas"]

    def under(package):
        root = os.path.dirname(package.__file__)  # also matches the wheel's "<pkg>.libs"
        return [lib for lib in blas if lib.filepath.startswith(root)]

    numpy_libs, scipy_libs = under(np), under(scipy)
    if not numpy_libs or not scipy_libs or {id(lib) for lib in numpy_libs} & {
            id(lib) for lib in scipy_libs}:
        return tuple(blas), ()
    return tuple(numpy_libs), tuple(scipy_libs)
