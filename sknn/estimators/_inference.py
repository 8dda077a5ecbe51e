"""Inference copies of a fitted network: magnitude pruning and a storage dtype.

:class:`InferenceMixin` gives the network estimators :meth:`~InferenceMixin.prune`
and :meth:`~InferenceMixin.with_inference_dtype`; with
``fuse_batch_norm`` they are sknn's low-latency tools. Each returns a new
fitted estimator and leaves the original untouched, so they compose:
``clf.fuse_batch_norm().prune(sparsity=0.5).with_inference_dtype('float16')``.

Why float16 is stored but not computed in: NumPy has no float16 matrix
product in BLAS. Measured on this project's 2-core CPU (``OMP_NUM_THREADS=1``,
``(1000, 256) @ (256, 256)``): float64 3.9 ms, float32 0.83 ms, float16 250
ms (300x slower than float32), while casting a float16 kernel to float32
and multiplying in float32 took 2.2 ms (the cast itself 0.06 ms). So a
float16 copy keeps its weights in float16 (half the memory of float32,
a quarter of float64) and computes in float32.

Measured end to end (``predict_proba`` of a fitted 64-256-256-10
:class:`~sknn.MLPClassifier`, same machine, one thread, best of 5; the timing
script is in this module's commit message)::

    copy                        weights     1 row      1797 rows
    float64 (the original)      680 kB      0.37 ms    22-26 ms
    float32                     340 kB      0.38 ms    7.4-7.7 ms
    float16 (float32 compute)   170 kB      0.53 ms    6.5-7.8 ms

float32 predicts about 3x faster than float64 on large batches; float16
halves the memory again at the same speed there, but a single-row call pays
about 0.15 ms for casting the weights, so for per-row latency float32 is the
better choice and float16 is for memory (or shipping) size. Single-row
calls are dominated by input validation either way.
"""

from __future__ import annotations

import copy
from numbers import Real

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_is_fitted

#: Storage dtypes of :meth:`InferenceMixin.with_inference_dtype`, with the
#: dtype each computes in.
COMPUTE_DTYPES = {"float16": "float32", "float32": "float32", "float64": "float64"}


def inference_input(X, network):
    """``X`` cast to the dtype a copy made by ``with_inference_dtype`` computes in.

    That is the dtype of ``network``'s weights, except float16 (computed in
    float32: see the module docstring). Casting a float32 array to float32
    makes no copy.
    """
    stored = network.kernels[0].dtype
    compute = np.dtype(COMPUTE_DTYPES.get(stored.name, stored.name))
    narrowed = np.dtype(X.dtype).itemsize > compute.itemsize
    with np.errstate(over="ignore"):  # values too large for `compute` are refused below
        X = X.astype(compute, copy=False) if sp.issparse(X) else np.asarray(X, dtype=compute)
    # X was validated finite: an infinity now is a value `compute` cannot hold, which
    # would predict NaN; the same error as scikit-learn's validation in that dtype
    if narrowed and not np.isfinite(X.data if sp.issparse(X) else X).all():
        raise ValueError(f"Input X contains infinity or a value too large for "
                         f"dtype('{compute.name}').")
    return X


def _check_pruning_arguments(threshold, sparsity):
    if (threshold is None) == (sparsity is None):
        raise ValueError("prune needs exactly one of threshold (zero the kernel weights "
                         "with |w| <= threshold) or sparsity (zero that fraction of each "
                         f"kernel); got threshold={threshold!r}, sparsity={sparsity!r}.")
    if threshold is not None and (not isinstance(threshold, Real) or not threshold >= 0):
        raise ValueError(f"threshold must be a real number >= 0, got {threshold!r}.")
    if sparsity is not None and (isinstance(sparsity, (bool, np.bool_))
                                 or not isinstance(sparsity, Real) or not 0 <= sparsity <= 1):
        raise ValueError(f"sparsity must be a fraction in [0, 1], got {sparsity!r}.")


