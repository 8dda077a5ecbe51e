"""The PyTorch engine: the same spec, weights and objective, on ``torch.nn``.

This is the only module of sknn that imports torch. It builds a
``torch.nn.Sequential`` from a :class:`~sknn.spec.NetworkSpec` with torch's
own pieces (``nn.Linear``, ``BatchNorm1d``'s parameters and buffers, the
activation modules, ``clip_grad_norm_`` / ``clip_grad_value_``,
``torch.optim``; dropout and rrelu are small modules of its own, with the
semantics of ``nn.Dropout`` / ``nn.AlphaDropout`` / ``nn.RReLU``) and
exchanges weights with the rest of sknn as NumPy arrays in sknn's weight
format (:mod:`sknn.network`), so a model trained here is engine-independent.

Where torch's defaults differ from the NumPy reference, the reference wins:

- Batch norm updates its running variance with the *biased* batch variance
  (Keras's convention; ``BatchNorm1d`` uses the unbiased one) and accepts a
  batch of one sample; torch's ``momentum`` is ``1 - spec.momentum``.
- ``sgd`` and ``adam`` (and ``adamw``, which is sknn's Adam plus decoupled
  decay) follow scikit-learn's formulas, written with tensor operations:
  ``torch.optim.Adam`` places ``eps`` differently, and ``torch.optim.SGD``
  differs from scikit-learn's velocity when the rate changes. ``nadam``,
  ``adamax``, ``rmsprop`` and ``adagrad`` *are* torch's rules and use
  ``torch.optim``.
- ``clip_grad_norm_`` divides by ``norm + 1e-6``: clipped gradients are
  about ``1e-6 / norm`` (relatively) smaller than the NumPy engine's.
- Dropout and rrelu draw from the engine's own ``torch.Generator``, seeded
  once from ``rng``: a fit never touches torch's global random stream, and
  the same ``rng`` gives the same fit whatever else the process (another
  thread included) draws. The masks differ from the NumPy engine's, their
  statistics, including the rounded keep probability, do not.
- A minibatch whose sample weights are all zero is skipped, as by the NumPy
  engine (:meth:`TorchEngine.train_step`).
- Sparse input is densified by :meth:`TorchEngine.prepare` and
  :meth:`TorchEngine.forward`.
- Data crosses to the device once per fit (:meth:`TorchEngine.prepare`).
  Each epoch's order is drawn on the host with NumPy's generator (so both
  engines and scikit-learn visit samples in the same order for a seed) and
  uploaded once (8 bytes per sample); minibatches are gathered on the
  device, and the epoch loss accumulates there (:class:`DeviceScalar`):
  one host synchronisation per epoch.
- Blocks registered by users run their ``torch_function`` (activations,
  losses; without one the engine refuses them, saying so) and a registered
  optimizer its own NumPy step on the host (:class:`_HostRule`).
- Optimizer state is imported from the sknn optimizer's ``state_dict()``
  when training starts and written back with its ``load_state_dict()`` by
  :meth:`TorchEngine.end_fit`, so ``partial_fit``, warm starts, pickling
  and switching backends continue it as the NumPy engine does.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from functools import partial

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn
from torch.nn import functional as F

from sknn.engines._threads import blas_thread_limit
from sknn.network import check_weights, trainable_parameter_order, weight_layout
from sknn.nn.activations import RRELU_LOWER, RRELU_UPPER, resolve_activation
from sknn.nn.layers.dropout import ALPHA_PRIME, alpha_dropout_affine, quantized_keep
from sknn.nn.layers.periodic import TWO_PI
from sknn.nn.losses import make_loss
from sknn.spec import Activation, Regularization
from sknn.spec import BatchNorm as BatchNormSpec
from sknn.spec import Dense as DenseSpec
from sknn.spec import Dropout as DropoutSpec
from sknn.spec import PeriodicEmbedding as PeriodicEmbeddingSpec
from sknn.spec import TiedDense as TiedDenseSpec

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


def resolve_device(device="auto"):
    """``'auto'`` -> ``'cuda'`` if available, else ``'mps'`` if available, else ``'cpu'``."""
    if device != "auto":
        try:
            resolved = torch.device(device)
        except RuntimeError as error:
            raise ValueError(f"Unknown torch device {device!r}: {error}") from None
        _check_available(resolved, device)
        return resolved
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _check_available(resolved, device):
    """A ValueError naming ``device`` when this PyTorch cannot use it."""
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r}, but CUDA is not available to this PyTorch "
                f"(torch.cuda.is_available() is False). Use device='cpu', or 'auto' to "
                f"take a GPU only where there is one.")
        count = torch.cuda.device_count()
        if resolved.index is not None and resolved.index >= count:
            raise ValueError(f"device={device!r}, but this machine has {count} CUDA "
                             f"device(s), numbered from 0.")
    elif resolved.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(f"device={device!r}, but MPS (Apple's GPU backend) is not "
                             f"available to this PyTorch. Use device='cpu' or 'auto'.")


# -- activations ---------------------------------------------------------------
class _Step(nn.Module):
    """Heaviside (``1`` where ``z > 0``) or sign (``+-1``): forward only."""

    def __init__(self, low):
        super().__init__()
        self.low = low

    def forward(self, z):
        return torch.where(z > 0, torch.ones_like(z), torch.full_like(z, self.low))


class _RReLU(nn.Module):
    """``nn.RReLU``: in training a slope ``U(lower, upper)`` per negative entry, drawn
    from ``generator``; at inference the mean slope."""

    def __init__(self, lower, upper, generator):
        super().__init__()
        self.lower, self.upper, self.generator = lower, upper, generator

    def forward(self, z):
        if not self.training:
            return F.leaky_relu(z, (self.lower + self.upper) / 2.0)
        factor = torch.empty_like(z)
        factor.uniform_(self.lower, self.upper, generator=self.generator)
        factor.masked_fill_(z >= 0, 1.0)
        return z * factor


#: Registry name -> ``(alpha, units, generator) -> nn.Module`` (``alpha`` already
#: resolved; ``generator``, a ``torch.Generator``, feeds training-mode randomness).
ACTIVATION_MODULES = {
    "identity": lambda alpha, units, generator: nn.Identity(),
    "logistic": lambda alpha, units, generator: nn.Sigmoid(),
    "tanh": lambda alpha, units, generator: nn.Tanh(),
    "relu": lambda alpha, units, generator: nn.ReLU(),
    "leaky_relu": lambda alpha, units, generator: nn.LeakyReLU(alpha),
    "elu": lambda alpha, units, generator: nn.ELU(alpha),
    "selu": lambda alpha, units, generator: nn.SELU(),
    # past the threshold torch returns z itself; at 40 that is exact in float64
    "softplus": lambda alpha, units, generator: nn.Softplus(threshold=40.0),
    "gelu": lambda alpha, units, generator: nn.GELU(),
    "swish": lambda alpha, units, generator: nn.SiLU(),
    "prelu": lambda alpha, units, generator: nn.PReLU(units, init=alpha),
    "rrelu": lambda alpha, units, generator: _RReLU(RRELU_LOWER, RRELU_UPPER, generator),
    "heaviside": lambda alpha, units, generator: _Step(0.0),
    "sign": lambda alpha, units, generator: _Step(-1.0),
}


class _Function(nn.Module):
    """A registered activation's ``torch_function``, differentiated by autograd."""

    def __init__(self, function):
        super().__init__()
        self.function = function

    def forward(self, z):
        return self.function(z)


