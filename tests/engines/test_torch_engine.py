"""NumPy vs PyTorch engine parity, in float64 from the same initial weights.

Forward outputs agree to 1e-10; losses and weights after several training
steps to 1e-6. Random layers (dropout, rrelu in training) are compared by
their statistics, not their draws.
"""

import gc
import itertools
import warnings
import weakref

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

torch = pytest.importorskip("torch")

from sknn.engines import get_engine  # noqa: E402
from sknn.engines.numpy_engine import NumpyEngine  # noqa: E402
from sknn.network import initial_weights  # noqa: E402
from sknn.engines.torch_engine import (ACTIVATION_MODULES,  # noqa: E402
                                       CANONICAL_LINK_LOSSES, LOSS_FUNCTIONS,
                                       OPTIMIZER_RULES, OUTPUT_LINKS, TorchEngine,
                                       build_module, make_torch_loss)
from sknn.nn.activations import ACTIVATIONS  # noqa: E402
from sknn.nn.initializers import INITIALIZERS  # noqa: E402
from sknn.nn.losses import LOSSES, OUTPUT_ACTIVATIONS, LossSpec, make_loss  # noqa: E402
from sknn.nn.optimizers import OPTIMIZERS, make_optimizer  # noqa: E402
from sknn.spec import (BatchNorm, Dropout, NetworkSpec, PeriodicEmbedding,  # noqa: E402
                       Regularization, TrainConfig, mlp_spec)
from sknn.training import run_epoch  # noqa: E402

N_SAMPLES, N_FEATURES, N_OUTPUTS = 40, 5, 3
FORWARD_TOL, TRAIN_TOL = 1e-10, 1e-6
TRAINABLE = [name for name in ACTIVATIONS.names() if ACTIVATIONS.get(name).differentiable]


def _pair(spec, solver="adam", regularization=None, seed=0, **optimizer_params):
    """A NumPy and a torch engine from the same weights, each with its own optimizer."""
    weights = initial_weights(spec, np.random.RandomState(seed))
    regularization = regularization or Regularization()
    engines = []
    for engine_class in (NumpyEngine, TorchEngine):
        optimizer = make_optimizer(solver, **optimizer_params)
        engines.append(engine_class(spec, weights, optimizer=optimizer,
                                    regularization=regularization, rng=seed))
    return engines


def _data(loss=LossSpec("squared_error"), seed=1, weighted=True, n_outputs=N_OUTPUTS):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES)) * [1.0, 3.0, 0.5, 2.0, 1.0] + 0.5
    if loss.name == "log_loss":
        Y = np.eye(n_outputs)[rng.randint(n_outputs, size=N_SAMPLES)]
    elif loss.name == "binary_log_loss":
        Y = rng.randint(2, size=(N_SAMPLES, n_outputs)).astype(float)
    elif loss.name == "poisson":
        Y = rng.poisson(2.0, size=(N_SAMPLES, n_outputs)).astype(float)
    else:
        low, high = loss.output_bounds or (-2.0, 2.0)
        Y = rng.uniform(max(low, -2.0) + 0.1, min(high, 2.0) - 0.1, (N_SAMPLES, n_outputs))
    weight = rng.uniform(0.5, 2.0, N_SAMPLES) if weighted else None
    return X, Y, weight


def _assert_weights_close(first, second, tol):
    assert [sorted(layer) for layer in first] == [sorted(layer) for layer in second]
    for a, b in zip(first, second):
        for key in a:
            np.testing.assert_allclose(a[key], b[key], rtol=tol, atol=tol, err_msg=key)


def _train_and_compare(spec, data, steps=6, lrs=(0.01,), tol=TRAIN_TOL, forward_tol=FORWARD_TOL,
                       **kwargs):
    """Same steps on both engines: losses, weights and final forward must agree."""
    engines = _pair(spec, **kwargs)
    prepared = [engine.prepare(*data) for engine in engines]
    X = data[0]
    np.testing.assert_allclose(engines[0].forward(X), engines[1].forward(X),
                               rtol=forward_tol, atol=forward_tol)
    order = np.random.RandomState(2)
    for step in range(steps):
        idx = order.choice(N_SAMPLES, 16, replace=False) if step % 2 else slice(0, 24)
        lr = lrs[step % len(lrs)]
        losses = [float(engine.train_step(d, idx, lr)) for engine, d in zip(engines, prepared)]
        assert losses[1] == pytest.approx(losses[0], rel=tol, abs=tol)
    _assert_weights_close(engines[0].get_weights(), engines[1].get_weights(), tol)
    np.testing.assert_allclose(engines[0].forward(X), engines[1].forward(X), rtol=tol, atol=tol)
    assert engines[1].loss(prepared[1]) == pytest.approx(engines[0].loss(prepared[0]), rel=tol)
    return engines


