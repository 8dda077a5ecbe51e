"""Helpers of tests that need an optional package or a benchmark script."""

import importlib.util
import sys


def installed(package):
    """True when ``package`` can be imported.

    A package already imported counts as installed without a look at its
    spec: some (optuna_integration) replace their module by one whose
    ``__spec__`` is None, on which :func:`importlib.util.find_spec` raises.
    """
    return package in sys.modules or importlib.util.find_spec(package) is not None


def load_benchmark(name):
    """The module of ``benchmarks/<name>.py``, loaded as its script would be.

    Run as a script, a benchmark finds its sibling ``_common`` on
    ``sys.path[0]``; here the benchmarks folder goes there only while the
    module loads.
    """
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module
