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

Every per-step scalar is a Python float on purpose: a NumPy float64 scalar
would make in-place float32 operations compute in float64 (NEP 50), ~1.6x
slower.

Registered rules: ``sgd`` and ``adam`` (scikit-learn's formulas), and
``adagrad``, ``rmsprop``, ``nadam``, ``adamw``, ``adamax`` (PyTorch's
``torch.optim`` formulas, checked against it in the tests).
"""

from __future__ import annotations

import inspect
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
    code that reads ``estimator._optimizer.learning_rate``. Subclasses
    store every constructor argument under its own name, which is what
    :meth:`config` reports.
    """

    name = "base"
    _workspace = ("_scratch", "_size", "_chunks", "_axpy")
    #: Chunk-sized temporaries a step needs (rows of ``_scratch``).
    _scratch_rows = 1

    def __init__(self, learning_rate=1e-3):
        self.learning_rate = learning_rate
        self.n_steps = 0

    def config(self) -> dict:
        """Hyperparameters that define the update rule (not the state).

        Every constructor argument but ``learning_rate``, by name, so an
        estimator can tell whether an existing optimizer still fits its
        parameters.
        """
        names = inspect.signature(type(self).__init__).parameters
        return {name: getattr(self, name) for name in names
                if name not in ("self", "learning_rate")}

    def _allocate(self, params):
        """Create state buffers shaped like ``params`` (keeping existing ones)."""

    def _ensure_state(self, params):
        if getattr(self, "_size", None) != params.size:
            self._allocate(params)
            self._chunks = _balanced_chunks(params.size)
            # One chunk-sized scratch reused by every chunk stays in cache and
            # is never written back to memory; a full-size one would be.
            self._scratch = np.empty((self._scratch_rows, self._chunks[0].stop),
                                     dtype=params.dtype)
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

    def _temporary(self, n, row=0):
        """Scratch row ``row``, cut to the ``n`` elements of the current chunk."""
        return self._scratch[row, :n]

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
    130 steps for ``beta = 0.9``, so float32 never overflows. ``beta`` may
    change between steps (a momentum schedule): each :meth:`decay` uses the
    current one.
    """

    RENORMALIZE = 1e6

    def __init__(self, params, beta):
        self.values = np.zeros_like(params)
        self.scale = 1.0
        self.beta = float(beta)

    def decay(self):
        if self.beta == 0.0:  # no memory: the state is the latest input
            self.values[...] = 0.0
            self.scale = 1.0
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

    ``momentum`` may be reassigned between steps (1cycle's momentum cycle).
    With a constant rate this equals ``torch.optim.SGD`` (``v = -lr * buf``),
    Nesterov included; when the rate changes the two differ, because
    scikit-learn's velocity holds past rates and PyTorch's buffer does not.
    With ``momentum == 0`` a step is plain SGD and leaves ``v`` untouched,
    as PyTorch leaves its buffer.

    Examples
    --------
    >>> import numpy as np
    >>> params = np.zeros(2)
    >>> SGD(momentum=0.0).step(params, np.array([1.0, -2.0]), lr=0.5)
    0.0
    >>> params
    array([-0.5,  1. ])
    """

    name = "sgd"

    def __init__(self, learning_rate=0.1, momentum=0.9, nesterov=True):
        super().__init__(learning_rate)
        self.momentum = momentum
        self.nesterov = nesterov
        self._velocity = None

    @property
    def velocity(self):
        """The momentum buffer ``v`` (``None`` before the first step)."""
        return None if self._velocity is None else self._velocity.value()

    def _allocate(self, params):
        if self._velocity is None or self._velocity.values.shape != params.shape:
            self._velocity = _LazyDecay(params, self.momentum)

    def _prepare_step(self, lr):
        if self.momentum:
            self._velocity.beta = float(self.momentum)
            self._velocity.decay()

    def _update(self, chunk, params, grads):
        lr, axpy = self.learning_rate, self._axpy
        if self.momentum == 0:
            axpy(grads, params, a=-lr)
            return
        velocity = self._velocity
        velocity.add(axpy, chunk, grads, -lr)
        if self.nesterov:
            axpy(velocity.values[chunk], params, a=float(self.momentum) * velocity.scale)
            axpy(grads, params, a=-lr)
        else:
            axpy(velocity.values[chunk], params, a=velocity.scale)


@OPTIMIZERS.register("adam")
class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014) with scikit-learn's bias correction.

    ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g^2``,
    ``p <- p - lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)``.

    ``eps`` is added to the uncorrected root (the paper's "efficient
    version", as scikit-learn writes it); ``torch.optim.Adam`` adds it to
    ``sqrt(v / (1 - b2^t))``, so the two agree exactly only for ``eps = 0``.

    Both moments decay lazily (:class:`_LazyDecay`), so a step is seven
    passes: two ``axpy`` for the moments, one square, ``sqrt``, ``+ eps``,
    a division and the ``axpy`` into the parameters.

    Examples
    --------
    >>> import numpy as np
    >>> params = np.zeros(2)
    >>> _ = Adam(epsilon=0.0).step(params, np.array([3.0, -0.1]), lr=0.01)
    >>> params  # the first step moves each parameter by the rate
    array([-0.01,  0.01])
    """

    name = "adam"

    def __init__(self, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(learning_rate)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self._m = self._v = None

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

    def _decay_moments(self):
        self._m.decay()
        self._v.decay()

    def _prepare_step(self, lr):
        t = self.n_steps
        b1, b2 = self.beta_1, self.beta_2
        self._decay_moments()
        # m = m.scale * m_hat, v = v.scale * v_hat; fold the scales and the
        # bias correction into one step size and one epsilon.
        root = math.sqrt(self._v.scale)
        bias_corrected = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        self._step_size = float(bias_corrected * self._m.scale / root)
        self._scaled_epsilon = float(self.epsilon / root)

    def _accumulate_moments(self, chunk, grads, tmp):
        """Add this step's gradient to both moments (``tmp`` is clobbered)."""
        self._m.add(self._axpy, chunk, grads, 1 - self.beta_1)
        np.multiply(grads, grads, out=tmp)
        self._v.add(self._axpy, chunk, tmp, 1 - self.beta_2)

    def _update(self, chunk, params, grads):
        tmp = self._temporary(params.shape[0])
        self._accumulate_moments(chunk, grads, tmp)
        np.sqrt(self._v.values[chunk], out=tmp)
        tmp += self._scaled_epsilon
        np.divide(self._m.values[chunk], tmp, out=tmp)
        self._axpy(tmp, params, a=-self._step_size)


@OPTIMIZERS.register("adamw")
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as ``torch.optim.AdamW``.

    ``p <- (1 - lr * weight_decay) * p``, then the :class:`Adam` step. Like
    PyTorch, the decay shrinks *every* parameter, biases included (one
    extra pass); it follows the scheduled rate. With ``weight_decay = 0``
    this is exactly :class:`Adam`, including its placement of ``eps``.

    Examples
    --------
    >>> import numpy as np
    >>> params = np.ones(2)
    >>> _ = AdamW(weight_decay=0.5).step(params, np.zeros(2), lr=0.1)
    >>> params  # a zero gradient: only the decay acts
    array([0.95, 0.95])
    """

    name = "adamw"

    def __init__(self, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 weight_decay=0.01):
        super().__init__(learning_rate, beta_1, beta_2, epsilon)
        self.weight_decay = weight_decay

    def _prepare_step(self, lr):
        super()._prepare_step(lr)
        self._shrink = float(1.0 - lr * self.weight_decay)

    def _update(self, chunk, params, grads):
        if self._shrink != 1.0:
            params *= self._shrink
        super()._update(chunk, params, grads)


@OPTIMIZERS.register("nadam")
class NAdam(Adam):
    """Adam with Nesterov momentum (Dozat, 2016), as ``torch.optim.NAdam``.

    With Dozat's momentum schedule ``mu_t = b1 (1 - 0.96^(t psi) / 2)``
    (``psi`` = :attr:`MOMENTUM_DECAY`, PyTorch's default and the constant
    Keras's ``Nadam`` hard-codes, so this matches both) and
    ``P_t = mu_1 ... mu_t``::

        m <- b1 m + (1 - b1) g,  v <- b2 v + (1 - b2) g^2
        d  = sqrt(v / (1 - b2^t)) + eps
        p <- p - lr (1 - mu_t) / (1 - P_t) g / d
               - lr mu_{t+1} / (1 - P_t mu_{t+1}) m / d

    Examples
    --------
    >>> import numpy as np
    >>> params = np.zeros(1)
    >>> _ = NAdam(epsilon=0.0).step(params, np.array([2.0]), lr=0.1)
    >>> round(float(params[0]), 6)  # -lr (1 + (1 - b1) mu_2 / (1 - mu_1 mu_2))
    -0.105645
    """

    name = "nadam"
    _scratch_rows = 2
    #: ``psi`` of the momentum schedule (``momentum_decay`` in PyTorch).
    MOMENTUM_DECAY = 4e-3

    def __init__(self, learning_rate=2e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(learning_rate, beta_1, beta_2, epsilon)
        self._mu_product = 1.0

    def _mu(self, t):
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** (t * self.MOMENTUM_DECAY))

    def _prepare_step(self, lr):
        t = self.n_steps
        self._decay_moments()
        mu, mu_next = self._mu(t), self._mu(t + 1)
        self._mu_product *= mu
        grad_coef = lr * (1.0 - mu) / (1.0 - self._mu_product)
        momentum_coef = lr * mu_next / (1.0 - self._mu_product * mu_next)
        # d = root * (sqrt(v_hat) + eps / root) with v = v.scale * v_hat
        root = math.sqrt(self._v.scale / (1.0 - self.beta_2**t))
        self._grad_step = float(grad_coef / root)
        self._momentum_step = float(momentum_coef * self._m.scale / root)
        self._scaled_epsilon = float(self.epsilon / root)

    def _update(self, chunk, params, grads):
        n = params.shape[0]
        denominator, tmp = self._temporary(n), self._temporary(n, row=1)
        self._accumulate_moments(chunk, grads, tmp)
        np.sqrt(self._v.values[chunk], out=denominator)
        denominator += self._scaled_epsilon
        np.divide(self._m.values[chunk], denominator, out=tmp)
        self._axpy(tmp, params, a=-self._momentum_step)
        np.divide(grads, denominator, out=tmp)
        self._axpy(tmp, params, a=-self._grad_step)


@OPTIMIZERS.register("adamax")
class Adamax(Optimizer):
    """Adam's infinity-norm variant (Kingma & Ba, section 7), as ``torch.optim.Adamax``.

    ``m <- b1 m + (1 - b1) g``, ``u <- max(b2 u, |g| + eps)``,
    ``p <- p - lr / (1 - b1^t) * m / u`` (PyTorch adds ``eps`` inside the
    max; Keras adds it to ``u`` in the division).

    Examples
    --------
    >>> import numpy as np
    >>> params = np.zeros(2)
    >>> _ = Adamax(epsilon=0.0).step(params, np.array([4.0, -0.5]), lr=0.1)
    >>> params
    array([-0.1,  0.1])
    """

    name = "adamax"

    def __init__(self, learning_rate=2e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(learning_rate)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self._m = self._u = None

    @property
    def m(self):
        """First-moment estimate (``None`` before the first step)."""
        return None if self._m is None else self._m.value()

    @property
    def u(self):
        """Exponentially weighted infinity norm (``None`` before the first step)."""
        return None if self._u is None else self._u.copy()

    def _allocate(self, params):
        if self._m is None or self._m.values.shape != params.shape:
            self._m = _LazyDecay(params, self.beta_1)
            # a max does not commute with a lazy scale, so u decays in place
            self._u = np.zeros_like(params)

    def _prepare_step(self, lr):
        self._m.decay()
        bias_correction = 1.0 - self.beta_1**self.n_steps
        self._step_size = float(lr * self._m.scale / bias_correction)
        self._beta_2, self._epsilon = float(self.beta_2), float(self.epsilon)

    def _update(self, chunk, params, grads):
        tmp, u = self._temporary(params.shape[0]), self._u[chunk]
        self._m.add(self._axpy, chunk, grads, 1 - self.beta_1)
        u *= self._beta_2
        np.abs(grads, out=tmp)
        tmp += self._epsilon
        np.maximum(u, tmp, out=u)
        np.divide(self._m.values[chunk], u, out=tmp)
        self._axpy(tmp, params, a=-self._step_size)


@OPTIMIZERS.register("rmsprop")
class RMSprop(Optimizer):
    """RMSprop (Hinton), as ``torch.optim.RMSprop`` with ``alpha = rho``.

    ``v <- rho v + (1 - rho) g^2``, ``p <- p - lr g / (sqrt(v) + eps)``
    (no momentum, not centered). Keras adds ``eps`` under the root instead.

    Examples
    --------
    >>> import numpy as np
    >>> params = np.zeros(1)
    >>> _ = RMSprop(rho=0.75, epsilon=0.0).step(params, np.array([3.0]), lr=0.1)
    >>> params  # -0.1 * 3 / sqrt(0.25 * 9)
    array([-0.2])
    """

    name = "rmsprop"

    def __init__(self, learning_rate=1e-3, rho=0.9, epsilon=1e-8):
        super().__init__(learning_rate)
        self.rho = rho
        self.epsilon = epsilon
        self._v = None

    @property
    def v(self):
        """Mean square of the gradients (``None`` before the first step)."""
        return None if self._v is None else self._v.value()

    def _allocate(self, params):
        if self._v is None or self._v.values.shape != params.shape:
            self._v = _LazyDecay(params, self.rho)

    def _prepare_step(self, lr):
        self._v.decay()
        root = math.sqrt(self._v.scale)  # sqrt(v) = root * sqrt(v_hat)
        self._step_size = float(lr / root)
        self._scaled_epsilon = float(self.epsilon / root)

    def _update(self, chunk, params, grads):
        tmp = self._temporary(params.shape[0])
        np.multiply(grads, grads, out=tmp)
        self._v.add(self._axpy, chunk, tmp, 1 - self.rho)
        np.sqrt(self._v.values[chunk], out=tmp)
        tmp += self._scaled_epsilon
        np.divide(grads, tmp, out=tmp)
        self._axpy(tmp, params, a=-self._step_size)


@OPTIMIZERS.register("adagrad")
class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), as ``torch.optim.Adagrad``.

    ``s <- s + g^2``, ``p <- p - lr g / (sqrt(s) + eps)``. The accumulator
    starts at :attr:`INITIAL_ACCUMULATOR` = 0 and ``eps`` is added outside
    the root, as in PyTorch (Keras starts at 0.1 and adds ``eps`` under the
    root); PyTorch's ``lr_decay`` is left to the learning-rate schedules.

    Examples
    --------
    >>> import numpy as np
    >>> params = np.zeros(2)
    >>> optimizer = Adagrad(epsilon=0.0)
    >>> for _ in range(4):
    ...     _ = optimizer.step(params, np.array([1.0, -1.0]), lr=0.1)
    >>> params.round(6)  # -0.1 * (1 + 1/sqrt(2) + 1/sqrt(3) + 1/2)
    array([-0.278446,  0.278446])
    """

    name = "adagrad"
    #: Starting value of the sum of squared gradients (PyTorch's default).
    INITIAL_ACCUMULATOR = 0.0

    def __init__(self, learning_rate=1e-2, epsilon=1e-10):
        super().__init__(learning_rate)
        self.epsilon = epsilon
        self._sum = None

    @property
    def accumulator(self):
        """Sum of squared gradients (``None`` before the first step)."""
        return None if self._sum is None else self._sum.copy()

    def _allocate(self, params):
        if self._sum is None or self._sum.shape != params.shape:
            self._sum = np.full_like(params, self.INITIAL_ACCUMULATOR)

    def _prepare_step(self, lr):
        self._epsilon = float(self.epsilon)

    def _update(self, chunk, params, grads):
        tmp, accumulator = self._temporary(params.shape[0]), self._sum[chunk]
        np.multiply(grads, grads, out=tmp)
        accumulator += tmp
        np.sqrt(accumulator, out=tmp)
        tmp += self._epsilon
        np.divide(grads, tmp, out=tmp)
        self._axpy(tmp, params, a=-self.learning_rate)


def make_optimizer(name, **params) -> Optimizer:
    """Instantiate the registered optimizer ``name`` with ``params``."""
    return OPTIMIZERS.get(name)(**params)
