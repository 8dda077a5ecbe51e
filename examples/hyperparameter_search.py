"""
Random search vs Bayesian optimization vs successive halving
============================================================

Three ways to tune an :class:`sknn.MLPClassifier` on the digits, each over
the ready-made space of :func:`sknn.search_space`:

* randomized search (scipy.stats distributions, ``loguniform`` learning rate);
* Bayesian optimization with scikit-optimize's ``BayesSearchCV`` (skipped
  when scikit-optimize is not installed: ``pip install "sknn-learn[search]"``);
* successive halving over the epoch budget (``resource='max_iter'``, the
  Hyperband idea): many candidates get a few epochs, the best get more.

Each prints its best cross-validated accuracy, test accuracy and wall time,
and the script plots the best score against the time.
"""

import time
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
# Successive halving is still experimental in scikit-learn: this import
# enables HalvingRandomSearchCV.
from sklearn.experimental import enable_halving_search_cv
from sklearn.model_selection import (HalvingRandomSearchCV, RandomizedSearchCV,
                                     train_test_split)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier, search_space

N_CANDIDATES = 16
EPOCHS = 40
KNOBS = ["hidden_layer_sizes", "learning_rate_init", "activation", "batch_norm",
         "dropout", "alpha"]
# A fixed epoch budget is the plan: reaching max_iter is not a problem here.
warnings.simplefilter("ignore", ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)

pipeline = Pipeline([("scale", StandardScaler()),
                     ("model", MLPClassifier(max_iter=EPOCHS, random_state=0))])
common = {"cv": 3, "n_jobs": 2, "random_state": 0}

searches = {
    "random": RandomizedSearchCV(pipeline, search_space(pipeline, "random", params=KNOBS),
                                 n_iter=N_CANDIDATES, **common),
    # the epoch budget is the resource: twice the candidates for the same
    # total number of epochs, most of them trained for a fraction of EPOCHS
    "halving (max_iter)": HalvingRandomSearchCV(
        pipeline, search_space(pipeline, "random", params=KNOBS),
        n_candidates=2 * N_CANDIDATES, resource="model__max_iter",
        min_resources=max(1, EPOCHS // 8), max_resources=EPOCHS, factor=2, **common),
}
try:
    from skopt import BayesSearchCV

    searches["bayes"] = BayesSearchCV(pipeline, search_space(pipeline, "bayes", params=KNOBS),
                                      n_iter=N_CANDIDATES, n_points=2, **common)
except ImportError:
    print("scikit-optimize is not installed: skipping the Bayesian search")

results = {}
for name, search in searches.items():
    start = time.perf_counter()
    search.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    results[name] = (search.best_score_, search.score(X_test, y_test), seconds)
    print(f"{name:>20}: cv accuracy {search.best_score_:.3f}, "
          f"test accuracy {results[name][1]:.3f}, {seconds:6.1f} s, "
          f"{len(search.cv_results_['params'])} candidate evaluations")

# %%
# Best score against time
# -----------------------
fig, ax = plt.subplots(figsize=(5, 3.5))
for name, (cv_score, _, seconds) in results.items():
    ax.scatter(seconds, cv_score, s=60, label=name)
ax.legend(loc="lower right")
ax.set_xlabel("wall time (s)")
ax.set_ylabel("best cross-validated accuracy")
ax.set_title("Hyperparameter search on digits")
fig.tight_layout()
plt.show()
