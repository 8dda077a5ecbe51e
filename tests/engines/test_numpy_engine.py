"""NumPy engine with BatchNorm, Dropout, L1, clipping, max-norm and composed losses.

Covers the weight format (one dict per layer with parameters or buffers),
scikit-learn's initial draws, whole-network gradients with batch norm in
training mode, and the constraints that must hold after every update.
"""

import numpy as np
import pytest

from sknn.engines.numpy_engine import NumpyEngine
from sknn.network import Network, initial_weights
from sknn.nn.losses import LossSpec, make_loss
from sknn.nn.optimizers import make_optimizer
from sknn.spec import (Activation, BatchNorm, Dense, Dropout, NetworkSpec, Regularization,
                       mlp_spec)

from tests.nn.gradcheck import engine_numeric_gradient, reseeded_loss_and_gradient

N_SAMPLES, N_FEATURES, N_OUTPUTS = 10, 4, 3
EPS = 1e-6


def _spec(layers, loss="squared_error", dtype="float64"):
    return NetworkSpec(N_FEATURES, tuple(layers), loss, dtype)


BN_SPEC = _spec([Dense(5, "sklearn"), BatchNorm(momentum=0.9), Activation("tanh"),
                 Dense(4, "sklearn"), Activation("tanh"), BatchNorm(),
                 Dense(N_OUTPUTS, "sklearn")])
INPUT_BN_SPEC = _spec([BatchNorm(), Dense(5, "sklearn"), Activation("tanh"),
                       Dense(N_OUTPUTS, "sklearn")])
DROPOUT_SPEC = _spec([Dropout(0.2), Dense(6, "sklearn"), BatchNorm(), Activation("tanh"),
                      Dropout(0.3), Dense(5, "sklearn"), Dropout(0.25),
                      Activation("tanh"), Dense(N_OUTPUTS, "sklearn")])
PRELU_SPEC = _spec([Dense(5, "sklearn"), BatchNorm(), Activation("prelu", alpha=0.1),
                    Dropout(0.2), Dense(N_OUTPUTS, "sklearn")])
ALPHA_SPEC = _spec([Dense(6, "lecun_normal"), Activation("selu"), Dropout(0.2, "alpha"),
                    Dense(N_OUTPUTS, "lecun_normal")])


def _engine(spec, regularization=None, optimizer=None, seed=0):
    weights = initial_weights(spec, np.random.RandomState(seed))
    return NumpyEngine(spec, weights, optimizer=optimizer,
                       regularization=regularization or Regularization(), rng=seed)


def _data(engine, seed=1, weighted=True):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES)) * [1.0, 3.0, 0.5, 2.0] + 1.0
    Y = rng.normal(size=(N_SAMPLES, N_OUTPUTS))
    weight = rng.uniform(0.5, 2.0, N_SAMPLES) if weighted else None
    return engine.prepare(X, Y, weight)


def _numeric_gradient(engine, data):
    return engine_numeric_gradient(engine, data, EPS)


# -- initial weights and the weight format -----------------------------------

def _frozen_sklearn_draw(widths, seed):
    """scikit-learn's MLP initialization written out: kernel then bias per layer."""
    rs = np.random.RandomState(seed)
    weights = []
    for fan_in, fan_out in zip(widths, widths[1:]):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        kernel = rs.uniform(-bound, bound, (fan_in, fan_out))
        bias = rs.uniform(-bound, bound, fan_out)
        weights.append({"kernel": kernel, "bias": bias})
    return weights, rs


def test_initial_weights_of_a_dense_spec_are_the_frozen_random_state_draw():
    spec = mlp_spec(N_FEATURES, (5, 3), 2, "relu", "squared_error", initializer="sklearn")
    rng = np.random.RandomState(0)
    weights = initial_weights(spec, rng)
    expected, expected_rng = _frozen_sklearn_draw([N_FEATURES, 5, 3, 2], 0)
    assert [sorted(layer) for layer in weights] == [["bias", "kernel"]] * 3
    for layer, reference in zip(weights, expected):
        np.testing.assert_array_equal(layer["kernel"], reference["kernel"])
        np.testing.assert_array_equal(layer["bias"], reference["bias"])
    assert rng.randint(2**31) == expected_rng.randint(2**31)  # nothing else drawn


