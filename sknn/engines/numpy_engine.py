"""The reference engine: the hand-written NumPy core with manual backprop."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from sknn.network import check_weights
from sknn.nn import regularizers
from sknn.nn.layers import Dense
from sknn.nn.losses import make_loss
from sknn.nn.network import TiedDense, build_network
from sknn.spec import Regularization


@dataclass
class NumpyData:
    """Training data in the engine's dtype; ``Y`` is 2-D float."""

    X: object
    Y: np.ndarray
    sample_weight: np.ndarray | None

    @property
    def n_samples(self):
        return self.X.shape[0]


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
        Initial weights in the weight format (:mod:`sknn.network`), copied in.
    optimizer : sknn.nn.optimizers.Optimizer or None
        Needed for :meth:`train_step` only.
    regularization : Regularization
        Penalties and constraints around each update (see :meth:`train_step`);
        L-BFGS (:meth:`loss_and_gradient`) uses the penalties only.
    rng : int, numpy.random.Generator or None
        Randomness of training-mode layers (dropout masks).
    """

    reads_rows_in_place = True  # minibatches index data.X on the host

    def __init__(self, spec, weights, optimizer=None, regularization=None, rng=None):
        self.spec = spec
        self.dtype = np.dtype(spec.dtype)
        self.loss_fn = make_loss(spec.loss)
        self.rng = np.random.default_rng(rng)
        self.network = build_network(spec, self.rng)
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
        self.optimizer = optimizer
        self.set_weights(weights)

    @property
    def optimizer(self):
        """The optimizer, bound to the trainable parameters when assigned."""
        return self._optimizer

    @optimizer.setter
    def optimizer(self, optimizer):
        self._optimizer = optimizer
        if optimizer is not None:
            # the L2 penalty acts on the kernels, which the network lays out first
            l2_mask = np.arange(self._params.size) < self.network.n_kernel_params
            optimizer.bind(self._params, l2_mask)

    # -- data -------------------------------------------------------------
    def prepare(self, X, Y, sample_weight=None):
        if sp.issparse(X):
            X = X.astype(self.dtype).tocsr()
        else:
            X = np.ascontiguousarray(X, dtype=self.dtype)
        Y = np.asarray(Y, dtype=self.dtype)
        if Y.ndim == 1:
            Y = Y.reshape(-1, 1)
        Y = self.spec.loss.smoothed_targets(Y, self.dtype)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=self.dtype)
        return NumpyData(X, Y, sample_weight)

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
        """Add the L1 (and, if asked, L2) gradients to the kernels' gradients;
        return the penalty added and the L2 strength per unit of sample weight."""
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

        The penalties act on kernels, divided by the batch's total sample
        weight as in scikit-learn (:class:`~sknn.spec.Regularization`).
        Without clipping the optimizer adds the L2 gradient inside its
        chunked pass (cheapest); with clipping it is added first, so the
        clipped gradient is the penalized loss's, as in Keras.

        A batch whose sample weights sum to zero (in the engine's dtype) is
        skipped: it carries no information, and both the weighted mean loss
        and the penalty (divided by the weight sum) are undefined on it. The
        step returns None and changes nothing, optimizer state included, as
        if the batch were absent.
        """
        X, Y = data.X[idx], data.Y[idx]
        sample_weight = None if data.sample_weight is None else data.sample_weight[idx]
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
        inner_l2 = 0.0 if clipping else l2
        squared_norm = self.optimizer.step(self._params, grads, lr, l2=inner_l2)
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
        check_weights(self.spec, weights)
        targets = [state for state in self.network.layer_weights() if state]
        for target, source in zip(targets, weights):
            for key, view in target.items():
                view[...] = source[key]

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

