"""Hyperparameter search: sknn.search_space and every scikit-learn/skopt/Optuna searcher."""

import pickle
import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from scipy.stats import loguniform
from sklearn.datasets import load_digits, load_iris, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.model_selection import (GridSearchCV, HalvingGridSearchCV,
                                     HalvingRandomSearchCV, KFold, RandomizedSearchCV)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sknn import (DeepNetClassifier, MLPClassifier, MLPRegressor, PerceptronClassifier,
                  search_space)
from sknn.schedules import OneCycle

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# optuna-integration's notices on every OptunaSearchCV (experimental) and on
# every trial (a deprecated Optuna module it calls); neither is about sknn.
OPTUNA_NOTICES = ("ignore:OptunaSearchCV is experimental",
                  "ignore:`optuna.terminator` module has been deprecated:FutureWarning")

IRIS_X, IRIS_Y = load_iris(return_X_y=True)
IRIS_X = StandardScaler().fit_transform(IRIS_X)
REG_X, REG_Y = make_regression(n_samples=120, n_features=5, noise=0.1, random_state=0)
REG_Y = REG_Y / REG_Y.std()

# estimator family -> (estimator, data, a few cheap knobs to search)
FAMILIES = {
    "MLPClassifier": (
        lambda: MLPClassifier(hidden_layer_sizes=(8,), max_iter=15, random_state=0),
        (IRIS_X, IRIS_Y), ["learning_rate_init", "alpha"]),
    "MLPRegressor": (
        lambda: MLPRegressor(hidden_layer_sizes=(8,), max_iter=15, random_state=0),
        (REG_X, REG_Y), ["learning_rate_init", "alpha"]),
    "PerceptronClassifier": (
        lambda: PerceptronClassifier(max_iter=15, random_state=0),
        (IRIS_X, IRIS_Y), ["eta0", "penalty"]),
}


def _grid(estimator, knobs):
    # two values of the first knob only: 2 candidates, fast
    grid = search_space(estimator, "grid", params=knobs[:1])
    return {name: values[:2] for name, values in grid.items()}


SEARCHERS = {
    "GridSearchCV": lambda est, knobs: GridSearchCV(est, _grid(est, knobs), cv=3, n_jobs=2),
    "RandomizedSearchCV": lambda est, knobs: RandomizedSearchCV(
        est, search_space(est, "random", params=knobs), n_iter=3, cv=3, n_jobs=2,
        random_state=0),
    "HalvingGridSearchCV": lambda est, knobs: HalvingGridSearchCV(
        est, _grid(est, knobs), cv=3, factor=2, n_jobs=2, random_state=0),
    "HalvingRandomSearchCV": lambda est, knobs: HalvingRandomSearchCV(
        est, search_space(est, "random", params=knobs), n_candidates=4, cv=3, factor=2,
        n_jobs=2, random_state=0),
    # the epoch budget as the resource: the Hyperband idea
    "HalvingRandomSearchCV-max_iter": lambda est, knobs: HalvingRandomSearchCV(
        est, search_space(est, "random", params=knobs), resource="max_iter",
        min_resources=4, max_resources=16, n_candidates=4, cv=3, factor=2, n_jobs=2,
        random_state=0),
}


# -- search_space ----------------------------------------------------------
@pytest.mark.parametrize("kind", ["random", "grid"])
@pytest.mark.parametrize("family", FAMILIES)
def test_search_space_offers_only_the_estimators_own_parameters(family, kind):
    estimator = FAMILIES[family][0]()
    space = search_space(estimator, kind)
    assert space and set(space) <= set(estimator.get_params())
    for name, values in space.items():
        if kind == "grid":
            assert isinstance(values, list) and 1 < len(values) <= 3, name
        else:
            assert isinstance(values, list) or hasattr(values, "rvs"), name
    estimator.set_params(**{name: values[0] if isinstance(values, list) else values.rvs(
        random_state=0) for name, values in space.items()})


def test_mlp_space_has_the_main_knobs_on_sensible_scales():
    space = search_space(MLPClassifier())
    assert set(space) == {"hidden_layer_sizes", "learning_rate_init", "activation",
                          "batch_norm", "dropout", "solver", "alpha", "batch_size",
                          "label_smoothing"}
    smoothing = space["label_smoothing"].rvs(size=2000, random_state=0)
    assert 0 <= smoothing.min() and smoothing.max() < 0.2 and smoothing.mean() > 0.05
    assert (32, 32, 32) in space["hidden_layer_sizes"] and (256,) in space["hidden_layer_sizes"]
    lr = space["learning_rate_init"].rvs(size=2000, random_state=0)
    assert 1e-4 <= lr.min() and lr.max() <= 1e-1
    # log scale: about as many draws below 1e-2.5 as above
    assert 0.4 < np.mean(lr < 10 ** -2.5) < 0.6
    assert "lbfgs" not in space["solver"]  # dropout/batch norm need a stochastic solver


