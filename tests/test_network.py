"""The weight layout of a spec and the fitted network (``sknn.network``, ``network_``)."""

import copy
import io
import pickle
import warnings

import joblib
import numpy as np
import pytest

from sknn import (DeepNetClassifier, DeepNetRegressor, MLPClassifier, MLPRegressor,
                  StackedAutoencoder)
from sknn.engines.numpy_engine import NumpyEngine
from sknn.network import (Network, initial_weights, trainable_parameter_order, weight_layout,
                          weight_shapes)
from sknn.nn.network import build_layers
from sknn.spec import (Activation, BatchNorm, Dense, Dropout, NetworkSpec, TiedDense,
                       freeze_hidden_layers, mlp_spec)
from tests.data.make_reference_models import PATH as REFERENCE_PATH
from tests.data.make_reference_models import problem

N_FEATURES = 4

#: Every layer type the layout knows, frozen and trainable, in one spec each.
SPECS = {
    "dense": NetworkSpec(N_FEATURES, (Dense(5), Activation("relu"), Dense(2)), "squared_error"),
    "batch_norm_prelu_dropout": NetworkSpec(N_FEATURES, (
        Dropout(0.1), Dense(6), BatchNorm(), Activation("prelu", alpha=0.1), Dropout(0.2),
        Dense(5), Activation("prelu"), BatchNorm(momentum=0.9), Dense(3)), "log_loss"),
    "input_batch_norm_rrelu_alpha_dropout": NetworkSpec(N_FEATURES, (
        BatchNorm(), Dense(5), Activation("rrelu"), Dropout(0.2, "alpha"), Dense(2)),
        "squared_error"),
    "tied": NetworkSpec(N_FEATURES, (Dense(3), Activation("tanh"), Dense(2),
                                     Activation("tanh"), TiedDense(2), TiedDense(0)),
                        "squared_error"),
    "frozen": freeze_hidden_layers(mlp_spec(N_FEATURES, (6, 5), 2, "prelu", "squared_error",
                                            batch_norm=BatchNorm()), 1),
}


