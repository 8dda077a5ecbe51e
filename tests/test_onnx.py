"""ONNX export (sknn.onnx): onnxruntime predicts what the estimators predict.

Each configuration of the table is fitted for a few epochs on tiny data,
converted, and run by onnxruntime on float32 and on float64 input. Outputs
match within 1e-5 (float32) or 1e-10 (float64), relative to the largest
output, where sknn computes in that dtype; labels are identical.
"""

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import (
    DeepNetClassifier,
    DeepNetRegressor,
    MLPClassifier,
    MLPRegressor,
    PerceptronClassifier,
    StackedAutoencoder,
)
from sknn.nn.activations import ACTIVATIONS

onnx = pytest.importorskip("onnx")
skl2onnx = pytest.importorskip("skl2onnx")
ort = pytest.importorskip("onnxruntime")
sknn_onnx = pytest.importorskip("sknn.onnx")

rng = np.random.RandomState(0)
X_ALL = rng.normal(size=(40, 4))
X_ALL[:, 2] = 3.0 + 2.0 * X_ALL[:, 2]  # an off-center feature, for batch norm and scalers
Y_CLASS = np.array(["ant", "bee", "cat"])[(X_ALL[:, 0] > 0).astype(int) + (X_ALL[:, 1] > 0.5)]
Y_BINARY = (X_ALL[:, 0] + X_ALL[:, 1] > 0).astype(int)
Y_MULTILABEL = np.column_stack([X_ALL[:, 0] > 0, X_ALL[:, 1] > 0, X_ALL[:, 3] > 0.5]).astype(int)
Y_REAL = X_ALL @ [0.5, -1.0, 0.2, 0.3]
Y_TWO = np.column_stack([Y_REAL, np.tanh(X_ALL[:, 1])])
Y_UNIT = 1 / (1 + np.exp(-Y_REAL))

SMALL = {"hidden_layer_sizes": (5,), "max_iter": 5, "random_state": 0}
DEEP = {"n_hidden": 3, "n_neurons": 5, "max_iter": 3, "batch_size": 16, "random_state": 0}
# sknn's own activations: one a user (or another test) registers needs no ONNX form
HIDDEN_ACTIVATIONS = [name for name in ACTIVATIONS.names()
                      if ACTIVATIONS.get(name).differentiable
                      and ACTIVATIONS.get(name).forward.__module__ == "sknn.nn.activations"]


def _case(make, y):
    return make, y