def _registered_torch_function(entry, kind):
    """The ``torch_function`` of a block registered by ``sknn.register_<kind>``, or a
    ValueError saying what to provide."""
    if entry.torch_function is None:
        raise ValueError(f"{kind} {entry.name!r} has no torch_function; pass torch_function= "
                         f"to register_{kind} to use backend='torch'.")
    return entry.torch_function


# -- dropout -------------------------------------------------------------------
class _Dropout(nn.Module):
    """``nn.Dropout`` or ``nn.AlphaDropout`` with masks from ``generator``.

    The masks are the NumPy layer's (:class:`sknn.nn.layers.Dropout`): random
    integers below :func:`~sknn.nn.layers.dropout.quantized_keep`'s
    threshold, so both engines keep units with the same realized probability
    :attr:`keep` and scale by it. Integers, not ``torch.rand(...) < keep``:
    their comparison is exact on every device, where the resolution of
    floating-point uniforms differs between CPU and CUDA.
    """

    def __init__(self, rate, kind, generator):
        super().__init__()
        self.kind, self.generator = kind, generator
        self.levels, self.threshold = quantized_keep(rate)
        self.keep = self.threshold / self.levels
        self.a, self.b = alpha_dropout_affine(self.keep)

    def _kept(self, X):
        if self.levels <= 2**31:
            return torch.randint(0, self.levels, X.shape, generator=self.generator,
                                 device=X.device, dtype=torch.int32) < self.threshold
        # 64-bit levels: the full int64 range, shifted so the threshold counts from its bottom
        bits = torch.empty(X.shape, dtype=torch.int64, device=X.device)
        bits.random_(-2**63, None, generator=self.generator)
        return bits < self.threshold - 2**63

    def forward(self, X):
        if not self.training or self.keep >= 1.0:
            return X
        kept = self._kept(X).to(X.dtype)
        if self.kind == "standard":
            return X * kept.mul_(1.0 / self.keep)
        # a * (x m + alpha' (1 - m)) + b  ==  (x - alpha') * (a m) + (a alpha' + b)
        return (X - ALPHA_PRIME) * kept.mul_(self.a) + (self.a * ALPHA_PRIME + self.b)


# -- batch norm ----------------------------------------------------------------
class _BatchNorm(nn.BatchNorm1d):
    """``BatchNorm1d`` with sknn's running statistics (biased variance, any batch size).

    A ``frozen`` layer runs in inference mode while training too (Keras's rule).
    """

    frozen = False

    def forward(self, X):
        if not self.training or self.frozen:
            return F.batch_norm(X, self.running_mean, self.running_var, self.weight,
                                self.bias, False, 0.0, self.eps)
        mean = X.mean(dim=0)
        var = X.var(dim=0, unbiased=False)
        with torch.no_grad():
            self.running_mean.lerp_(mean, self.momentum)
            self.running_var.lerp_(var, self.momentum)
        return (X - mean) * torch.rsqrt(var + self.eps) * self.weight + self.bias


