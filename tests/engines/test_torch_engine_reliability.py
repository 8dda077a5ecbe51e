"""The torch backend under threads and odd inputs.

A fit leaves torch's global random stream and thread count as it found
them, gives the same weights for the same ``random_state`` whatever else
the process does, skips minibatches whose sample weights are all zero, and
accepts every dropout rate in [0, 1).
"""

import threading

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

torch = pytest.importorskip("torch")

from sknn import MLPClassifier, MLPRegressor  # noqa: E402
from sknn.network import initial_weights  # noqa: E402
from sknn.engines.torch_engine import TorchEngine, build_module  # noqa: E402
from sknn.nn.activations import RRELU_LOWER, RRELU_UPPER  # noqa: E402
from sknn.nn.layers import Dropout as NumpyDropout  # noqa: E402
from sknn.nn.optimizers import make_optimizer  # noqa: E402
from sknn.spec import Activation, Dropout, NetworkSpec, mlp_spec  # noqa: E402

# The fits stop at max_iter on purpose. Filtered for the whole test, not with
# warnings.catch_warnings in _fit: that swaps the process-wide filters and is
# not safe in the threads some tests fit in.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

RANDOM_LAYERS = {
    "dropout": dict(dropout=0.3, input_dropout=0.1),
    "alpha dropout": dict(activation="selu", dropout=0.2, dropout_kind="alpha"),
    "rrelu": dict(activation="rrelu"),
}


def _classification(n_samples=120, seed=0):
    return make_classification(n_samples=n_samples, n_features=8, n_informative=5,
                               random_state=seed)


def _fit(X, y, **params):
    params = dict(dict(hidden_layer_sizes=(16,), batch_size=10, max_iter=4, random_state=0,
                       backend="torch", device="cpu"), **params)
    return MLPClassifier(**params).fit(X, y)


def _weights(model):
    return model.coefs_ + model.intercepts_


def _assert_identical(first, second):
    for a, b in zip(_weights(first), _weights(second)):
        np.testing.assert_array_equal(a, b)


class _Threads:
    """Runs callables in threads and re-raises the first exception they raised."""

    def __init__(self, *targets):
        self.errors = []
        self.threads = [threading.Thread(target=self._guard(target)) for target in targets]

    def _guard(self, target):
        def run():
            try:
                target()
            except BaseException as error:  # re-raised in join()
                self.errors.append(error)
        return run

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def join(self):
        for thread in self.threads:
            thread.join()
        if self.errors:
            raise self.errors[0]


# -- torch's global random stream ------------------------------------------------

@pytest.mark.parametrize("params", [{}, *RANDOM_LAYERS.values()],
                         ids=["plain", *RANDOM_LAYERS])
def test_a_fit_leaves_torch_global_random_state_alone(params):
    X, y = _classification()
    state, seed = torch.get_rng_state(), torch.initial_seed()
    _fit(X, y, **params)
    assert torch.initial_seed() == seed
    assert torch.equal(torch.get_rng_state(), state)


def test_building_the_network_leaves_torch_global_random_state_alone():
    spec = mlp_spec(8, (16, 16), 3, "rrelu", "squared_error", dropout=0.3)
    state = torch.get_rng_state()
    build_module(spec, torch.device("cpu"))
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.parametrize("params", RANDOM_LAYERS.values(), ids=RANDOM_LAYERS)
def test_the_same_random_state_gives_the_same_weights_whatever_the_global_stream(params):
    X, y = _classification()
    reference = _fit(X, y, **params)
    with torch.random.fork_rng(devices=[]):  # the caller's own use of the global stream
        torch.manual_seed(12345)
        torch.rand(1000)
        again = _fit(X, y, **params)
        torch.seed()
        reseeded = _fit(X, y, **params)
    _assert_identical(reference, again)
    _assert_identical(reference, reseeded)
    assert not np.array_equal(_weights(reference)[0], _weights(_fit(X, y, random_state=1,
                                                                    **params))[0])


