"""
Quickstart: sknn next to scikit-learn
=====================================

Fit :class:`sknn.MLPClassifier` and :class:`sknn.MLPRegressor` with exactly
the same parameters as their :mod:`sklearn.neural_network` counterparts and
compare test score (accuracy, R^2) and fit time side by side. The times come
from a single fit each; ``benchmarks/`` holds the careful measurements.

The script needs nothing beyond ``pip install .`` (no plotting library): it
prints the comparison as a table.
"""

import time

from sklearn import neural_network
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_digits
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sknn

LIBRARIES = {"sknn": sknn, "scikit-learn": neural_network}

TASKS = {
    # name: (loader, estimator class name, constructor parameters)
    "MLPClassifier / digits": (
        load_digits,
        "MLPClassifier",
        dict(hidden_layer_sizes=(100,), max_iter=200, random_state=0),
    ),
    # 442 samples only: a small net with strong L2 keeps it from memorising
    # them, and full-batch lbfgs makes the comparison independent of batching.
    "MLPRegressor / diabetes": (
        load_diabetes,
        "MLPRegressor",
        dict(hidden_layer_sizes=(16,), solver="lbfgs", alpha=10.0, max_iter=1000,
             random_state=0),
    ),
}


def make_model(library, class_name, params):
    model = getattr(library, class_name)(**params)
    if class_name == "MLPRegressor":
        # Diabetes targets are in the hundreds; an unscaled target makes the
        # squared loss huge and the optimiser crawl.
        model = TransformedTargetRegressor(model, transformer=StandardScaler())
    return make_pipeline(StandardScaler(), model)


# %%
# Fit both libraries on both tasks
# --------------------------------
rows = []
for task, (loader, class_name, params) in TASKS.items():
    X, y = loader(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    for library_name, library in LIBRARIES.items():
        model = make_model(library, class_name, params)
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        rows.append((task, library_name, model.score(X_test, y_test), seconds))

print(f"{'model':<24} {'library':<13} {'test score':>10} {'fit seconds':>11}")
for task, library_name, score, seconds in rows:
    print(f"{task:<24} {library_name:<13} {score:>10.3f} {seconds:>11.2f}")