class _TiedLinear(nn.Module):
    """``x W + b``: the transposed weight of an earlier ``nn.Linear`` and its own bias.

    The linear layer is held by reference, not as a submodule, so its weight
    is one parameter of the network (autograd sums both uses' gradients).
    """

    def __init__(self, tied):
        super().__init__()
        self._tied = (tied,)
        self.bias = nn.Parameter(torch.zeros(tied.in_features))

    def forward(self, X):
        return F.linear(X, self._tied[0].weight.t(), self.bias)


class _PeriodicEmbedding(nn.Module):
    """:class:`sknn.nn.layers.PeriodicEmbedding`: ``[x_j, cos(2 pi (c_jk x_j + b_jk))]``
    per feature ``j``, in the NumPy layer's order of operations."""

    def __init__(self, n_features, n_frequencies):
        super().__init__()
        self.frequencies = nn.Parameter(torch.empty(n_features, n_frequencies))
        self.phases = nn.Parameter(torch.empty(n_features, n_frequencies))

    def forward(self, X):
        X = X.unsqueeze(-1)
        cosines = torch.cos(X * (self.frequencies * TWO_PI) + self.phases * TWO_PI)
        return torch.cat([X, cosines], dim=-1).flatten(1)


def build_module(spec, device, generator=None):
    """``nn.Sequential`` of ``spec``'s layers, in ``spec.dtype`` on ``device``.

    Linear layers are left uninitialized (:meth:`TorchEngine.set_weights`
    copies sknn's initial weights in): torch's default initialization would
    draw from, and advance, the caller's global random stream. Dropout and
    rrelu draw from ``generator``, a ``torch.Generator`` on ``device``; None
    gives them a fresh, randomly seeded one.
    """
    device = torch.device(device)
    dtype = _DTYPES[spec.dtype]
    if generator is None and any(_draws_randomly(layer) for layer in spec.layers):
        generator = torch.Generator(device=device)
        generator.seed()
    modules, width = [], spec.n_inputs
    for layer in spec.layers:
        if isinstance(layer, DenseSpec):
            modules.append(nn.utils.skip_init(nn.Linear, width, layer.units, device=device,
                                              dtype=dtype))
            width = layer.units
        elif isinstance(layer, BatchNormSpec):
            modules.append(_BatchNorm(width, eps=layer.epsilon, momentum=1.0 - layer.momentum))
        elif isinstance(layer, DropoutSpec):
            modules.append(_Dropout(layer.rate, layer.kind, generator))
        elif isinstance(layer, Activation):
            fn = resolve_activation(layer.name, layer.alpha)
            make = ACTIVATION_MODULES.get(fn.name)
            modules.append(make(fn.alpha, width, generator) if make else
                           _Function(_registered_torch_function(fn, "activation")))
        elif isinstance(layer, TiedDenseSpec):
            modules.append(_TiedLinear(modules[layer.tied_to]))
            width = modules[-1].bias.shape[0]
        elif isinstance(layer, PeriodicEmbeddingSpec):
            modules.append(_PeriodicEmbedding(width, layer.n_frequencies))
            width *= 1 + layer.n_frequencies
        else:
            raise TypeError(f"The torch engine cannot build a {type(layer).__name__} layer")
        if not getattr(layer, "trainable", True):  # frozen: no gradient, no update
            modules[-1].requires_grad_(False)
            modules[-1].frozen = True
    return nn.Sequential(*modules).to(device=device, dtype=dtype)


def _draws_randomly(layer):
    """Whether a spec layer draws random numbers in training (dropout, rrelu)."""
    if isinstance(layer, DropoutSpec):
        return True
    return (isinstance(layer, Activation)
            and resolve_activation(layer.name, layer.alpha).name == "rrelu")


#: sknn weight name -> (attribute of the torch module holding it, stored transposed):
#: torch keeps a linear layer's weight as (out, in), sknn's kernel is (in, out).
_TORCH_WEIGHTS = {"kernel": ("weight", True), "bias": ("bias", False),
                  "gamma": ("weight", False), "beta": ("bias", False),
                  "moving_mean": ("running_mean", False), "moving_variance": ("running_var", False),
                  "slope": ("weight", False), "frequencies": ("frequencies", False),
                  "phases": ("phases", False)}


def _weight_views(module, spec):
    """Per spec layer, ``{sknn name: (tensor, transposed)}`` following
    :func:`sknn.network.weight_layout` (empty for a layer without weights)."""
    return [{name: (getattr(layer, _TORCH_WEIGHTS[name][0]), _TORCH_WEIGHTS[name][1])
             for name in shapes.shapes}
            for layer, shapes in zip(module, weight_layout(spec))]


# -- losses --------------------------------------------------------------------
def _rescaled(unit_fn, low_natural, high_natural):
    def output(z, low, high):
        value = unit_fn(z)
        if low is None:
            return value
        return low + (high - low) * (value - low_natural) / (high_natural - low_natural)
    return output


#: Output activation name -> ``(z, low, high) -> prediction``.
OUTPUT_LINKS = {
    "identity": lambda z, low, high: z,
    "relu": lambda z, low, high: F.relu(z),
    "softplus": lambda z, low, high: F.softplus(z, threshold=40.0),
    "exp": lambda z, low, high: torch.exp(z),
    "logistic": _rescaled(torch.sigmoid, 0.0, 1.0),
    "tanh": _rescaled(torch.tanh, -1.0, 1.0),
}


def _poisson_deviance(pred, y, delta=None):
    return pred - torch.special.xlogy(y, pred) + torch.special.xlogy(y, y) - y


