"""Helpers shared by the sknn.plot tests: a quiet fit, a checked PNG file."""

import warnings

from sklearn.exceptions import ConvergenceWarning

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def save_png(figure, path):
    figure.savefig(path)
    data = path.read_bytes()
    assert len(data) > 1000 and data[:8] == PNG_SIGNATURE
    return data


def quiet_fit(estimator, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y, **fit_params)