CASES = {
    **{f"activation={name}": _case(lambda name=name: MLPClassifier(activation=name, **SMALL),
                                    Y_CLASS) for name in HIDDEN_ACTIVATIONS},
    "leaky_relu_steeper_than_1": _case(
        lambda: MLPClassifier(activation="leaky_relu", activation_alpha=1.5, **SMALL), Y_CLASS),
    "elu_alpha": _case(lambda: MLPClassifier(activation="elu", activation_alpha=0.3, **SMALL),
                       Y_CLASS),
    # a low momentum: the moving statistics move far from their initial 0 and 1
    "batch_norm_before": _case(lambda: MLPClassifier(
        hidden_layer_sizes=(5, 4), batch_norm=True, bn_momentum=0.5, max_iter=5,
        random_state=0), Y_CLASS),
    "batch_norm_after": _case(lambda: MLPClassifier(
        hidden_layer_sizes=(5, 4), batch_norm=True, bn_momentum=0.5,
        batch_norm_position="after", activation="tanh", max_iter=5, random_state=0), Y_CLASS),
    "dropout": _case(lambda: MLPClassifier(dropout=0.3, input_dropout=0.2, **SMALL), Y_CLASS),
    "binary": _case(lambda: MLPClassifier(**SMALL), Y_BINARY),
    "binary_strings": _case(lambda: MLPClassifier(**SMALL), np.array(["no", "yes"])[Y_BINARY]),
    "multilabel": _case(lambda: MLPClassifier(**SMALL), Y_MULTILABEL),
    # label smoothing changes training only: the exported network is the same kind
    "label_smoothing": _case(lambda: MLPClassifier(label_smoothing=0.1, **SMALL), Y_CLASS),
    "regressor": _case(lambda: MLPRegressor(**SMALL), Y_REAL),
    "multi_output_regressor": _case(lambda: MLPRegressor(**SMALL), Y_TWO),
    "output_tanh_bounds": _case(lambda: MLPRegressor(
        output_activation="tanh", output_bounds=(-4, 4), **SMALL), Y_REAL),
    "output_tanh": _case(lambda: MLPRegressor(output_activation="tanh", **SMALL), Y_UNIT),
    "output_logistic_bounds": _case(lambda: MLPRegressor(
        output_activation="logistic", output_bounds=(-4, 4), **SMALL), Y_REAL),
    "output_relu": _case(lambda: MLPRegressor(output_activation="relu", **SMALL), Y_UNIT),
    "output_softplus_huber": _case(lambda: MLPRegressor(
        loss="huber", output_activation="softplus", **SMALL), Y_UNIT),
    "poisson": _case(lambda: MLPRegressor(loss="poisson", **SMALL), Y_UNIT),
    "deep_net_classifier": _case(lambda: DeepNetClassifier(**DEEP), Y_CLASS),
    "deep_net_classifier_float64": _case(lambda: DeepNetClassifier(dtype="float64", **DEEP),
                                         Y_CLASS),
    "deep_net_label_smoothing_binary": _case(lambda: DeepNetClassifier(
        label_smoothing=0.2, **DEEP), Y_BINARY),
    "deep_net_selu_alpha_dropout": _case(lambda: DeepNetClassifier(
        activation="selu", batch_norm=False, **DEEP), Y_BINARY),
    "deep_net_regressor": _case(lambda: DeepNetRegressor(**DEEP), Y_TWO),
    # a wide frequency scale: the cosines change a lot between nearby inputs
    "deep_net_periodic_embedding": _case(lambda: DeepNetClassifier(
        numeric_embedding="periodic", n_frequencies=3, frequency_scale=1.0, **DEEP), Y_CLASS),
    "deep_net_periodic_embedding_float64": _case(lambda: DeepNetRegressor(
        numeric_embedding="periodic", n_frequencies=2, dtype="float64", input_dropout=0.1,
        **DEEP), Y_TWO),
    # target_scaling='auto' by default: the export maps the outputs back to the target's scale
    "deep_net_regressor_offset_target": _case(lambda: DeepNetRegressor(**DEEP),
                                              np.column_stack([Y_REAL * 1000 + 500, Y_REAL])),
    "deep_net_regressor_float64": _case(lambda: DeepNetRegressor(dtype="float64", **DEEP),
                                        Y_REAL * 1000 + 500),
    "perceptron": _case(lambda: PerceptronClassifier(max_iter=5), Y_CLASS),
    "perceptron_binary_heaviside": _case(lambda: PerceptronClassifier(
        max_iter=5, step_function="heaviside"), Y_BINARY),
    "perceptron_multilabel": _case(lambda: PerceptronClassifier(max_iter=5), Y_MULTILABEL),
    "autoencoder": _case(lambda: StackedAutoencoder(
        hidden_layer_sizes=(5, 3), max_iter=3, random_state=0), None),
    "autoencoder_float64_batch_norm": _case(lambda: StackedAutoencoder(
        hidden_layer_sizes=(5, 3), batch_norm=True, dtype="float64", max_iter=3,
        random_state=0), None),
    "pipeline_with_scaler": _case(lambda: make_pipeline(StandardScaler(), MLPClassifier(
        batch_norm=True, **SMALL)), Y_CLASS),
    "pipeline_deep_net": _case(lambda: make_pipeline(StandardScaler(), DeepNetRegressor(**DEEP)),
                               Y_REAL),
    "column_transformer": _case(lambda: make_pipeline(
        ColumnTransformer([("scaled", StandardScaler(), [0, 2]), ("kept", "passthrough", [1, 3])]),
        MLPRegressor(**SMALL)), Y_TWO),
}

