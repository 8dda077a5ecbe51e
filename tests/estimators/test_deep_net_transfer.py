"""Transfer learning and semi-supervised pretraining of the DeepNet estimators:
reused and frozen layers in both engines, fine-tuning, the untouched source
network, clear errors, and y == -1 as unlabeled."""

import copy
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sknn import (
    DeepNetClassifier,
    DeepNetRegressor,
    MLPClassifier,
    MLPRegressor,
    StackedAutoencoder,
)
from sknn.engines.numpy_engine import NumpyEngine
from sknn.network import initial_weights
from sknn.spec import BatchNorm, freeze_hidden_layers, mlp_spec

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = dict(early_stopping=False, max_iter=5, batch_size=32, random_state=0)
# Every network below sets dropout=0.0 (DeepNet's default is 0.2): the tests
# compare layer layouts and exact NumPy/torch weights, which dropout masks
# (drawn by different generators) would blur.

PRETRAINING_CONFIGURATIONS = [
    DeepNetClassifier(dropout=0.0, n_hidden=2, n_neurons=6, pretraining=StackedAutoencoder(max_iter=2),
                      **FAST),
]

# The autoencoder trains on the rows as given (it takes no sample weights): a
# row repeated twice counts twice in pretraining, a row of weight 2 once.
PRETRAINING_WEIGHT_REASON = ("pretraining fits the autoencoder on the rows as given, "
                             "without their sample weights")


# The check relabels a binary problem -1/+1; with pretraining on, -1 marks
# unlabeled rows (the semi-supervised convention), leaving a single class. This
# is why pretraining is off by default rather than switched on by a -1 in y.
MINUS_ONE_REASON = "with pretraining, the check's -1 labels are unlabeled rows, not a class"


def pretraining_failures(estimator):
    failures = {f"check_sample_weight_equivalence_on_{data}_data": PRETRAINING_WEIGHT_REASON
                for data in ("dense", "sparse")}
    failures["check_classifiers_classes"] = MINUS_ONE_REASON
    return failures


