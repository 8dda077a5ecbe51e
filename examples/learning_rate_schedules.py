"""
Learning-rate schedules
=======================

A large learning rate makes fast progress at first but then bounces around
the minimum; a small one settles but crawls. A **schedule** starts high and
lowers the rate as training goes on. sknn's ``learning_rate`` parameter
takes a name or a :mod:`sknn.schedules` object:

* ``'constant'``: no schedule, for reference;
* ``'power'``: ``lr0 / (1 + step / s) ** c``, fast at first, then slower;
* ``'exponential'``: ``lr0 * 0.1 ** (step / s)``, tenfold every ``s`` steps;
* ``'piecewise'``: constant rates between epoch boundaries;
* ``'plateau'`` (performance scheduling): multiply the rate by ``factor``
  when the loss has not improved for ``patience`` epochs;
* ``'one_cycle'``: rise to a peak for the first 30% of the steps, then fall
  far below the start (with SGD, momentum moves the opposite way);
* ``'cosine'``: a half cosine from the initial rate to ``min_lr``.

Every run trains the same network with SGD and momentum from the same
weights, at an initial (or peak) rate of 0.1 that is deliberately too large
to hold: the constant rate never settles, and a schedule only helps if it
lowers the rate before the damage is done (piecewise, which holds 0.1 for
half the run, does not recover; 1cycle's warm-up avoids the problem).
``history_['learning_rate']`` records the rate each epoch started with; the
per-step schedules also change it within epochs. The script prints
the final loss and test accuracy and plots the rates and loss curves.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier
from sknn.schedules import (CosineDecay, ExponentialDecay, OneCycle, PiecewiseConstant,
                            PowerDecay, ReduceOnPlateau)

EPOCHS = 40
RATE = 0.1
# A fixed epoch budget: reaching max_iter is the plan here.
warnings.simplefilter("ignore", ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
steps_per_epoch = -(-len(X_train) // 32)

# %%
# The schedules
# -------------
# Objects make the hyperparameters explicit; the names alone
# (``learning_rate='cosine'``) use the defaults, with ``learning_rate_init``
# as the initial (or, for 1cycle, peak) rate.
SCHEDULES = {
    "constant": "constant",
    "power": PowerDecay(decay_steps=2 * steps_per_epoch),
    "exponential": ExponentialDecay(decay_steps=EPOCHS * steps_per_epoch / 2, decay_rate=0.1),
    "piecewise": PiecewiseConstant(boundaries=(EPOCHS // 2, 3 * EPOCHS // 4),
                                   values=(RATE, RATE / 5, RATE / 25)),
    "plateau": ReduceOnPlateau(factor=0.3, patience=2, min_delta=1e-3, min_lr=RATE / 1000),
    "one_cycle": OneCycle(max_lr=RATE),
    "cosine": CosineDecay(min_lr=RATE / 100),
}

histories = {}
print(f"{'schedule':>11} {'final rate':>10} {'final loss':>10} {'test accuracy':>13}")
for name, schedule in SCHEDULES.items():
    clf = MLPClassifier(hidden_layer_sizes=(64, 64), solver="sgd", momentum=0.9,
                        learning_rate=schedule, learning_rate_init=RATE, batch_size=32,
                        max_iter=EPOCHS, n_iter_no_change=EPOCHS, random_state=0)
    clf.fit(X_train, y_train)
    histories[name] = clf.history_
    print(f"{name:>11} {clf.history_['learning_rate'][-1]:>10.2e} {clf.loss_:>10.4f} "
          f"{clf.score(X_test, y_test):>13.3f}")

# %%
# Rates and losses per epoch
# --------------------------
fig, (rates, losses) = plt.subplots(1, 2, figsize=(11, 4))
for name, history in histories.items():
    epochs = range(1, len(history["loss"]) + 1)
    rates.plot(epochs, history["learning_rate"], marker=".", label=name)
    losses.plot(epochs, history["loss"], label=name)
rates.set_yscale("log")
rates.set_xlabel("epoch")
rates.set_ylabel("learning rate at the start of the epoch")
rates.set_title("history_['learning_rate']")
rates.legend(ncol=2, fontsize=8, loc="lower left")
losses.set_yscale("log")
losses.set_xlabel("epoch")
losses.set_ylabel("training loss")
losses.set_title("history_['loss']")
fig.tight_layout()
plt.show()
