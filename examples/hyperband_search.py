"""
Random search vs successive halving vs Hyperband on one budget
==============================================================

Three searchers tune an :class:`sknn.MLPClassifier` on the digits. Each
tries the same number of candidate configurations, drawn from the same
ready-made space of :func:`sknn.search_space`, and trains a candidate for at
most ``EPOCHS`` epochs; they differ in how many epochs they spend on the
candidates that look poor:

* random search (``RandomizedSearchCV``) trains every candidate for all of
  them;
* successive halving (``HalvingRandomSearchCV`` with
  ``resource='max_iter'``) trains all candidates a few epochs, keeps the best
  third, trains those three times as long (from scratch), and so on;
* Hyperband (optuna-integration's ``OptunaSearchCV`` with
  ``enable_pruning=True`` and Optuna's ``HyperbandPruner``) trains each
  candidate one ``partial_fit`` epoch at a time and stops it as soon as it
  falls behind the candidates of its bracket at 1, 3, 9, ... epochs; the
  brackets stop candidates after different numbers of epochs, hedging
  between eager and patient stopping.

The script prints the best cross-validated accuracy, the test accuracy, the
epochs trained (summed over the folds, not counting the final refit) and
the wall time of each, and plots Hyperband's learning curves. Both halving
and Hyperband train far fewer epochs than random search. Hyperband's epochs
are not cheaper in time, though: each one is a ``partial_fit`` call and a
score on the held-out fold, which on data this small cost more than the
epoch itself; with larger data or networks the epochs dominate. The Optuna
part needs ``pip install "sknn-learn[optuna]"``.
"""

import time
import warnings

import matplotlib.pyplot as plt
import optuna
from optuna_integration import OptunaSearchCV
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
# Successive halving is still experimental in scikit-learn: this import
# enables HalvingRandomSearchCV.
from sklearn.experimental import enable_halving_search_cv
from sklearn.model_selection import (HalvingRandomSearchCV, RandomizedSearchCV,
                                     train_test_split)

from sknn import MLPClassifier, search_space

N_CANDIDATES = 16
EPOCHS = 27  # 3 ** 3: rungs at 1, 3, 9 and 27 epochs
CV = 3
KNOBS = ["learning_rate_init", "alpha", "activation", "solver"]

# A fixed epoch budget is the plan: reaching max_iter is not a problem here.
warnings.simplefilter("ignore", ConvergenceWarning)
# OptunaSearchCV is marked experimental, and optuna-integration reports every
# trial to an Optuna module that is deprecated; neither notice is about sknn.
warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
warnings.filterwarnings("ignore", category=FutureWarning, module="optuna")
optuna.logging.set_verbosity(optuna.logging.WARNING)

X, y = load_digits(return_X_y=True)
# Pixel intensities run from 0 to 16. A fixed scale learns nothing from the
# data, so no fold sees another's statistics; a Pipeline with a scaler would
# hide the network's partial_fit from OptunaSearchCV, which prunes through it.
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)

# n_iter_no_change=EPOCHS: every fit trains its max_iter epochs, so the
# budgets below are the epochs actually trained.
network = MLPClassifier(hidden_layer_sizes=(64,), max_iter=EPOCHS, n_iter_no_change=EPOCHS,
                        random_state=0)


def epochs_of_sklearn_search(search):
    # successive halving records each candidate's max_iter; random search has EPOCHS
    results = search.cv_results_
    return CV * sum(results.get("param_max_iter", [EPOCHS] * len(results["params"])))


def epochs_of_optuna_search(search):
    # one intermediate score per partial_fit epoch, until a trial is pruned
    return CV * sum(len(trial.intermediate_values) for trial in search.trials_)


searches = {
    "random search": (RandomizedSearchCV(
        network, search_space(network, "random", params=KNOBS), n_iter=N_CANDIDATES, cv=CV,
        random_state=0), epochs_of_sklearn_search),
    "successive halving": (HalvingRandomSearchCV(
        network, search_space(network, "random", params=KNOBS), n_candidates=N_CANDIDATES,
        resource="max_iter", min_resources=EPOCHS // 9, max_resources=EPOCHS, factor=3, cv=CV,
        random_state=0), epochs_of_sklearn_search),
    # the random sampler makes this plain Hyperband (the default TPE sampler
    # would learn from earlier trials, as BOHB does); a fixed study name makes
    # the brackets, which Optuna derives from it, reproducible
    "Hyperband (Optuna)": (OptunaSearchCV(
        network, search_space(network, "optuna", params=KNOBS), n_trials=N_CANDIDATES, cv=CV,
        enable_pruning=True, max_iter=EPOCHS,
        study=optuna.create_study(
            study_name="hyperband", direction="maximize",
            sampler=optuna.samplers.RandomSampler(seed=0),
            pruner=optuna.pruners.HyperbandPruner(min_resource=1, max_resource=EPOCHS,
                                                  reduction_factor=3))),
        epochs_of_optuna_search),
}

print(f"{'method':<20} {'cv accuracy':>11} {'test accuracy':>13} {'epochs':>7} {'seconds':>8}")
results = {}
for name, (search, epochs_of) in searches.items():
    start = time.perf_counter()
    search.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    results[name] = (epochs_of(search), search.best_score_)
    print(f"{name:<20} {search.best_score_:>11.3f} {search.score(X_test, y_test):>13.3f} "
          f"{results[name][0]:>7} {seconds:>8.1f}")

# %%
# Hyperband's learning curves and the cost of each method
# -------------------------------------------------------
# Every Hyperband trial reported its mean validation accuracy after each
# epoch; the pruned ones end early, most of them after one or three epochs.
hyperband = searches["Hyperband (Optuna)"][0]
fig, (curves, costs) = plt.subplots(1, 2, figsize=(10, 4))
for trial in hyperband.trials_:
    steps = sorted(trial.intermediate_values)
    pruned = trial.state == optuna.trial.TrialState.PRUNED
    curves.plot([step + 1 for step in steps], [trial.intermediate_values[s] for s in steps],
                color="tab:red" if pruned else "tab:blue", alpha=0.4 if pruned else 0.9,
                marker="o", markersize=3)
curves.plot([], [], color="tab:blue", label="trained to the end")
curves.plot([], [], color="tab:red", label="pruned")
curves.set_xscale("log", base=3)
curves.set_xlabel("epoch")
curves.set_ylabel("mean validation accuracy")
curves.set_title("Hyperband trials")
curves.legend(loc="lower right")

for name, (epochs, score) in results.items():
    costs.scatter(epochs, score, s=60)
    costs.annotate(name, (epochs, score), textcoords="offset points", xytext=(6, 6))
costs.set_xlim(0, 1.3 * max(epochs for epochs, _ in results.values()))
costs.margins(y=0.5)
costs.set_xlabel("epochs trained (all candidates and folds)")
costs.set_ylabel("best cross-validated accuracy")
costs.set_title(f"{N_CANDIDATES} candidates, at most {EPOCHS} epochs each")
fig.tight_layout()
plt.show()