@parametrize_with_checks(PRETRAINING_CONFIGURATIONS, expected_failed_checks=pretraining_failures)
def test_sklearn_estimator_checks_pass_with_pretraining(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def source(digits):
    """A network fitted on digits 0-4, with batch norm (3 hidden layers)."""
    X, y = digits
    task_a = y < 5
    return DeepNetClassifier(dropout=0.0, n_hidden=3, n_neurons=16, max_iter=10, batch_size=32,
                             early_stopping=False, random_state=0).fit(X[task_a], y[task_a])


def _task_b(digits, n=200):
    X, y = digits
    task_b = y >= 5
    return X[task_b][:n], y[task_b][:n]


def _stateful(estimator):
    """Deep copies of every weight dict (kernels, biases, batch norm state), in order."""
    return copy.deepcopy(estimator.network_.weights)


def _assert_same(weights_a, weights_b):
    for a, b in zip(weights_a, weights_b, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)


# -- reuse --------------------------------------------------------------------
def test_frozen_reused_layers_keep_the_source_values_and_the_source_is_untouched(digits,
                                                                                source):
    X, y = _task_b(digits)
    before = _stateful(source)
    predictions = source.predict_proba(X)
    target = DeepNetClassifier(dropout=0.0, pretrained=source, frozen_layers="reused", **FAST).fit(X, y)
    n_reused = 3 * 2  # dense + batch norm per block
    assert before[1].keys() == {"gamma", "beta", "moving_mean", "moving_variance"}
    _assert_same(target.network_.weights[:n_reused], before[:n_reused])
    # same activations and batch norm placement as the source's blocks, frozen
    assert [type(layer) for layer in target.network_.spec.layers[:9]] == [
        type(layer) for layer in source.network_.spec.layers[:9]]
    assert not any(getattr(layer, "trainable", True)
                   for layer in target.network_.spec.layers[:9])
    assert target.coefs_[-1].shape == (16, 5)  # a fresh output layer for task B
    assert target.loss_curve_[-1] < 0.8 * target.loss_curve_[0]  # which did learn
    _assert_same(source.network_.weights, before)
    np.testing.assert_array_equal(source.predict_proba(X), predictions)
    for ours, theirs in zip(target.coefs_, source.coefs_):
        assert not np.shares_memory(ours, theirs)  # copied, not shared


def test_training_the_target_never_modifies_the_source(digits, source):
    X, y = _task_b(digits)
    before = _stateful(source)
    target = DeepNetClassifier(dropout=0.0, pretrained=source, **FAST).fit(X, y)  # nothing frozen
    assert not np.array_equal(target.coefs_[0], before[0]["kernel"])
    _assert_same(source.network_.weights, before)


@pytest.mark.parametrize("solver, extra", [
    ("sgd", {}), ("adam", {}), ("nadam", {}), ("adamax", {}), ("rmsprop", {}),
    ("adagrad", {}), ("adamw", {"weight_decay": 0.5}),
    ("adam", {"alpha": 1.0, "l1": 0.1, "max_norm": 0.5, "clip_norm": 0.1}),
    ("sgd", {"clip_value": 0.01, "dropout": 0.2}),
])
@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_no_optimizer_or_penalty_moves_a_frozen_parameter(digits, source, solver, extra,
                                                          backend):
    if backend == "torch":
        pytest.importorskip("torch")
    X, y = _task_b(digits, 100)
    options = {"dropout": 0.0, **extra}
    target = DeepNetClassifier(pretrained=source, frozen_layers=2, solver=solver,
                               learning_rate="constant", backend=backend, device="cpu",
                               **options, **FAST).fit(X, y)
    _assert_same(target.network_.weights[:4], source.network_.weights[:4])  # 2 blocks: dense + BN
    # the third reused block is trainable: it moved, statistics included
    assert not np.array_equal(target.coefs_[2], source.coefs_[2])
    assert not np.array_equal(target.network_.weights[5]["moving_mean"],
                              source.network_.weights[5]["moving_mean"])


def test_frozen_batch_norm_runs_in_inference_mode_while_training():
    spec = mlp_spec(3, (4,), 2, "relu", "squared_error", batch_norm=BatchNorm(), dtype="float64")
    weights = initial_weights(spec, np.random.RandomState(0))
    weights[1] = {"gamma": np.array([1.0, 2, 3, 4]), "beta": np.array([0.5, 0, 0, -1]),
                  "moving_mean": np.array([0.1, 0.2, 0.3, 0.4]),
                  "moving_variance": np.array([1.0, 2, 3, 4])}
    X = np.random.RandomState(1).randn(8, 3)
    frozen = NumpyEngine(freeze_hidden_layers(spec, 1), weights)
    training_output, _ = frozen.network.forward(X, training=True)
    np.testing.assert_array_equal(training_output, frozen.forward(X))
    _assert_same(frozen.get_weights(), weights)  # statistics not updated
    trainable = NumpyEngine(spec, weights)
    assert not np.allclose(trainable.network.forward(X, training=True)[0], frozen.forward(X))


def test_numpy_and_torch_agree_on_a_frozen_fit(digits):
    pytest.importorskip("torch")
    X, y = _task_b(digits, 150)
    source = MLPClassifier(hidden_layer_sizes=(12, 10), batch_norm=True, max_iter=5,
                           random_state=0).fit(X, y)
    fits = {backend: DeepNetClassifier(dropout=0.0, pretrained=source, frozen_layers=1, dtype="float64",
                                       new_hidden_layers=(8,), solver="adam", backend=backend,
                                       device="cpu", **FAST).fit(X, y)
            for backend in ("numpy", "torch")}
    start = source.network_.weights[:2]
    for fit in fits.values():
        _assert_same([{k: v.astype(np.float64) for k, v in w.items()}
                      for w in fit.network_.weights[:2]], start)
    for ours, theirs in zip(fits["numpy"].network_.weights[2:], fits["torch"].network_.weights[2:],
                            strict=True):
        for key in ours:
            np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-6, atol=1e-7,
                                       err_msg=key)


