"""Ready-made hyperparameter search spaces for sknn's estimators.

:func:`search_space` returns the parameter grid or distributions that
scikit-learn's searchers (``GridSearchCV``, ``RandomizedSearchCV``, the
successive-halving ``HalvingGridSearchCV``/``HalvingRandomSearchCV``),
scikit-optimize's ``BayesSearchCV`` and optuna-integration's
``OptunaSearchCV`` take, for the knobs that matter most:
network size, ``learning_rate_init`` and ``alpha`` on a log scale,
``activation``, ``batch_norm``, ``dropout``, ``solver``, ``batch_size`` and,
for classifiers, ``label_smoothing`` and, for the DeepNet estimators,
``numeric_embedding``.
No candidate is a combination the estimator warns about: the activations
leave SELU out, and an estimator set to ``activation='selu'`` is searched as
a SELU network (see :func:`search_space`).
Only the knobs the estimator actually has are returned, so the same call
works for :class:`~sknn.MLPClassifier`, :class:`~sknn.MLPRegressor`,
:class:`~sknn.PerceptronClassifier` and, inside a
:class:`~sklearn.pipeline.Pipeline` or another meta-estimator, with the
step's name as prefix (``model__learning_rate_init``).

Early stopping inside a search
------------------------------
A search splits the data once: each candidate is fitted on a fold's training
part and scored on its held-out part. With ``early_stopping=True`` the
estimator splits *the training part it is given* again, holding out
``validation_fraction`` of it to decide when to stop; the search's held-out
fold is never seen during fitting, so there is no leakage. That second split
is the only one and it happens only when asked for (``early_stopping`` is
False by default, as in scikit-learn). It is seeded by ``random_state``, so
every candidate of a fold stops on the same validation samples. To search
with a fixed epoch budget instead, leave ``early_stopping=False``; to let
successive halving hand out the epochs, use ``resource='max_iter'``.

Scaling out
-----------
sknn estimators pickle without any live engine, so process-based backends
are cheap. The same search runs on a Dask cluster through joblib::

    from dask.distributed import Client
    import joblib

    client = Client("tcp://scheduler-host:8786")   # or Client(LocalCluster())
    with joblib.parallel_config(backend="dask"):
        search.fit(X, y)

scikit-optimize and Optuna are optional (``pip install "sknn-learn[search]"``,
``pip install "sknn-learn[optuna]"``); each is imported only when
``kind='bayes'`` or ``kind='optuna'`` is asked for.
"""

from __future__ import annotations

import importlib

import numpy as np
from scipy.stats import loguniform, randint, uniform
from sklearn.base import BaseEstimator

__all__ = ["search_space"]

KINDS = ("random", "bayes", "grid", "optuna")

# Candidate network shapes for estimators whose size is one parameter,
# ``hidden_layer_sizes``: depth x width, widths shrinking with depth.
_RANDOM_SHAPES = [(w,) * d for d in (1, 2, 3) for w in (32, 64, 128, 256)]
_GRID_SHAPES = [(64,), (128,), (64, 64)]

# No 'selu': SELU self-normalizes only with standardized inputs, no batch
# norm and no weight penalty, and a dict space samples each knob on its own,
# so selu would be drawn with batch_norm=True or alpha > 0 and warn. A SELU
# network is searched as one: search_space(DeepNetClassifier(activation='selu')).
_ACTIVATIONS = ["relu", "elu", "gelu", "swish", "tanh"]
_SOLVERS = ["adam", "nadam", "adamw", "rmsprop", "sgd"]
_BATCH_SIZES = [32, 64, 128, 256]
_PENALTIES = [None, "l2", "l1", "elasticnet"]
_EMBEDDINGS = [None, "periodic"]


# kind -> (package, its module of dimensions, the packages to install, the extra)
_LIBRARIES = {"bayes": ("skopt", "space", "scikit-optimize", "search"),
              "optuna": ("optuna", "distributions", "optuna optuna-integration", "optuna")}


def _import_library(kind):
    """The module ``kind``'s dimensions come from; None for scipy-based kinds."""
    if kind not in _LIBRARIES:
        return None
    package, module, packages, extra = _LIBRARIES[kind]
    try:
        return getattr(importlib.import_module(package), module)
    except ImportError as exc:
        raise ImportError(
            f"search_space(kind={kind!r}) needs {packages.split()[0]}; install it with "
            f"pip install \"sknn-learn[{extra}]\" (the {extra!r} extra) or "
            f"pip install {packages}.") from exc


