"""The reference engine: the hand-written NumPy core with manual backprop."""

from __future__ import annotations

import contextlib
import functools
import os
from dataclasses import dataclass

import numpy as np
import scipy
import scipy.linalg.blas  # noqa: F401  (load SciPy's BLAS so threadpoolctl sees it)
import scipy.sparse as sp
from threadpoolctl import ThreadpoolController, threadpool_limits

from sknn.nn.initializers import INITIALIZERS
from sknn.nn.layers import ActivationLayer, Dense, Sequential
from sknn.nn.losses import LOSSES
from sknn.spec import Activation, Regularization
from sknn.spec import Dense as DenseSpec


@dataclass
class NumpyData:
    """Training data in the engine's dtype; ``Y`` is 2-D float."""

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray | None

    @property
    def n_samples(self):
        return self.X.shape[0]


def build_network(spec, rng=None):
    """Translate a spec into NumPy layers sharing one flat parameter vector."""
    layers, fan_in, first = [], spec.n_inputs, True
    for layer in spec.layers:
        if isinstance(layer, DenseSpec):
            layers.append(Dense(fan_in, layer.units, needs_input_grad=not first))
            fan_in, first = layer.units, False
        elif isinstance(layer, Activation):
            layers.append(ActivationLayer(layer.name))
        else:
            raise TypeError(f"The NumPy engine cannot build a {type(layer).__name__} layer")
    return Sequential(layers, dtype=spec.dtype)


def initial_weights(spec, rng):
    """Draw every dense layer's kernel then bias, in layer order, from ``rng``."""
    weights, fan_in = [], spec.n_inputs
    for layer in spec.dense_layers:
        init = INITIALIZERS.get(layer.initializer)
        kernel, bias = init(fan_in, layer.units, rng, spec.dtype, gain=layer.init_gain)
        weights.append({"kernel": kernel, "bias": bias})
        fan_in = layer.units
    return weights


class NumpyEngine:
    """Forward, backward and update on NumPy arrays (CPU, BLAS).

    Parameters
    ----------
    spec : NetworkSpec
    weights : list of dict
        Initial ``{"kernel", "bias"}`` per dense layer; copied in.
    optimizer : sknn.nn.optimizers.Optimizer or None
        Needed for :meth:`train_step` only.
    regularization : Regularization
        Penalties and constraints; its ``alpha`` is the L2 penalty
        ``alpha / 2 * ||kernels||^2``, divided by the batch's total sample
        weight as in scikit-learn.
    rng : numpy.random.Generator or None
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
        return loss

    def _l2_strength(self, n_samples, sample_weight):
        # scikit-learn divides the penalty by the batch's total sample weight
        weight_sum = n_samples if sample_weight is None else float(sample_weight.sum())
        return self.alpha / weight_sum

    def train_step(self, data, idx, lr):
        X, Y, sample_weight = self._batch(data, idx)
        loss = self._loss_and_backward(X, Y, sample_weight)
        l2 = self._l2_strength(X.shape[0], sample_weight)
        # the optimizer adds the penalty's gradient chunk by chunk, in cache
        squared_norm = self.optimizer.step(self.network.params, self.network.grads, lr,
                                           l2=l2, n_l2=self.network.n_kernel_params)
        return loss + 0.5 * l2 * squared_norm

    def loss_and_gradient(self, data):
        """Full-batch penalized loss and its flat gradient (for L-BFGS)."""
        loss = self._loss_and_backward(data.X, data.Y, data.sample_weight)
        l2 = self._l2_strength(data.n_samples, data.sample_weight)
        if l2:
            kernels = self.network.kernels
            loss += 0.5 * l2 * float(np.dot(kernels, kernels))
            kernel_grads = self.network.kernel_grads
            kernel_grads += l2 * kernels
        return loss, self.network.grads

    def loss(self, data):
        raw = self.forward(data.X)
        return self.loss_fn.value(raw, data.Y, data.sample_weight)

    # -- inference and weights --------------------------------------------
    def forward(self, X):
        raw, _ = self.network.forward(X, training=False)
        return raw

    def get_weights(self):
        return [{key: value.copy() for key, value in params.items()}
                for params in self.network.layer_params() if params]

    def set_weights(self, weights):
        dense = [params for params in self.network.layer_params() if params]
        if len(weights) != len(dense):
            raise ValueError(f"Expected weights for {len(dense)} layers, got {len(weights)}")
        for target, source in zip(dense, weights):
            for key, view in target.items():
                if np.shape(source[key]) != view.shape:
                    raise ValueError(
                        f"Weight {key!r} has shape {np.shape(source[key])}, "
                        f"expected {view.shape}")
                view[...] = source[key]

    def flat_parameters(self):
        return self.network.params

    def set_flat_parameters(self, flat):
        self.network.params[...] = flat


def predict_raw(spec, weights, X):
    """Raw outputs of a fitted network, straight from its weight arrays.

    The inference path allocates one array per layer and nothing else, so
    a fitted model predicts without building an engine or copying weights.
    """
    from sknn.nn.activations import ACTIVATIONS

    dense = iter(weights)
    out = X
    for layer in spec.layers:
        if isinstance(layer, DenseSpec):
            params = next(dense)
            out = out @ params["kernel"]
            out = np.asarray(out)
            out += params["bias"]
        else:
            out = ACTIVATIONS.get(layer.name).forward(out)
    return out


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
    """
    numpy_libs, scipy_libs = _blas_libraries()
    with contextlib.ExitStack() as stack:
        if scipy_libs is not None:
            stack.enter_context(scipy_libs.limit(limits=1))
        threads = blas_thread_limit(spec, batch_size)
        if threads is not None:
            stack.enter_context(threadpool_limits(threads, user_api="blas")
                                if numpy_libs is None else numpy_libs.limit(limits=threads))
        yield


@functools.lru_cache(maxsize=1)
def _blas_libraries():
    """(NumPy's, SciPy's) BLAS controllers when each has its own library, else None."""
    controller = ThreadpoolController()
    blas = [lib for lib in controller.lib_controllers if lib.user_api == "blas"]

    def under(package):
        root = os.path.dirname(package.__file__)  # also matches the wheel's "<pkg>.libs"
        return {lib.filepath for lib in blas if lib.filepath.startswith(root)}

    numpy_paths, scipy_paths = under(np), under(scipy)
    if not numpy_paths or not scipy_paths or numpy_paths & scipy_paths:
        return None, None
    return (controller.select(filepath=sorted(numpy_paths)),
            controller.select(filepath=sorted(scipy_paths)))
