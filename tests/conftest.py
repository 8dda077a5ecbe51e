import numpy as np
import pytest


@pytest.fixture(params=[0, 42])
def global_random_seed(request):
    """scikit-learn's seed fixture, for its shipped tests run against sknn."""
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def pytest_collection_modifyitems(config, items):
    """Skip tests marked ``gpu`` where no CUDA device is available.

    torch is imported only when such a test was collected, so NumPy-only
    runs never import it.
    """
    gpu_tests = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu_tests:
        return
    reason = _missing_cuda_reason()
    if reason:
        for item in gpu_tests:
            item.add_marker(pytest.mark.skip(reason=reason))


def _missing_cuda_reason():
    try:
        import torch
    except ImportError:
        return "gpu test: PyTorch is not installed"
    if not torch.cuda.is_available():
        return "gpu test: no CUDA device here (torch.cuda.is_available() is False)"
    return None
