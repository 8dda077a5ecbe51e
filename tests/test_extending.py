"""User-defined building blocks registered by name (sknn.extending)."""

import os
import pickle
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.special import expit
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

import sknn
from sknn import (
    DeepNetClassifier,
    DeepNetRegressor,
    MLPClassifier,
    MLPRegressor,
    StackedAutoencoder,
    register_activation,
    register_initializer,
    register_loss,
    register_optimizer,
    register_schedule,
    unregister,
)
from sknn._sklearn_compat import InvalidParameterError
from sknn.extending import _REGISTERED
from sknn.nn.activations import ACTIVATIONS
from sknn.nn.losses import LossSpec, make_loss
from sknn.nn.optimizers import Adam
from sknn.schedules import PowerDecay

REPO_ROOT = Path(__file__).resolve().parent.parent
X = np.random.default_rng(0).normal(size=(40, 3))
Y = X[:, 0] - X[:, 1] ** 2
SMALL = dict(hidden_layer_sizes=(6,), max_iter=8, random_state=0)

# Every block of the subprocess tests, registered the same way in both processes.
BLOCKS = """
import numpy as np
import sknn

def sgd(params, grads, lr, state, step):
    params -= lr * grads

sknn.register_activation("hand_tanh", np.tanh, lambda a: 1 - a * a,
                         derivative_from_output=True)
sknn.register_loss("hand_squared_error", lambda y, raw: 0.5 * ((raw - y) ** 2).sum(axis=1),
                   lambda y, raw: raw - y)
sknn.register_optimizer("hand_sgd", sgd)
sknn.register_schedule("halving", lambda epoch, initial_lr: initial_lr * 0.5 ** epoch)
"""


@pytest.fixture(autouse=True)
def builtin_registries_only():
    """Each test leaves the registries as sknn ships them (other tests list them)."""
    yield
    for kind, names in _REGISTERED.items():
        for name in list(names):
            unregister(kind, name)


@pytest.fixture(autouse=True)
def no_convergence_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a few epochs on purpose
        yield


def _squared_error(y, raw):
    return 0.5 * ((raw - y) ** 2).sum(axis=1)


def _binary_log_loss(y, raw):
    return (np.logaddexp(0.0, raw) - y * raw).sum(axis=1)


def _plain_sgd(params, grads, lr, state, step):
    params -= lr * grads


def _assert_same_weights(fitted, reference, rtol=1e-12):
    for got, expected in zip(fitted.coefs_ + fitted.intercepts_,
                             reference.coefs_ + reference.intercepts_, strict=True):
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=0)


# -- a registered block trains as the built-in it rewrites -----------------------
@pytest.mark.parametrize("from_output", [True, False])
def test_a_hand_written_tanh_trains_to_the_builtin_tanhs_weights(from_output):
    derivative = (lambda a: 1 - a * a) if from_output else (lambda z: 1 - np.tanh(z) ** 2)
    register_activation("hand_tanh", np.tanh, derivative, derivative_from_output=from_output)
    fitted = MLPRegressor(activation="hand_tanh", **SMALL).fit(X, Y)
    _assert_same_weights(fitted, MLPRegressor(activation="tanh", **SMALL).fit(X, Y))


def test_a_hand_written_squared_error_trains_to_the_builtin_losss_weights():
    register_loss("hand_squared_error", _squared_error, lambda y, raw: raw - y)
    fitted = MLPRegressor(loss="hand_squared_error", **SMALL).fit(X, Y)
    reference = MLPRegressor(loss="squared_error", **SMALL).fit(X, Y)
    _assert_same_weights(fitted, reference)
    np.testing.assert_allclose(fitted.loss_curve_, reference.loss_curve_, rtol=1e-12)


def test_a_hand_written_log_loss_makes_a_regressor_train_as_the_binary_classifier():
    register_loss("hand_log_loss", _binary_log_loss, lambda y, raw: expit(raw) - y,
                  link="logistic")
    labels = (Y > 0).astype(int)
    regressor = MLPRegressor(loss="hand_log_loss", **SMALL).fit(X, labels.astype(float))
    classifier = MLPClassifier(**SMALL).fit(X, labels)
    _assert_same_weights(regressor, classifier)
    assert regressor.out_activation_ == classifier.out_activation_ == "logistic"
    np.testing.assert_allclose(regressor.predict(X), classifier.predict_proba(X)[:, 1],
                               rtol=1e-12)


def test_a_hand_written_glorot_initializer_draws_the_builtin_weights():
    def glorot_uniform(shape, rng):
        bound = np.sqrt(6.0 / (shape[0] + shape[1]))
        return rng.uniform(-bound, bound, shape)

    register_initializer("hand_glorot", glorot_uniform)
    fitted = MLPRegressor(kernel_initializer="hand_glorot", **SMALL).fit(X, Y)
    _assert_same_weights(fitted, MLPRegressor(kernel_initializer="glorot_uniform",
                                              **SMALL).fit(X, Y), rtol=1e-10)