def test_batch_norm_and_dropout_draw_nothing_from_the_initialization_generator():
    spec = _spec([Dropout(0.1), BatchNorm(), Dense(5, "sklearn"), BatchNorm(),
                  Activation("relu"), Dropout(0.5), Dense(2, "sklearn")])
    rng = np.random.RandomState(3)
    weights = initial_weights(spec, rng)
    expected, expected_rng = _frozen_sklearn_draw([N_FEATURES, 5, 2], 3)
    assert [list(layer) for layer in weights] == [
        ["gamma", "beta", "moving_mean", "moving_variance"], ["kernel", "bias"],
        ["gamma", "beta", "moving_mean", "moving_variance"], ["kernel", "bias"]]
    for layer, reference in zip([weights[1], weights[3]], expected):
        np.testing.assert_array_equal(layer["kernel"], reference["kernel"])
        np.testing.assert_array_equal(layer["bias"], reference["bias"])
    assert rng.randint(2**31) == expected_rng.randint(2**31)
    np.testing.assert_array_equal(weights[0]["gamma"], np.ones(N_FEATURES))
    np.testing.assert_array_equal(weights[2]["beta"], np.zeros(5))
    np.testing.assert_array_equal(weights[2]["moving_mean"], np.zeros(5))
    np.testing.assert_array_equal(weights[2]["moving_variance"], np.ones(5))


def test_kernels_stay_first_and_only_kernels_count_as_penalized_parameters():
    engine = _engine(BN_SPEC)
    net = engine.network
    assert net.n_kernel_params == N_FEATURES * 5 + 5 * 4 + 4 * N_OUTPUTS
    kernels = [layer.kernel for layer in net.layers if hasattr(layer, "kernel")]
    np.testing.assert_array_equal(net.kernels, np.concatenate([k.ravel() for k in kernels]))
    n_other = 5 + 2 * 5 + 4 + 2 * 4 + N_OUTPUTS  # biases, gammas, betas
    assert net.params.size == net.n_kernel_params + n_other


def test_weights_round_trip_with_batch_norm_buffers():
    engine = _engine(BN_SPEC, optimizer=make_optimizer("adam", learning_rate=0.01))
    data = _data(engine)
    for _ in range(3):
        engine.train_step(data, np.arange(N_SAMPLES), 0.01)
    weights = engine.get_weights()
    assert [list(layer) for layer in weights] == [
        ["kernel", "bias"], ["gamma", "beta", "moving_mean", "moving_variance"],
        ["kernel", "bias"], ["gamma", "beta", "moving_mean", "moving_variance"],
        ["kernel", "bias"]]
    assert not np.allclose(weights[1]["moving_mean"], 0.0)
    assert not np.allclose(weights[1]["gamma"], 1.0)
    restored = NumpyEngine(BN_SPEC, weights)
    for got, expected in zip(restored.get_weights(), weights):
        for key in expected:
            np.testing.assert_array_equal(got[key], expected[key])
    np.testing.assert_array_equal(restored.forward(data.X), engine.forward(data.X))
    weights[1]["moving_variance"][:] = 7.0  # get_weights returns copies
    assert not np.any(engine.get_weights()[1]["moving_variance"] == 7.0)
    engine.set_weights(weights)
    np.testing.assert_array_equal(engine.network.layers[1].moving_variance, 7.0)


