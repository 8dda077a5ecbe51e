"""Optimizers: update rules against hand-written formulas and scikit-learn's own."""

import pickle

import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from sknn.nn.optimizers import OPTIMIZERS, Optimizer, make_optimizer


def sgd_reference(params, grad_seq, lrs, momentum, nesterov):
    """scikit-learn's SGD: v <- mu v - lr g; p <- p + mu v - lr g (Nesterov) or p + v."""
    p, v = params.copy(), np.zeros_like(params)
    for g, lr in zip(grad_seq, lrs):
        v = momentum * v - lr * g
        p = p + (momentum * v - lr * g if nesterov else v)
    return p


def adam_reference(params, grad_seq, lrs, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    """Adam with bias correction folded into the rate, as scikit-learn writes it."""
    p, m, v = params.copy(), np.zeros_like(params), np.zeros_like(params)
    for t, (g, lr) in enumerate(zip(grad_seq, lrs), start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        lr_t = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        p = p - lr_t * m / (np.sqrt(v) + epsilon)
    return p


def sklearn_sgd(params, lr, momentum, nesterov):
    return SGDOptimizer(params, learning_rate_init=lr, momentum=momentum, nesterov=nesterov)


def sklearn_adam(params, lr, **kwargs):
    return AdamOptimizer(params, learning_rate_init=lr, **kwargs)


# (id, registry name, constructor kwargs, hand-written reference, scikit-learn factory)
OPTIMIZER_CASES = [
    ("sgd_plain", "sgd", {"momentum": 0.0, "nesterov": False},
     lambda p, g, lr: sgd_reference(p, g, lr, 0.0, False),
     lambda p, lr: sklearn_sgd(p, lr, 0.0, False)),
    ("sgd_plain_nesterov_flag", "sgd", {"momentum": 0.0, "nesterov": True},
     lambda p, g, lr: sgd_reference(p, g, lr, 0.0, True),
     lambda p, lr: sklearn_sgd(p, lr, 0.0, True)),
    ("sgd_momentum", "sgd", {"momentum": 0.9, "nesterov": False},
     lambda p, g, lr: sgd_reference(p, g, lr, 0.9, False),
     lambda p, lr: sklearn_sgd(p, lr, 0.9, False)),
    ("sgd_nesterov", "sgd", {"momentum": 0.7, "nesterov": True},
     lambda p, g, lr: sgd_reference(p, g, lr, 0.7, True),
     lambda p, lr: sklearn_sgd(p, lr, 0.7, True)),
    ("adam_default", "adam", {},
     lambda p, g, lr: adam_reference(p, g, lr),
     lambda p, lr: sklearn_adam(p, lr)),
    ("adam_custom", "adam", {"beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-4},
     lambda p, g, lr: adam_reference(p, g, lr, 0.8, 0.99, 1e-4),
     lambda p, lr: sklearn_adam(p, lr, beta_1=0.8, beta_2=0.99, epsilon=1e-4)),
]
CASE_IDS = [case[0] for case in OPTIMIZER_CASES]
N_PARAMS = 23


def _params_and_grads(n_steps, seed=0, dtype=np.float64):
    rng = np.random.RandomState(seed)
    params = rng.normal(size=N_PARAMS).astype(dtype)
    grads = [rng.normal(size=N_PARAMS).astype(dtype) for _ in range(n_steps)]
    return params, grads


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_every_optimizer_has_a_reference_case(name):
    assert name in {case[1] for case in OPTIMIZER_CASES}, f"add a case for optimizer {name!r}"


@pytest.mark.parametrize("n_steps", [1, 3])
@pytest.mark.parametrize("case_id, name, kwargs, reference, _", OPTIMIZER_CASES, ids=CASE_IDS)
def test_optimizer_steps_match_hand_written_formula(case_id, name, kwargs, reference, _,
                                                    n_steps):
    params, grads = _params_and_grads(n_steps)
    lrs = [0.1, 0.03, 0.05][:n_steps]
    expected = reference(params, grads, lrs)
    optimizer = make_optimizer(name, **kwargs)
    for g, lr in zip(grads, lrs):
        optimizer.step(params, g, lr)
    np.testing.assert_allclose(params, expected, rtol=1e-13, atol=1e-15)
    assert optimizer.n_steps == n_steps
    assert optimizer.learning_rate == lrs[-1]


@pytest.mark.parametrize("case_id, name, kwargs, _, sklearn_factory", OPTIMIZER_CASES,
                         ids=CASE_IDS)
def test_optimizer_matches_sklearn_stochastic_optimizer(case_id, name, kwargs, _,
                                                        sklearn_factory):
    # scikit-learn updates a list of arrays; sknn one flat vector holding them all.
    rng = np.random.RandomState(1)
    shapes = [(4, 3), (3, 2), (3,), (2,)]
    sk_params = [rng.normal(size=shape) for shape in shapes]
    flat = np.concatenate([p.ravel() for p in sk_params])
    lr = 0.01
    sk_opt = sklearn_factory(sk_params, lr)
    optimizer = make_optimizer(name, **kwargs)
    for _step in range(5):
        sk_grads = [rng.normal(size=shape) for shape in shapes]
        sk_opt.update_params(sk_params, sk_grads)
        optimizer.step(flat, np.concatenate([g.ravel() for g in sk_grads]), lr)
        np.testing.assert_allclose(flat, np.concatenate([p.ravel() for p in sk_params]),
                                   rtol=0, atol=1e-12)


@pytest.mark.parametrize("case_id, name, kwargs, _, __", OPTIMIZER_CASES, ids=CASE_IDS)
def test_optimizer_state_survives_pickle_round_trip(case_id, name, kwargs, _, __):
    params, grads = _params_and_grads(4, seed=2)
    optimizer = make_optimizer(name, **kwargs)
    for g in grads[:3]:
        optimizer.step(params, g, 0.05)
    restored = pickle.loads(pickle.dumps(optimizer))
    assert restored.n_steps == optimizer.n_steps
    assert restored.config() == optimizer.config()
    original_params, restored_params = params.copy(), params.copy()
    optimizer.step(original_params, grads[3], 0.05)
    restored.step(restored_params, grads[3], 0.05)
    np.testing.assert_array_equal(restored_params, original_params)
    assert not np.array_equal(original_params, params)  # the step did something


@pytest.mark.parametrize("case_id, name, kwargs, _, __", OPTIMIZER_CASES, ids=CASE_IDS)
def test_optimizer_pickle_drops_scratch_buffers(case_id, name, kwargs, _, __):
    params, grads = _params_and_grads(1, seed=3)
    optimizer = make_optimizer(name, **kwargs)
    optimizer.step(params, grads[0], 0.1)
    state = optimizer.__getstate__()
    assert all(state[key] is None for key in state if key.startswith("_scratch"))


@pytest.mark.parametrize("case_id, name, kwargs, reference, _", OPTIMIZER_CASES, ids=CASE_IDS)
def test_optimizer_keeps_float32_params_and_state(case_id, name, kwargs, reference, _):
    params, grads = _params_and_grads(3, seed=4, dtype=np.float32)
    expected = reference(params.astype(np.float64), [g.astype(np.float64) for g in grads],
                         [0.1] * 3)
    optimizer = make_optimizer(name, **kwargs)
    for g in grads:
        optimizer.step(params, g, 0.1)
    assert params.dtype == np.float32
    for value in vars(optimizer).values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32
    np.testing.assert_allclose(params, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case_id, name, kwargs, _, __", OPTIMIZER_CASES, ids=CASE_IDS)
def test_optimizer_casts_its_state_when_params_change_dtype(case_id, name, kwargs, _, __):
    params, grads = _params_and_grads(2, seed=5)
    optimizer = make_optimizer(name, **kwargs)
    optimizer.step(params, grads[0], 0.1)
    params32 = params.astype(np.float32)
    optimizer.step(params32, grads[1].astype(np.float32), 0.1)
    for value in vars(optimizer).values():
        if isinstance(value, np.ndarray):
            assert value.dtype == np.float32


@pytest.mark.parametrize("case_id, name, kwargs, _, __", OPTIMIZER_CASES, ids=CASE_IDS)
def test_unpickled_optimizer_casts_its_state_when_params_change_dtype(case_id, name, kwargs,
                                                                      _, __):
    # KNOWN SKNN BUG (fails at the time of writing, every case):
    # pickling drops _scratch, so after unpickling _ensure_state takes the
    # "allocate" branch, which keeps same-shaped float64 moments, and never
    # reaches the dtype check that casts them. The state then stays float64
    # while the params are float32. Fix: in Optimizer._ensure_state, run the
    # dtype check after (not instead of) allocation, e.g. cast whenever any
    # ndarray attribute's dtype differs from params.dtype.
    params, grads = _params_and_grads(2, seed=6)
    optimizer = make_optimizer(name, **kwargs)
    optimizer.step(params, grads[0], 0.1)
    restored = pickle.loads(pickle.dumps(optimizer))
    restored.step(params.astype(np.float32), grads[1].astype(np.float32), 0.1)
    dtypes = {key: value.dtype for key, value in vars(restored).items()
              if isinstance(value, np.ndarray)}
    assert set(dtypes.values()) == {np.dtype(np.float32)}, dtypes


def test_sgd_with_momentum_accumulates_velocity():
    optimizer = make_optimizer("sgd", momentum=0.5, nesterov=False)
    params = np.zeros(1)
    for _ in range(2):
        optimizer.step(params, np.ones(1), 1.0)
    # v1 = -1, p1 = -1; v2 = 0.5 * -1 - 1 = -1.5, p2 = -2.5
    np.testing.assert_allclose(optimizer.velocity, [-1.5])
    np.testing.assert_allclose(params, [-2.5])


def test_adam_first_step_moves_each_parameter_by_the_learning_rate():
    # With bias correction, m/sqrt(v) = sign(g) on the first step.
    optimizer = make_optimizer("adam", epsilon=0.0)
    params = np.zeros(3)
    optimizer.step(params, np.array([1e-3, -5.0, 2.0]), 0.01)
    np.testing.assert_allclose(params, [-0.01, 0.01, -0.01], rtol=1e-12)


def test_make_optimizer_rejects_unknown_name_listing_choices():
    with pytest.raises(ValueError, match="adam, sgd"):
        make_optimizer("rmsprop")


def test_base_optimizer_step_is_abstract():
    with pytest.raises(NotImplementedError):
        Optimizer().step(np.zeros(1), np.zeros(1), 0.1)
