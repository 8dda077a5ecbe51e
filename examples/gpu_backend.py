"""
Training on a GPU with the PyTorch backend
==========================================

sknn's networks train on a hand-written NumPy engine by default. With
``backend='torch'`` the same network (same layers, same initial weights,
same objective and update rules) trains with PyTorch, on ``device='auto'``:
a CUDA GPU if there is one, else Apple's MPS, else the CPU. Nothing else in
the code changes, and the fitted model holds plain NumPy arrays, so it
pickles, loads and predicts on a machine without torch (or without a GPU).

The script fits the same :class:`sknn.MLPClassifier` with both engines,
prints the device used, the fit times and how closely the predictions
agree, and plots the two loss curves. Without PyTorch
(``pip install "sknn-learn[torch]"``) it says so and shows the NumPy engine
alone.
"""

import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknn import MLPClassifier

# Both engines run the same fixed number of epochs (n_iter_no_change=1000
# below keeps the stopping rule out of the comparison): reaching max_iter is
# the plan here.
warnings.simplefilter("ignore", ConvergenceWarning)

try:
    import torch
except ImportError:
    torch = None
    print('PyTorch is not installed (pip install "sknn-learn[torch]"): showing the NumPy '
          "engine only.")

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# %%
# Which device does ``device='auto'`` pick?
# -----------------------------------------
# The same order as sknn: CUDA, then MPS, then the CPU.
if torch is not None:
    if torch.cuda.is_available():
        device = f"cuda ({torch.cuda.get_device_name(0)})"
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device = "mps"
    else:
        device = "cpu (no GPU found)"
    print(f"torch {torch.__version__}; device='auto' trains on: {device}")

# %%
# Same estimator, two engines
# ---------------------------
# With the same ``random_state`` both start from the same weights and see
# the minibatches in the same order; in float64 (the MLPs' default) they
# take the same steps up to floating-point rounding.
params = dict(hidden_layer_sizes=(256, 128), batch_size=64, max_iter=30,
              n_iter_no_change=1000, random_state=0)
models = {"numpy": MLPClassifier(**params)}
if torch is not None:
    models["torch"] = MLPClassifier(backend="torch", device="auto", **params)
for name, model in models.items():
    start = time.perf_counter()
    model.fit(X_train, y_train)
    print(f"backend={name!r:8} fit in {time.perf_counter() - start:5.2f} s, "
          f"test accuracy {model.score(X_test, y_test):.3f}")

if torch is not None:
    proba_numpy = models["numpy"].predict_proba(X_test)
    proba_torch = models["torch"].predict_proba(X_test)
    same_labels = np.mean(models["numpy"].predict(X_test) == models["torch"].predict(X_test))
    print(f"largest difference between the engines' probabilities: "
          f"{np.abs(proba_numpy - proba_torch).max():.2e}")
    print(f"share of identical predicted labels: {same_labels:.3f}")
    print(f"the torch-trained weights are {type(models['torch'].coefs_[0]).__name__}s: the "
          f"model predicts without torch")

# %%
# Loss curves of both engines
# ---------------------------
fig, ax = plt.subplots(figsize=(6, 4))
for (name, model), style in zip(models.items(), ("-", "--")):
    ax.plot(range(1, len(model.loss_curve_) + 1), model.loss_curve_, style, lw=2,
            label=f"backend='{name}'")
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.set_title("Same network, NumPy and PyTorch engines"
             if torch is not None else "NumPy engine (PyTorch not installed)")
ax.legend()
fig.tight_layout()
plt.show()
