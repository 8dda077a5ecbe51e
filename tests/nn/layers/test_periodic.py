"""PeriodicEmbedding layer: output layout, exact backward pass, float32, sparse input."""

import numpy as np
import pytest
import scipy.sparse as sp

from sknn.nn.layers import Dense, PeriodicEmbedding, Sequential

from tests.nn.gradcheck import numeric_array_grad, numeric_param_grad

N, FEATURES, FREQUENCIES = 6, 3, 4


def _embedding(needs_input_grad=True, dtype=np.float64, seed=0):
    layer = PeriodicEmbedding(FEATURES, FREQUENCIES, needs_input_grad=needs_input_grad)
    net = Sequential([layer], dtype=dtype)
    rng = np.random.RandomState(seed)
    layer.frequencies[...] = rng.normal(0, 0.7, (FEATURES, FREQUENCIES))
    layer.phases[...] = rng.uniform(-0.5, 0.5, (FEATURES, FREQUENCIES))
    return layer, net


def _inputs(seed=1):
    return np.random.RandomState(seed).normal(size=(N, FEATURES))


def test_each_feature_is_followed_by_the_cosines_of_its_frequencies():
    layer, net = _embedding()
    X = _inputs()
    Y = net.forward(X)[0]
    assert Y.shape == (N, FEATURES * (1 + FREQUENCIES))
    blocks = Y.reshape(N, FEATURES, 1 + FREQUENCIES)
    np.testing.assert_array_equal(blocks[:, :, 0], X)
    expected = np.cos(2 * np.pi * (X[:, :, None] * layer.frequencies + layer.phases))
    np.testing.assert_allclose(blocks[:, :, 1:], expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("training", [True, False])
def test_the_input_is_left_unchanged(training):
    _, net = _embedding()
    X = _inputs()
    net.forward(X, training=training)
    np.testing.assert_array_equal(X, _inputs())


def test_backward_matches_central_finite_differences_for_input_frequencies_and_phases():
    layer, net = _embedding()
    X = _inputs()
    R = np.random.RandomState(2).normal(size=(N, FEATURES * (1 + FREQUENCIES)))

    def objective(inputs=X):
        return float(np.sum(R * net.forward(inputs, training=True)[0]))

    _, backward = net.forward(X, training=True)
    input_grad = backward(R.copy())
    np.testing.assert_allclose(input_grad, numeric_array_grad(objective, X),
                               rtol=1e-6, atol=1e-8)
    analytic = net.grads.copy()
    assert np.shares_memory(layer.frequencies_grad, net.grads)
    np.testing.assert_allclose(analytic, numeric_param_grad(net, objective),
                               rtol=1e-6, atol=1e-8)


def test_without_input_gradient_backward_fills_the_parameter_gradients_only():
    _, with_input = _embedding()
    _, without_input = _embedding(needs_input_grad=False)
    X, R = _inputs(), np.random.RandomState(2).normal(size=(N, FEATURES * (1 + FREQUENCIES)))
    with_input.forward(X, training=True)[1](R.copy())
    assert without_input.forward(X, training=True)[1](R.copy()) is None
    np.testing.assert_array_equal(without_input.grads, with_input.grads)


def test_inference_and_training_passes_give_the_same_output():
    _, net = _embedding()
    X = _inputs()
    np.testing.assert_array_equal(net.forward(X, training=True)[0], net.forward(X)[0])


def test_float32_stays_float32_and_close_to_float64():
    _, net64 = _embedding()
    _, net32 = _embedding(dtype=np.float32)
    X = _inputs()
    R = np.random.RandomState(2).normal(size=(N, FEATURES * (1 + FREQUENCIES)))
    Y32, backward = net32.forward(X.astype(np.float32), training=True)
    backward(R.astype(np.float32))
    net64.forward(X, training=True)[1](R.copy())
    assert Y32.dtype == net32.grads.dtype == np.float32
    np.testing.assert_allclose(Y32, net64.forward(X)[0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(net32.grads, net64.grads, rtol=1e-4, atol=1e-4)


def test_sparse_input_is_densified_with_the_same_output_and_gradients():
    _, dense_net = _embedding()
    _, sparse_net = _embedding()
    X = _inputs()
    X[X < 0.3] = 0.0
    R = np.random.RandomState(2).normal(size=(N, FEATURES * (1 + FREQUENCIES)))
    Y, backward = dense_net.forward(X, training=True)
    backward(R.copy())
    Y_sparse, backward = sparse_net.forward(sp.csr_matrix(X), training=True)
    backward(R.copy())
    np.testing.assert_array_equal(Y_sparse, Y)
    np.testing.assert_array_equal(sparse_net.grads, dense_net.grads)


def test_a_dense_layer_on_top_receives_the_embedding_width():
    embedding = PeriodicEmbedding(FEATURES, FREQUENCIES)
    net = Sequential([embedding, Dense(embedding.units, 2, needs_input_grad=True)])
    assert net.forward(_inputs())[0].shape == (N, 2)
