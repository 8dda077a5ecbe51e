"""PerceptronClassifier: the exact perceptron rule, fast, and scikit-learn's results."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits, load_iris, make_blobs, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Perceptron
from sklearn.preprocessing import StandardScaler

from sknn import PerceptronClassifier


def reference_perceptron(X, y, classes, *, epochs, eta0=1.0, penalty=None, alpha=1e-4,
                         l1_ratio=0.15, sample_weight=None, rule="sign"):
    """The per-sample rule written out plainly: one sample, one LTU at a time."""
    n, d = X.shape
    binary = len(classes) == 2
    units = [classes[1]] if binary else list(classes)
    sample_weight = np.ones(n) if sample_weight is None else sample_weight
    l1 = {None: 0.0, "l2": 0.0, "l1": 1.0, "elasticnet": l1_ratio}[penalty]
    coef, intercept = np.zeros((len(units), d)), np.zeros(len(units))
    for j, positive in enumerate(units):
        w, b, u, q = np.zeros(d), 0.0, 0.0, np.zeros(d)
        t = np.where(y == positive, 1.0, -1.0)
        for _ in range(epochs):
            for i in range(n):
                z = X[i] @ w + b
                wrong = t[i] * z <= 0 if rule == "sign" else (z > 0) != (t[i] > 0)
                if penalty is not None:
                    w *= max(0.0, 1 - (1 - l1) * eta0 * alpha)
                if wrong and sample_weight[i] != 0:
                    w += eta0 * t[i] * sample_weight[i] * X[i]
                    b += eta0 * t[i] * sample_weight[i]
                if l1 > 0:
                    u += l1 * eta0 * alpha
                    for f in range(d):
                        old = w[f]
                        if old > 0:
                            w[f] = max(0.0, old - (u + q[f]))
                        elif old < 0:
                            w[f] = min(0.0, old + (u - q[f]))
                        q[f] += w[f] - old
        coef[j], intercept[j] = w, b
    return coef, intercept


def _iris():
    X, y = load_iris(return_X_y=True)
    order = np.random.RandomState(12).permutation(len(y))
    return X[order], y[order]


CASES = [
    dict(),
    dict(penalty="l2", alpha=1e-3),
    dict(penalty="l1", alpha=1e-3),
    dict(penalty="elasticnet", alpha=1e-3, l1_ratio=0.5),
    dict(eta0=0.1),
]


@pytest.mark.parametrize("params", CASES, ids=str)
@pytest.mark.parametrize("task", ["binary", "multiclass"])
@pytest.mark.parametrize("weighted", [False, True])
def test_fit_equals_the_per_sample_reference_loop(params, task, weighted):
    X, y = _iris()
    if task == "binary":
        y = (y == 1).astype(int)
    weights = np.random.RandomState(0).randint(0, 3, len(y)).astype(float) if weighted else None
    clf = PerceptronClassifier(shuffle=False, tol=None, max_iter=3, **params)
    clf.fit(X, y, sample_weight=weights)
    coef, intercept = reference_perceptron(X, y, clf.classes_, epochs=3, sample_weight=weights,
                                           **params)
    np.testing.assert_allclose(clf.coef_, coef, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(clf.intercept_, intercept, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_heaviside_rule_equals_the_textbook_reference(task):
    X, y = _iris()
    if task == "binary":
        y = (y == 2).astype(int)
    clf = PerceptronClassifier(shuffle=False, tol=None, max_iter=4,
                               step_function="heaviside").fit(X, y)
    coef, intercept = reference_perceptron(X, y, clf.classes_, epochs=4, rule="heaviside")
    np.testing.assert_allclose(clf.coef_, coef, atol=1e-9)
    np.testing.assert_allclose(clf.intercept_, intercept, atol=1e-9)


def test_heaviside_leaves_negative_zero_margin_samples_alone():
    X = np.array([[1.0, 0.0]])
    sign = PerceptronClassifier(tol=None, max_iter=1).partial_fit(X, [0], classes=[0, 1])
    step = PerceptronClassifier(tol=None, max_iter=1, step_function="heaviside")
    step.partial_fit(X, [0], classes=[0, 1])
    assert sign.coef_[0, 0] == -1.0 and sign.intercept_[0] == -1.0
    assert step.coef_[0, 0] == 0.0 and step.intercept_[0] == 0.0


PARAMS = [
    dict(),
    dict(penalty="l2"),
    dict(penalty="l1"),
    dict(penalty="elasticnet", alpha=1e-3),
    dict(class_weight="balanced"),
    dict(early_stopping=True),
    dict(fit_intercept=False, eta0=0.5),
]


@pytest.mark.parametrize("params", PARAMS, ids=str)
@pytest.mark.parametrize("dataset", ["iris", "digits", "iris-binary"])
def test_unshuffled_fit_equals_scikit_learn(params, dataset):
    X, y = load_digits(return_X_y=True) if dataset == "digits" else _iris()
    # Standardized features: on raw iris (one decimal) some margins are exactly
    # zero in exact arithmetic, and scikit-learn's sequential dot product and
    # BLAS round them to opposite signs, which flips a tie-break update.
    X = _scaled(X)
    if dataset == "iris-binary":
        y = (y == 1).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = PerceptronClassifier(shuffle=False, **params).fit(X, y)
        theirs = Perceptron(shuffle=False, **params).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-7, atol=1e-8)
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.t_ == theirs.t_
    assert ours.score(X, y) == theirs.score(X, y)


@pytest.mark.parametrize("penalty", [None, "l1"])
def test_sparse_input_equals_scikit_learn(penalty):
    X, y = _iris()
    X = sp.csr_matrix(np.where(X > 3, X, 0.0))
    ours = PerceptronClassifier(shuffle=False, penalty=penalty).fit(X, y)
    theirs = Perceptron(shuffle=False, penalty=penalty).fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, rtol=1e-7, atol=1e-8)


def _scaled(X):
    return StandardScaler().fit_transform(X)


@pytest.mark.parametrize("dataset", ["iris", "digits", "make_classification"])
@pytest.mark.parametrize("params", [dict(), dict(penalty="l2", alpha=1e-4)], ids=str)
def test_shuffled_accuracy_matches_scikit_learn(dataset, params):
    if dataset == "make_classification":
        X, y = make_classification(2000, 20, n_informative=10, n_classes=3, random_state=0)
    else:
        X, y = (load_iris if dataset == "iris" else load_digits)(return_X_y=True)
    X = _scaled(X)
    scores = [est(random_state=seed, **params).fit(X, y).score(X, y)
              for est in (PerceptronClassifier, Perceptron) for seed in range(5)]
    ours, theirs = np.mean(scores[:5]), np.mean(scores[5:])
    assert abs(ours - theirs) < 0.05, (ours, theirs)


@pytest.mark.parametrize("batch_size", [1, 16])
def test_linearly_separable_data_reaches_zero_training_errors(batch_size):
    X, y = make_blobs(300, centers=[[-3, -3], [3, 3]], cluster_std=1.0, random_state=0)
    clf = PerceptronClassifier(tol=None, max_iter=100, batch_size=batch_size).fit(X, y)
    assert clf.score(X, y) == 1.0


@pytest.mark.parametrize("step_function", ["sign", "heaviside"])
def test_xor_cannot_be_learned(step_function):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([0, 1, 1, 0])
    clf = PerceptronClassifier(tol=None, max_iter=1000, step_function=step_function).fit(X, y)
    assert clf.score(X, y) <= 0.75


@pytest.mark.parametrize("step_function", ["sign", "heaviside"])
def test_logic_gates_are_learned(step_function):
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    for target in ([0, 0, 0, 1], [0, 1, 1, 1]):
        clf = PerceptronClassifier(tol=None, max_iter=50, step_function=step_function)
        assert list(clf.fit(X, target).predict(X)) == target


def test_multilabel_targets_get_one_ltu_per_label():
    X = np.random.RandomState(0).randn(200, 4)
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] < 0.5]).astype(int)
    clf = PerceptronClassifier(max_iter=50, random_state=0).fit(X, Y)
    assert clf.coef_.shape == (3, 4)
    assert clf.predict(X).shape == Y.shape
    assert (clf.predict(X) == Y).mean() > 0.95


def test_minibatch_learns_like_the_classic_rule():
    X, y = make_classification(3000, 20, n_informative=10, n_classes=4, random_state=0)
    X = _scaled(X)
    classic = PerceptronClassifier(random_state=0).fit(X, y).score(X, y)
    batched = PerceptronClassifier(random_state=0, batch_size=32).fit(X, y).score(X, y)
    assert batched > classic - 0.1


@pytest.mark.parametrize("shrink", [1.0, 0.999])
def test_sequential_path_equals_blocked_path(shrink):
    from sknn.nn.perceptron_rule import blocked_epoch, minibatch_epoch, new_state

    X, y = _iris()
    T = np.where(y[:, None] == np.arange(3), 1.0, -1.0)
    U = T * np.random.RandomState(0).rand(len(y), 1)
    options = dict(rule="sign", shrink=shrink, fit_intercept=True, intercept_decay=1.0)
    results = []
    for blocked in (True, False):
        W, b = np.zeros((4, 3)), np.zeros(3)
        state = new_state(W, l1=False)
        for _ in range(3):
            if blocked:
                loss = blocked_epoch(X, T, U, W, b, state, **options)[0]
            else:
                loss = minibatch_epoch(X, T, U, W, b, state, batch_size=1, l1_step=0.0,
                                       **options)[0]
        results.append((W, b, loss))
    for left, right in zip(*results):
        np.testing.assert_allclose(left, right, rtol=1e-10, atol=1e-10)


def test_partial_fit_runs_one_epoch_and_counts_samples():
    X, y = _iris()
    ours = PerceptronClassifier(shuffle=False)
    theirs = Perceptron(shuffle=False)
    for _ in range(3):
        ours.partial_fit(X, y, classes=np.unique(y))
        theirs.partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_allclose(ours.coef_, theirs.coef_)
    assert ours.n_iter_ == theirs.n_iter_ == 1
    assert ours.t_ == theirs.t_


def test_warm_start_and_coef_init_continue_from_given_weights():
    X, y = _iris()
    ours = PerceptronClassifier(shuffle=False, warm_start=True, tol=None, max_iter=2)
    theirs = Perceptron(shuffle=False, warm_start=True, tol=None, max_iter=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(2):
            ours.fit(X, y)
            theirs.fit(X, y)
    np.testing.assert_allclose(ours.coef_, theirs.coef_)
    with pytest.raises(ValueError, match="coef_init does not match"):
        PerceptronClassifier().fit(X, y, coef_init=np.zeros((2, 4)))


def test_hard_decisions_only_and_pickles():
    X, y = _iris()
    clf = PerceptronClassifier().fit(X, y)
    assert not hasattr(clf, "predict_proba") and not hasattr(clf, "predict_log_proba")
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict(X), clf.predict(X))


def test_float32_input_trains_in_float32():
    X, y = _iris()
    clf = PerceptronClassifier().fit(X.astype(np.float32), y)
    assert clf.coef_.dtype == np.float32
    assert clf.score(X, y) > 0.6