def test_set_weights_rejects_missing_or_misshapen_entries():
    engine = _engine(BN_SPEC)
    weights = engine.get_weights()
    with pytest.raises(ValueError, match="do not fit the network's layers"):
        engine.set_weights([w for w in weights if "kernel" in w])
    del weights[1]["moving_mean"]
    with pytest.raises(ValueError, match="moving_mean"):
        engine.set_weights(weights)
    weights = engine.get_weights()
    weights[3]["gamma"] = np.ones(7)
    with pytest.raises(ValueError, match="gamma"):
        engine.set_weights(weights)


@pytest.mark.parametrize("spec", [BN_SPEC, INPUT_BN_SPEC, DROPOUT_SPEC, ALPHA_SPEC, PRELU_SPEC],
                         ids=["bn", "input-bn", "dropout", "alpha", "prelu"])
def test_the_fitted_network_predicts_as_the_engine_inference_pass(spec):
    engine = _engine(spec, optimizer=make_optimizer("sgd", learning_rate=0.05))
    data = _data(engine)
    engine.train_step(data, np.arange(N_SAMPLES), 0.05)
    weights = engine.get_weights()
    saved = [{key: value.copy() for key, value in layer.items()} for layer in weights]
    X = data.X.copy()
    np.testing.assert_allclose(Network(spec, weights).forward(X), engine.forward(X),
                               rtol=1e-12)
    np.testing.assert_array_equal(X, data.X)
    for layer, before in zip(weights, saved):  # predicting writes to no stored array
        for key in layer:
            np.testing.assert_array_equal(layer[key], before[key])


# -- gradients ------------------------------------------------------------------

@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("spec", [BN_SPEC, INPUT_BN_SPEC, DROPOUT_SPEC, ALPHA_SPEC, PRELU_SPEC],
                         ids=["bn", "input-bn", "dropout", "alpha", "prelu"])
def test_network_gradient_with_batch_norm_and_dropout_matches_finite_differences(
        spec, weighted):
    engine = _engine(spec, Regularization(alpha=1e-2, l1=1e-2))
    data = _data(engine, weighted=weighted)
    _, grad = reseeded_loss_and_gradient(engine, data)
    analytic = grad.copy()
    np.testing.assert_allclose(analytic, _numeric_gradient(engine, data),
                               rtol=1e-5, atol=1e-7)


def test_l1_penalty_applies_to_kernels_only_and_scales_with_total_sample_weight():
    engine = _engine(BN_SPEC, Regularization(l1=0.05))
    data = _data(engine)
    loss_with, grad_with = engine.loss_and_gradient(data)
    grad_with = grad_with.copy()
    engine.l1 = 0.0
    loss_without, grad_without = engine.loss_and_gradient(data)
    kernels, n_kernel = engine.network.kernels, engine.network.n_kernel_params
    total = data.sample_weight.sum()
    assert loss_with - loss_without == pytest.approx(0.05 * np.abs(kernels).sum() / total)
    np.testing.assert_allclose(grad_with[:n_kernel] - grad_without[:n_kernel],
                               0.05 * np.sign(kernels) / total, rtol=1e-9, atol=1e-15)
    np.testing.assert_array_equal(grad_with[n_kernel:], grad_without[n_kernel:])


@pytest.mark.parametrize("regularization", [
    Regularization(alpha=0.1, l1=0.1),
    Regularization(alpha=0.1, l1=0.1, clip_value=0.05),
    Regularization(alpha=0.1, clip_norm=0.1)], ids=["plain", "clip-value", "clip-norm"])
def test_train_step_reports_the_penalized_loss_before_the_update(regularization):
    engine = _engine(BN_SPEC, regularization, make_optimizer("adam", learning_rate=0.01))
    data = _data(engine)
    expected, _ = engine.loss_and_gradient(data)
    assert engine.train_step(data, np.arange(N_SAMPLES), 0.01) == pytest.approx(expected,
                                                                               rel=1e-12)


# -- constraints -------------------------------------------------------------------

def _plain_sgd():
    return make_optimizer("sgd", learning_rate=1.0, momentum=0.0, nesterov=False)