@pytest.mark.parametrize("params", RANDOM_LAYERS.values(), ids=RANDOM_LAYERS)
def test_a_fit_with_random_layers_is_the_same_while_another_thread_fits(params):
    X, y = _classification(200)
    X_other, y_other = _classification(200, seed=1)
    reference = _fit(X, y, **params)
    busy = threading.Event()
    done = threading.Event()

    def other_fits():
        while not done.is_set():
            _fit(X_other, y_other, random_state=7, dropout=0.5, activation="rrelu")
            busy.set()

    for _ in range(3):
        busy.clear()
        done.clear()
        results = []
        other = _Threads(other_fits).start()
        busy.wait(timeout=60)  # the other thread is in its second fit, or failed
        mine = _Threads(lambda: results.append(_fit(X, y, **params))).start()
        try:
            mine.join()
        finally:
            done.set()
            other.join()
        _assert_identical(reference, results[0])


# -- torch's thread count ----------------------------------------------------------

def _fresh_thread_count():
    """The count a new thread starts with: torch's process-wide setting."""
    counts = []
    _Threads(lambda: counts.append(torch.get_num_threads())).start().join()
    return counts[0]


@pytest.fixture
def two_torch_threads():
    """Torch set to 2 threads (a single-threaded torch never switches to one thread)."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield 2
    torch.set_num_threads(before)


def test_concurrent_small_batch_fits_leave_torch_thread_count_as_it_was(two_torch_threads):
    # Small batches run on one torch thread; concurrent fits must still leave
    # the count they found, in their own threads, in the main thread and for
    # threads started afterwards.
    X, y = _classification()
    counts_after = []

    def fit_then_count():
        _fit(X, y, max_iter=2)
        counts_after.append(torch.get_num_threads())

    for _ in range(5):
        workers = _Threads(*[fit_then_count] * 3).start()
        fit_then_count()
        workers.join()
    assert counts_after == [two_torch_threads] * 20
    assert torch.get_num_threads() == two_torch_threads
    assert _fresh_thread_count() == two_torch_threads


def test_small_batches_run_on_one_torch_thread(two_torch_threads, monkeypatch):
    seen = []
    original_update = TorchEngine._update

    def recording_update(self, lr):
        seen.append(torch.get_num_threads())
        return original_update(self, lr)

    monkeypatch.setattr(TorchEngine, "_update", recording_update)
    X, y = _classification()
    _fit(X, y, max_iter=1)
    assert seen and set(seen) == {1}
    assert torch.get_num_threads() == two_torch_threads


# -- minibatches whose sample weights are all zero -----------------------------------

def _regression(n_samples=100):
    X, y = make_regression(n_samples=n_samples, n_features=5, noise=1.0, random_state=0)
    return X, y / 100


def _fit_regressor(X, y, sample_weight, **params):
    params = dict(dict(hidden_layer_sizes=(8,), batch_size=10, shuffle=False, max_iter=3,
                       tol=0.0, n_iter_no_change=np.inf, random_state=0, backend="torch",
                       device="cpu"), **params)
    return MLPRegressor(**params).fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("zero_weight", [0.0, 1e-60], ids=["zero", "float32-underflow"])
def test_zero_weight_minibatches_are_skipped(solver, zero_weight):
    # The first five batches weigh nothing (1e-60 is 0 in float32): training
    # on all rows must equal training on the weighted rows alone, whose
    # batches are the same slices.
    X, y = _regression()
    X, y = X.astype(np.float32), y.astype(np.float32)
    weight = np.ones(len(X))
    weight[:50] = zero_weight
    params = dict(solver=solver, alpha=1e-3, l1=1e-4, clip_norm=0.5, max_norm=3.0)
    full = _fit_regressor(X, y, weight, **params)
    weighted_rows = _fit_regressor(X[50:], y[50:], weight[50:], **params)
    assert all(np.isfinite(w).all() for w in _weights(full))
    for a, b in zip(_weights(full), _weights(weighted_rows)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert full._optimizer.n_steps == weighted_rows._optimizer.n_steps == 15


def test_zero_class_weight_minibatches_are_skipped():
    X, y = _classification(100)
    order = np.argsort(y, kind="stable")  # class 0 first: its batches weigh nothing
    X, y = X[order], y[order]
    model = _fit(X, y, class_weight={0: 0.0, 1: 1.0}, shuffle=False, max_iter=2,
                 alpha=1e-3)
    assert all(np.isfinite(w).all() for w in _weights(model))
    n_class_one_batches = 100 // 10 - np.count_nonzero(y == 0) // 10
    assert model._optimizer.n_steps == 2 * n_class_one_batches


def _torch_engine(spec, seed=0):
    weights = initial_weights(spec, np.random.RandomState(seed))
    return TorchEngine(spec, weights, optimizer=make_optimizer("adam"))


def test_a_zero_weight_step_changes_nothing_and_returns_none():
    spec = mlp_spec(5, (6,), 2, "tanh", "squared_error")
    torch_engine = _torch_engine(spec)
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(20, 5)), rng.normal(size=(20, 2))
    weight = np.r_[np.zeros(10), np.ones(10)]
    data = torch_engine.prepare(X, Y, weight)
    float(torch_engine.train_step(data, slice(10, 20), 0.01))  # the optimizer has state
    weights = torch_engine.get_weights()
    for idx in (slice(0, 10), np.arange(10)[::-1], np.array([3, 1, 4])):
        assert torch_engine.train_step(data, idx, 0.01) is None
    torch_engine.end_fit()
    assert torch_engine.optimizer.n_steps == 1  # the one step with weight
    for before, after in zip(weights, torch_engine.get_weights()):
        for key in before:
            np.testing.assert_array_equal(before[key], after[key])


def test_a_zero_weight_step_before_any_other_leaves_the_optimizer_untouched():
    spec = mlp_spec(5, (6,), 2, "tanh", "squared_error")
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(20, 5)), rng.normal(size=(20, 2))
    weight = np.r_[np.zeros(10), np.ones(10)]
    skipping, reference = _torch_engine(spec), _torch_engine(spec)
    skipping_data = skipping.prepare(X, Y, weight)
    reference_data = reference.prepare(X[10:], Y[10:], weight[10:])
    assert skipping.train_step(skipping_data, slice(0, 10), 0.01) is None
    for _ in range(3):
        losses = [float(skipping.train_step(skipping_data, slice(10, 20), 0.01)),
                  float(reference.train_step(reference_data, slice(0, 10), 0.01))]
        assert losses[0] == losses[1]
    np.testing.assert_array_equal(skipping.flat_parameters(), reference.flat_parameters())


# -- every dropout rate in [0, 1) ----------------------------------------------------

@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("kind", ["standard", "alpha"])
def test_a_fit_with_dropout_near_one_gives_finite_weights(backend, kind):
    X, y = _classification()
    model = _fit(X, y, dropout=0.999999, input_dropout=0.999999, dropout_kind=kind,
                 activation="selu" if kind == "alpha" else "relu", max_iter=2,
                 backend=backend)
    assert all(np.isfinite(w).all() for w in _weights(model))


@pytest.mark.parametrize("rate", [0.0, 2**-20, 0.1, 0.5, 0.99, 0.999, 0.99999, 0.999999,
                                  np.nextafter(1.0, 0.0)])
@pytest.mark.parametrize("kind", ["standard", "alpha"])
def test_torch_dropout_realizes_the_numpy_keep_probability(rate, kind):
    module = build_module(NetworkSpec(4, (Dropout(rate, kind),), "squared_error"), "cpu")[0]
    numpy_layer = NumpyDropout(rate, kind)
    assert module.keep == numpy_layer.keep
    assert module.keep == pytest.approx(1 - rate, rel=1e-3)
    if kind == "alpha":
        assert (module.a, module.b) == (numpy_layer.a, numpy_layer.b)


def _random_module(layer, width, seed, dtype=torch.float64):
    spec = NetworkSpec(width, (layer,), "squared_error")
    generator = torch.Generator().manual_seed(seed)
    module = build_module(spec, torch.device("cpu"), generator).to(dtype)
    return module.train()


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9, 0.999])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_torch_dropout_keeps_units_with_the_keep_probability_and_scales_them(rate, dtype):
    size = 2_000_000
    module = _random_module(Dropout(rate), 1000, seed=1, dtype=dtype)
    keep = module[0].keep
    X = torch.rand(size // 1000, 1000, generator=torch.Generator().manual_seed(2),
                   dtype=dtype) + 1
    Y = module(X)
    kept = Y != 0
    n_kept = int(kept.sum())
    assert abs(n_kept - keep * size) < 5 * np.sqrt(size * keep * (1 - keep))
    torch.testing.assert_close(Y[kept], X[kept] * (1 / keep), rtol=0, atol=0)
    ones = module(torch.ones(size // 1000, 1000, dtype=dtype))
    std_of_mean = np.sqrt((1 - keep) / keep / size)
    assert abs(float(ones.double().mean()) - 1.0) < 5 * std_of_mean
    assert torch.equal(module.eval()(X), X)


def test_torch_dropout_masks_are_independent_between_units_and_steps():
    module = _random_module(Dropout(0.5), 200, seed=3)
    masks = [module(torch.ones(500, 200, dtype=torch.float64)) != 0 for _ in range(2)]
    # agreement of two independent fair coins: 1/2, std 1/(2 sqrt(n))
    n = masks[0].numel()
    assert abs(float((masks[0] == masks[1]).double().mean()) - 0.5) < 5 * 0.5 / np.sqrt(n)
    columns = masks[0].double().mean(dim=0)
    assert abs(float(columns.std()) - 0.5 / np.sqrt(500)) < 0.01


def test_torch_alpha_dropout_keeps_zero_mean_and_unit_variance_of_selu_inputs():
    size = 2_000_000
    module = _random_module(Dropout(0.2, "alpha"), 1000, seed=4)
    # SELU of standard normal pre-activations is about (0, 1)-normalized;
    # standardize exactly so the check is about dropout alone
    Z = torch.nn.functional.selu(torch.randn(size // 1000, 1000, dtype=torch.float64,
                                             generator=torch.Generator().manual_seed(5)))
    X = (Z - Z.mean()) / Z.std()
    Y = module(X).ravel()
    fourth = float((Y**4).mean())
    assert abs(float(Y.mean())) < 5 / np.sqrt(size)
    assert abs(float(Y.var()) - 1.0) < 5 * np.sqrt((fourth - 1.0) / size)


def test_torch_rrelu_draws_slopes_uniform_between_its_bounds():
    from scipy import stats

    module = _random_module(Activation("rrelu"), 1000, seed=6)
    X = -torch.rand(500, 1000, dtype=torch.float64,
                    generator=torch.Generator().manual_seed(7)) - 0.5
    slopes = (module(X) / X).ravel().numpy()
    assert RRELU_LOWER <= slopes.min() and slopes.max() <= RRELU_UPPER
    result = stats.kstest(slopes, stats.uniform(RRELU_LOWER, RRELU_UPPER - RRELU_LOWER).cdf)
    assert result.pvalue > 1e-4
    positive = torch.rand(10, 1000, dtype=torch.float64,
                          generator=torch.Generator().manual_seed(8)) + 0.1
    assert torch.equal(module(positive), positive)
    # inference: the mean slope
    torch.testing.assert_close(module.eval()(X), X * (RRELU_LOWER + RRELU_UPPER) / 2)