# -- fine-tuning ----------------------------------------------------------------
def test_unfreezing_with_warm_start_continues_from_the_current_weights(digits, source):
    X, y = _task_b(digits)
    target = DeepNetClassifier(dropout=0.0, pretrained=source, frozen_layers="reused", solver="adam",
                               learning_rate="constant", **FAST).fit(X, y)
    frozen_phase = _stateful(target)
    frozen_optimizer = target._optimizer
    # a rate so small that any step is invisible: what we get back is where we were
    target.set_params(frozen_layers=0, learning_rate_init=1e-12, warm_start=True, max_iter=1)
    target.fit(X, y)
    for after, before in zip(target.network_.weights, frozen_phase, strict=True):
        for key in ("kernel", "bias", "gamma", "beta"):
            if key in after:
                np.testing.assert_allclose(after[key], before[key], rtol=0, atol=1e-6)
    # the moments were laid out over other parameters: a fresh optimizer
    assert target._optimizer is not frozen_optimizer
    assert target._optimizer.n_steps == -(-len(X) // 32)
    # and a real rate now moves the formerly frozen layers
    target.set_params(learning_rate_init=1e-3, max_iter=3).fit(X, y)
    assert not np.array_equal(target.coefs_[0], source.coefs_[0])


def test_keeping_the_frozen_set_keeps_the_optimizer(digits, source):
    X, y = _task_b(digits)
    target = DeepNetClassifier(dropout=0.0, pretrained=source, frozen_layers=1, warm_start=True,
                               **FAST).fit(X, y)
    optimizer = target._optimizer
    target.fit(X, y)
    assert target._optimizer is optimizer


# -- architecture and sources -----------------------------------------------------
def test_reused_layers_and_new_hidden_layers_shape_the_network(digits, source):
    X, y = _task_b(digits)
    target = DeepNetClassifier(dropout=0.0, pretrained=source, reused_layers=1, new_hidden_layers=(7, 5),
                               **FAST).fit(X, y)
    assert [c.shape for c in target.coefs_] == [(64, 16), (16, 7), (7, 5), (5, 5)]
    # three hidden layers in all: 'auto' batch norm applies to the new ones as well
    assert sum(isinstance(layer, BatchNorm) for layer in target.network_.spec.layers) == 3
    with pytest.raises(ValueError, match="frozen_layers=4"):
        clone(target).set_params(frozen_layers=4).fit(X, y)


def test_an_mlp_regressor_source_keeps_its_activation_and_dtype_is_cast(digits):
    X, y = _task_b(digits)
    source = MLPRegressor(hidden_layer_sizes=(10,), activation="tanh", max_iter=20,
                          random_state=0).fit(X, y.astype(float))
    assert source.coefs_[0].dtype == np.float64
    target = DeepNetClassifier(dropout=0.0, pretrained=source, frozen_layers="reused", **FAST).fit(X, y)
    assert target.network_.spec.layers[1].name == "tanh"
    assert target.coefs_[0].dtype == np.float32
    np.testing.assert_array_equal(target.coefs_[0], source.coefs_[0].astype(np.float32))


def test_a_stacked_autoencoder_source_gives_its_codes_to_the_new_layers(digits):
    X, y = _task_b(digits)
    autoencoder = StackedAutoencoder((12, 6), batch_norm=True, max_iter=3,
                                     random_state=0).fit(X)
    before = copy.deepcopy(autoencoder.network_.weights)
    target = DeepNetRegressor(dropout=0.0, pretrained=autoencoder, frozen_layers="reused",
                              **FAST).fit(X, y.astype(float))
    assert [c.shape for c in target.coefs_] == [(64, 12), (12, 6), (6, 1)]
    # the network's last hidden activations are the autoencoder's codes
    network = target.network_
    codes = network.head(len(network.spec.layers) - 1).forward(X.astype(np.float32))
    np.testing.assert_array_equal(codes, autoencoder.transform(X))
    _assert_same(autoencoder.network_.weights, before)
    # unfrozen training moves the copies, never the autoencoder's own arrays
    DeepNetRegressor(dropout=0.0, pretrained=autoencoder, **FAST).fit(X, y.astype(float))
    _assert_same(autoencoder.network_.weights, before)


def test_partial_fit_starts_from_the_pretrained_layers_and_keeps_them_frozen(digits, source):
    X, y = _task_b(digits)
    target = DeepNetClassifier(dropout=0.0, pretrained=source, frozen_layers="reused", early_stopping=False,
                               random_state=0)
    for _ in range(3):
        target.partial_fit(X, y, classes=np.arange(5, 10))
    _assert_same(target.network_.weights[:6], source.network_.weights[:6])
    assert target.loss_curve_[-1] < target.loss_curve_[0]


def test_clone_and_cross_validation_keep_the_fitted_source(digits, source):
    X, y = _task_b(digits)
    target = DeepNetClassifier(dropout=0.0, pretrained=source, frozen_layers="reused",
                               **dict(FAST, max_iter=30))
    assert clone(target).pretrained is source
    scores = cross_val_score(target, X, y, cv=3)
    assert scores.mean() > 0.5
    restored = pickle.loads(pickle.dumps(target.fit(X, y)))
    np.testing.assert_array_equal(restored.predict(X), target.predict(X))


def test_bad_sources_raise_errors_naming_pretrained(digits, source):
    X, y = _task_b(digits)
    with pytest.raises(ValueError, match="pretrained=DeepNetClassifier was fitted on 64"):
        DeepNetClassifier(dropout=0.0, pretrained=source, **FAST).fit(X[:, :10], y)
    with pytest.raises(NotFittedError, match="pretrained=MLPClassifier is not fitted"):
        DeepNetClassifier(dropout=0.0, pretrained=MLPClassifier(), **FAST).fit(X, y)
    with pytest.raises(ValueError, match="pretrained must be a fitted sknn network"):
        DeepNetClassifier(dropout=0.0, pretrained=LogisticRegression().fit(X, y), **FAST).fit(X, y)
    with pytest.raises(ValueError, match="reused_layers=4"):
        DeepNetClassifier(dropout=0.0, pretrained=source, reused_layers=4, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="new_hidden_layers"):
        DeepNetClassifier(dropout=0.0, new_hidden_layers=(4,), **FAST).fit(X, y)
    for widths in ((4, 0), (4.5,), ("4",), (None,)):
        with pytest.raises(ValueError, match="'new_hidden_layers' parameter must be a positive"):
            DeepNetClassifier(dropout=0.0, pretrained=source, new_hidden_layers=widths,
                              **FAST).fit(X, y)
    with pytest.raises(ValueError, match="give one of them"):
        DeepNetClassifier(dropout=0.0, pretrained=source, pretraining="autoencoder", **FAST).fit(X, y)


# -- semi-supervised ----------------------------------------------------------------
def test_unlabeled_rows_pretrain_and_labeled_rows_train(digits):
    X, y = digits
    X, y = X[:400], y[:400]
    y_partial = np.where(np.arange(len(y)) < 100, y, -1)
    params = dict(n_hidden=2, n_neurons=12, **FAST)
    template = StackedAutoencoder(max_iter=4)
    semi = DeepNetClassifier(dropout=0.0, pretraining=template, **params).fit(X, y_partial)
    assert -1 not in semi.classes_
    np.testing.assert_array_equal(semi.classes_, np.arange(10))
    # the autoencoder saw every row, shaped like the classifier's hidden stack
    autoencoder = StackedAutoencoder(hidden_layer_sizes=(12, 12), activation="swish",
                                     max_iter=4, random_state=0).fit(X)
    _assert_same(semi.autoencoder_.network_.weights, autoencoder.network_.weights)
    # then the same as transfer from that autoencoder, trained on the labeled rows
    transfer = DeepNetClassifier(dropout=0.0, pretrained=autoencoder, **params).fit(X[:100], y[:100])
    _assert_same(semi.network_.weights, transfer.network_.weights)
    assert template.__dict__.get("hidden_layer_sizes") == (100,)  # template not modified


def test_pretraining_is_off_unless_asked_and_minus_one_is_then_a_class():
    X, y = make_classification(n_samples=120, n_features=6, random_state=0)
    y = np.where(y == 0, -1, 1)
    clf = DeepNetClassifier(dropout=0.0, n_hidden=1, n_neurons=4, **FAST).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, [-1, 1])
    with pytest.raises(ValueError, match="every row unlabeled"):
        DeepNetClassifier(dropout=0.0, pretraining="autoencoder", **FAST).fit(X, np.full(120, -1))