def _fit_quietly(estimator, X, y=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(X) if y is None else estimator.fit(X, y)


# -- the layout of a spec -------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_spec_layout_is_the_shapes_of_the_built_numpy_layers(name):
    spec = SPECS[name]
    layers = build_layers(spec, np.random.default_rng(0))
    assert len(weight_layout(spec)) == len(layers) == len(spec.layers)
    for shapes, layer in zip(weight_layout(spec), layers):
        assert shapes.params == layer.param_shapes
        assert shapes.buffers == getattr(layer, "buffer_shapes", {})


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_spec_layout_is_the_torch_modules_parameters_and_buffers(name):
    torch = pytest.importorskip("torch")
    from sknn.engines.torch_engine import build_module

    spec = SPECS[name]
    module = build_module(spec, "cpu", torch.Generator().manual_seed(0))
    for shapes, layer in zip(weight_layout(spec), module, strict=True):
        own = [tuple(p.shape) for p in layer.parameters(recurse=False)]
        # torch keeps a linear weight as (out, in); sknn's kernel is (in, out)
        expected = [shape[::-1] if key == "kernel" else shape
                    for key, shape in shapes.params.items()]
        if hasattr(layer, "_tied"):  # the shared weight is the tied nn.Linear's
            own = [tuple(layer.bias.shape)]
        assert sorted(own) == sorted(expected)
        running = [tuple(getattr(layer, key).shape) for key in ("running_mean", "running_var")
                   if getattr(layer, key, None) is not None]
        assert running == list(shapes.buffers.values())


def test_a_tied_layer_has_only_the_bias_of_the_tied_layers_input_width():
    layout = weight_layout(SPECS["tied"])
    assert layout[4].params == {"bias": (3,)}  # maps the 3 units of layer 2 back
    assert layout[5].params == {"bias": (N_FEATURES,)}


def test_a_layer_type_without_a_layout_is_refused():
    spec = NetworkSpec(N_FEATURES, (Dense(2), "not a layer"), "squared_error")
    with pytest.raises(TypeError, match="No weight layout for a str layer"):
        weight_layout(spec)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_trainable_order_is_the_numpy_engines_flat_parameter_vector(name):
    spec = SPECS[name]
    weights = initial_weights(spec, np.random.RandomState(0))
    for state in weights:  # distinct values everywhere, not the constant initial ones
        for value in state.values():
            value[...] = np.random.default_rng(len(value.shape)).normal(size=value.shape)
    engine = NumpyEngine(spec, weights)
    per_layer = Network(spec, weights).layer_weights()
    expected = [per_layer[i][key].ravel() for i, key in trainable_parameter_order(spec)]
    np.testing.assert_array_equal(engine.flat_parameters(), np.concatenate(expected))


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_torch_engine_has_the_numpy_engines_flat_parameter_vector(name):
    pytest.importorskip("torch")
    from sknn.engines.torch_engine import TorchEngine

    spec = SPECS[name]
    weights = initial_weights(spec, np.random.RandomState(1))
    numpy_flat = NumpyEngine(spec, weights).flat_parameters()
    torch_engine = TorchEngine(spec, weights)
    np.testing.assert_array_equal(torch_engine.flat_parameters(), numpy_flat)
    torch_engine.set_flat_parameters(numpy_flat[::-1].copy())
    np.testing.assert_array_equal(torch_engine.flat_parameters(), numpy_flat[::-1])


def test_frozen_layers_are_left_out_of_the_trainable_order():
    spec = SPECS["frozen"]
    frozen = {i for i, layer in enumerate(spec.layers) if not getattr(layer, "trainable", True)}
    order = trainable_parameter_order(spec)
    assert frozen and not frozen & {i for i, _ in order}
    assert [key for _, key in order][:2] == ["kernel", "kernel"]  # kernels first


def test_initial_weights_draw_only_the_dense_layers_and_set_the_others_to_constants():
    spec = SPECS["batch_norm_prelu_dropout"]
    weights = initial_weights(spec, np.random.RandomState(0))
    dense_only = NetworkSpec(N_FEATURES, (Dense(6), Dense(5), Dense(3)), "log_loss")
    drawn = initial_weights(dense_only, np.random.RandomState(0))
    np.testing.assert_array_equal(weights[0]["kernel"], drawn[0]["kernel"])
    np.testing.assert_array_equal(weights[3]["kernel"], drawn[1]["kernel"])
    np.testing.assert_array_equal(weights[6]["bias"], drawn[2]["bias"])
    assert [sorted(state) for state in weights] == [sorted(s) for s in weight_shapes(spec)]
    np.testing.assert_array_equal(weights[1]["gamma"], np.ones(6))
    np.testing.assert_array_equal(weights[1]["moving_variance"], np.ones(6))
    np.testing.assert_array_equal(weights[1]["moving_mean"], np.zeros(6))
    np.testing.assert_array_equal(weights[2]["slope"], np.full(6, 0.1))
    np.testing.assert_array_equal(weights[4]["slope"], np.full(5, 0.25))  # prelu's default


# -- the Network object -----------------------------------------------------------------

def test_a_network_refuses_weights_that_do_not_fit_its_spec():
    spec = SPECS["batch_norm_prelu_dropout"]
    weights = initial_weights(spec, np.random.RandomState(0))
    with pytest.raises(ValueError, match=r"dense 4x6, batch norm 6, prelu 6"):
        Network(spec, weights[:-1])
    del weights[1]["moving_mean"]
    with pytest.raises(ValueError, match="moving_mean"):
        Network(spec, weights)


def test_layer_weights_align_the_weights_with_the_spec_layers():
    spec = SPECS["batch_norm_prelu_dropout"]
    network = Network(spec, initial_weights(spec, np.random.RandomState(0)))
    per_layer = network.layer_weights()
    assert [sorted(state) for state in per_layer] == [
        [], ["bias", "kernel"], ["beta", "gamma", "moving_mean", "moving_variance"], ["slope"],
        [], ["bias", "kernel"], ["slope"], ["beta", "gamma", "moving_mean", "moving_variance"],
        ["bias", "kernel"]]
    assert [state for state in per_layer if state] == network.weights


def test_the_head_of_a_network_computes_its_first_layers():
    spec = SPECS["batch_norm_prelu_dropout"]
    network = Network(spec, initial_weights(spec, np.random.RandomState(0)))
    X = np.random.RandomState(1).normal(size=(7, N_FEATURES))
    head = network.head(4)  # input dropout, dense, batch norm, prelu
    kernel, bias = network.kernels[0], network.biases[0]
    bn = network.weights[1]
    z = ((X @ kernel + bias - bn["moving_mean"]) / np.sqrt(bn["moving_variance"] + 1e-3)
         * bn["gamma"] + bn["beta"])
    np.testing.assert_allclose(head.forward(X), np.where(z > 0, z, 0.1 * z), rtol=1e-12)
    assert head.weights[0]["kernel"] is kernel  # shared, not copied


def test_the_dense_kernels_and_biases_skip_the_other_layers():
    spec = SPECS["tied"]
    weights = initial_weights(spec, np.random.RandomState(0))
    network = Network(spec, weights)
    assert [k.shape for k in network.kernels] == [(N_FEATURES, 3), (3, 2)]
    assert network.biases[1] is weights[1]["bias"]
    replaced = network.with_dense([np.zeros((N_FEATURES, 3)), np.ones((3, 2))],
                                  network.biases)
    assert replaced.weights[2] is weights[2]  # the tied layers' biases are shared
    assert np.all(replaced.kernels[1] == 1)
    with pytest.raises(ValueError, match="2 dense layers, got 1 kernels"):
        network.with_dense(network.kernels[:1], network.biases[:1])


def test_a_network_cast_to_float16_stores_float16_and_computes_in_float32():
    spec = SPECS["batch_norm_prelu_dropout"]
    network = Network(spec, initial_weights(spec, np.random.RandomState(0)))
    half = network.astype("float16")
    assert {value.dtype for state in half.weights for value in state.values()} == {
        np.dtype("float16")}
    X = np.random.RandomState(1).normal(size=(5, N_FEATURES)).astype(np.float32)
    widened = half.astype("float32")
    np.testing.assert_array_equal(half.forward(X), widened.forward(X))
    assert half.forward(X).dtype == np.float32


# -- network_ of the estimators ---------------------------------------------------------

ESTIMATORS = [
    MLPClassifier(hidden_layer_sizes=(6,), max_iter=5, random_state=0),
    MLPRegressor(hidden_layer_sizes=(5, 4), activation="prelu", batch_norm=True, max_iter=5,
                 random_state=0),
    DeepNetClassifier(n_hidden=3, n_neurons=6, activation="prelu", dropout=0.1, max_iter=3,
                      random_state=0),
    DeepNetRegressor(n_hidden=2, n_neurons=6, batch_norm=True, max_iter=3, random_state=0),
]


def _data_for(estimator):
    return problem("regression" if "Regressor" in type(estimator).__name__
                   else "classification")


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_network_predicts_what_the_estimator_predicts(estimator):
    X, y = _data_for(estimator)
    estimator = _fit_quietly(estimator, X, y)
    network = estimator.network_
    outputs = network.predict(X.astype(network.spec.dtype))
    if hasattr(estimator, "predict_proba"):
        expected = estimator.predict_proba(X)
        outputs = np.hstack([1 - outputs, outputs]) if outputs.shape[1] == 1 else outputs
    else:
        expected = estimator.predict(X).reshape(outputs.shape)
        if hasattr(estimator, "target_mean_"):  # the network predicts in target_scaling's space
            outputs = (outputs * estimator.target_scale_.astype(outputs.dtype)
                       + estimator.target_mean_.astype(outputs.dtype))
    np.testing.assert_array_equal(outputs, expected)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_coefs_and_intercepts_are_the_dense_arrays_of_network_(estimator):
    X, y = _data_for(estimator)
    estimator = _fit_quietly(estimator, X, y)
    for copied in (estimator, pickle.loads(pickle.dumps(estimator)),
                   joblib.load(_joblib_bytes(estimator)), copy.deepcopy(estimator)):
        network = copied.network_
        assert len(copied.coefs_) == len(network.spec.dense_layers)
        assert all(a is b for a, b in zip(copied.coefs_, network.kernels))
        assert all(a is b for a, b in zip(copied.intercepts_, network.biases))


def _joblib_bytes(estimator):
    buffer = io.BytesIO()
    joblib.dump(estimator, buffer)
    buffer.seek(0)
    return buffer


def test_a_joblib_pickle_stores_every_weight_once():
    X, y = problem("classification")
    clf = _fit_quietly(MLPClassifier(hidden_layer_sizes=(300, 300), batch_norm=True,
                                     max_iter=1, random_state=0), X, y)
    del clf._optimizer  # its moments are as large as the weights
    weights = sum(value.nbytes for state in clf.network_.weights for value in state.values())
    assert len(_joblib_bytes(clf).getvalue()) < 1.1 * weights


def test_an_array_assigned_into_coefs_replaces_that_dense_layers_kernel():
    X, y = problem("classification")
    clf = _fit_quietly(MLPClassifier(hidden_layer_sizes=(6,), batch_norm=True, max_iter=5,
                                     random_state=0), X, y)
    before = clf.predict_proba(X)
    clf.coefs_[1] = np.zeros_like(clf.coefs_[1])  # scikit-learn's tests set weights so
    after = clf.predict_proba(X)
    assert not np.allclose(after, before)
    np.testing.assert_allclose(after, np.broadcast_to(after[0], after.shape))  # only biases
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), after)
    assert restored.network_.kernels[1] is restored.coefs_[1]


