"""
Tuning training techniques with a randomized search
===================================================

Every technique of sknn's networks is a constructor parameter, so
scikit-learn's :class:`~sklearn.model_selection.RandomizedSearchCV` can choose
the activation, initializer, batch norm, dropout, optimizer and learning-rate
schedule together, including a schedule object's own parameters
(``model__learning_rate__max_lr``), with no custom code.

The script prints the best candidate and plots the cross-validated
accuracy of every candidate.
"""

import warnings

import matplotlib.pyplot as plt
from scipy.stats import loguniform
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import RandomizedSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier
from sknn.schedules import OneCycle

# A one-cycle schedule spans exactly max_iter epochs, so reaching max_iter is
# the plan, not a convergence problem.
warnings.simplefilter("ignore", ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)

pipeline = Pipeline([
    ("scale", StandardScaler()),
    ("model", MLPClassifier(hidden_layer_sizes=(128, 64), solver="sgd",
                            learning_rate=OneCycle(), max_iter=40,
                            random_state=0)),
])
search_space = {
    # not 'selu': it self-normalizes only without batch norm and with alpha
    # dropout, conditions a flat search space cannot tie to it
    "model__activation": ["relu", "elu", "swish", "gelu"],
    "model__kernel_initializer": ["auto", "glorot_uniform"],
    "model__batch_norm": [False, True],
    "model__dropout": [0.0, 0.1, 0.3],
    # the one-cycle schedule's own parameter, reached through the estimator
    "model__learning_rate__max_lr": loguniform(1e-3, 3e-1),
}
search = RandomizedSearchCV(pipeline, search_space, n_iter=12, cv=3,
                            random_state=0, n_jobs=1)
search.fit(X_train, y_train)

print("best parameters:")
for name, value in sorted(search.best_params_.items()):
    print(f"  {name} = {value}")
print(f"cross-validated accuracy: {search.best_score_:.3f}")
print(f"test accuracy:            {search.score(X_test, y_test):.3f}")

# %%
# Every candidate's score
# -----------------------
results = search.cv_results_
order = results["rank_test_score"].argsort()
labels = [f"{params['model__activation']}, bn={params['model__batch_norm']}, "
          f"dropout={params['model__dropout']}, "
          f"max_lr={params['model__learning_rate__max_lr']:.2g}"
          for params in (results["params"][index] for index in order)]
fig, ax = plt.subplots(figsize=(8, 0.35 * len(order) + 1.2))
ax.barh(range(len(order)), results["mean_test_score"][order],
        xerr=results["std_test_score"][order])
ax.set_yticks(range(len(order)), labels, fontsize=8)
ax.invert_yaxis()
ax.set_xlabel("cross-validated accuracy")
ax.set_title("Randomized search over training techniques (best first)")
fig.tight_layout()
plt.show()