def _prune_kernel(kernel, threshold, sparsity):
    """A pruned copy of ``kernel``: entries with ``|w| <= threshold``, or the
    ``floor(sparsity * size)`` smallest magnitudes, set to zero."""
    pruned = np.array(kernel, copy=True)
    magnitude = np.abs(pruned).ravel()
    if threshold is not None:
        pruned.ravel()[magnitude <= threshold] = 0
        return pruned
    n_pruned = int(np.floor(sparsity * magnitude.size))
    if n_pruned:
        # argpartition zeroes exactly n_pruned entries, ties included
        smallest = np.argpartition(magnitude, n_pruned - 1)[:n_pruned]
        pruned.ravel()[smallest] = 0
    return pruned


def _sparsity_report(kernels, threshold, sparsity):
    layers = [{"shape": kernel.shape, "n_weights": int(kernel.size),
               "n_zero": int(kernel.size - np.count_nonzero(kernel)),
               "sparsity": float(1 - np.count_nonzero(kernel) / kernel.size)}
              for kernel in kernels]
    n_weights = sum(layer["n_weights"] for layer in layers)
    n_zero = sum(layer["n_zero"] for layer in layers)
    return {"threshold": threshold, "target_sparsity": sparsity, "layers": layers,
            "n_weights": n_weights, "n_zero": n_zero, "sparsity": n_zero / n_weights}


