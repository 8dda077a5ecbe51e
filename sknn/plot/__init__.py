"""Plots of sknn's networks, following scikit-learn's Display convention.

Each display holds the data it draws as attributes. Its ``from_*``
class methods compute them (from a fitted estimator, a result, registry
names) and call :meth:`plot`, which draws on a given or new matplotlib
Axes, stores the Axes, figure and artists as attributes ending in ``_``
and returns the display.

- :class:`TrainingHistoryDisplay`: training and validation loss, validation
  score and learning rate per epoch.
- :class:`LRFinderDisplay`: the learning-rate range test's curve with its
  suggested rate.
- :class:`ActivationDisplay`: activation functions and their derivatives.
- :class:`PlaygroundDisplay`: decision regions of a classifier on 2-D data
  with what each first-layer hidden unit responds to.

matplotlib is the optional ``plot`` extra (``pip install "sknn-learn[plot]"``):
importing this package does not import it; drawing without it raises an
ImportError that says how to install it.
"""

from sknn.plot._activations import ActivationDisplay
from sknn.plot._history import TrainingHistoryDisplay
from sknn.plot._lr_finder import LRFinderDisplay
from sknn.plot._playground import PlaygroundDisplay

__all__ = ["ActivationDisplay", "LRFinderDisplay", "PlaygroundDisplay", "TrainingHistoryDisplay"]
