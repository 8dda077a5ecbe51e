import numpy as np
import pytest


@pytest.fixture(params=[0, 42])
def global_random_seed(request):
    """scikit-learn's seed fixture, for its shipped tests run against sknn."""
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(0)