class InferenceMixin:
    """``prune`` and ``with_inference_dtype`` for estimators with a fitted
    network (``_network()``, stored by ``_store_network``)."""

    def prune(self, threshold=None, sparsity=None):
        """Return a copy whose smallest kernel weights are set to zero.

        Magnitude pruning: networks trained with an L1 penalty (``l1``)
        drive many weights close to zero but, trained by gradient steps,
        rarely to exactly zero; pruning makes them zero, so the copy
        compresses well and its kernels can be stored sparse (a 64-256-10
        digits classifier trained with ``l1=0.3`` and pruned at
        ``threshold=1e-3`` was 83% zeros; its zlib-compressed pickle, without
        optimizer state, shrank from 154 kB to 37 kB). Prediction itself
        still multiplies dense arrays, so it is not faster. Only dense kernels (``coefs_``) are
        pruned; biases, batch norm and PReLU parameters are kept.

        Give exactly one of:

        - ``threshold``: zero every kernel weight with ``|w| <= threshold``
          (each layer keeps what is larger, so layers end up as sparse as
          training made them);
        - ``sparsity``: zero the ``floor(sparsity * size)`` weights of
          smallest magnitude in each kernel (every layer the same fraction).

        The estimator itself is never modified. The copy predicts, scores
        and pickles like any fitted estimator; pruned weights are ordinary
        zeros, so training it further (``warm_start``, ``partial_fit``) lets
        them grow back.

        Parameters
        ----------
        threshold : float >= 0 or None, default=None
            Largest magnitude that is set to zero.
        sparsity : float in [0, 1] or None, default=None
            Fraction of each kernel to set to zero.

        Returns
        -------
        pruned : estimator
            A new fitted estimator of the same class and parameters, with
            the attribute ``pruning_report_``, a dict: ``'threshold'`` and
            ``'target_sparsity'`` (the arguments), ``'layers'`` (per kernel,
            input side first: ``'shape'``, ``'n_weights'``, ``'n_zero'`` and
            ``'sparsity'``, the fraction of zero weights after pruning,
            zeros from training included), and the totals over all kernels
            ``'n_weights'``, ``'n_zero'`` and ``'sparsity'``.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from sknn import MLPClassifier
        >>> X, y = load_digits(return_X_y=True)
        >>> clf = MLPClassifier(hidden_layer_sizes=(32,), l1=0.3, max_iter=100,
        ...                     random_state=0).fit(X / 16, y)
        >>> pruned = clf.prune(threshold=1e-3)
        >>> report = pruned.pruning_report_
        >>> report["sparsity"] > 0.5, [layer["shape"] for layer in report["layers"]]
        (True, [(64, 32), (32, 10)])
        >>> bool(pruned.score(X / 16, y) >= clf.score(X / 16, y) - 0.01)
        True
        >>> half = clf.prune(sparsity=0.5)  # the same fraction in every kernel
        >>> [layer["sparsity"] for layer in half.pruning_report_["layers"]]
        [0.5, 0.5]
        """
        check_is_fitted(self)
        _check_pruning_arguments(threshold, sparsity)
        network = self._network()
        kernels = [_prune_kernel(kernel, threshold, sparsity) for kernel in network.kernels]
        pruned = copy.deepcopy(self)
        pruned._store_network(pruned._network().with_dense(kernels, pruned.intercepts_))
        pruned.pruning_report_ = _sparsity_report(kernels, threshold, sparsity)
        return pruned

    def with_inference_dtype(self, dtype):
        """Return a copy whose weights are stored in ``dtype``, for prediction.

        'float32' halves the memory of a float64 network (the MLP
        estimators' default) and speeds up its matrix products; 'float16'
        halves it again. NumPy has no fast float16 matrix product (about
        300x slower than float32 on a CPU), so a float16 copy stores its
        weights in float16 and computes in float32, casting each layer's
        weights as it goes: as fast as float32 on large batches, about
        0.15 ms slower per call for a 64-256-256-10 network on one row.
        Inputs are cast to the compute dtype (float32 for
        'float16' and 'float32', float64 for 'float64'), and so are the
        predicted probabilities or values. Rounding the weights changes
        predictions by about float16's resolution (1e-3 relative) or
        float32's (1e-7).

        The estimator itself is never modified. The copy does not carry the
        optimizer state or the early-stopping snapshot (they belong to the
        training dtype); ``fit`` on it trains afresh in the dtype of ``X``.

        Parameters
        ----------
        dtype : {'float16', 'float32', 'float64'}
            Storage dtype of every weight (kernels, biases, batch norm and
            PReLU parameters).

        Returns
        -------
        converted : estimator
            A new fitted estimator of the same class and parameters, with
            the attribute ``memory_report_``, a dict: ``'dtype'`` (storage),
            ``'compute_dtype'``, ``'coefs_nbytes'`` (bytes of ``coefs_``),
            ``'nbytes'`` (bytes of every weight) and ``'original_nbytes'``
            (the same for the original estimator).

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.datasets import load_digits
        >>> from sknn import MLPClassifier
        >>> X, y = load_digits(return_X_y=True)
        >>> clf = MLPClassifier(hidden_layer_sizes=(64,), max_iter=50,
        ...                     random_state=0).fit(X / 16, y)
        >>> half = clf.with_inference_dtype("float16")
        >>> half.coefs_[0].dtype, half.memory_report_["compute_dtype"]
        (dtype('float16'), 'float32')
        >>> half.memory_report_["nbytes"] / half.memory_report_["original_nbytes"]
        0.25
        >>> bool(np.abs(half.predict_proba(X / 16) - clf.predict_proba(X / 16)).max() < 1e-2)
        True
        """
        check_is_fitted(self)
        name = _dtype_name(dtype)
        if name not in COMPUTE_DTYPES:
            raise ValueError(f"dtype must be one of {sorted(COMPUTE_DTYPES)}, got {dtype!r}.")
        dtype = name
        network = self._network()
        _check_representable(network.weights, dtype)
        # training state stays behind: it belongs to the training dtype; the
        # weights are replaced by their cast copies
        state = {key: value for key, value in self.__dict__.items() if key not in (
            "_optimizer", "_train_state", "network_", "coefs_", "intercepts_")}
        converted = type(self).__new__(type(self))
        converted.__dict__.update(copy.deepcopy(state))
        converted._store_network(network.astype(dtype))
        converted._inference_dtype = dtype
        converted.memory_report_ = {
            "dtype": dtype, "compute_dtype": COMPUTE_DTYPES[dtype],
            "coefs_nbytes": int(sum(kernel.nbytes for kernel in converted.coefs_)),
            "nbytes": converted.network_.nbytes, "original_nbytes": network.nbytes,
        }
        return converted


def _dtype_name(dtype):
    """'float32' for 'float32', np.float32 or np.dtype('float32'); None if not a dtype."""
    try:
        return None if dtype is None else np.dtype(dtype).name  # np.dtype(None) is float64
    except (TypeError, ValueError):
        return None


def _check_representable(weights, dtype):
    largest = max(float(np.abs(value).max()) for layer in weights for value in layer.values()
                  if np.size(value))
    limit = float(np.finfo(dtype).max)
    if largest > limit:
        raise ValueError(f"A weight of magnitude {largest:g} exceeds the largest {dtype} "
                         f"({limit:g}); it would become inf. Use a wider dtype.")
