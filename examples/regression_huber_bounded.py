"""
Regression with a Huber loss and a bounded output
=================================================

Two choices of an :class:`sknn.MLPRegressor` that matter when the targets
are not well-behaved:

* **The loss.** The squared error grows with the square of a residual, so a
  few wild outliers pull the whole fit towards them. The Huber loss
  (``loss='huber'``) is quadratic for residuals below ``huber_delta`` and
  linear beyond, so an outlier's pull is capped.
* **The output activation.** A target known to lie in a range (a share, a
  probability, a bounded score) can be given an output that cannot leave it:
  ``output_activation='logistic'`` or ``'tanh'`` rescaled to
  ``output_bounds=(low, high)``. An identity output extrapolates freely.

The script prints errors on clean test data and the range of the
predictions, and plots the fits.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_absolute_error

from sknn import MLPRegressor

EPOCHS = 400
# A fixed epoch budget: reaching max_iter is the plan here.
warnings.simplefilter("ignore", ConvergenceWarning)
rng = np.random.default_rng(0)

# %%
# Outliers: squared error vs Huber
# --------------------------------
# A smooth curve with Gaussian noise, and 8% of the targets replaced by
# values far above it (a sensor glitch, a data-entry error).
n = 300
X = rng.uniform(-3, 3, size=(n, 1))
y_clean = np.sin(1.5 * X[:, 0]) + 0.1 * rng.normal(size=n)
y = y_clean.copy()
outliers = rng.random(n) < 0.08
y[outliers] += rng.uniform(4, 8, size=outliers.sum())
X_grid = np.linspace(-3, 3, 200).reshape(-1, 1)
y_truth = np.sin(1.5 * X_grid[:, 0])

common = dict(hidden_layer_sizes=(32, 32), activation="tanh", learning_rate_init=0.01,
              max_iter=EPOCHS, random_state=0)
regressors = {
    "squared_error": MLPRegressor(loss="squared_error", **common),
    "huber (delta=0.3)": MLPRegressor(loss="huber", huber_delta=0.3, **common),
}
print(f"{outliers.sum()} outliers among {n} training targets")
for name, reg in regressors.items():
    reg.fit(X, y)
    error = mean_absolute_error(y_truth, reg.predict(X_grid))
    print(f"{name:>18}: mean absolute error to the true curve {error:.3f}")

# %%
# A bounded output
# ----------------
# A share in [0, 1] that saturates on both sides. The identity output
# follows the trend past the training range and leaves [0, 1]; a logistic
# output cannot, whatever the input.
X_share = rng.uniform(-2, 2, size=(200, 1))
y_share = np.clip(1 / (1 + np.exp(-2.5 * X_share[:, 0])) + 0.05 * rng.normal(size=200), 0, 1)
X_wide = np.linspace(-5, 5, 200).reshape(-1, 1)
# ReLU hidden units extrapolate linearly, which shows the difference plainly.
relu = dict(common, activation="relu")
bounded = {
    "identity output": MLPRegressor(**relu),
    "logistic output, bounds (0, 1)": MLPRegressor(output_activation="logistic",
                                                   output_bounds=(0, 1), **relu),
}
for name, reg in bounded.items():
    prediction = reg.fit(X_share, y_share).predict(X_wide)
    print(f"{name:>31}: predictions on [-5, 5] range from {prediction.min():+.3f} "
          f"to {prediction.max():+.3f}")

# %%
# Plot
# ----
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
left.scatter(X[~outliers, 0], y[~outliers], s=8, color="0.6", label="data")
left.scatter(X[outliers, 0], y[outliers], s=14, color="tab:red", marker="x", label="outliers")
left.plot(X_grid[:, 0], y_truth, "k--", label="true curve")
for name, reg in regressors.items():
    left.plot(X_grid[:, 0], reg.predict(X_grid), lw=2, label=name)
left.set_title("Outliers: squared error vs Huber")
left.legend(fontsize=8)

right.scatter(X_share[:, 0], y_share, s=8, color="0.6", label="data")
right.axvspan(-5, -2, color="0.93")
right.axvspan(2, 5, color="0.93")
for name, reg in bounded.items():
    right.plot(X_wide[:, 0], reg.predict(X_wide), lw=2, label=name)
right.axhline(0, color="k", lw=0.5)
right.axhline(1, color="k", lw=0.5)
right.set_title("Extrapolation (shaded): identity vs bounded output")
right.legend(fontsize=8)
fig.tight_layout()
plt.show()
