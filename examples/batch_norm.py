"""
Batch normalization: a wider range of learning rates
====================================================

Batch normalization standardizes each hidden layer's inputs over the
minibatch, then rescales them with a learned scale and offset
(``batch_norm=True``). Each layer then sees inputs of a stable scale however
the layers below change, so a deep network tolerates much larger learning
rates. At prediction time the layer uses running averages of the batch
statistics, updated with ``bn_momentum``.

A network of six hidden ReLU layers is trained with SGD and momentum on the
digits, with and without batch norm, at learning rates from small to very
large, for a fixed number of epochs. What it shows on this small problem:

* without batch norm the network trains well only below a critical rate
  and diverges above it; with batch norm it still learns, more slowly, at
  rates ten times larger;
* batch norm does not make every run faster: at small rates the plain
  network is as good or better here (the batch statistics add noise);
* with a few hundred training steps, ``bn_momentum=0.9`` (the running
  averages remember ~10 batches) gives better predictions than Keras's
  0.99, whose averages lag behind weights that are still moving fast.

The script prints the training loss and test accuracy of every run and
plots the loss curves at a large rate and the test accuracy against the
learning rate.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier
from sknn.exceptions import DivergenceWarning

EPOCHS = 20
RATES = [0.003, 0.01, 0.03, 0.1, 0.3, 1.0]
# label: (batch_norm, bn_momentum)
VARIANTS = {"no batch norm": (False, 0.99),
            "batch norm, bn_momentum=0.9": (True, 0.9),
            "batch norm, bn_momentum=0.99": (True, 0.99)}
# A fixed epoch budget: reaching max_iter is the plan here. Divergence at
# the largest rates is part of the experiment and reported in the table.
warnings.simplefilter("ignore", ConvergenceWarning)
warnings.simplefilter("ignore", DivergenceWarning)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)


def train(batch_norm, bn_momentum, rate):
    """The fitted network, or None when its very first epoch diverged."""
    clf = MLPClassifier(hidden_layer_sizes=(64,) * 6, activation="relu",
                        kernel_initializer="he_normal", batch_norm=batch_norm,
                        bn_momentum=bn_momentum, solver="sgd", momentum=0.9,
                        learning_rate_init=rate, batch_size=32, max_iter=EPOCHS,
                        n_iter_no_change=EPOCHS, random_state=0)
    try:
        with np.errstate(all="ignore"):  # overflow is expected where a run diverges
            return clf.fit(X_train, y_train)
    except ValueError:  # sknn raises when nothing finite was ever learned
        return None


# %%
# Every learning rate, with and without batch norm
# ------------------------------------------------
# A run that diverges keeps the weights of its best epoch (with a
# DivergenceWarning); one that diverges in its first epoch has nothing to
# keep, and ``fit`` raises.
runs, accuracy = {}, {}
print(f"{'rate':>6} {'variant':>28} {'final loss':>10} {'test accuracy':>13}")
for rate in RATES:
    for label, (batch_norm, bn_momentum) in VARIANTS.items():
        clf = runs[label, rate] = train(batch_norm, bn_momentum, rate)
        diverged = clf is None or not np.isfinite(clf.loss_curve_[-1])
        accuracy[label, rate] = 0.0 if clf is None else clf.score(X_test, y_test)
        loss = "diverged" if diverged else f"{clf.loss_:.4f}"
        print(f"{rate:>6g} {label:>28} {loss:>10} {accuracy[label, rate]:>13.3f}")

# %%
# Plots
# -----
# Left: at a rate where the plain network blows up (its curve ends where
# the loss stops being finite), the normalized one trains; ``bn_momentum``
# changes only the running averages, so both batch-norm runs share this
# curve. Right: test accuracy against the rate; the plain network's usable
# range ends abruptly (0 where ``fit`` raised).
fig, (curves, tolerance) = plt.subplots(1, 2, figsize=(11, 4))
shown_rate = 0.1
for label, style in zip(VARIANTS, ("--", "-", ":")):
    clf = runs[label, shown_rate]
    if clf is not None and label != "batch norm, bn_momentum=0.99":
        losses = np.array(clf.history_["loss"], dtype=float)
        losses[~np.isfinite(losses)] = np.nan
        curves.plot(range(1, len(losses) + 1), losses, style, marker=".",
                    label=label.split(",")[0])
    tolerance.plot(RATES, [accuracy[label, rate] for rate in RATES], style, marker="o",
                   label=label)
curves.set_yscale("log")
curves.set_xlabel("epoch")
curves.set_ylabel("training loss")
curves.set_title(f"Six hidden layers, learning rate {shown_rate}")
curves.legend()
tolerance.set_xscale("log")
tolerance.set_ylim(0, 1)
tolerance.set_xlabel("learning rate")
tolerance.set_ylabel(f"test accuracy after {EPOCHS} epochs")
tolerance.set_title("Learning-rate tolerance")
tolerance.legend(loc="lower left")
fig.tight_layout()
plt.show()