def test_the_autoencoder_networks_transform_and_invert():
    X, _ = problem("unsupervised")
    ae = _fit_quietly(StackedAutoencoder(hidden_layer_sizes=(4, 2), batch_norm=True,
                                         max_iter=3, random_state=0), X)
    codes = ae.transform(X)
    np.testing.assert_array_equal(ae.network_.forward(X.astype(np.float32)), codes)
    np.testing.assert_array_equal(ae.decoder_network_.forward(codes), ae.inverse_transform(codes))
    assert all(a is b for a, b in zip(ae.coefs_, ae.network_.kernels))
    # the decoders run top-down; decoder_coefs_ lists them per layer, bottom first
    assert [k.shape for k in ae.decoder_coefs_] == [(4, 6), (2, 4)]
    assert ae.decoder_coefs_[0] is ae.decoder_network_.kernels[1]
    restored = joblib.load(_joblib_bytes(ae))
    assert restored.coefs_[0] is restored.network_.kernels[0]
    np.testing.assert_array_equal(restored.transform(X), codes)


# -- pickles written before network_ ----------------------------------------------------

OLD_PRIVATE_ATTRIBUTES = {"_network_spec", "_weight_layout", "_aux_weights", "_encoder_spec",
                          "_decoder_spec", "_encoder_weights", "_decoder_weights"}


@pytest.mark.parametrize("name", ["mlp_clf_adam", "deep_clf_prelu_bn_after", "autoencoder",
                                  "deep_clf_transfer"])
def test_an_old_pickle_gets_network_in_place_of_its_private_weight_attributes(name):
    old = joblib.load(REFERENCE_PATH)[name]["pickle"]
    assert b"_network_spec" in old or b"_encoder_spec" in old  # written before network_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator = joblib.load(io.BytesIO(old))
    assert not OLD_PRIVATE_ATTRIBUTES & set(vars(estimator))
    assert isinstance(estimator.network_, Network)
    assert all(a is b for a, b in zip(estimator.coefs_, estimator.network_.kernels))
    n_dense = len(estimator.network_.spec.dense_layers)
    assert len(estimator.coefs_) == n_dense
    if name == "deep_clf_prelu_bn_after":
        kinds = [sorted(state) for state in estimator.network_.weights]
        assert ["slope"] in kinds and ["beta", "gamma", "moving_mean", "moving_variance"] in kinds
