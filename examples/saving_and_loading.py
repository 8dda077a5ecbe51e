"""
Saving and loading a trained network
====================================

A fitted sknn estimator is a plain Python object holding NumPy arrays
(weights, optimizer moments, a few scalars) and no live engine, so the
usual scikit-learn tools save it:

* **joblib** (or pickle): fast and simple, but loading a pickle can run
  arbitrary code, so only load files you trust;
* **skops** (``pip install skops``): a secure format; loading refuses every
  type it does not know to be safe until you review and trust it;
* a model trained with ``backend='torch'`` (even on a GPU) is saved the same
  way and loads and predicts where PyTorch is not installed.

The script checks that every loaded model predicts exactly what the
original did, and plots the file sizes.
"""

import importlib.util
import os
import subprocess
import sys
import tempfile
import textwrap
import warnings

import joblib
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknn import DeepNetClassifier, MLPClassifier

# The models train for a short fixed budget: how well they converged is
# beside the point of saving them.
warnings.simplefilter("ignore", ConvergenceWarning)
model_dir = tempfile.mkdtemp(prefix="sknn_models_")
sizes = {}

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
model = make_pipeline(StandardScaler(),
                      DeepNetClassifier(n_hidden=2, n_neurons=64, max_iter=50, random_state=0))
model.fit(X_train, y_train)
expected = model.predict_proba(X_test)
print(f"trained pipeline: test accuracy {model.score(X_test, y_test):.3f}")

# %%
# joblib
# ------
path = os.path.join(model_dir, "model.joblib")
joblib.dump(model, path)
loaded = joblib.load(path)
sizes["joblib"] = os.path.getsize(path)
print(f"joblib: {sizes['joblib'] / 1024:.0f} KiB, identical predictions: "
      f"{np.array_equal(loaded.predict_proba(X_test), expected)}")

# %%
# skops, with an explicit list of trusted types
# ---------------------------------------------
# ``get_untrusted_types`` lists what the file would instantiate beyond
# skops's built-in safe set; here that is sknn's own classes. Review the
# list, then pass it as ``trusted``; anything unexpected stays refused.
try:
    import skops.io as sio
except ImportError:
    sio = None
    print('skops is not installed (pip install skops): skipping the secure format.')
if sio is not None:
    path = os.path.join(model_dir, "model.skops")
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    print(f"skops: types to review before loading: {untrusted}")
    trusted = [name for name in untrusted if name.startswith("sknn.")]
    if trusted != untrusted:
        raise RuntimeError(f"unexpected types in the file: {set(untrusted) - set(trusted)}")
    loaded = sio.load(path, trusted=trusted)
    sizes["skops"] = os.path.getsize(path)
    print(f"skops: {sizes['skops'] / 1024:.0f} KiB, identical predictions: "
          f"{np.array_equal(loaded.predict_proba(X_test), expected)}")

# %%
# A model trained with PyTorch, loaded without it
# -----------------------------------------------
# A fresh interpreter where ``import torch`` fails loads the file and
# predicts with sknn's NumPy code.
if importlib.util.find_spec("torch") is None:
    print("PyTorch is not installed: skipping the torch-trained model.")
else:
    torch_model = MLPClassifier(hidden_layer_sizes=(64,), backend="torch",
                                max_iter=50, random_state=0)
    torch_model.fit(X_train / 16, y_train)
    path = os.path.join(model_dir, "torch_trained.joblib")
    joblib.dump(torch_model, path)
    np.save(os.path.join(model_dir, "X_test.npy"), X_test / 16)
    np.save(os.path.join(model_dir, "expected.npy"), torch_model.predict_proba(X_test / 16))
    sizes["joblib (torch-trained MLP)"] = os.path.getsize(path)
    check = textwrap.dedent(f"""
        import sys

        class NoTorch:  # an import hook: any `import torch` now raises ImportError
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == "torch":
                    raise ImportError("torch is not available here")

        sys.meta_path.insert(0, NoTorch())
        import joblib, numpy as np
        model = joblib.load({path!r})
        X = np.load({os.path.join(model_dir, "X_test.npy")!r})
        expected = np.load({os.path.join(model_dir, "expected.npy")!r})
        print(np.array_equal(model.predict_proba(X), expected), "torch" in sys.modules)
    """)
    result = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                            check=True)
    identical, torch_imported = result.stdout.split()
    print(f"torch-trained model loaded where torch cannot be imported: identical "
          f"predictions: {identical}, torch imported: {torch_imported}")

# %%
# File sizes
# ----------
fig, ax = plt.subplots(figsize=(6, 3))
ax.barh(list(sizes), [size / 1024 for size in sizes.values()])
ax.set_xlabel("file size (KiB)")
ax.set_title("Saved models")
fig.tight_layout()
plt.show()
