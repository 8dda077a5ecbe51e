"""``backend='torch'`` on a CUDA device: the same fits as on the CPU, NumPy
artifacts, GPU memory handed back after every fit, no host synchronisation
per training step.

Every test here is marked ``gpu``; tests/conftest.py skips them where
``torch.cuda.is_available()`` is False. On a GPU machine:
``pytest -m gpu tests/``.
"""

import pickle

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.model_selection import cross_val_score

torch = pytest.importorskip("torch")

from sknn import DeepNetRegressor, MLPClassifier, MLPRegressor  # noqa: E402
from sknn.network import initial_weights  # noqa: E402
from sknn.engines.torch_engine import TorchEngine  # noqa: E402
from sknn.nn.optimizers import OPTIMIZERS, make_optimizer  # noqa: E402
from sknn.spec import BatchNorm, Regularization, mlp_spec  # noqa: E402
from tests.estimators.test_backend_torch import TorchFreePickler  # noqa: E402

pytestmark = [pytest.mark.gpu,
              pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")]

DEVICE = "cuda"
PARAMS = dict(hidden_layer_sizes=(64, 32), batch_size=32, max_iter=5, random_state=0)


def _classification(n_samples=400):
    return make_classification(n_samples=n_samples, n_features=12, n_informative=8,
                               n_classes=3, random_state=0)


def _allocated():
    torch.cuda.synchronize()
    return torch.cuda.memory_allocated()


@pytest.mark.parametrize("dtype, atol, loss_rtol", [(np.float64, 1e-7, 1e-9),
                                                     (np.float32, 1e-3, 1e-4)])
def test_a_cuda_fit_predicts_like_the_cpu_engines(dtype, atol, loss_rtol):
    X, y = _classification()
    X = X.astype(dtype)
    on_cuda = MLPClassifier(backend="torch", device=DEVICE, **PARAMS).fit(X, y)
    on_cpu = MLPClassifier(backend="torch", device="cpu", **PARAMS).fit(X, y)
    with_numpy = MLPClassifier(backend="numpy", **PARAMS).fit(X, y)
    for reference in (on_cpu, with_numpy):
        np.testing.assert_allclose(on_cuda.predict_proba(X), reference.predict_proba(X),
                                   atol=atol)
        np.testing.assert_allclose(on_cuda.loss_curve_, reference.loss_curve_,
                                   rtol=loss_rtol)
    assert on_cuda.coefs_[0].dtype == dtype


def test_a_regressor_with_the_technique_catalog_trains_alike_on_cuda():
    X, y = make_regression(n_samples=300, n_features=8, noise=1.0, random_state=0)
    params = dict(hidden_layer_sizes=(32, 16), solver="nadam", batch_norm=True,
                  alpha=1e-3, l1=1e-4, clip_norm=1.0, max_norm=3.0, batch_size=32,
                  max_iter=4, random_state=0)
    fits = [MLPRegressor(backend="torch", device=device, **params).fit(X, y / 100)
            for device in ("cpu", DEVICE)]
    np.testing.assert_allclose(fits[1].predict(X), fits[0].predict(X), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("solver", OPTIMIZERS.names())
def test_partial_fit_continues_the_optimizer_state_on_cuda(solver):
    # the second and third calls import the state exported by the one before
    X, y = make_regression(n_samples=120, n_features=6, noise=1.0, random_state=0)
    fits = []
    for device in ("cpu", DEVICE):
        model = MLPRegressor(backend="torch", device=device, solver=solver,
                             hidden_layer_sizes=(16,), batch_size=32, shuffle=False,
                             learning_rate_init=0.01, random_state=0)
        for _ in range(3):
            model.partial_fit(X, y / 100)
        fits.append(model)
    np.testing.assert_allclose(fits[1].predict(X), fits[0].predict(X), rtol=1e-6, atol=1e-9)
    assert fits[1]._optimizer.n_steps == fits[0]._optimizer.n_steps == 3 * 4


def test_weights_and_optimizer_state_come_back_as_numpy():
    X, y = _classification()
    model = MLPClassifier(backend="torch", device=DEVICE, batch_norm=True, **PARAMS).fit(X, y)
    assert all(type(array) is np.ndarray for array in model.coefs_ + model.intercepts_)
    state = model._optimizer.state_dict()
    assert type(state["m"]) is np.ndarray and type(state["v"]) is np.ndarray
    blob = _pickle_without_torch(model)
    np.testing.assert_array_equal(pickle.loads(blob).predict_proba(X), model.predict_proba(X))


def _pickle_without_torch(model):
    import io

    buffer = io.BytesIO()
    TorchFreePickler(buffer).dump(model)
    return buffer.getvalue()


def test_fit_hands_its_gpu_memory_back():
    X, y = _classification(2000)
    model = MLPClassifier(backend="torch", device=DEVICE, **dict(PARAMS, max_iter=3))
    model.fit(X, y)  # CUDA context, cuBLAS workspace, lazy imports: once per process
    before = _allocated()
    torch.cuda.reset_peak_memory_stats()
    model.fit(X, y)
    assert torch.cuda.max_memory_allocated() >= before + X.nbytes  # the data was on the GPU
    assert _allocated() == before


def test_a_cross_validation_loop_does_not_accumulate_gpu_memory():
    X, y = _classification(900)
    estimator = MLPClassifier(backend="torch", device=DEVICE, **dict(PARAMS, max_iter=3))
    cross_val_score(estimator, X, y, cv=2)  # warm-up, as above
    before = _allocated()
    levels = []
    for _ in range(2):
        scores = cross_val_score(estimator, X, y, cv=3)
        assert np.all(scores > 0.5)
        levels.append(_allocated())
    assert levels == [before, before]


def test_a_deep_net_with_early_stopping_hands_its_gpu_memory_back():
    # validation data and best-weight snapshots live on the device too
    X, y = make_regression(n_samples=600, n_features=8, noise=1.0, random_state=0)
    model = DeepNetRegressor(n_hidden=3, n_neurons=32, max_iter=4, random_state=0,
                             backend="torch", device=DEVICE)
    model.fit(X, y / 100)
    before = _allocated()
    model.fit(X, y / 100)
    assert _allocated() == before
    assert model.n_iter_ >= 1


@pytest.mark.parametrize("solver, regularization, dropout", [
    ("adam", Regularization(), 0.2),
    ("sgd", Regularization(alpha=1e-3, max_norm=2.0), 0.0),
], ids=["adam-dropout", "sgd-l2-maxnorm"])
def test_training_steps_do_not_synchronize_with_the_host(solver, regularization, dropout):
    n_samples, batch_size = 256, 32
    spec = mlp_spec(10, (32, 16), 3, "relu", "squared_error", batch_norm=BatchNorm(),
                    dropout=dropout)
    weights = initial_weights(spec, np.random.RandomState(0))
    optimizer = make_optimizer(solver, momentum=0.9) if solver == "sgd" else make_optimizer(
        solver)
    engine = TorchEngine(spec, weights, optimizer=optimizer, regularization=regularization,
                         rng=0, device=DEVICE)
    rng = np.random.RandomState(0)
    data = engine.prepare(rng.normal(size=(n_samples, 10)), rng.normal(size=(n_samples, 3)))
    order = rng.permutation(n_samples)
    engine._device_indices(order[:1])  # the epoch's one upload, before the check
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")  # any synchronising call raises
    try:
        total = 0.0
        for start in range(0, n_samples, batch_size):
            idx = order[start:start + batch_size]
            total += engine.train_step(data, idx, 0.01) * idx.shape[0]
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert np.isfinite(float(total / n_samples))  # one synchronisation, here


def test_device_auto_picks_cuda_and_cuda_n_is_accepted():
    X, y = _classification(200)
    spec = mlp_spec(12, (4,), 3, "relu", "log_loss")
    engine = TorchEngine(spec, initial_weights(spec, np.random.RandomState(0)), device="auto")
    assert engine.device.type == "cuda"
    assert MLPClassifier(backend="torch", device="auto", **PARAMS).fit(X, y).score(X, y) > 0.5
    MLPClassifier(backend="torch", device="cuda:0", **PARAMS).fit(X, y)
    with pytest.raises(ValueError, match="device"):
        MLPClassifier(backend="torch", device=f"cuda:{torch.cuda.device_count()}",
                      **PARAMS).fit(X, y)
