"""Optimizers: update rules against hand-written formulas, scikit-learn's own and torch.optim."""

import inspect
import pickle
from dataclasses import dataclass, field

import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer

from sknn.nn.optimizers import CHUNK, OPTIMIZERS, Optimizer, _LazyDecay, make_optimizer

# -- hand-written references (float64, one loop iteration per step) --------


def sgd_reference(params, grad_seq, lrs, momentum, nesterov):
    """scikit-learn's SGD: v <- mu v - lr g; p <- p + mu v - lr g (Nesterov) or p + v."""
    p, v = params.copy(), np.zeros_like(params)
    for g, lr in zip(grad_seq, lrs):
        if not momentum:  # plain SGD: the velocity is left alone, as torch leaves its buffer
            p = p - lr * g
            continue
        v = momentum * v - lr * g
        p = p + (momentum * v - lr * g if nesterov else v)
    return p, {"velocity": v}


def adam_reference(params, grad_seq, lrs, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                   weight_decay=0.0):
    """Adam with bias correction folded into the rate, as scikit-learn writes it.

    With ``weight_decay``, AdamW: ``p <- (1 - lr wd) p`` before each Adam step.
    Like every reference, returns the parameters and the state, named as in
    ``state_dict()``.
    """
    p, m, v = params.copy(), np.zeros_like(params), np.zeros_like(params)
    for t, (g, lr) in enumerate(zip(grad_seq, lrs), start=1):
        p = p * (1 - lr * weight_decay)
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        lr_t = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        p = p - lr_t * m / (np.sqrt(v) + epsilon)
    return p, {"m": m, "v": v}


def nadam_reference(params, grad_seq, lrs, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                    momentum_decay=4e-3):
    """Dozat's NAdam with the momentum schedule mu_t = b1 (1 - 0.96^(t psi) / 2)."""
    p, m, v = params.copy(), np.zeros_like(params), np.zeros_like(params)
    mu_product = 1.0
    for t, (g, lr) in enumerate(zip(grad_seq, lrs), start=1):
        mu = beta_1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = beta_1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        mu_product *= mu
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        denominator = np.sqrt(v / (1 - beta_2**t)) + epsilon
        p = (p - lr * (1 - mu) / (1 - mu_product) * g / denominator
             - lr * mu_next / (1 - mu_product * mu_next) * m / denominator)
    return p, {"m": m, "v": v, "mu_product": mu_product}