#: Loss name -> ``(pred, y, delta) -> elementwise loss`` on the prediction.
LOSS_FUNCTIONS = {
    "squared_error": lambda pred, y, delta: 0.5 * F.mse_loss(pred, y, reduction="none"),
    "absolute_error": lambda pred, y, delta: F.l1_loss(pred, y, reduction="none"),
    "huber": lambda pred, y, delta: F.huber_loss(pred, y, reduction="none", delta=delta),
    "poisson": _poisson_deviance,
}

#: Loss name -> ``(raw, y) -> elementwise loss`` through the loss's canonical link,
#: fused with it for stability; used whenever the spec's output is that link.
CANONICAL_LINK_LOSSES = {
    "log_loss": lambda z, y: -(y * F.log_softmax(z, dim=1)),
    "binary_log_loss": lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction="none"),
    # exp(z) - y z + (y log y - y), without log(exp(z))
    "poisson": lambda z, y: (F.poisson_nll_loss(z, y, log_input=True, reduction="none")
                             + torch.special.xlogy(y, y) - y),
}


def make_torch_loss(loss):
    """``(raw, y) -> per-sample loss`` tensor for a :class:`sknn.nn.losses.LossSpec`.

    Same objective as :func:`sknn.nn.losses.make_loss`: the pointwise loss of
    ``link(raw)``, summed over outputs; a registered loss's ``torch_function``.
    """
    if loss.name not in LOSS_FUNCTIONS and loss.name not in CANONICAL_LINK_LOSSES:
        registered = _registered_torch_function(make_loss(loss), "loss")
        return lambda raw, y: registered(y, raw)
    if loss.uses_canonical_link and loss.name in CANONICAL_LINK_LOSSES:
        elementwise = CANONICAL_LINK_LOSSES[loss.name]
        return lambda raw, y: elementwise(raw, y).sum(dim=1)
    pointwise, output = LOSS_FUNCTIONS[loss.name], OUTPUT_LINKS[loss.output_activation]
    low, high = loss.output_bounds or (None, None)
    delta = loss.huber_delta
    return lambda raw, y: pointwise(output(raw, low, high), y, delta).sum(dim=1)


def _weighted_mean(per_sample, sample_weight):
    if sample_weight is None:
        return per_sample.mean()
    return (per_sample * sample_weight).sum() / sample_weight.sum()


# -- optimizers ----------------------------------------------------------------
class _Rule:
    """The sknn optimizer's rule on torch tensors, holding its state on the device.

    The state comes from the sknn optimizer's ``state_dict()`` when training
    starts and goes back through its ``load_state_dict()`` (:meth:`export`),
    in the NumPy layout and dtype, so the next fit on either engine
    continues it. The rule counts its own steps, as ``state_dict`` does;
    ``vectors`` are the state's vectors, kept as one tensor per parameter.
    """

    vectors = ()

    def __init__(self, params, optimizer, flat):
        self.params, self.optimizer = params, optimizer
        state = optimizer.state_dict()
        self.n_steps = state["n_steps"]
        self._import(state, flat)

    def _import(self, state, flat):
        self.state = {name: flat.split(state[name], self.params) for name in self.vectors}

    def _export(self, flat):
        return {name: flat.join(tensors) for name, tensors in self.state.items()}

    def step(self, lr):
        self.n_steps += 1
        self._step(lr)

    def export(self, flat):
        """This rule's state into the sknn optimizer."""
        state = self._export(flat)
        if state is not None:
            self.optimizer.load_state_dict({**state, "n_steps": self.n_steps})


class _ScikitSGD(_Rule):
    """scikit-learn's SGD: ``v <- m v - lr g``; ``p += v`` or ``p += m v - lr g``."""

    vectors = ("velocity",)

    @torch.no_grad()
    def _step(self, lr):
        # torch._foreach_*: one call per operation for all parameters (what
        # torch.optim does), the same arithmetic as a loop over them
        params, velocity = self.params, self.state["velocity"]
        grads = [p.grad for p in params]
        momentum = float(self.optimizer.momentum)
        if momentum == 0:
            torch._foreach_add_(params, grads, alpha=-lr)
            return
        torch._foreach_mul_(velocity, momentum)
        torch._foreach_add_(velocity, grads, alpha=-lr)
        if self.optimizer.nesterov:
            torch._foreach_add_(params, velocity, alpha=momentum)
            torch._foreach_add_(params, grads, alpha=-lr)
        else:
            torch._foreach_add_(params, velocity)


class _ScikitAdam(_Rule):
    """scikit-learn's Adam (``eps`` on the uncorrected root); AdamW's decay if any."""

    vectors = ("m", "v")

    @torch.no_grad()
    def _step(self, lr):
        opt, t = self.optimizer, self.n_steps  # already counts this step
        b1, b2 = opt.beta_1, opt.beta_2
        step_size = lr * (1 - b2**t) ** 0.5 / (1 - b1**t)
        shrink = 1.0 - lr * getattr(opt, "weight_decay", 0.0)
        params, m, v = self.params, self.state["m"], self.state["v"]
        grads = [p.grad for p in params]
        if shrink != 1.0:
            torch._foreach_mul_(params, shrink)
        torch._foreach_mul_(m, b1)
        torch._foreach_add_(m, grads, alpha=1 - b1)
        torch._foreach_mul_(v, b2)
        torch._foreach_addcmul_(v, grads, grads, value=1 - b2)
        denominators = torch._foreach_sqrt(v)
        torch._foreach_add_(denominators, opt.epsilon)
        torch._foreach_addcdiv_(params, m, denominators, value=-step_size)