def test_an_update_function_trains_as_sgd_without_momentum():
    register_optimizer("hand_sgd", _plain_sgd)
    fitted = MLPRegressor(solver="hand_sgd", batch_size=10, **SMALL).fit(X, Y)
    reference = MLPRegressor(solver="sgd", momentum=0.0, batch_size=10, **SMALL).fit(X, Y)
    _assert_same_weights(fitted, reference)
    assert fitted._optimizer.n_steps == 8 * 4


def test_an_update_function_keeps_its_state_between_steps():
    def heavy_ball(params, grads, lr, state, step):
        state["velocity"] *= 0.5
        state["velocity"] -= lr * grads
        params += state["velocity"]

    register_optimizer("heavy_ball", heavy_ball, state=("velocity",))
    fitted = MLPRegressor(solver="heavy_ball", batch_size=10, **SMALL).fit(X, Y)
    reference = MLPRegressor(solver="sgd", momentum=0.5, nesterovs_momentum=False,
                             batch_size=10, **SMALL).fit(X, Y)
    _assert_same_weights(fitted, reference, rtol=1e-9)
    assert set(fitted._optimizer.state_dict()) == {"n_steps", "velocity"}


def test_an_optimizer_subclass_takes_the_estimators_hyperparameters_and_its_own_defaults():
    class PatientAdam(Adam):
        def __init__(self, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                     patience=3):
            super().__init__(learning_rate, beta_1, beta_2, epsilon)
            self.patience = patience

    register_optimizer("patient_adam", PatientAdam)
    fitted = MLPRegressor(solver="patient_adam", beta_1=0.5, **SMALL).fit(X, Y)
    _assert_same_weights(fitted, MLPRegressor(solver="adam", beta_1=0.5, **SMALL).fit(X, Y))
    assert isinstance(fitted._optimizer, PatientAdam)
    assert fitted._optimizer.config() == {"beta_1": 0.5, "beta_2": 0.999, "epsilon": 1e-8,
                                          "patience": 3}
    assert fitted._optimizer.name == "patient_adam"
    assert PatientAdam.name == "adam"  # the user's class is left as it was


def test_a_schedule_function_gives_the_rate_of_every_epoch():
    register_schedule("halving", lambda epoch, initial_lr: initial_lr * 0.5 ** epoch)
    fitted = MLPRegressor(solver="sgd", learning_rate="halving", learning_rate_init=0.08,
                          hidden_layer_sizes=(6,), max_iter=4, random_state=0).fit(X, Y)
    assert fitted.history_["learning_rate"] == [0.08, 0.04, 0.02, 0.01]


def test_a_schedule_subclass_trains_as_the_builtin_it_extends():
    class SlowPower(PowerDecay):
        pass

    register_schedule("slow_power", SlowPower)
    params = dict(solver="sgd", batch_size=10, **SMALL)
    fitted = MLPRegressor(learning_rate="slow_power", **params).fit(X, Y)
    reference = MLPRegressor(learning_rate="power", **params).fit(X, Y)
    assert fitted.history_["learning_rate"] == reference.history_["learning_rate"]
    _assert_same_weights(fitted, reference)


# -- what registration refuses ----------------------------------------------------
def test_a_wrong_derivative_is_refused_with_the_largest_error():
    with pytest.raises(ValueError, match=r"activation 'bad_tanh': the derivative disagrees "
                                         r"with central finite differences.*largest "
                                         r"relative error [\d.]+ \(tolerance 0\.0001\)"):
        register_activation("bad_tanh", np.tanh, lambda z: 1 - z ** 2)
    with pytest.raises(ValueError, match="activation 'bad_from_output'"):
        register_activation("bad_from_output", np.tanh, lambda a: 1 - a,
                            derivative_from_output=True)
    assert "bad_tanh" not in ACTIVATIONS and "bad_from_output" not in ACTIVATIONS


def test_a_wrong_loss_gradient_or_shape_is_refused():
    with pytest.raises(ValueError, match=r"loss 'bad_gradient': the gradient disagrees.*"
                                         r"largest relative error"):
        register_loss("bad_gradient", _squared_error, lambda y, raw: 2 * (raw - y))
    with pytest.raises(ValueError, match=r"loss 'per_element': the function returned shape "
                                         r"\(8, 3\), expected \(8,\)"):
        register_loss("per_element", lambda y, raw: 0.5 * (raw - y) ** 2,
                      lambda y, raw: raw - y)
    with pytest.raises(ValueError, match="link must be a function or one of"):
        register_loss("bad_link", _squared_error, lambda y, raw: raw - y, link="sigmoid")
    with pytest.raises(ValueError, match=r"initializer 'flat': the initializer returned "
                                         r"shape \(6,\)"):
        register_initializer("flat", lambda shape, rng: rng.normal(size=shape[0] * shape[1]))