# Inference copies of a fitted estimator: (case to copy, method and arguments)
COPIES = {
    "pruned": ("batch_norm_before", lambda est: est.prune(sparsity=0.5)),
    "float16": ("batch_norm_before", lambda est: est.with_inference_dtype("float16")),
    "float32_copy": ("regressor", lambda est: est.with_inference_dtype("float32")),
    "fused_batch_norm": ("batch_norm_after", lambda est: est.fuse_batch_norm()),
    "deep_net_float64_copy": ("deep_net_classifier",
                              lambda est: est.with_inference_dtype("float64")),
}


def _fit(name, dtype):
    make, y = CASES[name]
    with warnings.catch_warnings():
        # a few epochs on unscaled data: convergence and SELU's warnings say nothing here
        warnings.simplefilter("ignore", UserWarning)
        return make().fit(X_ALL.astype(dtype), y)


def _expected(model, X):
    """What the estimator (or the pipeline) predicts: its ONNX graph's outputs."""
    if hasattr(model, "predict_proba"):
        return [model.predict(X), model.predict_proba(X)]
    if isinstance(model, PerceptronClassifier):
        scores = model.decision_function(X)
        scores = np.column_stack([-scores, scores]) if scores.ndim == 1 else scores
        return [model.predict(X), scores]
    if hasattr(model, "transform"):
        return [model.transform(X)]
    return [model.predict(X)]


def _session(onnx_model):
    onnx.checker.check_model(onnx_model, full_check=True)  # valid, with consistent types
    return ort.InferenceSession(onnx_model.SerializeToString(),
                                providers=["CPUExecutionProvider"])


def _onnx_outputs(model, X, **options):
    return _session(sknn_onnx.to_onnx(model, X[:1], **options)).run(None, {"X": X})


def assert_outputs_match(model, X):
    expected = _expected(model, X)
    actual = _onnx_outputs(model, X)
    if len(expected) == 2:
        labels, expected = expected[0], expected[1]
        np.testing.assert_array_equal(actual[0], labels)
        actual = actual[1]
    else:
        expected, actual = expected[0], actual[0]
    assert actual.dtype == X.dtype
    # float64 where sknn computes in float64 (a float32 network rounds its input first)
    tolerance = 1e-10 if X.dtype == expected.dtype == np.float64 else 1e-5
    expected = np.asarray(expected).reshape(actual.shape)
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=tolerance * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", CASES)
def test_onnxruntime_predicts_what_the_estimator_predicts(name, dtype):
    model = _fit(name, dtype)
    for input_dtype in (np.float32, np.float64):
        assert_outputs_match(model, X_ALL.astype(input_dtype))


@pytest.mark.parametrize("name", COPIES)
def test_inference_copies_export_as_they_predict(name):
    case, make_copy = COPIES[name]
    model = make_copy(_fit(case, np.float64))
    for input_dtype in (np.float32, np.float64):
        assert_outputs_match(model, X_ALL.astype(input_dtype))


def test_every_differentiable_activation_has_a_builder():
    # a new built-in activation needs its ONNX form too; aliases share their entry's
    names = {ACTIVATIONS.get(name).name for name in HIDDEN_ACTIVATIONS}
    assert len(names) >= 12 and names <= set(sknn_onnx.ACTIVATION_BUILDERS)


def test_gelu_in_float64_matches_the_exact_normal_cdf_in_the_tails():
    # the float64 graph builds Phi from a fitted series; check it far from the training data
    model = _fit("activation=gelu", np.float64)
    X = np.vstack([X_ALL, 40 * X_ALL, X_ALL / 40])
    assert_outputs_match(model, X)


def test_softplus_output_keeps_its_relative_precision_for_tiny_predictions():
    model = _fit("output_softplus_huber", np.float64)
    model.intercepts_[-1][:] = -30.0  # predictions about 1e-13, computed as log1p(exp(z))
    X = X_ALL.astype(np.float64)
    actual = _onnx_outputs(model, X)[0].ravel()
    np.testing.assert_allclose(actual, model.predict(X), rtol=1e-10, atol=0)


