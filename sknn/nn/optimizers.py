"""First-order optimizers over one flat parameter vector.

The network keeps all parameters in a single contiguous array (and the
gradients in another), so an update is a handful of vectorized passes over
one buffer instead of a Python loop over layers. Every temporary lives in a
preallocated scratch buffer. The learning rate is an argument of
:meth:`Optimizer.step`: schedules live outside the optimizer.

Updates run chunk by chunk (:data:`CHUNK`): an Adam step makes about ten
elementwise passes, and doing all of them on a slice that stays in the L2
cache before moving on measured about a third faster than ten passes over
whole buffers of a 266k-parameter network. The L2 penalty's gradient is
added inside the same chunk loop, while the slice is in cache.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg.blas import get_blas_funcs

from sknn._registry import Registry

OPTIMIZERS: Registry[type] = Registry("solver")

#: Elements per chunk: six float32 arrays of this length fill ~1.5 MB of L2.
CHUNK = 65536


def _balanced_chunks(size):
    """At most :data:`CHUNK`-long slices of equal length (no short tail chunk)."""
    count = max(1, -(-size // CHUNK))
    length = -(-size // count)
    return [slice(start, start + length) for start in range(0, size, length)]


def _blas_axpy(dtype):
    """BLAS ``y += a * x`` for ``dtype``, updating ``y`` in place.

    f2py works in place on a contiguous array of the routine's type and
    silently copies anything else, which would drop the update; that is
    checked once here rather than on every call.
    """
    axpy = get_blas_funcs("axpy", dtype=dtype)
    probe = np.zeros(4, dtype=dtype)
    view = probe[1:3]
    if axpy(np.ones(2, dtype=dtype), view, a=1.0) is not view or probe[1] != 1:
        raise RuntimeError(f"SciPy's BLAS axpy does not update {dtype} views in place")
    return axpy


class Optimizer:
    """Base class: state is allocated on the first step to match ``params``.

    ``learning_rate`` holds the rate of the most recent step, for scikit-learn
    code that reads ``estimator._optimizer.learning_rate``.
    """

    name = "base"
    _workspace = ("_scratch", "_size", "_chunks", "_axpy")

    def __init__(self, learning_rate=1e-3):
        self.learning_rate = learning_rate
        self.n_steps = 0

    def config(self) -> dict:
        """Hyperparameters that define the update rule (not the state)."""
        return {}

    def _allocate(self, params):
        """Create state buffers shaped like ``params`` (keeping existing ones)."""

    def _ensure_state(self, params):
        if getattr(self, "_size", None) != params.size:
            self._allocate(params)
            self._chunks = _balanced_chunks(params.size)
            # One chunk-sized scratch reused by every chunk stays in cache and
            # is never written back to memory; a full-size one would be.
            self._scratch = np.empty(self._chunks[0].stop, dtype=params.dtype)
            self._axpy = _blas_axpy(params.dtype)
            self._size = params.size
        if any(value.dtype != params.dtype for value in self._state_arrays()):
            self.astype(params.dtype)
            self._axpy = _blas_axpy(params.dtype)

    def _lazy_states(self):
        return [value for value in vars(self).values() if isinstance(value, _LazyDecay)]

    def _state_arrays(self):
        arrays = [value for value in vars(self).values() if isinstance(value, np.ndarray)]
        return arrays + [state.values for state in self._lazy_states()]

    def astype(self, dtype):
        """Cast the state (moments, velocities) and workspace to ``dtype``."""
        for key, value in vars(self).items():
            if isinstance(value, np.ndarray):
                setattr(self, key, value.astype(dtype))
        for state in self._lazy_states():
            state.values = state.values.astype(dtype)

    def step(self, params, grads, lr, l2=0.0, n_l2=0):
        """Update ``params`` in place from ``grads`` at learning rate ``lr``.

        With ``l2 > 0`` the gradient of ``l2 / 2 * ||params[:n_l2]||^2`` is
        added to ``grads`` first (``grads`` is overwritten).

        Returns
        -------
        squared_norm : float
            ``||params[:n_l2]||^2`` before the update (0.0 without ``l2``),
            for the penalty term of the reported loss.
        """
        self._ensure_state(params)
        lr, l2 = float(lr), float(l2)
        self.learning_rate = lr
        self.n_steps += 1
        self._prepare_step(lr)
        squared_norm = 0.0
        for chunk in self._chunks:
            p, g = params[chunk], grads[chunk]
            if l2 and chunk.start < n_l2:
                decayed = slice(0, min(chunk.stop, n_l2) - chunk.start)
                squared_norm += float(np.dot(p[decayed], p[decayed]))
                self._axpy(p[decayed], g[decayed], a=l2)
            self._update(chunk, p, g)
        return squared_norm

    def _prepare_step(self, lr):
        """Per-step scalars (bias corrections) computed once before the chunks."""

    def _update(self, chunk, params, grads):
        raise NotImplementedError

    def __getstate__(self):
        state = dict(vars(self))
        for name in self._workspace:  # scratch space, not state: not pickled
            state.pop(name, None)
        return state


class _LazyDecay:
    """An exponential moving state ``x <- beta * x + c * g`` kept as ``scale * x_hat``.

    Decaying a buffer costs a full pass per step; folding the decay into a
    scalar ``scale`` (``scale <- beta * scale``) turns the update into one
    BLAS ``axpy`` (``x_hat += c / scale * g``). ``x_hat`` is renormalized
    (one pass) when ``1 / scale`` grows past :attr:`RENORMALIZE`, about every
    130 steps for ``beta = 0.9``, so float32 never overflows.
    """

    RENORMALIZE = 1e6

    def __init__(self, params, beta):
        self.values = np.zeros_like(params)
        self.scale = 1.0
        self.beta = float(beta)

    def decay(self):
        if self.beta == 0.0:  # no memory: the state is the latest input
            self.values[...] = 0.0
            return
        self.scale *= self.beta
        if self.scale < 1.0 / self.RENORMALIZE:
            self.values *= self.scale
            self.scale = 1.0

    def add(self, axpy, chunk, x, coefficient):
        """``state[chunk] += coefficient * x`` (after :meth:`decay`)."""
        axpy(x, self.values[chunk], a=coefficient / self.scale)

    def value(self):
        return self.values * self.scale


@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    """Stochastic gradient descent with (Nesterov) momentum.

    ``v <- momentum * v - lr * g``; then ``p <- p + v``, or with Nesterov
    ``p <- p + momentum * v - lr * g`` (scikit-learn's formulation).
    """

    name = "sgd"

    def __init__(self, learning_rate=0.1, momentum=0.9, nesterov=True):
        super().__init__(learning_rate)
        self.momentum = momentum
        self.nesterov = nesterov
        self._velocity = None

    def config(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}

    @property
    def velocity(self):
        """The momentum buffer ``v`` (``None`` before the first step)."""
        return None if self._velocity is None else self._velocity.value()

    def _allocate(self, params):
        if self._velocity is None or self._velocity.values.shape != params.shape:
            self._velocity = _LazyDecay(params, self.momentum)

    def _prepare_step(self, lr):
        if self.momentum:
            self._velocity.decay()

    def _update(self, chunk, params, grads):
        lr, axpy = self.learning_rate, self._axpy
        if self.momentum == 0:
            axpy(grads, params, a=-lr)
            return
        velocity = self._velocity
        velocity.add(axpy, chunk, grads, -lr)
        if self.nesterov:
            axpy(velocity.values[chunk], params, a=self.momentum * velocity.scale)
            axpy(grads, params, a=-lr)
        else:
            axpy(velocity.values[chunk], params, a=velocity.scale)


@OPTIMIZERS.register("adam")
class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014) with scikit-learn's bias correction.

    ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g^2``,
    ``p <- p - lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)``.

    Both moments decay lazily (:class:`_LazyDecay`), so a step is seven
    passes: two ``axpy`` for the moments, one square, ``sqrt``, ``+ eps``,
    a division and the ``axpy`` into the parameters.
    """

    name = "adam"

    def __init__(self, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(learning_rate)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self._m = self._v = None

    def config(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}

    @property
    def m(self):
        """First-moment estimate (``None`` before the first step)."""
        return None if self._m is None else self._m.value()

    @property
    def v(self):
        """Second-moment estimate (``None`` before the first step)."""
        return None if self._v is None else self._v.value()

    def _allocate(self, params):
        if self._m is None or self._m.values.shape != params.shape:
            self._m = _LazyDecay(params, self.beta_1)
            self._v = _LazyDecay(params, self.beta_2)

    def _prepare_step(self, lr):
        t = self.n_steps
        b1, b2 = self.beta_1, self.beta_2
        self._m.decay()
        self._v.decay()
        # m = m.scale * m_hat, v = v.scale * v_hat; fold the scales and the
        # bias correction into one step size and one epsilon. Python floats on
        # purpose: a NumPy float64 scalar would make in-place float32
        # operations compute in float64 (NEP 50), ~1.6x slower.
        root = math.sqrt(self._v.scale)
        bias_corrected = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        self._step_size = float(bias_corrected * self._m.scale / root)
        self._scaled_epsilon = float(self.epsilon / root)

    def _update(self, chunk, params, grads):
        tmp = self._scratch[: params.shape[0]]
        self._m.add(self._axpy, chunk, grads, 1 - self.beta_1)
        np.multiply(grads, grads, out=tmp)
        self._v.add(self._axpy, chunk, tmp, 1 - self.beta_2)
        np.sqrt(self._v.values[chunk], out=tmp)
        tmp += self._scaled_epsilon
        np.divide(self._m.values[chunk], tmp, out=tmp)
        self._axpy(tmp, params, a=-self._step_size)


def make_optimizer(name, **params) -> Optimizer:
    """Instantiate the registered optimizer ``name`` with ``params``."""
    return OPTIMIZERS.get(name)(**params)