@pytest.mark.parametrize("kind, name", [("activation", "relu"), ("activation", "silu"),
                                        ("loss", "squared_error"), ("optimizer", "adam"),
                                        ("optimizer", "lbfgs"), ("initializer", "auto"),
                                        ("schedule", "adaptive"), ("schedule", "cosine")])
def test_builtin_and_reserved_names_cannot_be_replaced(kind, name):
    register = getattr(sknn, f"register_{kind}")
    arguments = {"activation": (np.tanh, lambda a: 1 - a * a),
                 "loss": (_squared_error, lambda y, raw: raw - y), "optimizer": (_plain_sgd,),
                 "initializer": (lambda shape, rng: rng.normal(size=shape),),
                 "schedule": (lambda epoch, initial_lr: initial_lr,)}[kind]
    with pytest.raises(ValueError, match=f"{kind} '{name}' is built into sknn"):
        register(name, *arguments, overwrite=True)
    with pytest.raises(ValueError, match="nothing to unregister"):
        unregister(kind, name)


def test_a_registered_name_is_replaced_only_on_request():
    register_loss("mine", _squared_error, lambda y, raw: raw - y)
    first = make_loss(LossSpec("mine"))
    with pytest.raises(ValueError, match="loss 'mine' is already registered; pass "
                                         "overwrite=True"):
        register_loss("mine", _binary_log_loss, lambda y, raw: expit(raw) - y)
    assert make_loss(LossSpec("mine")) is first
    register_loss("mine", _binary_log_loss, lambda y, raw: expit(raw) - y, link="logistic",
                  overwrite=True)
    assert make_loss(LossSpec("mine")).out_activation == "logistic"
    with pytest.raises(ValueError, match="kind must be one of"):
        unregister("losses", "mine")


# -- a registered name is a constructor value like a built-in one -------------------
@pytest.mark.parametrize("estimator", [MLPClassifier, MLPRegressor, DeepNetClassifier,
                                       DeepNetRegressor, StackedAutoencoder])
def test_every_estimator_accepts_registered_names_and_forgets_unregistered_ones(estimator):
    exec(BLOCKS, {})
    register_initializer("small", lambda shape, rng: rng.normal(0.0, 0.1, shape))
    names = dict(activation="hand_tanh", solver="hand_sgd", learning_rate="halving",
                 kernel_initializer="small")
    if estimator in (MLPRegressor, DeepNetRegressor):
        names["loss"] = "hand_squared_error"
    model = estimator(hidden_layer_sizes=(4,), learning_rate_init=0.08, max_iter=3,
                      **names)
    target = (Y > 0) if estimator in (MLPClassifier, DeepNetClassifier) else Y
    model.fit(X, target) if estimator is not StackedAutoencoder else model.fit(X)
    assert model.get_params()["activation"] == "hand_tanh"
    if estimator is not StackedAutoencoder:
        assert model.history_["learning_rate"] == [0.08, 0.04, 0.02]
    unregister("activation", "hand_tanh")
    with pytest.raises(InvalidParameterError, match="'activation' parameter"):
        clone(model).fit(X, target)


def test_registered_names_are_searchable_and_cloned():
    exec(BLOCKS, {})
    search = GridSearchCV(MLPRegressor(**SMALL), {"activation": ["tanh", "hand_tanh"],
                                                  "solver": ["adam", "hand_sgd"]}, cv=2)
    search.fit(X, Y)
    tried = {(params["activation"], params["solver"]) for params in search.cv_results_["params"]}
    assert tried == {("tanh", "adam"), ("tanh", "hand_sgd"), ("hand_tanh", "adam"),
                     ("hand_tanh", "hand_sgd")}
    # hand_tanh is tanh: the two score alike with either solver
    scores = dict(zip([tuple(p.values()) for p in search.cv_results_["params"]],
                      search.cv_results_["mean_test_score"]))
    assert scores[("hand_tanh", "adam")] == pytest.approx(scores[("tanh", "adam")])
    copy = clone(MLPRegressor(activation="hand_tanh", loss="hand_squared_error"))
    assert copy.get_params()["activation"] == "hand_tanh"
    assert copy.get_params()["loss"] == "hand_squared_error"


def test_a_model_of_registered_blocks_pickles_and_continues_training():
    exec(BLOCKS, {})
    model = MLPRegressor(activation="hand_tanh", loss="hand_squared_error", solver="hand_sgd",
                         learning_rate="halving", learning_rate_init=0.05, **SMALL).fit(X, Y)
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert type(loaded._optimizer) is type(model._optimizer)
    loaded.partial_fit(X, Y)
    assert loaded._optimizer.n_steps == model._optimizer.n_steps + 1