def _knobs(kind):
    """``{name: (random, bayes, grid, optuna)}``; the bayes and optuna columns are
    None unless ``kind`` asks for them, so their libraries are imported only then."""
    library = _import_library(kind)

    def only_for(column):
        return lambda factory: factory(library) if kind == column else None

    bayes, optuna = only_for("bayes"), only_for("optuna")
    return {
        # deep networks with one depth and one width parameter (DeepNet-style)
        "n_hidden": (randint(1, 4), bayes(lambda s: s.Integer(1, 3)), [1, 2],
                     optuna(lambda d: d.IntDistribution(1, 3))),
        "n_neurons": (randint(16, 257),
                      bayes(lambda s: s.Integer(16, 256, prior="log-uniform")), [32, 128],
                      optuna(lambda d: d.IntDistribution(16, 256, log=True))),
        # Neither skopt nor Optuna can propose tuples (Optuna's categorical
        # choices must be None, bool, int, float or str), so their spaces tune
        # the width of one hidden layer (an int is a valid hidden_layer_sizes).
        "hidden_layer_sizes": (list(_RANDOM_SHAPES),
                               bayes(lambda s: s.Integer(16, 256, prior="log-uniform")),
                               list(_GRID_SHAPES),
                               optuna(lambda d: d.IntDistribution(16, 256, log=True))),
        "learning_rate_init": (loguniform(1e-4, 1e-1),
                               bayes(lambda s: s.Real(1e-4, 1e-1, prior="log-uniform")),
                               [1e-3, 1e-2],
                               optuna(lambda d: d.FloatDistribution(1e-4, 1e-1, log=True))),
        "eta0": (loguniform(1e-3, 1e1), bayes(lambda s: s.Real(1e-3, 1e1, prior="log-uniform")),
                 [0.1, 1.0], optuna(lambda d: d.FloatDistribution(1e-3, 1e1, log=True))),
        "activation": (list(_ACTIVATIONS), bayes(lambda s: s.Categorical(_ACTIVATIONS)),
                       ["relu", "tanh"], optuna(lambda d: d.CategoricalDistribution(_ACTIVATIONS))),
        "batch_norm": ([False, True], bayes(lambda s: s.Categorical([False, True])),
                       [False, True], optuna(lambda d: d.CategoricalDistribution([False, True]))),
        "dropout": (uniform(0.0, 0.5), bayes(lambda s: s.Real(0.0, 0.5)), [0.0, 0.2],
                    optuna(lambda d: d.FloatDistribution(0.0, 0.5))),
        "solver": (list(_SOLVERS), bayes(lambda s: s.Categorical(_SOLVERS)), ["adam", "sgd"],
                   optuna(lambda d: d.CategoricalDistribution(_SOLVERS))),
        "penalty": (list(_PENALTIES), bayes(lambda s: s.Categorical(["l2", "l1", "elasticnet"])),
                    [None, "l2"], optuna(lambda d: d.CategoricalDistribution(_PENALTIES))),
        "alpha": (loguniform(1e-6, 1e-1), bayes(lambda s: s.Real(1e-6, 1e-1, prior="log-uniform")),
                  [1e-4, 1e-2], optuna(lambda d: d.FloatDistribution(1e-6, 1e-1, log=True))),
        "batch_size": (list(_BATCH_SIZES), bayes(lambda s: s.Categorical(_BATCH_SIZES)), [32, 128],
                       optuna(lambda d: d.CategoricalDistribution(_BATCH_SIZES))),
        # classifiers only; RealMLP-TD's default is 0.1
        "label_smoothing": (uniform(0.0, 0.2), bayes(lambda s: s.Real(0.0, 0.2)), [0.0, 0.1],
                            optuna(lambda d: d.FloatDistribution(0.0, 0.2))),
        "numeric_embedding": (list(_EMBEDDINGS), bayes(lambda s: s.Categorical(_EMBEDDINGS)),
                              list(_EMBEDDINGS),
                              optuna(lambda d: d.CategoricalDistribution(_EMBEDDINGS))),
    }


def _is_sknn_estimator(obj):
    # subclasses count too; sknn's schedules are estimators but not networks
    return isinstance(obj, BaseEstimator) and any(
        cls.__module__.startswith("sknn.estimators") for cls in type(obj).__mro__)


def _check_is_estimator_instance(estimator):
    expected = "search_space needs an sknn estimator or a Pipeline/meta-estimator containing one"
    if estimator is None:
        raise TypeError(f"{expected}, got None.")
    if isinstance(estimator, type):
        name = estimator.__name__
        raise TypeError(f"{expected}, got the class {name}; pass an instance, {name}().")
    if not callable(getattr(estimator, "get_params", None)):
        raise TypeError(f"{expected}, got {type(estimator).__name__}.")