@pytest.mark.filterwarnings("ignore:Got `batch_size`:UserWarning")
def test_random_space_samples_fit_an_estimator():
    from sklearn.model_selection import ParameterSampler

    space = search_space(MLPClassifier(max_iter=2, random_state=0))
    for params in ParameterSampler(space, n_iter=4, random_state=0):
        MLPClassifier(max_iter=2, random_state=0, **params).fit(IRIS_X, IRIS_Y)


def test_search_space_prefixes_the_pipeline_step_name():
    pipe = Pipeline([("scale", StandardScaler()), ("model", MLPClassifier())])
    space = search_space(pipe, "grid")
    assert set(space) == {"model__" + name for name in search_space(MLPClassifier(), "grid")}
    nested = Pipeline([("outer", pipe)])
    assert "outer__model__alpha" in search_space(nested, "grid")


def test_search_space_refuses_zero_or_two_networks_and_unknown_names():
    with pytest.raises(ValueError, match="exactly one sknn estimator"):
        search_space(Pipeline([("scale", StandardScaler())]))
    two = Pipeline([("a", MLPRegressor()), ("b", MLPRegressor())])
    with pytest.raises(ValueError, match="found 2: a, b"):
        search_space(two)
    with pytest.raises(ValueError, match="No ready-made range for \\['eta0'\\]"):
        search_space(MLPClassifier(), params=["eta0"])
    with pytest.raises(ValueError, match="kind must be one of"):
        search_space(MLPClassifier(), "hyperband")


@pytest.mark.parametrize("wrong, described", [
    (None, "got None"),
    (MLPClassifier, "got the class MLPClassifier; pass an instance, MLPClassifier()"),
    ("mlp", "got str"),
    ({"model": MLPClassifier()}, "got dict"),
])
def test_search_space_names_the_argument_it_cannot_use(wrong, described):
    with pytest.raises(TypeError, match=r"search_space needs an sknn estimator or a "
                       r"Pipeline/meta-estimator containing one, " + re.escape(described)):
        search_space(wrong)


class DeepNetLike(MLPClassifier):
    """An estimator sized by depth and width, like the planned DeepNet ones."""

    def __init__(self, n_hidden=1, n_neurons=30, max_iter=5, random_state=0):
        self.n_hidden = n_hidden
        self.n_neurons = n_neurons
        self.max_iter = max_iter
        self.random_state = random_state

    def get_params(self, deep=True):
        return {name: getattr(self, name)
                for name in ("n_hidden", "n_neurons", "max_iter", "random_state")}


@pytest.mark.parametrize("kind", ["random", "grid"])
def test_depth_and_width_parameters_replace_hidden_layer_sizes(kind):
    space = search_space(DeepNetLike(), kind)
    assert set(space) == {"n_hidden", "n_neurons"}
    if kind == "random":
        depths = space["n_hidden"].rvs(size=200, random_state=0)
        assert set(depths) == {1, 2, 3}


def test_bayes_kind_names_the_search_extra_without_skopt(monkeypatch):
    monkeypatch.setitem(sys.modules, "skopt", None)
    with pytest.raises(ImportError, match=r"sknn-learn\[search\]"):
        search_space(MLPClassifier(), "bayes")