def test_a_registered_schedule_object_pickles_by_name_and_clones():
    exec(BLOCKS, {})
    model = MLPRegressor(learning_rate="halving").set_params(learning_rate__initial_lr=0.05)
    schedule = model.learning_rate
    assert repr(schedule) == "halving(initial_lr=0.05)"
    loaded = pickle.loads(pickle.dumps(model))
    assert type(loaded.learning_rate) is type(schedule)
    assert clone(loaded).learning_rate.get_params() == {"initial_lr": 0.05}


def _run(script, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)


def test_loading_needs_the_blocks_registered_and_says_which_one_is_missing(tmp_path):
    exec(BLOCKS, {})
    models = {"activation": MLPRegressor(activation="hand_tanh", solver="lbfgs"),
              "loss": MLPRegressor(loss="hand_squared_error", solver="lbfgs"),
              "optimizer": MLPRegressor(solver="hand_sgd"),
              "schedule": MLPRegressor(solver="sgd", learning_rate="halving")}
    for kind, model in models.items():
        model.set_params(hidden_layer_sizes=(4,), max_iter=3, random_state=0).fit(X, Y)
        (tmp_path / f"{kind}.pkl").write_bytes(pickle.dumps(model))
        np.save(tmp_path / f"{kind}.npy", model.predict(X))
    load_each = """
        import pickle
        import numpy as np
        X = np.random.default_rng(0).normal(size=(40, 3))
        for kind in ("activation", "loss", "optimizer", "schedule"):
            try:
                model = pickle.load(open(kind + ".pkl", "rb"))
            except ValueError as error:
                print(kind, "|", error)
            else:
                same = np.array_equal(model.predict(X), np.load(kind + ".npy"))
                print(kind, "| loaded, same predictions:", same)
    """
    unregistered = _run(load_each, tmp_path)
    assert unregistered.returncode == 0, unregistered.stderr
    names = {"activation": "hand_tanh", "loss": "hand_squared_error",
             "optimizer": "hand_sgd", "schedule": "halving"}
    for line, (kind, name) in zip(unregistered.stdout.splitlines(), names.items(), strict=True):
        assert line == (f"{kind} | This model uses the {kind} {name!r}, which is not "
                        f"registered in this process. Register it as the process that saved "
                        f"the model did (sknn.register_{kind}({name!r}, ...)) before loading "
                        f"the model.")
    registered = _run(BLOCKS + textwrap.dedent(load_each), tmp_path)
    assert registered.returncode == 0, registered.stderr
    assert registered.stdout.splitlines() == [f"{kind} | loaded, same predictions: True"
                                              for kind in names]


# -- the torch engine ---------------------------------------------------------------
def _torch_pair(**params):
    """The same model trained by both engines (float64)."""
    numpy_model = MLPRegressor(batch_size=10, **SMALL, **params).fit(X, Y)
    torch_model = MLPRegressor(batch_size=10, backend="torch", device="cpu", **SMALL,
                               **params).fit(X, Y)
    return numpy_model, torch_model


def test_the_torch_engine_runs_registered_blocks_as_the_numpy_engine_does():
    torch = pytest.importorskip("torch")
    register_activation("hand_tanh", np.tanh, lambda a: 1 - a * a, derivative_from_output=True,
                        torch_function=torch.tanh)
    register_loss("hand_squared_error", _squared_error, lambda y, raw: raw - y,
                  torch_function=lambda y, raw: 0.5 * ((raw - y) ** 2).sum(dim=1))
    register_optimizer("hand_sgd", _plain_sgd)
    numpy_model, torch_model = _torch_pair(activation="hand_tanh", loss="hand_squared_error",
                                           solver="hand_sgd")
    _assert_same_weights(torch_model, numpy_model, rtol=1e-10)
    assert torch_model._optimizer.n_steps == numpy_model._optimizer.n_steps == 8 * 4


@pytest.mark.parametrize("kind", ["activation", "loss"])
def test_the_torch_engine_refuses_a_block_without_a_torch_function(kind):
    pytest.importorskip("torch")
    register_activation("hand_tanh", np.tanh, lambda a: 1 - a * a, derivative_from_output=True)
    register_loss("hand_squared_error", _squared_error, lambda y, raw: raw - y)
    name = {"activation": "hand_tanh", "loss": "hand_squared_error"}[kind]
    with pytest.raises(ValueError, match=f"{kind} '{name}' has no torch_function; pass "
                                         f"torch_function= to register_{kind} to use "
                                         f"backend='torch'"):
        _torch_pair(**{kind: name})