def _find_sknn_estimator(estimator):
    """``(prefix, sknn_estimator)`` of the one sknn network in ``estimator``."""
    _check_is_estimator_instance(estimator)
    if _is_sknn_estimator(estimator):
        return "", estimator
    found = [(name + "__", value) for name, value in estimator.get_params(deep=True).items()
             if _is_sknn_estimator(value)]
    if len(found) != 1:
        names = [prefix[:-2] for prefix, _ in found]
        raise ValueError(
            f"search_space needs exactly one sknn estimator inside {type(estimator).__name__}, "
            f"found {len(found)}{': ' + ', '.join(names) if names else ''}. "
            "Call search_space on the sknn step itself and prefix the names yourself.")
    return found[0]


# fixed setting -> (why searched knobs conflict with it, what to do instead)
_CONFLICT_EXPLANATIONS = {
    "activation='selu'": (
        "SELU self-normalizes only without batch norm and without a weight penalty",
        "Leave them out of params, or search 'activation' too (its candidates leave "
        "SELU out)"),
    "dropout_kind='alpha'": (
        "alpha dropout keeps the statistics of self-normalizing networks, which batch "
        "norm replaces with its own",
        "Leave batch_norm out of params, or set dropout_kind='standard'"),
}


def _has_dropout(settings, wanted):
    if "dropout" in wanted:
        return True  # the candidates go up to 0.5
    rates = [settings.get("dropout", 0.0), settings.get("input_dropout", 0.0)]
    return any(np.any(np.asarray(rate, dtype=float) > 0) for rate in rates)


def _conflicting_knobs(settings, wanted):
    """``{knob: setting}``: knobs in ``wanted`` whose candidates the estimator,
    with its fixed ``settings``, warns about, and the setting each one breaks.

    Only fixed settings can conflict: the searched activations leave SELU out.
    """
    conflicts = {}
    selu = "activation" not in wanted and settings.get("activation") == "selu"
    if selu:
        # batch norm replaces the statistics SELU keeps; a weight penalty
        # pulls the weights off the LeCun-normal scale it relies on
        conflicts.update(batch_norm="activation='selu'", alpha="activation='selu'")
    # (dropout_kind='auto' means alpha dropout only with SELU, covered above)
    if (settings.get("dropout_kind") == "alpha" and "batch_norm" not in conflicts
            and _has_dropout(settings, wanted)):
        conflicts["batch_norm"] = "dropout_kind='alpha'"
    return conflicts


