"""
Activation functions and weight initializers, compared on one problem
=====================================================================

The activation and the initialization are chosen together: an initializer
sets the variance of the starting weights so that signals keep their scale
through the layers *for a given activation*. Glorot (Xavier) initialization
suits the symmetric saturating activations (logistic, tanh), He
initialization the ReLU family (ReLU, leaky ReLU, ELU, GELU), and LeCun
normal initialization SELU.

Here a network of four hidden layers is trained with plain SGD on the
digits for every pairing of activation (``activation=``) and initializer
(``kernel_initializer=``), everything else equal. The script prints the
final training loss and test accuracy of each pairing and plots the
training curves.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier

EPOCHS = 40
ACTIVATIONS = ["logistic", "tanh", "relu", "elu", "selu"]
INITIALIZERS = ["glorot_uniform", "he_normal", "lecun_normal"]
# A fixed epoch budget: reaching max_iter is the plan here.
warnings.simplefilter("ignore", ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# One network, every pairing
# --------------------------
# Plain SGD without momentum makes the effect of the starting point easy to
# see: nothing compensates for a poorly scaled initialization.
curves = {}
print(f"{'activation':>10} {'initializer':>15} {'final loss':>10} {'test accuracy':>13}")
for activation in ACTIVATIONS:
    for initializer in INITIALIZERS:
        clf = MLPClassifier(hidden_layer_sizes=(64, 64, 64, 64), activation=activation,
                            kernel_initializer=initializer, solver="sgd", momentum=0.0,
                            learning_rate_init=0.02, batch_size=32, max_iter=EPOCHS,
                            n_iter_no_change=EPOCHS, random_state=0).fit(X_train, y_train)
        curves[activation, initializer] = clf.loss_curve_
        print(f"{activation:>10} {initializer:>15} {clf.loss_:>10.4f} "
              f"{clf.score(X_test, y_test):>13.3f}")

# %%
# Training curves, one panel per initializer
# ------------------------------------------
# With this budget the logistic network learns nothing whatever its
# initialization: four layers of sigmoids shrink the gradient at every layer
# (the vanishing-gradient problem). Among the initializers, He's larger
# starting weights give the ReLU family its fastest descent.
fig, axes = plt.subplots(1, len(INITIALIZERS), figsize=(12, 3.8), sharey=True)
for ax, initializer in zip(axes, INITIALIZERS):
    for activation in ACTIVATIONS:
        ax.plot(range(1, len(curves[activation, initializer]) + 1),
                curves[activation, initializer], label=activation)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_title(f"kernel_initializer='{initializer}'")
axes[0].set_ylabel("training loss")
axes[-1].legend(title="activation", loc="upper left", bbox_to_anchor=(1.02, 1))
fig.suptitle("Four hidden layers of 64 units, SGD, digits")
fig.tight_layout()
plt.show()
