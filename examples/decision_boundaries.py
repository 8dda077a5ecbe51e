"""
Decision boundaries and hidden units, Playground style
======================================================

A view in the spirit of the TensorFlow Playground, drawn with
:class:`sknn.plot.PlaygroundDisplay`: the decision regions of a small
network on two 2-D toy problems (two interleaving moons, two concentric
circles), the training points, and small panels of what each unit of the
first hidden layer responds to (its activation over the plane: orange
negative, white zero, blue positive).

Each first-layer ``tanh`` unit is a soft step across one straight line,
``tanh(w . x + b)``; the output layer combines these ramps into a curved
boundary. A :class:`sknn.PerceptronClassifier` has no hidden layer, so its
boundary is one straight line: enough for neither dataset, hopeless for
the circles.

The script prints each model's training accuracy and draws one figure per
dataset and one of the perceptrons.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import make_circles, make_moons

from sknn import MLPClassifier, PerceptronClassifier
from sknn.plot import PlaygroundDisplay

N_SAMPLES = 400
GRID_RESOLUTION = 150

DATASETS = {
    "moons": make_moons(n_samples=N_SAMPLES, noise=0.2, random_state=0),
    "circles": make_circles(n_samples=N_SAMPLES, noise=0.08, factor=0.45, random_state=0),
}

perceptron_figure, perceptron_axes = plt.subplots(1, len(DATASETS), figsize=(10, 4.5),
                                                  layout="constrained")
for (dataset, (X, y)), perceptron_ax in zip(DATASETS.items(), perceptron_axes):
    # L-BFGS fits a net this small in a fraction of a second, to convergence
    network = MLPClassifier(hidden_layer_sizes=(8,), activation="tanh", solver="lbfgs",
                            alpha=1e-3, max_iter=2000, random_state=0).fit(X, y)
    perceptron = PerceptronClassifier(random_state=0).fit(X, y)
    print(f"{dataset:<8} network (8 tanh units): {network.score(X, y):.3f}   "
          f"perceptron: {perceptron.score(X, y):.3f}")

    display = PlaygroundDisplay.from_estimator(
        network, X, y, grid_resolution=GRID_RESOLUTION,
        name=f"{dataset}: 8 tanh units, accuracy {network.score(X, y):.2f}")
    display.figure_.suptitle("first hidden layer (left) and the network's output (right)")

    PlaygroundDisplay.from_estimator(
        perceptron, X, y, grid_resolution=GRID_RESOLUTION, ax=perceptron_ax,
        name=f"{dataset}: perceptron, accuracy {perceptron.score(X, y):.2f}")

plt.show()
