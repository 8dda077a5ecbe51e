"""The BLAS thread policy of a training run: how many threads matrix products get.

BLAS keeps one process-wide thread pool, so the limits are set around a whole
fit (:func:`compute_threads`) and shared by fits running at the same time
(:class:`_SharedLimits`). The torch engine asks :func:`blas_thread_limit`
whether its CPU thread pool should shrink to one thread as well.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading

import numpy as np
import scipy
import scipy.linalg.blas  # noqa: F401  (load SciPy's BLAS so threadpoolctl sees it)
from threadpoolctl import ThreadpoolController


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
    """Thread limits for a training run.

    NumPy's BLAS (matrix products) gets :func:`blas_thread_limit`; SciPy's
    BLAS, which runs the optimizers' vector updates (``axpy``), always gets
    one thread: threading a 64k-element ``axpy`` only adds synchronisation,
    and on a loaded 2-core machine it measured up to 50x slower. Concurrent
    fits share the process-wide limits through :class:`_SharedLimits`.
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
