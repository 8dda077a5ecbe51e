"""
Quickstart: sknn next to scikit-learn
=====================================

Fit :class:`sknn.MLPClassifier` and :class:`sknn.MLPRegressor` with exactly
the same parameters as their :mod:`sklearn.neural_network` counterparts and
compare test score (accuracy, R^2) and fit time side by side. The times come
from a single fit each; ``benchmarks/`` holds the careful measurements.

The comparison is also saved as a PNG to ``$SKNN_EXAMPLE_OUTPUT_DIR`` (a
temporary directory by default). Set ``SKNN_EXAMPLE_QUICK=1`` for a fast
smoke run with few iterations.
"""

import os
import tempfile
import time
import warnings

import matplotlib

from sklearn import neural_network
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sknn

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

QUICK = os.environ.get("SKNN_EXAMPLE_QUICK") == "1"
if QUICK:
    # A few iterations cannot converge; the warning would only be noise there.
    # A full run keeps it visible, since there it would mean a real problem.
    warnings.filterwarnings("ignore", category=ConvergenceWarning)

LIBRARIES = {"sknn": sknn, "scikit-learn": neural_network}

TASKS = {
    # name: (loader, estimator class name, constructor parameters)
    "MLPClassifier / digits": (
        load_digits,
        "MLPClassifier",
        dict(hidden_layer_sizes=(100,), max_iter=5 if QUICK else 200, random_state=0),
    ),
    # 442 samples only: a small net with strong L2 keeps it from memorising
    # them, and full-batch lbfgs makes the comparison independent of batching.
    "MLPRegressor / diabetes": (
        load_diabetes,
        "MLPRegressor",
        dict(hidden_layer_sizes=(16,), solver="lbfgs", alpha=10.0,
             max_iter=20 if QUICK else 1000, random_state=0),
    ),
}


def make_model(library, class_name, params):
    model = getattr(library, class_name)(**params)
    if class_name == "MLPRegressor":
        # Diabetes targets are in the hundreds; an unscaled target makes the
        # squared loss huge and the optimiser crawl.
        model = TransformedTargetRegressor(model, transformer=StandardScaler())
    return make_pipeline(StandardScaler(), model)


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

# %%
# Plot
# ----
fig, (scores, times) = plt.subplots(1, 2, figsize=(10, 3.5))
tasks = list(TASKS)
for offset, library_name in zip((-0.2, 0.2), LIBRARIES):
    by_task = {task: (score, seconds) for task, name, score, seconds in rows
               if name == library_name}
    positions = [index + offset for index in range(len(tasks))]
    scores.bar(positions, [by_task[task][0] for task in tasks], width=0.4, label=library_name)
    times.bar(positions, [by_task[task][1] for task in tasks], width=0.4, label=library_name)
for ax, label in ((scores, "test score (accuracy, R^2)"), (times, "fit seconds")):
    ax.set_xticks(range(len(tasks)), tasks)
    ax.set_ylabel(label)
    ax.legend()
fig.tight_layout()
output_dir = os.environ.get("SKNN_EXAMPLE_OUTPUT_DIR") or tempfile.mkdtemp()
os.makedirs(output_dir, exist_ok=True)
path = os.path.join(output_dir, "quickstart.png")
fig.savefig(path, dpi=80)
print(f"plot saved to {path}")
