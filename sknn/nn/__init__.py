"""The hand-written NumPy core: no scikit-learn imports below this package."""
