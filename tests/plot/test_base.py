"""sknn.plot without matplotlib: importing it does not load matplotlib, drawing names the extra."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sknn.plot import (ActivationDisplay, LRFinderDisplay, PlaygroundDisplay,
                       TrainingHistoryDisplay)


# -- import hygiene -----------------------------------------------------------

def test_importing_sknn_and_sknn_plot_does_not_import_matplotlib():
    code = ("import sys, sknn, sknn.plot, sknn.lr_finder; "
            "loaded = [m for m in sys.modules if m.split('.')[0] == 'matplotlib']; "
            "assert not loaded, loaded")
    repo_root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=repo_root)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("make_display", [
    lambda: TrainingHistoryDisplay(loss=[1.0, 0.5]),
    lambda: LRFinderDisplay(learning_rates=[1e-3, 1e-2], losses=[1.0, 0.5], suggestion=1e-3),
    lambda: ActivationDisplay(z=[0.0], values=[[0.0]], derivatives=[[1.0]], names=["x"]),
    lambda: PlaygroundDisplay(xx0=np.zeros((2, 2)), xx1=np.zeros((2, 2)),
                              response=np.zeros((2, 2)), predictions=np.zeros((2, 2)),
                              classes=[0, 1], response_method="predict_proba"),
], ids=["history", "lr_finder", "activation", "playground"])
def test_plot_without_matplotlib_names_the_extra(make_display, no_matplotlib):
    display = make_display()  # computing the data needs no matplotlib
    with pytest.raises(ImportError, match=r"sknn-learn\[plot\]"):
        display.plot()