def test_warm_start_does_not_pretrain_again_and_partial_fit_refuses(digits):
    X, y = digits
    y_partial = np.where(np.arange(len(y)) < 300, y, -1)
    clf = DeepNetClassifier(dropout=0.0, n_hidden=1, n_neurons=8, warm_start=True,
                            pretraining=StackedAutoencoder(max_iter=2), **FAST)
    clf.fit(X, y_partial)
    autoencoder = clf.autoencoder_
    clf.fit(X, y_partial)
    assert clf.autoencoder_ is autoencoder
    assert not hasattr(clf, "partial_fit")
    with pytest.raises(AttributeError, match="pretraining needs all of X"):
        clf.partial_fit(X[:300], y[:300])


def test_pretraining_helps_with_few_labels(digits):
    # measured (seed 0, 50 labels, 1257 rows pretraining): 0.80 vs 0.79 on the
    # rest; the test asserts no harm and a working pipeline, not a big gain
    X, y = digits
    n_labels = 50
    y_partial = np.where(np.arange(len(y)) < n_labels, y, -1)
    params = dict(n_hidden=2, n_neurons=64, early_stopping=False, max_iter=50, random_state=0)
    semi = DeepNetClassifier(dropout=0.0, pretraining=StackedAutoencoder(max_iter=30), **params)
    semi.fit(X, y_partial)
    supervised = DeepNetClassifier(dropout=0.0, **params).fit(X[:n_labels], y[:n_labels])
    test = slice(n_labels, None)
    assert semi.score(X[test], y[test]) > supervised.score(X[test], y[test]) - 0.02
    assert semi.score(X[test], y[test]) > 0.7
