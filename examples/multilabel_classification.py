"""
Multilabel classification: one sigmoid per label
================================================

In a multilabel problem each sample can carry any number of labels at once
(a photo showing a beach *and* a dog), so the target is an indicator matrix
with one 0/1 column per label. Given such a ``y``, :class:`sknn.MLPClassifier`
gives the output layer one **sigmoid** unit per label and trains it with the
**binary cross-entropy** summed over the labels, instead of the softmax and
categorical cross-entropy of a one-of-K problem. Each output is then an
independent probability: the rows of ``predict_proba`` do not sum to 1, and
``predict`` thresholds every label at 0.5.

The script prints per-label precision, recall and F1, the Hamming loss and
the subset accuracy (every label of a sample right), and plots the
per-label scores and the predicted probabilities.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_multilabel_classification
from sklearn.metrics import accuracy_score, hamming_loss, precision_recall_fscore_support
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier

# %%
# Data: 5 labels, about 2 per sample
# ----------------------------------
X, Y = make_multilabel_classification(n_samples=2000, n_features=20,
                                      n_classes=5, n_labels=2, random_state=0)
X_train, X_test, Y_train, Y_test = train_test_split(X, Y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
print(f"Y is a {Y.shape[0]} x {Y.shape[1]} indicator matrix; "
      f"{Y.sum(axis=1).mean():.2f} labels per sample on average")

# %%
# Fit: sigmoid outputs and binary cross-entropy come from the shape of y
# ----------------------------------------------------------------------
clf = MLPClassifier(hidden_layer_sizes=(64,), alpha=1e-3, max_iter=200, early_stopping=True,
                    random_state=0).fit(X_train, Y_train)
proba = clf.predict_proba(X_test)
Y_pred = clf.predict(X_test)
print(f"output activation: {clf.out_activation_}")
print(f"predict_proba row sums (independent labels, not 1): "
      f"{np.round(proba[:3].sum(axis=1), 2)}")

# %%
# Per-label and overall metrics
# -----------------------------
precision, recall, f1, support = precision_recall_fscore_support(Y_test, Y_pred,
                                                                 zero_division=0)
print(f"\n{'label':>5} {'precision':>9} {'recall':>6} {'F1':>5} {'support':>7}")
for label in range(Y.shape[1]):
    print(f"{label:>5} {precision[label]:>9.3f} {recall[label]:>6.3f} "
          f"{f1[label]:>5.3f} {support[label]:>7}")
print(f"\nHamming loss (share of wrong label decisions): {hamming_loss(Y_test, Y_pred):.3f}")
print(f"subset accuracy (all labels of a sample right): {accuracy_score(Y_test, Y_pred):.3f}")
print(f"always-absent baseline Hamming loss:            {Y_test.mean():.3f}")

# %%
# Plot: per-label scores and the predicted probabilities
# ------------------------------------------------------
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
labels = np.arange(Y.shape[1])
for offset, (name, values) in zip((-0.25, 0, 0.25),
                                  (("precision", precision), ("recall", recall), ("F1", f1))):
    left.bar(labels + offset, values, width=0.25, label=name)
left.set_xticks(labels)
left.set_xlabel("label")
left.set_ylim(0, 1.15)
left.set_title("Per-label scores on the test set")
left.legend(loc="upper center", ncol=3)

bins = np.linspace(0, 1, 21)
right.hist(proba[Y_test == 1], bins=bins, alpha=0.6, label="label present")
right.hist(proba[Y_test == 0], bins=bins, alpha=0.6, label="label absent")
right.axvline(0.5, color="k", linestyle="--", label="threshold 0.5")
right.set_xlabel("predicted probability of a label")
right.set_ylabel("count (all labels)")
right.set_title("Independent sigmoid outputs")
right.legend()
fig.tight_layout()
plt.show()