# -- coverage of the registries ------------------------------------------------

def test_torch_maps_cover_every_registry_entry():
    assert set(ACTIVATIONS.names()) <= set(ACTIVATION_MODULES)
    assert set(OUTPUT_ACTIVATIONS.names()) <= set(OUTPUT_LINKS)
    assert set(LOSSES.names()) <= set(LOSS_FUNCTIONS) | set(CANONICAL_LINK_LOSSES)
    assert set(OPTIMIZERS.names()) <= set(OPTIMIZER_RULES)


def test_the_torch_engine_is_registered_under_torch():
    assert get_engine("torch") is TorchEngine


# -- forward and training parity -----------------------------------------------

@pytest.mark.parametrize("activation", ACTIVATIONS.names())
def test_forward_outputs_agree_for_every_activation(activation):
    spec = mlp_spec(N_FEATURES, (7, 6), N_OUTPUTS, activation, "squared_error")
    numpy_engine, torch_engine = _pair(spec)
    X = _data()[0]
    np.testing.assert_allclose(torch_engine.forward(X), numpy_engine.forward(X),
                               rtol=FORWARD_TOL, atol=FORWARD_TOL)


@pytest.mark.parametrize("activation", [name for name in TRAINABLE if name != "rrelu"])
def test_training_steps_agree_for_every_activation(activation):
    spec = mlp_spec(N_FEATURES, (7, 6), N_OUTPUTS, activation, "squared_error",
                    activation_alpha=0.2 if activation in ("leaky_relu", "prelu") else None)
    _train_and_compare(spec, _data(), lrs=(0.05,))


@pytest.mark.parametrize("initializer", INITIALIZERS.names())
def test_training_steps_agree_for_every_initializer(initializer):
    spec = mlp_spec(N_FEATURES, (6,), N_OUTPUTS, "tanh", "squared_error",
                    initializer=initializer)
    _train_and_compare(spec, _data())


OPTIMIZER_CASES = [("sgd", {"momentum": 0.9, "nesterov": True}),
                   ("sgd", {"momentum": 0.8, "nesterov": False}),
                   ("sgd", {"momentum": 0.0})]
OPTIMIZER_CASES += [(name, {}) for name in OPTIMIZERS.names() if name != "sgd"]
OPTIMIZER_CASES += [("adamw", {"weight_decay": 0.1})]


@pytest.mark.parametrize("solver, params", OPTIMIZER_CASES,
                         ids=[f"{name}-{params}" for name, params in OPTIMIZER_CASES])
def test_training_steps_agree_for_every_optimizer_with_a_changing_rate(solver, params):
    spec = mlp_spec(N_FEATURES, (6, 5), N_OUTPUTS, "relu", "squared_error")
    _train_and_compare(spec, _data(), steps=8, lrs=(0.02, 0.01, 0.005), solver=solver,
                       **params)


@pytest.mark.parametrize("position", ["before", "after"])
def test_batch_norm_trains_and_infers_alike(position):
    spec = mlp_spec(N_FEATURES, (6, 5), N_OUTPUTS, "tanh", "squared_error",
                    batch_norm=BatchNorm(momentum=0.8, epsilon=1e-3),
                    batch_norm_position=position)
    numpy_engine, torch_engine = _train_and_compare(spec, _data(), lrs=(0.05,))
    moving = [layer["moving_variance"] for layer in torch_engine.get_weights()
              if "moving_variance" in layer]
    assert all(not np.allclose(variance, 1.0) for variance in moving)  # they were updated


def test_batch_norm_accepts_a_batch_of_one_sample():
    spec = mlp_spec(N_FEATURES, (6,), N_OUTPUTS, "relu", "squared_error",
                    batch_norm=BatchNorm())
    engines = _pair(spec)
    prepared = [engine.prepare(*_data()) for engine in engines]
    losses = [float(engine.train_step(d, slice(3, 4), 0.01))
              for engine, d in zip(engines, prepared)]
    assert losses[1] == pytest.approx(losses[0], rel=TRAIN_TOL)
    _assert_weights_close(engines[0].get_weights(), engines[1].get_weights(), TRAIN_TOL)