def adamax_reference(params, grad_seq, lrs, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    """Adamax: u <- max(b2 u, |g| + eps); p <- p - lr / (1 - b1^t) m / u."""
    p, m, u = params.copy(), np.zeros_like(params), np.zeros_like(params)
    for t, (g, lr) in enumerate(zip(grad_seq, lrs), start=1):
        m = beta_1 * m + (1 - beta_1) * g
        u = np.maximum(beta_2 * u, np.abs(g) + epsilon)
        p = p - lr / (1 - beta_1**t) * m / u
    return p, {"m": m, "u": u}


def rmsprop_reference(params, grad_seq, lrs, rho=0.9, epsilon=1e-8):
    """RMSprop: v <- rho v + (1 - rho) g^2; p <- p - lr g / (sqrt(v) + eps)."""
    p, v = params.copy(), np.zeros_like(params)
    for g, lr in zip(grad_seq, lrs):
        v = rho * v + (1 - rho) * g**2
        p = p - lr * g / (np.sqrt(v) + epsilon)
    return p, {"v": v}


def adagrad_reference(params, grad_seq, lrs, epsilon=1e-10):
    """Adagrad: s <- s + g^2; p <- p - lr g / (sqrt(s) + eps)."""
    p, s = params.copy(), np.zeros_like(params)
    for g, lr in zip(grad_seq, lrs):
        s = s + g**2
        p = p - lr * g / (np.sqrt(s) + epsilon)
    return p, {"accumulator": s}


# -- the shared case table --------------------------------------------------


def sklearn_sgd(params, lr, momentum, nesterov):
    return SGDOptimizer(params, learning_rate_init=lr, momentum=momentum, nesterov=nesterov)


def sklearn_adam(params, lr, **kwargs):
    return AdamOptimizer(params, learning_rate_init=lr, **kwargs)


def torch_optimizer(class_name, **kwargs):
    """Factory ``(tensors, lr) -> torch.optim.<class_name>``, built only when torch is there."""

    def build(tensors, lr):
        import torch

        return getattr(torch.optim, class_name)(tensors, lr=lr, **kwargs)

    return build


@dataclass(frozen=True)
class Case:
    """One optimizer configuration and everything it is compared with.

    ``reference(params, grads, lrs) -> (params, state)`` is the hand-written
    formula; ``sklearn(params, lr)`` scikit-learn's optimizer and
    ``torch(tensors, lr)`` torch.optim's, where one exists. ``torch_kwargs`` override ``kwargs``
    for the torch comparison (Adam places ``eps`` differently, so it is
    compared at ``eps = 0``).
    """

    id: str
    name: str
    kwargs: dict
    reference: object
    sklearn: object = None
    torch: object = None
    torch_kwargs: dict = field(default_factory=dict)


OPTIMIZER_CASES = [
    Case("sgd_plain", "sgd", {"momentum": 0.0, "nesterov": False},
         lambda p, g, lr: sgd_reference(p, g, lr, 0.0, False),
         lambda p, lr: sklearn_sgd(p, lr, 0.0, False), torch_optimizer("SGD")),
    # torch refuses nesterov without momentum: it is the same rule as plain SGD
    Case("sgd_plain_nesterov_flag", "sgd", {"momentum": 0.0, "nesterov": True},
         lambda p, g, lr: sgd_reference(p, g, lr, 0.0, True),
         lambda p, lr: sklearn_sgd(p, lr, 0.0, True), torch_optimizer("SGD")),
    Case("sgd_momentum", "sgd", {"momentum": 0.9, "nesterov": False},
         lambda p, g, lr: sgd_reference(p, g, lr, 0.9, False),
         lambda p, lr: sklearn_sgd(p, lr, 0.9, False),
         torch_optimizer("SGD", momentum=0.9)),
    Case("sgd_nesterov", "sgd", {"momentum": 0.7, "nesterov": True},
         lambda p, g, lr: sgd_reference(p, g, lr, 0.7, True),
         lambda p, lr: sklearn_sgd(p, lr, 0.7, True),
         torch_optimizer("SGD", momentum=0.7, nesterov=True)),
    Case("adam_default", "adam", {},
         lambda p, g, lr: adam_reference(p, g, lr),
         lambda p, lr: sklearn_adam(p, lr),
         torch_optimizer("Adam", eps=0.0), {"epsilon": 0.0}),
    Case("adam_custom", "adam", {"beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-4},
         lambda p, g, lr: adam_reference(p, g, lr, 0.8, 0.99, 1e-4),
         lambda p, lr: sklearn_adam(p, lr, beta_1=0.8, beta_2=0.99, epsilon=1e-4),
         torch_optimizer("Adam", betas=(0.8, 0.99), eps=0.0), {"epsilon": 0.0}),
    Case("adamw_default", "adamw", {},
         lambda p, g, lr: adam_reference(p, g, lr, weight_decay=0.01),
         torch=torch_optimizer("AdamW", eps=0.0), torch_kwargs={"epsilon": 0.0}),
    Case("adamw_custom", "adamw",
         {"beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-4, "weight_decay": 0.3},
         lambda p, g, lr: adam_reference(p, g, lr, 0.8, 0.99, 1e-4, weight_decay=0.3),
         torch=torch_optimizer("AdamW", betas=(0.8, 0.99), eps=0.0, weight_decay=0.3),
         torch_kwargs={"epsilon": 0.0}),
    Case("nadam_default", "nadam", {},
         lambda p, g, lr: nadam_reference(p, g, lr),
         torch=torch_optimizer("NAdam")),
    Case("nadam_custom", "nadam", {"beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3},
         lambda p, g, lr: nadam_reference(p, g, lr, 0.8, 0.99, 1e-3),
         torch=torch_optimizer("NAdam", betas=(0.8, 0.99), eps=1e-3)),
    Case("adamax_default", "adamax", {},
         lambda p, g, lr: adamax_reference(p, g, lr),
         torch=torch_optimizer("Adamax")),
    Case("adamax_custom", "adamax", {"beta_1": 0.8, "beta_2": 0.5, "epsilon": 1e-3},
         lambda p, g, lr: adamax_reference(p, g, lr, 0.8, 0.5, 1e-3),
         torch=torch_optimizer("Adamax", betas=(0.8, 0.5), eps=1e-3)),
    Case("rmsprop_default", "rmsprop", {},
         lambda p, g, lr: rmsprop_reference(p, g, lr),
         torch=torch_optimizer("RMSprop", alpha=0.9)),
    Case("rmsprop_custom", "rmsprop", {"rho": 0.5, "epsilon": 1e-3},
         lambda p, g, lr: rmsprop_reference(p, g, lr, 0.5, 1e-3),
         torch=torch_optimizer("RMSprop", alpha=0.5, eps=1e-3)),
    Case("adagrad_default", "adagrad", {},
         lambda p, g, lr: adagrad_reference(p, g, lr),
         torch=torch_optimizer("Adagrad")),
    Case("adagrad_custom", "adagrad", {"epsilon": 1e-2},
         lambda p, g, lr: adagrad_reference(p, g, lr, 1e-2),
         torch=torch_optimizer("Adagrad", eps=1e-2)),
]
CASE_IDS = [case.id for case in OPTIMIZER_CASES]
N_PARAMS = 23
all_cases = pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=CASE_IDS)


def _cases_with(attribute):
    cases = [case for case in OPTIMIZER_CASES if getattr(case, attribute) is not None]
    return pytest.mark.parametrize("case", cases, ids=[case.id for case in cases])


def _params_and_grads(n_steps, seed=0, dtype=np.float64, size=N_PARAMS):
    rng = np.random.RandomState(seed)
    params = rng.normal(size=size).astype(dtype)
    grads = [rng.normal(size=size).astype(dtype) for _ in range(n_steps)]
    return params, grads


# -- the table covers the registry ------------------------------------------


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_every_optimizer_has_a_reference_case(name):
    assert name in {case.name for case in OPTIMIZER_CASES}, f"add a case for optimizer {name!r}"


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_config_reports_every_constructor_hyperparameter(name):
    optimizer_class = OPTIMIZERS.get(name)
    arguments = set(inspect.signature(optimizer_class).parameters) - {"learning_rate"}
    optimizer = optimizer_class()
    assert set(optimizer.config()) == arguments
    assert all(optimizer.config()[key] == getattr(optimizer, key) for key in arguments)


# -- update rules -----------------------------------------------------------


def _assert_state_is(optimizer, expected_state, n_steps, rtol):
    """``state_dict()`` holds ``n_steps`` and the reference's vectors at their true values."""
    state = optimizer.state_dict()
    assert set(state) == {"n_steps", *expected_state}
    assert state["n_steps"] == n_steps
    for name, expected in expected_state.items():
        np.testing.assert_allclose(state[name], expected, rtol=rtol, atol=1e-15, err_msg=name)


@pytest.mark.parametrize("n_steps", [1, 3])
@all_cases
def test_optimizer_steps_match_hand_written_formula(case, n_steps):
    params, grads = _params_and_grads(n_steps)
    lrs = [0.1, 0.03, 0.05][:n_steps]
    expected, expected_state = case.reference(params, grads, lrs)
    optimizer = make_optimizer(case.name, **case.kwargs)
    for g, lr in zip(grads, lrs):
        optimizer.step(params, g, lr)
    np.testing.assert_allclose(params, expected, rtol=1e-13, atol=1e-15)
    _assert_state_is(optimizer, expected_state, n_steps, rtol=1e-13)
    assert optimizer.learning_rate == lrs[-1]


@all_cases
def test_optimizer_updates_every_chunk_of_a_long_vector(case):
    # more than two chunks: each chunk reuses the scratch rows and the state slices
    params, grads = _params_and_grads(2, seed=7, size=2 * CHUNK + 5)
    expected, expected_state = case.reference(params, grads, [0.1, 0.05])
    optimizer = make_optimizer(case.name, **case.kwargs)
    for g, lr in zip(grads, [0.1, 0.05]):
        optimizer.step(params, g, lr)
    np.testing.assert_allclose(params, expected, rtol=1e-12, atol=1e-14)
    _assert_state_is(optimizer, expected_state, 2, rtol=1e-12)


@all_cases
def test_lazily_decayed_state_stays_true_over_many_steps(case):
    # 200 steps: the lazy scale of a beta = 0.9 average is renormalized after ~130
    params, grads = _params_and_grads(200, seed=15)
    lrs = [0.01] * 200
    expected, expected_state = case.reference(params, grads, lrs)
    optimizer = make_optimizer(case.name, **case.kwargs)
    for g, lr in zip(grads, lrs):
        optimizer.step(params, g, lr)
    np.testing.assert_allclose(params, expected, rtol=1e-10, atol=1e-12)
    _assert_state_is(optimizer, expected_state, 200, rtol=1e-10)


@_cases_with("sklearn")
def test_optimizer_matches_sklearn_stochastic_optimizer(case):
    # scikit-learn updates a list of arrays; sknn one flat vector holding them all.
    rng = np.random.RandomState(1)
    shapes = [(4, 3), (3, 2), (3,), (2,)]
    sk_params = [rng.normal(size=shape) for shape in shapes]
    flat = np.concatenate([p.ravel() for p in sk_params])
    lr = 0.01
    sk_opt = case.sklearn(sk_params, lr)
    optimizer = make_optimizer(case.name, **case.kwargs)
    for _step in range(5):
        sk_grads = [rng.normal(size=shape) for shape in shapes]
        sk_opt.update_params(sk_params, sk_grads)
        optimizer.step(flat, np.concatenate([g.ravel() for g in sk_grads]), lr)
        np.testing.assert_allclose(flat, np.concatenate([p.ravel() for p in sk_params]),
                                   rtol=0, atol=1e-12)


def _torch_run(build, params, grads, lr, momenta=None):
    """Apply ``grads`` with a torch.optim optimizer; returns the final parameters."""
    torch = pytest.importorskip("torch")
    default_dtype = torch.get_default_dtype()
    # torch keeps scalar state (NAdam's mu product) in the default dtype
    torch.set_default_dtype(torch.float64)
    try:
        tensor = torch.tensor(params, dtype=torch.float64, requires_grad=True)
        optimizer = build([tensor], lr)
        for step, g in enumerate(grads):
            if momenta is not None:
                optimizer.param_groups[0]["momentum"] = momenta[step]
            tensor.grad = torch.tensor(g, dtype=torch.float64)
            optimizer.step()
    finally:
        torch.set_default_dtype(default_dtype)
    return tensor.detach().numpy()


@_cases_with("torch")
def test_optimizer_matches_torch_optim_over_five_steps(case):
    pytest.importorskip("torch")
    params, grads = _params_and_grads(5, seed=8)
    lr = 0.02  # constant: scikit-learn's SGD velocity holds past rates, torch's does not
    expected = _torch_run(case.torch, params, grads, lr)
    optimizer = make_optimizer(case.name, **{**case.kwargs, **case.torch_kwargs})
    for g in grads:
        optimizer.step(params, g, lr)
    np.testing.assert_allclose(params, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_changed_between_steps_matches_torch(nesterov):
    # 1cycle reassigns the momentum before every step; 0 leaves the velocity untouched
    momenta = [0.9, 0.85, 0.0, 0.5, 0.95]
    params, grads = _params_and_grads(5, seed=9)
    expected = _torch_run(torch_optimizer("SGD", momentum=0.9, nesterov=nesterov),
                          params, grads, 0.05, momenta)
    optimizer = make_optimizer("sgd", momentum=0.9, nesterov=nesterov)
    for g, momentum in zip(grads, momenta):
        optimizer.momentum = momentum
        optimizer.step(params, g, 0.05)
    np.testing.assert_allclose(params, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_momentum_changed_between_steps_matches_the_formula(nesterov):
    momenta, lrs = [0.9, 0.7, 0.95], [0.1, 0.2, 0.05]
    params, grads = _params_and_grads(3, seed=10)
    p, v = params.copy(), np.zeros_like(params)
    for g, lr, mu in zip(grads, lrs, momenta):
        v = mu * v - lr * g
        p = p + (mu * v - lr * g if nesterov else v)
    optimizer = make_optimizer("sgd", momentum=0.5, nesterov=nesterov)
    for g, lr, momentum in zip(grads, lrs, momenta):
        optimizer.momentum = momentum
        optimizer.step(params, g, lr)
    np.testing.assert_allclose(params, p, rtol=1e-13)


def test_sgd_momentum_departs_from_torch_when_the_rate_changes():
    # documented difference: v = mu v - lr g keeps the old rates, torch's buffer does not
    params, grads = _params_and_grads(2, seed=11)
    torch = pytest.importorskip("torch")
    tensor = torch.tensor(params, requires_grad=True)
    torch_opt = torch.optim.SGD([tensor], lr=0.1, momentum=0.9)
    optimizer = make_optimizer("sgd", momentum=0.9, nesterov=False)
    for g, lr in zip(grads, [0.1, 0.01]):
        torch_opt.param_groups[0]["lr"] = lr
        tensor.grad = torch.tensor(g)
        torch_opt.step()
        optimizer.step(params, g, lr)
    assert not np.allclose(params, tensor.detach().numpy(), rtol=0, atol=1e-6)


def test_adamw_without_weight_decay_is_adam():
    params, grads = _params_and_grads(4, seed=12)
    adam_params = params.copy()
    adamw, adam = make_optimizer("adamw", weight_decay=0.0), make_optimizer("adam")
    for g in grads:
        adamw.step(params, g, 0.01)
        adam.step(adam_params, g, 0.01)
    np.testing.assert_array_equal(params, adam_params)


def test_adamw_decays_biases_as_well_as_kernels_like_torch():
    # the L2 mask marks the kernels for the L2 penalty; decoupled decay ignores it
    params = np.ones(4)
    optimizer = make_optimizer("adamw", weight_decay=0.5)
    optimizer.bind(params, l2_mask=np.array([True, True, False, False]))
    optimizer.step(params, np.zeros(4), 0.1)
    np.testing.assert_allclose(params, [0.95] * 4)


# -- the L2 mask, fixed when the optimizer is bound ----------------------------


def _mask_with_runs_across_chunks(size):
    mask = np.zeros(size, dtype=bool)
    mask[3:CHUNK + 20] = True  # ends inside the second chunk
    mask[2 * CHUNK - 7:2 * CHUNK + 2] = True  # straddles a chunk boundary
    mask[-1] = True
    return mask


@all_cases
def test_l2_gradient_is_added_on_the_bound_mask_only(case):
    size = 2 * CHUNK + 5
    params, grads = _params_and_grads(2, seed=14, size=size)
    mask, l2 = _mask_with_runs_across_chunks(size), 0.3
    by_hand_params = params.copy()
    masked = make_optimizer(case.name, **case.kwargs)
    masked.bind(params, l2_mask=mask)
    by_hand = make_optimizer(case.name, **case.kwargs)
    for g, lr in zip(grads, [0.1, 0.05]):
        expected_norm = float(by_hand_params[mask] @ by_hand_params[mask])
        by_hand.step(by_hand_params, g + l2 * by_hand_params * mask, lr)
        squared_norm = masked.step(params, g.copy(), lr, l2=l2)
        assert squared_norm == pytest.approx(expected_norm, rel=1e-12)
    np.testing.assert_allclose(params, by_hand_params, rtol=1e-12, atol=1e-14)


def test_step_without_l2_ignores_the_mask_and_reports_no_norm():
    params, grads = _params_and_grads(1, seed=16)
    unmasked_params = params.copy()
    masked = make_optimizer("adam")
    masked.bind(params, l2_mask=np.ones(N_PARAMS, dtype=bool))
    assert masked.step(params, grads[0], 0.1) == 0.0
    make_optimizer("adam").step(unmasked_params, grads[0], 0.1)
    np.testing.assert_array_equal(params, unmasked_params)


def test_l2_without_a_bound_mask_is_refused():
    with pytest.raises(ValueError, match="l2_mask"):
        make_optimizer("sgd").step(np.zeros(3), np.ones(3), 0.1, l2=0.5)


def test_l2_mask_of_another_shape_is_refused():
    with pytest.raises(ValueError, match="l2_mask has shape"):
        make_optimizer("sgd").bind(np.zeros(3), l2_mask=np.ones(4, dtype=bool))


def test_a_dtype_change_keeps_the_bound_mask():
    params = np.ones(4)
    optimizer = make_optimizer("sgd", momentum=0.0)
    optimizer.bind(params, l2_mask=np.array([True, False, True, False]))
    params32 = params.astype(np.float32)
    assert optimizer.step(params32, np.zeros(4, np.float32), 1.0, l2=0.5) == 2.0
    np.testing.assert_array_equal(params32, [0.5, 1.0, 0.5, 1.0])


# -- state_dict / load_state_dict ----------------------------------------------


@all_cases
def test_state_dict_round_trip_continues_exactly(case):
    params, grads = _params_and_grads(6, seed=13)
    lrs = [0.05, 0.04, 0.03, 0.05, 0.02, 0.01]
    original = make_optimizer(case.name, **case.kwargs)
    uninterrupted, uninterrupted_params = make_optimizer(case.name, **case.kwargs), params.copy()
    for g, lr in zip(grads[:3], lrs):
        original.step(params, g, lr)
        uninterrupted.step(uninterrupted_params, g, lr)
    restored, restored_params = make_optimizer(case.name, **case.kwargs), params.copy()
    restored.load_state_dict(original.state_dict())
    for g, lr in zip(grads[3:], lrs[3:]):
        original.step(params, g, lr)
        restored.step(restored_params, g, lr)
        uninterrupted.step(uninterrupted_params, g, lr)
    np.testing.assert_array_equal(restored_params, params)
    for name, value in original.state_dict().items():
        np.testing.assert_array_equal(restored.state_dict()[name], value, err_msg=name)
    # reading the state folds the lazy scales in: the same values, rounded once more
    np.testing.assert_allclose(params, uninterrupted_params, rtol=1e-14)


@all_cases
def test_state_dict_holds_plain_copies(case):
    params, grads = _params_and_grads(1, seed=17)
    optimizer = make_optimizer(case.name, **case.kwargs)
    optimizer.step(params, grads[0], 0.1)
    state = optimizer.state_dict()
    assert isinstance(state["n_steps"], int)
    vectors = {name: value for name, value in state.items() if isinstance(value, np.ndarray)}
    assert set(vectors) == set(state) - {"n_steps", "mu_product"}
    saved = {name: value.copy() for name, value in vectors.items()}
    for value in vectors.values():
        value[...] = np.nan  # changes the copy only
    for name, value in saved.items():
        np.testing.assert_array_equal(optimizer.state_dict()[name], value)


def test_state_dict_before_binding_has_no_vectors():
    assert make_optimizer("adam").state_dict() == {"n_steps": 0, "m": None, "v": None}


def test_load_state_dict_refuses_another_rules_state():
    adam = make_optimizer("adam")
    adam.step(np.zeros(3), np.ones(3), 0.1)
    with pytest.raises(ValueError, match="rmsprop state has the keys"):
        make_optimizer("rmsprop").load_state_dict(adam.state_dict())


def test_load_state_dict_refuses_vectors_of_another_size_once_bound():
    optimizer = make_optimizer("rmsprop")
    optimizer.bind(np.zeros(3))
    with pytest.raises(ValueError, match="shape"):
        optimizer.load_state_dict({"n_steps": 2, "v": np.ones(4)})


def test_loaded_state_takes_the_bound_dtype():
    optimizer = make_optimizer("rmsprop")
    optimizer.bind(np.zeros(3, dtype=np.float32))
    optimizer.load_state_dict({"n_steps": 2, "v": np.ones(3)})
    assert optimizer.state_dict()["v"].dtype == np.float32


# -- state: pickling and dtypes ---------------------------------------------


class _AsPickledBySknn010:
    """Pickles as an optimizer of class ``cls`` whose attributes were ``attributes``."""

    def __init__(self, cls, attributes):
        self.cls, self.attributes = cls, attributes

    def __reduce__(self):
        return object.__new__, (self.cls,), self.attributes


#: sknn 0.1.0's attribute for each state vector, and whether it was lazily decayed.
_OLD_ATTRIBUTES = {"velocity": ("_velocity", True), "m": ("_m", True), "v": ("_v", True),
                   "u": ("_u", False), "accumulator": ("_sum", False)}


def _as_sknn_010_attributes(optimizer):
    """``optimizer`` as sknn 0.1.0 stored it: vectors in private attributes, the lazily
    decayed ones as ``_LazyDecay`` with a scale of 1/4 (exact: a power of two)."""
    state = optimizer.state_dict()
    attributes = {**optimizer.config(), "learning_rate": optimizer.learning_rate,
                  "n_steps": state.pop("n_steps"), "_step_size": 1.0}  # a stale per-step scalar
    if "mu_product" in state:
        attributes["_mu_product"] = state.pop("mu_product")
    for name, value in state.items():
        attribute, lazy = _OLD_ATTRIBUTES[name]
        if lazy:
            attributes[attribute] = _LazyDecay()
            vars(attributes[attribute]).update(values=4 * value, scale=0.25, beta=0.5)
        else:
            attributes[attribute] = value
    return attributes


@all_cases
def test_an_optimizer_pickled_by_sknn_010_loads_and_continues_exactly(case):
    params, grads = _params_and_grads(5, seed=18)
    optimizer = make_optimizer(case.name, **case.kwargs)
    for g in grads[:3]:
        optimizer.step(params, g, 0.05)
    old_pickle = pickle.dumps(_AsPickledBySknn010(type(optimizer),
                                                  _as_sknn_010_attributes(optimizer)))
    restored, restored_params = pickle.loads(old_pickle), params.copy()
    assert type(restored) is type(optimizer) and restored.config() == optimizer.config()
    for g in grads[3:]:
        optimizer.step(params, g, 0.05)
        restored.step(restored_params, g, 0.05)
    np.testing.assert_array_equal(restored_params, params)
    for name, value in optimizer.state_dict().items():
        np.testing.assert_array_equal(restored.state_dict()[name], value, err_msg=name)


@all_cases
def test_optimizer_state_survives_pickle_round_trip(case):
    params, grads = _params_and_grads(4, seed=2)
    optimizer = make_optimizer(case.name, **case.kwargs)
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


@all_cases
def test_optimizer_pickles_its_state_without_the_scratch(case):
    params, grads = _params_and_grads(1, seed=3, size=CHUNK)
    optimizer = make_optimizer(case.name, **case.kwargs)
    optimizer.step(params, grads[0], 0.1)
    state_bytes = sum(value.nbytes for value in optimizer.state_dict().values()
                      if isinstance(value, np.ndarray))
    # one scratch row alone would add params.nbytes
    assert len(pickle.dumps(optimizer)) < state_bytes + params.nbytes // 4


def _array_dtypes(optimizer):
    return {name: value.dtype for name, value in optimizer.state_dict().items()
            if isinstance(value, np.ndarray)}


@all_cases
def test_optimizer_keeps_float32_params_and_state(case):
    params, grads = _params_and_grads(3, seed=4, dtype=np.float32)
    expected, _ = case.reference(params.astype(np.float64),
                                 [g.astype(np.float64) for g in grads], [0.1] * 3)
    optimizer = make_optimizer(case.name, **case.kwargs)
    for g in grads:
        optimizer.step(params, g, 0.1)
    assert params.dtype == np.float32
    assert set(_array_dtypes(optimizer).values()) == {np.dtype(np.float32)}
    np.testing.assert_allclose(params, expected, rtol=1e-5, atol=1e-6)


@all_cases
def test_optimizer_casts_its_state_when_params_change_dtype(case):
    params, grads = _params_and_grads(2, seed=5)
    optimizer = make_optimizer(case.name, **case.kwargs)
    optimizer.step(params, grads[0], 0.1)
    params32 = params.astype(np.float32)
    optimizer.step(params32, grads[1].astype(np.float32), 0.1)
    assert set(_array_dtypes(optimizer).values()) == {np.dtype(np.float32)}


@all_cases
def test_unpickled_optimizer_casts_its_state_when_params_change_dtype(case):
    params, grads = _params_and_grads(2, seed=6)
    optimizer = make_optimizer(case.name, **case.kwargs)
    optimizer.step(params, grads[0], 0.1)
    restored = pickle.loads(pickle.dumps(optimizer))
    restored.step(params.astype(np.float32), grads[1].astype(np.float32), 0.1)
    dtypes = _array_dtypes(restored)
    assert set(dtypes.values()) == {np.dtype(np.float32)}, dtypes


# -- single behaviours -------------------------------------------------------


def test_sgd_with_momentum_accumulates_velocity():
    optimizer = make_optimizer("sgd", momentum=0.5, nesterov=False)
    params = np.zeros(1)
    for _ in range(2):
        optimizer.step(params, np.ones(1), 1.0)
    # v1 = -1, p1 = -1; v2 = 0.5 * -1 - 1 = -1.5, p2 = -2.5
    np.testing.assert_allclose(optimizer.state_dict()["velocity"], [-1.5])
    np.testing.assert_allclose(params, [-2.5])


def test_adam_first_step_moves_each_parameter_by_the_learning_rate():
    # With bias correction, m/sqrt(v) = sign(g) on the first step.
    optimizer = make_optimizer("adam", epsilon=0.0)
    params = np.zeros(3)
    optimizer.step(params, np.array([1e-3, -5.0, 2.0]), 0.01)
    np.testing.assert_allclose(params, [-0.01, 0.01, -0.01], rtol=1e-12)


@pytest.mark.parametrize("name", ["adamax", "rmsprop", "adagrad"])
def test_state_dict_exposes_the_accumulated_statistics(name):
    optimizer = make_optimizer(name, epsilon=0.0)
    optimizer.step(np.zeros(2), np.array([2.0, -1.0]), 0.1)
    expected = {"adamax": ("u", [2.0, 1.0]), "rmsprop": ("v", [0.4, 0.1]),
                "adagrad": ("accumulator", [4.0, 1.0])}[name]
    np.testing.assert_allclose(optimizer.state_dict()[expected[0]], expected[1], rtol=1e-12)


def test_make_optimizer_rejects_unknown_name_listing_choices():
    with pytest.raises(ValueError, match="adagrad, adam, adamax, adamw, nadam, rmsprop, sgd"):
        make_optimizer("lbfgs")


def test_base_optimizer_step_is_abstract():
    with pytest.raises(NotImplementedError):
        Optimizer().step(np.zeros(1), np.zeros(1), 0.1)
