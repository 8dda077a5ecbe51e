"""
Finding a learning rate with the range test
===========================================

The learning rate is the most important hyperparameter of a network, and
a good value depends on the data, the architecture and the optimizer. The
learning-rate range test (Leslie Smith's "LR finder") measures it in a few
hundred steps: train a copy of the model while the rate grows exponentially
from tiny to huge, and record the loss. The loss first barely moves (rate
too small), then falls quickly, then turns up and explodes (rate too
large). A rate about ten times below the minimum of the curve is fast but
still stable.

:func:`sknn.lr_find` runs the test on a clone (the estimator passed in is
not modified) and returns the rates, the smoothed losses and that
suggestion; ``result.plot()`` draws the curve. The script then trains with
the suggested rate and, for comparison, with rates ten times smaller and
larger, prints the test accuracy of each, and plots the range test next
to the three training curves.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier, lr_find
from sknn.exceptions import DivergenceWarning

EPOCHS = 20
# A fixed epoch budget: reaching max_iter is the plan here. The 10x rate may
# diverge; that is the point of the comparison.
warnings.simplefilter("ignore", ConvergenceWarning)
warnings.simplefilter("ignore", DivergenceWarning)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# The range test
# --------------
# SGD with momentum is sensitive to its rate, which makes the test worth it.
clf = MLPClassifier(hidden_layer_sizes=(128, 64), solver="sgd", momentum=0.9, batch_size=32,
                    max_iter=EPOCHS, n_iter_no_change=EPOCHS, random_state=0)
n_steps = 300
with np.errstate(all="ignore"):  # the last steps may overflow: that is the point
    result = lr_find(clf, X_train, y_train, min_lr=1e-5, max_lr=10.0, n_steps=n_steps)
lowest = result.learning_rates[np.argmin(result.losses)]
stopped = len(result.learning_rates) < n_steps
print(f"{len(result.learning_rates)} of {n_steps} steps, rates {result.learning_rates[0]:.1e} "
      f"to {result.learning_rates[-1]:.2g}"
      + (" (stopped early: the loss exceeded 4 x its minimum)" if stopped else ""))
print(f"lowest smoothed loss at rate {lowest:.3g}; suggested rate {result.suggestion:.3g}")

# %%
# Training at the suggested rate, and ten times below and above it
# ----------------------------------------------------------------
curves = {}
print(f"\n{'rate':>12} {'final loss':>10} {'test accuracy':>13}")
for factor in (0.1, 1.0, 10.0):
    rate = factor * result.suggestion
    model = clone(clf).set_params(learning_rate_init=rate)
    with np.errstate(all="ignore"):
        try:
            model.fit(X_train, y_train)
        except ValueError:  # diverged in the first epoch: nothing to keep
            print(f"{rate:>12.3g} {'diverged':>10} {'-':>13}")
            continue
    label = "suggested" if factor == 1.0 else f"{factor:g} x suggested"
    curves[f"{rate:.3g} ({label})"] = model.loss_curve_
    print(f"{rate:>12.3g} {model.loss_:>10.4f} {model.score(X_test, y_test):>13.3f}")

# %%
# Plots
# -----
fig, (finder, training) = plt.subplots(1, 2, figsize=(11, 4))
result.plot(ax=finder)
for label, curve in curves.items():
    curve = np.array(curve, dtype=float)
    curve[~np.isfinite(curve)] = np.nan
    training.plot(range(1, len(curve) + 1), curve, marker=".", label=label)
training.set_yscale("log")
training.set_xlabel("epoch")
training.set_ylabel("training loss")
training.set_title("Training at and around the suggestion")
training.legend(title="learning rate")
fig.tight_layout()
plt.show()