@pytest.mark.parametrize("frozen", [False, True])
def test_a_periodic_embedding_trains_and_infers_alike(frozen):
    # penalties and max-norm leave its frequencies and phases alone in both engines
    spec = mlp_spec(N_FEATURES, (6, 5), N_OUTPUTS, "elu", "squared_error", input_dropout=0.0,
                    embedding=PeriodicEmbedding(3, 0.5, trainable=not frozen),
                    batch_norm=BatchNorm())
    numpy_engine, _ = _train_and_compare(
        spec, _data(), lrs=(0.05,), regularization=Regularization(alpha=0.3, l1=0.01,
                                                                   max_norm=0.8))
    initial = initial_weights(spec, np.random.RandomState(0))[0]
    moved = [not np.array_equal(numpy_engine.get_weights()[0][name], initial[name])
             for name in ("frequencies", "phases")]
    assert moved == [not frozen] * 2


def _every_loss_spec():
    """Every kind of loss the estimators build: each loss on each output it accepts,
    with and without output bounds, with the default and another Huber delta."""
    specs = []
    for name, output, bounds, delta in itertools.product(
            LOSSES.names(), [None, *OUTPUT_ACTIVATIONS.names()], [None, (0.5, 4.0)], [1.0, 0.5]):
        try:
            spec = LossSpec(name, output, bounds, delta)
        except ValueError:  # a combination the loss refuses (poisson on identity, ...)
            continue
        if spec not in specs:
            specs.append(spec)
    return specs


EVERY_LOSS_SPEC = _every_loss_spec()


def _loss_id(spec):
    bounds = "" if spec.output_bounds is None else "[{:g},{:g}]".format(*spec.output_bounds)
    delta = "" if spec.huber_delta in (None, 1.0) else f"-delta={spec.huber_delta:g}"
    smoothing = f"-smoothing={spec.label_smoothing:g}" if spec.label_smoothing else ""
    return f"{spec.name}-{spec.output_activation}{bounds}{delta}{smoothing}"


def test_every_loss_spec_covers_each_loss_output_bounds_and_delta():
    assert {spec.name for spec in EVERY_LOSS_SPEC} == set(LOSSES.names())
    outputs = {spec.output_activation for spec in EVERY_LOSS_SPEC}
    assert outputs == set(OUTPUT_ACTIVATIONS.names()) | {"softmax"}
    assert LossSpec("huber", "tanh", (0.5, 4.0), 0.5) in EVERY_LOSS_SPEC
    assert LossSpec("poisson", "logistic", (0.5, 4.0)) in EVERY_LOSS_SPEC
    assert ("poisson", "identity") not in {(spec.name, spec.output_activation)
                                           for spec in EVERY_LOSS_SPEC}  # refused


@pytest.mark.parametrize("weighted", [True, False], ids=["weighted", "unweighted"])
@pytest.mark.parametrize("loss", EVERY_LOSS_SPEC, ids=_loss_id)
def test_numpy_and_torch_losses_agree_in_value_and_gradient(loss, weighted):
    n_outputs = 1 if loss.name == "binary_log_loss" else N_OUTPUTS
    _, Y, weight = _data(loss, weighted=weighted, n_outputs=n_outputs)
    if loss.output_bounds is not None:  # targets inside the rescaled range
        Y = np.random.RandomState(3).uniform(*loss.output_bounds, size=Y.shape)
    raw = np.random.RandomState(2).normal(scale=1.5, size=Y.shape)
    value, gradient = make_loss(loss).value_and_gradient(raw.copy(), Y, weight)
    raw_tensor = torch.tensor(raw, requires_grad=True)
    per_sample = make_torch_loss(loss)(raw_tensor, torch.tensor(Y))
    if weight is None:
        torch_value = per_sample.mean()
    else:
        weight_tensor = torch.tensor(weight)
        torch_value = (per_sample * weight_tensor).sum() / weight_tensor.sum()
    torch_value.backward()
    assert torch_value.item() == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(raw_tensor.grad.numpy(), gradient, rtol=1e-10, atol=1e-14)