def test_optuna_kind_names_the_optuna_extra_without_optuna(monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(ImportError, match=r"kind='optuna'\) needs optuna; .*sknn-learn\[optuna\]"):
        search_space(MLPClassifier(), "optuna")


def test_sknn_imports_and_searches_without_skopt_or_optuna():
    code = textwrap.dedent("""
        import sys
        sys.modules["skopt"] = sys.modules["optuna"] = None
        import sknn
        from sklearn.datasets import load_iris
        from sklearn.model_selection import RandomizedSearchCV
        X, y = load_iris(return_X_y=True)
        est = sknn.MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
        space = sknn.search_space(est, params=["alpha"])
        RandomizedSearchCV(est, space, n_iter=2, cv=2, random_state=0).fit(X, y)
        assert not any(name.startswith(("skopt", "optuna")) and module is not None
                       for name, module in sys.modules.items())
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-W", "ignore", "-c", code],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


# -- no candidate the estimator warns about ------------------------------------------
# Enough rows that every fold's training part (2/3) is larger than the largest
# batch_size candidate, 256: smaller data would be clipped with a warning of
# its own, about the data and not about the candidate.
WIDE_X, WIDE_Y = make_classification(n_samples=420, n_features=6, n_informative=4,
                                     n_classes=3, random_state=0)
WIDE_X = StandardScaler().fit_transform(WIDE_X)

SPACE_ESTIMATORS = {
    "MLPClassifier": lambda: MLPClassifier(max_iter=3, random_state=0),
    "DeepNetClassifier": lambda: DeepNetClassifier(max_iter=3, random_state=0),
    "DeepNetClassifier-selu": lambda: DeepNetClassifier(activation="selu", max_iter=3,
                                                        random_state=0),
    "MLPClassifier-alpha-dropout": lambda: MLPClassifier(dropout_kind="alpha", max_iter=3,
                                                         random_state=0),
}


def _fit_recording_user_warnings(search):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(WIDE_X, WIDE_Y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()  # no failed fit
    return [f"{w.category.__name__}: {w.message}" for w in caught
            if issubclass(w.category, UserWarning)
            and not issubclass(w.category, ConvergenceWarning)]


@pytest.mark.parametrize("name", SPACE_ESTIMATORS)
def test_random_space_proposes_nothing_the_estimator_warns_about(name):
    estimator = SPACE_ESTIMATORS[name]()
    search = RandomizedSearchCV(estimator, search_space(estimator), n_iter=20, cv=3,
                                n_jobs=1, random_state=0)
    assert _fit_recording_user_warnings(search) == []


@pytest.mark.parametrize("name", SPACE_ESTIMATORS)
def test_grid_space_proposes_nothing_the_estimator_warns_about(name):
    estimator = SPACE_ESTIMATORS[name]()
    # the knobs whose combinations can warn, all at once, the rest fixed
    interacting = [knob for knob in ("activation", "batch_norm", "dropout", "alpha")
                   if knob in search_space(estimator, "grid")]
    search = GridSearchCV(estimator, search_space(estimator, "grid", params=interacting),
                          cv=3, n_jobs=1)
    assert _fit_recording_user_warnings(search) == []


@pytest.mark.parametrize("name", SPACE_ESTIMATORS)
def test_bayes_space_proposes_nothing_the_estimator_warns_about(name):
    skopt = pytest.importorskip("skopt")
    estimator = SPACE_ESTIMATORS[name]()
    space = search_space(estimator, "bayes")
    if "activation" in space:
        assert "selu" not in space["activation"].categories
    search = skopt.BayesSearchCV(estimator, space, n_iter=12, cv=3, n_jobs=1,
                                 optimizer_kwargs={"n_initial_points": 12}, random_state=0)
    assert _fit_recording_user_warnings(search) == []


@pytest.mark.filterwarnings(*OPTUNA_NOTICES)
@pytest.mark.parametrize("name", SPACE_ESTIMATORS)
def test_optuna_space_proposes_nothing_the_estimator_warns_about(name):
    optuna = pytest.importorskip("optuna")
    from optuna_integration import OptunaSearchCV

    estimator = SPACE_ESTIMATORS[name]()
    search = OptunaSearchCV(estimator, search_space(estimator, "optuna"), n_trials=12, cv=3,
                            study=optuna.create_study(
                                direction="maximize", sampler=optuna.samplers.RandomSampler(0)))
    assert _fit_recording_user_warnings(search) == []


def test_searched_activations_leave_selu_out():
    for kind in ("random", "grid"):
        assert "selu" not in search_space(MLPClassifier(), kind)["activation"]


@pytest.mark.parametrize("kind", ["random", "grid"])
def test_a_selu_network_is_searched_as_one(kind):
    selu = DeepNetClassifier(activation="selu")
    space = search_space(selu, kind)
    # activation would replace SELU; batch norm and a weight penalty break
    # its self-normalization
    assert not {"activation", "batch_norm", "alpha"} & set(space)
    assert {"n_hidden", "n_neurons", "learning_rate_init", "dropout"} <= set(space)
    # searching the activation too brings the other knobs back: SELU is not a candidate
    assert {"activation", "batch_norm", "alpha"} <= set(
        search_space(selu, kind, params=["activation", "batch_norm", "alpha"]))


@pytest.mark.parametrize("estimator, knobs, reason", [
    (DeepNetClassifier(activation="selu"), ["batch_norm", "dropout"],
     r"\['batch_norm'\] conflict with activation='selu'"),
    (DeepNetClassifier(activation="selu"), ["alpha"],
     r"\['alpha'\] conflict with activation='selu'"),
    (MLPClassifier(dropout_kind="alpha"), ["batch_norm", "dropout"],
     r"\['batch_norm'\] conflict with dropout_kind='alpha'"),
])
def test_asking_for_a_knob_that_breaks_the_estimators_settings_is_refused(estimator, knobs,
                                                                           reason):
    with pytest.raises(ValueError, match=reason):
        search_space(estimator, params=knobs)


def test_alpha_dropout_without_dropout_leaves_batch_norm_searchable():
    # alpha dropout only exists where a dropout rate is above 0
    space = search_space(MLPClassifier(dropout_kind="alpha"), "grid")
    assert "batch_norm" not in space and "dropout" in space
    assert "batch_norm" in search_space(MLPClassifier(dropout_kind="alpha"), "grid",
                                        params=["batch_norm", "alpha"])


# -- every searcher, every family ----------------------------------------------
@pytest.mark.parametrize("searcher", SEARCHERS)
@pytest.mark.parametrize("family", FAMILIES)
def test_searcher_tunes_every_estimator_family(family, searcher):
    make, (X, y), knobs = FAMILIES[family]
    search = SEARCHERS[searcher](make(), knobs).fit(X, y)
    assert np.isfinite(search.best_score_)
    assert len(search.cv_results_["params"]) >= 2
    assert search.best_estimator_.get_params()[knobs[0]] == search.best_params_[knobs[0]]
    if searcher.endswith("max_iter"):
        assert set(search.cv_results_["param_max_iter"]) == {4, 8, 16}
        assert search.best_estimator_.max_iter == search.best_params_["max_iter"]


def _schedule_pipeline():
    return Pipeline([("scale", StandardScaler()),
                     ("model", MLPClassifier(hidden_layer_sizes=(8,), solver="sgd",
                                             learning_rate=OneCycle(), max_iter=10,
                                             random_state=0))])


def test_pipeline_search_reaches_learning_rate_init_and_schedule_parameters():
    pipe = _schedule_pipeline()
    space = {"model__learning_rate_init": loguniform(1e-3, 1e-1),
             "model__learning_rate__max_lr": loguniform(1e-2, 1.0)}
    search = RandomizedSearchCV(pipe, space, n_iter=3, cv=3, n_jobs=2,
                                random_state=0).fit(IRIS_X, IRIS_Y)
    model = search.best_estimator_.named_steps["model"]
    assert model.learning_rate.max_lr == search.best_params_["model__learning_rate__max_lr"]
    assert model.learning_rate_init == search.best_params_["model__learning_rate_init"]
    assert len(set(search.cv_results_["mean_test_score"])) > 1  # the knobs changed the fits
    assert pipe.named_steps["model"].learning_rate.max_lr is None  # the search cloned


@pytest.mark.parametrize("halving", [False, True])
def test_pipeline_grid_over_a_nested_schedule_parameter(halving):
    grid = {"model__learning_rate__max_lr": [0.01, 0.3],
            **search_space(_schedule_pipeline(), "grid", params=["batch_norm"])}
    cls = HalvingGridSearchCV if halving else GridSearchCV
    extra = {"factor": 2, "random_state": 0} if halving else {}
    search = cls(_schedule_pipeline(), grid, cv=3, n_jobs=2, **extra).fit(IRIS_X, IRIS_Y)
    assert {p["model__learning_rate__max_lr"] for p in search.cv_results_["params"]} == {0.01, 0.3}


# -- scikit-optimize ------------------------------------------------------------
@pytest.mark.parametrize("family", FAMILIES)
def test_bayes_search_tunes_every_estimator_family(family):
    skopt = pytest.importorskip("skopt")
    make, (X, y), knobs = FAMILIES[family]
    estimator = make()
    space = search_space(estimator, "bayes", params=knobs)
    search = skopt.BayesSearchCV(estimator, space, n_iter=4, cv=3, n_jobs=2,
                                 random_state=0).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.best_score_)


def test_bayes_search_over_a_pipeline_with_the_ready_made_space():
    skopt = pytest.importorskip("skopt")
    pipe = _schedule_pipeline()
    space = search_space(pipe, "bayes", params=["hidden_layer_sizes", "learning_rate_init",
                                                "activation", "batch_norm", "dropout"])
    space["model__learning_rate__max_lr"] = skopt.space.Real(1e-2, 1.0, prior="log-uniform")
    search = skopt.BayesSearchCV(pipe, space, n_iter=4, cv=3, n_jobs=2,
                                 random_state=0).fit(IRIS_X, IRIS_Y)
    model = search.best_estimator_.named_steps["model"]
    assert model.learning_rate.max_lr == search.best_params_["model__learning_rate__max_lr"]
    assert isinstance(model.hidden_layer_sizes, int)


# -- Optuna -----------------------------------------------------------------------
@pytest.mark.parametrize("estimator", [MLPClassifier(), PerceptronClassifier(),
                                       DeepNetClassifier()], ids=lambda e: type(e).__name__)
def test_optuna_space_spans_the_random_spaces_ranges(estimator):
    distributions = pytest.importorskip("optuna").distributions
    random_space = search_space(estimator, "random")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Optuna warns about choices it cannot store
        optuna_space = search_space(estimator, "optuna")
    assert optuna_space.keys() == random_space.keys()
    for name, drawn in random_space.items():
        proposed = optuna_space[name]
        if name == "hidden_layer_sizes":
            # one hidden layer, as wide as the random shapes' layers can be
            widths = [width for shape in drawn for width in shape]
            assert isinstance(proposed, distributions.IntDistribution) and proposed.log
            assert proposed.low <= min(widths) and max(widths) <= proposed.high
        elif isinstance(drawn, list):
            assert proposed == distributions.CategoricalDistribution(drawn), name
        elif drawn.dist.name == "randint":
            assert isinstance(proposed, distributions.IntDistribution), name
            assert (proposed.low, proposed.high) == drawn.support(), name
        else:
            log_scale = drawn.dist.name == "loguniform"
            assert proposed == distributions.FloatDistribution(*drawn.support(),
                                                               log=log_scale), name


@pytest.mark.filterwarnings(*OPTUNA_NOTICES)
@pytest.mark.parametrize("family", FAMILIES)
def test_optuna_search_tunes_every_estimator_family(family):
    pytest.importorskip("optuna")
    from optuna_integration import OptunaSearchCV

    make, (X, y), knobs = FAMILIES[family]
    estimator = make()
    search = OptunaSearchCV(estimator, search_space(estimator, "optuna", params=knobs),
                            n_trials=3, cv=3, random_state=0).fit(X, y)
    assert len(search.trials_) == 3 and np.isfinite(search.best_score_)
    assert search.best_estimator_.get_params()[knobs[0]] == search.best_params_[knobs[0]]


@pytest.mark.filterwarnings(*OPTUNA_NOTICES)
def test_optuna_search_over_a_pipeline_with_the_ready_made_space():
    pytest.importorskip("optuna")
    from optuna_integration import OptunaSearchCV

    pipe = _schedule_pipeline()
    space = search_space(pipe, "optuna", params=["hidden_layer_sizes", "learning_rate_init",
                                                 "activation", "batch_norm", "dropout"])
    search = OptunaSearchCV(pipe, space, n_trials=3, cv=3, random_state=0).fit(IRIS_X, IRIS_Y)
    model = search.best_estimator_.named_steps["model"]
    assert model.hidden_layer_sizes == search.best_params_["model__hidden_layer_sizes"]
    assert isinstance(model.hidden_layer_sizes, int)


HYPERBAND_EPOCHS = 9


@pytest.mark.filterwarnings(*OPTUNA_NOTICES)
@pytest.mark.parametrize("family", ["MLPClassifier", "MLPRegressor"])
def test_hyperband_prunes_trials_between_partial_fit_epochs(family):
    optuna = pytest.importorskip("optuna")
    from optuna_integration import OptunaSearchCV

    make, (X, y), knobs = FAMILIES[family]
    estimator = make().set_params(batch_size=16, max_iter=HYPERBAND_EPOCHS)
    # Hyperband puts a trial in a bracket by hashing the study's name with
    # the trial's number: a fixed name makes the pruning reproducible
    study = optuna.create_study(
        study_name="hyperband", direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=0),
        pruner=optuna.pruners.HyperbandPruner(min_resource=1, max_resource=HYPERBAND_EPOCHS,
                                              reduction_factor=3))
    search = OptunaSearchCV(estimator, search_space(estimator, "optuna", params=knobs),
                            enable_pruning=True, max_iter=HYPERBAND_EPOCHS, n_trials=12, cv=3,
                            study=study).fit(X, y)
    states = optuna.trial.TrialState
    # one intermediate score per partial_fit epoch, until the pruner stops the trial
    epochs = {trial.state: [] for trial in search.trials_}
    for trial in search.trials_:
        epochs[trial.state].append(sorted(trial.intermediate_values))
    assert set(epochs) == {states.COMPLETE, states.PRUNED}
    assert all(steps == list(range(HYPERBAND_EPOCHS)) for steps in epochs[states.COMPLETE])
    assert all(len(steps) < HYPERBAND_EPOCHS for steps in epochs[states.PRUNED])
    assert search.best_trial_.state == states.COMPLETE
    # the refit trains the best candidate with fit, on all the data
    best = search.best_estimator_
    assert {name: best.get_params()[name] for name in knobs} == search.best_params_
    assert 1 <= best.n_iter_ <= HYPERBAND_EPOCHS and best.n_features_in_ == X.shape[1]
    assert np.isfinite(search.score(X, y))


# -- early stopping sees the training fold only ----------------------------------
def _samples_per_epoch(estimator, X, y):
    # t_ counts the samples trained on; per epoch that is the part of the
    # search's training fold left after the early-stopping hold-out.
    return {"score": estimator.score(X, y),
            "trained_per_epoch": estimator.t_ / estimator.n_iter_,
            "validation_epochs": len(estimator.validation_scores_)}


@pytest.mark.parametrize("validation_fraction", [0.1, 0.2])
def test_early_stopping_in_a_search_splits_only_the_training_fold(validation_fraction):
    estimator = MLPClassifier(hidden_layer_sizes=(8,), max_iter=30, early_stopping=True,
                              validation_fraction=validation_fraction, n_iter_no_change=3,
                              random_state=0)
    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(estimator, {"alpha": [1e-4, 1e-2]}, cv=cv, n_jobs=2,
                          scoring=_samples_per_epoch, refit="score").fit(IRIS_X, IRIS_Y)
    fold_train = len(IRIS_X) - len(IRIS_X) // 3  # 100 of 150
    held_out = int(np.ceil(validation_fraction * fold_train))  # train_test_split's rounding
    for split in range(3):
        seen = search.cv_results_[f"split{split}_test_trained_per_epoch"]
        np.testing.assert_array_equal(seen, fold_train - held_out)
    assert np.all(search.cv_results_["mean_test_validation_epochs"] >= 1)
    # the refit on all the data holds out from all of it
    assert search.best_estimator_.t_ / search.best_estimator_.n_iter_ == (
        len(IRIS_X) - int(np.ceil(validation_fraction * len(IRIS_X))))


# -- cheap pickles for process-based backends ----------------------------------------
def _weight_bytes(estimator):
    return sum(a.nbytes for a in estimator.coefs_ + estimator.intercepts_)


def _assert_no_engine(estimator):
    for name, value in vars(estimator).items():
        module = type(value).__module__
        assert not module.startswith(("sknn.engines", "torch")), name


def test_unfitted_estimators_pickle_to_a_few_kilobytes():
    for estimator in (MLPClassifier(), MLPRegressor(), PerceptronClassifier(),
                      _schedule_pipeline()):
        assert len(pickle.dumps(estimator)) < 4096, type(estimator).__name__


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_fitted_mlp_pickles_to_about_its_weights(solver):
    X, y = load_digits(return_X_y=True)
    estimator = MLPClassifier(hidden_layer_sizes=(128,), solver=solver, max_iter=2,
                              random_state=0).fit(X, y)
    _assert_no_engine(estimator)
    weights = _weight_bytes(estimator)
    size = len(pickle.dumps(estimator))
    # The weights, the training state's best-weights copy and, for stochastic
    # solvers, the optimizer's moments kept for warm_start/partial_fit (Adam's
    # two, SGD's momentum). No data (X alone is 12x the weights here), no
    # engine, no per-sample buffers.
    copies = {"adam": 4, "sgd": 3, "lbfgs": 2}[solver]
    assert weights < size < copies * weights * 1.05 + 16_384, (size, weights)
    assert size < X.nbytes / 2
    restored = pickle.loads(pickle.dumps(estimator))
    np.testing.assert_array_equal(restored.predict(X[:50]), estimator.predict(X[:50]))


def test_fitted_perceptron_pickles_small():
    estimator = PerceptronClassifier(random_state=0).fit(IRIS_X, IRIS_Y)
    _assert_no_engine(estimator)
    assert len(pickle.dumps(estimator)) < 4096
