"""First-order optimizers over one flat parameter vector.

The network keeps all parameters in a single contiguous array (and the
gradients in another), so an update is a handful of vectorized passes over
one buffer instead of a Python loop over layers. The learning rate is an
argument of :meth:`Optimizer.step`: schedules live outside the optimizer.
An optimizer is built, bound (:meth:`Optimizer.bind`), then stepped; its
state goes in and out as plain data (:meth:`Optimizer.state_dict`), which is
how the torch engine continues it. Each rule's ``_update`` is its formula,
chunk by chunk, in the operations of :class:`_FlatState`, the speed layer
every rule shares.

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

from sknn._registry import Registry
from sknn.nn.regularizers import blas_axpy

OPTIMIZERS: Registry[type] = Registry("solver")

#: Elements per chunk: six float32 arrays of this length fill ~1.5 MB of L2.
CHUNK = 65536


def _balanced_chunks(size):
    """At most :data:`CHUNK`-long slices of equal length (no short tail chunk)."""
    count = max(1, -(-size // CHUNK))
    length = -(-size // count)
    return [slice(start, start + length) for start in range(0, size, length)]


def _runs(mask):
    """A slice for every run of True in the boolean ``mask``."""
    edges = np.flatnonzero(np.diff(np.concatenate(([False], mask, [False])))).tolist()
    return [slice(start, stop) for start, stop in zip(edges[0::2], edges[1::2])]


class _FlatState:
    """The state vectors of one optimizer, and the speed layer the rules share.

    - **Chunks** (:data:`CHUNK`): an Adam step makes about ten elementwise
      passes; making all of them on a slice that stays in the L2 cache
      measured a third faster than ten passes over whole buffers (266k
      parameters). The L2 gradient is added in the same loop, and
      temporaries live in one chunk-sized scratch that never leaves cache.
    - **BLAS axpy** (``y += a * x`` in one pass) for every scaled addition.
    - **Lazy decay.** A vector is stored as ``x = scale * stored``: folding
      ``beta`` of ``x <- beta x + c y`` into ``scale`` saves a pass per
      step (``stored += c / scale * y`` is one axpy). ``stored`` is
      renormalized when ``1 / scale`` passes :attr:`RENORMALIZE` (every
      ~130 steps for ``beta = 0.9``), so float32 never overflows.

    Only ``vectors`` and ``scales`` are state (pickled); the rest is
    workspace, rebuilt by :meth:`bind`.
    """

    RENORMALIZE = 1e6

    def __init__(self, names):
        self.vectors = dict.fromkeys(names)  # name -> stored array (None before bind)
        self.scales = dict.fromkeys(names, 1.0)  # true value = scale * stored
        self.size = self.dtype = self.l2_mask = None  # unbound: no workspace

    def __getstate__(self):
        return {"vectors": self.vectors, "scales": self.scales}

    def __setstate__(self, state):
        self.__dict__.update(state, size=None, dtype=None, l2_mask=None)

    def bind(self, params, l2_mask, initial, scratch_rows):
        """Fit the vectors to ``params`` (see :meth:`Optimizer.bind`); build the workspace."""
        for name, stored in self.vectors.items():
            if stored is None or stored.shape != params.shape:
                self.vectors[name] = np.full_like(params, initial.get(name, 0.0))
                self.scales[name] = 1.0
            elif stored.dtype != params.dtype:
                self.vectors[name] = stored.astype(params.dtype)
        # per chunk, the slices (relative to the chunk) that get the L2 gradient
        self.chunks = [(chunk, [] if l2_mask is None else _runs(l2_mask[chunk]))
                       for chunk in _balanced_chunks(params.size)]
        self.scratch = np.empty((scratch_rows, self.chunks[0][0].stop), dtype=params.dtype)
        self.axpy = blas_axpy(params.dtype)
        self.size, self.dtype, self.l2_mask = params.size, params.dtype, l2_mask

    def value(self, name):
        """A copy of vector ``name``'s true value (None before :meth:`bind`).

        The scale is folded in first (as :meth:`decay` renormalizes), so a
        state loaded from the copy continues bit for bit as this one does.
        """
        stored = self.vectors[name]
        if stored is None:
            return None
        if self.scales[name] != 1.0:
            stored *= self.scales[name]
            self.scales[name] = 1.0
        return stored.copy()

    def load(self, name, value):
        """Set vector ``name`` to ``value`` (copied; cast to the bound dtype)."""
        if value is not None:
            value = np.array(value, dtype=self.dtype)
            if self.size is not None and value.shape != (self.size,):
                raise ValueError(f"State vector {name!r} has shape {value.shape}, the "
                                 f"parameters ({self.size},).")
        self.vectors[name], self.scales[name] = value, 1.0

    def run(self, params, grads, update, coefficients, l2):
        """``update(chunk, params[chunk], grads[chunk], coefficients)`` for every chunk,
        after adding ``l2 * params`` to ``grads`` on the L2 mask.

        Returns ``||params[mask]||^2`` before the update (0.0 without ``l2``).
        """
        squared_norm = 0.0
        for chunk, decayed_parts in self.chunks:
            p, g = params[chunk], grads[chunk]
            if l2:
                for part in decayed_parts:
                    decayed = p[part]
                    squared_norm += float(np.dot(decayed, decayed))
                    self.axpy(decayed, g[part], a=l2)
            update(chunk, p, g, coefficients)
        return squared_norm

    def temporary(self, n, row=0):
        """Scratch row ``row``, cut to the ``n`` elements of the current chunk."""
        return self.scratch[row, :n]

    def decay(self, name, beta):
        """``x <- beta x`` for vector ``name``, without a pass over it."""
        beta = float(beta)
        if beta == 0.0:  # no memory: the vector becomes the next input alone
            self.vectors[name][...] = 0.0
            self.scales[name] = 1.0
            return
        scale = self.scales[name] * beta
        if scale < 1.0 / self.RENORMALIZE:
            self.vectors[name] *= scale
            scale = 1.0
        self.scales[name] = scale

    def accumulate(self, name, chunk, y, weight):
        """``x[chunk] += weight * y`` for vector ``x`` = ``name``."""
        self.axpy(y, self.vectors[name][chunk], a=weight / self.scales[name])

    def add_scaled(self, target, name, chunk, weight):
        """``target += weight * x[chunk]`` for vector ``x`` = ``name``."""
        self.axpy(self.vectors[name][chunk], target, a=weight * self.scales[name])

    def add_ratio(self, target, weight, numerator, denominator, out):
        """``target += weight * numerator / denominator``, the ratio computed into ``out``."""
        np.divide(numerator, denominator, out=out)
        self.axpy(out, target, a=weight)

    def sqrt_plus(self, name, chunk, epsilon, out):
        """``sqrt(stored[chunk]) + epsilon`` into ``out``, with the scalars of
        :meth:`fold_scales` (the stored vector, not the true one)."""
        np.sqrt(self.vectors[name][chunk], out=out)
        out += epsilon
        return out

    def fold_scales(self, coefficient, numerator, denominator, epsilon, correction=1.0):
        """``(c s_x / r, epsilon / r)``, the scalars of ``c x / (sqrt(v / correction) + epsilon)``
        on stored vectors, since with ``x = s_x x'``, ``v = s_v v'`` and
        ``r = sqrt(s_v / correction)`` it equals ``(c s_x / r) x' / (sqrt(v') + epsilon / r)``.

        ``numerator`` and ``denominator`` name ``x`` and ``v``; a ``numerator``
        of None is the gradient (not stored: ``s_x = 1``).
        """
        root = math.sqrt(self.scales[denominator] / correction)
        scale = 1.0 if numerator is None else self.scales[numerator]
        return float(coefficient * scale / root), float(epsilon / root)


class Optimizer:
    """Base class: build with hyperparameters, :meth:`bind`, then :meth:`step`.

    ``learning_rate`` holds the rate of the most recent step (scikit-learn
    code reads ``estimator._optimizer.learning_rate``); it belongs to the
    schedule, not to :meth:`state_dict`. Subclasses store every constructor
    argument under its own name (what :meth:`config` reports).
    """

    name = "base"
    #: Names of the state vectors, each shaped like the parameters.
    _vectors = ()
    #: Names of scalar state, each kept in the attribute ``"_" + name``.
    _scalars = ()
    #: Starting values of state vectors that do not start at 0.
    _initial = {}
    #: Chunk-sized temporaries a step needs (rows of the scratch).
    _scratch_rows = 1

    def __init__(self, learning_rate=1e-3):
        self.learning_rate = learning_rate
        self.n_steps = 0
        self._state = _FlatState(self._vectors)

    def config(self) -> dict:
        """Every constructor argument but ``learning_rate``, by name: the rule, not the state.

        An estimator compares it to tell whether an existing optimizer still fits.
        """
        names = inspect.signature(type(self).__init__).parameters
        return {name: getattr(self, name) for name in names
                if name not in ("self", "learning_rate")}

    def bind(self, params, l2_mask=None):
        """Bind to the parameter vector: allocate the state and fix the L2 mask.

        State of the same size (a fit that continues) is kept, cast to
        ``params``' dtype; state of another size is replaced by fresh state.

        Parameters
        ----------
        params : ndarray of shape (n_params,)
            The flat parameter vector later given to :meth:`step`.
        l2_mask : ndarray of bool, shape (n_params,), or None
            Which parameters the L2 penalty of :meth:`step` acts on (the
            kernels, not the biases, in scikit-learn's penalty); None for
            none. Fixed here, like optax's masks, because it is a property
            of the network's layout, not of a batch.
        """
        if l2_mask is not None:
            l2_mask = np.asarray(l2_mask, dtype=bool)
            if l2_mask.shape != params.shape:
                raise ValueError(f"l2_mask has shape {l2_mask.shape}, params {params.shape}.")
        self._state.bind(params, l2_mask, self._initial, self._scratch_rows)

    def step(self, params, grads, lr, l2=0.0):
        """Update ``params`` in place from ``grads`` at learning rate ``lr``.

        An optimizer not bound to parameters of this size and dtype binds
        here (keeping an L2 mask of this size).

        Parameters
        ----------
        params, grads : ndarray of shape (n_params,)
        lr : float
        l2 : float, default=0.0
            With ``l2 > 0`` the gradient ``l2 * p`` of ``l2 / 2 * ||p||^2``
            over the L2 mask is added to ``grads`` (which are overwritten)
            before the update. An argument of every step, unlike the mask,
            because it depends on the batch: scikit-learn's penalty is
            ``alpha`` divided by the batch's total sample weight.

        Returns
        -------
        squared_norm : float
            ``||p||^2`` over the L2 mask before the update (0.0 without
            ``l2``), for the penalty term of the reported loss.
        """
        state = self._state
        if state.size != params.size or state.dtype != params.dtype:
            self.bind(params, state.l2_mask if state.size == params.size else None)
        if l2 and state.l2_mask is None:
            raise ValueError("An L2 penalty needs the l2_mask given to bind().")
        lr = float(lr)
        self.learning_rate = lr
        self.n_steps += 1
        return state.run(params, grads, self._update, self._begin_step(lr), float(l2))

    def _begin_step(self, lr):
        """Per-step scalars (decays, bias corrections), computed once for all chunks."""
        raise NotImplementedError

    def _update(self, chunk, p, g, coefficients):
        """The rule on one chunk: ``p`` and ``g`` are its slices of the vectors."""
        raise NotImplementedError

    def state_dict(self) -> dict:
        """The state as plain data, for another optimizer or engine to continue.

        An optimizer with the same rule continues from it exactly, bit for
        bit (:meth:`load_state_dict`); the torch engine trains with it and
        hands it back. Reading it folds the lazy decay into the stored
        vectors, as the optimizer does on its own every ~100 steps.

        Returns
        -------
        state : dict
            ``n_steps`` (int) and every state vector by name (``velocity``;
            ``m``, ``v``; ``u``; ``accumulator``, see each rule), a NumPy
            copy at its true value, or None before the optimizer is bound;
            NAdam adds the float ``mu_product``.
        """
        return {"n_steps": self.n_steps,
                **{name: self._state.value(name) for name in self._vectors},
                **{name: getattr(self, "_" + name) for name in self._scalars}}

    def load_state_dict(self, state):
        """Continue from ``state``.

        Parameters
        ----------
        state : dict
            A :meth:`state_dict` of an optimizer with this rule. Vectors are
            copied, in the bound dtype once the optimizer is bound (their
            size must then be the parameters').
        """
        expected = {"n_steps", *self._vectors, *self._scalars}
        if set(state) != expected:
            raise ValueError(f"A {self.name} state has the keys {sorted(expected)}, "
                             f"got {sorted(state)}.")
        self.n_steps = int(state["n_steps"])
        for name in self._vectors:
            self._state.load(name, state[name])
        for name in self._scalars:
            setattr(self, "_" + name, float(state[name]))

    def __setstate__(self, state):
        if "_state" not in state:  # pickled by sknn 0.1.0, before state_dict
            state = _convert_old_pickle(type(self), state)
        self.__dict__.update(state)


class _LazyDecay:
    """A lazily decayed vector (``values * scale``) as sknn 0.1.0 pickled it: kept only
    so that those pickles load (:func:`_convert_old_pickle`)."""


#: sknn 0.1.0 kept each state vector in an attribute of the optimizer.
_OLD_VECTOR_ATTRIBUTES = {"_velocity": "velocity", "_m": "m", "_v": "v", "_u": "u",
                          "_sum": "accumulator"}


def _convert_old_pickle(cls, old):
    """The ``__dict__`` of a ``cls`` from one pickled by sknn 0.1.0 (same values)."""
    state = _FlatState(cls._vectors)
    for attribute, name in _OLD_VECTOR_ATTRIBUTES.items():
        stored = old.get(attribute)
        if isinstance(stored, _LazyDecay):
            state.vectors[name], state.scales[name] = stored.values, float(stored.scale)
        elif stored is not None:
            state.vectors[name] = stored
    # hyperparameters, learning_rate, n_steps and scalar state keep their
    # names; the old per-step scalars (_step_size, ...) are recomputed by every step
    kept = {key: value for key, value in old.items()
            if not key.startswith("_") or key[1:] in cls._scalars}
    return {**kept, "_state": state}


@OPTIMIZERS.register("sgd")
class SGD(Optimizer):
    """Stochastic gradient descent with (Nesterov) momentum.

    ``v <- momentum v - lr g``; then ``p <- p + v``, or with Nesterov
    ``p <- p + momentum v - lr g`` (scikit-learn's formulation). ``momentum``
    may change between steps (1cycle). With a constant rate this equals
    ``torch.optim.SGD`` (``v = -lr buf``); when the rate changes they differ,
    as scikit-learn's velocity holds past rates. ``momentum == 0`` is plain
    SGD and leaves ``v`` untouched, as PyTorch leaves its buffer. State:
    ``velocity`` (``v``).

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
    _vectors = ("velocity",)

    def __init__(self, learning_rate=0.1, momentum=0.9, nesterov=True):
        super().__init__(learning_rate)
        self.momentum = momentum
        self.nesterov = nesterov

    def _begin_step(self, lr):
        momentum = float(self.momentum)
        if momentum:
            self._state.decay("velocity", momentum)
        return lr, momentum

    def _update(self, chunk, p, g, coefficients):
        lr, momentum = coefficients
        state = self._state
        if momentum == 0:
            state.axpy(g, p, a=-lr)  # p <- p - lr g
            return
        state.accumulate("velocity", chunk, g, -lr)  # v <- momentum v - lr g
        if self.nesterov:
            state.add_scaled(p, "velocity", chunk, momentum)  # p <- p + momentum v - lr g
            state.axpy(g, p, a=-lr)
        else:
            state.add_scaled(p, "velocity", chunk, 1.0)  # p <- p + v


@OPTIMIZERS.register("adam")
class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014) with scikit-learn's bias correction.

    ``m <- b1 m + (1 - b1) g``, ``v <- b2 v + (1 - b2) g^2``,
    ``p <- p - lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)``.

    ``eps`` is added to the uncorrected root (the paper's "efficient
    version", as scikit-learn writes it), not to ``sqrt(v / (1 - b2^t))`` as
    in ``torch.optim.Adam``. State: ``m`` and ``v``.

    Examples
    --------
    >>> import numpy as np
    >>> params = np.zeros(2)
    >>> _ = Adam(epsilon=0.0).step(params, np.array([3.0, -0.1]), lr=0.01)
    >>> params  # the first step moves each parameter by the rate
    array([-0.01,  0.01])
    """

    name = "adam"
    _vectors = ("m", "v")

    def __init__(self, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(learning_rate)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def _begin_step(self, lr):
        t, b1, b2, state = self.n_steps, self.beta_1, self.beta_2, self._state
        state.decay("m", b1)
        state.decay("v", b2)
        lr_t = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        return state.fold_scales(lr_t, "m", "v", self.epsilon)

    def _update(self, chunk, p, g, coefficients):
        lr_t, epsilon = coefficients
        state, tmp = self._state, self._state.temporary(p.shape[0])
        state.accumulate("m", chunk, g, 1 - self.beta_1)  # m <- b1 m + (1 - b1) g
        state.accumulate("v", chunk, np.multiply(g, g, out=tmp), 1 - self.beta_2)  # v <- ... g^2
        denominator = state.sqrt_plus("v", chunk, epsilon, out=tmp)  # sqrt(v) + eps
        state.add_ratio(p, -lr_t, state.vectors["m"][chunk], denominator, out=tmp)


@OPTIMIZERS.register("adamw")
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as ``torch.optim.AdamW``.

    ``p <- (1 - lr weight_decay) p``, then the :class:`Adam` step (its
    ``eps`` placement included). Like PyTorch, the decay shrinks *every*
    parameter, biases included: the L2 mask is the L2 penalty's only.

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

    def _begin_step(self, lr):
        return super()._begin_step(lr), float(1.0 - lr * self.weight_decay)

    def _update(self, chunk, p, g, coefficients):
        adam, shrink = coefficients
        if shrink != 1.0:
            p *= shrink  # p <- (1 - lr weight_decay) p
        super()._update(chunk, p, g, adam)


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

    State: ``m``, ``v`` and the scalar ``mu_product`` (``P_t``).

    Examples
    --------
    >>> import numpy as np
    >>> params = np.zeros(1)
    >>> _ = NAdam(epsilon=0.0).step(params, np.array([2.0]), lr=0.1)
    >>> round(float(params[0]), 6)  # -lr (1 + (1 - b1) mu_2 / (1 - mu_1 mu_2))
    -0.105645
    """

    name = "nadam"
    _scalars = ("mu_product",)
    _scratch_rows = 2
    #: ``psi`` of the momentum schedule (``momentum_decay`` in PyTorch).
    MOMENTUM_DECAY = 4e-3

    def __init__(self, learning_rate=2e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(learning_rate, beta_1, beta_2, epsilon)
        self._mu_product = 1.0

    def _mu(self, t):
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** (t * self.MOMENTUM_DECAY))

    def _begin_step(self, lr):
        t, state = self.n_steps, self._state
        state.decay("m", self.beta_1)
        state.decay("v", self.beta_2)
        mu, mu_next = self._mu(t), self._mu(t + 1)
        self._mu_product *= mu
        grad_coef = lr * (1.0 - mu) / (1.0 - self._mu_product)
        momentum_coef = lr * mu_next / (1.0 - self._mu_product * mu_next)
        correction = 1.0 - self.beta_2**t
        grad_step, epsilon = state.fold_scales(grad_coef, None, "v", self.epsilon, correction)
        momentum_step, _ = state.fold_scales(momentum_coef, "m", "v", self.epsilon, correction)
        return grad_step, momentum_step, epsilon

    def _update(self, chunk, p, g, coefficients):
        grad_step, momentum_step, epsilon = coefficients
        state, n = self._state, p.shape[0]
        d, tmp = state.temporary(n), state.temporary(n, row=1)
        state.accumulate("m", chunk, g, 1 - self.beta_1)  # m <- b1 m + (1 - b1) g
        state.accumulate("v", chunk, np.multiply(g, g, out=tmp), 1 - self.beta_2)  # v <- ... g^2
        state.sqrt_plus("v", chunk, epsilon, out=d)  # d = sqrt(v / (1 - b2^t)) + eps
        state.add_ratio(p, -momentum_step, state.vectors["m"][chunk], d, out=tmp)
        state.add_ratio(p, -grad_step, g, d, out=tmp)


@OPTIMIZERS.register("adamax")
class Adamax(Adam):
    """Adam's infinity-norm variant (Kingma & Ba, section 7), as ``torch.optim.Adamax``.

    ``m <- b1 m + (1 - b1) g``, ``u <- max(b2 u, |g| + eps)``,
    ``p <- p - lr / (1 - b1^t) * m / u``. State: ``m`` and ``u`` (decayed in
    place: a max does not commute with a lazy scale).

    Examples
    --------
    >>> import numpy as np
    >>> params = np.zeros(2)
    >>> _ = Adamax(epsilon=0.0).step(params, np.array([4.0, -0.5]), lr=0.1)
    >>> params
    array([-0.1,  0.1])
    """

    name = "adamax"
    _vectors = ("m", "u")

    def __init__(self, learning_rate=2e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        super().__init__(learning_rate, beta_1, beta_2, epsilon)

    def _begin_step(self, lr):
        self._state.decay("m", self.beta_1)
        bias_correction = 1.0 - self.beta_1**self.n_steps
        # m = scale * stored: the scale joins the step size
        step_size = float(lr * self._state.scales["m"] / bias_correction)
        return step_size, float(self.beta_2), float(self.epsilon)

    def _update(self, chunk, p, g, coefficients):
        step_size, beta_2, epsilon = coefficients
        state, tmp = self._state, self._state.temporary(p.shape[0])
        u = state.vectors["u"][chunk]
        state.accumulate("m", chunk, g, 1 - self.beta_1)  # m <- b1 m + (1 - b1) g
        u *= beta_2  # u <- max(b2 u, |g| + eps)
        np.abs(g, out=tmp)
        tmp += epsilon
        np.maximum(u, tmp, out=u)
        state.add_ratio(p, -step_size, state.vectors["m"][chunk], u, out=tmp)  # p <- p - .. m / u


@OPTIMIZERS.register("rmsprop")
class RMSprop(Optimizer):
    """RMSprop (Hinton), as ``torch.optim.RMSprop`` with ``alpha = rho``.

    ``v <- rho v + (1 - rho) g^2``, ``p <- p - lr g / (sqrt(v) + eps)``
    (no momentum, not centered). State: ``v``.

    Examples
    --------
    >>> import numpy as np
    >>> params = np.zeros(1)
    >>> _ = RMSprop(rho=0.75, epsilon=0.0).step(params, np.array([3.0]), lr=0.1)
    >>> params  # -0.1 * 3 / sqrt(0.25 * 9)
    array([-0.2])
    """

    name = "rmsprop"
    _vectors = ("v",)

    def __init__(self, learning_rate=1e-3, rho=0.9, epsilon=1e-8):
        super().__init__(learning_rate)
        self.rho = rho
        self.epsilon = epsilon

    def _begin_step(self, lr):
        self._state.decay("v", self.rho)
        return self._state.fold_scales(lr, None, "v", self.epsilon)

    def _update(self, chunk, p, g, coefficients):
        lr, epsilon = coefficients
        state, tmp = self._state, self._state.temporary(p.shape[0])
        state.accumulate("v", chunk, np.multiply(g, g, out=tmp), 1 - self.rho)  # v <- ... g^2
        denominator = state.sqrt_plus("v", chunk, epsilon, out=tmp)  # sqrt(v) + eps
        state.add_ratio(p, -lr, g, denominator, out=tmp)  # p <- p - lr g / (sqrt(v) + eps)


@OPTIMIZERS.register("adagrad")
class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011), as ``torch.optim.Adagrad``.

    ``s <- s + g^2``, ``p <- p - lr g / (sqrt(s) + eps)``, ``s`` starting at
    :attr:`INITIAL_ACCUMULATOR`; PyTorch's ``lr_decay`` is left to the
    schedules. State: ``accumulator`` (``s``).

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
    _vectors = ("accumulator",)
    #: Starting value of the sum of squared gradients (PyTorch's default).
    INITIAL_ACCUMULATOR = 0.0
    _initial = {"accumulator": INITIAL_ACCUMULATOR}

    def __init__(self, learning_rate=1e-2, epsilon=1e-10):
        super().__init__(learning_rate)
        self.epsilon = epsilon

    def _begin_step(self, lr):
        return lr, float(self.epsilon)

    def _update(self, chunk, p, g, coefficients):
        lr, epsilon = coefficients
        state, tmp = self._state, self._state.temporary(p.shape[0])
        accumulator = state.vectors["accumulator"][chunk]
        accumulator += np.multiply(g, g, out=tmp)  # s <- s + g^2
        denominator = state.sqrt_plus("accumulator", chunk, epsilon, out=tmp)  # sqrt(s) + eps
        state.add_ratio(p, -lr, g, denominator, out=tmp)  # p <- p - lr g / (sqrt(s) + eps)


def make_optimizer(name, **params) -> Optimizer:
    """Instantiate the registered optimizer ``name`` with ``params``."""
    return OPTIMIZERS.get(name)(**params)