class _TorchOptim(_Rule):
    """A ``torch.optim`` optimizer, ``make(params, sknn optimizer)``, whose rate is set
    before every step.

    ``keys`` maps each of torch's per-parameter state keys to the sknn
    ``state_dict`` key of the same vector; ``scalars`` does the same for
    scalar state. torch's ``step`` is the step count.
    """

    def __init__(self, params, optimizer, flat, make, keys, scalars=None):
        self.make, self.keys, self.scalars = make, keys, scalars or {}
        super().__init__(params, optimizer, flat)

    def _import(self, state, flat):
        self.torch_optimizer = self.make(self.params, self.optimizer)
        if self.n_steps == 0:  # torch's own initial state
            return
        per_key = {key: flat.split(state[name], self.params) for key, name in self.keys.items()}
        for i, p in enumerate(self.params):
            torch_state = self.torch_optimizer.state[p]
            torch_state["step"] = _scalar(self.n_steps)
            torch_state.update({key: _scalar(state[name]) for key, name in self.scalars.items()})
            torch_state.update({key: tensors[i] for key, tensors in per_key.items()})

    def _export(self, flat):
        first = self.torch_optimizer.state.get(self.params[0])
        if not first:  # no step taken: the sknn optimizer's state is unchanged
            return None
        state = {name: flat.join([self.torch_optimizer.state[p][key] for p in self.params])
                 for key, name in self.keys.items()}
        return {**state, **{name: float(first[key]) for key, name in self.scalars.items()}}

    def _step(self, lr):
        for group in self.torch_optimizer.param_groups:
            group["lr"] = lr
        self.torch_optimizer.step()


class _HostRule:
    """A registered optimizer (no entry in :data:`OPTIMIZER_RULES`): the sknn
    optimizer's own NumPy step on host copies of the parameters and gradients.

    The same update as the NumPy engine's (its L2 penalty is in the loss here),
    at the cost of a round trip to the host per step, slow on a GPU. The state
    stays in the sknn optimizer, so there is nothing to export.
    """

    def __init__(self, params, optimizer, flat):
        self.engine, self.optimizer = flat.engine, optimizer

    def step(self, lr):
        engine = self.engine
        params = engine.flat_parameters()
        self.optimizer.step(params, _flatten([(tensor.grad, transposed)
                                              for tensor, transposed in engine._flat]), lr)
        engine.set_flat_parameters(params)

    def export(self, flat):
        pass


#: sknn optimizer name -> ``(params, sknn optimizer, flat layout) -> rule``, a rule
#: having ``step(lr)`` and ``export(flat)`` (its state into the sknn optimizer).
#: A registered optimizer without an entry runs as a :class:`_HostRule`.
OPTIMIZER_RULES = {
    "sgd": _ScikitSGD,
    "adam": _ScikitAdam,
    "adamw": _ScikitAdam,
    "nadam": partial(_TorchOptim, keys={"exp_avg": "m", "exp_avg_sq": "v"},
                     scalars={"mu_product": "mu_product"},
                     make=lambda params, o: torch.optim.NAdam(
                         params, betas=(o.beta_1, o.beta_2), eps=o.epsilon,
                         momentum_decay=o.MOMENTUM_DECAY)),
    "adamax": partial(_TorchOptim, keys={"exp_avg": "m", "exp_inf": "u"},
                      make=lambda params, o: torch.optim.Adamax(
                          params, betas=(o.beta_1, o.beta_2), eps=o.epsilon)),
    "rmsprop": partial(_TorchOptim, keys={"square_avg": "v"},
                       make=lambda params, o: torch.optim.RMSprop(
                           params, alpha=o.rho, eps=o.epsilon)),
    "adagrad": partial(_TorchOptim, keys={"sum": "accumulator"},
                       make=lambda params, o: torch.optim.Adagrad(
                           params, eps=o.epsilon,
                           initial_accumulator_value=o.INITIAL_ACCUMULATOR)),
}


def _scalar(value):
    """A CPU scalar tensor as ``torch.optim`` keeps ``step`` (its ``_get_scalar_dtype``)."""
    dtype = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
    return torch.tensor(float(value), dtype=dtype)


class _FlatLayout:
    """Converts between a flat NumPy state vector (the NumPy engine's parameter
    order and layout) and per-parameter tensors shaped like the parameters."""

    def __init__(self, engine):
        self.engine = engine

    def split(self, flat, params):
        """Tensors in ``params`` order; zeros where ``flat`` is None."""
        if flat is None:
            return [torch.zeros_like(p) for p in params]
        flat_order = [tensor for tensor, _ in self.engine._flat]
        chunks = dict(zip(flat_order, self.engine._unflatten(flat)))
        return [chunks[p].contiguous() for p in params]

    def join(self, tensors):
        """The flat NumPy vector, in ``spec.dtype``, of tensors given in parameter order."""
        by_param = dict(zip(self.engine.trainable_parameters(), tensors))
        return _flatten([(by_param[tensor], transposed)
                         for tensor, transposed in self.engine._flat])


