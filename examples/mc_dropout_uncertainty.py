"""
Monte Carlo dropout: how sure is the network?
=============================================

Dropout switches off a random share of the units at every training step.
Kept on at prediction time, it turns one trained network into an ensemble
of thinned networks: each stochastic pass gives a slightly different
answer. The mean of many passes is usually a little more accurate than the
single deterministic prediction, and their **standard deviation** is an
estimate of the model's uncertainty (Gal & Ghahramani, 2016). Only dropout
is stochastic; batch norm stays in inference mode.

:meth:`sknn.DeepNetRegressor.mc_predict` and
:meth:`sknn.DeepNetClassifier.mc_predict_proba` return that mean and
standard deviation over ``n_samples`` passes, seeded by ``random_state``.

* **Regression:** a 1-D curve observed on ``[-3, 3]``. The band of plus or
  minus two standard deviations stays narrow where there is data and
  widens with the distance from it. (This is an approximation: MC dropout
  does not always flag a gap *between* training regions.)
* **Classification:** on the digits, the test images the network gets wrong
  have lower mean confidence and larger spread over the passes than the ones
  it gets right.

The script prints these numbers and plots both.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknn import DeepNetClassifier, DeepNetRegressor

N_PASSES = 100
rng = np.random.default_rng(0)

# %%
# Regression: uncertainty grows away from the data
# ------------------------------------------------
# The one-cycle schedule (the DeepNet default) runs all ``max_iter`` epochs:
# it is the training budget, so no early stopping is needed.
epochs = 100
X = rng.uniform(-3, 3, size=(200, 1))
y = np.sin(1.5 * X[:, 0]) + 0.1 * rng.normal(size=len(X))
reg = DeepNetRegressor(n_hidden=2, n_neurons=128, activation="relu", dropout=0.1,
                       max_iter=epochs, random_state=0).fit(X, y)
X_grid = np.linspace(-6, 6, 241).reshape(-1, 1)
mean, std = reg.mc_predict(X_grid, n_samples=N_PASSES)

distance = np.maximum(np.abs(X_grid[:, 0]) - 3, 0)  # from the training interval [-3, 3]
for name, mask in (("inside [-3, 3]", distance == 0),
                   ("0 to 1.5 outside", (distance > 0) & (distance <= 1.5)),
                   ("1.5 to 3 outside", distance > 1.5)):
    print(f"regression, mean MC-dropout std {name:>16}: {std[mask].mean():.3f}")

# %%
# Classification: mistakes are less certain
# -----------------------------------------
digits_X, digits_y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(digits_X, digits_y, random_state=0,
                                                    stratify=digits_y)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
clf = DeepNetClassifier(n_hidden=2, n_neurons=128, dropout=0.3,
                        max_iter=200, random_state=0).fit(X_train, y_train)
proba_mean, proba_std = clf.mc_predict_proba(X_test, n_samples=N_PASSES)
predicted = clf.classes_[proba_mean.argmax(axis=1)]
confidence = proba_mean.max(axis=1)
spread = proba_std[np.arange(len(X_test)), proba_mean.argmax(axis=1)]
correct = predicted == y_test
print(f"\nclassification: test accuracy {clf.score(X_test, y_test):.3f} (one deterministic "
      f"pass), {correct.mean():.3f} (mean of {N_PASSES} MC-dropout passes)")
for name, mask in (("correct", correct), ("misclassified", ~correct)):
    if mask.any():
        print(f"{name:>14} ({mask.sum():>3} images): mean confidence "
              f"{confidence[mask].mean():.3f}, mean std of the predicted class "
              f"{spread[mask].mean():.3f}")

# %%
# Plots
# -----
fig, (band, hist) = plt.subplots(1, 2, figsize=(11, 4))
band.fill_between(X_grid[:, 0], mean - 2 * std, mean + 2 * std, alpha=0.3,
                  label="mean +/- 2 std")
band.plot(X_grid[:, 0], mean, lw=2, label=f"MC-dropout mean ({N_PASSES} passes)")
band.scatter(X[:, 0], y, s=8, color="k", label="training data")
band.axvspan(-6, -3, color="0.93", zorder=0)
band.axvspan(3, 6, color="0.93", zorder=0)
band.set_xlabel("x (shaded: no training data)")
band.set_ylabel("y")
band.set_title("DeepNetRegressor.mc_predict")
band.legend(fontsize=8, loc="upper left")

bins = np.linspace(0, 1, 21)
hist.hist(confidence[correct], bins=bins, density=True, alpha=0.6, label="correct")
if (~correct).any():
    hist.hist(confidence[~correct], bins=bins, density=True, alpha=0.6,
              label="misclassified")
hist.set_xlabel("mean probability of the predicted class")
hist.set_ylabel("density")
hist.set_title("DeepNetClassifier.mc_predict_proba on digits")
hist.legend(loc="upper left")
fig.tight_layout()
plt.show()
