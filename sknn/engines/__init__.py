"""Engines: interchangeable implementations of forward, backward and update.

An engine is built from a :class:`~sknn.spec.NetworkSpec`, an optimizer and
initial weights, and is driven by :func:`sknn.training.fit_loop`. Weights
cross the boundary as NumPy arrays in sknn's weight format (:mod:`sknn.network`),
so every fitted model is engine-independent.

Registered engines (the estimators' ``backend``): ``"numpy"``, the reference,
and ``"torch"`` (:mod:`sknn.engines.torch_engine`, imported only when asked
for; without PyTorch :func:`get_engine` raises an ImportError saying what to
install).
"""

from __future__ import annotations

import importlib
from typing import Protocol

import numpy as np

from sknn._registry import Registry
from sknn.spec import NetworkSpec

ENGINES = Registry("backend")
ENGINES.register("numpy")("sknn.engines.numpy_engine:NumpyEngine")
ENGINES.register("torch")("sknn.engines.torch_engine:TorchEngine")


class Data(Protocol):
    """Training data as an engine holds it (from :meth:`Engine.prepare`)."""

    n_samples: int


class Engine(Protocol):
    """Everything :mod:`sknn.training` reads of an engine (``fit_loop``, ``fit_lbfgs``
    and the gradient-norm probe), and the estimators around them."""

    spec: NetworkSpec
    #: The sknn optimizer defining the update rule (:mod:`sknn.nn.optimizers`);
    #: the loop sets SGD's ``momentum`` when the schedule cycles it.
    optimizer: object
    #: True: minibatches index the prepared ``data.X`` in host memory, so the fit
    #: may replace it by a lazy selection of rows instead of copying them
    reads_rows_in_place: bool

    # move data once; Y as the loss trains against it (spec.loss.smoothed_targets)
    def prepare(self, X, Y, sample_weight=None) -> Data: ...
    # fwd, loss+penalty, bwd, update; None for a batch without weight (skipped)
    def train_step(self, data, idx, lr) -> float | None: ...
    def loss(self, data) -> float: ...  # inference mode, no update
    def forward(self, X) -> np.ndarray: ...  # raw outputs as NumPy
    def get_weights(self) -> list: ...  # NumPy copies, one dict per layer
    def set_weights(self, weights) -> None: ...
    # a copy of every weight kept where the engine keeps them (the torch
    # engine's device): the loop's per-epoch copies never cross to the host
    def snapshot(self) -> object: ...
    def restore(self, snapshot) -> None: ...
    def parameters_finite(self) -> bool: ...  # the divergence check
    def flat_parameters(self) -> np.ndarray: ...  # for L-BFGS
    def set_flat_parameters(self, flat) -> None: ...
    def loss_and_gradient(self, data) -> tuple: ...
    def end_fit(self) -> None: ...  # after training: optimizer state back to the sknn optimizer
    def random_state(self) -> object: ...  # snapshot of training-mode randomness
    def set_random_state(self, state) -> None: ...


def get_engine(name):
    """Return the engine class registered as ``name``, importing it lazily."""
    module_name, class_name = ENGINES.get(name).split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        if error.name != "torch":
            raise
        raise ImportError(
            f"backend={name!r} needs PyTorch, which is not installed: "
            "pip install sknn-learn[torch]") from error
    return getattr(module, class_name)
