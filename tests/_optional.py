"""Whether an optional package is installed, for tests that need an extra."""

import importlib.util
import sys


def installed(package):
    """True when ``package`` can be imported.

    A package already imported counts as installed without a look at its
    spec: some (optuna_integration) replace their module by one whose
    ``__spec__`` is None, on which :func:`importlib.util.find_spec` raises.
    """
    return package in sys.modules or importlib.util.find_spec(package) is not None
