"""summary() of the fitted network estimators, and its place in their HTML repr."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_html_repr

from sknn import (
    DeepNetClassifier,
    DeepNetRegressor,
    MLPClassifier,
    MLPRegressor,
    PerceptronClassifier,
    StackedAutoencoder,
)

rng = np.random.RandomState(0)
X = rng.normal(size=(60, 3))
y_class = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)
Y_multi = np.column_stack([X.sum(axis=1), X[:, 0] - X[:, 2]])

FAST = {"max_iter": 3, "random_state": 0}
ESTIMATORS = {
    "mlp, batch norm, prelu, dropout": (
        MLPClassifier(hidden_layer_sizes=(5,), activation="prelu", batch_norm=True, dropout=0.2,
                      **FAST), y_class),
    "mlp, batch norm after": (
        MLPClassifier(hidden_layer_sizes=(5, 4), batch_norm=True, batch_norm_position="after",
                      **FAST), y_class),
    "mlp regressor, two outputs": (MLPRegressor(hidden_layer_sizes=(5,), **FAST), Y_multi),
    "deep net, a frozen layer": (
        DeepNetClassifier(hidden_layer_sizes=(5, 4), batch_norm=True, frozen_layers=1,
                          **FAST), y_class),
    "deep net regressor": (DeepNetRegressor(n_hidden=2, n_neurons=4, **FAST), Y_multi[:, 0]),
    "autoencoder, tied weights": (
        StackedAutoencoder(hidden_layer_sizes=(4, 2), batch_norm=True, tied_weights=True,
                           fine_tune_iter=2, **FAST),
        None),
}


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _fitted(name):
    estimator, y = ESTIMATORS[name]
    return clone(estimator).fit(X, y)


def _stored_weights(estimator):
    networks = [estimator.network_, getattr(estimator, "decoder_network_", None)]
    return [value for network in networks if network is not None
            for state in network.weights for value in state.values()]


@pytest.mark.parametrize("name", ESTIMATORS)
def test_summary_before_fit_raises_not_fitted_error(name):
    with pytest.raises(NotFittedError):
        clone(ESTIMATORS[name][0]).summary()


@pytest.mark.parametrize("name", ESTIMATORS)
def test_parameter_counts_and_memory_equal_the_fitted_weights(name):
    estimator = _fitted(name)
    summary = estimator.summary()
    weights = _stored_weights(estimator)
    assert summary.total_parameters + summary.buffers == sum(value.size for value in weights)
    assert (summary.trainable_parameters + summary.non_trainable_parameters
            == summary.total_parameters)
    assert summary.nbytes == sum(value.nbytes for value in weights)
    assert summary.dtype == weights[0].dtype.name


def test_batch_norm_statistics_are_buffers_not_parameters():
    estimator = _fitted("mlp, batch norm, prelu, dropout")  # 3 features, 5 units, 3 classes
    summary = estimator.summary()
    assert [row["layer"] for row in summary.rows] == [
        "dense", "batch norm", "prelu", "dropout 0.2", "dense"]
    assert summary.buffers == 2 * 5
    assert summary.total_parameters == (3 * 5 + 5) + 2 * 5 + 5 + (5 * 3 + 3)


def test_the_frozen_layer_of_a_deep_net_is_non_trainable():
    summary = _fitted("deep net, a frozen layer").summary()
    first_block = (3 * 5 + 5) + 2 * 5  # dense and batch norm of the frozen hidden layer
    assert summary.non_trainable_parameters == first_block
    assert summary.trainable_parameters == summary.total_parameters - first_block
    assert [row["trainable"] for row in summary.rows[:2]] == [False, False]


def test_frozen_parameters_are_the_ones_training_leaves_unchanged():
    estimator = DeepNetClassifier(hidden_layer_sizes=(5, 4), frozen_layers=1,
                                  learning_rate="constant", **FAST)
    estimator.fit(X, y_class)
    before = [{key: value.copy() for key, value in state.items()}
              for state in estimator.network_.weights]
    estimator.partial_fit(X, y_class)
    changed = sum(value.size for state, old in zip(estimator.network_.weights, before)
                  for key, value in state.items() if not np.array_equal(value, old[key]))
    summary = estimator.summary()
    assert summary.trainable_parameters == changed
    assert summary.non_trainable_parameters == 3 * 5 + 5


def test_the_autoencoder_lists_its_encoder_then_its_decoders():
    estimator = _fitted("autoencoder, tied weights")
    summary = estimator.summary()
    n_encoder = len(estimator.network_.spec.layers)
    assert [row["layer"] for row in summary.rows[:n_encoder]] == [
        "dense", "batch norm", "elu", "dense", "batch norm", "elu"]
    assert [(row["layer"], row["output_width"]) for row in summary.rows[n_encoder:]] == [
        ("dense", 4), ("dense", 3)]
    assert summary.loss == "'squared_error'"


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_an_inference_copy_reports_its_storage_dtype_and_memory(dtype):
    estimator = _fitted("mlp, batch norm, prelu, dropout")
    original, copy = estimator.summary(), estimator.with_inference_dtype(dtype).summary()
    assert copy.rows == original.rows
    assert (copy.dtype, original.dtype) == (dtype, "float64")
    assert copy.nbytes == (copy.total_parameters + copy.buffers) * np.dtype(dtype).itemsize
    assert copy.nbytes == estimator.with_inference_dtype(dtype).memory_report_["nbytes"]


def test_summary_reads_the_fused_network():
    summary = _fitted("mlp, batch norm, prelu, dropout").fuse_batch_norm().summary()
    assert [row["layer"] for row in summary.rows] == ["dense", "prelu", "dropout 0.2", "dense"]
    assert summary.buffers == 0


def test_the_perceptron_has_no_network_to_summarize():
    assert not hasattr(PerceptronClassifier(), "summary")


@pytest.mark.parametrize("name", ESTIMATORS)
def test_the_html_repr_shows_the_summary_once_fitted(name):
    assert "Network summary" not in clone(ESTIMATORS[name][0])._repr_html_()
    estimator = _fitted(name)
    page = estimator._repr_html_()
    assert page.count("Network summary") == 1
    assert page.index("Fitted attributes") < page.index("Network summary")
    assert "<details><summary>Network summary</summary>" in page  # collapsed
    assert f"Total parameters: {estimator.summary().total_parameters}" in page


def test_a_fitted_pipeline_shows_the_summary_of_its_network_step():
    network = MLPClassifier(hidden_layer_sizes=(5,), **FAST)
    pipeline = make_pipeline(StandardScaler(), network).fit(X, y_class)
    assert estimator_html_repr(pipeline).count("Network summary") == 1


def test_an_unfitted_network_step_of_a_fitted_pipeline_still_renders():
    pipeline = make_pipeline(StackedAutoencoder(hidden_layer_sizes=(2,), **FAST),
                             LogisticRegression())
    pipeline.fit(X, y_class).set_params(stackedautoencoder=StackedAutoencoder())
    page = estimator_html_repr(pipeline)
    assert "StackedAutoencoder" in page and "Network summary" not in page