def test_clip_value_bounds_every_entry_of_the_penalized_gradient():
    regularization = Regularization(alpha=0.5, l1=0.1, clip_value=0.02)
    engine = _engine(BN_SPEC, regularization, _plain_sgd())
    data = _data(engine)
    _, full = engine.loss_and_gradient(data)
    expected_step = -np.clip(full, -0.02, 0.02)  # clipped data + L1 + L2 gradient
    before = engine.flat_parameters().copy()
    engine.train_step(data, np.arange(N_SAMPLES), 1.0)
    step = engine.flat_parameters() - before
    assert np.abs(step).max() <= 0.02 * (1 + 1e-12)
    np.testing.assert_allclose(step, expected_step, rtol=1e-9, atol=1e-15)


def test_clip_norm_bounds_the_global_norm_of_the_penalized_gradient():
    regularization = Regularization(alpha=0.5, l1=0.1, clip_norm=0.03)
    engine = _engine(BN_SPEC, regularization, _plain_sgd())
    data = _data(engine)
    _, full = engine.loss_and_gradient(data)
    full = full.copy()
    assert np.linalg.norm(full) > 0.03
    before = engine.flat_parameters().copy()
    engine.train_step(data, np.arange(N_SAMPLES), 1.0)
    step = engine.flat_parameters() - before
    assert np.linalg.norm(step) == pytest.approx(0.03, rel=1e-9)
    np.testing.assert_allclose(step, -full * 0.03 / np.linalg.norm(full), rtol=1e-9,
                               atol=1e-15)


def test_max_norm_holds_after_every_update():
    engine = _engine(DROPOUT_SPEC, Regularization(max_norm=0.4),
                     make_optimizer("sgd", learning_rate=0.5))
    data = _data(engine)
    kernels = [layer.kernel for layer in engine.network.layers if hasattr(layer, "kernel")]
    assert max(np.linalg.norm(k, axis=0).max() for k in kernels) > 0.4
    order = np.random.RandomState(0)
    for _ in range(20):
        engine.train_step(data, order.choice(N_SAMPLES, 5, replace=False), 0.5)
        for kernel in kernels:
            assert np.linalg.norm(kernel, axis=0).max() <= 0.4 * (1 + 1e-12)
    assert any(np.isclose(np.linalg.norm(k, axis=0), 0.4).any() for k in kernels)


# -- modes, randomness, dtype ------------------------------------------------------

@pytest.mark.parametrize("spec", [INPUT_BN_SPEC, DROPOUT_SPEC, ALPHA_SPEC],
                         ids=["input-bn", "dropout", "alpha"])
def test_training_and_inference_passes_leave_the_callers_input_alone(spec):
    engine = _engine(spec, optimizer=make_optimizer("sgd", learning_rate=0.1))
    data = _data(engine)
    before = data.X.copy()
    engine.loss_and_gradient(data)
    engine.forward(data.X)
    engine.loss(data)
    engine.train_step(data, np.arange(N_SAMPLES), 0.1)
    np.testing.assert_array_equal(data.X, before)


def test_engine_inference_uses_running_statistics_and_no_dropout():
    engine = _engine(DROPOUT_SPEC, optimizer=make_optimizer("sgd", learning_rate=0.1))
    data = _data(engine)
    engine.train_step(data, np.arange(N_SAMPLES), 0.1)
    first = engine.forward(data.X)
    np.testing.assert_array_equal(engine.forward(data.X), first)  # deterministic
    single = engine.forward(data.X[:1])  # no batch statistics at inference
    np.testing.assert_allclose(single, first[:1], rtol=1e-12)
    raw_train, _ = engine.network.forward(data.X.copy(), training=True)
    assert not np.allclose(raw_train, first)


