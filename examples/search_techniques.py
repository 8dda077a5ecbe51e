"""
Tuning training techniques with a randomized search
===================================================

Every technique of sknn's networks is a constructor parameter, so
scikit-learn's :class:`~sklearn.model_selection.RandomizedSearchCV` can choose
the activation, initializer, batch norm, dropout, optimizer and learning-rate
schedule together, including a schedule object's own parameters
(``model__learning_rate__max_lr``), with no custom code.

Set ``SKNN_EXAMPLE_QUICK=1`` for a fast smoke run.
"""

import os
import warnings

from scipy.stats import loguniform
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import RandomizedSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier
from sknn.schedules import OneCycle

QUICK = os.environ.get("SKNN_EXAMPLE_QUICK") == "1"
# A one-cycle schedule spans exactly max_iter epochs, so reaching max_iter is
# the plan, not a convergence problem.
warnings.simplefilter("ignore", ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

pipeline = Pipeline([
    ("scale", StandardScaler()),
    ("model", MLPClassifier(hidden_layer_sizes=(128, 64), solver="sgd",
                            learning_rate=OneCycle(), max_iter=5 if QUICK else 40,
                            random_state=0)),
])
search_space = {
    "model__activation": ["relu", "elu", "selu", "gelu"],
    "model__kernel_initializer": ["auto", "glorot_uniform"],
    "model__batch_norm": [False, True],
    "model__dropout": [0.0, 0.1, 0.3],
    # the one-cycle schedule's own parameter, reached through the estimator
    "model__learning_rate__max_lr": loguniform(1e-3, 3e-1),
}
search = RandomizedSearchCV(pipeline, search_space, n_iter=2 if QUICK else 12, cv=3,
                            random_state=0, n_jobs=1)
search.fit(X_train, y_train)

print("best parameters:")
for name, value in sorted(search.best_params_.items()):
    print(f"  {name} = {value}")
print(f"cross-validated accuracy: {search.best_score_:.3f}")
print(f"test accuracy:            {search.score(X_test, y_test):.3f}")