TRAINED_LOSSES = [LossSpec(name) for name in LOSSES.names()] + [
    LossSpec("huber", "tanh", (-1, 3), 0.5), LossSpec("poisson", "softplus"),
    LossSpec("squared_error", "logistic"), LossSpec("absolute_error", "relu"),
    LossSpec("squared_error", "exp")]


@pytest.mark.parametrize("loss", TRAINED_LOSSES, ids=_loss_id)
def test_training_steps_agree_for_every_loss(loss):
    n_outputs = 1 if loss.name == "binary_log_loss" else N_OUTPUTS
    spec = mlp_spec(N_FEATURES, (6,), n_outputs, "tanh", loss)
    _train_and_compare(spec, _data(loss, n_outputs=n_outputs), lrs=(0.02,))


@pytest.mark.parametrize("loss, n_outputs", [
    (LossSpec("log_loss", label_smoothing=0.1), N_OUTPUTS),
    (LossSpec("binary_log_loss", label_smoothing=0.2), 1),
    (LossSpec("binary_log_loss", label_smoothing=0.2), N_OUTPUTS)],
    ids=["multiclass", "binary", "multilabel"])
def test_training_steps_agree_with_label_smoothing(loss, n_outputs):
    spec = mlp_spec(N_FEATURES, (6,), n_outputs, "tanh", loss)
    data = _data(loss, n_outputs=n_outputs)
    numpy_engine, torch_engine = _train_and_compare(spec, data, steps=10, lrs=(0.02,))
    # both trained against the soft targets, not the 0/1 ones
    soft = loss.smoothed_targets(data[1], np.float64)
    np.testing.assert_array_equal(torch_engine.prepare(*data).Y.numpy(), soft)
    np.testing.assert_array_equal(numpy_engine.prepare(*data).Y, soft)


def test_the_smoothed_log_loss_of_the_torch_engine_is_torch_cross_entropy():
    loss = LossSpec("log_loss", label_smoothing=0.15)
    X, Y, _ = _data(loss, weighted=False)
    spec = mlp_spec(N_FEATURES, (6,), N_OUTPUTS, "tanh", loss)
    engine = TorchEngine(spec, initial_weights(spec, np.random.RandomState(0)))
    with torch.no_grad():
        expected = torch.nn.CrossEntropyLoss(label_smoothing=0.15)(
            engine.module(torch.tensor(X)), torch.tensor(Y.argmax(axis=1)))
    assert engine.loss(engine.prepare(X, Y)) == pytest.approx(expected.item(), rel=1e-12)


REGULARIZATIONS = [Regularization(alpha=0.3), Regularization(l1=0.05),
                   Regularization(alpha=0.1, l1=0.02, clip_value=0.05),
                   Regularization(alpha=0.1, clip_norm=0.1),
                   Regularization(max_norm=0.8), Regularization(l1=0.01, max_norm=0.5,
                                                                clip_norm=0.5)]


@pytest.mark.parametrize("regularization", REGULARIZATIONS, ids=str)
@pytest.mark.parametrize("weighted", [True, False])
def test_penalties_clipping_and_max_norm_agree(regularization, weighted):
    spec = mlp_spec(N_FEATURES, (6, 5), N_OUTPUTS, "relu", "squared_error",
                    batch_norm=BatchNorm())
    _train_and_compare(spec, _data(weighted=weighted), lrs=(0.1,), solver="sgd",
                       regularization=regularization)


def test_float32_training_agrees_to_float32_precision():
    spec = mlp_spec(N_FEATURES, (6,), N_OUTPUTS, "relu", "squared_error", dtype="float32")
    _train_and_compare(spec, _data(), tol=1e-4, forward_tol=1e-5)


# -- L-BFGS interface ------------------------------------------------------------

def test_loss_and_gradient_and_flat_parameters_agree():
    spec = mlp_spec(N_FEATURES, (6,), N_OUTPUTS, "prelu", "squared_error",
                    batch_norm=BatchNorm())
    engines = _pair(spec, regularization=Regularization(alpha=0.2, l1=0.01))
    np.testing.assert_array_equal(engines[0].flat_parameters(), engines[1].flat_parameters())
    flat = engines[0].flat_parameters() + 0.01 * np.arange(engines[0].flat_parameters().size)
    results = []
    for engine in engines:
        engine.set_flat_parameters(flat.copy())
        loss, grad = engine.loss_and_gradient(engine.prepare(*_data()))
        results.append((loss, np.array(grad)))
    assert results[1][0] == pytest.approx(results[0][0], rel=1e-12)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(engines[1].flat_parameters(), flat)