def search_space(estimator, kind="random", *, params=None):
    """Sensible search distributions for an sknn estimator's main hyperparameters.

    Parameters
    ----------
    estimator : estimator
        An sknn estimator, or a :class:`~sklearn.pipeline.Pipeline` (or any
        meta-estimator) holding exactly one; the names are then prefixed
        with its path, e.g. ``model__learning_rate_init``.
    kind : {'random', 'bayes', 'grid', 'optuna'}, default='random'
        'random': ``scipy.stats`` distributions (``loguniform`` for
        ``learning_rate_init``, ``alpha`` and ``eta0``) and lists, for
        ``RandomizedSearchCV`` and ``HalvingRandomSearchCV``.
        'bayes': scikit-optimize ``Real``/``Integer``/``Categorical``
        dimensions for ``BayesSearchCV`` (needs the ``search`` extra).
        'grid': two or three values per knob, for ``GridSearchCV`` and
        ``HalvingGridSearchCV``; the grid grows as the product, so pick a
        few knobs with ``params``.
        'optuna': ``optuna.distributions`` (``FloatDistribution`` with
        ``log=True`` where 'random' is log-uniform, ``IntDistribution``,
        ``CategoricalDistribution``) for optuna-integration's
        ``OptunaSearchCV`` (needs the ``optuna`` extra).
    params : iterable of str, default=None
        Knob names (without prefix) to return; None returns every knob the
        estimator has, less those that conflict with its SELU or
        alpha-dropout settings (see Notes).

    Returns
    -------
    space : dict
        Parameter name -> distribution, list, skopt dimension or Optuna
        distribution.

    Raises
    ------
    TypeError
        When ``estimator`` is not an estimator instance (None, a class,
        any other object).
    ValueError
        When ``estimator`` holds no sknn estimator or several, for an
        unknown ``kind``, for names in ``params`` that have no ready-made
        range on the estimator, and for names that conflict with its SELU
        or alpha-dropout settings (see Notes).

    Notes
    -----
    The network size is searched as ``n_hidden`` (depth) and ``n_neurons``
    (width) when the estimator has those parameters; otherwise as candidate
    ``hidden_layer_sizes`` tuples (depth 1-3 x width 32-256). Because
    scikit-optimize cannot propose tuples, and Optuna's categorical choices
    must be None, bool, int, float or str, ``kind='bayes'`` and
    ``kind='optuna'`` tune ``hidden_layer_sizes`` as the width of a single
    hidden layer (16-256, log scale): an int is a valid
    ``hidden_layer_sizes``. To search depth too with them, use an
    estimator with ``n_hidden`` and ``n_neurons`` (the DeepNet ones).

    No candidate is one the estimator warns about. The searched activations
    leave out ``'selu'``: SELU is a preset rather than one activation among
    others, self-normalizing only with standardized inputs, no batch norm
    and no weight penalty, while a dict space samples each knob on its own
    (a list of dicts would skew the sampling instead:
    ``RandomizedSearchCV`` draws each dict equally often and
    ``BayesSearchCV`` spends ``n_iter`` on each). Search a SELU network as
    one: for an estimator with ``activation='selu'`` the space leaves out
    ``activation`` (which would replace it), ``batch_norm`` and ``alpha``.
    Likewise ``batch_norm`` is left out where the estimator has
    ``dropout_kind='alpha'`` and dropout (alpha dropout keeps SELU's
    statistics, which batch norm replaces). Naming such a knob in
    ``params`` raises a ValueError; searching ``activation`` too lifts the
    SELU conflicts.

    Examples
    --------
    >>> from sklearn.model_selection import RandomizedSearchCV
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.datasets import load_iris
    >>> from sknn import MLPClassifier, search_space
    >>> sorted(search_space(MLPClassifier(), "grid", params=["alpha", "solver"]).items())
    [('alpha', [0.0001, 0.01]), ('solver', ['adam', 'sgd'])]
    >>> pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=20, random_state=0))
    >>> space = search_space(pipe, params=["learning_rate_init", "hidden_layer_sizes"])
    >>> sorted(space)
    ['mlpclassifier__hidden_layer_sizes', 'mlpclassifier__learning_rate_init']
    >>> X, y = load_iris(return_X_y=True)
    >>> search = RandomizedSearchCV(pipe, space, n_iter=2, cv=2, random_state=0).fit(X, y)
    >>> sorted(search.best_params_)
    ['mlpclassifier__hidden_layer_sizes', 'mlpclassifier__learning_rate_init']

    For Optuna, a network shape is the width of one hidden layer:

    >>> search_space(MLPClassifier(), "optuna", params=["hidden_layer_sizes"])
    {'hidden_layer_sizes': IntDistribution(high=256, log=True, low=16, step=1)}

    A SELU network keeps its activation and gets no batch norm or penalty:

    >>> from sknn import DeepNetClassifier
    >>> selu_space = search_space(DeepNetClassifier(activation="selu"), "grid")
    >>> sorted(selu_space)  # doctest: +NORMALIZE_WHITESPACE
    ['batch_size', 'dropout', 'label_smoothing', 'learning_rate_init', 'n_hidden', 'n_neurons',
     'numeric_embedding', 'solver']
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}.")
    prefix, network = _find_sknn_estimator(estimator)
    available = network.get_params(deep=False)
    knobs = _knobs(kind)
    if "n_hidden" in available and "n_neurons" in available:
        knobs.pop("hidden_layer_sizes")
    if params is None:
        wanted = [name for name in knobs if name in available]
        if available.get("activation") == "selu":
            wanted.remove("activation")  # a SELU network is searched as one
        conflicts = _conflicting_knobs(available, wanted)
        wanted = [name for name in wanted if name not in conflicts]
    else:
        wanted = list(params)
    unknown = [name for name in wanted if name not in knobs or name not in available]
    if unknown:
        offered = sorted(name for name in knobs if name in available)
        raise ValueError(f"No ready-made range for {unknown} on {type(network).__name__}; "
                         f"available: {offered}.")
    conflicts = _conflicting_knobs(available, wanted)
    for setting, (why, remedy) in _CONFLICT_EXPLANATIONS.items():
        names = [name for name in wanted if conflicts.get(name) == setting]
        if names:
            raise ValueError(f"params {names} conflict with {setting} on "
                             f"{type(network).__name__}: {why}, so the estimator would warn "
                             f"about such candidates. {remedy}.")
    column = KINDS.index(kind)
    return {prefix + name: knobs[name][column] for name in wanted}