def test_dropout_masks_come_from_the_engine_generator():
    runs = []
    for seed in (0, 0, 1):
        spec = DROPOUT_SPEC
        weights = initial_weights(spec, np.random.RandomState(0))
        engine = NumpyEngine(spec, weights, optimizer=make_optimizer("sgd", learning_rate=0.1),
                             rng=np.random.default_rng(seed))
        data = _data(engine)
        for _ in range(3):
            engine.train_step(data, np.arange(N_SAMPLES), 0.1)
        runs.append(engine.flat_parameters().copy())
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.allclose(runs[0], runs[2])


def test_float32_engine_with_batch_norm_and_dropout_stays_float32():
    spec = _spec(DROPOUT_SPEC.layers, dtype="float32")
    engine = _engine(spec, Regularization(alpha=1e-3, l1=1e-3, max_norm=1.0, clip_norm=1.0),
                     make_optimizer("adam", learning_rate=0.01))
    data = _data(engine)
    loss = engine.train_step(data, np.arange(N_SAMPLES), 0.01)
    assert np.isfinite(loss)
    assert engine.flat_parameters().dtype == np.float32
    assert engine.network.grads.dtype == np.float32
    assert all(value.dtype == np.float32 for layer in engine.get_weights()
               for value in layer.values())
    assert engine.forward(data.X).dtype == np.float32


def test_build_layers_decides_input_gradients_and_in_place_buffers():
    from sknn.nn.network import build_layers

    spec = _spec([Dropout(0.1), Dense(5), Dropout(0.2), BatchNorm(), Activation("tanh"),
                  Dropout(0.3), BatchNorm(), Dense(2)])
    layers = build_layers(spec, np.random.default_rng(0))
    input_dropout, first, dropout, bn, _, late_dropout, late_bn, last = layers
    assert not input_dropout.needs_input_grad and not input_dropout.inplace  # the caller's X
    assert not first.needs_input_grad
    assert dropout.inplace and bn.inplace  # a dense output, then dropout's own buffer
    assert not late_dropout.inplace  # the activation's backward reads its output
    # late_dropout's output is the activation's own at inference: not reusable
    assert not late_bn.inplace
    assert dropout.needs_input_grad and last.needs_input_grad
    assert input_dropout.rng is dropout.rng

    input_bn = build_layers(_spec([BatchNorm(), Dense(2)]))
    assert not input_bn[0].needs_input_grad and not input_bn[0].inplace
    assert input_bn[1].needs_input_grad  # the batch norm's gamma and beta need it


# -- the engine resolves composed losses from the spec -------------------------------
@pytest.mark.parametrize("loss", [LossSpec("huber", "tanh", (-1, 3), 0.5),
                                  LossSpec("poisson", "softplus"),
                                  LossSpec("absolute_error", "logistic", (0, 10))])
def test_numpy_engine_trains_on_a_composed_loss(loss):
    spec = mlp_spec(3, (4,), 2, "tanh", loss, initializer="sklearn", dtype="float64")
    weights = initial_weights(spec, np.random.RandomState(0))
    engine = NumpyEngine(spec, weights, regularization=Regularization(alpha=0.0))
    rng = np.random.RandomState(1)
    X, Y = rng.normal(size=(10, 3)), rng.uniform(0.0, 3.0, size=(10, 2))
    data = engine.prepare(X, Y)
    loss_value, grad = engine.loss_and_gradient(data)
    assert engine.loss_fn is make_loss(spec.loss)
    value = make_loss(spec.loss).value(engine.forward(X), Y)
    assert loss_value == pytest.approx(value, rel=1e-12)
    flat, numeric = engine.flat_parameters().copy(), np.empty_like(grad)
    analytic = grad.copy()
    for i in range(flat.size):
        values = []
        for step in (1e-6, -1e-6):
            shifted = flat.copy()
            shifted[i] += step
            engine.set_flat_parameters(shifted)
            values.append(engine.loss(data))
        numeric[i] = (values[0] - values[1]) / 2e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