# -- data, lazy losses, weights ---------------------------------------------------

def test_sparse_input_is_densified():
    spec = mlp_spec(N_FEATURES, (6,), N_OUTPUTS, "relu", "squared_error")
    numpy_engine, torch_engine = _pair(spec)
    X, Y, weight = _data()
    X[X < 0.5] = 0.0
    sparse = sp.csr_matrix(X)
    np.testing.assert_allclose(torch_engine.forward(sparse), numpy_engine.forward(X),
                               rtol=FORWARD_TOL, atol=FORWARD_TOL)
    data = torch_engine.prepare(sparse, Y, weight)
    assert data.X.layout == torch.strided and data.n_samples == N_SAMPLES


def test_train_step_returns_a_lazy_device_scalar_summable_like_a_float():
    spec = mlp_spec(N_FEATURES, (6,), N_OUTPUTS, "relu", "squared_error")
    numpy_engine, torch_engine = _pair(spec)
    data = torch_engine.prepare(*_data())
    first = torch_engine.train_step(data, slice(0, 10), 0.01)
    second = torch_engine.train_step(data, slice(10, 20), 0.01)
    total = 0.0
    total += first * 10
    total += second * 10
    assert float(total / 20) == pytest.approx((float(first) + float(second)) / 2)


def test_set_weights_rejects_a_wrong_layout():
    spec = mlp_spec(N_FEATURES, (6,), N_OUTPUTS, "relu", "squared_error")
    torch_engine = _pair(spec)[1]
    with pytest.raises(ValueError, match="layers"):
        torch_engine.set_weights(torch_engine.get_weights()[:1])


# -- random layers: the same statistics --------------------------------------------

@pytest.mark.parametrize("kind", ["standard", "alpha"])
def test_dropout_preserves_the_mean_and_is_the_identity_at_inference(kind):
    rate = 0.3
    module = build_module(NetworkSpec(200, (Dropout(rate, kind),), "squared_error"), "cpu")
    X = torch.randn(2000, 200, dtype=torch.float64) + (0.0 if kind == "alpha" else 1.0)
    module.train()
    dropped = module(X)
    assert float(dropped.mean()) == pytest.approx(float(X.mean()), abs=0.02)
    assert float((dropped == 0).double().mean()) == pytest.approx(
        rate if kind == "standard" else 0.0, abs=0.01)
    if kind == "alpha":
        assert float(dropped.std()) == pytest.approx(float(X.std()), abs=0.02)
    module.eval()
    assert torch.equal(module(X), X)


def test_dropout_networks_lose_about_the_same_and_are_reproducible():
    spec = mlp_spec(N_FEATURES, (50,), N_OUTPUTS, "relu", "squared_error", dropout=0.4)
    X, Y, _ = _data()
    losses = []
    for _ in range(2):
        engines = _pair(spec, seed=3)
        data = [engine.prepare(X, Y) for engine in engines]
        losses.append([np.mean([float(engine.train_step(d, slice(None), 0.0))
                                for _ in range(200)]) for engine, d in zip(engines, data)])
    assert losses[0] == losses[1]  # same rng: same masks
    assert losses[0][1] == pytest.approx(losses[0][0], rel=0.05)


def test_a_torch_trained_network_leaves_torch_global_generator_alone():
    spec = mlp_spec(N_FEATURES, (6,), N_OUTPUTS, "rrelu", "squared_error", dropout=0.2)
    torch_engine = _pair(spec)[1]
    data = torch_engine.prepare(*_data())
    state = torch.get_rng_state()
    torch_engine.train_step(data, slice(None), 0.01)
    assert torch.equal(torch.get_rng_state(), state)


@pytest.mark.gpu
def test_training_on_cuda_agrees_with_numpy():
    spec = mlp_spec(N_FEATURES, (6, 5), N_OUTPUTS, "relu", "squared_error",
                    batch_norm=BatchNorm())
    weights = initial_weights(spec, np.random.RandomState(0))
    engines = [NumpyEngine(spec, weights, optimizer=make_optimizer("adam")),
               TorchEngine(spec, weights, optimizer=make_optimizer("adam"), device="cuda")]
    data = [engine.prepare(*_data()) for engine in engines]
    for _ in range(4):
        losses = [float(engine.train_step(d, slice(None), 0.01))
                  for engine, d in zip(engines, data)]
        assert losses[1] == pytest.approx(losses[0], rel=TRAIN_TOL)
    _assert_weights_close(engines[0].get_weights(), engines[1].get_weights(), TRAIN_TOL)


