"""
An Optuna search with pruning, early stopping and checkpoints on full fits
==========================================================================

An Optuna study tunes an :class:`sknn.MLPClassifier` on the digits. Each
trial is one ordinary ``fit`` call with a validation set and three of
sknn's callbacks (:mod:`sknn.callbacks`):

* :class:`~sknn.callbacks.OptunaPruning` reports the validation accuracy
  to the trial after every epoch, so that Optuna's ``HyperbandPruner``
  stops a trial as soon as it falls behind the others of its bracket;
* :class:`~sknn.callbacks.EarlyStopping` ends a trial once its validation
  loss has not improved for ``PATIENCE`` epochs, and keeps the weights of
  its best epoch;
* :class:`~sknn.callbacks.ModelCheckpoint` writes the trial's best model so
  far to a file (in a temporary directory here), so the study holds no
  model in memory and a crash loses no finished trial.

The objective raises ``optuna.TrialPruned`` when the pruner stopped the
fit. The script prints every trial (pruned or not, after how many epochs),
the best trial, and loads the best trial's checkpoint to score it on the
test set; the figure shows the trials' validation curves. Needs
``pip install "sknn-learn[optuna]"``.
"""

import os
import tempfile
import warnings

import joblib
import matplotlib.pyplot as plt
import optuna
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sknn import MLPClassifier
from sknn.callbacks import EarlyStopping, ModelCheckpoint, OptunaPruning

N_TRIALS = 20
EPOCHS = 27  # 3 ** 3: Hyperband's rungs at 1, 3, 9 and 27 epochs
PATIENCE = 5

# A trial that trains all EPOCHS epochs is not a problem here.
warnings.simplefilter("ignore", ConvergenceWarning)
optuna.logging.set_verbosity(optuna.logging.WARNING)

X, y = load_digits(return_X_y=True)
X = X / 16.0  # pixel intensities run from 0 to 16
X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.25, random_state=0,
                                                  stratify=y)
X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=0.25,
                                                  random_state=0, stratify=y_rest)


def objective(trial, folder):
    pruning = OptunaPruning(trial, monitor="val_score")
    stopper = EarlyStopping(monitor="val_loss", patience=PATIENCE)
    checkpoint = ModelCheckpoint(os.path.join(folder, f"trial-{trial.number:02d}.joblib"),
                                 monitor="val_loss", save_best_only=True)
    clf = MLPClassifier(
        hidden_layer_sizes=(trial.suggest_categorical("units", [16, 64, 256]),),
        learning_rate_init=trial.suggest_float("learning_rate_init", 1e-4, 1e-1, log=True),
        alpha=trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
        max_iter=EPOCHS, random_state=0,
    ).set_callbacks(pruning, stopper, checkpoint)
    clf.fit(X_train, y_train, validation_data=(X_val, y_val))
    trial.set_user_attr("epochs", clf.n_iter_)
    trial.set_user_attr("best_epoch", stopper.best_epoch_)
    trial.set_user_attr("checkpoint", checkpoint.filepath_)
    if pruning.pruned_:
        raise optuna.TrialPruned()
    # early stopping kept the best epoch's weights: score those
    return clf.score(X_val, y_val)


# The random sampler makes this plain Hyperband; a fixed study name makes
# the brackets, which Optuna derives from it, reproducible.
study = optuna.create_study(
    study_name="checkpointed", direction="maximize",
    sampler=optuna.samplers.RandomSampler(seed=0),
    pruner=optuna.pruners.HyperbandPruner(min_resource=1, max_resource=EPOCHS,
                                          reduction_factor=3))
with tempfile.TemporaryDirectory() as folder:
    study.optimize(lambda trial: objective(trial, folder), n_trials=N_TRIALS)

    # a pruned trial's value is the last validation accuracy it reported
    print(f"{'trial':>5} {'state':>8} {'epochs':>6} {'best epoch':>10} {'val accuracy':>12}  "
          f"params")
    for trial in study.trials:
        value = "" if trial.value is None else f"{trial.value:.3f}"
        params = ", ".join(f"{name}={value:.3g}" if isinstance(value, float)
                           else f"{name}={value}" for name, value in trial.params.items())
        print(f"{trial.number:>5} {trial.state.name.lower():>8} {trial.user_attrs['epochs']:>6} "
              f"{trial.user_attrs['best_epoch']:>10} {value:>12}  {params}")
    pruned = [trial for trial in study.trials if trial.state == optuna.trial.TrialState.PRUNED]
    epochs = sum(trial.user_attrs["epochs"] for trial in study.trials)
    print(f"\n{len(pruned)} of {N_TRIALS} trials pruned; {epochs} epochs trained in all, of "
          f"the {N_TRIALS * EPOCHS} that {N_TRIALS} full fits would train")

    best = study.best_trial
    print(f"best trial: {best.number}, validation accuracy {best.value:.3f}, {best.params}")
    # the checkpoint holds the best trial's model at its best epoch
    model = joblib.load(best.user_attrs["checkpoint"])
    print(f"its checkpoint ({os.path.basename(best.user_attrs['checkpoint'])}, epoch "
          f"{model.n_iter_}): test accuracy {model.score(X_test, y_test):.3f}")

# %%
# The trials' validation curves
# -----------------------------
# Each trial reported its validation accuracy after every epoch; the pruned
# ones end early, and early stopping ended others once their validation
# loss stopped improving.
fig, ax = plt.subplots(figsize=(7, 4))
for trial in study.trials:
    steps = sorted(trial.intermediate_values)
    is_pruned = trial.state == optuna.trial.TrialState.PRUNED
    ax.plot(steps, [trial.intermediate_values[step] for step in steps],
            color="tab:red" if is_pruned else "tab:blue", alpha=0.4 if is_pruned else 0.9,
            marker="o", markersize=3)
ax.plot([], [], color="tab:blue", label="completed")
ax.plot([], [], color="tab:red", label="pruned")
ax.set_xlabel("epoch")
ax.set_ylabel("validation accuracy")
ax.set_title(f"{N_TRIALS} trials, Hyperband pruning, early stopping (patience {PATIENCE})")
ax.legend(loc="lower right")
fig.tight_layout()
plt.show()