# -- the engine ----------------------------------------------------------------
class _OneTorchThread:
    """Context manager: torch on one thread, then back to the count it had.

    ``torch.set_num_threads`` is partly process-wide (new threads' default,
    MKL's count) and partly per thread (OpenMP's), so concurrent fits each
    saving and restoring it could save the 1 another had set and leave it
    behind. Here the first of the overlapping users saves the count, every
    user sets 1 on entry and the saved count on exit, and the last one
    forgets it.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._users = 0
        self._saved = None

    def __enter__(self):
        with self._lock:
            if self._users == 0:
                self._saved = torch.get_num_threads()
            self._users += 1
            if self._saved != 1:
                torch.set_num_threads(1)

    def __exit__(self, *exc_info):
        with self._lock:
            self._users -= 1
            if self._saved != 1:
                torch.set_num_threads(self._saved)
            if self._users == 0:
                self._saved = None


_ONE_TORCH_THREAD = _OneTorchThread()


@dataclass
class TorchData:
    """Training data on the engine's device; ``Y`` is 2-D.

    ``zero_weight_host`` is the sample weights on the host, in the engine's
    dtype, kept only when some are zero (see :meth:`TorchEngine.train_step`).
    """

    X: torch.Tensor
    Y: torch.Tensor
    sample_weight: torch.Tensor | None
    zero_weight_host: np.ndarray | None = None

    @property
    def n_samples(self):
        return self.X.shape[0]


class DeviceScalar:
    """A loss that stays on the device until ``float()`` asks for it.

    Supports what :func:`sknn.training.run_epoch` does with a step's loss
    (``loss * n``, sums, ``/ n``), so an epoch syncs with the host once.
    """

    def __init__(self, value):
        self.value = value

    def __mul__(self, other):
        return DeviceScalar(self.value * _raw(other))

    def __add__(self, other):
        return DeviceScalar(self.value + _raw(other))

    def __truediv__(self, other):
        return DeviceScalar(self.value / _raw(other))

    __rmul__, __radd__ = __mul__, __add__

    def __float__(self):
        return float(self.value.item())

    def __repr__(self):
        return f"DeviceScalar({float(self)!r})"


def _raw(value):
    return value.value if isinstance(value, DeviceScalar) else value


class TorchEngine:
    """Forward, autograd backward and update with PyTorch, on any torch device.

    Parameters
    ----------
    spec : NetworkSpec
    weights : list of dict
        Initial weights in sknn's weight format (see :mod:`sknn.network`),
        copied in.
    optimizer : sknn.nn.optimizers.Optimizer or None
        Defines the update rule (see :data:`OPTIMIZER_RULES`); needed for
        :meth:`train_step` only. May be reassigned before training.
    regularization : Regularization
        Same meaning as for :class:`~sknn.engines.numpy_engine.NumpyEngine`.
    rng : int, numpy.random.Generator or None
        Seeds the engine's own ``torch.Generator`` (on ``device``), from which
        dropout masks and rrelu slopes are drawn; torch's global generator is
        never used.
    device : str or torch.device, default='cpu'
        ``'auto'`` picks CUDA, then MPS, then the CPU.
    """

    reads_rows_in_place = False  # prepare copies the data to the device

    def __init__(self, spec, weights, optimizer=None, regularization=None, rng=None,
                 device="cpu"):
        self.spec = spec
        self.device = resolve_device(device)
        self.dtype = _DTYPES[spec.dtype]
        self.rng = np.random.default_rng(rng)
        self.generator = None
        if any(_draws_randomly(layer) for layer in spec.layers):
            self.generator = torch.Generator(device=self.device)
            self.generator.manual_seed(int(self.rng.integers(2**63)))
        self.module = build_module(spec, self.device, self.generator)
        self.loss_fn = make_torch_loss(spec.loss)
        self.regularization = regularization or Regularization()
        views = _weight_views(self.module, spec)
        self._views = [layer for layer in views if layer]  # the weight format's layers
        self._kernels = [m.weight for m in self.module
                         if isinstance(m, nn.Linear) and m.weight.requires_grad]
        # ``(tensor, transposed)`` of the trainable parameters in the flat vector's order
        self._flat = [views[i][name] for i, name in trainable_parameter_order(spec)]
        self.optimizer = optimizer
        self._uploaded_order = None  # (host index array, its device copy)
        self._trainable = self.trainable_parameters()
        self._small_batches = {}  # batch size -> whether one CPU thread serves it better
        self.set_weights(weights)

    @property
    def optimizer(self):
        """The sknn optimizer defining the rule (the loop reads its momentum and rate)."""
        return self._optimizer

    @optimizer.setter
    def optimizer(self, optimizer):
        self._optimizer, self._rule = optimizer, None

    def trainable_parameters(self):
        """Parameters the optimizer updates (frozen layers' are left out)."""
        return [p for p in self.module.parameters() if p.requires_grad]

    # -- data -------------------------------------------------------------
    def _tensor(self, array):
        if sp.issparse(array):  # densified: simpler and usually faster on a GPU
            array = array.toarray()
        array = np.asarray(array)
        if not array.flags.writeable:  # torch warns on read-only memory (memmaps)
            array = array.copy()
        return torch.as_tensor(array, dtype=self.dtype, device=self.device)

    def prepare(self, X, Y, sample_weight=None):
        """Move ``X``, ``Y`` and ``sample_weight`` to the device, once per fit."""
        self._uploaded_order = None
        Y = np.asarray(Y)
        Y = Y.reshape(-1, 1) if Y.ndim == 1 else Y
        Y = self.spec.loss.smoothed_targets(Y, self.spec.dtype)
        weight = zero_weight_host = None
        if sample_weight is not None:
            # zero in the engine's dtype: float32 flushes weights below ~1e-45
            host = np.asarray(sample_weight, dtype=self.spec.dtype)
            if not host.all():
                zero_weight_host = host
            weight = self._tensor(host)
        return TorchData(self._tensor(X), self._tensor(Y), weight, zero_weight_host)

    def _batch(self, data, idx):
        """The minibatch ``idx`` (a slice or NumPy indices), gathered on the device."""
        if isinstance(idx, slice):
            weight = None if data.sample_weight is None else data.sample_weight[idx]
            return data.X[idx], data.Y[idx], weight
        idx = self._device_indices(idx)
        weight = None if data.sample_weight is None else data.sample_weight.index_select(0, idx)
        return data.X.index_select(0, idx), data.Y.index_select(0, idx), weight

    def _device_indices(self, idx):
        """``idx`` as an index tensor on the device, uploading each index array once.

        The training loop draws an epoch's order on the host (NumPy's
        generator, so both engines visit samples in the same order) and hands
        out its consecutive slices. A slice of an array uploaded before is
        cut out of the device copy: one host-to-device transfer per epoch,
        not per batch. The array must not change while in use (the loop
        draws a fresh one per epoch); :meth:`prepare` and :meth:`end_fit`
        drop the copy.
        """
        idx = np.asarray(idx)
        if idx.dtype.kind == "b":
            idx = np.flatnonzero(idx)
        elif idx.dtype.kind != "i":
            idx = idx.astype(np.int64)
        base = idx.base
        if (idx.ndim != 1 or not isinstance(base, np.ndarray) or base.ndim != 1
                or base.dtype != idx.dtype or idx.strides != base.strides):
            return torch.as_tensor(np.ascontiguousarray(idx), device=self.device)
        start, misaligned = divmod(idx.__array_interface__["data"][0]
                                   - base.__array_interface__["data"][0], base.itemsize)
        if misaligned or start < 0 or start + idx.shape[0] > base.shape[0]:
            return torch.as_tensor(np.ascontiguousarray(idx), device=self.device)
        if self._uploaded_order is None or self._uploaded_order[0] is not base:
            self._uploaded_order = (base, torch.as_tensor(base, device=self.device))
        return self._uploaded_order[1][start:start + idx.shape[0]]

    # -- training ---------------------------------------------------------
    def _penalized_loss(self, X, Y, sample_weight):
        """Training-mode data loss plus the L1 and L2 penalties on the kernels."""
        if not self.module.training:  # train() visits every submodule: not once per step
            self.module.train()
        raw = self.module(X)
        loss = _weighted_mean(self.loss_fn(raw, Y), sample_weight)
        reg = self.regularization
        weight_sum = X.shape[0] if sample_weight is None else sample_weight.sum()
        if reg.l1:
            loss = loss + reg.l1 / weight_sum * sum(k.abs().sum() for k in self._kernels)
        if reg.alpha:
            loss = loss + 0.5 * reg.alpha / weight_sum * sum(
                k.square().sum() for k in self._kernels)
        return loss

    def _backward(self, loss):
        # Gradients set to None, not zeroed: backward then writes fresh ones
        # instead of adding into zeros (two fewer passes over every parameter).
        params = self._trainable
        for p in params:
            p.grad = None
        loss.backward()
        for p in params:
            if p.grad is None:  # a parameter the loss does not reach has gradient 0
                p.grad = torch.zeros_like(p)

    def train_step(self, data, idx, lr):
        """One update: backward, clipping, optimizer, max-norm.

        Returns the penalized loss before the update as a :class:`DeviceScalar`
        (no host synchronisation per step).

        A minibatch whose sample weights sum to zero (in the engine's dtype)
        has no objective: it is skipped, changing nothing (no update, no
        optimizer step, no penalty, clipping or max-norm), and the step
        returns None. The check reads a host copy of the weights, kept by
        :meth:`prepare` only when some are zero, so other fits pay nothing
        and no fit waits for the device.
        """
        if data.zero_weight_host is not None and data.zero_weight_host[idx].sum() == 0:
            return None
        X, Y, sample_weight = self._batch(data, idx)
        with self._threads(X.shape[0]):
            loss = self._penalized_loss(X, Y, sample_weight)
            self._backward(loss)
            self._clip()
            self._update(float(lr))
            if self.regularization.max_norm is not None:
                self._apply_max_norm(self.regularization.max_norm)
        return DeviceScalar(loss.detach())

    def _threads(self, batch_size):
        """One CPU thread for small products, as the NumPy engine gives BLAS.

        Under load, torch's thread pool made a 10-16-2 network ~15x slower.
        """
        small = self._small_batches.get(batch_size)
        if small is None:
            small = self._small_batches[batch_size] = (
                self.device.type == "cpu" and blas_thread_limit(self.spec, batch_size) == 1)
        return _ONE_TORCH_THREAD if small else contextlib.nullcontext()

    def _clip(self):
        reg = self.regularization
        if reg.clip_value is None and reg.clip_norm is None:
            return
        params = self._trainable
        if reg.clip_value is not None:
            nn.utils.clip_grad_value_(params, reg.clip_value)
        if reg.clip_norm is not None:
            nn.utils.clip_grad_norm_(params, reg.clip_norm)

    def _update(self, lr):
        if self._rule is None:
            params = self.trainable_parameters()
            self._rule = OPTIMIZER_RULES.get(self.optimizer.name, _HostRule)(
                params, self.optimizer, _FlatLayout(self))
        # the public rate of the latest step, as the NumPy optimizer's step sets it
        self.optimizer.learning_rate = lr
        self._rule.step(lr)

    def end_fit(self):
        """After training: write the optimizer's state back into the sknn optimizer.

        In the sknn optimizer's own NumPy layout and dtype, so the next fit,
        on either engine, continues it, and a pickled model keeps it. The
        rule is dropped (training again re-imports the same state), and so
        are the gradients.
        """
        if self._rule is not None:
            self._rule.export(_FlatLayout(self))
            self._rule = None
        self._uploaded_order = None
        self.module.zero_grad(set_to_none=True)
        if self.device.type == "cuda":  # hand the freed blocks back to the driver
            torch.cuda.empty_cache()

    @torch.no_grad()
    def _apply_max_norm(self, bound):
        for kernel in self._kernels:  # rows of a torch weight: each unit's incoming weights
            norms = torch.linalg.vector_norm(kernel, dim=1, keepdim=True)
            kernel.mul_(bound / torch.clamp(norms, min=bound))

    def loss_and_gradient(self, data):
        """Full-batch penalized loss and its flat gradient (NumPy, for L-BFGS)."""
        with self._threads(data.n_samples):
            loss = self._penalized_loss(data.X, data.Y, data.sample_weight)
            self._backward(loss)
        grads = [(tensor.grad, transposed) for tensor, transposed in self._flat]
        return float(loss.item()), _flatten(grads)

    @torch.no_grad()
    def loss(self, data):
        """Inference-mode loss (no penalty), as a float."""
        self.module.eval()
        per_sample = self.loss_fn(self.module(data.X), data.Y)
        return float(_weighted_mean(per_sample, data.sample_weight).item())

    # -- inference and weights --------------------------------------------
    @torch.no_grad()
    def forward(self, X):
        """Raw outputs (inference mode) as a NumPy array."""
        self.module.eval()
        return self.module(self._tensor(X)).cpu().numpy()

    def get_weights(self):
        """NumPy copies in sknn's weight format (kernels ``(fan_in, fan_out)``)."""
        return [{key: _to_numpy(tensor, transposed) for key, (tensor, transposed) in layer.items()}
                for layer in self._views]

    @torch.no_grad()
    def set_weights(self, weights):
        check_weights(self.spec, weights)
        for target, source in zip(self._views, weights):
            for key, (tensor, transposed) in target.items():
                value = np.asarray(source[key])
                tensor.copy_(self._tensor(value.T if transposed else value).reshape(tensor.shape))

    def _weight_tensors(self):
        return [tensor for layer in self._views for tensor, _ in layer.values()]

    @torch.no_grad()
    def snapshot(self):
        """A copy of every weight (batch norm statistics too) that stays on the device."""
        return [tensor.clone() for tensor in self._weight_tensors()]

    @torch.no_grad()
    def restore(self, snapshot):
        """Go back to a :meth:`snapshot`."""
        for tensor, saved in zip(self._weight_tensors(), snapshot, strict=True):
            tensor.copy_(saved)

    @torch.no_grad()
    def parameters_finite(self):
        """Whether every trainable parameter is finite, without a copy to the host.

        On the CPU NumPy reads the tensors in place (torch's isfinite is
        several times slower there); elsewhere one check, one synchronisation.
        """
        tensors = [tensor.detach() for tensor, _ in self._flat]
        if self.device.type == "cpu":
            return all(np.isfinite(tensor.numpy()).all() for tensor in tensors)
        flat = torch.cat([tensor.reshape(-1) for tensor in tensors]) if tensors else None
        return flat is None or bool(torch.isfinite(flat).all())

    def random_state(self):
        """A snapshot of the engine's own generator (dropout masks, rrelu slopes), or
        None when no layer draws."""
        return None if self.generator is None else self.generator.get_state()

    def set_random_state(self, state):
        """Go back to a :meth:`random_state` snapshot."""
        if state is not None:
            self.generator.set_state(state)

    def flat_parameters(self):
        """The trainable parameters as one NumPy vector, in the NumPy engine's order."""
        return _flatten(self._flat)

    @torch.no_grad()
    def set_flat_parameters(self, flat):
        for (tensor, _), value in zip(self._flat, self._unflatten(flat)):
            tensor.copy_(value)

    def _unflatten(self, flat):
        """Tensors shaped like the parameters of :attr:`_flat`, cut from a flat vector."""
        tensors, offset = [], 0
        for tensor, transposed in self._flat:
            shape = tensor.shape[::-1] if transposed else tensor.shape
            chunk = np.asarray(flat[offset:offset + tensor.numel()]).reshape(shape)
            tensors.append(self._tensor(chunk.T if transposed else chunk))
            offset += tensor.numel()
        return tensors


def _to_numpy(tensor, transposed=False):
    array = tensor.detach().cpu().numpy()
    return (array.T if transposed else array).copy()


def _flatten(pairs):
    return np.concatenate([_to_numpy(tensor, transposed).ravel() for tensor, transposed in pairs])