# -- data on the device: moved once per fit, the epoch's order once per epoch -------

class _UploadSpy:
    """Wraps ``torch.as_tensor``, recording the NumPy arrays it converts."""

    def __init__(self, monkeypatch):
        self.arrays, self._as_tensor = [], torch.as_tensor
        monkeypatch.setattr(torch, "as_tensor", self)

    def __call__(self, data, *args, **kwargs):
        if isinstance(data, np.ndarray):
            self.arrays.append(data)
        return self._as_tensor(data, *args, **kwargs)

    def integer_uploads(self):
        return [a for a in self.arrays if a.dtype.kind in "iu"]


def test_restoring_a_snapshot_brings_back_every_weight_and_statistic_bit_for_bit():
    spec = mlp_spec(N_FEATURES, (6,), N_OUTPUTS, "prelu", "squared_error",
                    batch_norm=BatchNorm())
    for engine in _pair(spec):
        data = engine.prepare(*_data())
        before = engine.get_weights()
        snapshot = engine.snapshot()
        for start in range(0, N_SAMPLES, 10):  # moves parameters and running statistics
            engine.train_step(data, slice(start, start + 10), 0.05)
        assert engine.parameters_finite()
        after = engine.get_weights()
        engine.restore(snapshot)
        for layer_before, layer_after, layer_restored in zip(before, after,
                                                             engine.get_weights()):
            for key in layer_before:
                assert not np.array_equal(layer_after[key], layer_before[key]), key
                np.testing.assert_array_equal(layer_restored[key], layer_before[key])
        engine.set_flat_parameters(np.full_like(engine.flat_parameters(), np.nan))
        assert not engine.parameters_finite()


def _host_weight_copies(monkeypatch):
    """A function fitting an estimator and returning the weights it copied to the host, in
    copies of the whole network: every tensor the torch engine hands over as NumPy goes
    through ``_to_numpy`` (forward's outputs and the loss scalars do not)."""
    import sknn.engines.torch_engine as torch_engine

    copied, to_numpy = [], torch_engine._to_numpy
    monkeypatch.setattr(torch_engine, "_to_numpy", lambda tensor, transposed=False: (
        copied.append(tensor.numel()), to_numpy(tensor, transposed))[1])

    def fit_and_count(estimator, X, y):
        copied.clear()
        estimator.fit(X, y)
        n_weights = sum(w.size for w in estimator.coefs_ + estimator.intercepts_)
        return sum(copied) / n_weights

    return fit_and_count


