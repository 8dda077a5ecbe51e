"""
Transfer learning: reuse, freeze, then fine-tune
================================================

Task A is to recognize eight of the ten digits (all but 3 and 8), with
plenty of labels. Task B is to tell a 3 from an 8 with only a handful of
labels. A :class:`sknn.DeepNetClassifier` trained on task A is reused for
task B through ``pretrained=``: its hidden layers (weights, biases and
batch-norm statistics) are copied and a fresh output layer is put on top.

Three task-B models are compared for each number of task-B labels (median
test accuracy over several draws of the labelled rows):

* **from scratch**: the same architecture trained on the task-B labels only;
* **frozen**: the reused layers frozen (``frozen_layers='reused'``), only
  the new output layer trained;
* **fine-tuned**: the frozen model, then unfrozen with
  ``set_params(frozen_layers=0, learning_rate_init=1e-3, warm_start=True)``
  and trained a little more, continuing from its weights.

A full run (5 draws per count, DeepNet's defaults including dropout 0.2)
measured, from scratch / frozen / fine-tuned: 0.855 / 0.838 / 0.877 with 6
labels, 0.872 / 0.844 / 0.877 with 10, 0.888 / 0.894 / 0.916 with 20,
0.972 / 0.916 / 0.950 with 50 and 0.978 / 0.933 / 0.972 with 100.
Fine-tuning helped while task-B labels were scarce (up to 20) and fell a
little behind training from scratch once 50 or more were available; the
frozen features alone were hit and miss. On
this small, easy problem the gains are a few points: do not expect what
transfer learning gives deep convolutional networks on images. The script
prints the accuracies and plots them against the number of task-B labels.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknn import DeepNetClassifier

LABEL_COUNTS = [6, 10, 20, 50, 100]
SEEDS = range(5)
EPOCHS = 50
ARCHITECTURE = dict(n_hidden=3, n_neurons=100)
# Task B runs a fixed number of epochs (too few labels for an early-stopping
# split): reaching max_iter is the plan, not a problem.
warnings.simplefilter("ignore", ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
task_b = np.isin(y, [3, 8])
X_b_pool, X_b_test, y_b_pool, y_b_test = train_test_split(
    X[task_b], y[task_b], test_size=0.5, random_state=0, stratify=y[task_b])

# Task A: eight classes, every labelled row, the DeepNet defaults (early stopping).
model_a = DeepNetClassifier(random_state=0, **ARCHITECTURE).fit(X[~task_b], y[~task_b])
print(f"task A (8 digits): {model_a.n_iter_} epochs, training accuracy "
      f"{model_a.score(X[~task_b], y[~task_b]):.3f}")

results = {"from scratch": [], "frozen": [], "fine-tuned": []}
for n_labels in LABEL_COUNTS:
    scores = {name: [] for name in results}
    for seed in SEEDS:
        rows = np.random.RandomState(seed).permutation(len(y_b_pool))[:n_labels]
        X_few, y_few = X_b_pool[rows], y_b_pool[rows]
        fixed = dict(early_stopping=False, max_iter=EPOCHS, batch_size=min(32, n_labels),
                     random_state=seed)
        scratch = DeepNetClassifier(**ARCHITECTURE, **fixed).fit(X_few, y_few)
        scores["from scratch"].append(scratch.score(X_b_test, y_b_test))
        transfer = DeepNetClassifier(pretrained=model_a, frozen_layers="reused", **fixed)
        transfer.fit(X_few, y_few)
        scores["frozen"].append(transfer.score(X_b_test, y_b_test))
        # unfreeze and fine-tune at a lower rate, from the frozen model's weights
        transfer.set_params(frozen_layers=0, learning_rate_init=1e-3, warm_start=True,
                            max_iter=max(1, EPOCHS // 2))
        transfer.fit(X_few, y_few)
        scores["fine-tuned"].append(transfer.score(X_b_test, y_b_test))
    for name, values in scores.items():
        results[name].append(float(np.median(values)))
    print(f"{n_labels:4d} task-B labels: " + ", ".join(
        f"{name} {results[name][-1]:.3f}" for name in results))

# the reused estimator is never modified by the task-B fits
assert model_a.coefs_[0].shape == (64, ARCHITECTURE["n_neurons"])

# %%
# Accuracy against the number of task-B labels
# --------------------------------------------
fig, ax = plt.subplots(figsize=(5.5, 3.8))
for (name, values), marker in zip(results.items(), "osD"):
    ax.plot(LABEL_COUNTS, values, marker=marker, label=name)
ax.set_xscale("log")
ax.set_xticks(LABEL_COUNTS, [str(n) for n in LABEL_COUNTS])
ax.set_xlabel("task-B labels (3 vs 8)")
ax.set_ylabel(f"median test accuracy ({len(SEEDS)} draws)")
ax.set_title("Transfer from 8 digits to 3 vs 8")
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()