def test_skl2onnx_converts_a_pipeline_with_zipmap():
    model = _fit("pipeline_with_scaler", np.float32)
    X = X_ALL.astype(np.float32)
    labels, probabilities = _session(skl2onnx.to_onnx(model, X[:1])).run(None, {"X": X})
    np.testing.assert_array_equal(labels, model.predict(X))
    expected = model.predict_proba(X)
    assert list(probabilities[0]) == ["ant", "bee", "cat"]
    np.testing.assert_allclose([[row[label] for label in model.classes_] for row in probabilities],
                               expected, rtol=1e-5, atol=1e-5)


def test_zipmap_columns_and_nocl_options():
    model = _fit("binary", np.float64)
    X = X_ALL.astype(np.float64)
    outputs = _session(sknn_onnx.to_onnx(model, X[:1], zipmap="columns")).run(None, {"X": X})
    np.testing.assert_allclose(np.column_stack(outputs[1:]), model.predict_proba(X),
                               rtol=1e-10, atol=1e-10)
    onnx_model = skl2onnx.to_onnx(model, X[:1], options={"zipmap": False, "nocl": True})
    labels = _session(onnx_model).run(None, {"X": X})[0]
    np.testing.assert_array_equal(labels, np.searchsorted(model.classes_, model.predict(X)))


def test_an_activation_without_a_builder_is_refused_by_name(monkeypatch):
    model = _fit("activation=elu", np.float64)
    monkeypatch.delitem(sknn_onnx.ACTIVATION_BUILDERS, "elu")
    with pytest.raises(ValueError, match="Activation 'elu' has no ONNX form"):
        sknn_onnx.to_onnx(model, X_ALL[:1])


@pytest.fixture
def softsign():
    """A registered activation, with its ONNX form unless the test drops it."""
    from sknn import register_activation, unregister

    def register(onnx_builder):
        register_activation(
            "softsign", lambda z: z / (1 + np.abs(z)), lambda z: 1 / (1 + np.abs(z)) ** 2,
            onnx_builder=onnx_builder, overwrite=True)

    yield register
    unregister("activation", "softsign")


def _softsign_onnx(graph, x, alpha):
    return graph.op("Div", x, graph.op("Add", graph.const(1.0), graph.op("Abs", x)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_registered_activation_exports_through_its_onnx_builder(softsign, dtype):
    softsign(_softsign_onnx)
    model = MLPRegressor(hidden_layer_sizes=(5,), activation="softsign", max_iter=5,
                         random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_ALL.astype(dtype), Y_REAL)
    assert_outputs_match(model, X_ALL.astype(dtype))


def test_a_registered_activation_without_an_onnx_builder_is_refused(softsign):
    softsign(None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPRegressor(hidden_layer_sizes=(5,), activation="softsign", max_iter=2,
                             random_state=0).fit(X_ALL, Y_REAL)
    with pytest.raises(ValueError, match="'softsign' has no ONNX form.*onnx_builder="):
        sknn_onnx.to_onnx(model, X_ALL[:1])


def test_integral_float_labels_export_as_integers_and_others_are_refused():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier(**SMALL).fit(X_ALL, Y_BINARY.astype(float))
    np.testing.assert_array_equal(_onnx_outputs(model, X_ALL)[0], model.predict(X_ALL))
    model.classes_ = np.array([0.5, 1.5])
    with pytest.raises(ValueError, match="integer or string class labels"):
        sknn_onnx.to_onnx(model, X_ALL[:1])


def test_an_unfitted_estimator_is_refused():
    with pytest.raises(NotFittedError):
        sknn_onnx.to_onnx(MLPRegressor(), X_ALL[:1])


def test_integer_input_is_refused():
    model = _fit("regressor", np.float64)
    with pytest.raises(RuntimeError, match="wrong type"):
        sknn_onnx.to_onnx(model, X_ALL[:1].astype(np.int64))


def test_importing_sknn_imports_no_onnx_package():
    code = ("import sys, sknn\n"
            "print(sorted(m for m in sys.modules if m == 'sknn.onnx' or m.split('.')[0] in "
            "('onnx', 'skl2onnx', 'onnxruntime')))\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).parent.parent,
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