@pytest.mark.parametrize("early_stopping", [False, True])
def test_an_epoch_copies_the_weights_to_the_host_at_most_once(monkeypatch, early_stopping):
    # the loop's per-epoch copies (last completed epoch, best validation
    # epoch, divergence check) stay on the device; only a fit's start and
    # end may cross to the host
    from sknn import MLPRegressor

    fit_and_count = _host_weight_copies(monkeypatch)
    X, Y, _ = _data(weighted=False)
    copies = {}
    for max_iter in (3, 9):
        model = MLPRegressor(hidden_layer_sizes=(7,), backend="torch", max_iter=max_iter,
                             batch_size=10, tol=0.0, n_iter_no_change=100,
                             early_stopping=early_stopping, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            copies[max_iter] = fit_and_count(model, X, Y)
        assert model.n_iter_ == max_iter
    if early_stopping:  # several epochs improved, so best weights were kept
        assert len(set(model.validation_scores_)) > 1
    assert (copies[9] - copies[3]) / 6 <= 1


@pytest.mark.parametrize("batch_size", [8, 13, 40])
def test_an_epoch_uploads_its_order_once_and_trains_like_numpy(monkeypatch, batch_size):
    spec = mlp_spec(N_FEATURES, (6,), N_OUTPUTS, "tanh", "squared_error")
    engines = _pair(spec)
    data = [engine.prepare(*_data()) for engine in engines]
    spy = _UploadSpy(monkeypatch)
    config = TrainConfig(shuffle=True)
    losses, orders = [], []
    for engine, d in zip(engines, data):
        rng, order = np.random.RandomState(5), np.arange(N_SAMPLES)
        epochs = []
        for _ in range(3):
            loss, order = run_epoch(engine, d, config, rng, order, batch_size, 0.01)
            epochs.append(loss)
        losses.append(epochs)
        orders.append(order)
    uploads = spy.integer_uploads()
    assert len(uploads) == 3  # the torch engine's three epochs, one upload each
    assert all(upload.shape == (N_SAMPLES,) for upload in uploads)
    np.testing.assert_array_equal(uploads[-1], orders[1])
    np.testing.assert_allclose(losses[1], losses[0], rtol=TRAIN_TOL)
    _assert_weights_close(engines[0].get_weights(), engines[1].get_weights(), TRAIN_TOL)


def test_device_indices_are_the_host_indices_for_every_kind_of_index():
    torch_engine = _pair(mlp_spec(N_FEATURES, (6,), N_OUTPUTS, "relu", "squared_error"))[1]
    order = np.random.RandomState(0).permutation(N_SAMPLES)
    mask = np.arange(N_SAMPLES) % 3 == 0
    cases = [order[5:17], order[:1], order[30:], order, order[::2], order[::-1][3:9],
             order[4:10].astype(np.int32), order[4:10].astype(np.uint16), mask,
             np.array([3, 1, 2]), np.arange(N_SAMPLES)[7:9]]
    for idx in cases:
        expected = np.flatnonzero(idx) if idx.dtype == bool else idx
        np.testing.assert_array_equal(torch_engine._device_indices(idx).numpy(), expected)
    # a slice of an uploaded array is cut from the device copy, not uploaded again
    first = torch_engine._device_indices(order[0:8])
    assert torch_engine._device_indices(order[8:16]).untyped_storage().data_ptr() == (
        first.untyped_storage().data_ptr())


def test_changing_the_order_array_between_epochs_is_seen():
    # The loop draws a fresh order array every epoch; a new array is a new upload.
    torch_engine = _pair(mlp_spec(N_FEATURES, (6,), N_OUTPUTS, "relu", "squared_error"))[1]
    first, second = np.arange(N_SAMPLES), np.arange(N_SAMPLES)[::-1].copy()
    np.testing.assert_array_equal(torch_engine._device_indices(first[:4]).numpy(), first[:4])
    np.testing.assert_array_equal(torch_engine._device_indices(second[:4]).numpy(), second[:4])


def test_a_fit_uploads_the_data_once_and_the_order_once_per_epoch(monkeypatch):
    from sknn import MLPRegressor

    X, Y, _ = _data()
    spy = _UploadSpy(monkeypatch)
    model = MLPRegressor(hidden_layer_sizes=(6,), batch_size=8, max_iter=4, tol=0,
                         n_iter_no_change=np.inf, random_state=0, backend="torch")
    with pytest.warns(Warning):  # max_iter reached
        model.fit(X, Y)
    float_uploads = [a for a in spy.arrays if a.dtype.kind == "f" and a.shape[0] == N_SAMPLES]
    assert [a.shape for a in float_uploads] == [X.shape, Y.shape]  # once per fit
    assert len(spy.integer_uploads()) == model.n_iter_ == 4  # once per epoch, not per batch


def test_the_engine_and_its_tensors_are_freed_when_fit_returns(monkeypatch):
    # Reference counting alone frees them (no cycle waits for the garbage
    # collector): on a GPU that is what returns the memory right after fit.
    from sknn import MLPClassifier

    engines = []
    original_init = TorchEngine.__init__

    def recording_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        engines.append(weakref.ref(self))

    monkeypatch.setattr(TorchEngine, "__init__", recording_init)
    X, Y, _ = _data(LossSpec("log_loss"))
    for params in (dict(solver="adam"), dict(solver="nadam", batch_norm=True),
                   dict(solver="lbfgs"), dict(solver="sgd", early_stopping=True)):
        model = MLPClassifier(hidden_layer_sizes=(6,), max_iter=2, random_state=0,
                              backend="torch", **params)
        # the first torch.optim optimizer imports torch._dynamo, whose import
        # frames are left to the collector once: fit once before looking
        with pytest.warns(Warning):
            model.fit(X, Y.argmax(axis=1))
        gc.collect()
        gc.disable()
        try:
            with pytest.warns(Warning):
                model.fit(X, Y.argmax(axis=1))
            assert engines[-1]() is None, params
        finally:
            gc.enable()
