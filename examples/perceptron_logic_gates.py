"""
Logic gates with linear threshold units, and why XOR needs a hidden layer
=========================================================================

A linear threshold unit (LTU) fires when its net input ``w . x`` reaches a
threshold ``theta``: ``y = 1`` if ``w . x >= theta``, else 0. With hand-set weights one LTU
computes AND (``w1 = w2 = 1, theta = 2``), OR (``theta = 0.5``) and NOT
(``w1 = -0.6, theta = -0.5``). :class:`sknn.PerceptronClassifier` learns
such weights with Rosenblatt's rule. XOR is not linearly separable: no single
LTU computes it and the perceptron never gets all four cases right, while
:class:`sknn.MLPClassifier` with one hidden layer does. The script prints
the truth tables and draws both models' decision boundaries on XOR.
"""

import matplotlib.pyplot as plt
import numpy as np

from sknn import MLPClassifier, PerceptronClassifier
from sknn.nn.activations import ACTIVATIONS

X2 = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
X1 = np.array([[0], [1]], dtype=float)
heaviside = ACTIVATIONS.get("heaviside").forward


def ltu(X, weights, theta):
    """Output of one LTU: 1 when w . x >= theta, else 0.

    The registry's heaviside is 1 only for z > 0 (scikit-learn's tie goes to
    the negative class), so "reaches the threshold" is 1 - H(theta - w . x).
    """
    return (1 - heaviside(theta - X @ np.asarray(weights, dtype=float))).astype(int)


def truth_table(name, X, outputs):
    print(f"\n{name}")
    for x, out in zip(X.astype(int), outputs):
        print("  " + " ".join(str(v) for v in x) + "  ->  " + str(out))


# %%
# Hand-set LTUs
# -------------
print("Hand-set linear threshold units")
truth_table("AND (w1 = w2 = 1, theta = 2)", X2, ltu(X2, [1, 1], 2))
truth_table("OR  (w1 = w2 = 1, theta = 0.5)", X2, ltu(X2, [1, 1], 0.5))
truth_table("NOT (w1 = -0.6, theta = -0.5)", X1, ltu(X1, [-0.6], -0.5))

# %%
# Learned LTUs
# ------------
# The bias learned by the perceptron plays the role of ``-theta``.
print("\nLearned with PerceptronClassifier(step_function='heaviside')")
gates = {"AND": (X2, [0, 0, 0, 1]), "OR": (X2, [0, 1, 1, 1]), "NOT": (X1, [1, 0])}
for name, (X, y) in gates.items():
    clf = PerceptronClassifier(step_function="heaviside", tol=None, max_iter=20,
                               shuffle=False).fit(X, y)
    truth_table(f"{name}: w = {clf.coef_.ravel()}, theta = {0.0 - clf.intercept_[0]:g}",
                X, clf.predict(X))
    assert list(clf.predict(X)) == y

# %%
# XOR: the perceptron fails, a hidden layer succeeds
# --------------------------------------------------
y_xor = np.array([0, 1, 1, 0])
perceptron = PerceptronClassifier(tol=None, max_iter=1000).fit(X2, y_xor)
mlp = MLPClassifier(hidden_layer_sizes=(4,), activation="tanh", solver="lbfgs",
                    max_iter=1000, random_state=1).fit(X2, y_xor)
print(f"\nXOR accuracy: perceptron {perceptron.score(X2, y_xor):.2f} (at most 0.75 for any "
      f"line), MLPClassifier {mlp.score(X2, y_xor):.2f}")
truth_table("XOR by the perceptron", X2, perceptron.predict(X2))
truth_table("XOR by MLPClassifier(hidden_layer_sizes=(4,))", X2, mlp.predict(X2))

# %%
# Decision boundaries
# -------------------
grid = np.linspace(-0.5, 1.5, 200)
xx, yy = np.meshgrid(grid, grid)
points = np.c_[xx.ravel(), yy.ravel()]
fig, axes = plt.subplots(1, 2, figsize=(8, 4))
for ax, model, title in zip(axes, (perceptron, mlp), ("Perceptron", "MLPClassifier")):
    ax.contourf(xx, yy, model.predict(points).reshape(xx.shape), alpha=0.3, cmap="coolwarm")
    ax.scatter(X2[:, 0], X2[:, 1], c=y_xor, cmap="coolwarm", edgecolors="k", s=80)
    ax.set_title(f"XOR: {title} (accuracy {model.score(X2, y_xor):.2f})")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
fig.tight_layout()
plt.show()
