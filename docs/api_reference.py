"""What the API reference lists, section by section.

``conf.py`` renders this table into ``api/index.rst`` (generated, git-ignored)
before Sphinx reads the sources, in the way scikit-learn builds its own API
pages. A name that does not import is left out of that build with a message
instead of breaking it: optional sections (``sknn.plot`` needs matplotlib)
and names still being written come and go with the installed packages.
``tests/test_public_api_docs.py`` checks that every name in ``sknn.__all__``
has a place here.
"""

#: (title, module, description, names). ``names=None`` lists the module's
#: ``__all__`` at build time.
SECTIONS = [
    ("Estimators", "sknn",
     "Network estimators with scikit-learn's interface: drop-in supersets of "
     "scikit-learn's MLPs and Perceptron, deep networks with modern defaults "
     "and a stacked autoencoder for unsupervised pretraining.",
     ["MLPClassifier", "MLPRegressor", "DeepNetClassifier", "DeepNetRegressor",
      "PerceptronClassifier", "StackedAutoencoder"]),
    ("Tools", "sknn",
     "The learning-rate range test, ready-made hyperparameter search spaces and "
     "Monte Carlo dropout for a network or a pipeline ending in one.",
     ["lr_find", "search_space", "mc_predict", "mc_predict_proba"]),
    ("Extending", "sknn",
     "Activations, losses, initializers, optimizers and schedules of your own, "
     "registered by name: the name becomes a constructor value of every estimator "
     "(see :ref:`extending`).",
     ["register_activation", "register_loss", "register_initializer", "register_optimizer",
      "register_schedule", "unregister"]),
    ("Callbacks", "sknn.callbacks",
     "Callbacks for ``set_callbacks`` of sknn's estimators, on scikit-learn's callback "
     "API: early stopping on any monitored value, checkpoints, a CSV log and Optuna "
     "pruning of full ``fit`` calls (see :ref:`sknn-callbacks`).",
     ["EarlyStopping", "ModelCheckpoint", "CSVLogger", "OptunaPruning"]),
    ("Learning-rate finder result", "sknn.lr_finder",
     "What :func:`sknn.lr_find` returns.",
     ["LRFinderResult"]),
    ("Learning-rate schedules", "sknn.schedules",
     "Objects accepted by the estimators' ``learning_rate`` parameter; their "
     "parameters are searchable as ``learning_rate__<name>``.",
     ["Schedule", "Constant", "InvScaling", "PowerDecay", "ExponentialDecay",
      "PiecewiseConstant", "OneCycle", "CosineDecay", "ReduceOnPlateau", "Adaptive", "Progress",
      "make_schedule"]),
    ("Fitted network", "sknn.network",
     "What the network estimators store as ``network_``: the spec and its "
     "weights in layer order, and the weight layout of a spec.",
     ["Network", "NetworkSummary", "weight_layout", "initial_weights"]),
    ("ONNX export", "sknn.onnx",
     "Conversion to ONNX through skl2onnx (the ``onnx`` extra); importing "
     ":mod:`sknn.onnx` also lets :func:`skl2onnx.to_onnx` convert sknn estimators.",
     ["to_onnx"]),
    ("Initializers", "sknn.nn.initializers",
     "Custom weight initialization for the ``kernel_initializer`` parameter.",
     ["VarianceScaling", "Initializer", "auto_initializer"]),
    ("Plotting", "sknn.plot",
     "Displays in scikit-learn's convention (``XDisplay.from_estimator(...)``, "
     "``.plot(ax=...)``); needs matplotlib (the ``plot`` extra).",
     None),
    ("Warnings", "sknn.exceptions",
     "Warnings specific to sknn.",
     ["DivergenceWarning", "InconsistentVersionWarning", "ScheduleBudgetWarning",
      "SingleClassWarning"]),
]
