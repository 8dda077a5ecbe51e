"""
Optimizers compared on the same problem
=======================================

Gradient descent only looks at the current gradient. Faster optimizers
keep some memory of past gradients:

* **momentum** accumulates a velocity, rolling through flat regions and
  damping oscillations (``solver='sgd', momentum=0.9,
  nesterovs_momentum=False``);
* **Nesterov** momentum measures the gradient a little ahead, along the
  velocity (``nesterovs_momentum=True``);
* **AdaGrad** scales each parameter's step down by its accumulated squared
  gradients: steep directions slow down, but the steps keep shrinking;
* **RMSProp** uses a decaying average of squared gradients instead, so the
  steps do not vanish;
* **Adam** combines momentum with RMSProp's scaling, **Nadam** adds the
  Nesterov trick, and **AdamW** decouples the weight decay from the
  gradient.

Each trains the same network on the digits from the same initial weights,
with a learning rate customary for it. The script prints the final training
loss, test accuracy and time per epoch, and plots the loss curves.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier

EPOCHS = 30
# A fixed epoch budget: reaching max_iter is the plan here.
warnings.simplefilter("ignore", ConvergenceWarning)

# name: constructor parameters (solver and its own knobs, and its usual rate)
OPTIMIZERS = {
    "SGD": dict(solver="sgd", momentum=0.0, learning_rate_init=0.01),
    "momentum": dict(solver="sgd", momentum=0.9, nesterovs_momentum=False,
                     learning_rate_init=0.01),
    "Nesterov": dict(solver="sgd", momentum=0.9, nesterovs_momentum=True,
                     learning_rate_init=0.01),
    "AdaGrad": dict(solver="adagrad", learning_rate_init=0.01),
    "RMSProp": dict(solver="rmsprop", rho=0.9, learning_rate_init=0.001),
    "Adam": dict(solver="adam", learning_rate_init=0.001),
    "Nadam": dict(solver="nadam", learning_rate_init=0.001),
    "AdamW": dict(solver="adamw", weight_decay=0.01, learning_rate_init=0.001),
}

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# Same network, same start, different optimizers
# ----------------------------------------------
# ``random_state=0`` gives every run the same initial weights and the same
# minibatch order, so only the update rule differs.
histories = {}
print(f"{'optimizer':>9} {'rate':>6} {'final loss':>10} {'test accuracy':>13} {'ms/epoch':>8}")
for name, params in OPTIMIZERS.items():
    clf = MLPClassifier(hidden_layer_sizes=(64, 64), batch_size=32, max_iter=EPOCHS,
                        n_iter_no_change=EPOCHS, random_state=0, **params)
    clf.fit(X_train, y_train)
    histories[name] = clf.history_
    print(f"{name:>9} {params['learning_rate_init']:>6g} {clf.loss_:>10.4f} "
          f"{clf.score(X_test, y_test):>13.3f} {1e3 * np.median(clf.history_['seconds']):>8.1f}")

# %%
# Loss curves
# -----------
# Plain SGD lags far behind; momentum and Nesterov overlap; AdaGrad starts
# fastest, then flattens as its accumulated squared gradients shrink every
# step; the Adam family (nearly indistinguishable here) and RMSProp keep
# going down.
fig, ax = plt.subplots(figsize=(7, 4.5))
for name, history in histories.items():
    ax.plot(range(1, len(history["loss"]) + 1), history["loss"], label=name,
            linestyle="--" if name in ("SGD", "momentum", "Nesterov") else "-")
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.set_title("Optimizers on digits (2 x 64 ReLU units, batches of 32)")
ax.legend(ncol=2)
fig.tight_layout()
plt.show()
