"""Network.summary: one row per spec layer, totals, dtype and memory of the weights."""

import numpy as np
import pytest

from sknn.network import Network, initial_weights
from sknn.spec import (
    Activation,
    BatchNorm,
    Dense,
    NetworkSpec,
    TiedDense,
    freeze_hidden_layers,
    mlp_spec,
)

SPECS = {
    "plain": mlp_spec(4, (8,), 3, "relu", "log_loss"),
    "batch norm before, prelu, dropout": mlp_spec(
        4, (8,), 3, "prelu", "log_loss", batch_norm=BatchNorm(), dropout=0.2,
        input_dropout=0.1),
    "batch norm after": mlp_spec(5, (6, 4), 2, "tanh", "squared_error", batch_norm=BatchNorm(),
                                 batch_norm_position="after"),
    "multi-output": mlp_spec(3, (6, 5), 7, "elu", "squared_error"),
    "frozen": freeze_hidden_layers(mlp_spec(4, (8, 6), 3, "prelu", "log_loss",
                                            batch_norm=BatchNorm()), 1),
    "tied": NetworkSpec(6, (Dense(4), Activation("elu"), TiedDense(0)), "squared_error"),
}


def _network(spec, dtype=None):
    network = Network(spec, initial_weights(spec, np.random.RandomState(0)))
    return network if dtype is None else network.astype(dtype)


def _values(network):
    return [value for state in network.weights for value in state.values()]


@pytest.mark.parametrize("dtype", [None, "float32", "float16"])
@pytest.mark.parametrize("name", SPECS)
def test_counts_and_memory_add_up_to_the_stored_weights(name, dtype):
    network = _network(SPECS[name], dtype)
    summary = network.summary()
    assert len(summary.rows) == len(network.spec.layers)
    assert summary.total_parameters + summary.buffers == sum(v.size for v in _values(network))
    moving = [value.size for state in network.weights for key, value in state.items()
              if key.startswith("moving_")]
    assert summary.buffers == sum(moving)
    assert (summary.trainable_parameters + summary.non_trainable_parameters
            == summary.total_parameters)
    assert summary.nbytes == network.nbytes == sum(v.nbytes for v in _values(network))
    assert summary.dtype == (dtype or "float64")


def test_rows_count_each_layer_of_a_network_with_batch_norm_prelu_and_dropout():
    summary = _network(SPECS["batch norm before, prelu, dropout"]).summary()
    assert [(row["layer"], row["output_width"], row["parameters"], row["buffers"],
             row["trainable"]) for row in summary.rows] == [
        ("dropout 0.1", 4, 0, 0, None),
        ("dense", 8, 4 * 8 + 8, 0, True),
        ("batch norm", 8, 2 * 8, 2 * 8, True),
        ("prelu", 8, 8, 0, True),
        ("dropout 0.2", 8, 0, 0, None),
        ("dense", 3, 8 * 3 + 3, 0, True),
    ]
    assert (summary.total_parameters, summary.buffers) == (91, 16)
    assert summary.nbytes == (91 + 16) * 8


def test_a_frozen_block_counts_as_non_trainable():
    summary = _network(SPECS["frozen"]).summary()
    frozen = (4 * 8 + 8) + 2 * 8 + 8  # dense, batch norm gamma and beta, prelu slope
    assert summary.non_trainable_parameters == frozen
    assert summary.trainable_parameters == (8 * 6 + 6) + 2 * 6 + 6 + (6 * 3 + 3)
    assert [row["trainable"] for row in summary.rows if row["parameters"]] == [
        False, False, False, True, True, True, True]


def test_a_tied_layer_counts_its_bias_only():
    summary = _network(SPECS["tied"]).summary()
    assert [(row["layer"], row["output_width"], row["parameters"]) for row in summary.rows] == [
        ("dense", 4, 6 * 4 + 4), ("elu", 4, 0), ("tied dense", 6, 6)]


def test_batch_norm_after_the_activation_has_the_width_of_its_block():
    summary = _network(SPECS["batch norm after"]).summary()
    assert [(row["layer"], row["output_width"]) for row in summary.rows] == [
        ("dense", 6), ("tanh", 6), ("batch norm", 6), ("dense", 4), ("tanh", 4),
        ("batch norm", 4), ("dense", 2)]


@pytest.mark.parametrize("name", SPECS)
def test_the_text_table_has_one_line_per_layer_between_title_and_totals(name):
    summary = _network(SPECS[name]).summary()
    lines = str(summary).splitlines()
    assert repr(summary) == str(summary)
    assert lines[0] == f"Inputs: {summary.n_inputs}, loss: {summary.loss}"
    assert lines[1].split() == ["#", "layer", "output", "parameters", "buffers", "trainable"]
    words = {True: ["yes"], False: ["frozen"], None: []}
    for index, row in enumerate(summary.rows):
        assert lines[2 + index].split() == [
            str(index), *row["layer"].split(), str(row["output_width"]),
            f"{row['parameters']:,}", f"{row['buffers']:,}", *words[row["trainable"]]]
    assert lines[2 + len(summary.rows):] == [
        f"Total parameters: {summary.total_parameters:,}",
        f"Trainable parameters: {summary.trainable_parameters:,}",
        f"Non-trainable (frozen) parameters: {summary.non_trainable_parameters:,}",
        f"Buffers (not trained): {summary.buffers:,}",
        f"Weights: {summary.dtype}, {summary.nbytes:,} bytes"]
    assert all(line == line.rstrip() for line in lines)


def test_large_counts_are_written_with_thousands_separators():
    summary = _network(mlp_spec(784, (512,), 10, "relu", "log_loss")).summary()
    assert "401,920" in str(summary).splitlines()[2]
    assert f"Weights: float64, {(784 * 512 + 512 + 512 * 10 + 10) * 8:,} bytes" in str(summary)


def test_the_html_table_has_a_row_per_layer_and_escapes_text():
    summary = _network(SPECS["frozen"]).summary()
    page = summary._repr_html_()
    assert page.count("<tr>") == 1 + len(summary.rows)
    assert "<td>batch norm</td>" in page and "<td>frozen</td>" in page
    assert "loss: &#x27;log_loss&#x27;" in page and "'" not in page
    assert f"Total parameters: {summary.total_parameters:,}" in page
